//! RTP streams, one per SSRC and direction (source and destination
//! transport addresses), with RFC 3550 statistics: expected and lost
//! packets (A.3), duplicates, reordering, interarrival jitter (A.8) in the
//! stream's clock rate, and the largest gap between packets.

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::rtp::RtpPacket;

const MAX_STREAMS: usize = 200_000;
/// Standard RTP clock rates, for guessing a dynamic payload type's rate
/// from the stream itself when no SDP describes it.
const COMMON_RATES: [u32; 7] = [8_000, 16_000, 22_050, 24_000, 44_100, 48_000, 90_000];
/// RFC 3550 A.1 limits: a forward jump beyond MAX_DROPOUT or a step back
/// beyond MAX_MISORDER is not believed from one packet.
const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
/// Sequence numbers remembered for duplicate detection.
const SEQ_WINDOW: u16 = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub ssrc: u32,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// Counts the times the same SSRC and addresses came back after a long
    /// silence: a new call reusing them (sipp replays one SSRC in every
    /// call; ports are reused) is a new stream.
    pub epoch: u16,
}

/// Silence after which the same SSRC and addresses start a new stream. A
/// call on hold long enough to cross it shows as two streams of one call.
const NEW_STREAM_AFTER_NS: i64 = 30_000_000_000;

#[derive(Debug, Clone)]
pub struct RtpStream {
    pub key: StreamKey,
    pub relayed: bool,
    pub payload_type: u8,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_frame: u64,
    pub last_ts: i64,
    pub packets: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    /// Packets whose sequence number jumped too far to believe (RFC 3550
    /// A.1), and the times the stream re-synchronised on a new numbering.
    pub bad_sequence: u64,
    pub resyncs: u64,
    /// Packets counted into the sequence space (not duplicates, not bad).
    received: u64,
    bad_seq: Option<u16>,
    pub max_gap_ns: i64,
    pub clock_rate: Option<u32>,
    /// Extended highest sequence number and the first one (RFC 3550 A.1).
    base_seq: u32,
    max_ext_seq: u32,
    /// Bitmap of the last SEQ_WINDOW sequence numbers below the highest.
    seen: u128,
    jitter: f64,
    last_transit: Option<f64>,
    /// For guessing the clock rate: first packet's RTP and capture times.
    first_rtp_ts: u32,
}

impl RtpStream {
    pub fn expected(&self) -> u64 {
        u64::from(self.max_ext_seq.wrapping_sub(self.base_seq)) + 1
    }

    /// Packets lost: expected minus received, duplicates not counted as
    /// received; never negative (RFC 3550 A.3 allows negative, but a
    /// report of "-2 lost" helps nobody).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }

    pub fn jitter_ms(&self) -> f64 {
        match self.clock_rate {
            Some(rate) if rate > 0 => self.jitter / rate as f64 * 1000.0,
            _ => 0.0,
        }
    }

    pub fn duration_s(&self) -> f64 {
        (self.last_ts - self.first_ts) as f64 / 1e9
    }

    fn on_packet(
        &mut self,
        p: &RtpPacket<'_>,
        frame: u64,
        ts: i64,
        clock_hint: impl FnOnce() -> Option<u32>,
    ) {
        if self.clock_rate.is_none() {
            self.clock_rate = clock_hint().or_else(|| self.guess_clock(p.timestamp, ts));
        }
        let gap = ts - self.last_ts;
        if gap > self.max_gap_ns {
            self.max_gap_ns = gap;
        }
        self.packets += 1;
        self.last_frame = frame;
        self.last_ts = ts;
        // Extend the 16-bit sequence number against the highest seen
        // (RFC 3550 A.1): a step forward within MAX_DROPOUT, or back within
        // MAX_MISORDER, is believed; a larger jump only when the next packet
        // follows it (the sender restarted), else that packet is counted as
        // a bad sequence number and left out of the loss count.
        let max16 = self.max_ext_seq as u16;
        let udelta = p.sequence.wrapping_sub(max16);
        if udelta != 0 && udelta < MAX_DROPOUT {
            self.bad_seq = None;
            let ext = self.max_ext_seq.wrapping_add(u32::from(udelta));
            let shift = u32::from(udelta);
            self.seen = if shift >= 128 { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.max_ext_seq = ext;
            self.received += 1;
        } else if udelta != 0 && udelta <= u16::MAX - MAX_MISORDER {
            if self.bad_seq == Some(p.sequence) {
                // Two in a row: re-synchronise on the new numbering.
                self.base_seq = u32::from(p.sequence);
                self.max_ext_seq = u32::from(p.sequence);
                self.seen = 1;
                self.received = 1;
                self.bad_seq = None;
                self.resyncs += 1;
            } else {
                self.bad_seq = Some(p.sequence.wrapping_add(1));
                self.bad_sequence += 1;
                return;
            }
        } else {
            let back = u32::from(max16.wrapping_sub(p.sequence));
            if back == 0 {
                self.duplicates += 1;
                return;
            }
            if back < u32::from(SEQ_WINDOW) {
                let bit = 1u128 << back;
                if self.seen & bit != 0 {
                    self.duplicates += 1;
                    return;
                }
                self.seen |= bit;
            }
            self.out_of_order += 1;
            self.received += 1;
            let ext = self.max_ext_seq.wrapping_sub(back);
            if ext.wrapping_sub(self.base_seq) > self.max_ext_seq.wrapping_sub(self.base_seq) {
                self.base_seq = ext;
            }
        }
        if let Some(rate) = self.clock_rate {
            // RFC 3550 A.8: transit time in timestamp units.
            let arrival = ts as f64 / 1e9 * rate as f64;
            let transit = arrival - p.timestamp as f64;
            if let Some(prev) = self.last_transit {
                let mut d = (transit - prev).abs();
                // A timestamp wrap or jump must not blow the estimate up.
                if d > rate as f64 * 10.0 {
                    d = 0.0;
                }
                self.jitter += (d - self.jitter) / 16.0;
            }
            self.last_transit = Some(transit);
        }
    }

    /// Once a stream has run a second, its timestamp rate is its clock.
    fn guess_clock(&self, rtp_ts: u32, ts: i64) -> Option<u32> {
        let dt = (ts - self.first_ts) as f64 / 1e9;
        if dt < 1.0 {
            return None;
        }
        let rate = rtp_ts.wrapping_sub(self.first_rtp_ts) as f64 / dt;
        COMMON_RATES
            .iter()
            .copied()
            .min_by(|a, b| {
                let da = (*a as f64 - rate).abs();
                let db = (*b as f64 - rate).abs();
                da.total_cmp(&db)
            })
            .filter(|r| (rate / *r as f64 - 1.0).abs() < 0.25)
    }
}

/// An SSRC and address pair packed into integers: hashed and compared in
/// a few instructions, where `(u32, SocketAddr, SocketAddr)` goes field by
/// field through each address's enum (measured: the lookup was a tenth of
/// the correlation's time on an RTP-heavy capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StreamId {
    src: u128,
    dst: u128,
    /// Source port, destination port, SSRC.
    ports_ssrc: u64,
    /// Which address is IPv6: an IPv4 address and its IPv4-mapped IPv6
    /// form are different addresses.
    families: u8,
}

impl StreamId {
    fn new(ssrc: u32, src: SocketAddr, dst: SocketAddr) -> Self {
        // Addresses here are built from IP headers and ports, so IPv6 flow
        // labels and scope ids are always zero and need no room.
        let bits = |a: &SocketAddr| match a {
            SocketAddr::V4(v4) => (v4.ip().to_bits() as u128, 0u8),
            SocketAddr::V6(v6) => (v6.ip().to_bits(), 1u8),
        };
        let (s, sf) = bits(&src);
        let (d, df) = bits(&dst);
        Self {
            src: s,
            dst: d,
            ports_ssrc: (u64::from(src.port()) << 48)
                | (u64::from(dst.port()) << 32)
                | u64::from(ssrc),
            families: sf | (df << 1),
        }
    }
}

#[derive(Debug, Default)]
pub struct RtpTracker {
    /// The stream each SSRC and address pair currently feeds: one hash
    /// lookup per packet.
    current: HashMap<StreamId, RtpStream>,
    /// Streams that ended in a long silence before the same SSRC and
    /// addresses came back (see [`StreamKey::epoch`]).
    retired: HashMap<StreamKey, RtpStream>,
    pub rtcp_packets: HashMap<(SocketAddr, SocketAddr), u64>,
    pub dropped: u64,
    /// Packets seen a second time on the other leg of a TURN relay.
    pub relayed_copies: u64,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
}

impl RtpTracker {
    #[allow(clippy::too_many_arguments)]
    /// Every stream seen, current and retired.
    pub fn streams(&self) -> impl Iterator<Item = &RtpStream> {
        self.current.values().chain(self.retired.values())
    }

    pub fn get(&self, key: &StreamKey) -> Option<&RtpStream> {
        match self.current.get(&StreamId::new(key.ssrc, key.src, key.dst)) {
            Some(s) if s.key.epoch == key.epoch => Some(s),
            _ => self.retired.get(key),
        }
    }

    pub fn len(&self) -> usize {
        self.current.len() + self.retired.len()
    }

    /// Forgets streams and RTCP flows whose call was finalised.
    pub fn release(&mut self, streams: &[StreamKey], rtcp: &[(SocketAddr, SocketAddr)]) {
        for k in streams {
            let id = StreamId::new(k.ssrc, k.src, k.dst);
            if self.current.get(&id).is_some_and(|s| s.key == *k) {
                self.current.remove(&id);
            } else {
                self.retired.remove(k);
            }
        }
        for f in rtcp {
            self.rtcp_packets.remove(f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[allow(clippy::too_many_arguments)]
    pub fn on_rtp(
        &mut self,
        p: &RtpPacket<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        relayed: bool,
        // Asked only when the stream's clock rate is not known yet: the
        // SDP lookup is not paid on every packet.
        clock_hint: impl FnOnce() -> Option<u32>,
    ) -> Option<(StreamKey, bool)> {
        let id = StreamId::new(p.ssrc, src, dst);
        let mut epoch = 0;
        if let Some(s) = self.current.get_mut(&id) {
            if ts - s.last_ts < NEW_STREAM_AFTER_NS {
                // A stream back from a silence longer than a call window's
                // slack may now reach into a window it did not (calls.rs).
                if ts - s.last_ts > super::calls::MEDIA_WINDOW_SLACK_NS {
                    self.touched.touch(super::FrameOwner::Stream(s.key));
                }
                let duplicates = s.duplicates;
                s.on_packet(p, frame, ts, clock_hint);
                // Through a TURN relay one packet shows twice: inside
                // ChannelData between client and server, and as plain UDP
                // between relay and peer. The second sighting is the same
                // packet sent once, not a duplicate.
                if s.duplicates > duplicates && relayed != s.relayed {
                    s.duplicates -= 1;
                    s.packets -= 1;
                    self.relayed_copies += 1;
                    return Some((s.key, true));
                }
                return Some((s.key, false));
            }
            epoch = s.key.epoch.wrapping_add(1);
        }
        if self.len() >= MAX_STREAMS {
            self.dropped += 1;
            return None;
        }
        if let Some(old) = self.current.remove(&id) {
            self.retired.insert(old.key, old);
        }
        let key = StreamKey {
            ssrc: p.ssrc,
            src,
            dst,
            epoch,
        };
        let clock_rate =
            clock_hint().or_else(|| crate::decode::rtp::static_clock_rate(p.payload_type));
        self.touched.touch(super::FrameOwner::Stream(key));
        self.current.insert(
            id,
            RtpStream {
                key,
                relayed,
                payload_type: p.payload_type,
                first_frame: frame,
                first_ts: ts,
                last_frame: frame,
                last_ts: ts,
                packets: 1,
                duplicates: 0,
                out_of_order: 0,
                bad_sequence: 0,
                resyncs: 0,
                received: 1,
                bad_seq: None,
                max_gap_ns: 0,
                clock_rate,
                base_seq: u32::from(p.sequence),
                max_ext_seq: u32::from(p.sequence),
                seen: 1,
                jitter: 0.0,
                last_transit: clock_rate.map(|r| ts as f64 / 1e9 * r as f64 - p.timestamp as f64),
                first_rtp_ts: p.timestamp,
            },
        );
        Some((key, false))
    }

    /// Whether the RTCP packet was counted.
    pub fn on_rtcp(&mut self, src: SocketAddr, dst: SocketAddr) -> bool {
        if self.rtcp_packets.len() < MAX_STREAMS || self.rtcp_packets.contains_key(&(src, dst)) {
            *self.rtcp_packets.entry((src, dst)).or_default() += 1;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequence statistics only: a packet with the given number, 20 ms
    /// apart, PCMU.
    fn feed(t: &mut RtpTracker, seqs: &[u16]) -> RtpStream {
        let src: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let dst: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        for (i, seq) in seqs.iter().enumerate() {
            let p = RtpPacket {
                version: 2,
                padding: false,
                extension: false,
                csrc_count: 0,
                marker: false,
                payload_type: 0,
                sequence: *seq,
                timestamp: 160 * i as u32,
                ssrc: 7,
                csrcs: Vec::new(),
                extension_profile: None,
                payload: &[],
                padding_len: 0,
            };
            t.on_rtp(
                &p,
                i as u64 + 1,
                i as i64 * 20_000_000,
                src,
                dst,
                false,
                || None,
            );
        }
        t.streams().next().unwrap().clone()
    }

    #[test]
    fn one_stray_sequence_number_is_not_thirty_thousand_lost() {
        let mut seqs: Vec<u16> = (1..=20).collect();
        seqs[9] = 30_010; // seq 10 replaced by a stray number
        let s = feed(&mut RtpTracker::default(), &seqs);
        assert_eq!(
            (s.packets, s.expected(), s.lost(), s.bad_sequence),
            (20, 20, 1, 1)
        );
    }

    #[test]
    fn a_sender_that_restarts_its_numbering_is_followed() {
        let mut seqs: Vec<u16> = (1..=10).collect();
        seqs.extend(5_000..5_010);
        let s = feed(&mut RtpTracker::default(), &seqs);
        // The first new number is held as bad, the second re-synchronises.
        assert_eq!((s.resyncs, s.bad_sequence), (1, 1));
        assert_eq!((s.expected(), s.lost()), (9, 0));
    }

    #[test]
    fn wrap_reorder_and_duplicates() {
        let seqs = [65_533, 65_534, 65_535, 1, 0, 2, 2, 3];
        let s = feed(&mut RtpTracker::default(), &seqs);
        assert_eq!(
            (s.expected(), s.lost(), s.duplicates, s.out_of_order),
            (7, 0, 1, 1)
        );
    }
}
