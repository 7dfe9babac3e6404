//! ICE stage: are candidates gathered, is a working candidate pair found,
//! and is it kept alive (RFC 8445, RFC 8656, RFC 7675)?

use crate::analysis::evidence::plural;
use crate::analysis::ice::IceSession;
use crate::analysis::turn::Allocation;
use crate::analysis::{CallKind, CallParts, Evidence};

use super::{ev, s, Outcome, Stage, Verdict, VerdictCode};

/// Checks (or Allocate/Binding requests) unanswered for this long, or sent
/// this many times, have failed; less is a capture that stopped too soon.
/// RFC 8445 pacing sends checks every 50 ms and retransmits with back-off
/// from 500 ms; agents give up after 5-40 s.
const PATIENCE_NS: i64 = 5_000_000_000;
const TRANSMISSIONS_FOR_VERDICT: u32 = 3;
/// Consent (RFC 7675 s5.1): checks every ~5 s; consent expires after 30 s
/// without a response. Three unanswered checks over 10 s show it going.
const CONSENT_UNANSWERED: u32 = 3;
const CONSENT_SPAN_NS: i64 = 10_000_000_000;
/// ICE offered and the call answered this long ago, and not one check.
const NOT_STARTED_NS: i64 = 5_000_000_000;

pub(crate) fn judge(kind: CallKind, p: &CallParts<'_>, now: i64) -> Outcome {
    let applies = !p.sessions.is_empty()
        || p.ice_agreed()
        || !p.allocations.is_empty()
        || !p.server_queries.is_empty();
    if !applies {
        return Outcome::NotApplicable;
    }
    // A session that worked passes ICE, unless consent was lost later.
    let working: Vec<&IceSession> = p
        .sessions
        .iter()
        .copied()
        .filter(|s| s.answered > 0)
        .collect();
    if !working.is_empty() {
        for s in &working {
            if let Some(v) = consent_lost(s, p) {
                return Outcome::Done(v);
            }
        }
        return Outcome::Passed;
    }
    if kind == CallKind::TurnAllocation {
        return match p.allocations.first() {
            Some(a) if a.succeeded() => Outcome::Done(allocation_ok(a)),
            Some(a) => turn_failure(a, p, now).map_or(Outcome::Passed, Outcome::Done),
            None => Outcome::NotApplicable,
        };
    }
    // No pair worked. TURN failing explains a missing relay candidate.
    let failed_turn: Vec<&Allocation> = p
        .allocations
        .iter()
        .copied()
        .filter(|a| !a.succeeded())
        .collect();
    let turn_verdict = failed_turn.iter().find_map(|a| turn_failure(a, p, now));
    let has_checks = p.sessions.iter().any(|s| s.checks > 0);
    if !has_checks {
        if let Some(v) = turn_verdict {
            return Outcome::Done(v);
        }
        if let Some(v) = stun_unreachable(p, now) {
            return Outcome::Done(v);
        }
        if p.ice_agreed() {
            return Outcome::Done(not_started(p, now));
        }
        return Outcome::Passed;
    }
    // Gathering comes before the checks: a relay or server-reflexive
    // candidate that could not be had is the first failure, and often the
    // cause (a relay would have carried the call). The checks' fate is
    // told after it.
    let gathering = turn_verdict
        .filter(|v| v.code != VerdictCode::CaptureEnded)
        .or_else(|| stun_unreachable(p, now).filter(|v| v.code != VerdictCode::CaptureEnded));
    let checks = checks_failed(p, now);
    Outcome::Done(match gathering {
        Some(mut v) if checks.code != VerdictCode::CaptureEnded => {
            v.summary.push_str("; then ");
            v.summary
                .push_str(checks.summary.trim_start_matches("ICE: "));
            let mut evidence = v.evidence.clone();
            evidence.extend(checks.evidence);
            v.with_evidence(evidence)
        }
        _ => checks,
    })
}

fn allocation_ok(a: &Allocation) -> Verdict {
    let mut evidence = Vec::new();
    for at in a.attempts.items() {
        evidence.push(ev(
            at.frame,
            at.ts,
            format!(
                "Allocate request{}",
                if at.with_credentials {
                    " with credentials"
                } else {
                    ""
                }
            ),
        ));
        if let (Some(f), Some(outcome)) = (at.response_frame, at.outcome) {
            evidence.push(ev(
                f,
                at.ts,
                match outcome {
                    None => "Allocate success".to_string(),
                    Some(c) => format!("Allocate error {c} {}", at.reason),
                },
            ));
        }
    }
    Verdict::new(
        VerdictCode::OkAllocated,
        format!(
            "TURN: allocation for {} on {} succeeded{}; no ICE connectivity check used it in this capture",
            a.client,
            a.server,
            a.relayed.map(|r| format!(", relayed address {r}")).unwrap_or_default()
        ),
    )
    .with_evidence(evidence)
}

/// Why an allocation failed, or None if it did not (yet).
fn turn_failure(a: &Allocation, p: &CallParts<'_>, now: i64) -> Option<Verdict> {
    if a.succeeded() {
        return None;
    }
    let attempts = a.attempts.items();
    let last = attempts.last()?;
    let mut evidence = Vec::new();
    for at in attempts {
        evidence.push(ev(
            at.frame,
            at.ts,
            format!(
                "Allocate {} -> {}{} ({} transmission{})",
                a.client,
                a.server,
                if at.with_credentials {
                    " with credentials"
                } else {
                    ""
                },
                at.transmissions,
                if at.transmissions == 1 { "" } else { "s" }
            ),
        ));
        if let (Some(f), Some(Some(code))) = (at.response_frame, at.outcome) {
            evidence.push(ev(f, at.ts, format!("Allocate error {code} {}", at.reason)));
        }
    }
    let answered_any = attempts.iter().any(|at| at.outcome.is_some());
    if !answered_any {
        let sent: u32 = attempts.iter().map(|at| at.transmissions).sum();
        let first = attempts.first().map(|at| at.ts).unwrap_or(a.first_ts);
        if sent < TRANSMISSIONS_FOR_VERDICT && now - first < PATIENCE_NS {
            return Some(
                Verdict::capture_ended(
                    Stage::Ice,
                    format!(
                        "TURN: capture ends {} after the Allocate to {}",
                        s(now - first),
                        a.server
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let icmp: Vec<_> = p
            .unreachables
            .iter()
            .filter(|u| u.original_src == a.client && u.original_dst == a.server)
            .collect();
        let answer = match icmp.first() {
            Some(u) => {
                evidence.push(ev(
                    u.frame,
                    u.ts,
                    format!("ICMP {:?} unreachable from {}", u.kind, u.reporter),
                ));
                format!(
                    "answered only by ICMP {:?} unreachable ({} times)",
                    u.kind,
                    icmp.len()
                )
            }
            None => "no response".to_string(),
        };
        let mut v = Verdict::new(
            VerdictCode::TurnUnreachable,
            format!(
                "ICE: TURN Allocate from {} to {} ({}) sent {} over {}, {answer}; no relay candidate from this server",
                a.client,
                a.server,
                if a.tcp { "TCP" } else { "UDP" },
                super::times(sent),
                s(a.last_ts - first)
            ),
        )
        .with_evidence(evidence);
        if a.tcp {
            v.advice = vec![format!(
                "Open TCP {} outbound to the TURN server, or check its address and that it listens on TCP.",
                a.server.port()
            )];
        } else if a.server.port() != 3478 {
            v.advice[0] = format!(
                "Open UDP {} outbound to the TURN server, or use TURN over TCP/TLS on 443 as a fallback.",
                a.server.port()
            );
        }
        return Some(v);
    }
    let code = match last.outcome {
        Some(Some(c)) => c,
        // The last attempt is unanswered but an earlier one was: judge by
        // the last answer.
        _ => attempts.iter().rev().find_map(|at| at.outcome.flatten())?,
    };
    let credentials_tried = attempts.iter().any(|at| at.with_credentials);
    let auth = matches!(code, 441 | 431) || (code == 401 && credentials_tried);
    if auth {
        return Some(
            Verdict::new(
                VerdictCode::TurnAuthFailed,
                format!(
                    "ICE: TURN server {} refused the credentials of {}{}: Allocate with credentials answered {} {}",
                    a.server,
                    a.client,
                    match (&a.username, &a.realm) {
                        (Some(u), Some(r)) => format!(" (user {u}, realm {r})"),
                        (Some(u), None) => format!(" (user {u})"),
                        _ => String::new(),
                    },
                    code,
                    last.reason
                ),
            )
            .with_evidence(evidence),
        );
    }
    if code == 401 {
        // A challenge never answered with credentials: the client stopped
        // (or the capture did).
        return Some(
            Verdict::new(
                VerdictCode::TurnAuthFailed,
                format!(
                    "ICE: TURN server {} challenged {} (401) and no Allocate with credentials followed",
                    a.server, a.client
                ),
            )
            .with_evidence(evidence),
        );
    }
    Some(
        Verdict::new(
            VerdictCode::TurnAllocateError,
            format!(
                "ICE: TURN Allocate from {} to {} failed with {} {}",
                a.client, a.server, code, last.reason
            ),
        )
        .with_evidence(evidence),
    )
}

fn stun_unreachable(p: &CallParts<'_>, now: i64) -> Option<Verdict> {
    let unanswered: Vec<_> = p
        .server_queries
        .iter()
        .filter(|q| q.successes == 0 && q.errors == 0)
        .collect();
    if unanswered.is_empty() || p.server_queries.iter().any(|q| q.successes > 0) {
        return None;
    }
    let q = unanswered[0];
    let evidence = vec![ev(
        q.first.0,
        q.first.1,
        format!("Binding request {} -> {} (STUN server)", q.client, q.server),
    )];
    if q.transmissions < TRANSMISSIONS_FOR_VERDICT && now - q.first.1 < PATIENCE_NS {
        return Some(
            Verdict::capture_ended(
                Stage::Ice,
                format!(
                    "ICE: capture ends {} after the STUN Binding to {}",
                    s(now - q.first.1),
                    q.server
                ),
            )
            .with_evidence(evidence),
        );
    }
    Some(
        Verdict::new(
            VerdictCode::StunServerUnreachable,
            format!(
                "ICE: STUN Binding from {} to {} sent {} over {}, no response; no server-reflexive candidate{}",
                q.client,
                q.server,
                super::times(q.transmissions),
                s(q.last_ts - q.first.1),
                if unanswered.len() > 1 {
                    format!(" ({} STUN servers unanswered)", unanswered.len())
                } else {
                    String::new()
                }
            ),
        )
        .with_evidence(evidence),
    )
}

fn not_started(p: &CallParts<'_>, now: i64) -> Verdict {
    let accepted = p
        .dialog
        .and_then(|d| d.accepted())
        .map(|(_, r)| (r.frame, r.ts));
    let mut evidence: Vec<Evidence> = p
        .sdp_media
        .iter()
        .filter(|m| m.ice)
        .take(2)
        .map(|m| {
            ev(
                m.frame,
                m.ts,
                format!("SDP offers ICE for {} {}", m.kind, m.endpoint),
            )
        })
        .collect();
    let since = accepted.map_or_else(|| p.start_ts(), |a| a.1);
    if let Some((f, ts)) = accepted {
        evidence.push(ev(f, ts, "call accepted"));
    }
    if now - since < NOT_STARTED_NS {
        return Verdict::capture_ended(
            Stage::Ice,
            format!(
                "ICE: capture ends {} after the call was accepted, before any connectivity check",
                s(now - since)
            ),
        )
        .with_evidence(evidence);
    }
    Verdict::new(
        VerdictCode::IceNotStarted,
        format!(
            "ICE: SDP offered ICE (ufrags {}) and the call was accepted, but no connectivity check was sent in the following {}",
            p.sdp_ufrags.join(", "),
            s(now - since)
        ),
    )
    .with_evidence(evidence)
}

/// No pair worked: the checks of all the call's sessions (one call can
/// show two ufrag pairs when a ufrag was altered in transit).
fn checks_failed(p: &CallParts<'_>, now: i64) -> Verdict {
    let pairs: Vec<_> = p.sessions.iter().flat_map(|s| s.pairs.items()).collect();
    let locals: std::collections::BTreeSet<_> = pairs.iter().map(|p| p.local).collect();
    let remotes: std::collections::BTreeSet<_> = pairs.iter().map(|p| p.remote).collect();
    let checks: u32 = p.sessions.iter().map(|s| s.checks).sum();
    let transmissions: u32 = p.sessions.iter().map(|s| s.transmissions).sum();
    let first_ts = p.sessions.iter().map(|s| s.first_ts).min().unwrap_or(now);
    let last_ts = p.sessions.iter().map(|s| s.last_ts).max().unwrap_or(now);
    let errors: Vec<_> = p.sessions.iter().flat_map(|s| s.errors.items()).collect();
    let mut evidence = Vec::new();
    if let Some(first) = pairs.iter().min_by_key(|p| p.first_check.0) {
        evidence.push(ev(
            first.first_check.0,
            first.first_check.1,
            format!("first check {} -> {}", first.local, first.remote),
        ));
    }
    if let Some(last) = pairs.iter().max_by_key(|p| p.last_check_ts) {
        evidence.push(ev(
            last.last_check_frame,
            last.last_check_ts,
            format!("last check {} -> {}", last.local, last.remote),
        ));
    }
    let error_text = |code: u16, reason: &str| {
        if code == 0 {
            reason.to_string()
        } else {
            format!("{code} {reason}")
        }
    };
    for (code, reason, f, ts) in errors.iter().take(4) {
        evidence.push(ev(
            *f,
            *ts,
            format!("Binding error {}", error_text(*code, reason)),
        ));
    }
    let span = last_ts - first_ts;
    let relay_offered = p.sdp_candidates.iter().any(|(t, _, _)| t == "relay")
        || p.allocations.iter().any(|a| a.succeeded());
    if errors.is_empty() {
        // Patience per check: a check sent twice (two pairs, two checks
        // each) is not three tries of one.
        let most_tries = pairs.iter().map(|p| p.transmissions).max().unwrap_or(0);
        if most_tries < TRANSMISSIONS_FOR_VERDICT && now - first_ts < PATIENCE_NS {
            return Verdict::capture_ended(
                Stage::Ice,
                format!(
                    "ICE: capture ends {} after the first connectivity check",
                    s(now - first_ts)
                ),
            )
            .with_evidence(evidence);
        }
        let mut summary =
            format!(
            "ICE: {} ({} transmissions) from {} to {} remote candidate{} over {}, none answered",
            plural(checks.into(), "connectivity check"),
            transmissions,
            locals.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
            remotes.len(),
            if remotes.len() == 1 { "" } else { "s" },
            s(span)
        );
        if relay_offered {
            summary.push_str("; a relay candidate was available");
        } else if p.allocations.is_empty() {
            summary.push_str("; no relay candidate offered");
        }
        return Verdict::new(VerdictCode::IceNoResponse, summary).with_evidence(evidence);
    }
    let codes: std::collections::BTreeSet<String> = errors
        .iter()
        .map(|(c, r, _, _)| error_text(*c, r))
        .collect();
    let mut summary = format!(
        "ICE: {} ({} transmissions) answered only with errors ({}) over {}",
        plural(checks.into(), "connectivity check"),
        transmissions,
        codes.into_iter().collect::<Vec<_>>().join(", "),
        s(span)
    );
    if p.sessions.len() > 1 {
        let pairs: Vec<String> = p
            .sessions
            .iter()
            .map(|s| format!("{}:{}", s.ufrags[0], s.ufrags[1]))
            .collect();
        summary.push_str(&format!(
            "; the two sides used different ufrag pairs ({}): the ICE credentials in the SDP do not match",
            pairs.join(" and ")
        ));
    }
    Verdict::new(VerdictCode::IceCheckErrors, summary).with_evidence(evidence)
}

fn consent_lost(session: &IceSession, p: &CallParts<'_>) -> Option<Verdict> {
    // A pair that worked, then stopped answering, while no pair of the
    // session answered after that: the path is gone, not just one spare
    // candidate that never worked.
    let latest_success = session.last_success.map(|x| x.1)?;
    let pair = session.pairs.items().iter().find(|p| {
        p.first_unanswered_after_success
            .is_some_and(|(_, first_ts)| {
                p.unanswered_since_success >= CONSENT_UNANSWERED
                    && p.last_unanswered_ts - first_ts >= CONSENT_SPAN_NS
                    && latest_success < first_ts
            })
    })?;
    let (first_f, first_ts) = pair.first_unanswered_after_success?;
    let (last_ok_f, last_ok_ts) = session.last_success?;
    let mut evidence = vec![
        ev(last_ok_f, last_ok_ts, "last answered check"),
        ev(first_f, first_ts, "first unanswered consent check"),
    ];
    // What the pair carried before it went: media, if the capture saw it.
    let on_pair: Vec<_> = p
        .streams
        .iter()
        .filter(|st| {
            (st.key.src == pair.local && st.key.dst == pair.remote)
                || (st.key.src == pair.remote && st.key.dst == pair.local)
        })
        .collect();
    // Packets sent into a path that drops them are still captured on the
    // sender's side: media "worked" while it came back both ways.
    let last_each_way = |from: std::net::SocketAddr| {
        on_pair
            .iter()
            .filter(|st| st.key.src == from)
            .max_by_key(|st| st.last_ts)
            .copied()
    };
    let worked = match (
        on_pair.iter().map(|st| st.first_ts).min(),
        last_each_way(pair.local),
        last_each_way(pair.remote),
    ) {
        (Some(start), Some(a), Some(b)) => {
            let end = if a.last_ts <= b.last_ts { a } else { b };
            evidence.push(ev(
                end.last_frame,
                end.last_ts,
                format!("last RTP from {} (media both ways until here)", end.key.src),
            ));
            format!("carried media both ways for {}", s(end.last_ts - start))
        }
        _ => format!(
            "answered checks until {} into the session",
            s(last_ok_ts - session.first_ts)
        ),
    };
    Some(
        Verdict::new(
            VerdictCode::IceConsentLost,
            format!(
                "ICE: the pair {} <-> {} {worked}, then {} consent checks over {} went unanswered",
                pair.local,
                pair.remote,
                pair.unanswered_since_success,
                s(pair.last_unanswered_ts - first_ts)
            ),
        )
        .with_evidence(evidence),
    )
}
