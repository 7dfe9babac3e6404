//! Which SIP dialogs an RTP stream belongs to, when several dialogs
//! describe the same media addresses.
//!
//! Load generators and many gateways send every call's media between one
//! pair of address:port (sipp's `rtp_stream` plays each call from one
//! socket with a new SSRC), so the SDP alone cannot tell the calls apart:
//! the SSRC makes each call's media a stream of its own, and time says
//! whose it is. Each dialog has a media lifetime, from the SDP answer
//! (RFC 3264: either side may send once the answer is out) to its BYE, or
//! to the final response that refused it; a stream is a candidate for
//! every dialog on its addresses whose lifetime it overlaps (a stream that
//! starts more than [`AFTER_END_NS`] after a dialog ended is not that
//! dialog's).
//!
//! Per pair of media addresses and per direction, the streams go to the
//! dialogs by the most likely order-keeping matching (see [`match_pair`]):
//! calls answered one after another start their media one after another,
//! each after its sender's usual start-up delay, which the matching learns
//! from the capture itself, and a call usually sends both ways. What the
//! matching leaves (a second stream in a direction, a stream no lifetime
//! explains) goes to the candidate that got an answer, has no other stream
//! that way at the time, and was answered last before the stream began (a
//! stream that starts before a lifetime counts [`EARLY_WEIGHT`] times the
//! gap, so early packets still find their call).
//!
//! Two dialogs on different pairs of signalling hosts that both describe
//! the same media at the same time (the two legs of a B2BUA with direct
//! media, or of a third-party call controller, RFC 3725) are one
//! conversation: each of them sees the stream, as long as it has no stream
//! of its own in that direction then.
//!
//! Limit: two calls answered closer together than their senders' start-up
//! jitter (sipp starts streams on a 20 ms tick) cannot be told apart by
//! time; their streams may be swapped. The README gives the measured rates.
//!
//! Cost: for each pair of media addresses, the streams on it times the
//! dialogs they can meet, in slices of at most [`ALIGN_SLICE`] streams;
//! only calls that share both addresses meet here.

use std::net::{IpAddr, SocketAddr};

use foldhash::HashMap;

use super::calls::MEDIA_WINDOW_SLACK_NS;
use super::rtp::{RtpStream, StreamKey};
use super::sip::SipDialog;
use super::Analyzer;

/// A stream that starts this long after a dialog's BYE (or final refusal)
/// is not its media: packets already on their way when the BYE left arrive
/// well within it.
pub const AFTER_END_NS: i64 = 1_000_000_000;

/// The most dialogs a stream the matching left is weighed against, the
/// latest begun first: more overlap it only when over a thousand calls
/// on one pair of media addresses are up at once, and the earlier ones
/// are then the least likely owners.
const FALLBACK_CANDIDATES: usize = 1024;

/// How much more a gap counts when the stream starts before the lifetime
/// than when it starts after.
const EARLY_WEIGHT: i64 = 4;

/// When a dialog's media can flow.
#[derive(Debug, Clone, Copy)]
struct MediaLife {
    start: i64,
    end: i64,
    answered: bool,
    /// The signalling hosts, lower first: the legs of one conversation
    /// through a B2BUA never have the same two.
    hosts: (IpAddr, IpAddr),
}

fn media_life(d: &SipDialog) -> Option<MediaLife> {
    let sdps = d.sdps.items();
    let first = sdps.first()?;
    let answer = sdps.iter().find(|s| s.from_caller != first.from_caller);
    let refused = if d.accepted().is_none() {
        d.main_transactions()
            .last()
            .and_then(|t| t.final_response())
            .filter(|r| r.status >= 300)
            .map(|r| r.ts)
    } else {
        None
    };
    let end = d
        .transaction("BYE")
        .map(|t| t.first_ts)
        .or(refused)
        .unwrap_or(i64::MAX);
    let (a, b) = (d.caller.ip(), d.callee.ip());
    Some(MediaLife {
        start: answer.map_or(first.ts, |a| a.ts),
        end,
        answered: answer.is_some(),
        hosts: if a <= b { (a, b) } else { (b, a) },
    })
}

impl MediaLife {
    fn overlaps(&self, s: &RtpStream) -> bool {
        s.first_ts <= self.end.saturating_add(AFTER_END_NS)
            && s.last_ts >= self.start.saturating_sub(MEDIA_WINDOW_SLACK_NS)
    }

    /// How far the stream's start is from this lifetime's: smaller is
    /// more likely this dialog's.
    fn distance(&self, s: &RtpStream) -> i64 {
        if self.start <= s.first_ts {
            s.first_ts - self.start
        } else {
            (self.start - s.first_ts).saturating_mul(EARLY_WEIGHT)
        }
    }
}

/// The streams each dialog's SDP addresses carried during its lifetime,
/// in the order of `dialogs`, and how many dialogs each stream went to.
pub(super) struct SipMedia<'a> {
    pub per_dialog: Vec<Vec<&'a RtpStream>>,
    pub owners: HashMap<StreamKey, u32>,
}

/// Gives the streams on the dialogs' SDP addresses to the dialogs (see the
/// module documentation). `endpoints[i]` are dialog `i`'s SDP media
/// addresses; `streams_by_pair` the streams by (source, destination).
pub(super) fn assign<'a>(
    an: &'a Analyzer,
    dialogs: &[&SipDialog],
    endpoints: &[Vec<SocketAddr>],
    streams_by_pair: &HashMap<(SocketAddr, SocketAddr), Vec<StreamKey>>,
) -> SipMedia<'a> {
    let lives: Vec<Option<MediaLife>> = dialogs.iter().map(|d| media_life(d)).collect();
    // The dialogs on each pair of media addresses (lower address first).
    let mut on_pair: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::default();
    for (i, life) in lives.iter().enumerate() {
        if life.is_none() {
            continue;
        }
        let eps = &endpoints[i];
        for (n, a) in eps.iter().enumerate() {
            for b in &eps[n + 1..] {
                if a != b
                    && (streams_by_pair.contains_key(&(*a, *b))
                        || streams_by_pair.contains_key(&(*b, *a)))
                {
                    on_pair.entry((*a.min(b), *a.max(b))).or_default().push(i);
                }
            }
        }
    }
    let mut pairs: Vec<_> = on_pair.into_iter().collect();
    pairs.sort_unstable_by_key(|(k, _)| *k);

    let mut per_dialog: Vec<Vec<&'a RtpStream>> = vec![Vec::new(); dialogs.len()];
    let mut owners: HashMap<StreamKey, u32> = HashMap::default();
    for ((a, b), mut ds) in pairs {
        ds.sort_unstable_by(|x, y| {
            (lives[*x].map(|l| l.start), &dialogs[*x].call_id)
                .cmp(&(lives[*y].map(|l| l.start), &dialogs[*y].call_id))
        });
        ds.dedup();
        let streams_of = |from, to| -> Vec<&'a RtpStream> {
            let mut v: Vec<&'a RtpStream> = streams_by_pair
                .get(&(from, to))
                .into_iter()
                .flatten()
                .filter_map(|k| an.rtp.get(k))
                .collect();
            v.sort_by_key(|s| (s.first_ts, s.first_frame, s.key.ssrc, s.key.epoch));
            v
        };
        let ways = [streams_of(a, b), streams_of(b, a)];
        // One dialog on the pair: nothing to tell apart.
        let matched = if ds.len() > 1 {
            match_pair(&ways, &ds, &lives)
        } else {
            [vec![None; ways[0].len()], vec![None; ways[1].len()]]
        };
        // What the matching left (a call's second stream in a direction, a
        // stream no lifetime explains well) goes to the best candidate, and
        // the other legs of a conversation see it too.
        let life_of = |i: usize| lives[i].expect("dialogs on a pair have a lifetime");
        let mut host_pairs: Vec<_> = ds.iter().map(|i| life_of(*i).hosts).collect();
        host_pairs.sort_unstable();
        host_pairs.dedup();
        for (w, streams) in ways.iter().enumerate() {
            for (n, s) in streams.iter().enumerate() {
                if let (Some(i), 1) = (matched[w][n], host_pairs.len()) {
                    // One pair of signalling hosts: no other leg to share.
                    owners.insert(s.key, 1);
                    per_dialog[i].push(s);
                    continue;
                }
                // ds is in order of lifetime start: the candidates are
                // among those that began before the stream ended, the
                // latest FALLBACK_CANDIDATES of them looked at.
                let began = ds.partition_point(|i| {
                    life_of(*i).start.saturating_sub(MEDIA_WINDOW_SLACK_NS) <= s.last_ts
                });
                let cands: Vec<usize> = ds[..began]
                    .iter()
                    .rev()
                    .copied()
                    .filter(|i| life_of(*i).overlaps(s))
                    .take(FALLBACK_CANDIDATES)
                    .collect();
                let free = |i: usize| {
                    !per_dialog[i].iter().any(|t| {
                        t.key.src == s.key.src
                            && t.key.dst == s.key.dst
                            && t.first_ts <= s.last_ts
                            && t.last_ts >= s.first_ts
                    })
                };
                let ranks: Vec<(usize, (u8, i64))> = cands
                    .iter()
                    .filter_map(|&i| {
                        let life = lives[i].as_ref()?;
                        let tier = u8::from(!life.answered) * 2 + u8::from(!free(i));
                        Some((i, (tier, life.distance(s))))
                    })
                    .collect();
                let primary = match matched[w][n] {
                    Some(i) => Some((i, 0)),
                    None => ranks
                        .iter()
                        .min_by_key(|(_, r)| *r)
                        .map(|(i, (tier, _))| (*i, *tier)),
                };
                let Some((primary, tier)) = primary else {
                    continue;
                };
                let mut chosen = vec![primary];
                if tier == 0 {
                    let hosts = |d: usize| lives[d].map(|l| l.hosts);
                    for &(i, (t, _)) in &ranks {
                        if t == 0 && !chosen.iter().any(|c| hosts(*c) == hosts(i)) {
                            chosen.push(i);
                        }
                    }
                }
                owners.insert(s.key, chosen.len() as u32);
                for i in chosen {
                    per_dialog[i].push(s);
                }
            }
        }
    }
    for v in &mut per_dialog {
        v.sort_by_key(|s| (s.first_ts, s.first_frame));
    }
    SipMedia { per_dialog, owners }
}

/// Matches each direction's streams to the dialogs of one pair of media
/// addresses, at most one stream per dialog and direction, in order:
/// calls answered one after another start their media one after another,
/// each a sender's start-up delay after its answer. The matching is the
/// most likely one (costs are negative log-likelihoods): a first pass
/// gives each stream the latest answer before it and learns from that how
/// long each direction's sender takes to start (senders start streams on
/// a clock tick, so the delays spread, not always the same way); the next
/// passes match with what was learnt, and the last two prefer two-way
/// calls, since one-way media is the exception. Returns, per direction and
/// stream, the dialog matched.
fn match_pair(
    ways: &[Vec<&RtpStream>; 2],
    ds: &[usize],
    lives: &[Option<MediaLife>],
) -> [Vec<Option<usize>>; 2] {
    let life = |i: usize| lives[i].expect("dialogs on a pair have a lifetime");
    let mut model = [DelayModel::Unknown, DelayModel::Unknown];
    let mut matched: [Vec<Option<usize>>; 2] =
        [vec![None; ways[0].len()], vec![None; ways[1].len()]];
    let plain: Vec<Anchor> = ds
        .iter()
        .map(|i| Anchor {
            answer: life(*i).start,
            skip_cost: 0.0,
        })
        .collect();
    for w in 0..2 {
        for _ in 0..2 {
            matched[w] = align(&ways[w], ds, &plain, &model[w], lives);
            model[w] = DelayModel::learn(&ways[w], &matched[w], lives);
        }
    }
    for w in [0usize, 1, 0, 1] {
        let mut two_way = vec![false; lives.len()];
        for i in matched[1 - w].iter().flatten() {
            two_way[*i] = true;
        }
        let anchors: Vec<Anchor> = ds
            .iter()
            .map(|i| Anchor {
                answer: life(*i).start,
                skip_cost: if two_way[*i] { ONE_WAY_COST } else { 0.0 },
            })
            .collect();
        matched[w] = align(&ways[w], ds, &anchors, &model[w], lives);
    }
    matched
}

/// Cost of leaving a stream out of the matching (a probability of about
/// e^-25): more than any misfit a lifetime allows, so a stream is matched
/// whenever one can hold it.
const SKIP_STREAM_COST: f64 = 25.0;

/// Cost of calling a dialog one-way when it has a stream the other way
/// (odds of about 1 in 7 against two-way media).
const ONE_WAY_COST: f64 = 2.0;

/// Cost of a stream that starts before the answer: rarer than any delay
/// seen, and more so the earlier it is (per ms).
const EARLY_COST: f64 = 15.0;
const EARLY_COST_PER_MS: f64 = 0.5;

/// Width and number of the bins of learnt delays: 2 ms up to 2 s.
const DELAY_BIN_NS: i64 = 2_000_000;
const DELAY_BINS: usize = 1000;

/// How long a direction's sender takes from the answer to its first
/// packet.
enum DelayModel {
    /// Nothing learnt yet: the shorter the delay the likelier, 1 per 100
    /// ms, so a stream goes to the latest answer before it.
    Unknown,
    /// The cost of each delay bin, from a smoothed histogram of the delays
    /// matched so far, up to the last bin with any; `unseen` beyond.
    Learnt { bins: Vec<f64>, unseen: f64 },
}

impl DelayModel {
    fn learn(
        streams: &[&RtpStream],
        matched: &[Option<usize>],
        lives: &[Option<MediaLife>],
    ) -> DelayModel {
        let mut counts = vec![0f64; DELAY_BINS];
        let mut n = 0f64;
        for (s, m) in streams.iter().zip(matched) {
            let Some(start) = m.and_then(|i| lives[i]).map(|l| l.start) else {
                continue;
            };
            let d = s.first_ts - start;
            if d < 0 {
                continue;
            }
            let bin = ((d / DELAY_BIN_NS) as usize).min(DELAY_BINS - 1);
            // Spread over the neighbouring bins: the tick makes delays
            // cluster, but one a bin away is just as plausible.
            for (k, weight) in [(-2i64, 0.25), (-1, 0.5), (0, 1.0), (1, 0.5), (2, 0.25)] {
                if let Some(c) = counts.get_mut((bin as i64 + k).max(0) as usize) {
                    *c += weight;
                }
            }
            n += 2.5;
        }
        if n == 0.0 {
            return DelayModel::Unknown;
        }
        // A little for every bin: a delay never seen is rare, not
        // impossible.
        let floor = 0.05;
        let total = n + floor * DELAY_BINS as f64;
        // Bins past the last delay seen all cost the same: only those up to
        // it are worked out.
        let seen = counts.iter().rposition(|c| *c > 0.0).map_or(0, |i| i + 1);
        DelayModel::Learnt {
            bins: counts[..seen]
                .iter()
                .map(|c| -((c + floor) / total).ln())
                .collect(),
            unseen: -(floor / total).ln(),
        }
    }

    /// Cost of a stream that starts `d` ns after its dialog's answer.
    fn cost(&self, d: i64) -> f64 {
        if d < 0 {
            return EARLY_COST + (-d) as f64 / 1e6 * EARLY_COST_PER_MS;
        }
        match self {
            DelayModel::Unknown => d as f64 / 1e8,
            DelayModel::Learnt { bins, unseen } => *bins
                .get(usize::try_from(d / DELAY_BIN_NS).unwrap_or(usize::MAX))
                .unwrap_or(unseen),
        }
    }
}

/// A dialog as the matching sees it in one direction.
struct Anchor {
    /// The dialog's answer: its media starts after it.
    answer: i64,
    /// What leaving the dialog without a stream in this direction costs.
    skip_cost: f64,
}

/// The most streams a matching takes at once; a longer run is matched in
/// slices of this many, each with the dialogs still free.
const ALIGN_SLICE: usize = 512;

/// How long before a slice's first stream a dialog's answer may be and
/// still be matched in that slice: the longest delay the model learns. A
/// stream that starts later than this after its answer (media after a long
/// hold) is left to the fallback, which still finds it.
const ALIGN_REACH_NS: i64 = DELAY_BIN_NS * DELAY_BINS as i64;

/// The most dialogs a slice is matched against (more are answered in its
/// time span only above about 1000 calls per second): with
/// [`ALIGN_SLICE`] this bounds the table at about a million cells (9 MB).
/// Past it the earliest answered are left to the fallback, which still
/// gives their streams to a call, only without the ordering.
const ALIGN_MAX_DIALOGS: usize = 2048;

/// Order-keeping matching of streams (sorted by start) to dialogs (in
/// `ds` order, anchors given) by dynamic programming, as in sequence
/// alignment: skipping a dialog is free, skipping a stream costs
/// [`SKIP_STREAM_COST`], a match costs what `model` says of its delay.
fn align(
    streams: &[&RtpStream],
    ds: &[usize],
    anchors: &[Anchor],
    model: &DelayModel,
    lives: &[Option<MediaLife>],
) -> Vec<Option<usize>> {
    let mut out = vec![None; streams.len()];
    let mut taken = vec![false; ds.len()];
    // Dialogs in anchor order: the order the matching keeps.
    let mut order: Vec<usize> = (0..ds.len()).collect();
    order.sort_by_key(|j| (anchors[*j].answer, *j));
    for (chunk_no, chunk) in streams.chunks(ALIGN_SLICE).enumerate() {
        let base = chunk_no * ALIGN_SLICE;
        // The free dialogs answered from ALIGN_REACH_NS before the slice's
        // first stream to its last one (order is by answer), at most
        // ALIGN_MAX_DIALOGS of them, the latest answered kept.
        let (first, last) = (chunk[0].first_ts, chunk[chunk.len() - 1].first_ts);
        let from =
            order.partition_point(|j| anchors[*j].answer < first.saturating_sub(ALIGN_REACH_NS));
        let to = order
            .partition_point(|j| anchors[*j].answer <= last.saturating_add(MEDIA_WINDOW_SLACK_NS));
        let mut cols: Vec<usize> = order[from..to.max(from)]
            .iter()
            .copied()
            .filter(|j| !taken[*j])
            .collect();
        if cols.len() > ALIGN_MAX_DIALOGS {
            cols.drain(..cols.len() - ALIGN_MAX_DIALOGS);
        }
        if cols.is_empty() {
            continue;
        }
        let table = BandedTable::fill(chunk, &cols, ds, anchors, model, lives);
        for (i, j) in table.matches() {
            out[base + i] = Some(ds[cols[j]]);
            taken[cols[j]] = true;
        }
    }
    out
}

/// The dynamic programming table of [`align`], kept to a band: stream
/// `i` (in order of start) can only match the dialogs answered from
/// [`ALIGN_REACH_NS`] before its start to [`ALIGN_EARLY_NS`] after it,
/// and both ends of that band move forward from one stream to the next.
/// Row `i` keeps the cells from its band's first dialog to the next row's
/// last one; a cell right of that is reached only by skipping dialogs, so
/// it is worked out from the row's last cell, and one left of it is never
/// better than the same skips taken in an earlier row (skips cost the
/// same in any order). The table is then about the streams times the
/// dialogs answered within a few seconds, not times every dialog.
struct BandedTable {
    /// Per row (0 to n): first column kept, and the cells (cost, step:
    /// 0 skip stream, 1 skip dialog, 2 match).
    rows: Vec<(usize, Vec<(f64, u8)>)>,
    /// Cost of skipping the first `j` dialogs.
    skip_sum: Vec<f64>,
}

/// A match whose answer is later than this after the stream's start costs
/// more than leaving the stream out ([`EARLY_COST`] and
/// [`EARLY_COST_PER_MS`] against [`SKIP_STREAM_COST`] and the most a
/// dialog's skip costs), so the band stops there.
const ALIGN_EARLY_NS: i64 =
    ((SKIP_STREAM_COST + ONE_WAY_COST - EARLY_COST) / EARLY_COST_PER_MS * 1e6) as i64;

impl BandedTable {
    fn fill(
        chunk: &[&RtpStream],
        cols: &[usize],
        ds: &[usize],
        anchors: &[Anchor],
        model: &DelayModel,
        lives: &[Option<MediaLife>],
    ) -> BandedTable {
        let (n, m) = (chunk.len(), cols.len());
        let answer = |j: usize| anchors[cols[j]].answer;
        let mut skip_sum = vec![0f64; m + 1];
        for j in 0..m {
            skip_sum[j + 1] = skip_sum[j] + anchors[cols[j]].skip_cost;
        }
        // Band of stream i (0-based): dialog columns lo..=hi, 1-based (a
        // column j is dialog j - 1); hi may be lo - 1 (no dialog).
        let band = |i: usize| -> (usize, usize) {
            let t = chunk[i].first_ts;
            let lo = partition(m, |j| answer(j) < t.saturating_sub(ALIGN_REACH_NS)) + 1;
            let hi = partition(m, |j| answer(j) <= t.saturating_add(ALIGN_EARLY_NS));
            (lo, hi)
        };
        let bands: Vec<(usize, usize)> = (0..n).map(band).collect();
        // Row i keeps columns from its band's start - 1 to the next row's
        // band end (the last row: to m).
        let last_col = |i: usize| {
            if i < n {
                bands[i].1.max(bands[i].0 - 1)
            } else {
                m
            }
        };
        let mut rows: Vec<(usize, Vec<(f64, u8)>)> = Vec::with_capacity(n + 1);
        let row0_end = last_col(0);
        rows.push((
            0,
            (0..=row0_end)
                .map(|j| (skip_sum[j], u8::from(j > 0)))
                .collect(),
        ));
        let mut table = BandedTable { rows, skip_sum };
        for i in 1..=n {
            let (lo, hi) = bands[i - 1];
            let first = lo - 1;
            let end = last_col(i).max(first);
            let mut cells: Vec<(f64, u8)> = Vec::with_capacity(end - first + 1);
            for j in first..=end {
                let mut best = table.cost_at(i - 1, j) + SKIP_STREAM_COST;
                let mut how = 0u8;
                if j > first {
                    let left = cells[j - first - 1].0 + table.skip_sum[j] - table.skip_sum[j - 1];
                    if left < best {
                        best = left;
                        how = 1;
                    }
                }
                if j >= lo && j <= hi {
                    let s = chunk[i - 1];
                    if lives[ds[cols[j - 1]]].is_some_and(|l| l.overlaps(s)) {
                        let v = table.cost_at(i - 1, j - 1)
                            + model.cost(s.first_ts - anchors[cols[j - 1]].answer);
                        if v < best {
                            best = v;
                            how = 2;
                        }
                    }
                }
                cells.push((best, how));
            }
            table.rows.push((first, cells));
        }
        table
    }

    /// The cost of cell (i, j); right of the kept cells, by skipping
    /// dialogs from the row's last one.
    fn cost_at(&self, i: usize, j: usize) -> f64 {
        let (first, cells) = &self.rows[i];
        let last = first + cells.len() - 1;
        debug_assert!(j >= *first, "a banded row is read left of its cells");
        if j > last {
            cells[cells.len() - 1].0 + self.skip_sum[j] - self.skip_sum[last]
        } else {
            cells[j.saturating_sub(*first)].0
        }
    }

    fn step_at(&self, i: usize, j: usize) -> u8 {
        let (first, cells) = &self.rows[i];
        if j > first + cells.len() - 1 {
            1
        } else {
            cells[j.saturating_sub(*first)].1
        }
    }

    /// The matched (stream, dialog column) pairs, 0-based, of the cheapest
    /// path from the last cell back.
    fn matches(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let n = self.rows.len() - 1;
        let (mut i, mut j) = (n, self.skip_sum.len() - 1);
        while i > 0 && j > 0 {
            match self.step_at(i, j) {
                0 => i -= 1,
                1 => j -= 1,
                _ => {
                    out.push((i - 1, j - 1));
                    i -= 1;
                    j -= 1;
                }
            }
        }
        out
    }
}

/// The number of leading indices in `0..len` for which `before` holds
/// (it must hold for a prefix only).
fn partition(len: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}
