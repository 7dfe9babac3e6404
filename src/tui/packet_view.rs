//! The packet view: one frame of the call, decoded field by field (SIP as
//! its text with the SDP, STUN attributes, DTLS records and handshake
//! fields, the RTP header) as `packets --format json` gives them, then a
//! hex dump.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use serde_json::Value;

use crate::report::format_utc;

use super::feed::{FrameDetail, MAX_FRAME_BYTES};
use super::state::{AppState, Screen};
use super::theme::Theme;

/// A JSON value as indented `name: value` lines; nulls left out.
fn field_lines(name: &str, v: &Value, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Null => {}
        Value::Object(m) => {
            if !name.is_empty() {
                out.push(format!("{pad}{name}:"));
            }
            let d = if name.is_empty() { depth } else { depth + 1 };
            for (k, x) in m {
                field_lines(k, x, d, out);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push(format!("{pad}{name}: [{}]", items.join(", ")));
        }
        Value::Array(a) => {
            out.push(format!("{pad}{name}: {} items", a.len()));
            for (i, x) in a.iter().enumerate() {
                field_lines(&format!("[{i}]"), x, depth + 1, out);
            }
        }
        _ => out.push(format!("{pad}{name}: {}", scalar(v))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Classic hex dump: offset, 16 bytes, printable ASCII.
pub fn hex_lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::new();
            for (k, b) in chunk.iter().enumerate() {
                if k == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:04x}  {hex:<49} {ascii}", i * 16)
        })
        .collect()
}

/// Every line the view scrolls through.
pub fn detail_lines(d: &FrameDetail) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = vec![(d.info.clone(), true), (String::new(), false)];
    let section = |title: &str, lines: Vec<String>, out: &mut Vec<(String, bool)>| {
        out.push((title.to_string(), true));
        out.extend(lines.into_iter().map(|l| (l, false)));
        out.push((String::new(), false));
    };
    if let Some(t) = &d.sip_text {
        section(
            "SIP message",
            t.lines()
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect(),
            &mut out,
        );
    }
    let mut fields = Vec::new();
    field_lines("", &d.fields, 0, &mut fields);
    section("decoded fields", fields, &mut out);
    let mut title = format!("bytes ({} captured", d.bytes.len());
    if u64::from(d.orig_len) > d.bytes.len() as u64 {
        title.push_str(&format!(" of {} on the wire", d.orig_len));
    }
    if d.bytes.len() == MAX_FRAME_BYTES {
        title.push_str(", cut for the view");
    }
    title.push(')');
    section(&title, hex_lines(&d.bytes), &mut out);
    out
}

pub fn draw(f: &mut Frame<'_>, s: &mut AppState, theme: &Theme, area: Rect) {
    let Some(Screen::Packet(p)) = s.screens.last() else {
        return;
    };
    let frame = p.frame;
    // Where this frame is among the call's, for stepping with Left/Right.
    let at = s
        .frame_place(frame)
        .map(|(i, n)| format!(" ({} of {n} in the call)", i + 1))
        .unwrap_or_default();
    let Some(Screen::Packet(p)) = s.screens.last_mut() else {
        return;
    };
    let title = match s.frames.get(&frame) {
        Some(d) => {
            let side = |k: &str| {
                d.fields
                    .get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_string()
            };
            format!(
                " frame {frame}{at}  {}  {} -> {}  {}{:03}  {} bytes ",
                d.protocol.to_uppercase(),
                side("src"),
                side("dst"),
                format_utc(d.ts_ns),
                d.ts_ns.rem_euclid(1_000_000) / 1_000,
                d.orig_len,
            )
        }
        None => format!(" frame {frame}{at} "),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    s.hit.packet_rows = inner;
    let rows = usize::from(inner.height);
    s.page_rows = rows;
    let lines: Vec<Line<'static>> = match s.frames.get(&frame) {
        Some(d) => {
            let all = detail_lines(d);
            p.scroll = p.scroll.min(all.len().saturating_sub(rows));
            all.into_iter()
                .skip(p.scroll)
                .take(rows)
                .map(|(l, title)| {
                    if title {
                        Line::from(Span::styled(l, theme.header()))
                    } else {
                        Line::from(l)
                    }
                })
                .collect()
        }
        None if s.fetching.contains(&frame) => vec![Line::from(Span::styled(
            format!("decoding frame {frame} (reading the capture again) ..."),
            theme.waiting(),
        ))],
        None => vec![Line::from(Span::styled(
            format!("frame {frame} could not be read again from {}", s.file),
            theme.failed(),
        ))],
    };
    f.render_widget(Paragraph::new(lines), inner);
}
