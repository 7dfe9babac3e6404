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

pub use frame::{DecodedFrame, Pdus, Transport};
pub use stream::{StreamKind, StreamLimits, StreamStats};

use std::net::{IpAddr, SocketAddr};

use rayon::prelude::*;

use crate::capture::{range_within, FrameBatch, RawFrame};
use crate::decode::demux;
use crate::net::{
    self, Dissected, FragmentLimits, FragmentReassembler, FragmentStats, IpInfo, TcpLimits,
    TcpReassembler, TcpStats, L4,
};
use stream::StreamFramer;

/// The most decoding threads a decoder starts; more are taken as this
/// many (the command line refuses them).
pub const MAX_THREADS: usize = 256;

/// Below this many frames a parallel pass costs more than it saves.
const MIN_PAR_CHUNK: usize = 256;

/// Counters of what the stateful pass did, for the closing summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PipelineStats {
    pub fragments: FragmentStats,
    pub tcp: TcpStats,
    pub streams: StreamStats,
}

/// What the application decoder gets for one frame after the stateful pass.
#[derive(Debug, Clone, Copy)]
enum AppInput {
    None,
    /// The frame's own UDP payload: a byte range of the frame.
    Frame {
        start: usize,
        end: usize,
        ports: (u16, u16),
    },
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
    },
}

/// What the stateful pass found for one frame: its transport, the number
/// of fragments its datagram was rebuilt from, and its application input.
/// The fragment count comes with the frames of the earlier fragments.
type FrameState = (Transport, Option<(u32, Vec<u64>)>, AppInput);

/// One frame after passes (1) and (2), waiting for application decoding.
struct Prepared {
    vlan: Option<u16>,
    ip: Option<IpInfo>,
    transport: Transport,
    reassembled: Option<(u32, Vec<u64>)>,
    input: AppInput,
}

/// The bytes a batch's decoded frames point into.
pub struct BatchBytes {
    batch: FrameBatch,
    side: Vec<Vec<u8>>,
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

    /// The batch back, to be filled again.
    pub fn into_batch(self) -> FrameBatch {
        self.into_owner().batch
    }
}

/// Where the payload slices of a dissected segment point.
enum Owner<'a> {
    /// Into the frame: keep them as ranges, no copy.
    Frame(&'a [u8]),
    /// Into a buffer about to be dropped (a reassembled datagram): copy.
    Copy,
}

/// The stateful decoder. Feed it batches in capture order.
pub struct Decoder {
    frags: FragmentReassembler,
    tcp: TcpReassembler,
    streams: StreamFramer,
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    side: Vec<Vec<u8>>,
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
            frags: FragmentReassembler::new(FragmentLimits::default()),
            tcp: TcpReassembler::new(TcpLimits::default()),
            streams: StreamFramer::new(StreamLimits::default()),
            pool,
            side: Vec::new(),
        }
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
        let (states, side) = self.prepare(batch);
        let pool = self.pool.clone();
        let decoded = decode_prepared(pool.as_deref(), batch, &side, states);
        for (f, r) in decoded.iter().zip(batch.iter()) {
            each(f, &r);
        }
    }

    /// Decodes one batch it takes over, for a pipeline: the result can go
    /// to another thread (the one that correlates) while this one decodes
    /// the next batch.
    pub fn decode_owned(&mut self, batch: FrameBatch) -> DecodedBatch {
        let (states, side) = self.prepare(&batch);
        let pool = self.pool.clone();
        DecodedBatch::new(BatchBytes { batch, side }, move |b| {
            decode_prepared(pool.as_deref(), &b.batch, &b.side, states)
        })
    }

    /// Passes (1) and (2): dissection in parallel, then the stateful pass.
    /// What it returns borrows nothing: the side buffers hold the bytes
    /// that are not in the batch (rebuilt datagrams, framed TCP messages).
    fn prepare(&mut self, batch: &FrameBatch) -> (Vec<Prepared>, Vec<Vec<u8>>) {
        let frames: Vec<RawFrame<'_>> = batch.iter().collect();
        let pool_handle = self.pool.clone();
        let pool = pool_handle.as_deref();
        let dissected: Vec<Dissected<'_>> =
            run(pool, &frames, |f| net::dissect(f.link_type, f.data));
        self.side.clear();
        let mut states = Vec::with_capacity(frames.len());
        for (frame, d) in frames.iter().zip(&dissected) {
            let (transport, reassembled, input) = self.stateful(frame, d);
            states.push(Prepared {
                vlan: d.vlan,
                ip: d.ip,
                transport,
                reassembled,
                input,
            });
        }
        (states, std::mem::take(&mut self.side))
    }

    /// The sequential part: fragments and TCP streams.
    fn stateful(&mut self, frame: &RawFrame<'_>, d: &Dissected<'_>) -> FrameState {
        let ips = d.ip.as_ref().map(|ip| (ip.src, ip.dst));
        match &d.l4 {
            L4::Fragment(frag) => {
                match self.frags.push_frame(frag, frame.ts_ns, Some(frame.number)) {
                    Some(datagram) => {
                        let l4 = net::dissect_l4(
                            datagram.protocol,
                            datagram.src,
                            datagram.dst,
                            &datagram.data,
                        );
                        let ips = Some((datagram.src, datagram.dst));
                        let (t, input) = self.segment(frame.ts_ns, ips, &l4, Owner::Copy);
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
                }
            }
            l4 => {
                let (t, input) = self.segment(frame.ts_ns, ips, l4, Owner::Frame(frame.data));
                (t, None, input)
            }
        }
    }

    fn segment(
        &mut self,
        ts_ns: i64,
        ips: Option<(IpAddr, IpAddr)>,
        l4: &L4<'_>,
        owner: Owner<'_>,
    ) -> (Transport, AppInput) {
        let addr = |port_src: u16, port_dst: u16| {
            ips.map(|(s, d)| (SocketAddr::new(s, port_src), SocketAddr::new(d, port_dst)))
        };
        match l4 {
            L4::Udp {
                src_port,
                dst_port,
                payload,
            } => {
                let Some((src, dst)) = addr(*src_port, *dst_port) else {
                    return (
                        Transport::Undecodable {
                            reason: "UDP outside IP",
                        },
                        AppInput::None,
                    );
                };
                let ports = (*src_port, *dst_port);
                let input = match owner {
                    Owner::Frame(base) => match range_within(base, payload) {
                        Some((start, end)) => AppInput::Frame { start, end, ports },
                        None => self.copy_to_side(payload, ports),
                    },
                    Owner::Copy => self.copy_to_side(payload, ports),
                };
                (
                    Transport::Udp {
                        src,
                        dst,
                        len: payload.len() as u32,
                    },
                    input,
                )
            }
            L4::Tcp(seg) => {
                let Some((src, dst)) = addr(seg.src_port, seg.dst_port) else {
                    return (
                        Transport::Undecodable {
                            reason: "TCP outside IP",
                        },
                        AppInput::None,
                    );
                };
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
                };
                let input = if count > 0 {
                    AppInput::Stream {
                        first,
                        count,
                        kind,
                        ports: (seg.src_port, seg.dst_port),
                    }
                } else {
                    AppInput::None
                };
                (transport, input)
            }
            L4::Icmp(info) => (Transport::Icmp(*info), AppInput::None),
            L4::Fragment(_) => (
                Transport::Undecodable {
                    reason: "fragment inside a reassembled datagram",
                },
                AppInput::None,
            ),
            L4::OtherIp { protocol } => (
                Transport::OtherIp {
                    protocol: *protocol,
                },
                AppInput::None,
            ),
            L4::NonIp { ether_type } => (
                Transport::NonIp {
                    ether_type: *ether_type,
                },
                AppInput::None,
            ),
            L4::UnsupportedLink { link_type } => (
                Transport::UnsupportedLink {
                    link_type: *link_type,
                },
                AppInput::None,
            ),
            L4::Undecodable { reason } => (Transport::Undecodable { reason }, AppInput::None),
        }
    }

    fn copy_to_side(&mut self, payload: &[u8], ports: (u16, u16)) -> AppInput {
        self.side.push(payload.to_vec());
        AppInput::Side {
            index: self.side.len() - 1,
            ports,
        }
    }
}

/// Pass (3): application decoding in parallel, then the decoded frames in
/// frame order.
fn decode_prepared<'a>(
    pool: Option<&rayon::ThreadPool>,
    batch: &'a FrameBatch,
    side: &'a [Vec<u8>],
    states: Vec<Prepared>,
) -> Vec<DecodedFrame<'a>> {
    let work: Vec<(&'a [u8], AppInput)> = batch
        .iter()
        .zip(&states)
        .map(|(f, s)| (f.data, s.input))
        .collect();
    let pdus = run(pool, &work, |(data, input)| decode_app(data, *input, side));
    batch
        .iter()
        .zip(states)
        .zip(pdus)
        .map(|((f, s), pdus)| DecodedFrame {
            number: f.number,
            ts_ns: f.ts_ns,
            link_type: f.link_type,
            caplen: f.data.len() as u32,
            orig_len: f.orig_len,
            vlan: s.vlan,
            ip: s.ip,
            transport: s.transport,
            reassembled_fragments: s.reassembled.as_ref().map(|r| r.0),
            fragment_frames: s.reassembled.map(|r| r.1).unwrap_or_default(),
            pdus,
        })
        .collect()
}

/// Application decoding of one frame: pure, so it runs in parallel.
fn decode_app<'a>(frame: &'a [u8], input: AppInput, side: &'a [Vec<u8>]) -> Pdus<'a> {
    match input {
        AppInput::None => Pdus::None,
        AppInput::Frame { start, end, ports } => frame
            .get(start..end)
            .and_then(|p| demux::decode_datagram(p, ports.0, ports.1))
            .into_iter()
            .collect(),
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
        } => side
            .get(first..first + count)
            .unwrap_or(&[])
            .iter()
            .filter_map(|m| match kind {
                StreamKind::Sip => Some(demux::decode_sip(m)),
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
