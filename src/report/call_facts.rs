//! The facts of a call as the JSON report prints them (`report.md`): the
//! required fields plus per-stage details.

use serde_json::{json, Value};

use crate::analysis::CallParts;
use crate::report::format_epoch;
use crate::report::summary::Summary;

/// The per-stage facts of a call, as JSON values.
#[derive(Debug, Clone, Default)]
pub struct CallSummary<'a> {
    pub sip: Option<SipFacts<'a>>,
    pub ice: Option<Value>,
    pub turn: Vec<Value>,
    pub dtls: Option<Value>,
    pub streams: Vec<StreamFacts>,
}

/// One RTP stream in the report. Fields in the order of their names, the
/// order serde_json gives the keys of every other object in the report
/// (a `Value` map sorts them): written directly, this struct reads the same.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StreamFacts {
    pub bad_sequence: u64,
    pub clock_rate: Option<u32>,
    pub dst: std::net::SocketAddr,
    pub duplicates: u64,
    pub expected: u64,
    pub first_frame: u64,
    pub first_ts: f64,
    pub jitter_ms: f64,
    pub last_ts: f64,
    pub lost: u64,
    pub max_gap_ms: f64,
    /// E-model MOS estimate (see `analysis::quality`); `None` for video.
    pub mos: Option<f64>,
    pub out_of_order: u64,
    pub packets: u64,
    pub payload_type: u8,
    pub relayed: bool,
    pub src: std::net::SocketAddr,
    pub ssrc: u32,
}

/// A call's SIP dialog in the report. Here and below, fields in the order
/// of their names: see `StreamFacts`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SipFacts<'a> {
    pub call_id: &'a str,
    pub callee: std::net::SocketAddr,
    pub caller: std::net::SocketAddr,
    pub final_status: Option<u16>,
    pub from: &'a str,
    pub messages: u64,
    pub method: &'a str,
    pub sdp: Vec<SdpFacts>,
    pub to: &'a str,
    pub transactions: Vec<SipTransactionFacts<'a>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SdpFacts {
    pub frame: u64,
    pub from_caller: bool,
    pub summary: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SipTransactionFacts<'a> {
    pub cseq: u32,
    pub dst: std::net::SocketAddr,
    pub frames: &'a [u64],
    pub method: &'a str,
    pub responses: Vec<SipResponseFacts<'a>>,
    pub sent: u32,
    pub src: std::net::SocketAddr,
    pub transport: &'static str,
    pub with_credentials: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SipResponseFacts<'a> {
    pub copies: u32,
    pub frame: u64,
    pub reason: &'a str,
    pub status: u16,
    pub ts: f64,
}

pub fn summarize<'a>(p: &CallParts<'a>) -> CallSummary<'a> {
    CallSummary {
        sip: p.dialog.map(|d| {
            let main = d.main_transactions().last();
            SipFacts {
                call_id: &d.call_id,
                callee: d.callee,
                caller: d.caller,
                final_status: main.and_then(|t| t.final_response()).map(|r| r.status),
                from: &d.from,
                messages: d.messages,
                method: &d.method,
                sdp: d
                    .sdps
                    .items()
                    .iter()
                    .map(|s| SdpFacts {
                        frame: s.frame,
                        from_caller: s.from_caller,
                        summary: s.sdp.summary(),
                    })
                    .collect(),
                to: &d.to,
                transactions: d
                    .transactions
                    .items()
                    .iter()
                    .map(|t| SipTransactionFacts {
                        cseq: t.cseq,
                        dst: t.dst,
                        frames: t.frames.items(),
                        method: &t.method,
                        responses: t
                            .responses
                            .iter()
                            .map(|r| SipResponseFacts {
                                copies: r.copies,
                                frame: r.frame,
                                reason: &r.reason,
                                status: r.status,
                                ts: format_epoch(r.ts),
                            })
                            .collect(),
                        sent: t.sent,
                        src: t.src,
                        transport: t.transport.as_str(),
                        with_credentials: t.with_credentials,
                    })
                    .collect(),
            }
        }),
        ice: ice_part(p),
        turn: p
            .allocations
            .iter()
            .map(|a| {
                json!({
                    "client": a.client.to_string(),
                    "server": a.server.to_string(),
                    "transport": if a.tcp { "tcp" } else { "udp" },
                    "relayed": a.relayed.map(|r| r.to_string()),
                    "succeeded": a.succeeded(),
                    "attempts": a.attempts.items().iter().map(|at| json!({
                        "frame": at.frame,
                        "transmissions": at.transmissions,
                        "with_credentials": at.with_credentials,
                        "result": match at.outcome { None => Value::Null, Some(None) => json!("success"), Some(Some(c)) => json!(c) },
                        "reason": at.reason,
                    })).collect::<Vec<_>>(),
                    "permissions": a.permissions.items().iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                    "channels": a.channels.len(),
                    "relayed_packets": a.relayed_packets(),
                })
            })
            .collect(),
        dtls: dtls_part(p),
        streams: p
            .streams
            .iter()
            .map(|s| StreamFacts {
                bad_sequence: s.bad_sequence,
                clock_rate: s.clock_rate,
                dst: s.key.dst,
                duplicates: s.duplicates,
                expected: s.expected(),
                first_frame: s.first_frame,
                first_ts: format_epoch(s.first_ts),
                jitter_ms: (s.jitter_ms() * 1000.0).round() / 1000.0,
                last_ts: format_epoch(s.last_ts),
                lost: s.lost(),
                max_gap_ms: (s.max_gap_ns as f64 / 1e6 * 10.0).round() / 10.0,
                mos: crate::analysis::quality::mos_estimate(
                    s.payload_type,
                    s.clock_rate,
                    s.lost(),
                    s.expected(),
                    s.jitter_ms(),
                ),
                out_of_order: s.out_of_order,
                packets: s.packets,
                payload_type: s.payload_type,
                relayed: s.relayed,
                src: s.key.src,
                ssrc: s.key.ssrc,
            })
            .collect(),
    }
}

fn ice_part(p: &CallParts<'_>) -> Option<Value> {
    if p.sessions.is_empty()
        && !p.ice_offered()
        && p.allocations.is_empty()
        && p.server_queries.is_empty()
    {
        return None;
    }
    let mut ufrags: Vec<String> = Vec::new();
    for s in &p.sessions {
        for u in &s.ufrags {
            if !ufrags.contains(u) {
                ufrags.push(u.clone());
            }
        }
    }
    for u in &p.sdp_ufrags {
        if !ufrags.contains(u) {
            ufrags.push(u.clone());
        }
    }
    let checks_sent: u32 = p.sessions.iter().map(|s| s.checks).sum();
    let checks_answered: u32 = p.sessions.iter().map(|s| s.answered).sum();
    let selected = p.sessions.iter().find_map(|s| s.selected_pair());
    Some(json!({
        "ufrags": ufrags,
        "checks_sent": checks_sent,
        "checks_answered": checks_answered,
        "selected_pair": selected.map(|pair| json!({"local": pair.local.to_string(), "remote": pair.remote.to_string()})),
        "pairs": p.sessions.iter().flat_map(|s| s.pairs.items().iter()).map(|pair| json!({
            "local": pair.local.to_string(),
            "remote": pair.remote.to_string(),
            "checks": pair.checks,
            "successes": pair.successes,
            "errors": pair.errors,
            "nominated": pair.nominated,
            "relayed": pair.relayed,
            "first_check_frame": pair.first_check.0,
            "first_success_frame": pair.first_success.map(|x| x.0),
            "rtt_ms": pair.rtt_ms().map(|r| (r * 1000.0).round() / 1000.0),
        })).collect::<Vec<_>>(),
        "stun_servers": p.server_queries.iter().map(|q| json!({
            "client": q.client.to_string(), "server": q.server.to_string(),
            "requests": q.requests, "transmissions": q.transmissions, "successes": q.successes,
            "mapped": q.mapped.map(|m| m.to_string()),
        })).collect::<Vec<_>>(),
    }))
}

fn dtls_part(p: &CallParts<'_>) -> Option<Value> {
    let a = p.associations.first()?;
    Some(json!({
        "handshake_complete": a.complete(),
        "client_hellos": a.client_hellos,
        "alerts": a.alerts.items().iter().map(|al| json!({
            "frame": al.frame,
            "from": if al.from_client { a.client.to_string() } else { a.server.to_string() },
            "level": al.level,
            "description": al.description,
            "text": al.text(),
        })).collect::<Vec<_>>(),
        "client": a.client.to_string(),
        "server": a.server.to_string(),
        "relayed": a.relayed,
        "version": a.version.map(|v| format!("0x{v:04x}")),
        "srtp_profile": a.srtp_profile,
        "hello_verify_requests": a.hello_verify_requests,
        "server_hello_frame": a.server_hello.map(|x| x.0),
        "client_certificate_sha256": a.from_client.certificate_fingerprint,
        "server_certificate_sha256": a.from_server.certificate_fingerprint,
        "sdp_fingerprints": p.sdp_fingerprints.iter().map(|(_, h, v)| format!("{h} {v}")).collect::<Vec<_>>(),
        "associations": p.associations.len(),
    }))
}
