//! From raw frames to decoded frames, in frame order.
//!
//! Per batch of frames: (1) link/IP/transport dissection in parallel (it is
//! stateless); (2) one sequential pass for what needs state: IP fragment
//! reassembly, TCP stream reassembly and message framing; (3) application
//! decoding in parallel, where the costly work is (SIP/SDP text, DTLS
//! handshakes). Results come back in frame order whatever the number of
//! threads, so the output is identical with one thread and with many.

mod frame;
mod stream;
pub mod tls_session;

pub use frame::{DecodedFrame, Pdus, Transport};
pub use stream::{StreamKind, StreamLimits, StreamStats};

use std::net::{IpAddr, SocketAddr};

use rayon::prelude::*;

use crate::capture::{FrameBatch, FrameMeta, RawFrame};
use crate::decode::demux;
use crate::net::{
    self, Dissected, FragmentLimits, FragmentReassembler, FragmentStats, TcpLimits, TcpReassembler,
    TcpStats, L4,
};
use stream::StreamFramer;

/// The most decoding threads a decoder starts; more are taken as this
/// many (the command line refuses them).
pub const MAX_THREADS: usize = 256;

/// Below this many items, mapping them on a side pool costs more than it
/// saves.
const SIDE_POOL_FROM: usize = 16;

/// `f` over `items`, results in the items' order: in parallel on `pool`
/// when there is one and enough items, else on the calling thread. What
/// the report and the terminal UI do with the calls of one sweep.
pub fn map_in_order<T: Sync, R: Send>(
    pool: Option<&rayon::ThreadPool>,
    items: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    match pool {
        Some(pool) if items.len() >= SIDE_POOL_FROM => {
            pool.install(|| items.par_iter().map(&f).collect())
        }
        _ => items.iter().map(f).collect(),
    }
}

/// A pool of `threads` threads (0: one per core) for work beside the
/// decoder's (rendering finalised calls); none for 1, where the work runs
/// on the calling thread, nor when no thread can be started.
pub fn side_pool(threads: usize) -> Option<rayon::ThreadPool> {
    if threads == 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.min(MAX_THREADS))
        .build()
        .ok()
}

/// Below this many frames a parallel pass costs more than it saves.
const MIN_PAR_CHUNK: usize = 256;

/// Counters of what the stateful pass did, for the closing summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PipelineStats {
    pub fragments: FragmentStats,
    pub tcp: TcpStats,
    pub streams: StreamStats,
}

/// What the application decoder gets for a frame that went through the
/// stateful pass: bytes that are not in the frame.
#[derive(Debug, Clone, Copy)]
enum AppInput {
    None,
    /// A datagram rebuilt from fragments: a side buffer.
    Side {
        index: usize,
        ports: (u16, u16),
    },
    /// Whole messages framed out of a TCP stream: a run of side buffers.
    Stream {
        first: usize,
        count: usize,
        kind: StreamKind,
        ports: (u16, u16),
        /// The last `decrypted` of them are SIP messages from decrypted
        /// TLS application data.
        decrypted: usize,
    },
}

/// What the stateful pass found for one frame: its transport, the number
/// of fragments its datagram was rebuilt from, and its application input.
/// The fragment count comes with the frames of the earlier fragments.
type FrameState = (Transport, Option<(u32, Vec<u64>)>, AppInput);

/// The bytes a batch's decoded frames point into.
pub struct BatchBytes {
    batch: FrameBatch,
    /// Bytes that are not in the batch (rebuilt datagrams, framed TCP
    /// messages), set once the stateful pass has run: frames decoded
    /// before it borrow the batch, frames decoded after it borrow these.
    side: std::cell::OnceCell<Vec<Vec<u8>>>,
    /// Where the decoded frames' vector goes back to once the batch is done.
    bin: FrameVecBin,
}

/// Emptied vectors of decoded frames, reused by later batches: a batch's
/// vector is about a megabyte, which malloc would otherwise map afresh
/// and fault in page by page for every batch (it is freed on another
/// thread than the one that made it). Measured on a 1.4-million-frame
/// capture: 31 000 page faults without it.
type FrameVecBin = std::sync::Arc<std::sync::Mutex<Vec<Vec<DecodedFrame<'static>>>>>;

/// The most vectors kept in the bin: one per batch in flight is enough.
const BIN_MAX: usize = 8;

/// An emptied vector of frames with no borrow left, keeping its memory.
fn recycle(mut frames: Vec<DecodedFrame<'_>>) -> Vec<DecodedFrame<'static>> {
    frames.clear();
    // An empty vector collected into the same element type (another
    // lifetime) keeps its allocation: std collects in place when the
    // layouts agree, and nothing is left to convert.
    #[allow(clippy::unnecessary_filter_map)] // it changes the element type
    frames.into_iter().filter_map(|_| None).collect()
}

type DecodedFrames<'a> = Vec<DecodedFrame<'a>>;

self_cell::self_cell!(
    /// A batch with its decoded frames, which borrow from it: one value
    /// that can move to another thread. `self_cell` keeps the borrow sound
    /// (a struct that borrows from itself cannot be written in safe Rust).
    pub struct DecodedBatch {
        owner: BatchBytes,
        #[covariant]
        dependent: DecodedFrames,
    }
);

impl DecodedBatch {
    pub fn len(&self) -> usize {
        self.borrow_owner().batch.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each decoded frame with its raw bytes, in frame order.
    pub fn for_each(&self, mut each: impl FnMut(&DecodedFrame<'_>, &RawFrame<'_>)) {
        self.with_dependent(|bytes, decoded| {
            for (f, r) in decoded.iter().zip(bytes.batch.iter()) {
                each(f, &r);
            }
        });
    }

    /// The batch back, to be filled again; its frames' vector goes back
    /// to the decoder's bin.
    pub fn into_batch(mut self) -> FrameBatch {
        let frames = self.with_dependent_mut(|_, frames| recycle(std::mem::take(frames)));
        let bytes = self.into_owner();
        if let Ok(mut bin) = bytes.bin.lock() {
            if bin.len() < BIN_MAX {
                bin.push(frames);
            }
        }
        bytes.batch
    }
}

/// The stateful decoder. Feed it batches in capture order.
pub struct Decoder {
    frags: FragmentReassembler,
    tcp: TcpReassembler,
    streams: StreamFramer,
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    side: Vec<Vec<u8>>,
    bin: FrameVecBin,
}

impl Decoder {
    /// `threads`: decoding threads, 0 for one per core.
    pub fn new(threads: usize) -> Self {
        // Even one decoding thread runs in a pool of its own: the
        // per-batch vectors are then allocated in that thread's malloc
        // arena, which glibc does not trim back to the kernel after every
        // batch as it does the main arena (measured on a 2-million-frame
        // capture: 235 000 page faults and twice the time otherwise).
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.min(MAX_THREADS))
            .build()
            .ok()
            .map(std::sync::Arc::new);
        Self {
            pool,
            ..Self::on_caller_thread()
        }
    }

    /// A decoder that runs on the thread that calls it, with no pool: for
    /// a thread that is one of many each decoding a capture of its own
    /// (its malloc arena is then its own already).
    pub fn on_caller_thread() -> Self {
        Self {
            frags: FragmentReassembler::new(FragmentLimits::default()),
            tcp: TcpReassembler::new(TcpLimits::default()),
            streams: StreamFramer::new(StreamLimits::default()),
            pool: None,
            side: Vec::new(),
            bin: FrameVecBin::default(),
        }
    }

    /// Decrypts TLS on TCP streams with these secrets (read from key logs
    /// and from the capture's Decryption Secrets Blocks).
    pub fn set_keys(&mut self, keys: crate::decode::keylog::KeyLog) {
        self.streams = StreamFramer::with_keys(StreamLimits::default(), keys);
    }

    pub fn stats(&self) -> PipelineStats {
        PipelineStats {
            fragments: self.frags.stats(),
            tcp: self.tcp.stats(),
            streams: self.streams.stats(),
        }
    }

    /// Decodes one batch and hands each frame, in order, to `each`: the
    /// way a session fed batch by batch uses it.
    pub fn decode_batch_each(
        &mut self,
        batch: &FrameBatch,
        mut each: impl FnMut(&DecodedFrame<'_>, &RawFrame<'_>),
    ) {
        let side = std::cell::OnceCell::new();
        let decoded = self.decode_in(batch, &side);
        for (f, r) in decoded.iter().zip(batch.iter()) {
            each(f, &r);
        }
    }

    /// Decodes one batch it takes over, for a pipeline: the result can go
    /// to another thread (the one that correlates) while this one decodes
    /// the next batch.
    pub fn decode_owned(&mut self, batch: FrameBatch) -> DecodedBatch {
        let bytes = BatchBytes {
            batch,
            side: std::cell::OnceCell::new(),
            bin: self.bin.clone(),
        };
        DecodedBatch::new(bytes, |b| self.decode_in(&b.batch, &b.side))
    }

    /// The three passes over one batch. (1) In parallel: every frame taken
    /// apart, and one that needs no state (not a TCP segment, not an IP
    /// fragment: nearly every frame of a call) decoded to the end. (2) In
    /// frame order: fragments and TCP segments through their reassemblers.
    /// (3) In parallel again: what (2) delivered.
    fn decode_in<'a>(
        &mut self,
        batch: &'a FrameBatch,
        side: &'a std::cell::OnceCell<Vec<Vec<u8>>>,
    ) -> Vec<DecodedFrame<'a>> {
        for text in batch.secrets() {
            self.streams.add_secrets(text);
        }
        let pool_handle = self.pool.clone();
        let pool = pool_handle.as_deref();
        let mut frames: Vec<DecodedFrame<'a>> = self
            .bin
            .lock()
            .ok()
            .and_then(|mut bin| bin.pop())
            .unwrap_or_default();
        let first = |m: &FrameMeta| {
            let raw = batch.frame_of(m);
            let d = net::dissect(raw.link_type, raw.data);
            let ips = d.ip.as_ref().map(|ip| (ip.src, ip.dst));
            let (transport, pdus) = match stateless(ips, &d.l4) {
                Some((transport, Some((p, (sport, dport))))) => (
                    transport,
                    demux::decode_datagram(p, sport, dport)
                        .into_iter()
                        .collect(),
                ),
                Some((transport, None)) => (transport, Pdus::None),
                None => (HELD, Pdus::None),
            };
            DecodedFrame {
                number: raw.number,
                ts_ns: raw.ts_ns,
                link_type: raw.link_type,
                caplen: raw.data.len() as u32,
                orig_len: raw.orig_len,
                vlan: d.vlan,
                ip: d.ip,
                transport,
                reassembled_fragments: None,
                fragment_frames: Vec::new(),
                pdus,
            }
        };
        let metas = batch.meta();
        match pool {
            Some(pool) if metas.len() >= MIN_PAR_CHUNK => pool.install(|| {
                metas
                    .par_iter()
                    .with_min_len(MIN_PAR_CHUNK / 2)
                    .map(first)
                    .collect_into_vec(&mut frames)
            }),
            _ => frames.extend(metas.iter().map(first)),
        }
        self.side.clear();
        let mut inputs = Vec::new();
        for (i, m) in metas.iter().enumerate() {
            if !is_held(&frames[i].transport) {
                continue;
            }
            // Taken apart again: held frames are few, and keeping every
            // frame's dissection from pass (1) would cost more.
            let raw = batch.frame_of(m);
            let d = net::dissect(raw.link_type, raw.data);
            let frame = &mut frames[i];
            let (transport, reassembled, input) = self.stateful(frame.number, frame.ts_ns, &d);
            frame.transport = transport;
            if let Some((fragments, earlier)) = reassembled {
                frame.reassembled_fragments = Some(fragments);
                frame.fragment_frames = earlier;
            }
            if !matches!(input, AppInput::None) {
                inputs.push((i, input));
            }
        }
        let side: &'a [Vec<u8>] = side.get_or_init(|| std::mem::take(&mut self.side));
        let pdus = run(pool, &inputs, |(_, input)| decode_side(*input, side));
        for ((i, _), p) in inputs.iter().zip(pdus) {
            frames[*i].pdus = p;
        }
        frames
    }

    /// The sequential part: fragments and TCP streams.
    fn stateful(&mut self, number: u64, ts_ns: i64, d: &Dissected<'_>) -> FrameState {
        let ips = d.ip.as_ref().map(|ip| (ip.src, ip.dst));
        match &d.l4 {
            L4::Fragment(frag) => match self.frags.push_frame(frag, ts_ns, Some(number)) {
                Some(datagram) => {
                    let l4 = net::dissect_l4(
                        datagram.protocol,
                        datagram.src,
                        datagram.dst,
                        &datagram.data,
                    );
                    let ips = Some((datagram.src, datagram.dst));
                    let (t, input) = self.segment(ts_ns, ips, &l4);
                    (
                        t,
                        Some((datagram.fragments, datagram.earlier_frames)),
                        input,
                    )
                }
                None => (
                    Transport::FragmentHeld {
                        src: frag.src,
                        dst: frag.dst,
                        protocol: frag.protocol,
                        offset: frag.offset,
                        more: frag.more,
                    },
                    None,
                    AppInput::None,
                ),
            },
            l4 => {
                let (t, input) = self.segment(ts_ns, ips, l4);
                (t, None, input)
            }
        }
    }

    /// A TCP segment through its stream, or a datagram rebuilt from
    /// fragments (its bytes go away with it: they are copied aside).
    fn segment(
        &mut self,
        ts_ns: i64,
        ips: Option<(IpAddr, IpAddr)>,
        l4: &L4<'_>,
    ) -> (Transport, AppInput) {
        if let Some((transport, payload)) = stateless(ips, l4) {
            return match payload {
                Some((payload, ports)) => {
                    self.side.push(payload.to_vec());
                    let index = self.side.len() - 1;
                    (transport, AppInput::Side { index, ports })
                }
                None => (transport, AppInput::None),
            };
        }
        // What needs state: a TCP segment, or a fragment.
        let L4::Tcp(seg) = l4 else {
            return (
                Transport::Undecodable {
                    reason: "fragment inside a reassembled datagram",
                },
                AppInput::None,
            );
        };
        let Some((s, d)) = ips else {
            return (
                Transport::Undecodable {
                    reason: "TCP outside IP",
                },
                AppInput::None,
            );
        };
        let src = SocketAddr::new(s, seg.src_port);
        let dst = SocketAddr::new(d, seg.dst_port);
        let delivery = self.tcp.push(src, dst, seg, ts_ns);
        let first = self.side.len();
        let kind = self.streams.push(
            delivery.stream_id,
            delivery.direction,
            &delivery.data,
            delivery.gap_skipped,
            &mut self.side,
        );
        let count = self.side.len() - first;
        let decrypted = self.streams.last_decrypted();
        let transport = Transport::Tcp {
            src,
            dst,
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            len: seg.payload.len() as u32,
            kind: delivery.kind,
            stream_id: delivery.stream_id,
            stream_kind: kind,
            decrypted: self
                .streams
                .decrypted_kind(delivery.stream_id, delivery.direction),
        };
        let input = if count > 0 {
            AppInput::Stream {
                first,
                count,
                kind,
                ports: (seg.src_port, seg.dst_port),
                decrypted,
            }
        } else {
            AppInput::None
        };
        (transport, input)
    }
}

/// What pass (1) leaves on a frame that waits for pass (2), which
/// replaces it. (Not a separate list of flags: the frames are written in
/// place by the parallel pass, and one list is cheaper than two.)
const HELD: Transport = Transport::Undecodable {
    reason: HELD_REASON,
};
const HELD_REASON: &str = "held for the stateful pass";

fn is_held(t: &Transport) -> bool {
    matches!(t, Transport::Undecodable { reason } if *reason == HELD_REASON)
}

/// A UDP payload to decode, with its ports.
type UdpPayload<'a> = (&'a [u8], (u16, u16));

/// The transport of what needs no state to read, with the UDP payload to
/// decode; `None` for a TCP segment or an IP fragment.
fn stateless<'a>(
    ips: Option<(IpAddr, IpAddr)>,
    l4: &L4<'a>,
) -> Option<(Transport, Option<UdpPayload<'a>>)> {
    Some(match l4 {
        L4::Tcp(_) | L4::Fragment(_) => return None,
        L4::Udp {
            src_port,
            dst_port,
            payload,
        } => match ips {
            Some((s, d)) => (
                Transport::Udp {
                    src: SocketAddr::new(s, *src_port),
                    dst: SocketAddr::new(d, *dst_port),
                    len: payload.len() as u32,
                },
                Some((*payload, (*src_port, *dst_port))),
            ),
            None => (
                Transport::Undecodable {
                    reason: "UDP outside IP",
                },
                None,
            ),
        },
        L4::Icmp(info) => (Transport::Icmp(*info), None),
        L4::OtherIp { protocol } => (
            Transport::OtherIp {
                protocol: *protocol,
            },
            None,
        ),
        L4::NonIp { ether_type } => (
            Transport::NonIp {
                ether_type: *ether_type,
            },
            None,
        ),
        L4::UnsupportedLink { link_type } => (
            Transport::UnsupportedLink {
                link_type: *link_type,
            },
            None,
        ),
        L4::Undecodable { reason } => (Transport::Undecodable { reason }, None),
    })
}

/// Application decoding of what the stateful pass delivered: pure, so it
/// runs in parallel.
fn decode_side<'a>(input: AppInput, side: &'a [Vec<u8>]) -> Pdus<'a> {
    match input {
        AppInput::None => Pdus::None,
        AppInput::Side { index, ports } => side
            .get(index)
            .and_then(|p| demux::decode_datagram(p, ports.0, ports.1))
            .into_iter()
            .collect(),
        AppInput::Stream {
            first,
            count,
            kind,
            ports,
            decrypted,
        } => side
            .get(first..first + count)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter_map(|(i, m)| match kind {
                _ if i + decrypted >= count => Some(demux::decode_sip(m)),
                StreamKind::Sip | StreamKind::WebSocket => Some(demux::decode_sip(m)),
                StreamKind::Tls => demux::decode_tls(m),
                _ => demux::decode_datagram(m, ports.0, ports.1),
            })
            .collect(),
    }
}

/// Runs `f` over `items`, in parallel when a pool is given and the batch is
/// large enough, keeping the order of `items`.
fn run<T: Sync, R: Send>(
    pool: Option<&rayon::ThreadPool>,
    items: &[T],
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    match pool {
        Some(pool) if items.len() >= MIN_PAR_CHUNK => pool.install(|| {
            items
                .par_iter()
                .with_min_len(MIN_PAR_CHUNK / 2)
                .map(&f)
                .collect()
        }),
        _ => items.iter().map(f).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_frame_vector_keeps_its_memory() {
        let v: Vec<DecodedFrame<'_>> = Vec::with_capacity(4096);
        let (ptr, cap) = (v.as_ptr() as usize, v.capacity());
        let r = recycle(v);
        assert_eq!((r.as_ptr() as usize, r.capacity()), (ptr, cap));
        assert!(r.is_empty());
    }
}
