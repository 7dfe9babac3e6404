//! IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5), on
//! capture time and within fixed bounds.
//!
//! Datagrams are keyed by (source, destination, identification, protocol).
//! Fragments may come in any order and more than once. Where two fragments
//! cover the same bytes the first to arrive wins and the overlap is counted:
//! overlapping fragments are how evasion and some broken stacks show up, and
//! RFC 5722 forbids them outright for IPv6.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::IpFragment;

/// Bounds of the reassembler. Each is enforced on every push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FragmentLimits {
    /// Largest IP payload rebuilt; a fragment reaching past it drops its
    /// datagram.
    pub max_datagram: usize,
    /// Datagrams being rebuilt at once; at the bound the oldest is dropped.
    pub max_pending: usize,
    /// Bytes held for all pending datagrams; at the bound the oldest are
    /// dropped.
    pub max_total_bytes: usize,
    /// A datagram still incomplete this long (capture time) after its first
    /// fragment is dropped. Linux waits 30 s.
    pub timeout_ns: i64,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        Self {
            max_datagram: 65_535,
            max_pending: 1024,
            max_total_bytes: 16 << 20,
            timeout_ns: 30_000_000_000,
        }
    }
}

/// Counters since the reassembler was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FragmentStats {
    pub reassembled: u64,
    /// Datagrams dropped at a bound (size, count or bytes).
    pub dropped_over_limit: u64,
    /// Datagrams dropped still incomplete after the timeout.
    pub timed_out: u64,
    /// Fragments that covered bytes already held (duplicates included), or
    /// disagreed about where the datagram ends.
    pub overlaps: u64,
    /// Datagrams being rebuilt now.
    pub pending: usize,
}

/// A datagram rebuilt from its fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassembledDatagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    /// The whole IP payload.
    pub data: Vec<u8>,
    /// Fragments pushed for this datagram, duplicates included.
    pub fragments: u32,
    /// Frame numbers of the fragments before the one that completed the
    /// datagram (the first [`MAX_FRAME_NUMBERS`]), when they were given.
    pub earlier_frames: Vec<u64>,
}

/// Frame numbers kept per datagram; a datagram of more fragments keeps
/// the first ones (its count stays exact in `fragments`).
pub const MAX_FRAME_NUMBERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
}

/// One datagram being rebuilt.
struct Pending {
    /// When its first fragment arrived, and a tie-breaker: its place in
    /// `age`.
    born: (i64, u64),
    /// Bytes `0..data.len()`; holes are zero until filled.
    data: Vec<u8>,
    /// Byte ranges received, sorted, merged, half-open.
    have: Vec<(usize, usize)>,
    /// Payload length, known once the last fragment (MF clear) arrived.
    total: Option<usize>,
    fragments: u32,
    frames: Vec<u64>,
}

impl Pending {
    fn complete(&self) -> Option<usize> {
        let total = self.total?;
        let whole = match self.have.as_slice() {
            [] => total == 0,
            [(0, end)] => *end == total,
            _ => false,
        };
        whole.then_some(total)
    }

    /// Copies `bytes` (which start at `start`) into the holes of
    /// `start..start + bytes.len()`, leaving bytes already held untouched.
    /// Returns whether any byte was already held.
    fn fill(&mut self, start: usize, bytes: &[u8]) -> bool {
        let end = start + bytes.len();
        if start == end {
            return false;
        }
        let mut overlapped = false;
        let mut cursor = start;
        // Walk the held ranges that touch [start, end) and copy the gaps.
        for &(a, b) in &self.have {
            if b <= cursor {
                continue;
            }
            if a >= end {
                break;
            }
            if a > cursor {
                copy(&mut self.data, cursor, a, start, bytes);
            }
            overlapped = true;
            cursor = cursor.max(b);
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            copy(&mut self.data, cursor, end, start, bytes);
        }
        self.insert_range(start, end);
        overlapped
    }

    fn insert_range(&mut self, start: usize, end: usize) {
        let mut merged = (start, end);
        // Ranges that touch or overlap the new one merge into it.
        self.have.retain(|&(a, b)| {
            if b < merged.0 || a > merged.1 {
                true
            } else {
                merged = (merged.0.min(a), merged.1.max(b));
                false
            }
        });
        let at = self.have.partition_point(|&(a, _)| a < merged.0);
        self.have.insert(at, merged);
    }

    fn held_end(&self) -> usize {
        self.have.last().map_or(0, |&(_, b)| b)
    }
}

/// Copies `bytes[from - start..to - start]` to `data[from..to]`.
fn copy(data: &mut [u8], from: usize, to: usize, start: usize, bytes: &[u8]) {
    if let (Some(dst), Some(src)) = (data.get_mut(from..to), bytes.get(from - start..to - start)) {
        dst.copy_from_slice(src);
    }
}

/// Rebuilds IP datagrams from fragments. Feed it every [`IpFragment`] in
/// capture order with the frame's timestamp.
pub struct FragmentReassembler {
    limits: FragmentLimits,
    pending: HashMap<Key, Pending>,
    /// Pending datagrams by age, oldest first.
    age: BTreeMap<(i64, u64), Key>,
    next_serial: u64,
    /// Sum of `data.len()` over pending datagrams.
    bytes: usize,
    /// Datagrams completed within the timeout, with their length, so a
    /// copy of one of their fragments is a duplicate rather than the start
    /// of a datagram that never completes (a capture on Linux "any" sees
    /// forwarded packets twice). At most `max_pending` are remembered.
    done: HashMap<Key, (i64, usize)>,
    done_order: VecDeque<(i64, Key)>,
    stats: FragmentStats,
}

impl FragmentReassembler {
    pub fn new(limits: FragmentLimits) -> Self {
        Self {
            limits,
            pending: HashMap::new(),
            age: BTreeMap::new(),
            next_serial: 0,
            bytes: 0,
            done: HashMap::new(),
            done_order: VecDeque::new(),
            stats: FragmentStats::default(),
        }
    }

    pub fn stats(&self) -> FragmentStats {
        FragmentStats {
            pending: self.pending.len(),
            ..self.stats
        }
    }

    /// Bytes held for pending datagrams (never above `max_total_bytes`).
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds one fragment seen at `ts_ns` (capture time). Returns the datagram
    /// when this fragment completes it.
    pub fn push(&mut self, frag: &IpFragment<'_>, ts_ns: i64) -> Option<ReassembledDatagram> {
        self.push_frame(frag, ts_ns, None)
    }

    /// [`Self::push`] for the fragment in frame `number`, so the datagram
    /// can say which frames it was rebuilt from.
    pub fn push_frame(
        &mut self,
        frag: &IpFragment<'_>,
        ts_ns: i64,
        number: Option<u64>,
    ) -> Option<ReassembledDatagram> {
        self.expire(ts_ns);
        let key = Key {
            src: frag.src,
            dst: frag.dst,
            id: frag.id,
            protocol: frag.protocol,
        };
        let start = usize::try_from(frag.offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(frag.payload.len());
        if end > self.limits.max_datagram {
            self.remove(&key);
            self.stats.dropped_over_limit += 1;
            return None;
        }
        if let Some(&(_, total)) = self.done.get(&key) {
            // A copy of a fragment of a datagram just rebuilt: it fits inside
            // it and agrees on where it ends. Anything else means the id was
            // reused for a new datagram.
            if end <= total && (frag.more || end == total) {
                self.stats.overlaps += 1;
                return None;
            }
            self.done.remove(&key);
        }

        if !self.pending.contains_key(&key) {
            if self.limits.max_pending == 0 {
                self.stats.dropped_over_limit += 1;
                return None;
            }
            while self.pending.len() >= self.limits.max_pending {
                self.drop_oldest_except(None);
            }
            let born = (ts_ns, self.next_serial);
            self.next_serial += 1;
            self.age.insert(born, key);
            self.pending.insert(
                key,
                Pending {
                    born,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                    fragments: 0,
                    frames: Vec::new(),
                },
            );
        }

        // Where the datagram ends, if already known, clips what is stored.
        let known_total = self.pending.get(&key).and_then(|p| p.total);
        let mut overlap = false;
        let stored_end = match known_total {
            Some(total) if end > total => {
                overlap = true;
                total.max(start)
            }
            _ => end,
        };

        // Make room for the bytes this fragment adds.
        let held = self.pending.get(&key).map_or(0, |p| p.data.len());
        let grow = stored_end.saturating_sub(held);
        while self.bytes + grow > self.limits.max_total_bytes {
            if !self.drop_oldest_except(Some(key)) {
                // Only this datagram is left and it alone is too big.
                self.remove(&key);
                self.stats.dropped_over_limit += 1;
                return None;
            }
        }

        let pending = self.pending.get_mut(&key)?;
        if grow > 0 {
            pending.data.resize(stored_end, 0);
            self.bytes += grow;
        }
        let kept = frag
            .payload
            .get(..stored_end.saturating_sub(start))
            .unwrap_or_default();
        overlap |= pending.fill(start, kept);

        if !frag.more {
            match pending.total {
                Some(total) => overlap |= total != end,
                // A last fragment that ends before bytes already held
                // contradicts them; first arrived wins, so ignore its claim.
                None if pending.held_end() > end => overlap = true,
                None => pending.total = Some(end),
            }
        }
        pending.fragments = pending.fragments.saturating_add(1);
        if let Some(n) = number {
            if pending.frames.len() < MAX_FRAME_NUMBERS {
                pending.frames.push(n);
            }
        }
        if overlap {
            self.stats.overlaps += 1;
        }

        let total = pending.complete()?;
        let pending = self.remove(&key)?;
        let mut data = pending.data;
        data.truncate(total);
        self.stats.reassembled += 1;
        self.remember_done(key, ts_ns, total);
        let mut earlier_frames = pending.frames;
        if number.is_some() {
            earlier_frames.pop();
        }
        Some(ReassembledDatagram {
            src: key.src,
            dst: key.dst,
            protocol: key.protocol,
            data,
            fragments: pending.fragments,
            earlier_frames,
        })
    }

    /// Drops datagrams whose first fragment is older than the timeout at
    /// `now_ns`. `push` calls it; call it when capture time moves on without
    /// fragments (end of capture excepted: what is pending then simply
    /// never completed).
    pub fn expire(&mut self, now_ns: i64) {
        while let Some((&(born, _), &key)) = self.age.first_key_value() {
            if now_ns.saturating_sub(born) <= self.limits.timeout_ns {
                break;
            }
            self.remove(&key);
            self.stats.timed_out += 1;
        }
        while let Some(&(at, key)) = self.done_order.front() {
            if now_ns.saturating_sub(at) <= self.limits.timeout_ns {
                break;
            }
            self.done_order.pop_front();
            self.forget_done(key, at);
        }
    }

    fn remember_done(&mut self, key: Key, ts_ns: i64, total: usize) {
        while self.done_order.len() >= self.limits.max_pending.max(1) {
            if let Some((at, old)) = self.done_order.pop_front() {
                self.forget_done(old, at);
            }
        }
        self.done.insert(key, (ts_ns, total));
        self.done_order.push_back((ts_ns, key));
    }

    /// Forgets a completed datagram unless it completed again since.
    fn forget_done(&mut self, key: Key, at: i64) {
        if self.done.get(&key).is_some_and(|&(t, _)| t == at) {
            self.done.remove(&key);
        }
    }

    /// Drops the oldest pending datagram other than `keep`. Returns false
    /// when there is none.
    fn drop_oldest_except(&mut self, keep: Option<Key>) -> bool {
        let victim = self.age.values().find(|k| Some(**k) != keep).copied();
        match victim {
            Some(victim) => {
                self.remove(&victim);
                self.stats.dropped_over_limit += 1;
                true
            }
            None => false,
        }
    }

    fn remove(&mut self, key: &Key) -> Option<Pending> {
        let pending = self.pending.remove(key)?;
        self.age.remove(&pending.born);
        self.bytes = self.bytes.saturating_sub(pending.data.len());
        Some(pending)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use proptest::prelude::*;

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn frag(id: u32, offset: u32, more: bool, payload: &[u8]) -> IpFragment<'_> {
        IpFragment {
            src: A,
            dst: B,
            id,
            protocol: 17,
            offset,
            more,
            payload,
        }
    }

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn overlap_first_arrived_wins() {
        let mut r = FragmentReassembler::new(FragmentLimits::default());
        assert_eq!(r.push(&frag(7, 0, true, &[b'a'; 16]), 0), None);
        // Covers 8..24: 8..16 is held already and stays 'a'.
        assert_eq!(r.push(&frag(7, 8, true, &[b'b'; 16]), 1), None);
        let d = r.push(&frag(7, 24, false, &[b'c'; 8]), 2).unwrap();
        let mut expected = vec![b'a'; 16];
        expected.extend([b'b'; 8]);
        expected.extend([b'c'; 8]);
        assert_eq!(
            d,
            ReassembledDatagram {
                src: A,
                dst: B,
                protocol: 17,
                data: expected,
                fragments: 3,
                earlier_frames: Vec::new(),
            }
        );
        assert_eq!(
            r.stats(),
            FragmentStats {
                reassembled: 1,
                overlaps: 1,
                ..FragmentStats::default()
            }
        );
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn duplicates_and_conflicting_ends() {
        let mut r = FragmentReassembler::new(FragmentLimits::default());
        assert_eq!(r.push(&frag(1, 8, false, &[2; 8]), 0), None);
        assert_eq!(r.push(&frag(1, 8, false, &[9; 8]), 0), None);
        // A second "last" fragment ending elsewhere is ignored.
        assert_eq!(r.push(&frag(1, 0, false, &[1; 4]), 0), None);
        let d = r.push(&frag(1, 0, true, &[1; 8]), 0).unwrap();
        assert_eq!(d.data, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
        assert_eq!(d.fragments, 4);
        assert_eq!(r.stats().overlaps, 3);
        // Copies after completion are duplicates, not a new datagram...
        assert_eq!(r.push(&frag(1, 8, false, &[2; 8]), 1), None);
        assert_eq!(r.push(&frag(1, 0, true, &[1; 8]), 1), None);
        assert_eq!(r.stats().overlaps, 5);
        assert_eq!(r.stats().pending, 0);
        // ...but a fragment that does not fit it means the id was reused.
        assert_eq!(r.push(&frag(1, 16, false, &[3; 8]), 2), None);
        let d = r.push(&frag(1, 0, true, &[4; 16]), 2).unwrap();
        assert_eq!(d.data.len(), 24);
        // Past the timeout the id is free again.
        let d = r.push(&frag(1, 0, false, &[5; 8]), 40 * SECOND).unwrap();
        assert_eq!(d.data, [5; 8]);
    }

    #[test]
    fn expiry_on_capture_time() {
        let limits = FragmentLimits::default();
        let mut r = FragmentReassembler::new(limits);
        assert_eq!(r.push(&frag(1, 0, true, &[0; 8]), 0), None);
        assert_eq!(r.push(&frag(2, 0, true, &[0; 8]), 10 * SECOND), None);
        // 31 s after the first fragment of datagram 1: it is dropped, so its
        // last fragment starts a new (incomplete) datagram.
        assert_eq!(r.push(&frag(1, 8, false, &[0; 8]), 31 * SECOND), None);
        assert_eq!(
            r.stats(),
            FragmentStats {
                timed_out: 1,
                pending: 2,
                ..FragmentStats::default()
            }
        );
        r.expire(100 * SECOND);
        assert_eq!(r.stats().timed_out, 3);
        assert_eq!(r.stats().pending, 0);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn bounds_drop_the_oldest() {
        let limits = FragmentLimits {
            max_datagram: 1000,
            max_pending: 2,
            max_total_bytes: 100,
            timeout_ns: 30 * SECOND,
        };
        let mut r = FragmentReassembler::new(limits);
        r.push(&frag(1, 0, true, &[0; 40]), 0);
        r.push(&frag(2, 0, true, &[0; 40]), 1);
        // A third datagram: the count bound drops datagram 1.
        r.push(&frag(3, 0, true, &[0; 8]), 2);
        assert_eq!(r.stats().dropped_over_limit, 1);
        assert_eq!(r.buffered_bytes(), 48);
        // Datagram 3 grows to 64 bytes: 40 + 64 > 100 drops datagram 2.
        r.push(&frag(3, 8, true, &[0; 56]), 3);
        assert_eq!(r.stats().dropped_over_limit, 2);
        assert_eq!(r.buffered_bytes(), 64);
        // Alone and still too big: datagram 3 itself goes.
        r.push(&frag(3, 64, true, &[0; 64]), 4);
        assert_eq!(r.stats().dropped_over_limit, 3);
        assert_eq!(r.buffered_bytes(), 0);
        // Past max_datagram.
        r.push(&frag(4, 992, false, &[0; 16]), 5);
        assert_eq!(
            r.stats(),
            FragmentStats {
                dropped_over_limit: 4,
                ..FragmentStats::default()
            }
        );
    }

    #[test]
    fn ipv6_style_ids_and_protocols_keep_datagrams_apart() {
        let mut r = FragmentReassembler::new(FragmentLimits::default());
        let mut other = frag(5, 0, true, &[1; 8]);
        other.protocol = 6;
        assert_eq!(r.push(&other, 0), None);
        assert_eq!(r.push(&frag(5, 0, true, &[2; 8]), 0), None);
        let d = r.push(&frag(5, 8, false, &[2; 8]), 0).unwrap();
        assert_eq!(d.data, [2; 16]);
        assert_eq!(r.stats().pending, 1);
    }

    /// One pushed fragment in the random sequences below.
    fn arb_fragment() -> impl Strategy<Value = (u32, u32, bool, usize, i64)> {
        (
            0u32..4,
            0u32..9000,
            any::<bool>(),
            0usize..1600,
            0i64..5 * SECOND,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Random fragments never panic the reassembler and never take it
        /// past its bounds.
        #[test]
        fn never_past_bounds(frags in proptest::collection::vec(arb_fragment(), 1..80)) {
            let limits = FragmentLimits {
                max_datagram: 8000,
                max_pending: 3,
                max_total_bytes: 12_000,
                timeout_ns: 10 * SECOND,
            };
            let mut r = FragmentReassembler::new(limits);
            let bytes = vec![0x5a; 1600];
            let mut ts = 0;
            for (id, offset, more, len, dt) in frags {
                ts += dt;
                if let Some(d) = r.push(&frag(id, offset, more, &bytes[..len]), ts) {
                    prop_assert!(d.data.len() <= limits.max_datagram);
                }
                prop_assert!(r.stats().pending <= limits.max_pending);
                prop_assert!(r.buffered_bytes() <= limits.max_total_bytes);
            }
        }

        /// A datagram cut into 8-byte-aligned fragments, shuffled and with
        /// some sent twice, comes back whole and exactly once.
        #[test]
        fn shuffled_fragments_rebuild(
            data in proptest::collection::vec(any::<u8>(), 1..4000),
            cuts in proptest::collection::vec(1usize..500, 1..20),
            keys in proptest::collection::vec(any::<u64>(), 40),
            dups in proptest::collection::vec(any::<bool>(), 40),
        ) {
            let mut pieces = Vec::new();
            let mut at = 0;
            for cut in cuts.iter().chain(std::iter::repeat(&4000)) {
                if at >= data.len() {
                    break;
                }
                let end = (at + cut * 8).min(data.len());
                pieces.push((at, end));
                at = end;
            }
            let mut order: Vec<(u64, usize)> =
                (0..pieces.len()).map(|i| (keys[i % keys.len()], i)).collect();
            order.sort();
            let mut r = FragmentReassembler::new(FragmentLimits::default());
            let mut out = Vec::new();
            for (n, &(_, i)) in order.iter().enumerate() {
                let (s, e) = pieces[i];
                let f = frag(9, s as u32, e < data.len(), &data[s..e]);
                let times = if dups[n % dups.len()] { 2 } else { 1 };
                for _ in 0..times {
                    out.extend(r.push(&f, n as i64));
                }
            }
            prop_assert_eq!(out.len(), 1);
            prop_assert_eq!(&out[0].data, &data);
        }
    }
}
