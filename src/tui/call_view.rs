//! The call view: the ladder (one column per endpoint, one arrow per
//! timeline event, retransmissions folded, RTP streams as bars, the failing
//! step highlighted) beside the verdict (stage, code, summary, evidence to
//! jump to, advice) and the quality of each media stream.

use std::net::SocketAddr;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::decode::rtp::static_encoding_name;
use crate::report::format_relative;
use crate::report::ladder::{arrow_label, truncate, wrap, LadderColumns};

use super::model::{EventDoc, StreamDoc};
use super::state::{AppState, CallScreen, Focus, Screen};
use super::theme::Theme;
use crate::verdict::twilio_error_meaning;

/// Marker, frame number and time at the left of each ladder row.
const LEFT: usize = 20;
const MIN_COLUMN: usize = 12;
const MAX_COLUMN: usize = 32;
/// From this width the verdict sits beside the ladder; below, under it.
const SIDE_BY_SIDE: u16 = 160;

/// The label on an arrow, as the text ladder draws it; an RTP bar also
/// carries its stream's loss and jitter.
fn label(e: &EventDoc, streams: &[StreamDoc]) -> String {
    let base = arrow_label(&e.protocol, &e.text, e.count);
    if e.protocol != "RTP" {
        return base;
    }
    match streams
        .iter()
        .find(|s| s.first_frame == e.frame && s.src == e.src && s.dst == e.dst)
    {
        Some(s) => format!("{base} lost {} jit {:.1}ms", s.lost, s.jitter_ms),
        None => base,
    }
}

/// Characters with their styles, made into spans.
struct StyledRow {
    cells: Vec<(char, Style)>,
}

impl StyledRow {
    fn blank(width: usize) -> Self {
        Self {
            cells: vec![(' ', Style::default()); width],
        }
    }

    fn put(&mut self, at: usize, text: &str, style: Style) {
        for (k, ch) in text.chars().enumerate() {
            if let Some(c) = self.cells.get_mut(at + k) {
                *c = (ch, style);
            }
        }
    }

    fn into_spans(self) -> Vec<Span<'static>> {
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut run = String::new();
        let mut style = Style::default();
        for (ch, st) in self.cells {
            if st != style && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), style));
            }
            style = st;
            run.push(ch);
        }
        if !run.is_empty() {
            spans.push(Span::styled(run.trim_end().to_string(), style));
        }
        spans
    }
}

/// The ladder's columns for the pane's width, placed after the frame and
/// time at the left.
struct Geometry(LadderColumns);

impl Geometry {
    fn new(all: &[(SocketAddr, &'static str)], inner: usize) -> Self {
        Self(LadderColumns::new(
            all.to_vec(),
            inner.saturating_sub(LEFT),
            MIN_COLUMN,
            MAX_COLUMN,
        ))
    }

    /// The screen column of lifeline `i`, past the frame and time.
    fn lifeline(&self, i: usize) -> usize {
        LEFT + self.0.center(i)
    }
}

impl std::ops::Deref for Geometry {
    type Target = LadderColumns;
    fn deref(&self) -> &LadderColumns {
        &self.0
    }
}

fn centered(row: &mut StyledRow, text: &str, center: usize, width: usize, style: Style) {
    let t = truncate(text, width.saturating_sub(1));
    let n = t.chars().count();
    row.put(center.saturating_sub(n / 2), &t, style);
}

/// The rows of the ladder for the events `from..to`, and its two title
/// rows.
fn ladder_lines(
    c: &CallScreen,
    columns: &[(SocketAddr, &'static str)],
    inner: usize,
    from: usize,
    to: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, usize) {
    let g = Geometry::new(columns, inner);
    let failed = c.doc.verdict.failed();
    let mut lines = Vec::new();
    // Roles, then addresses; addresses wider than a column alternate
    // between two rows so that each is shown whole.
    let addr_text = |addr: &SocketAddr| {
        if addr.port() == 0 {
            addr.ip().to_string()
        } else {
            addr.to_string()
        }
    };
    let mut names: Vec<String> = g.columns.iter().map(|(a, _)| addr_text(a)).collect();
    if g.others {
        names.push("(others)".into());
    }
    let staggered = names.iter().any(|n| n.chars().count() >= g.width);
    let mut roles = StyledRow::blank(inner);
    let mut rows = [StyledRow::blank(inner), StyledRow::blank(inner)];
    for (i, name) in names.iter().enumerate() {
        if let Some((_, role)) = g.columns.get(i) {
            centered(&mut roles, role, g.lifeline(i), g.width, theme.title());
        }
        let (row, width) = if staggered {
            (&mut rows[i % 2], 2 * g.width)
        } else {
            (&mut rows[0], g.width)
        };
        centered(row, name, g.lifeline(i), width, theme.header());
    }
    lines.push(Line::from(roles.into_spans()));
    let [first, second] = rows;
    lines.push(Line::from(first.into_spans()));
    if staggered {
        lines.push(Line::from(second.into_spans()));
    }

    let title_rows = lines.len();
    let base = c.doc.timeline.first().map_or(0, |e| e.ts_ns());
    for (k, e) in c.doc.timeline[from..to].iter().enumerate() {
        let i = from + k;
        let mut row = StyledRow::blank(inner);
        for col in 0..g.n() {
            row.put(g.lifeline(col), "|", theme.dim());
        }
        let marked = e.evidence && failed;
        let style = if marked {
            theme.failed()
        } else {
            theme.protocol(&e.protocol)
        };
        row.put(
            0,
            &format!(
                "{}{:>7} {:>10}",
                if marked { '*' } else { ' ' },
                e.frame,
                format_relative(e.ts_ns(), base)
            ),
            if marked {
                theme.failed()
            } else {
                Style::default()
            },
        );
        let (a, b) = (g.index(e.src), g.index(e.dst));
        let text = label(e, &c.doc.media.streams);
        let end = if a == b {
            let s = format!("<> {text}");
            row.put(g.lifeline(a) + 1, &s, style);
            g.lifeline(a) + 1 + s.chars().count()
        } else {
            let (lo, hi) = (g.lifeline(a.min(b)), g.lifeline(a.max(b)));
            let body = if marked {
                "="
            } else if e.protocol == "RTP" {
                "#"
            } else {
                "-"
            };
            row.put(lo + 1, &body.repeat(hi - lo - 1), style);
            if b > a {
                row.put(hi - 1, ">", style);
            } else {
                row.put(lo + 1, "<", style);
            }
            let room = hi - lo - 3;
            let t = truncate(&text, room.saturating_sub(2));
            let start = lo + 2 + (room - t.chars().count()) / 2;
            row.put(start, &t, style);
            hi + 1
        };
        // The full text, where the label left something out and room is left.
        let note_at = end.max(LEFT + g.n() * g.width) + 1;
        if text != e.text && note_at + 12 < inner {
            row.put(note_at, &truncate(&e.text, inner - note_at), theme.dim());
        }
        let mut line = Line::from(row.into_spans());
        if i == c.cursor {
            line = line.style(if c.focus == Focus::Ladder {
                theme.cursor()
            } else {
                Style::default().add_modifier(ratatui::style::Modifier::UNDERLINED)
            });
        }
        lines.push(line);
    }
    (lines, title_rows)
}

pub fn draw(f: &mut Frame<'_>, s: &mut AppState, theme: &Theme, area: Rect) {
    let (ladder_area, verdict_area) = if area.width >= SIDE_BY_SIDE {
        let [l, v] = Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
            .areas(area);
        (l, v)
    } else {
        let [l, v] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        (l, v)
    };
    let chosen = s.selected.clone();
    let Some(Screen::Call(c)) = s.screens.last_mut() else {
        return;
    };
    let entry = &s.calls[c.entry];
    let title = format!(
        " call {}{}  {}  {} ",
        c.doc.number,
        if chosen.contains(&c.doc.number) {
            " *"
        } else {
            ""
        },
        c.doc.kind,
        truncate(&c.doc.id, usize::from(ladder_area.width).saturating_sub(30)),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(ladder_area);

    // Title rows (two, or three when addresses alternate), events, and
    // the selected event's whole text at the foot.
    let title_rows = ladder_lines(c, &entry.columns, usize::from(inner.width), 0, 0, theme).1;
    let rows = usize::from(inner.height).saturating_sub(title_rows + 2);
    s.page_rows = rows;
    let n = c.doc.timeline.len();
    if c.cursor < c.offset {
        c.offset = c.cursor;
    } else if rows > 0 && c.cursor >= c.offset + rows {
        c.offset = c.cursor + 1 - rows;
    }
    let to = (c.offset + rows).min(n);
    // Which events are on screen, so that hidden ones above or below are
    // never a surprise; and what the times count from.
    let place = if n > 0 {
        format!(
            " events {}-{} of {}{}; t: s from call start ",
            c.offset + 1,
            to,
            n,
            match (c.offset > 0, to < n) {
                (true, true) => ", more above and below",
                (true, false) => ", more above",
                (false, true) => ", more below",
                (false, false) => "",
            }
        )
    } else {
        String::new()
    };
    let block = block.title_bottom(Span::styled(
        truncate(&place, usize::from(ladder_area.width).saturating_sub(2)),
        if to < n || c.offset > 0 {
            theme.key()
        } else {
            theme.dim()
        },
    ));
    f.render_widget(block, ladder_area);
    let (mut lines, _) = ladder_lines(
        c,
        &entry.columns,
        usize::from(inner.width),
        c.offset,
        to,
        theme,
    );
    if n == 0 {
        lines.push(Line::from(Span::styled("(no events)", theme.dim())));
    }
    s.hit.ladder_rows = Rect {
        y: inner.y.saturating_add(title_rows as u16),
        // Within the pane's rows.
        height: (to - c.offset) as u16,
        ..inner
    };
    f.render_widget(Paragraph::new(lines), inner);
    if let Some(e) = c.doc.timeline.get(c.cursor) {
        // The frames the timeline kept; a folded event may count more.
        let frames = if e.frames.len() > 1 {
            let more = e.count.saturating_sub(e.frames.len() as u64);
            let list: Vec<String> = e.frames.iter().map(u64::to_string).collect();
            if more > 0 && e.protocol != "RTP" {
                format!(" (frames {} and {more} more)", list.join(", "))
            } else {
                format!(" (frames {})", list.join(", "))
            }
        } else {
            String::new()
        };
        let detail = format!("{} {} -> {}: {}{frames}", e.protocol, e.src, e.dst, e.text);
        let foot = Rect {
            y: inner.y + inner.height.saturating_sub(2),
            height: 2.min(inner.height),
            ..inner
        };
        f.render_widget(
            Paragraph::new(
                wrap(&detail, usize::from(inner.width))
                    .into_iter()
                    .take(2)
                    .map(|l| Line::from(Span::styled(l, theme.dim())))
                    .collect::<Vec<_>>(),
            ),
            foot,
        );
    }
    (s.hit.evidence_rows, s.hit.evidence_first) = draw_verdict(f, c, theme, verdict_area);
}

/// The verdict pane; returns where the evidence rows are, for the mouse,
/// and the index of the first one shown.
fn draw_verdict(f: &mut Frame<'_>, c: &mut CallScreen, theme: &Theme, area: Rect) -> (Rect, usize) {
    let v = &c.doc.verdict;
    let title = if c.focus == Focus::Details {
        " verdict (Up/Down scroll, Tab leaves) "
    } else {
        " verdict "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = usize::from(inner.width);
    let failed = v.failed();
    let pending = v.code == "capture-ended";
    let style = if failed {
        theme.failed()
    } else if pending {
        theme.waiting()
    } else {
        theme.ok()
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let outcome = if failed {
        "FAILED"
    } else if pending {
        "still in progress when the capture ended"
    } else {
        "ok"
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", v.code), style),
        Span::raw(format!("stage {}  ", v.stage)),
        Span::styled(outcome.to_string(), style),
    ]));
    if let Some(t) = v.twilio_error {
        lines.push(Line::from(format!(
            "Twilio {t}: {}",
            twilio_error_meaning(t)
        )));
    }
    for l in wrap(&v.summary, w) {
        lines.push(Line::from(l));
    }
    // The line the evidence starts on, for the mouse.
    let mut evidence_start: Option<usize> = None;
    if !v.evidence.is_empty() {
        lines.push(Line::from(Span::styled(
            "evidence (Tab, then Enter opens the frame)",
            theme.header(),
        )));
        evidence_start = Some(lines.len());
        for (i, e) in v.evidence.iter().enumerate() {
            let mut line = Line::from(truncate(&format!("{:>7}  {}", e.frame, e.text), w));
            if i == c.evidence_cursor && c.focus == Focus::Evidence {
                line = line.style(theme.cursor());
            }
            lines.push(line);
        }
    }
    if !c.doc.media.streams.is_empty() {
        lines.push(Line::from(Span::styled("media", theme.header())));
        for st in &c.doc.media.streams {
            let codec = static_encoding_name(st.payload_type)
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            let loss = if st.expected > 0 {
                st.lost as f64 * 100.0 / st.expected as f64
            } else {
                0.0
            };
            lines.push(Line::from(truncate(
                &format!(
                    "{} -> {}{}",
                    st.src,
                    st.dst,
                    if st.relayed { " (TURN)" } else { "" }
                ),
                w,
            )));
            let mos = st.mos.map_or("-".to_string(), |m| format!("{m:.2}"));
            lines.push(Line::from(Span::styled(
                truncate(
                    &format!(
                        "  PT {}{codec}  {} pkts  lost {} ({loss:.1}%)",
                        st.payload_type, st.packets, st.lost
                    ),
                    w,
                ),
                theme.dim(),
            )));
            lines.push(Line::from(Span::styled(
                truncate(&format!("  jitter {:.1} ms  MOS {mos}", st.jitter_ms), w),
                theme.dim(),
            )));
        }
    }
    if let Some(sip) = &c.doc.sip {
        lines.push(Line::from(Span::styled("SIP dialog", theme.header())));
        lines.push(Line::from(truncate(
            &format!(
                "{} {} -> {}  final {}",
                sip.method,
                sip.from,
                sip.to,
                sip.final_status.map_or("none".into(), |s| s.to_string())
            ),
            w,
        )));
        lines.push(Line::from(truncate(&format!("Call-ID {}", sip.call_id), w)));
    }
    if !v.advice.is_empty() {
        lines.push(Line::from(Span::styled("what to do", theme.header())));
        for a in &v.advice {
            for (k, l) in wrap(a, w.saturating_sub(2)).into_iter().enumerate() {
                lines.push(Line::from(format!(
                    "{}{l}",
                    if k == 0 { "- " } else { "  " }
                )));
            }
        }
    }
    // A pane longer than its room scrolls (Tab to it, then Up/Down), and
    // says that more is below.
    let rows = usize::from(inner.height);
    let scroll = c.details_scroll.min(lines.len().saturating_sub(rows));
    c.details_scroll = scroll;
    let hidden_below = lines.len() > scroll + rows;
    let mut shown: Vec<Line<'static>> = lines.into_iter().skip(scroll).take(rows).collect();
    if hidden_below {
        if let Some(last) = shown.last_mut() {
            *last = Line::from(Span::styled(
                if c.focus == Focus::Details {
                    "(more below: Down)"
                } else {
                    "(more below: Tab to this pane, then Down)"
                },
                theme.key(),
            ));
        }
    }
    f.render_widget(Paragraph::new(shown), inner);
    // Evidence scrolled away or past the pane was not drawn: not clickable.
    let Some(start) = evidence_start else {
        return (Rect::default(), 0);
    };
    let first = start.max(scroll);
    let last =
        (start + v.evidence.len()).min((scroll + rows).saturating_sub(usize::from(hidden_below)));
    if first >= last {
        return (Rect::default(), 0);
    }
    // Both within the pane's rows, so within u16.
    let rect = Rect {
        y: inner.y + (first - scroll) as u16,
        height: (last - first) as u16,
        ..inner
    };
    (rect, first - start)
}
