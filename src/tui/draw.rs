//! Drawing: the header and footer every screen shares, and which screen
//! draws the middle. Widgets read the state; they change only the scroll
//! offsets and the areas the mouse needs.

use std::sync::atomic::Ordering;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::state::{AppState, Screen};
use super::theme::Theme;
use super::{call_view, list, overlay, packet_view};

/// The smallest terminal the UI draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// `1 234 567`: frame and call counts in thousands, as the screen's
/// counts run to millions.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

pub fn draw(f: &mut Frame<'_>, state: &mut AppState, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}x{}, callscope needs at least {MIN_WIDTH}x{MIN_HEIGHT} (q quits)",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, state, theme, header);
    match state.screens.last() {
        Some(Screen::Call(_)) => call_view::draw(f, state, theme, body),
        Some(Screen::Packet(_)) => packet_view::draw(f, state, theme, body),
        _ => list::draw(f, state, theme, body),
    }
    draw_footer(f, state, theme, footer);
    if state.overlay.is_some() {
        overlay::draw(f, state, theme, area);
    }
}

/// A live capture's part of the header: where, how long, how many packets
/// and every drop (never hidden: in red when there is one).
fn live_spans(live: &super::feed::LiveHeader, theme: &Theme) -> Vec<Span<'static>> {
    let t = live.elapsed_s;
    let clock = format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
    let state = match live.stopped_by {
        None => Span::styled(format!("LIVE {} {clock}", live.interfaces), theme.title()),
        Some(why) => Span::styled(
            format!("stopped ({why}) {} {clock}", live.interfaces),
            theme.waiting(),
        ),
    };
    let drops = live.dropped_by_kernel + live.dropped_by_interface;
    let dropped = if drops == 0 {
        Span::raw("  0 dropped")
    } else {
        Span::styled(
            format!(
                "  DROPPED {} kernel, {} interface",
                grouped(live.dropped_by_kernel),
                grouped(live.dropped_by_interface)
            ),
            theme.failed(),
        )
    };
    vec![
        state,
        Span::raw(format!("  {} packets", grouped(live.packets))),
        dropped,
    ]
}

fn draw_header(f: &mut Frame<'_>, s: &AppState, theme: &Theme, area: Rect) {
    let p = &s.progress;
    let live = p.live.lock().ok().and_then(|l| l.clone());
    let reading = if let Some(e) = &s.load_error {
        Span::styled(format!("cannot read: {e}"), theme.failed())
    } else if live.is_some() {
        Span::raw("")
    } else if s.loading() {
        let frames = p.frames.load(Ordering::Relaxed);
        let pct = s
            .total_bytes
            .filter(|&t| t > 0)
            .map(|t| {
                let b = p.bytes.load(Ordering::Relaxed).min(t);
                format!("{:>3}%  ", b * 100 / t)
            })
            .unwrap_or_default();
        Span::styled(
            format!("reading {pct}{} frames", grouped(frames)),
            theme.waiting(),
        )
    } else if let Some(sum) = s.summary.as_ref().filter(|x| x.error.is_some()) {
        // A capture cut short: its calls may be judged on part of them.
        Span::styled(
            format!(
                "{} frames, then reading stopped (? says why)",
                grouped(sum.frames)
            ),
            theme.failed(),
        )
    } else if let Some(sum) = &s.summary {
        let mut t = format!("{} frames", grouped(sum.frames));
        if sum.undecodable > 0 {
            t.push_str(&format!(", {} undecodable", grouped(sum.undecodable)));
        }
        t.push_str(&format!(", read in {:.1} s", sum.seconds));
        Span::raw(t)
    } else {
        Span::raw("")
    };
    // The counts first: a long path must not push them off the line.
    let calls = (s.calls.len() - s.hidden) as u64;
    let mut line1 = vec![
        Span::styled("callscope ", theme.title()),
        Span::raw(format!(
            "calls {} (shown {}, at {})  ",
            grouped(calls),
            grouped(s.view.len() as u64),
            grouped(if s.view.is_empty() {
                0
            } else {
                s.cursor as u64 + 1
            }),
        )),
    ];
    if !s.selected.is_empty() {
        line1.push(Span::styled(
            format!("selected {}  ", s.selected.len()),
            theme.chosen(),
        ));
    }
    if s.sort != super::state::SortKey::Number || s.reverse {
        line1.push(Span::raw(format!(
            "sorted by {} {}  ",
            s.sort.title(),
            if s.reverse { "v" } else { "^" }
        )));
    }
    line1.push(reading);
    match &live {
        Some(l) => {
            // First after the name: drops must never be cut off the line.
            let mut spans = live_spans(l, theme);
            spans.push(Span::raw("  "));
            line1.splice(1..1, spans);
            if l.temporary {
                line1.push(Span::raw("  (not saved: --write FILE keeps it)"));
            } else if let Some((last, _)) = l.files.last() {
                let verb = if l.stopped_by.is_some() {
                    "saved to"
                } else {
                    "saving to"
                };
                line1.push(Span::raw(format!("  {verb} {last}")));
            }
        }
        None => line1.push(Span::raw(format!("  {}", s.file))),
    }
    let mut line2 = vec![
        Span::styled(format!("failed {}", grouped(s.failed)), theme.failed()),
        Span::raw("  "),
        Span::styled(format!("waiting {}", grouped(s.waiting)), theme.waiting()),
        Span::raw("  by stage:"),
    ];
    for stage in ["sip", "ice", "dtls", "media", "none"] {
        line2.push(Span::raw(format!(
            " {stage} {}",
            grouped(s.by_stage.get(stage).copied().unwrap_or(0))
        )));
    }
    if s.unlisted > 0 {
        line2.push(Span::styled(
            format!("  {} calls could not be listed", grouped(s.unlisted)),
            theme.failed(),
        ));
    }
    if let Some(sum) = &s.summary {
        if !sum.warnings.is_empty() {
            line2.push(Span::styled(
                format!("  {} warnings (?)", sum.warnings.len()),
                theme.waiting(),
            ));
        }
    }
    let mut codes: Vec<(&String, &u64)> = s.by_code.iter().collect();
    codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut all = String::from("codes:");
    for (c, n) in codes {
        all.push_str(&format!(" {c} {}", grouped(*n)));
    }
    let mut line3 = vec![Span::raw(crate::report::ladder::truncate(
        &all,
        usize::from(area.width),
    ))];
    if !s.filter.is_empty() {
        line3 = vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(s.filter.describe()),
            Span::styled("  (c clears)", theme.dim()),
        ];
    }
    f.render_widget(
        Paragraph::new(vec![
            Line::from(line1),
            Line::from(line2),
            Line::from(line3),
        ]),
        area,
    );
}

fn draw_footer(f: &mut Frame<'_>, s: &AppState, theme: &Theme, area: Rect) {
    let keys: &[(&str, &str)] = match s.screens.last() {
        Some(Screen::Call(_)) => &[
            ("Enter", "frame"),
            ("Tab", "ladder/evidence/verdict"),
            ("Space", "select"),
            ("s", "save"),
            ("Esc", "back"),
            ("?", "help"),
        ],
        Some(Screen::Packet(_)) => &[
            ("arrows", "scroll"),
            ("<- ->", "prev/next frame"),
            ("s", "save call"),
            ("Esc", "back"),
            ("?", "help"),
        ],
        _ => &[
            ("Enter", "open"),
            ("Space", "select"),
            ("/", "search"),
            ("f", "filter"),
            ("< >", "sort"),
            ("s", "save"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let mut spans = Vec::new();
    if let Some(st) = &s.status {
        // The message first and whole; the keys are in `?`.
        spans.push(Span::styled(format!("{st}  "), theme.waiting()));
        spans.push(Span::styled("?", theme.key()));
        spans.push(Span::raw(" help"));
        f.render_widget(
            Paragraph::new(Line::from(spans)).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    for (k, what) in keys {
        spans.push(Span::styled(*k, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
