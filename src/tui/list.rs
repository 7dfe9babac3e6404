//! The call list: one row per call, only the rows on screen built (a list
//! of 100 000 calls costs what a screenful costs), columns dropped from
//! the least needed as the terminal narrows.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::report::format_utc;
use crate::report::ladder::truncate;

use super::draw::grouped;
use super::model::{CallRow, STAGE_TITLES};
use super::state::{AppState, SortKey};
use super::theme::Theme;

/// A column: what it shows, its width (0: takes what is left), the
/// narrowest terminal that shows it, and what it sorts by.
struct Column {
    title: &'static str,
    width: u16,
    from_width: u16,
    sort: Option<SortKey>,
}

const COLUMNS: [Column; 12] = [
    Column {
        title: " ",
        width: 1,
        from_width: 0,
        sort: None,
    },
    Column {
        title: "#",
        width: 6,
        from_width: 0,
        sort: Some(SortKey::Number),
    },
    Column {
        title: "start UTC",
        width: 12,
        from_width: 110,
        sort: Some(SortKey::Start),
    },
    Column {
        title: "kind",
        width: 16,
        from_width: 150,
        sort: Some(SortKey::Kind),
    },
    Column {
        title: "from -> to / endpoints",
        width: 0,
        from_width: 0,
        sort: Some(SortKey::Parties),
    },
    Column {
        title: STAGE_TITLES[0],
        width: 4,
        from_width: 0,
        sort: Some(SortKey::Stage),
    },
    Column {
        title: STAGE_TITLES[1],
        width: 4,
        from_width: 0,
        sort: Some(SortKey::Stage),
    },
    Column {
        title: STAGE_TITLES[2],
        width: 4,
        from_width: 0,
        sort: Some(SortKey::Stage),
    },
    Column {
        title: STAGE_TITLES[3],
        width: 5,
        from_width: 0,
        sort: Some(SortKey::Stage),
    },
    Column {
        title: "code",
        width: 22,
        from_width: 0,
        sort: Some(SortKey::Code),
    },
    Column {
        title: "duration",
        width: 9,
        from_width: 92,
        sort: Some(SortKey::Duration),
    },
    Column {
        title: "frames",
        width: 8,
        from_width: 100,
        sort: Some(SortKey::Frames),
    },
];

fn duration(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s < 600.0 {
        format!("{s:.1} s")
    } else {
        let s = s as u64;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

fn cell_text(i: usize, r: &CallRow) -> String {
    match i {
        1 => r.number.to_string(),
        2 => format_utc(r.start_ns)
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_string(),
        3 => r.kind.clone(),
        4 => r.parties.clone(),
        9 => r.code.clone(),
        10 => duration(r.duration_ns()),
        11 => grouped(r.frames),
        _ => String::new(),
    }
}

pub fn draw(f: &mut Frame<'_>, s: &mut AppState, theme: &Theme, area: Rect) {
    let shown: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| area.width >= COLUMNS[i].from_width)
        .collect();
    let rows_area = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let height = usize::from(rows_area.height);
    s.page_rows = height;
    if s.cursor < s.offset {
        s.offset = s.cursor;
    } else if height > 0 && s.cursor >= s.offset + height {
        s.offset = s.cursor + 1 - height;
    }
    s.offset = s.offset.min(s.view.len().saturating_sub(height.max(1)));

    if s.view.is_empty() {
        let live = s.progress.live.lock().ok().is_some_and(|l| l.is_some());
        let text = if !s.calls.is_empty() {
            "no call matches the filter (c clears it)"
        } else if live && s.loading() {
            "capturing: calls appear here as they start (SIP, STUN/TURN, DTLS, RTP); q stops"
        } else if live {
            "no call was captured"
        } else if s.loading() {
            "reading the capture; calls appear here as they are judged"
        } else if s.load_error.is_some() {
            "the capture could not be read"
        } else {
            "no call in this capture"
        };
        f.render_widget(Paragraph::new(text).style(theme.dim()), rows_area);
    }

    // Widths: fixed columns as given, the parties column takes the rest.
    let fixed: u16 =
        shown.iter().map(|&i| COLUMNS[i].width).sum::<u16>() + shown.len().saturating_sub(1) as u16;
    let parties = area.width.saturating_sub(fixed).max(10);
    let widths: Vec<u16> = shown
        .iter()
        .map(|&i| {
            if COLUMNS[i].width == 0 {
                parties
            } else {
                COLUMNS[i].width
            }
        })
        .collect();

    // Where each column's title is, for clicks.
    let mut x = area.x;
    s.hit.list_columns.clear();
    for (k, &i) in shown.iter().enumerate() {
        if let Some(key) = COLUMNS[i].sort {
            s.hit
                .list_columns
                .push((x, x.saturating_add(widths[k]), key));
        }
        x = x.saturating_add(widths[k]).saturating_add(1);
    }
    s.hit.list_header = Rect { height: 1, ..area };
    s.hit.list_rows = rows_area;

    let header = Row::new(shown.iter().map(|&i| {
        let c = &COLUMNS[i];
        let mut t = c.title.to_string();
        if c.sort == Some(s.sort) && !(c.sort == Some(SortKey::Stage) && i != 5) {
            t.push(if s.reverse { 'v' } else { '^' });
        }
        Cell::from(t)
    }))
    .style(theme.header());

    let end = (s.offset + height).min(s.view.len());
    let rows: Vec<Row<'_>> = s.view[s.offset..end]
        .iter()
        .enumerate()
        .map(|(k, &idx)| {
            let r = &s.calls[idx].row;
            let chosen = s.selected.contains(&r.number);
            // A cut value says so (`~`): a cut address must not pass for
            // another address.
            let cells = shown.iter().zip(&widths).map(|(&i, &w)| match i {
                0 => Cell::from(if chosen { "*" } else { " " }).style(theme.chosen()),
                5..=8 => {
                    let b = r.badges[i - 5];
                    Cell::from(b.text()).style(theme.badge(b))
                }
                9 => {
                    let style = if r.failed {
                        theme.failed()
                    } else if r.pending {
                        theme.waiting()
                    } else {
                        theme.ok()
                    };
                    Cell::from(truncate(&r.code, usize::from(w))).style(style)
                }
                _ => Cell::from(truncate(&cell_text(i, r), usize::from(w))),
            });
            let mut row = Row::new(cells.collect::<Vec<_>>());
            if s.offset + k == s.cursor {
                row = row.style(theme.cursor());
            } else if chosen {
                row = row.style(theme.chosen());
            }
            row
        })
        .collect();
    let table = Table::new(
        rows,
        widths
            .iter()
            .map(|&w| Constraint::Length(w))
            .collect::<Vec<_>>(),
    )
    .header(header)
    .column_spacing(1);
    f.render_widget(table, area);
}
