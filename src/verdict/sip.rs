//! SIP stage: does signalling reach the far end and is the call (or the
//! registration) accepted?

use crate::analysis::evidence::{ordinal, plural};
use crate::analysis::sip::{DialogKind, SipDialog, SipTransaction};
use crate::analysis::transport::{TcpConnection, UnreachableSeen};
use crate::analysis::{CallKind, CallParts, Evidence};

use super::{ev, s, Outcome, Stage, Verdict, VerdictCode};

/// RFC 3261 Timer B/F: 64*T1 = 32 s. A request unanswered for that long
/// has failed by the protocol's own rule.
const TIMER_B_NS: i64 = 32_000_000_000;
/// Timer T2 (RFC 3261 s17.1.2.2): a client that is still retrying sends
/// again within 4 s. One silent for longer after retransmitting has given
/// up; one that sent its last copy just before the capture ended may still
/// have been waiting for an answer.
const T2_NS: i64 = 4_000_000_000;
/// A request retransmitted for this long (five transmissions on Timer A or
/// E) got nothing, not even the 100 Trying a server sends within 200 ms of
/// receiving an INVITE (RFC 3261 s17.2.1): it did not get through.
const RETRANSMIT_SPAN_NS: i64 = 7_500_000_000;
/// A TCP connect that saw this many SYNs (the first one and two
/// retransmissions, 1 s and 3 s later) is blocked, not slow.
const SYNS_FOR_VERDICT: usize = 2;
/// With a single SYN and no answer, wait this long before calling it.
const SYN_PATIENCE_NS: i64 = 3_000_000_000;

pub(crate) fn judge(_kind: CallKind, p: &CallParts<'_>, now: i64) -> Outcome {
    match (p.dialog, p.connection) {
        (Some(d), _) => judge_dialog(d, p, now),
        (None, Some(c)) => judge_connection(c, now).map_or(Outcome::Passed, Outcome::Done),
        (None, None) => Outcome::NotApplicable,
    }
}

fn icmp_evidence(u: &UnreachableSeen) -> Evidence {
    ev(
        u.frame,
        u.ts,
        format!(
            "ICMP destination unreachable ({:?}) from {} for {} -> {}",
            u.kind, u.reporter, u.original_src, u.original_dst
        ),
    )
}

fn request_evidence(t: &SipTransaction) -> Vec<Evidence> {
    let frames = t.frames.items();
    let mut v = Vec::new();
    if let Some(f) = frames.first() {
        v.push(ev(
            *f,
            t.first_ts,
            format!("{} {} -> {}", t.method, t.src, t.dst),
        ));
    }
    if frames.len() > 1 {
        if let Some(f) = frames.last() {
            v.push(ev(
                *f,
                t.last_ts,
                format!("{} ({} transmission)", t.method, ordinal(t.sent as u64)),
            ));
        }
    }
    v
}

/// Responses the client's host answered with ICMP unreachable, after which
/// the client sent nothing more (no ACK, no retransmission): it is gone, or
/// a NAT binding or firewall closed its port. The request got through, the
/// answer did not, so signalling failed whatever the answer said.
fn responses_undeliverable(d: &SipDialog, p: &CallParts<'_>) -> Option<Verdict> {
    let bounced: Vec<_> = p
        .unreachables
        .iter()
        .filter(|u| {
            d.transactions
                .items()
                .iter()
                .any(|t| u.original_src == t.dst && u.original_dst == t.src)
        })
        .collect();
    let first = bounced.iter().min_by_key(|u| u.ts)?;
    let client = first.original_dst;
    let spoke_after = d
        .transactions
        .items()
        .iter()
        .any(|t| t.src == client && t.last_ts > first.ts);
    if spoke_after {
        return None;
    }
    let t = d
        .transactions
        .items()
        .iter()
        .find(|t| t.src == client && t.dst == first.original_src)?;
    let mut evidence = request_evidence(t);
    let answer = t
        .responses
        .iter()
        .filter(|r| r.ts <= first.ts)
        .max_by_key(|r| r.ts);
    if let Some(r) = answer {
        evidence.push(ev(r.frame, r.ts, format!("{} {}", r.status, r.reason)));
    }
    evidence.push(icmp_evidence(first));
    let mut v = Verdict::new(
        VerdictCode::SipTransportRefused,
        format!(
            "SIP: {} {} -> {}: the {} could not be delivered, ICMP {:?} unreachable from {} ({}); {} sent nothing after it{}",
            t.method,
            t.src,
            t.dst,
            answer.map_or("response".to_string(), |r| format!("{} {}", r.status, r.reason)),
            first.kind,
            first.reporter,
            plural(bounced.len() as u64, "ICMP error"),
            client,
            if t.method == "INVITE" { " (no ACK: the call never connected)" } else { "" }
        ),
    )
    .with_evidence(evidence);
    v.advice = vec![format!(
        "The answer could not reach {client}: the client is gone (crashed, closed), or a NAT binding or firewall in front of it closed its port. Check the client's keepalives and the NAT/firewall timeouts on its side, and that responses go back to the address and port the request came from (rport, RFC 3581)."
    )];
    Some(v)
}

fn judge_dialog(d: &SipDialog, p: &CallParts<'_>, now: i64) -> Outcome {
    if let Some(v) = responses_undeliverable(d, p) {
        return Outcome::Done(v);
    }
    let main: Vec<&SipTransaction> = d.main_transactions().collect();
    let Some(last) = main.last().copied() else {
        // Only other methods (a BYE of a call that began before the
        // capture): nothing to judge at the SIP stage.
        return Outcome::Passed;
    };
    let accepted = d.accepted();
    if d.kind == DialogKind::Register {
        if let Some(r) = last.final_response() {
            if (200..300).contains(&r.status) {
                let v = Verdict::new(
                    VerdictCode::OkRegistered,
                    format!(
                        "REGISTER {} accepted by {} ({} {}){}",
                        d.from,
                        last.dst,
                        r.status,
                        r.reason,
                        if main.len() > 1 {
                            format!(" after {} attempts", main.len())
                        } else {
                            String::new()
                        }
                    ),
                )
                .with_evidence(vec![
                    ev(
                        last.frames.items().first().copied().unwrap_or(r.frame),
                        last.first_ts,
                        "REGISTER",
                    ),
                    ev(r.frame, r.ts, format!("{} {}", r.status, r.reason)),
                ]);
                return Outcome::Done(v);
            }
        }
    } else if accepted.is_some() {
        return Outcome::Passed;
    }

    // A final failure response to the last attempt.
    if let Some(r) = last.final_response() {
        if r.status >= 300 && !(200..300).contains(&r.status) {
            return Outcome::Done(final_failure(d, &main, last, r.status, now));
        }
    }
    if accepted.is_some() {
        // An earlier attempt was accepted (registration refreshed later).
        return Outcome::Passed;
    }
    // Only provisional responses.
    if let Some(prov) = last.provisional().last() {
        let waited = now - prov.ts;
        let mut evidence = request_evidence(last);
        for r in last.provisional() {
            evidence.push(ev(r.frame, r.ts, format!("{} {}", r.status, r.reason)));
        }
        let cancel = d.transaction("CANCEL");
        if waited >= TIMER_B_NS || cancel.is_some() {
            let mut summary = format!(
                "SIP: {} {} -> {} answered only with {} ({}), no final response in the next {}",
                last.method,
                d.to,
                last.dst,
                last.provisional()
                    .map(|r| r.status.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                s(prov.ts - last.first_ts),
                s(waited)
            );
            if let Some(c) = cancel {
                summary.push_str(&format!("; CANCEL sent {} times, unanswered", c.sent));
                evidence.extend(request_evidence(c));
            }
            return Outcome::Done(
                Verdict::new(VerdictCode::SipNoFinalResponse, summary).with_evidence(evidence),
            );
        }
        return Outcome::Done(
            Verdict::capture_ended(
                Stage::Sip,
                format!(
                    "SIP: capture ends {} after {} {}, while the call was still being set up (no final response yet)",
                    s(waited),
                    prov.status,
                    prov.reason
                ),
            )
            .with_evidence(evidence),
        );
    }
    // No response at all.
    Outcome::Done(no_response(d, last, p, now))
}

fn final_failure(
    d: &SipDialog,
    main: &[&SipTransaction],
    last: &SipTransaction,
    status: u16,
    _now: i64,
) -> Verdict {
    let r = last.final_response();
    let reason = r.map(|r| r.reason.clone()).unwrap_or_default();
    let challenged_before = main.iter().any(|t| {
        !std::ptr::eq(*t, last)
            && t.final_response()
                .is_some_and(|r| r.status == 401 || r.status == 407)
    });
    let mut evidence = Vec::new();
    for t in main {
        evidence.extend(request_evidence(t).into_iter().take(1));
        if let Some(r) = t.final_response() {
            evidence.push(ev(r.frame, r.ts, format!("{} {}", r.status, r.reason)));
        }
    }
    if let Some(c) = d.transaction("CANCEL") {
        evidence.extend(request_evidence(c).into_iter().take(1));
    }
    let extra = r
        .and_then(|r| r.warning.clone().or(r.reason_header.clone()))
        .map(|w| {
            // Warning texts can run to hundreds of characters; the ticket
            // line keeps the start, the evidence has the frame.
            let short: String = w.chars().take(80).collect();
            let more = if w.chars().count() > 80 { "..." } else { "" };
            format!(" ({short}{more})")
        })
        .unwrap_or_default();
    // RFC 3261 s22: credentials refused show as a new challenge or a 403;
    // any other failure after them (480, 486...) is that failure.
    if last.with_credentials && challenged_before && matches!(status, 401 | 403 | 407) {
        let v = Verdict::new(
            VerdictCode::SipAuthFailed,
            format!(
                "SIP: {} for {} challenged by {}, retried with credentials, then refused with {} {}{}",
                last.method, d.from, last.dst, status, reason, extra
            ),
        );
        return v.with_evidence(evidence);
    }
    let what = if d.kind == DialogKind::Register {
        format!("REGISTER {}", d.from)
    } else {
        format!("{} {} -> {}", d.method, d.from, d.to)
    };
    let cancel_note = if status == 487 && d.transaction("CANCEL").is_some() {
        " after the caller sent CANCEL"
    } else {
        ""
    };
    Verdict::new(
        VerdictCode::sip_status(status),
        format!(
            "SIP: {what} refused by {} with {status} {reason}{cancel_note}{extra}, {} after the request",
            last.dst,
            r.map(|r| s(r.ts - last.first_ts)).unwrap_or_default()
        ),
    )
    .with_evidence(evidence)
}

fn no_response(d: &SipDialog, t: &SipTransaction, p: &CallParts<'_>, now: i64) -> Verdict {
    let mut evidence = request_evidence(t);
    // ICMP says the port or host is closed.
    let for_requests: Vec<_> = p
        .unreachables
        .iter()
        .filter(|u| u.original_src == t.src && u.original_dst == t.dst)
        .collect();
    if let Some(u) = for_requests.first() {
        evidence.push(icmp_evidence(u));
        let mut v = Verdict::new(
            VerdictCode::SipTransportRefused,
            format!(
                "SIP: {} {} -> {} answered by ICMP {:?} unreachable from {} ({} ICMP errors)",
                t.method,
                t.src,
                t.dst,
                u.kind,
                u.reporter,
                for_requests.len()
            ),
        )
        .with_evidence(evidence);
        if u.kind == crate::net::UnreachableKind::AdminProhibited {
            v.advice = vec![format!(
                "A firewall at {} rejects the signalling (ICMP administratively prohibited): ask for UDP/TCP {} to be allowed to {}.",
                u.reporter,
                t.dst.port(),
                t.dst.ip()
            )];
        }
        return v;
    }
    if let Some(c) = p.connection {
        if let Some(v) = judge_connection(c, now) {
            return v;
        }
    }
    let waited = now - t.first_ts;
    // Earlier attempts of the same request that got nothing either (a
    // client that starts a new transaction after Timer F): counted together.
    let unanswered: Vec<&SipTransaction> = {
        let all: Vec<&SipTransaction> = d.main_transactions().collect();
        let mut v: Vec<&SipTransaction> = all
            .into_iter()
            .rev()
            .take_while(|x| x.responses.is_empty())
            .collect();
        v.reverse();
        v
    };
    let total: u32 = unanswered.iter().map(|x| x.sent).sum::<u32>().max(t.sent);
    let first_ts = unanswered.first().map_or(t.first_ts, |x| x.first_ts);
    let client_gave_up = total >= 2 && now - t.last_ts >= T2_NS;
    let retried_long = t.last_ts - first_ts >= RETRANSMIT_SPAN_NS;
    if waited >= TIMER_B_NS || client_gave_up || retried_long {
        let mut evidence = evidence;
        if unanswered.len() > 1 {
            evidence.extend(request_evidence(unanswered[0]).into_iter().take(1));
        }
        let mut v = Verdict::new(
            VerdictCode::SipNoResponse,
            format!(
                "SIP: {} {} -> {} sent {}{} over {}, no response at all{}",
                t.method,
                if d.kind == DialogKind::Register {
                    &d.from
                } else {
                    &d.to
                },
                t.dst,
                super::times(total),
                if unanswered.len() > 1 {
                    format!(" in {} transactions", unanswered.len())
                } else {
                    String::new()
                },
                s(t.last_ts - first_ts),
                if total == 1 && !t.transport.is_reliable() {
                    " (not retransmitted in the capture: it may be filtered or cut)"
                } else {
                    ""
                }
            ),
        )
        .with_evidence(evidence);
        if d.kind == DialogKind::Register {
            v.twilio_error = Some(31003);
        }
        return v;
    }
    Verdict::capture_ended(
        Stage::Sip,
        format!(
            "SIP: capture ends {} after {} to {} was sent ({}); too soon to call it unanswered (Timer B is 32 s)",
            s(waited),
            t.method,
            t.dst,
            super::times(t.sent)
        ),
    )
    .with_evidence(evidence)
}

/// A TCP/TLS signalling connection: refused, blocked, or a failed TLS
/// handshake. None when the connection worked.
pub(crate) fn judge_connection(c: &TcpConnection, now: i64) -> Option<Verdict> {
    let mut evidence: Vec<Evidence> = c
        .syns
        .items()
        .iter()
        .enumerate()
        .map(|(i, (f, ts))| {
            ev(
                *f,
                *ts,
                format!(
                    "SYN {} -> {} ({} attempt)",
                    c.client,
                    c.server,
                    ordinal(i as u64 + 1)
                ),
            )
        })
        .collect();
    if !c.established() {
        if let Some((f, ts, true)) = c.rst {
            evidence.push(ev(f, ts, format!("RST from {}", c.server)));
            return Some(
                Verdict::new(
                    VerdictCode::SipTransportRefused,
                    format!(
                        "SIP: TCP connection from {} to {} refused (RST) {} after the SYN",
                        c.client,
                        c.server,
                        s(ts - c.first_ts)
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let waited = now - c.first_ts;
        if c.syns.len() >= SYNS_FOR_VERDICT || waited >= SYN_PATIENCE_NS {
            let last = c.syns.last().map(|x| x.1).unwrap_or(c.first_ts);
            return Some(
                Verdict::new(
                    VerdictCode::SipTransportBlocked,
                    format!(
                        "SIP: TCP SYN from {} to {} sent {} times over {}, no SYN-ACK",
                        c.client,
                        c.server,
                        c.syns.len(),
                        s(last - c.first_ts)
                    ),
                )
                .with_evidence(evidence),
            );
        }
        return Some(
            Verdict::capture_ended(
                Stage::Sip,
                format!(
                    "SIP: capture ends {} after the SYN to {}",
                    s(waited),
                    c.server
                ),
            )
            .with_evidence(evidence),
        );
    }
    if let Some(tls) = &c.tls {
        if let Some((f, ts)) = tls.client_hello {
            evidence.push(ev(f, ts, "TLS ClientHello"));
        }
        if let Some((f, ts)) = tls.server_hello {
            evidence.push(ev(f, ts, "TLS ServerHello"));
        }
        let handshake_done = tls.app_data[0] > 0 && tls.app_data[1] > 0;
        if let Some((f, ts, alert, from_server)) = tls.alert {
            if !handshake_done {
                let what = match alert {
                    Some((l, d)) => crate::analysis::dtls::alert_text(l, d),
                    None => "encrypted alert".into(),
                };
                let who = if from_server { c.server } else { c.client };
                evidence.push(ev(f, ts, format!("TLS {what} from {who}")));
                return Some(
                    Verdict::new(
                        VerdictCode::SipTlsFailed,
                        format!(
                            "SIP: TLS handshake {} -> {} ended by a {what} from {who} {} after the ClientHello",
                            c.client,
                            c.server,
                            s(ts - tls.client_hello.map(|x| x.1).unwrap_or(c.first_ts))
                        ),
                    )
                    .with_evidence(evidence),
                );
            }
        }
        if !handshake_done {
            if let Some((f, ts, from_server)) = c.rst {
                let who = if from_server { c.server } else { c.client };
                evidence.push(ev(f, ts, format!("RST from {who}")));
                return Some(
                    Verdict::new(
                        VerdictCode::SipTlsFailed,
                        format!(
                            "SIP: TLS handshake {} -> {} reset by {who} before it completed",
                            c.client, c.server
                        ),
                    )
                    .with_evidence(evidence),
                );
            }
        }
    }
    None
}
