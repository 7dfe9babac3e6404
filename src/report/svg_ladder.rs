//! A call's ladder as an SVG sequence diagram, for the HTML report: the
//! text ladder's layout (one column per endpoint, one arrow per timeline
//! event, retransmissions folded with a count) drawn with lines and text,
//! each arrow with its frame number and time at the left so a Wireshark
//! user can go to that frame, each RTP stream as a bar with its packets,
//! loss and jitter, and the events that prove a failure in red.
//!
//! Colours come from the page's stylesheet through classes (`e`, `bad`,
//! `rtp`, ...), so the same markup reads in light, dark and print. Each
//! arrowhead is a small path of its own rather than an SVG marker: a
//! ladder stays whole when cut out of the page, at about 30 bytes an
//! arrow.

use std::io::{self, Write};
use std::net::SocketAddr;

use crate::analysis::sip::DialogKind;
use crate::analysis::timeline::TimelineEvent;
use crate::engine::JudgedCall;

use super::format_relative;
use super::html::esc;
use super::ladder::{arrow_label, endpoint_columns, truncate, LadderColumns};

/// Frame number and time, left of the first lifeline.
const GUTTER: usize = 150;
/// Where the frame number and time end (set right).
const TIME_X: usize = 140;
/// Room for the columns, and each column's least and most width: the
/// page's width, six columns at most.
const ROOM: usize = 960;
const MIN_COLUMN: usize = 160;
const MAX_COLUMN: usize = 250;
/// The two header lines (role, address), then one row per event.
const HEAD: usize = 40;
const ROW: usize = 22;
/// An average character of the labels' 12 px sans-serif font, in tenths
/// of a pixel, to cut a label to its arrow: a little wider than most, so a
/// cut label does not overflow.
const CHAR_TENTHS_PX: usize = 66;

/// A column's heading: where the address's part in the call is known,
/// that part (`SIP caller`, `SIP registrar`, `TURN`, `relay`, `callee
/// media`, `caller ICE host`, ...): from the dialog, the TURN and STUN exchanges, then the
/// addresses the SDP offered.
fn column_name(c: &JudgedCall<'_>, addr: SocketAddr, role: &'static str) -> String {
    let p = c.parts();
    if let Some(d) = p.dialog {
        let (client, server) = match d.kind {
            DialogKind::Invite => ("SIP caller", "SIP callee"),
            DialogKind::Register => ("SIP client", "SIP registrar"),
            DialogKind::Other => ("SIP client", "SIP server"),
        };
        if d.caller == addr {
            return client.into();
        }
        if d.callee == addr {
            return server.into();
        }
    }
    if !role.is_empty() {
        return role.into();
    }
    let side = |caller: bool| if caller { "caller" } else { "callee" };
    if let Some(m) = p.sdp_media.iter().find(|m| m.endpoint == addr) {
        return format!("{} media", side(m.from_caller));
    }
    if let Some((kind, _, caller)) = p.sdp_candidates.iter().find(|x| x.1 == addr) {
        return format!("{} ICE {kind}", side(*caller));
    }
    String::new()
}

fn address_text(a: SocketAddr) -> String {
    // ICMP comes from a router: an address with no port.
    if a.port() == 0 {
        a.ip().to_string()
    } else {
        a.to_string()
    }
}

/// The text on an RTP stream's bar: its packets, loss and jitter, from
/// the stream's own statistics (its span is in the tooltip: the whole
/// text and the first and last frame).
fn stream_label(c: &JudgedCall<'_>, e: &TimelineEvent) -> String {
    match c
        .parts()
        .streams
        .iter()
        .find(|s| s.first_frame == e.frame && s.key.src == e.src && s.key.dst == e.dst)
    {
        Some(s) => format!(
            "RTP x{}, {} lost, jitter {:.1} ms",
            s.packets,
            s.lost(),
            s.jitter_ms()
        ),
        None => arrow_label(e.protocol, &e.text, e.count),
    }
}

/// The frames behind a folded arrow, for its tooltip: a stream's first and
/// last, a retransmitted message's every copy (the first 20).
fn folded_frames(e: &TimelineEvent) -> String {
    match e.frames.as_slice() {
        [] | [_] => String::new(),
        [first, .., last] if e.protocol == "RTP" => format!("; frames {first} to {last}"),
        frames => {
            let mut list: Vec<String> = frames.iter().take(20).map(|f| f.to_string()).collect();
            if frames.len() > 20 {
                list.push(format!("and {} more", frames.len() - 20));
            }
            format!("; frames {}", list.join(", "))
        }
    }
}

/// Writes one call's ladder as an `<svg>` element.
pub fn write_svg_ladder(
    out: &mut impl Write,
    c: &JudgedCall<'_>,
    events: &[TimelineEvent],
) -> io::Result<()> {
    let failed = c.verdict.failed();
    let layout = LadderColumns::new(endpoint_columns(c, events), ROOM, MIN_COLUMN, MAX_COLUMN);
    let n = layout.n();
    let width = GUTTER + n * layout.width;
    let height = HEAD + events.len() * ROW + 8;
    let x = |i: usize| GUTTER + layout.center(i);
    writeln!(
        out,
        r#"<svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="ladder of call {}">"#,
        c.number
    )?;
    writeln!(
        out,
        r#"<text class="ft" x="{TIME_X}" y="14">  frame           +s</text>"#
    )?;
    let cut = |s: &str| truncate(s, layout.width * 10 / CHAR_TENTHS_PX);
    for (i, &(addr, role)) in layout.columns.iter().enumerate() {
        let name = column_name(c, addr, role);
        if !name.is_empty() {
            write!(
                out,
                r#"<text class="role" x="{}" y="14">{}</text>"#,
                x(i),
                esc(&cut(&name))
            )?;
        }
        writeln!(
            out,
            r#"<text class="addr" x="{}" y="30">{}</text>"#,
            x(i),
            esc(&cut(&address_text(addr)))
        )?;
    }
    if layout.others {
        writeln!(
            out,
            r#"<text class="addr" x="{}" y="30">(others)</text>"#,
            x(layout.columns.len())
        )?;
    }
    let mut lifelines = String::from(r#"<path class="life" d=""#);
    for i in 0..n {
        lifelines.push_str(&format!("M{} {}V{}", x(i), HEAD - 4, height - 4));
    }
    writeln!(out, r#"{lifelines}"/>"#)?;

    let base = events.first().map_or(0, |e| e.ts);
    for (row, e) in events.iter().enumerate() {
        let y = HEAD + row * ROW + 14;
        let bad = e.evidence && failed;
        let (from, to) = (layout.index(e.src), layout.index(e.dst));
        let rtp = e.protocol == "RTP";
        // `e`, the protocol (`sip`, `stun`, `dtls`, `rtp`, ...), and `bad`
        // for the evidence of a failure.
        write!(
            out,
            r#"<g class="e {}{}" data-frame="{}">"#,
            e.protocol.to_ascii_lowercase(),
            if bad { " bad" } else { "" },
            e.frame,
        )?;
        let label = if rtp {
            stream_label(c, e)
        } else {
            arrow_label(e.protocol, &e.text, e.count)
        };
        // Frame number and time in one monospaced text, set right, the
        // number padded so the columns line up.
        write!(
            out,
            r#"<text class="ft" x="{TIME_X}" y="{y}">{:>7}  {:>11}</text>"#,
            e.frame,
            format_relative(e.ts, base)
        )?;
        let line_y = y + 2;
        // The label as drawn, cut to its room.
        let shown = if from == to {
            truncate(&label, 40)
        } else {
            let (lo, hi) = (x(from).min(x(to)), x(from).max(x(to)));
            truncate(
                &label,
                ((hi - lo).saturating_sub(16) * 10 / CHAR_TENTHS_PX).max(4),
            )
        };
        // The event's whole text as a tooltip, where the label leaves
        // some of it out, with the frames a folded arrow stands for (a
        // page of a thousand calls stays small: most arrows need none).
        if shown != e.text || e.frames.len() > 1 {
            write!(out, "<title>{}{}</title>", esc(&e.text), folded_frames(e))?;
        }
        if from == to {
            // An event between an address and itself (or two addresses
            // folded into the others' column): a small loop.
            let x0 = x(from);
            write!(
                out,
                r#"<path class="a loop" d="M{x0} {}h14v8h-12"/><text class="l s" x="{}" y="{y}">{}</text>"#,
                line_y - 6,
                x0 + 18,
                esc(&shown)
            )?;
        } else {
            let (x1, x2) = (x(from), x(to));
            let (lo, hi) = (x1.min(x2), x1.max(x2));
            // The shaft stops short of the tip, so the head ends sharp;
            // shaft and head are one path (the shaft has no area to fill).
            let (tip_back, head) = if x2 > x1 {
                (x2 - 2, format!("M{x2} {line_y}l-9-4v8z"))
            } else {
                (x2 + 2, format!("M{x2} {line_y}l9-4v8z"))
            };
            if rtp {
                write!(
                    out,
                    r#"<rect class="bar" x="{lo}" y="{}" width="{}" height="6"/><path class="a" d="{head}"/>"#,
                    line_y - 3,
                    hi - lo
                )?;
            } else {
                write!(
                    out,
                    r#"<path class="a" d="M{x1} {line_y}H{tip_back}{head}"/>"#
                )?;
            }
            write!(
                out,
                r#"<text class="l" x="{}" y="{}">{}</text>"#,
                (lo + hi) / 2,
                line_y - 5,
                esc(&shown)
            )?;
        }
        writeln!(out, "</g>")?;
    }
    writeln!(out, "</svg>")
}
