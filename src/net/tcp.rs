//! TCP stream reassembly: the bytes of each direction of each connection,
//! in order, on capture time and within fixed bounds.
//!
//! A connection is known by its two sockets whichever way a segment goes;
//! its directions are numbered from the side that sent the first SYN (or,
//! picked up mid-stream, the side seen first). Each direction keeps the next
//! sequence number it expects and the segments that came ahead of it.
//!
//! Sequence numbers are placed as 64-bit positions: a 32-bit number is read
//! as the position nearest the next expected byte (serial arithmetic,
//! RFC 1982 section 3, within 2^31), so wrap-around needs no special case.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::tcp_flags::{ACK, FIN, RST, SYN};
use super::TcpSegment;

/// Bounds of the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpLimits {
    /// Connections tracked at once; at the bound the one idle longest is
    /// dropped.
    pub max_flows: usize,
    /// Out-of-order bytes held per direction; past it the hole is given up.
    pub max_buffered_per_direction: usize,
    /// Out-of-order bytes held over all connections; past it the
    /// connections idle longest give up their holes and what they held.
    /// (`max_flows` x `max_buffered_per_direction` x 2 would be 8 GiB.)
    pub max_buffered_total: usize,
    /// A connection silent this long (capture time) is forgotten.
    pub idle_timeout_ns: i64,
    /// A hole not filled this long (capture time) after data arrived
    /// behind it is given up at the next segment held, and what was held
    /// is delivered: a segment the capture lost never comes back, and a
    /// real retransmission comes within the first RTO (RFC 6298: 1 s;
    /// 200 ms on Linux).
    pub hole_timeout_ns: i64,
}

impl Default for TcpLimits {
    fn default() -> Self {
        Self {
            max_flows: 16_384,
            max_buffered_per_direction: 256 << 10,
            max_buffered_total: 64 << 20,
            idle_timeout_ns: 300_000_000_000,
            hole_timeout_ns: 1_000_000_000,
        }
    }
}

/// Counters since the reassembler was made (`flows`: tracked now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TcpStats {
    pub flows: usize,
    /// Segments (and SYNs, FINs) whose bytes had all been seen already.
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and were held.
    pub out_of_order: u64,
    /// Connections dropped because the flow table was full.
    pub dropped_over_limit: u64,
    /// Holes given up on because a buffer bound was reached.
    pub gaps: u64,
    /// Bytes held behind a hole right now: at the end of a capture, bytes
    /// that were never read.
    pub held: u64,
}

/// What a segment was, seen from its direction's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SegmentKind {
    Syn,
    SynAck,
    Rst,
    /// FIN, possibly with data.
    Fin,
    /// New bytes in order (possibly after an already-seen prefix).
    Data,
    /// Every byte (or the SYN, or the FIN) had been seen already.
    Retransmission,
    /// Ahead of a hole: held until the hole fills.
    OutOfOrder,
    /// RFC 9293 section 3.8.4: sequence number one below the next expected,
    /// with zero or one byte.
    KeepAlive,
    /// No data, nothing new.
    Ack,
}

/// What one segment delivered. Consume `data` whatever the kind: a segment
/// that fills a hole also releases what was held behind it, and an
/// out-of-order segment that hits the buffer bound releases bytes past the
/// hole given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpDelivery<'a> {
    pub kind: SegmentKind,
    /// Bytes that became contiguous in this direction with this segment, in
    /// order. Borrowed from the segment when it came exactly in order and
    /// nothing was held.
    pub data: Cow<'a, [u8]>,
    /// Bytes given up on (a bound was hit) just before `data`.
    pub gap_skipped: u32,
    /// Stable id of the connection, the same for both directions; a new SYN
    /// on a closed (or differently numbered) connection gets a new id.
    pub stream_id: u64,
    /// 0: the side that sent the first SYN (or was seen first); 1: the other.
    pub direction: u8,
}

/// Positions start here so that a position nearest-below the first one
/// never goes negative.
const BASE: u64 = 1 << 32;

/// The position of `seq` nearest to `next`.
fn position(next: u64, seq: u32) -> u64 {
    // Truncation intended: the low 32 bits of a position are its sequence
    // number.
    let delta = seq.wrapping_sub(next as u32) as i32;
    next.wrapping_add_signed(i64::from(delta))
}

#[derive(Default)]
struct Direction {
    isn: Option<u32>,
    /// Position of the next byte expected in order.
    next: Option<u64>,
    /// Position of the FIN, once seen (the first one counts).
    fin: Option<u64>,
    /// Segments ahead of `next`, by position.
    ahead: BTreeMap<u64, Vec<u8>>,
    /// Sum of the lengths in `ahead`.
    buffered: usize,
    /// Bytes given up on by a global bound, reported with the next delivery.
    pending_gap: u64,
    /// When data was first held behind the current hole.
    held_since: Option<i64>,
}

impl Direction {
    fn closed(&self) -> bool {
        matches!((self.fin, self.next), (Some(fin), Some(next)) if next > fin)
    }

    fn segment<'a>(
        &mut self,
        seg: &TcpSegment<'a>,
        limits: &TcpLimits,
        stats: &mut TcpStats,
        ts_ns: i64,
    ) -> (SegmentKind, Cow<'a, [u8]>, u64) {
        let syn = seg.flags & SYN != 0;
        let fin = seg.flags & FIN != 0;
        let mut data_seq = seg.seq;
        let mut syn_kind = None;
        if syn {
            if self.isn == Some(seg.seq) {
                stats.retransmissions += 1;
                return (SegmentKind::Retransmission, Cow::Borrowed(&[]), 0);
            }
            *self = Direction {
                isn: Some(seg.seq),
                next: Some(BASE + u64::from(seg.seq) + 1),
                ..Direction::default()
            };
            // The SYN takes one sequence number; any data follows it.
            data_seq = seg.seq.wrapping_add(1);
            syn_kind = Some(if seg.flags & ACK != 0 {
                SegmentKind::SynAck
            } else {
                SegmentKind::Syn
            });
        }
        // Picked up mid-stream: the first sequence number seen starts it.
        let next = *self.next.get_or_insert(BASE + u64::from(data_seq));
        let start = position(next, data_seq);
        let end = start + seg.payload.len() as u64;
        if fin && self.fin.is_none() {
            self.fin = Some(end);
        }
        let empty = Cow::Borrowed(&[][..]);
        let keepalive = !syn && !fin && start + 1 == next && seg.payload.len() <= 1;

        let (kind, data, gap) = if seg.payload.is_empty() {
            let kind = if fin && end < next {
                stats.retransmissions += 1;
                SegmentKind::Retransmission
            } else if fin {
                SegmentKind::Fin
            } else if keepalive {
                SegmentKind::KeepAlive
            } else {
                SegmentKind::Ack
            };
            (kind, empty, 0)
        } else if end <= next {
            if keepalive {
                (SegmentKind::KeepAlive, empty, 0)
            } else {
                stats.retransmissions += 1;
                (SegmentKind::Retransmission, empty, 0)
            }
        } else if start <= next {
            // In order, or partly seen already: only the new part goes on.
            let skip = usize::try_from(next - start).unwrap_or(usize::MAX);
            let fresh = seg.payload.get(skip..).unwrap_or_default();
            self.next = Some(end);
            let data = if self.ahead.is_empty() {
                Cow::Borrowed(fresh)
            } else {
                let mut out = fresh.to_vec();
                self.release(&mut out);
                Cow::Owned(out)
            };
            let kind = if fin {
                SegmentKind::Fin
            } else {
                SegmentKind::Data
            };
            (kind, data, 0)
        } else if self.hold(start, seg.payload) {
            stats.out_of_order += 1;
            let mut out = Vec::new();
            let since = *self.held_since.get_or_insert(ts_ns);
            let bound = if ts_ns.saturating_sub(since) > limits.hole_timeout_ns {
                // The hole will not be filled: give it up now.
                0
            } else {
                limits.max_buffered_per_direction
            };
            let gap = self.skip_while_over(bound, &mut out, stats);
            let data = if out.is_empty() {
                empty
            } else {
                Cow::Owned(out)
            };
            (SegmentKind::OutOfOrder, data, gap)
        } else {
            stats.retransmissions += 1;
            (SegmentKind::Retransmission, empty, 0)
        };

        // The FIN takes one sequence number once everything before it is in.
        if let (Some(fin_at), Some(next)) = (self.fin, self.next) {
            if next == fin_at {
                self.next = Some(fin_at + 1);
            }
        }
        if self.ahead.is_empty() {
            self.held_since = None;
        }
        let gap = gap + std::mem::take(&mut self.pending_gap);
        (syn_kind.unwrap_or(kind), data, gap)
    }

    /// Holds a segment that starts past `next`. Where a held segment starts
    /// at the same place the first one wins and only a longer tail is
    /// added. Returns false when every byte was held already.
    fn hold(&mut self, mut start: u64, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            match self.ahead.get(&start) {
                Some(held) if held.len() >= bytes.len() => return false,
                Some(held) => {
                    let len = held.len();
                    start += len as u64;
                    bytes = bytes.get(len..).unwrap_or_default();
                }
                None => {
                    self.buffered += bytes.len();
                    self.ahead.insert(start, bytes.to_vec());
                    return true;
                }
            }
        }
        false
    }

    /// Moves held segments that now touch `next` into `out`.
    fn release(&mut self, out: &mut Vec<u8>) {
        let Some(mut next) = self.next else {
            return;
        };
        while let Some(entry) = self.ahead.first_entry() {
            let start = *entry.key();
            if start > next {
                break;
            }
            let bytes = entry.remove();
            self.buffered -= bytes.len();
            let end = start + bytes.len() as u64;
            if end > next {
                let skip = usize::try_from(next - start).unwrap_or(usize::MAX);
                out.extend_from_slice(bytes.get(skip..).unwrap_or_default());
                next = end;
            }
        }
        self.next = Some(next);
    }

    /// While more than `bound` bytes are held, gives up the hole before the
    /// first held segment and releases what follows it. Returns the bytes
    /// given up.
    fn skip_while_over(&mut self, bound: usize, out: &mut Vec<u8>, stats: &mut TcpStats) -> u64 {
        let mut gap = 0;
        while self.buffered > bound {
            let Some((&first, _)) = self.ahead.first_key_value() else {
                break;
            };
            let next = self.next.unwrap_or(first);
            gap += first.saturating_sub(next);
            stats.gaps += 1;
            self.next = Some(first.max(next));
            self.release(out);
        }
        gap
    }

    /// Drops everything held and moves past it; the bytes given up are
    /// reported with this direction's next delivery.
    fn abandon(&mut self, stats: &mut TcpStats) {
        let Some((&last, held)) = self.ahead.last_key_value() else {
            return;
        };
        let end = last + held.len() as u64;
        let next = self.next.unwrap_or(end);
        self.pending_gap += end.saturating_sub(next);
        self.next = Some(end.max(next));
        self.ahead.clear();
        self.buffered = 0;
        stats.gaps += 1;
    }
}

struct Flow {
    stream_id: u64,
    /// The side whose segments are direction 0.
    initiator: SocketAddr,
    last_seen: i64,
    reset: bool,
    dirs: [Direction; 2],
}

impl Flow {
    fn direction_of(&self, src: SocketAddr) -> u8 {
        u8::from(src != self.initiator)
    }

    /// A SYN from `src` with sequence number `seq`: does it open a new
    /// connection on these sockets rather than repeat this one's SYN?
    fn starts_over(&self, src: SocketAddr, seq: u32) -> bool {
        if self.reset || self.dirs.iter().all(Direction::closed) {
            return true;
        }
        let dir = &self.dirs[usize::from(self.direction_of(src))];
        match dir.isn {
            Some(isn) => isn != seq,
            None => dir.next.is_some(),
        }
    }

    fn buffered(&self) -> usize {
        self.dirs.iter().map(|d| d.buffered).sum()
    }
}

type FlowKey = (SocketAddr, SocketAddr);

/// Orders the bytes of each TCP direction. Feed it every TCP segment in
/// capture order with the frame's timestamp.
pub struct TcpReassembler {
    limits: TcpLimits,
    flows: HashMap<FlowKey, Flow>,
    /// Flows by (last seen, stream id), idle longest first.
    idle: BTreeMap<(i64, u64), FlowKey>,
    next_stream: u64,
    /// Out-of-order bytes held over all flows.
    buffered: usize,
    stats: TcpStats,
}

impl TcpReassembler {
    pub fn new(limits: TcpLimits) -> Self {
        Self {
            limits,
            flows: HashMap::new(),
            idle: BTreeMap::new(),
            next_stream: 1,
            buffered: 0,
            stats: TcpStats::default(),
        }
    }

    pub fn stats(&self) -> TcpStats {
        TcpStats {
            flows: self.flows.len(),
            held: self.buffered as u64,
            ..self.stats
        }
    }

    /// Out-of-order bytes held over all flows.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Adds one segment from `src` to `dst` seen at `ts_ns` (capture time).
    pub fn push<'a>(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &TcpSegment<'a>,
        ts_ns: i64,
    ) -> TcpDelivery<'a> {
        self.expire(ts_ns);
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let syn = seg.flags & SYN != 0;
        let syn_ack = syn && seg.flags & ACK != 0;
        let fresh = match self.flows.get(&key) {
            None => true,
            Some(flow) => syn && !syn_ack && flow.starts_over(src, seg.seq),
        };
        if fresh {
            self.remove(&key);
            while self.flows.len() >= self.limits.max_flows.max(1) {
                let Some((_, &victim)) = self.idle.first_key_value() else {
                    break;
                };
                self.remove(&victim);
                self.stats.dropped_over_limit += 1;
            }
            // A SYN-ACK seen first was answering the other side's SYN.
            let initiator = if syn_ack { dst } else { src };
            let stream_id = self.next_stream;
            self.next_stream += 1;
            self.flows.insert(
                key,
                Flow {
                    stream_id,
                    initiator,
                    last_seen: ts_ns,
                    reset: false,
                    dirs: [Direction::default(), Direction::default()],
                },
            );
            self.idle.insert((ts_ns, stream_id), key);
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            // Not reachable: the flow was found or inserted above.
            return TcpDelivery {
                kind: SegmentKind::Ack,
                data: Cow::Borrowed(&[]),
                gap_skipped: 0,
                stream_id: 0,
                direction: 0,
            };
        };
        if !fresh {
            self.idle.remove(&(flow.last_seen, flow.stream_id));
            flow.last_seen = flow.last_seen.max(ts_ns);
            self.idle.insert((flow.last_seen, flow.stream_id), key);
        }

        let direction = flow.direction_of(src);
        let before = flow.buffered();
        let (kind, data, gap) = if seg.flags & RST != 0 {
            // RFC 9293 section 3.5.3: the connection is gone; what was held
            // will never be filled.
            flow.reset = true;
            for dir in &mut flow.dirs {
                dir.ahead.clear();
                dir.buffered = 0;
            }
            (SegmentKind::Rst, Cow::Borrowed(&[][..]), 0)
        } else {
            let dir = &mut flow.dirs[usize::from(direction)];
            dir.segment(seg, &self.limits, &mut self.stats, ts_ns)
        };
        let after = flow.buffered();
        let stream_id = flow.stream_id;
        self.buffered = (self.buffered + after).saturating_sub(before);
        if self.buffered > self.limits.max_buffered_total {
            self.shed(key);
        }
        TcpDelivery {
            kind,
            data,
            gap_skipped: u32::try_from(gap).unwrap_or(u32::MAX),
            stream_id,
            direction,
        }
    }

    /// Forgets connections silent for longer than the idle timeout at
    /// `now_ns`. `push` calls it.
    pub fn expire(&mut self, now_ns: i64) {
        while let Some((&(last_seen, _), &key)) = self.idle.first_key_value() {
            if now_ns.saturating_sub(last_seen) <= self.limits.idle_timeout_ns {
                break;
            }
            self.remove(&key);
        }
    }

    /// Over the global bound: the flows idle longest give up what they hold,
    /// the current one (`current`) last.
    fn shed(&mut self, current: FlowKey) {
        let order = self
            .idle
            .values()
            .copied()
            .filter(|k| *k != current)
            .chain(std::iter::once(current));
        for key in order {
            if self.buffered <= self.limits.max_buffered_total {
                break;
            }
            if let Some(flow) = self.flows.get_mut(&key) {
                let held = flow.buffered();
                for dir in &mut flow.dirs {
                    dir.abandon(&mut self.stats);
                }
                self.buffered -= held;
            }
        }
    }

    fn remove(&mut self, key: &FlowKey) {
        if let Some(flow) = self.flows.remove(key) {
            self.idle.remove(&(flow.last_seen, flow.stream_id));
            self.buffered = self.buffered.saturating_sub(flow.buffered());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use proptest::prelude::*;

    use super::super::tcp_flags::PSH;
    use super::*;

    const CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 40000);
    const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 5060);
    const SECOND: i64 = 1_000_000_000;

    /// A SIP-over-TCP style byte stream to cut into segments.
    fn stream(len: usize) -> Vec<u8> {
        let mut s = b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 1000\r\n\r\n".to_vec();
        let mut i = 0u32;
        while s.len() < len {
            s.extend_from_slice(format!("a=callscope-line:{i}\r\n").as_bytes());
            i += 1;
        }
        s.truncate(len);
        s
    }

    fn seg(seq: u32, flags: u8, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src_port: 0,
            dst_port: 0,
            seq,
            ack: 0,
            flags,
            window: 1000,
            payload,
        }
    }

    fn delivery(
        kind: SegmentKind,
        data: &[u8],
        gap: u32,
        stream_id: u64,
        direction: u8,
    ) -> TcpDelivery<'_> {
        TcpDelivery {
            kind,
            data: Cow::Borrowed(data),
            gap_skipped: gap,
            stream_id,
            direction,
        }
    }

    #[test]
    fn handshake_order_retransmission_wraparound() {
        use SegmentKind::*;
        let s = stream(300);
        let isn = u32::MAX - 149; // bytes 149.. wrap past 2^32
        let data_seq = |at: usize| isn.wrapping_add(1).wrapping_add(at as u32);
        let mut r = TcpReassembler::new(TcpLimits::default());
        let out = r.push(CLIENT, SERVER, &seg(isn, SYN, &[]), 0);
        assert_eq!(out, delivery(Syn, &[], 0, 1, 0));
        let out = r.push(CLIENT, SERVER, &seg(isn, SYN, &[]), 1);
        assert_eq!(out, delivery(Retransmission, &[], 0, 1, 0));
        let out = r.push(SERVER, CLIENT, &seg(7, SYN | ACK, &[]), 2);
        assert_eq!(out, delivery(SynAck, &[], 0, 1, 1));

        // In order: borrowed from the segment.
        let out = r.push(CLIENT, SERVER, &seg(data_seq(0), ACK | PSH, &s[..100]), 3);
        assert_eq!(out, delivery(Data, &s[..100], 0, 1, 0));
        assert!(matches!(out.data, Cow::Borrowed(_)));
        // Ahead of a hole (and across the wrap): held.
        let out = r.push(CLIENT, SERVER, &seg(data_seq(200), ACK, &s[200..300]), 4);
        assert_eq!(out, delivery(OutOfOrder, &[], 0, 1, 0));
        // Old bytes only.
        let out = r.push(CLIENT, SERVER, &seg(data_seq(0), ACK, &s[..100]), 5);
        assert_eq!(out, delivery(Retransmission, &[], 0, 1, 0));
        // Partly old: 50..100 seen, 100..200 new, and the hole fills.
        let out = r.push(CLIENT, SERVER, &seg(data_seq(50), ACK, &s[50..200]), 6);
        assert_eq!(out, delivery(Data, &s[100..300], 0, 1, 0));
        assert_eq!(r.buffered_bytes(), 0);
        // Keep-alive: one below the next expected byte.
        let out = r.push(CLIENT, SERVER, &seg(data_seq(299), ACK, &[0]), 7);
        assert_eq!(out, delivery(KeepAlive, &[], 0, 1, 0));
        let out = r.push(SERVER, CLIENT, &seg(8, ACK, &[]), 8);
        assert_eq!(out, delivery(Ack, &[], 0, 1, 1));
        assert_eq!(
            r.stats(),
            TcpStats {
                flows: 1,
                retransmissions: 2,
                out_of_order: 1,
                ..TcpStats::default()
            }
        );
    }

    #[test]
    fn fin_rst_and_new_streams() {
        use SegmentKind::*;
        let mut r = TcpReassembler::new(TcpLimits::default());
        r.push(CLIENT, SERVER, &seg(100, SYN, &[]), 0);
        r.push(SERVER, CLIENT, &seg(500, SYN | ACK, &[]), 0);
        let out = r.push(CLIENT, SERVER, &seg(101, FIN | ACK, b"BYE"), 1);
        assert_eq!(out, delivery(Fin, b"BYE", 0, 1, 0));
        let out = r.push(CLIENT, SERVER, &seg(101, FIN | ACK, b"BYE"), 2);
        assert_eq!(out, delivery(Retransmission, &[], 0, 1, 0));
        let out = r.push(SERVER, CLIENT, &seg(501, FIN | ACK, &[]), 3);
        assert_eq!(out, delivery(Fin, &[], 0, 1, 1));
        let out = r.push(SERVER, CLIENT, &seg(501, FIN | ACK, &[]), 3);
        assert_eq!(out, delivery(Retransmission, &[], 0, 1, 1));
        // Both sides closed: a SYN opens stream 2.
        let out = r.push(CLIENT, SERVER, &seg(9000, SYN, &[]), 4);
        assert_eq!(out, delivery(Syn, &[], 0, 2, 0));
        let out = r.push(SERVER, CLIENT, &seg(1, RST | ACK, &[]), 5);
        assert_eq!(out, delivery(Rst, &[], 0, 2, 1));
        // Reset: even the same ISN opens stream 3.
        let out = r.push(CLIENT, SERVER, &seg(9000, SYN, &[]), 6);
        assert_eq!(out, delivery(Syn, &[], 0, 3, 0));
        // A different ISN on an open connection: stream 4.
        let out = r.push(CLIENT, SERVER, &seg(77, SYN, &[]), 7);
        assert_eq!(out, delivery(Syn, &[], 0, 4, 0));
        assert_eq!(r.stats().flows, 1);
    }

    #[test]
    fn mid_stream_pickup_and_syn_ack_first() {
        use SegmentKind::*;
        let mut r = TcpReassembler::new(TcpLimits::default());
        // Server speaks first in the capture: it is direction 0.
        let out = r.push(
            SERVER,
            CLIENT,
            &seg(4000, ACK | PSH, b"SIP/2.0 200 OK\r\n"),
            0,
        );
        assert_eq!(out, delivery(Data, b"SIP/2.0 200 OK\r\n", 0, 1, 0));
        let out = r.push(CLIENT, SERVER, &seg(10, ACK, b"ACK"), 1);
        assert_eq!(out, delivery(Data, b"ACK", 0, 1, 1));

        // A SYN-ACK seen first: its receiver sent the SYN, so it is 0.
        let other = SocketAddr::new(CLIENT.ip(), 40001);
        let out = r.push(SERVER, other, &seg(5, SYN | ACK, &[]), 2);
        assert_eq!(out, delivery(SynAck, &[], 0, 2, 1));
        let out = r.push(other, SERVER, &seg(70, ACK, b"x"), 3);
        assert_eq!(out, delivery(Data, b"x", 0, 2, 0));
    }

    #[test]
    fn a_hole_not_filled_in_time_is_given_up() {
        use SegmentKind::*;
        let s = stream(100);
        let mut r = TcpReassembler::new(TcpLimits::default());
        r.push(CLIENT, SERVER, &seg(0, SYN, &[]), 0);
        r.push(CLIENT, SERVER, &seg(1, ACK, &s[..10]), 1);
        // s[10..20] never comes: 20..30 is held, as is 30..40 half a
        // second later; a second after the first was held, the hole is
        // given up and all three come out, with the gap said.
        let held = r.push(CLIENT, SERVER, &seg(21, ACK, &s[20..30]), 2);
        assert_eq!((held.kind, held.data.len()), (OutOfOrder, 0));
        let held = r.push(CLIENT, SERVER, &seg(31, ACK, &s[30..40]), 500_000_002);
        assert_eq!(held.data.len(), 0);
        let out = r.push(CLIENT, SERVER, &seg(41, ACK, &s[40..50]), 1_000_000_003);
        assert_eq!((out.data.as_ref(), out.gap_skipped), (&s[20..50], 10));
        assert_eq!(r.stats().gaps, 1);
        // In order again: nothing held, nothing given up.
        let out = r.push(CLIENT, SERVER, &seg(51, ACK, &s[50..60]), 1_000_000_004);
        assert_eq!((out.data.as_ref(), out.gap_skipped), (&s[50..60], 0));
    }

    #[test]
    fn buffer_bound_gives_up_the_hole() {
        use SegmentKind::*;
        let s = stream(400);
        let limits = TcpLimits {
            max_buffered_per_direction: 100,
            ..TcpLimits::default()
        };
        let mut r = TcpReassembler::new(limits);
        r.push(CLIENT, SERVER, &seg(0, SYN, &[]), 0);
        let out = r.push(CLIENT, SERVER, &seg(1, ACK, &s[..10]), 1);
        assert_eq!(out.data, &s[..10]);
        // s[10..20] is lost; 20..70 and 70..120 are held (100 bytes).
        for (a, b) in [(20, 70), (70, 120)] {
            let out = r.push(CLIENT, SERVER, &seg(1 + a, ACK, &s[a as usize..b]), 2);
            assert_eq!(out, delivery(OutOfOrder, &[], 0, 1, 0));
        }
        // One more byte than the bound: the hole is given up.
        let out = r.push(CLIENT, SERVER, &seg(121, ACK, &s[120..121]), 3);
        assert_eq!(out, delivery(OutOfOrder, &s[20..121], 10, 1, 0));
        assert_eq!(r.buffered_bytes(), 0);
        // The lost bytes arriving late are old news.
        let out = r.push(CLIENT, SERVER, &seg(11, ACK, &s[10..20]), 4);
        assert_eq!(out, delivery(Retransmission, &[], 0, 1, 0));
        assert_eq!(
            r.stats(),
            TcpStats {
                flows: 1,
                retransmissions: 1,
                out_of_order: 3,
                gaps: 1,
                ..TcpStats::default()
            }
        );
    }

    #[test]
    fn global_bound_sheds_idle_flows() {
        let limits = TcpLimits {
            max_buffered_total: 150,
            ..TcpLimits::default()
        };
        let mut r = TcpReassembler::new(limits);
        let s = stream(200);
        let other = SocketAddr::new(CLIENT.ip(), 40001);
        r.push(CLIENT, SERVER, &seg(0, ACK, &s[..10]), 0);
        r.push(CLIENT, SERVER, &seg(20, ACK, &s[20..120]), 1);
        r.push(other, SERVER, &seg(0, ACK, &s[..10]), 2);
        r.push(other, SERVER, &seg(20, ACK, &s[20..120]), 3);
        // Over 150: the flow idle longest (CLIENT) gave up its hole.
        assert_eq!(r.buffered_bytes(), 100);
        assert_eq!(r.stats().gaps, 1);
        // Its next delivery says how much was given up (10 lost + 100 held).
        let out = r.push(CLIENT, SERVER, &seg(120, ACK, &s[120..130]), 4);
        assert_eq!(out, delivery(SegmentKind::Data, &s[120..130], 110, 1, 0));
    }

    #[test]
    fn flow_table_bound_and_idle_expiry() {
        let limits = TcpLimits {
            max_flows: 2,
            idle_timeout_ns: 10 * SECOND,
            ..TcpLimits::default()
        };
        let mut r = TcpReassembler::new(limits);
        let port = |p| SocketAddr::new(CLIENT.ip(), p);
        assert_eq!(r.push(port(1), SERVER, &seg(0, SYN, &[]), 0).stream_id, 1);
        assert_eq!(r.push(port(2), SERVER, &seg(0, SYN, &[]), 1).stream_id, 2);
        // Flow 1 is touched, so flow 2 is idle longest when flow 3 comes.
        assert_eq!(r.push(port(1), SERVER, &seg(1, ACK, &[]), 2).stream_id, 1);
        assert_eq!(r.push(port(3), SERVER, &seg(0, SYN, &[]), 3).stream_id, 3);
        assert_eq!(r.push(port(2), SERVER, &seg(1, ACK, &[]), 4).stream_id, 4);
        assert_eq!(r.stats().dropped_over_limit, 2);
        // 11 s of silence from flow 4 (last seen at 4): forgotten.
        assert_eq!(
            r.push(port(4), SERVER, &seg(0, SYN, &[]), 4 + 11 * SECOND)
                .stream_id,
            5
        );
        assert_eq!(r.stats().flows, 1);
    }

    /// One random segment: direction, start and length in a 1200-byte
    /// window around the ISN, flags.
    fn arb_seg() -> impl Strategy<Value = (u8, u16, i32, usize, u8)> {
        (0u8..2, 0u16..3, -50i32..1200, 0usize..300, any::<u8>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Random segments never panic and never take the reassembler past
        /// its bounds.
        #[test]
        fn never_past_bounds(
            isn in any::<u32>(),
            segs in proptest::collection::vec(arb_seg(), 1..120),
        ) {
            let limits = TcpLimits {
                max_flows: 2,
                max_buffered_per_direction: 500,
                max_buffered_total: 800,
                idle_timeout_ns: 50,
                ..TcpLimits::default()
            };
            let mut r = TcpReassembler::new(limits);
            let bytes = stream(300);
            for (ts, (dir, port, at, len, flags)) in segs.into_iter().enumerate() {
                let a = SocketAddr::new(CLIENT.ip(), 1000 + port);
                let (src, dst) = if dir == 0 { (a, SERVER) } else { (SERVER, a) };
                let seq = isn.wrapping_add_signed(at);
                let out = r.push(src, dst, &seg(seq, flags, &bytes[..len]), ts as i64);
                prop_assert!(out.direction <= 1);
                prop_assert!(r.stats().flows <= limits.max_flows);
                prop_assert!(r.buffered_bytes() <= limits.max_buffered_total);
                let per_dir = r.flows.values().flat_map(|f| f.dirs.iter()).map(|d| d.buffered);
                for held in per_dir {
                    prop_assert!(held <= limits.max_buffered_per_direction);
                }
                let total: usize = r.flows.values().map(Flow::buffered).sum();
                prop_assert_eq!(total, r.buffered_bytes());
            }
        }

        /// A stream cut into segments, shuffled and partly repeated (whole or
        /// overlapping), comes out whole, in order, once, whatever the ISN.
        #[test]
        fn shuffled_stream_comes_out_whole(
            isn in any::<u32>(),
            len in 1usize..3000,
            cuts in proptest::collection::vec(1usize..400, 1..30),
            keys in proptest::collection::vec(any::<u64>(), 60),
            extra in proptest::collection::vec((0usize..3000, 1usize..400), 0..10),
        ) {
            let data = stream(len);
            let mut pieces = Vec::new();
            let mut at = 0;
            for cut in cuts.iter().chain(std::iter::repeat(&3000)) {
                if at >= len {
                    break;
                }
                let end = (at + cut).min(len);
                pieces.push((at, end));
                at = end;
            }
            for (a, l) in extra {
                let a = a % len;
                pieces.push((a, (a + l).min(len)));
            }
            let mut order: Vec<(u64, usize)> =
                (0..pieces.len()).map(|i| (keys[i % keys.len()], i)).collect();
            order.sort();
            let mut r = TcpReassembler::new(TcpLimits::default());
            r.push(CLIENT, SERVER, &seg(isn, SYN, &[]), 0);
            let mut out = Vec::new();
            for (n, &(_, i)) in order.iter().enumerate() {
                let (a, b) = pieces[i];
                let seq = isn.wrapping_add(1).wrapping_add(a as u32);
                let d = r.push(CLIENT, SERVER, &seg(seq, ACK, &data[a..b]), n as i64 + 1);
                prop_assert_eq!(d.gap_skipped, 0);
                out.extend_from_slice(&d.data);
            }
            prop_assert_eq!(out, data);
            prop_assert_eq!(r.buffered_bytes(), 0);
        }
    }
}
