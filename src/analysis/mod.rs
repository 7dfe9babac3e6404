//! Correlation: SIP dialogs, STUN transactions and ICE sessions, TURN
//! allocations, DTLS associations, RTP streams and signalling transport,
//! built up one decoded frame at a time. [`Analyzer::calls`] can be read at
//! any moment; every timeout is measured on capture time (the time of the
//! last frame fed), never the wall clock, so a live capture and a file give
//! the same answer for the same frames.

pub mod book;
pub mod calls;
pub mod dtls;
pub mod evidence;
pub mod ice;
pub mod members;
pub mod quality;
pub mod rtp;
pub mod sip;
mod sip_media;
pub mod timeline;
pub mod transport;
pub mod turn;

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::Pdu;
use crate::pipeline::{DecodedFrame, StreamKind, Transport};

pub use calls::{AssembledCall, CallKind, CallParts};
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

/// The two ends of something that has no direction (a DTLS association,
/// an RTP address pair, an ICE ufrag pair) in one order, so that either
/// direction finds it.
pub fn unordered<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Serializes capture time (ns) as seconds since the epoch.
pub fn serialize_ts<S: serde::Serializer>(ts: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::capture::epoch_seconds(*ts))
}

/// The part of the analysis a frame was counted for: what makes a frame
/// belong to a call (its `frames` count, and `export`). A frame has one
/// owner at the innermost layer that took it: a TURN ChannelData frame
/// carrying SRTP belongs to the RTP stream, not to the allocation; a TCP
/// segment completing a SIP message to the dialog, a bare ACK to the
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FrameOwner {
    Dialog(String),
    Connection((SocketAddr, SocketAddr)),
    /// An ICMP error, by its own frame number.
    Unreachable(u64),
    Session(ice::SessionKey),
    Query((SocketAddr, SocketAddr)),
    Allocation(turn::AllocationKey),
    Association((SocketAddr, SocketAddr)),
    /// Counted by the stream itself (its packets), not in the owner table.
    Stream(rtp::StreamKey),
    Rtcp((SocketAddr, SocketAddr)),
}

/// Parts remembered as touched between two takes. Past it the log says
/// it overflowed, and its reader rebuilds every call instead of the
/// touched ones (see [`Analyzer::take_touched`]).
const MAX_TOUCHED: usize = 65_536;

/// The parts created, or changed in a way that can move them from one call
/// to another (a new SDP, transaction, candidate pair or relayed address),
/// since the log was last taken: what an incremental reader re-assembles.
#[derive(Debug, Default)]
pub struct TouchLog {
    parts: Vec<FrameOwner>,
    overflowed: bool,
    /// Every touch ever, taken or not.
    count: u64,
    /// Parts are kept only once someone takes them (a front end that
    /// reads changed calls); until then only the count moves.
    keeping: bool,
}

impl TouchLog {
    pub fn touch(&mut self, part: FrameOwner) {
        self.count += 1;
        if !self.keeping || self.parts.last() == Some(&part) {
            return;
        }
        if self.parts.len() < MAX_TOUCHED {
            self.parts.push(part);
        } else {
            self.overflowed = true;
        }
    }

    fn take_into(&mut self, out: &mut Touched) {
        out.parts.append(&mut self.parts);
        out.overflowed |= std::mem::take(&mut self.overflowed);
    }
}

/// What [`Analyzer::take_touched`] hands out.
#[derive(Debug, Default)]
pub struct Touched {
    /// Parts created, changed or released since the last take; some may
    /// be gone already.
    pub parts: Vec<FrameOwner>,
    /// Some touches were not kept: every call must be rebuilt.
    pub overflowed: bool,
}

/// How often old STUN transactions are swept out, in capture time.
const PRUNE_EVERY_NS: i64 = 10_000_000_000;

/// Owners kept at most: past it, frames of new owners are counted in
/// [`Analyzer::unowned_over_limit`] and belong to no call's count.
const MAX_OWNERS: usize = 2_000_000;

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
    /// Frames per owner (RTP streams count their own packets).
    owner_frames: HashMap<FrameOwner, u64>,
    pub unowned_over_limit: u64,
    released: u64,
    next_prune: i64,
    /// Relayed copies of RTP packets in the frame being fed.
    stream_copies: u64,
    /// The owners of the frame being fed, with the depth each was found
    /// at (0 transport, 1 message, 2 relayed message); the deepest win.
    frame_owners: Vec<(u8, FrameOwner)>,
    /// Parts released since the last [`Analyzer::take_touched`].
    released_parts: TouchLog,
}

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Capture time of the last frame fed, or later if time was advanced:
    /// "now" for every timeout.
    pub fn now(&self) -> i64 {
        self.last_ts
    }

    /// Capture time has reached `ts` with no frame (a quiet live network):
    /// timeouts measured up to `ts` now count. Never moves time back.
    pub fn advance_to(&mut self, ts: i64) {
        self.last_ts = self.last_ts.max(ts);
    }

    /// Frames counted for `owner`.
    pub fn frames_of(&self, owner: &FrameOwner) -> u64 {
        match owner {
            FrameOwner::Stream(k) => {
                self.rtp.get(k).map_or(0, |s| s.packets)
                    + self.owner_frames.get(owner).copied().unwrap_or(0)
            }
            o => self.owner_frames.get(o).copied().unwrap_or(0),
        }
    }

    /// The owners of the last frame fed (none if it belongs to nothing).
    pub fn last_frame_owners(&self) -> impl Iterator<Item = &FrameOwner> {
        let deepest = self.frame_owners.iter().map(|(d, _)| *d).max();
        self.frame_owners
            .iter()
            .filter(move |(d, _)| Some(*d) == deepest)
            .map(|(_, o)| o)
    }

    fn own(&mut self, depth: u8, owner: FrameOwner) {
        if self.frame_owners.is_empty() || !self.frame_owners.iter().any(|(_, o)| *o == owner) {
            self.frame_owners.push((depth, owner));
        }
    }

    /// Counts the frame, and the frames of the fragments it completed,
    /// for its deepest owners.
    fn count_owners(&mut self, earlier_fragments: u64) {
        let Some(deepest) = self.frame_owners.iter().map(|(d, _)| *d).max() else {
            return;
        };
        for (d, o) in &self.frame_owners {
            // A stream counts its own packets; fragments and relayed
            // copies are added.
            let n = match o {
                FrameOwner::Stream(_) => earlier_fragments + self.stream_copies,
                _ => 1 + earlier_fragments,
            };
            if *d != deepest || n == 0 {
                continue;
            }
            if let Some(count) = self.owner_frames.get_mut(o) {
                *count += n;
            } else if self.owner_frames.len() < MAX_OWNERS {
                self.owner_frames.insert(o.clone(), n);
            } else {
                self.unowned_over_limit += n;
            }
        }
    }

    /// Forgets every part named (a finalised call's): their state and
    /// their frame counts. What comes later for the same addresses starts
    /// new parts.
    pub fn release(&mut self, owners: &[FrameOwner]) {
        let mut sessions = Vec::new();
        let mut queries = Vec::new();
        let mut allocations = Vec::new();
        let mut associations = Vec::new();
        let mut streams = Vec::new();
        let mut rtcp = Vec::new();
        let mut connections = Vec::new();
        let mut unreachables = Vec::new();
        for o in owners {
            self.owner_frames.remove(o);
            self.released_parts.touch(o.clone());
            match o {
                FrameOwner::Dialog(call_id) => {
                    if let Some(d) = self.sip.release(call_id) {
                        for s in d.sdps.items() {
                            for (ip, port, _) in s.sdp.media_endpoints() {
                                self.media_clocks.remove(&SocketAddr::new(ip, port));
                            }
                        }
                    }
                }
                FrameOwner::Connection(k) => connections.push(*k),
                FrameOwner::Unreachable(f) => unreachables.push(*f),
                FrameOwner::Session(k) => sessions.push(*k),
                FrameOwner::Query(k) => queries.push(*k),
                FrameOwner::Allocation(k) => allocations.push(*k),
                FrameOwner::Association(k) => associations.push(*k),
                FrameOwner::Stream(k) => streams.push(*k),
                FrameOwner::Rtcp(k) => rtcp.push(*k),
            }
        }
        self.ice.release(&sessions, &queries);
        self.turn.release(&allocations);
        self.dtls.release(&associations);
        self.rtp.release(&streams, &rtcp);
        self.transport.release(&connections, &unreachables);
        self.released += 1;
    }

    /// Changes whenever a part, pair, SDP or transaction is created or
    /// parts are released: while it stays the same, every part belongs to
    /// the call it belonged to at the last read.
    pub fn structure(&self) -> u64 {
        self.sip.touched.count
            + self.ice.touched.count
            + self.turn.touched.count
            + self.dtls.touched.count
            + self.rtp.touched.count
            + self.transport.touched.count
            + self.released
    }

    /// The parts touched or released since the last take (see
    /// [`TouchLog`]), emptying the logs. The first take starts the logs:
    /// it says they overflowed, since nothing was kept before it.
    pub fn take_touched(&mut self) -> Touched {
        let mut out = Touched {
            overflowed: !self.released_parts.keeping,
            ..Touched::default()
        };
        for log in [
            &mut self.sip.touched,
            &mut self.ice.touched,
            &mut self.turn.touched,
            &mut self.dtls.touched,
            &mut self.rtp.touched,
            &mut self.transport.touched,
            &mut self.released_parts,
        ] {
            log.keeping = true;
            log.take_into(&mut out);
        }
        out
    }

    /// Periodic upkeep on capture time: old STUN transactions go. Runs
    /// from `feed` every [`PRUNE_EVERY_NS`] of capture time.
    fn prune(&mut self) {
        self.ice.prune_transactions(self.last_ts);
    }

    pub fn feed(&mut self, f: &DecodedFrame<'_>) {
        self.stream_copies = 0;
        if f.ts_ns >= self.next_prune {
            self.prune();
            self.next_prune = f.ts_ns.saturating_add(PRUNE_EVERY_NS);
        }
        self.frame_owners.clear();
        self.feed_frame(f);
        self.count_owners(f.fragment_frames.len() as u64);
    }

    fn feed_frame(&mut self, f: &DecodedFrame<'_>) {
        self.frames += 1;
        self.first_ts.get_or_insert(f.ts_ns);
        self.last_ts = self.last_ts.max(f.ts_ns);
        match &f.transport {
            Transport::Tcp {
                src,
                dst,
                flags,
                stream_kind,
                decrypted,
                ..
            } => {
                let sip = matches!(stream_kind, StreamKind::Sip | StreamKind::WebSocket)
                    || decrypted.is_some();
                self.transport
                    .on_tcp(*src, *dst, *flags, f.number, f.ts_ns, sip);
                if let Some(key) = self.transport.connection_key(*src, *dst) {
                    self.own(0, FrameOwner::Connection(key));
                }
            }
            Transport::Icmp(info) => {
                if let Some(ip) = &f.ip {
                    if self.transport.on_icmp(info, ip.src, f.number, f.ts_ns) {
                        self.own(0, FrameOwner::Unreachable(f.number));
                    }
                }
            }
            _ => {}
        }
        let Some((src, dst)) = f.transport.endpoints() else {
            return;
        };
        let carrier = match f.transport {
            Transport::Tcp {
                decrypted: Some(StreamKind::WebSocket),
                ..
            } => sip::SipTransport::SecureWebSocket,
            Transport::Tcp {
                decrypted: Some(_), ..
            } => sip::SipTransport::Tls,
            Transport::Tcp {
                stream_kind: StreamKind::WebSocket,
                ..
            } => sip::SipTransport::WebSocket,
            Transport::Tcp { .. } => sip::SipTransport::Tcp,
            _ => sip::SipTransport::Udp,
        };
        for pdu in &f.pdus {
            self.on_pdu(pdu, f.number, f.ts_ns, src, dst, Leg::Direct, carrier);
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
        carrier: sip::SipTransport,
    ) {
        // Messages sit above their transport; relayed ones above TURN.
        let depth = if leg == Leg::Relayed { 2 } else { 1 };
        match pdu {
            Pdu::Sip(m) => {
                self.sip.on_message(m, frame, ts, src, dst, carrier);
                if carrier.is_reliable() {
                    if let Some(call_id) = m.call_id() {
                        self.transport.on_sip_message(src, dst, call_id);
                    }
                }
                if let Some(call_id) = m.call_id().filter(|id| self.sip.dialog(id).is_some()) {
                    self.own(depth, FrameOwner::Dialog(call_id.to_string()));
                }
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
                    match self
                        .ice
                        .transactions
                        .get(&msg.transaction_id)
                        .map(|t| &t.role)
                    {
                        Some(ice::TxnRole::Check { session, .. }) => {
                            self.own(depth, FrameOwner::Session(*session))
                        }
                        Some(ice::TxnRole::ServerQuery { key }) => {
                            self.own(depth, FrameOwner::Query(*key))
                        }
                        _ => {}
                    }
                } else if leg == Leg::Direct {
                    self.turn
                        .on_message(msg, frame, ts, src, dst, carrier.is_reliable());
                    if let Some(key) = self.turn.owner_of(msg, src, dst) {
                        self.own(depth, FrameOwner::Allocation(key));
                    }
                }
                if let (Some(inner), Some(peer)) = (inner, msg.xor_peer_address()) {
                    if let Some((vs, vd)) = self.turn.indication_endpoints(src, dst, peer) {
                        self.on_pdu(
                            inner,
                            frame,
                            ts,
                            vs,
                            vd,
                            Leg::Relayed,
                            sip::SipTransport::Udp,
                        );
                    }
                }
            }
            Pdu::ChannelData { data, inner } => {
                if let Some((key, path)) =
                    self.turn.on_channel_data(data.channel, src, dst, frame, ts)
                {
                    self.own(depth, FrameOwner::Allocation(key));
                    if let (Some((vs, vd)), Some(inner)) = (path, inner) {
                        self.on_pdu(
                            inner,
                            frame,
                            ts,
                            vs,
                            vd,
                            Leg::Relayed,
                            sip::SipTransport::Udp,
                        );
                    }
                }
            }
            Pdu::Dtls(d) => {
                self.dtls.on_datagram(d, frame, ts, src, dst, leg);
                if let Some(a) = self.dtls.get(src, dst) {
                    self.own(depth, FrameOwner::Association(a.key()));
                }
            }
            Pdu::Rtp(p) => {
                let clocks = &self.media_clocks;
                let hint = || {
                    clocks
                        .get(&dst)
                        .or_else(|| clocks.get(&src))
                        .and_then(|rates| rates.iter().find(|(pt, _)| *pt == p.payload_type))
                        .map(|(_, rate)| *rate)
                };
                if let Some((key, copy)) =
                    self.rtp
                        .on_rtp(p, frame, ts, src, dst, leg == Leg::Relayed, hint)
                {
                    // The stream does not count the copy as a packet; the
                    // frame still belongs to the call.
                    self.stream_copies += u64::from(copy);
                    self.own(depth, FrameOwner::Stream(key));
                }
            }
            Pdu::Rtcp(_) => {
                if self.rtp.on_rtcp(src, dst) {
                    self.own(depth, FrameOwner::Rtcp((src, dst)));
                }
            }
            Pdu::Tls(rec) => self.transport.on_tls(rec, src, dst, frame, ts),
            Pdu::Malformed { .. } => {}
        }
    }

    /// Every call found so far, ordered by start time, with its parts.
    pub fn assemble(&self) -> Vec<AssembledCall<'_>> {
        calls::assemble(self)
    }
}
