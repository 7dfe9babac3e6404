//! Correlation: SIP dialogs, STUN transactions and ICE sessions, TURN
//! allocations, DTLS associations, RTP streams and signalling transport,
//! built up one decoded frame at a time. [`Analyzer::calls`] can be read at
//! any moment; every timeout is measured on capture time (the time of the
//! last frame fed), never the wall clock, so a live capture and a file give
//! the same answer for the same frames.

pub mod calls;
mod calls_summary;
pub mod dtls;
pub mod evidence;
pub mod ice;
pub mod rtp;
pub mod sip;
pub mod transport;
pub mod turn;

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::Pdu;
use crate::pipeline::{DecodedFrame, StreamKind, Transport};

pub use calls::{Call, CallKind, CallParts, CallRef};
pub use evidence::Evidence;
use ice::Leg;

/// Media endpoints announced in SDP, with their payload types' clock
/// rates, so RTP jitter is computed in the right units. Bounded: past it,
/// streams fall back to static or guessed rates.
const MAX_MEDIA_ENDPOINTS: usize = 400_000;

/// The error code and reason of a STUN response, with the standard reason
/// when the server sent none, and a plain statement when the ERROR-CODE is
/// missing or unreadable (seen in the field).
pub(crate) fn stun_error(msg: &crate::decode::stun::StunMessage<'_>) -> (Option<u16>, String) {
    use crate::decode::stun::{error_code_name, StunClass};
    if msg.class != StunClass::ErrorResponse {
        return (None, String::new());
    }
    match msg.error_code() {
        Some((c, r)) if !r.is_empty() => (Some(c), String::from_utf8_lossy(r).into_owned()),
        Some((c, _)) => (Some(c), error_code_name(c).unwrap_or("").to_string()),
        None => (None, "(no readable ERROR-CODE)".to_string()),
    }
}

/// Serializes capture time (ns) as seconds since the epoch.
pub fn serialize_ts<S: serde::Serializer>(ts: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::report::format_epoch(*ts))
}

#[derive(Debug, Default)]
pub struct Analyzer {
    pub sip: sip::SipTracker,
    pub ice: ice::IceTracker,
    pub turn: turn::TurnTracker,
    pub dtls: dtls::DtlsTracker,
    pub rtp: rtp::RtpTracker,
    pub transport: transport::TransportTracker,
    media_clocks: HashMap<SocketAddr, Vec<(u8, u32)>>,
    pub frames: u64,
    pub first_ts: Option<i64>,
    pub last_ts: i64,
}

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Capture time of the last frame fed: "now" for every timeout.
    pub fn now(&self) -> i64 {
        self.last_ts
    }

    pub fn feed(&mut self, f: &DecodedFrame<'_>) {
        self.frames += 1;
        self.first_ts.get_or_insert(f.ts_ns);
        self.last_ts = self.last_ts.max(f.ts_ns);
        match &f.transport {
            Transport::Tcp {
                src,
                dst,
                flags,
                stream_kind,
                ..
            } => {
                let sip = *stream_kind == StreamKind::Sip;
                self.transport
                    .on_tcp(*src, *dst, *flags, f.number, f.ts_ns, sip);
            }
            Transport::Icmp(info) => {
                if let Some(ip) = &f.ip {
                    self.transport.on_icmp(info, ip.src, f.number, f.ts_ns);
                }
            }
            _ => {}
        }
        let Some((src, dst)) = f.transport.endpoints() else {
            return;
        };
        let tcp = matches!(f.transport, Transport::Tcp { .. });
        for pdu in &f.pdus {
            self.on_pdu(pdu, f.number, f.ts_ns, src, dst, Leg::Direct, tcp);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_pdu(
        &mut self,
        pdu: &Pdu<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
        tcp: bool,
    ) {
        match pdu {
            Pdu::Sip(m) => {
                self.sip.on_message(m, frame, ts, src, dst, tcp);
                if let Some(sdp) = m.sdp() {
                    for (ip, port, media) in sdp.media_endpoints() {
                        if self.media_clocks.len() >= MAX_MEDIA_ENDPOINTS {
                            break;
                        }
                        let rates = media
                            .rtpmaps
                            .iter()
                            .map(|r| (r.payload_type, r.clock_rate))
                            .collect();
                        self.media_clocks.insert(SocketAddr::new(ip, port), rates);
                    }
                }
            }
            Pdu::Stun { msg, inner } => {
                if msg.method == crate::decode::stun::method::BINDING {
                    self.ice.on_binding(msg, frame, ts, src, dst, leg);
                } else if leg == Leg::Direct {
                    self.turn.on_message(msg, frame, ts, src, dst, tcp);
                }
                if let (Some(inner), Some(peer)) = (inner, msg.xor_peer_address()) {
                    if let Some((vs, vd)) = self.turn.indication_endpoints(src, dst, peer) {
                        self.on_pdu(inner, frame, ts, vs, vd, Leg::Relayed, false);
                    }
                }
            }
            Pdu::ChannelData { data, inner } => {
                if let Some((vs, vd)) = self.turn.on_channel_data(data.channel, src, dst) {
                    if let Some(inner) = inner {
                        self.on_pdu(inner, frame, ts, vs, vd, Leg::Relayed, false);
                    }
                }
            }
            Pdu::Dtls(d) => self.dtls.on_datagram(d, frame, ts, src, dst, leg),
            Pdu::Rtp(p) => {
                let clocks = &self.media_clocks;
                let hint = || {
                    clocks
                        .get(&dst)
                        .or_else(|| clocks.get(&src))
                        .and_then(|rates| rates.iter().find(|(pt, _)| *pt == p.payload_type))
                        .map(|(_, rate)| *rate)
                };
                self.rtp
                    .on_rtp(p, frame, ts, src, dst, leg == Leg::Relayed, hint);
            }
            Pdu::Rtcp(_) => self.rtp.on_rtcp(src, dst),
            Pdu::Tls(rec) => self.transport.on_tls(rec, src, dst, frame, ts),
            Pdu::Malformed { .. } => {}
        }
    }

    /// Every call found so far, judged as of the last frame fed, ordered by
    /// start time.
    pub fn calls(&self) -> Vec<Call> {
        calls::assemble(self)
    }

    /// The same calls, judged, borrowing their parts: for reports over
    /// large captures, which build each call's facts only as they write it.
    pub fn call_refs(&self) -> Vec<CallRef<'_>> {
        calls::assemble_refs(self)
    }
}
