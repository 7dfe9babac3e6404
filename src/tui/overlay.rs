//! What is drawn over a screen: help, the filter dialog, the search line
//! and the save prompt.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::report::ladder::wrap;

use super::state::{AppState, Overlay, FILTER_FIELDS};
use super::theme::Theme;

/// Every key, by screen: what `?` shows.
pub const HELP: &[(&str, &str)] = &[
    ("", "everywhere"),
    ("? F1", "this help (scroll keys scroll it, any other key closes it)"),
    ("s F2", "save the selected calls (or the open one, or the one under the cursor) to BASE.pcapng and BASE.json"),
    ("Ctrl-C", "quit"),
    ("", "call list"),
    ("Up Down j k", "move"),
    ("PgUp PgDn", "move a page"),
    ("Home End g G", "first, last call"),
    ("Enter", "open the call (or click it twice)"),
    ("Space", "select the call for saving and move down, as sngrep does (A: all shown, or none)"),
    ("/", "search Call-ID, URI, address, ufrag, code; #N is call N (Enter keeps, Esc clears)"),
    ("f F7", "filter dialog: result, stage, kind, code"),
    ("c", "clear every filter"),
    ("< >", "sort by the previous, next column (or click its title)"),
    ("r z", "reverse the order"),
    ("q Esc", "quit (Esc first clears a filter)"),
    ("", "call view"),
    ("Up Down j k", "move along the ladder or the evidence, or scroll the verdict pane"),
    ("Tab", "ladder, then evidence, then the verdict pane (Up/Down scroll it)"),
    ("Enter", "open the frame of the event or the evidence (or click it twice)"),
    ("Space", "select the call for saving"),
    ("Esc q", "back to the list"),
    ("", "packet view"),
    ("Up Down PgUp PgDn", "scroll"),
    ("Left Right h l p n", "previous, next frame the ladder names (each event's frames and the evidence)"),
    ("Esc q", "back to the call"),
    ("", "ladder"),
    ("*, ===", "the evidence of a failed call: the failing step"),
    ("##RTP xN##", "an RTP stream of N packets, with its loss and jitter"),
    ("x6", "an event sent 6 times (retransmissions folded)"),
    ("", "stage badges"),
    ("ok FAIL wait -", "passed, failed here, still here when the capture ended, not seen"),
];

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn draw(f: &mut Frame<'_>, s: &mut AppState, theme: &Theme, area: Rect) {
    let Some(overlay) = s.overlay.clone() else {
        return;
    };
    match overlay {
        Overlay::Help { scroll } => {
            let r = centered(area, area.width.saturating_sub(4).min(110), area.height - 2);
            // Lines wrapped here, not by the paragraph, so that scrolling
            // counts the lines drawn.
            let w = usize::from(r.width.saturating_sub(2));
            let text_width = w.saturating_sub(24).max(20);
            let mut lines: Vec<Line<'static>> = Vec::new();
            for (k, what) in HELP {
                if k.is_empty() {
                    lines.push(Line::from(Span::styled(what.to_string(), theme.header())));
                    continue;
                }
                for (i, part) in wrap(what, text_width).into_iter().enumerate() {
                    let key = if i == 0 { *k } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {key:<22}"), theme.key()),
                        Span::raw(part),
                    ]));
                }
            }
            if let Some(sum) = &s.summary {
                if !sum.warnings.is_empty() || sum.error.is_some() {
                    lines.push(Line::from(Span::styled("this capture", theme.header())));
                    if let Some(e) = &sum.error {
                        for part in
                            wrap(&format!("reading stopped early: {e}"), w.saturating_sub(2))
                        {
                            lines.push(Line::from(Span::styled(
                                format!("  {part}"),
                                theme.failed(),
                            )));
                        }
                    }
                    for warning in &sum.warnings {
                        for part in wrap(warning, w.saturating_sub(2)) {
                            lines.push(Line::from(format!("  {part}")));
                        }
                    }
                }
            }
            let rows = usize::from(r.height.saturating_sub(2));
            let scroll = scroll.min(lines.len().saturating_sub(rows));
            if let Some(Overlay::Help { scroll: s2 }) = s.overlay.as_mut() {
                *s2 = scroll;
            }
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()).block(
                    Block::default().borders(Borders::ALL).title(Span::styled(
                        " keys (Up/Down/PgUp/PgDn/Home/End scroll, any other key closes) ",
                        theme.title(),
                    )),
                ),
                r,
            );
        }
        Overlay::Filter(d) => {
            let r = centered(area, 76, 9);
            let mut lines = Vec::new();
            for (i, name) in FILTER_FIELDS.iter().enumerate() {
                let value = match i {
                    0 => d.draft.result.text().to_string(),
                    1 => d.draft.stage.clone().unwrap_or_else(|| "any".into()),
                    2 => d.draft.kind.clone().unwrap_or_else(|| "any".into()),
                    _ => d.draft.code.clone().unwrap_or_else(|| "any".into()),
                };
                let mut line = Line::from(vec![
                    Span::raw(format!("  {name:<8}")),
                    Span::styled(format!("< {value} >"), theme.key()),
                ]);
                if i == d.field {
                    line = line.style(theme.cursor());
                }
                lines.push(line);
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "  Up/Down field  Left/Right value  c clear  Enter apply  Esc cancel",
                theme.dim(),
            )));
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(" filter calls ", theme.title())),
                ),
                r,
            );
        }
        Overlay::Search => {
            let r = Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            };
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled("/", theme.key()),
                    Span::raw(s.filter.text.clone()),
                    Span::styled("_   (Enter keeps, Esc clears)", theme.dim()),
                ])),
                r,
            );
        }
        Overlay::Save { base, numbers } => {
            let r = centered(area, 76, 9);
            let what = if numbers.len() == 1 {
                format!("call {}", numbers[0])
            } else {
                format!("{} calls", numbers.len())
            };
            let dir = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".into());
            let exists = [".pcapng", ".json"]
                .iter()
                .any(|ext| std::path::Path::new(&format!("{base}{ext}")).exists());
            let mut lines = vec![
                Line::from(format!("  save {what}: frames (pcapng) and report (JSON)")),
                Line::from(Span::styled(format!("  in {dir}"), theme.dim())),
                Line::from(""),
                Line::from(vec![
                    Span::raw("  to "),
                    Span::styled(base.clone(), theme.key()),
                    Span::styled(" ", theme.cursor()),
                    Span::raw(" .pcapng and .json"),
                ]),
                Line::from(""),
            ];
            lines.push(if exists {
                Line::from(Span::styled(
                    "  a file of that name exists: Enter overwrites it, Esc cancels",
                    theme.failed(),
                ))
            } else {
                Line::from(Span::styled("  Enter saves, Esc cancels", theme.dim()))
            });
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(" save ", theme.title())),
                ),
                r,
            );
        }
    }
}
