//! DTLS stage: does the DTLS-SRTP handshake complete on the selected pair,
//! with the certificate the SDP promised (RFC 5763, RFC 8842)?

use crate::analysis::dtls::DtlsAssociation;
use crate::analysis::{CallKind, CallParts, Evidence};

use super::{ev, s, Outcome, Stage, Verdict, VerdictCode};

/// DTLS retransmits its flights from 1 s with back-off (RFC 6347 s4.2.4.1);
/// three ClientHellos or this long without an answer is a failure.
const PATIENCE_NS: i64 = 3_000_000_000;
const HELLOS_FOR_VERDICT: u32 = 3;
/// ICE worked this long ago and no DTLS handshake began.
const NOT_STARTED_NS: i64 = 5_000_000_000;

/// The association that carries the call's media: the one on the ICE
/// selected pair, else the one that got furthest.
fn main_association<'a>(p: &CallParts<'a>) -> Option<&'a DtlsAssociation> {
    let selected: Vec<_> = p
        .sessions
        .iter()
        .filter_map(|s| s.selected_pair())
        .collect();
    p.associations
        .iter()
        .copied()
        .find(|a| selected.iter().any(|pair| a.has(pair.local, pair.remote)))
        .or_else(|| {
            p.associations
                .iter()
                .copied()
                .max_by_key(|a| (a.complete(), a.server_hello.is_some(), a.client_hellos))
        })
}

pub(crate) fn judge(_kind: CallKind, p: &CallParts<'_>, now: i64) -> Outcome {
    if p.associations.is_empty() && !p.dtls_offered() {
        return Outcome::NotApplicable;
    }
    let Some(a) = main_association(p) else {
        return not_started(p, now);
    };
    let mut evidence = Vec::new();
    if let Some((f, ts)) = a.client_hello_frames.items().first() {
        evidence.push(ev(
            *f,
            *ts,
            format!("ClientHello {} -> {}", a.client, a.server),
        ));
    }
    if let Some((f, ts)) = a.hello_verify {
        evidence.push(ev(f, ts, "HelloVerifyRequest (cookie exchange)"));
    }
    if a.client_hello_frames.len() > 1 && a.hello_verify.is_some() && a.client_hellos == 2 {
        if let Some((f, ts)) = a.client_hello_frames.last() {
            evidence.push(ev(*f, *ts, "ClientHello with the cookie"));
        }
    } else if a.client_hello_frames.len() > 1 {
        if let Some((f, ts)) = a.client_hello_frames.last() {
            evidence.push(ev(
                *f,
                *ts,
                format!("ClientHello ({} transmissions)", a.client_hellos),
            ));
        }
    }
    if let Some((f, ts)) = a.server_hello {
        evidence.push(ev(f, ts, "ServerHello"));
    }
    // Only an alert in clear says it was fatal and why; an encrypted one
    // is most often the close_notify of a side that gave up, and is told
    // in the summary of the incomplete handshake instead.
    if let Some(alert) = a.fatal_alert() {
        let who = if alert.from_client {
            a.client
        } else {
            a.server
        };
        evidence.push(ev(
            alert.frame,
            alert.ts,
            format!("{} from {who}", alert.text()),
        ));
        return Outcome::Done(
            Verdict::new(
                VerdictCode::DtlsAlert,
                format!(
                    "DTLS: handshake {} -> {} ended by {} from {who}{}",
                    a.client,
                    a.server,
                    alert.text(),
                    if a.relayed {
                        " (relayed through TURN)"
                    } else {
                        ""
                    }
                ),
            )
            .with_evidence(evidence),
        );
    }
    if a.complete() {
        if let Some(v) = fingerprint_mismatch(a, p, &evidence) {
            return Outcome::Done(v);
        }
        return Outcome::Passed;
    }
    // A capture that starts mid-session holds only encrypted records: the
    // handshake happened before it, and there is nothing to judge.
    if a.client_hellos == 0 && a.server_hello.is_none() && a.hello_verify_requests == 0 {
        return Outcome::Passed;
    }
    let first_hello = a
        .client_hello_frames
        .items()
        .first()
        .map(|x| x.1)
        .unwrap_or(a.first_ts);
    let answered = a.server_hello.is_some() || a.from_server.records > 0;
    if !answered {
        if a.client_hellos < HELLOS_FOR_VERDICT && now - first_hello < PATIENCE_NS {
            return Outcome::Done(
                Verdict::capture_ended(
                    Stage::Dtls,
                    format!(
                        "DTLS: capture ends {} after the ClientHello {} -> {}; too soon to call the handshake failed",
                        s(now - first_hello),
                        a.client,
                        a.server
                    ),
                )
                .with_evidence(evidence),
            );
        }
        return Outcome::Done(
            Verdict::new(
                VerdictCode::DtlsNoResponse,
                format!(
                    "DTLS: ClientHello sent {} times over {} ({} -> {}{}), no ServerHello or HelloVerifyRequest came back",
                    a.client_hellos,
                    s(a.last_ts - first_hello),
                    a.client,
                    a.server,
                    if a.relayed { ", relayed through TURN" } else { "" }
                ),
            )
            .with_evidence(evidence),
        );
    }
    let last = a.last_ts;
    // A handshake takes well under a second; one still open 3 s after
    // its ClientHello, or given up on with an alert, has failed.
    if (now - first_hello < PATIENCE_NS || now - a.last_progress_ts < PATIENCE_NS)
        && a.alerts.is_empty()
    {
        return Outcome::Done(
            Verdict::capture_ended(
                Stage::Dtls,
                format!(
                    "DTLS: capture ends {} into the handshake {} -> {}",
                    s(now - first_hello),
                    a.client,
                    a.server
                ),
            )
            .with_evidence(evidence),
        );
    }
    let missing = match (a.from_client.ccs.is_some(), a.from_server.ccs.is_some()) {
        (false, false) => "neither side's ChangeCipherSpec/Finished arrived",
        (true, false) => "the server's ChangeCipherSpec/Finished never arrived",
        (false, true) => "the client's ChangeCipherSpec/Finished never arrived",
        (true, true) => "the handshake did not finish",
    };
    if let Some((f, ts)) = a.from_client.ccs {
        evidence.push(ev(f, ts, "ChangeCipherSpec from client"));
    }
    if let Some((f, ts)) = a.from_server.ccs {
        evidence.push(ev(f, ts, "ChangeCipherSpec from server"));
    }
    let resent = [(a.client, &a.from_client), (a.server, &a.from_server)]
        .into_iter()
        .filter(|(_, d)| d.retransmissions > 0)
        .map(|(who, d)| {
            if let Some((f, ts)) = d.last_retransmission {
                evidence.push(ev(
                    f,
                    ts,
                    format!("{who} resends its flight ({} times)", d.retransmissions),
                ));
            }
            format!(
                "; {who} resent its last flight {}",
                super::times(d.retransmissions)
            )
        })
        .collect::<String>();
    let closing = a.alerts.items().first().map(|al| {
        let who = if al.from_client { a.client } else { a.server };
        evidence.push(ev(al.frame, al.ts, format!("{} from {who}", al.text())));
        format!("; {who} then sent {}", al.text())
    });
    Outcome::Done(
        Verdict::new(
            VerdictCode::DtlsIncomplete,
            format!(
                "DTLS: handshake {} -> {} started both ways ({} ClientHello{}, ServerHello {}) but {}{}{}; last DTLS record {} before the capture ended",
                a.client,
                a.server,
                a.client_hellos,
                if a.client_hellos == 1 { "" } else { "s" },
                if a.server_hello.is_some() { "seen" } else { "not seen" },
                missing,
                resent,
                closing.unwrap_or_default(),
                s(now - last)
            ),
        )
        .with_evidence(evidence),
    )
}

fn not_started(p: &CallParts<'_>, now: i64) -> Outcome {
    // DTLS was offered in SDP but no record was seen. If media flows
    // anyway (SDES-SRTP or plain RTP), there is nothing to judge here.
    if !p.streams.is_empty() {
        return Outcome::Passed;
    }
    let ice_ok = p
        .sessions
        .iter()
        .filter_map(|s| s.first_success())
        .min_by_key(|x| x.1);
    let since = match ice_ok {
        Some((_, ts)) => ts,
        None => match p.dialog.and_then(|d| d.accepted()) {
            Some((_, r)) => r.ts,
            None => return Outcome::Passed,
        },
    };
    let mut evidence = Vec::new();
    if let Some((f, ts)) = ice_ok {
        evidence.push(ev(f, ts, "ICE check answered"));
    }
    if now - since < NOT_STARTED_NS {
        return Outcome::Done(
            Verdict::capture_ended(
                Stage::Dtls,
                format!(
                    "DTLS: capture ends {} after ICE connected, before any DTLS record",
                    s(now - since)
                ),
            )
            .with_evidence(evidence),
        );
    }
    Outcome::Done(
        Verdict::new(
            VerdictCode::DtlsNoResponse,
            format!(
                "DTLS: the SDP offered DTLS-SRTP but no DTLS record was sent in the {} after the media path was up",
                s(now - since)
            ),
        )
        .with_evidence(evidence),
    )
}

fn fingerprint_mismatch(
    a: &DtlsAssociation,
    p: &CallParts<'_>,
    base: &[Evidence],
) -> Option<Verdict> {
    let sdp: Vec<&(bool, String, String)> = p
        .sdp_fingerprints
        .iter()
        .filter(|(_, h, _)| h.eq_ignore_ascii_case("sha-256"))
        .collect();
    if sdp.is_empty() {
        return None;
    }
    // Which SDP speaks for an address: the one that announced it as its
    // media endpoint or as a candidate.
    let announced_by = |addr: std::net::SocketAddr| -> Option<bool> {
        p.sdp_media
            .iter()
            .find(|m| m.endpoint == addr)
            .map(|m| m.from_caller)
            .or_else(|| {
                p.sdp_candidates
                    .iter()
                    .find(|(_, c, _)| *c == addr)
                    .map(|(_, _, from_caller)| *from_caller)
            })
    };
    for (side, addr, dir) in [
        ("client", a.client, &a.from_client),
        ("server", a.server, &a.from_server),
    ] {
        let Some(fp) = &dir.certificate_fingerprint else {
            continue;
        };
        // Each side's certificate must match its own SDP's fingerprint;
        // when the side cannot be told, any of them.
        let owner = announced_by(addr);
        let expected: Vec<&&(bool, String, String)> = sdp
            .iter()
            .filter(|(from_caller, _, _)| owner.is_none_or(|o| o == *from_caller))
            .collect();
        let expected = if expected.is_empty() {
            sdp.iter().collect()
        } else {
            expected
        };
        if !expected.iter().any(|(_, _, v)| v.eq_ignore_ascii_case(fp)) {
            let mut evidence = base.to_vec();
            let (f, ts) = dir.certificate_frame.unwrap_or((a.first_frame, a.first_ts));
            evidence.push(ev(f, ts, format!("{side} certificate sha-256 {fp}")));
            if let Some(m) = p.sdp_media.iter().find(|m| Some(m.from_caller) == owner) {
                evidence.push(ev(
                    m.frame,
                    m.ts,
                    "SDP with the a=fingerprint it should match",
                ));
            }
            let sdp = expected;
            return Some(
                Verdict::new(
                    VerdictCode::DtlsFingerprintMismatch,
                    format!(
                        "DTLS: the {side} {addr} presented a certificate with sha-256 {fp}, which matches none of the SDP a=fingerprint values ({})",
                        sdp.iter().map(|(_, _, v)| v.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_evidence(evidence),
            );
        }
    }
    None
}
