//! `callscope ladder`: a call's timeline as a text sequence diagram, in the
//! manner of sngrep's call flow: one column per endpoint (named where its
//! role is known), one arrow per event, frame numbers at the left, the
//! events that prove the verdict marked. Fits 120 columns, to paste into a
//! ticket.

use std::io::{self, Write};
use std::net::SocketAddr;

use crate::analysis::timeline::TimelineEvent;
use crate::engine::JudgedCall;

use super::format_relative;

/// The whole width of a ladder.
pub const WIDTH: usize = 120;
/// Frame number, time and marker at the left of each line.
const LEFT: usize = 21;
const MIN_COLUMN: usize = 16;
const MAX_COLUMN: usize = 28;
/// The least room worth giving an event's full text beside the diagram.
const MIN_NOTE: usize = 20;

fn role_of(c: &JudgedCall<'_>, addr: SocketAddr) -> &'static str {
    let p = c.parts();
    if p.allocations.iter().any(|a| a.server == addr) {
        return "TURN";
    }
    if p.allocations.iter().any(|a| a.relayed == Some(addr)) {
        return "relay";
    }
    if p.server_queries.iter().any(|q| q.server == addr) {
        return "STUN";
    }
    if addr.port() == 0 {
        return "ICMP from";
    }
    if let Some(d) = p.dialog {
        if d.caller == addr || d.callee == addr {
            return "SIP";
        }
    }
    if p.connection.is_some_and(|t| t.server == addr) {
        return "SIP";
    }
    ""
}

/// `s` cut to `max` characters, a `~` marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('~');
    t
}

/// Splits text into lines of at most `width` characters, at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn centered(s: &str, width: usize) -> String {
    let s = truncate(s, width);
    let n = s.chars().count();
    let left = (width - n) / 2;
    format!("{}{}{}", " ".repeat(left), s, " ".repeat(width - n - left))
}

/// The label drawn on an arrow: the event's text up to its first detail,
/// with the count of folded retransmissions (for RTP, the packets).
pub fn arrow_label(protocol: &str, text: &str, count: u64) -> String {
    if protocol == "RTP" {
        return format!("RTP x{count}");
    }
    let t = text.split(" (").next().unwrap_or(text);
    let t = t.split(", ").next().unwrap_or(t);
    if count > 1 {
        format!("{t} x{count}")
    } else {
        t.to_string()
    }
}

fn label(e: &TimelineEvent) -> String {
    arrow_label(e.protocol, &e.text, e.count)
}

/// The endpoints of a call's events in order of first appearance, each
/// with its role where known (`SIP`, `TURN`, `relay`, `STUN`): the columns
/// of a ladder, here and in the terminal UI.
pub fn endpoint_columns(
    c: &JudgedCall<'_>,
    events: &[TimelineEvent],
) -> Vec<(SocketAddr, &'static str)> {
    let mut columns: Vec<(SocketAddr, &'static str)> = Vec::new();
    for e in events {
        for a in [e.src, e.dst] {
            if !columns.iter().any(|k| k.0 == a) {
                columns.push((a, role_of(c, a)));
            }
        }
    }
    columns
}

/// A ladder's columns for the room it has: the endpoints drawn, whether
/// a last column stands for every other address (past the room), and the
/// width of each. The text ladder and the terminal UI lay out alike.
pub struct LadderColumns {
    pub columns: Vec<(SocketAddr, &'static str)>,
    pub others: bool,
    pub width: usize,
}

impl LadderColumns {
    /// `room`: characters for the columns; each `min..=max` wide.
    pub fn new(
        mut columns: Vec<(SocketAddr, &'static str)>,
        room: usize,
        min: usize,
        max: usize,
    ) -> Self {
        let max_columns = (room / min).max(2);
        let others = columns.len() > max_columns;
        if others {
            columns.truncate(max_columns - 1);
        }
        let n = (columns.len() + usize::from(others)).max(1);
        Self {
            columns,
            others,
            width: (room / n).clamp(min, max),
        }
    }

    /// Columns drawn, the others' one included.
    pub fn n(&self) -> usize {
        self.columns.len() + usize::from(self.others)
    }

    /// The column of an address (the others' one for any not drawn).
    pub fn index(&self, a: SocketAddr) -> usize {
        self.columns
            .iter()
            .position(|k| k.0 == a)
            .unwrap_or(self.columns.len())
    }

    /// Where column `i`'s lifeline is, from the first column's left edge.
    pub fn center(&self, i: usize) -> usize {
        i * self.width + self.width / 2
    }
}

/// Writes the ladder of one call.
pub fn write_ladder(out: &mut impl Write, c: &JudgedCall<'_>) -> io::Result<()> {
    let events = c.timeline();
    let v = &c.verdict;
    writeln!(
        out,
        "call {}  {}  {}  {} {}",
        c.number,
        c.kind().as_str(),
        c.id(),
        v.stage.as_str(),
        v.code
    )?;
    for line in wrap(&v.summary, WIDTH - 2) {
        writeln!(out, "  {line}")?;
    }
    if events.is_empty() {
        return writeln!(out, "  (no events)");
    }
    write_ladder_diagram(out, c, &events)
}

/// Writes the diagram of a call's ladder alone: the column headings, one
/// line per event, and the line that says what marks the evidence.
pub fn write_ladder_diagram(
    out: &mut impl Write,
    c: &JudgedCall<'_>,
    events: &[TimelineEvent],
) -> io::Result<()> {
    let v = &c.verdict;
    let layout = LadderColumns::new(
        endpoint_columns(c, events),
        WIDTH - LEFT,
        MIN_COLUMN,
        MAX_COLUMN,
    );
    let (columns, others, width, n) = (&layout.columns, layout.others, layout.width, layout.n());
    let index = |a: SocketAddr| layout.index(a);

    let mut roles = " ".repeat(LEFT);
    let mut addrs = " ".repeat(LEFT);
    for &(addr, role) in columns {
        roles.push_str(&centered(role, width));
        let addr = if addr.port() == 0 {
            addr.ip().to_string()
        } else {
            addr.to_string()
        };
        addrs.push_str(&centered(&addr, width));
    }
    if others {
        roles.push_str(&centered("", width));
        addrs.push_str(&centered("(others)", width));
    }
    if !roles.trim().is_empty() {
        writeln!(out, "{}", roles.trim_end())?;
    }
    writeln!(out, "{}", addrs.trim_end())?;

    let base = events.first().map_or(0, |e| e.ts);
    let center = |i: usize| layout.center(i);
    let lifelines = |line: &mut Vec<char>| {
        for i in 0..n {
            line[center(i)] = '|';
        }
    };
    for e in events {
        let (from, to) = (index(e.src), index(e.dst));
        let mut line: Vec<char> = vec![' '; n * width];
        lifelines(&mut line);
        let body = if e.evidence && v.failed() { '=' } else { '-' };
        let text = label(e);
        if from == to {
            let at = center(from) + 1;
            let s: Vec<char> = format!("<> {text}").chars().collect();
            for (k, ch) in s.into_iter().enumerate() {
                if at + k < line.len() {
                    line[at + k] = ch;
                }
            }
        } else {
            let (lo, hi) = (center(from.min(to)), center(from.max(to)));
            for ch in line.iter_mut().take(hi).skip(lo + 1) {
                *ch = body;
            }
            if to > from {
                line[hi - 1] = '>';
            } else {
                line[lo + 1] = '<';
            }
            let room = hi - lo - 3;
            let t: Vec<char> = truncate(&text, room.saturating_sub(2)).chars().collect();
            let start = lo + 2 + (room - t.len()) / 2;
            for (k, ch) in t.into_iter().enumerate() {
                line[start + k] = ch;
            }
        }
        let marker = if e.evidence && v.failed() { '*' } else { ' ' };
        let diagram: String = line.into_iter().collect();
        let mut row = format!(
            "{marker}{:>7} {:>10}  {}",
            e.frame,
            format_relative(e.ts, base),
            diagram.trim_end()
        );
        // The full text where the label left something out and enough
        // room is left to say something.
        let shown = row.chars().count();
        if text != e.text && shown + 2 + MIN_NOTE <= WIDTH {
            row.push_str("  ");
            row.push_str(&truncate(&e.text, WIDTH - shown - 2));
        }
        writeln!(out, "{}", row.trim_end())?;
    }
    if v.failed() && events.iter().any(|e| e.evidence) {
        writeln!(out, "  * and === mark the evidence for the verdict")?;
    }
    Ok(())
}
