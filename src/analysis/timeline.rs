//! A call's timeline: the ordered events of one call across SIP (with its
//! SDP), TCP/TLS, ICMP, STUN/ICE, TURN, DTLS and RTP, built from what
//! correlation kept. Retransmissions fold into one event with a count and
//! their frames; an RTP stream is one event with its span and quality, not
//! one per packet.

use std::net::SocketAddr;

use crate::decode::stun::method;
use crate::net::UnreachableKind;

use super::calls::CallParts;
use super::evidence::Evidence;
use super::sip::SipTransaction;
use super::transport::UnreachableSeen;

/// One step of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// The first frame of the event, as Wireshark numbers it.
    pub frame: u64,
    pub ts: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `SIP`, `TCP`, `TLS`, `ICMP`, `STUN`, `TURN`, `DTLS` or `RTP`.
    pub protocol: &'static str,
    pub text: String,
    /// Every frame of the event that was kept (transmissions of one
    /// request; for a stream its first and last).
    pub frames: Vec<u64>,
    /// Transmissions, copies or packets.
    pub count: u64,
    /// One of the verdict's evidence frames is in this event.
    pub evidence: bool,
}

/// Events kept per call: a call with thousands of transactions keeps the
/// first ones (the correlation layer bounds what it keeps anyway).
const MAX_EVENTS: usize = 2_000;

fn transmissions(n: u64) -> String {
    if n > 1 {
        format!(" ({n} transmissions)")
    } else {
        String::new()
    }
}

/// The call's events in capture order. `evidence` marks the events that
/// prove the verdict.
pub fn build(p: &CallParts<'_>, evidence: &[Evidence]) -> Vec<TimelineEvent> {
    let mut v: Vec<TimelineEvent> = Vec::new();
    let mut push = |frame: u64,
                    ts: i64,
                    src: SocketAddr,
                    dst: SocketAddr,
                    protocol: &'static str,
                    text: String,
                    frames: Vec<u64>,
                    count: u64| {
        v.push(TimelineEvent {
            frame,
            ts,
            src,
            dst,
            protocol,
            text,
            frames,
            count,
            evidence: false,
        })
    };

    // The TCP handshake shows only in the call the connection was opened
    // for; a reset or TLS shows in every call on it.
    let opened_for_call = p.connection_opened_for_call();
    if let Some(c) = p.connection {
        if let Some(&(f, ts)) = c.syns.items().first().filter(|_| opened_for_call) {
            let n = c.syns.len() as u64 + c.syns.dropped();
            let frames = c.syns.items().iter().map(|x| x.0).collect();
            let text = format!("SYN{}", transmissions(n));
            push(f, ts, c.client, c.server, "TCP", text, frames, n);
        }
        match c.syn_ack.filter(|_| opened_for_call) {
            // The segment it was picked up at went from `client`.
            Some((f, ts)) if c.picked_up => push(
                f,
                ts,
                c.client,
                c.server,
                "TCP",
                "tracked from here".into(),
                vec![f],
                1,
            ),
            Some((f, ts)) => push(
                f,
                ts,
                c.server,
                c.client,
                "TCP",
                "SYN-ACK".into(),
                vec![f],
                1,
            ),
            None => {}
        }
        if let Some((f, ts, from_server)) = c.rst {
            let (s, d) = if from_server {
                (c.server, c.client)
            } else {
                (c.client, c.server)
            };
            push(f, ts, s, d, "TCP", "RST".into(), vec![f], 1);
        }
        if let Some(tls) = &c.tls {
            if let Some((f, ts)) = tls.client_hello {
                push(
                    f,
                    ts,
                    c.client,
                    c.server,
                    "TLS",
                    "ClientHello".into(),
                    vec![f],
                    1,
                );
            }
            if let Some((f, ts)) = tls.server_hello {
                push(
                    f,
                    ts,
                    c.server,
                    c.client,
                    "TLS",
                    "ServerHello".into(),
                    vec![f],
                    1,
                );
            }
            if let Some((f, ts, alert, from_server)) = tls.alert {
                let (s, d) = if from_server {
                    (c.server, c.client)
                } else {
                    (c.client, c.server)
                };
                let text = match alert {
                    Some((level, desc)) => {
                        format!("Alert: {}", super::dtls::alert_text(level, desc))
                    }
                    None => "Alert: an encrypted alert".to_string(),
                };
                push(f, ts, s, d, "TLS", text, vec![f], 1);
            }
        }
    }

    if let Some(d) = p.dialog {
        let sdp_frames: Vec<(u64, bool)> = d
            .sdps
            .items()
            .iter()
            .map(|s| (s.frame, s.from_caller))
            .collect();
        let sdp_note = |frame: u64| -> &'static str {
            match sdp_frames.iter().find(|(f, _)| *f == frame) {
                Some((_, true)) => " (SDP offer)",
                Some((_, false)) => " (SDP answer)",
                None => "",
            }
        };
        for t in d.transactions.items() {
            sip_transaction(t, &sdp_note, &mut push);
        }
    }

    // ICMP errors about the same datagrams from the same reporter fold
    // into one event, like retransmissions: one per bounced flow.
    let mut bounced: Vec<(&UnreachableSeen, Vec<u64>)> = Vec::new();
    for u in &p.unreachables {
        let same = |x: &&UnreachableSeen| {
            x.kind == u.kind
                && x.reporter == u.reporter
                && x.original_src == u.original_src
                && x.original_dst == u.original_dst
        };
        match bounced.iter_mut().find(|(x, _)| same(x)) {
            Some((_, frames)) => frames.push(u.frame),
            None => bounced.push((u, vec![u.frame])),
        }
    }
    for (u, frames) in bounced {
        let what = match u.kind {
            UnreachableKind::Net => "network unreachable".to_string(),
            UnreachableKind::Host => "host unreachable".to_string(),
            UnreachableKind::Protocol => "protocol unreachable".to_string(),
            UnreachableKind::Port => "port unreachable".to_string(),
            UnreachableKind::AdminProhibited => "administratively prohibited".to_string(),
            UnreachableKind::Other(c) => format!("unreachable (code {c})"),
        };
        let mut text = format!("ICMP {what} (for {} -> {})", u.original_src, u.original_dst);
        if frames.len() > 1 {
            text.push_str(&format!(" ({} times)", frames.len()));
        }
        // The host that refused its own port speaks from that address, so
        // the ladder draws it in that party's column; a router that
        // reports has no port.
        let reporter = if u.reporter == u.original_dst.ip() {
            u.original_dst
        } else {
            SocketAddr::new(u.reporter, 0)
        };
        let n = frames.len() as u64;
        push(
            u.frame,
            u.ts,
            reporter,
            u.original_src,
            "ICMP",
            text,
            frames,
            n,
        );
    }

    for q in &p.server_queries {
        let answer = if q.successes > 0 {
            match q.mapped {
                Some(m) => format!(", answered: mapped {m}"),
                None => ", answered".to_string(),
            }
        } else if q.errors > 0 {
            ", error".to_string()
        } else {
            ", no response".to_string()
        };
        let text = format!(
            "Binding request to STUN server{}{answer}",
            transmissions(u64::from(q.transmissions))
        );
        let n = u64::from(q.transmissions);
        push(
            q.first.0,
            q.first.1,
            q.client,
            q.server,
            "STUN",
            text,
            vec![q.first.0],
            n,
        );
    }

    for a in &p.allocations {
        for r in a.attempts.items().iter().chain(a.requests.items()) {
            let name = crate::decode::stun::method_name(r.method);
            let mut text = name.to_string();
            if r.method == method::ALLOCATE {
                text.push_str(" request");
                if r.with_credentials {
                    text.push_str(" with credentials");
                }
            }
            if let Some(ch) = r.channel {
                text.push_str(&format!(" channel 0x{ch:04x}"));
            }
            if let Some(peer) = r.peer {
                text.push_str(&format!(" peer {peer}"));
            }
            match (r.method, r.lifetime) {
                // RFC 8656 s7: a Refresh with lifetime 0 deletes the allocation.
                (method::REFRESH, Some(0)) => text.push_str(" to release (lifetime 0)"),
                (method::REFRESH, Some(s)) => text.push_str(&format!(" lifetime {s} s")),
                _ => {}
            }
            text.push_str(&transmissions(u64::from(r.transmissions)));
            if r.outcome.is_none() {
                text.push_str(", no response");
            }
            let n = u64::from(r.transmissions);
            push(
                r.frame,
                r.ts,
                a.client,
                a.server,
                "TURN",
                text,
                vec![r.frame],
                n,
            );
            if let (Some(outcome), Some(f)) = (r.outcome, r.response_frame) {
                let text = match (outcome, a.relayed) {
                    (None, Some(relayed)) if r.method == method::ALLOCATE => {
                        format!("{name} success, relayed {relayed}")
                    }
                    (None, _) => format!("{name} success"),
                    (Some(code), _) => format!("{name} error {code} {}", r.reason)
                        .trim_end()
                        .to_string(),
                };
                let ts = r.response_ts.unwrap_or(r.ts);
                push(f, ts, a.server, a.client, "TURN", text, vec![f], 1);
            }
        }
        if a.requests.dropped() > 0 {
            if let Some(last) = a.requests.items().last() {
                let text = format!(
                    "{} more CreatePermission, ChannelBind or Refresh requests (not listed)",
                    a.requests.dropped()
                );
                push(
                    last.frame,
                    last.ts,
                    a.client,
                    a.server,
                    "TURN",
                    text,
                    vec![],
                    a.requests.dropped(),
                );
            }
        }
        // Where relaying began: the first ChannelData or indication, with
        // the last one, as a stream's event has its span.
        let relayed = a.relayed_packets();
        if let (true, Some(((first, ts), last))) = (relayed > 0, a.relayed_span) {
            let text = format!("{relayed} packets relayed (ChannelData and indications)");
            let frames = if last == first {
                vec![first]
            } else {
                vec![first, last]
            };
            push(first, ts, a.client, a.server, "TURN", text, frames, relayed);
        }
    }

    for s in &p.sessions {
        for pair in s.pairs.items() {
            let answered = if pair.successes > 0 {
                format!(", {} answered", pair.successes)
            } else {
                ", no response".to_string()
            };
            // A pair carries many checks (consent every few seconds);
            // `transmissions` is the most any one of them was sent.
            let sends = match (pair.checks, pair.transmissions) {
                (c, t) if c > 1 && t > 1 => format!(" ({c} checks, one sent {t} times)"),
                (c, _) if c > 1 => format!(" ({c} checks)"),
                (_, t) => transmissions(u64::from(t)),
            };
            let text = format!(
                "Binding request{}{}{sends}{answered}",
                if pair.nominated { " USE-CANDIDATE" } else { "" },
                if pair.relayed { " via TURN" } else { "" },
            );
            let (f, ts) = pair.first_check;
            let mut frames = vec![f];
            if pair.last_check_frame != f {
                frames.push(pair.last_check_frame);
            }
            let n = if pair.checks > 1 {
                u64::from(pair.checks)
            } else {
                u64::from(pair.transmissions)
            };
            push(f, ts, pair.local, pair.remote, "STUN", text, frames, n);
            if let Some((f, ts)) = pair.first_success {
                let rtt = pair
                    .rtt_ms()
                    .map(|r| format!(", RTT {r:.1} ms"))
                    .unwrap_or_default();
                let text = format!("Binding success{rtt}");
                push(
                    f,
                    ts,
                    pair.remote,
                    pair.local,
                    "STUN",
                    text,
                    vec![f],
                    u64::from(pair.successes),
                );
            }
            if let Some((f, ts)) = pair.first_unanswered_after_success {
                let text = format!(
                    "Binding request (consent), {} unanswered after the last success",
                    pair.unanswered_since_success
                );
                let n = u64::from(pair.unanswered_since_success);
                push(f, ts, pair.local, pair.remote, "STUN", text, vec![f], n);
            }
        }
        if let Some(first) = s.pairs.items().first() {
            for (code, reason, f, ts) in s.errors.items() {
                let text = format!("Binding error {code} {reason}")
                    .trim_end()
                    .to_string();
                push(
                    *f,
                    *ts,
                    first.remote,
                    first.local,
                    "STUN",
                    text,
                    vec![*f],
                    1,
                );
            }
        }
    }

    for a in &p.associations {
        let (c, s) = (a.client, a.server);
        if let Some(&(f, ts)) = a.client_hello_frames.items().first() {
            let frames = a.client_hello_frames.items().iter().map(|x| x.0).collect();
            let n = u64::from(a.client_hellos.max(1));
            let mut text = format!("ClientHello{}", transmissions(n));
            if a.server_hello.is_none() && a.hello_verify.is_none() {
                text.push_str(", no response");
            }
            push(f, ts, c, s, "DTLS", text, frames, n);
        }
        if let Some((f, ts)) = a.hello_verify {
            let n = u64::from(a.hello_verify_requests.max(1));
            push(f, ts, s, c, "DTLS", "HelloVerifyRequest".into(), vec![f], n);
        }
        if let Some((f, ts)) = a.server_hello {
            push(f, ts, s, c, "DTLS", "ServerHello".into(), vec![f], 1);
        }
        for (dir, from, to, who) in [
            (&a.from_server, s, c, "server"),
            (&a.from_client, c, s, "client"),
        ] {
            if let Some((f, ts)) = dir.certificate_frame {
                push(
                    f,
                    ts,
                    from,
                    to,
                    "DTLS",
                    format!("Certificate ({who})"),
                    vec![f],
                    1,
                );
            }
            if let Some((f, ts)) = dir.ccs {
                push(
                    f,
                    ts,
                    from,
                    to,
                    "DTLS",
                    "ChangeCipherSpec".into(),
                    vec![f],
                    1,
                );
            } else if let Some((f, ts)) = dir.encrypted_handshake {
                push(
                    f,
                    ts,
                    from,
                    to,
                    "DTLS",
                    "Encrypted handshake".into(),
                    vec![f],
                    1,
                );
            }
            if dir.retransmissions > 0 {
                if let Some((f, ts)) = dir.last_retransmission {
                    let text = format!("Flight resent ({} messages again)", dir.retransmissions);
                    push(
                        f,
                        ts,
                        from,
                        to,
                        "DTLS",
                        text,
                        vec![f],
                        u64::from(dir.retransmissions),
                    );
                }
            }
        }
        for al in a.alerts.items() {
            let (from, to) = if al.from_client { (c, s) } else { (s, c) };
            let text = format!("Alert: {}", al.text());
            push(al.frame, al.ts, from, to, "DTLS", text, vec![al.frame], 1);
        }
    }

    for st in &p.streams {
        let codec = crate::decode::rtp::static_encoding_name(st.payload_type)
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        let text = format!(
            "RTP SSRC 0x{:08X} PT {}{codec}, {}, {} lost, jitter {:.1} ms, {:.1} s{}",
            st.key.ssrc,
            st.payload_type,
            super::evidence::plural(st.packets, "packet"),
            st.lost(),
            st.jitter_ms(),
            st.duration_s(),
            if st.relayed { ", via TURN" } else { "" },
        );
        let mut frames = vec![st.first_frame];
        if st.last_frame != st.first_frame {
            frames.push(st.last_frame);
        }
        push(
            st.first_frame,
            st.first_ts,
            st.key.src,
            st.key.dst,
            "RTP",
            text,
            frames,
            st.packets,
        );
    }

    v.sort_by_key(|e| (e.ts, e.frame));
    v.truncate(MAX_EVENTS);
    for e in &mut v {
        e.evidence = evidence
            .iter()
            .any(|x| x.frame == e.frame || e.frames.contains(&x.frame));
    }
    v
}

#[allow(clippy::type_complexity)]
fn sip_transaction(
    t: &SipTransaction,
    sdp_note: &dyn Fn(u64) -> &'static str,
    push: &mut impl FnMut(u64, i64, SocketAddr, SocketAddr, &'static str, String, Vec<u64>, u64),
) {
    let frames: Vec<u64> = t.frames.items().to_vec();
    if let Some(&first) = frames.first() {
        let n = u64::from(t.sent);
        let mut text = format!("{}{}{}", t.method, sdp_note(first), transmissions(n));
        if t.responses.is_empty() && n > 1 {
            text.push_str(", no response");
        }
        push(first, t.first_ts, t.src, t.dst, "SIP", text, frames, n);
    }
    for r in &t.responses {
        let text = format!("{} {}{}", r.status, r.reason, sdp_note(r.frame));
        let text = if r.copies > 1 {
            format!("{text} ({} copies)", r.copies)
        } else {
            text
        };
        push(
            r.frame,
            r.ts,
            t.dst,
            t.src,
            "SIP",
            text,
            std::iter::once(r.frame)
                .chain(r.copy_frames.items().iter().copied())
                .collect(),
            u64::from(r.copies),
        );
    }
}
