//! Media stage: does RTP/SRTP flow in both directions once the call is up?
//! Quality (loss, jitter) is reported per stream, not judged here, unless
//! the media stopped.

use std::net::SocketAddr;

use crate::analysis::rtp::RtpStream;
use crate::analysis::{CallKind, CallParts};
use crate::decode::sdp::Direction;

use super::{ev, s, Outcome, Stage, Verdict, VerdictCode};

/// The call was up this long before the capture ended without media: too
/// soon to say it has none (a first packet may take ~1 s after answer).
const PATIENCE_NS: i64 = 2_000_000_000;
/// Media that stopped this long before the call ended (BYE or capture
/// end) while the call went on.
const STOPPED_NS: i64 = 5_000_000_000;
/// A direction carries media when it has at least this many packets...
const FLOWING_PACKETS: u64 = 10;
/// ...or when its packets span at least this long (comfort noise and DTX
/// send a packet every few hundred ms while a side is silent: that is a
/// live direction).
const FLOWING_SPAN_NS: i64 = 1_000_000_000;
/// A direction below both is stray, not media, when the other direction
/// carries media and at least this many times its packets (one packet
/// against a hundred; not 7 against 8 in a short capture).
const STRAY_RATIO: u64 = 10;

fn packets(streams: &[&RtpStream]) -> u64 {
    streams.iter().map(|s| s.packets).sum()
}

/// Whether the streams of one direction carry media (see
/// [`FLOWING_PACKETS`] and [`FLOWING_SPAN_NS`]).
fn flows(streams: &[&RtpStream]) -> bool {
    let first = streams.iter().map(|s| s.first_ts).min();
    let last = streams.iter().map(|s| s.last_ts).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    packets(streams) >= FLOWING_PACKETS || span >= FLOWING_SPAN_NS
}

/// `streams` are stray packets against `other`, a direction with media.
fn stray(streams: &[&RtpStream], other: &[&RtpStream]) -> bool {
    flows(other) && !flows(streams) && packets(streams) * STRAY_RATIO <= packets(other)
}

pub(crate) fn judge(kind: CallKind, p: &CallParts<'_>, now: i64) -> Outcome {
    // When was the call up, from which evidence?
    let up: Option<(u64, i64, &str)> = match kind {
        CallKind::SipCall => match p.dialog.and_then(|d| d.accepted()) {
            Some((_, r)) => Some((r.frame, r.ts, "call accepted")),
            None => return Outcome::NotApplicable,
        },
        // DTLS that negotiated no SRTP profile (a VPN, a plain DTLS
        // application) carries no RTP: media does not apply.
        CallKind::DtlsSession if !p.associations.iter().any(|a| a.srtp_profile.is_some()) => {
            return Outcome::NotApplicable
        }
        CallKind::Webrtc | CallKind::DtlsSession => {
            let dtls_done = p
                .associations
                .iter()
                .filter_map(|a| a.completed_at())
                .min_by_key(|x| x.1);
            let ice_ok = p
                .sessions
                .iter()
                .filter_map(|s| s.first_success())
                .min_by_key(|x| x.1);
            match (dtls_done, ice_ok) {
                (Some((f, ts)), _) => Some((f, ts, "DTLS handshake complete")),
                (None, Some((f, ts))) if p.associations.is_empty() => {
                    Some((f, ts, "ICE connected"))
                }
                _ => return Outcome::NotApplicable,
            }
        }
        CallKind::RtpSession => None,
        _ => return Outcome::NotApplicable,
    };
    let end_of_call = p
        .dialog
        .and_then(|d| d.transaction("BYE"))
        .map(|t| (t.frames.items().first().copied().unwrap_or(0), t.first_ts));

    let (forward, backward) = split_directions(p);
    let mut evidence = Vec::new();
    if let Some((f, ts, text)) = up {
        evidence.push(ev(f, ts, text));
    }
    for st in forward.iter().chain(backward.iter()).take(4) {
        evidence.push(ev(
            st.first_frame,
            st.first_ts,
            format!(
                "RTP SSRC 0x{:08X} {} -> {}: {}",
                st.key.ssrc,
                st.key.src,
                st.key.dst,
                crate::analysis::evidence::plural(st.packets, "packet")
            ),
        ));
    }
    if let Some((f, ts)) = end_of_call {
        evidence.push(ev(f, ts, "BYE"));
    }
    let until = end_of_call.map(|x| x.1).unwrap_or(now);
    let up_ts = up.map(|x| x.1).unwrap_or_else(|| p.start_ts());

    if forward.is_empty() && backward.is_empty() {
        if until - up_ts < PATIENCE_NS && end_of_call.is_none() {
            return Outcome::Done(
                Verdict::capture_ended(
                    Stage::Media,
                    format!(
                        "media: capture ends {} after the call was up, before any RTP",
                        s(until - up_ts)
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let mut expected: Vec<String> = Vec::new();
        for m in &p.sdp_media {
            let e = m.endpoint.to_string();
            if !expected.contains(&e) {
                expected.push(e);
            }
        }
        return Outcome::Done(
            Verdict::new(
                VerdictCode::MediaNone,
                format!(
                    "media: {} up for {}{}, no RTP/SRTP in either direction{}",
                    if kind == CallKind::SipCall {
                        "call"
                    } else {
                        "session"
                    },
                    s(until - up_ts),
                    if end_of_call.is_some() {
                        " until BYE"
                    } else {
                        ""
                    },
                    if expected.is_empty() {
                        String::new()
                    } else {
                        format!(" (SDP expected media at {})", expected.join(", "))
                    }
                ),
            )
            .with_evidence(evidence),
        );
    }
    let (stray_forward, stray_backward) = (stray(&forward, &backward), stray(&backward, &forward));
    if forward.is_empty() || backward.is_empty() || stray_forward || stray_backward {
        let first_media = forward
            .iter()
            .chain(backward.iter())
            .map(|s| s.first_ts)
            .min()
            .unwrap_or(up_ts);
        // The other side's first packet may simply not have come yet.
        if end_of_call.is_none() && now - first_media.max(up_ts) < PATIENCE_NS {
            return Outcome::Done(
                Verdict::capture_ended(
                    Stage::Media,
                    format!(
                        "media: capture ends {} after media started in one direction, too soon to say the other is silent",
                        s(now - first_media)
                    ),
                )
                .with_evidence(evidence),
            );
        }
        let one_way_expected = p
            .sdp_media
            .iter()
            .any(|m| m.direction != Direction::SendRecv);
        if !one_way_expected {
            // The direction that carries media; with both below the rule,
            // the one that has packets.
            let (flowing, other) = if stray_backward || backward.is_empty() {
                (&forward, &backward)
            } else {
                (&backward, &forward)
            };
            let st = flowing[0];
            let stray = packets(other);
            let packets = packets(flowing);
            let other_way = if stray == 0 {
                "nothing in the other direction".to_string()
            } else {
                format!(
                    "only {} the other way (fewer than {FLOWING_PACKETS} over less than {}: not media)",
                    crate::analysis::evidence::plural(stray, "stray packet"),
                    s(FLOWING_SPAN_NS)
                )
            };
            return Outcome::Done(
                Verdict::new(
                    VerdictCode::MediaOneWay,
                    format!(
                        "media: RTP only from {} to {} ({} packets over {}), {other_way}",
                        st.key.src,
                        st.key.dst,
                        packets,
                        s(st.last_ts - st.first_ts)
                    ),
                )
                .with_evidence(evidence),
            );
        }
    }
    // Media that stopped while the call went on.
    let last_media = forward
        .iter()
        .chain(backward.iter())
        .map(|s| s.last_ts)
        .max()
        .unwrap_or(up_ts);
    // A re-INVITE that moved the call off RTP (T.38 fax is m=image over
    // UDPTL) stops RTP on purpose.
    let last_sdp = p.sdp_media.iter().map(|m| m.frame).max();
    let still_rtp = last_sdp.is_none_or(|f| {
        p.sdp_media
            .iter()
            .any(|m| m.frame == f && (m.kind == "audio" || m.kind == "video"))
    });
    if until - last_media >= STOPPED_NS && kind == CallKind::SipCall && still_rtp {
        return Outcome::Done(
            Verdict::new(
                VerdictCode::MediaStopped,
                format!(
                    "media: RTP flowed both ways, then stopped {} before the call ended",
                    s(until - last_media)
                ),
            )
            .with_evidence(evidence),
        );
    }
    Outcome::Passed
}

/// Splits the call's streams into the two directions of the call.
fn split_directions<'a>(p: &CallParts<'a>) -> (Vec<&'a RtpStream>, Vec<&'a RtpStream>) {
    // Reference side: the caller's SDP endpoints; else the DTLS client;
    // else the first ICE checker; else the first stream's source.
    let mut side_a: Vec<SocketAddr> = p
        .sdp_media
        .iter()
        .filter(|m| m.from_caller)
        .map(|m| m.endpoint)
        .collect();
    let side_b: Vec<SocketAddr> = p
        .sdp_media
        .iter()
        .filter(|m| !m.from_caller)
        .map(|m| m.endpoint)
        .collect();
    if side_a.is_empty() && side_b.is_empty() {
        if let Some(a) = p.associations.first() {
            side_a.push(a.client);
        } else if let Some(pair) = p.sessions.first().and_then(|s| s.pairs.items().first()) {
            side_a.push(pair.local);
        } else if let Some(s) = p.streams.first() {
            side_a.push(s.key.src);
        }
    }
    let mut forward: Vec<&'a RtpStream> = Vec::new();
    let mut backward: Vec<&'a RtpStream> = Vec::new();
    for st in &p.streams {
        let from_a = side_a.contains(&st.key.src)
            || side_b.contains(&st.key.dst)
            || (side_a.iter().any(|a| a.ip() == st.key.src.ip())
                && !side_a.iter().any(|a| a.ip() == st.key.dst.ip()));
        if from_a {
            forward.push(*st);
        } else {
            backward.push(*st);
        }
    }
    // SDP can mislead (a re-INVITE from the callee, the same endpoints on
    // both sides): streams that answer each other between the same two
    // addresses are two directions whatever the SDP said.
    if forward.is_empty() || backward.is_empty() {
        let all: Vec<&'a RtpStream> = forward.drain(..).chain(backward.drain(..)).collect();
        let Some(first) = all.first().map(|f| f.key) else {
            return (forward, backward);
        };
        let (a, b) = (first.src.ip(), first.dst.ip());
        for st in all {
            // Reverse direction: by address, or by port when both sides
            // share one host.
            let reverse = if a != b {
                st.key.src.ip() == b && st.key.dst.ip() == a
            } else {
                st.key.src != first.src
            };
            if reverse {
                backward.push(st);
            } else {
                forward.push(st);
            }
        }
    }
    (forward, backward)
}
