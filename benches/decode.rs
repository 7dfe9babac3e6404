//! Engine throughput and the cost of reading calls.
//!
//! `rtp-heavy`: a large RTP-heavy capture built from the project's samples
//! (repeated with shifted times and ports), through the session: decoding
//! only, and decoding with analysis and finalisation (`analyze`'s path).
//! Targets (2-core machine): decoding at least 3 million frames/s with 2
//! threads, and 2 threads faster than 1; the session with analysis at no
//! less than half the frames/s of decoding alone.
//!
//! `calls-100k`: 100 000 short SIP calls at 200 calls/s (synthetic, see
//! `bench_support::synthetic_sip_calls`), fed in batches to a session that
//! finalises finished calls (as a live session runs); once with no read,
//! once reading the changed calls every 100 ms of capture time (5 000
//! reads). Target: the reads add at most the time of the feed itself.
//! `calls-10k-kept`: the first tenth, every call kept (no finalisation),
//! reading the changed calls or every call each 100 ms, for scale.
//!
//! `benches/compare.sh` puts the commands next to capinfos and tshark on
//! the same files, as ratios.

use std::io::Cursor;

use callscope::bench_support::{load_ethernet_frames, synthetic_sip_calls, write_repeated};
use callscope::capture::{CaptureReader, FrameBatch};
use callscope::engine::{
    FrameList, FrameSource, JudgedCall, ListedFrame, Session, SessionObserver, SessionOptions,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const FRAMES: u64 = 500_000;
const SAMPLES: [&str; 3] = [
    "samples/sip-call-rtp.pcap",
    "samples/webrtc-ok.pcap",
    "samples/webrtc-turn-relay.pcap",
];

fn build() -> (Vec<u8>, u64) {
    let inputs: Vec<String> = SAMPLES
        .iter()
        .filter(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
        .collect();
    let frames = load_ethernet_frames(&inputs).expect("samples readable");
    let mut buf = Vec::new();
    let n = write_repeated(&mut buf, &frames, FRAMES).expect("in memory");
    (buf, n)
}

/// Runs the product's pipeline (reader thread, batches, decoding threads)
/// over the capture in memory; with `analyze`, every frame also goes
/// through the analysis and the calls are judged at the end.
fn decode_all(data: &[u8], threads: usize, analyze: bool) -> u64 {
    let reader =
        CaptureReader::from_reader("bench", Box::new(Cursor::new(data.to_vec()))).expect("pcap");
    let options = if analyze {
        SessionOptions::streaming(threads)
    } else {
        SessionOptions::decode_only(threads)
    };
    let mut session = Session::new(options);
    let mut pdus = 0u64;
    session
        .run(reader, |f, _, _| pdus += f.pdus.len() as u64)
        .expect("read");
    if analyze {
        pdus += session.calls().len() as u64;
    }
    pdus
}

fn bench(c: &mut Criterion) {
    let (data, frames) = build();
    let mut g = c.benchmark_group("rtp-heavy");
    g.sample_size(10);
    g.throughput(Throughput::Elements(frames));
    for threads in [1, 2] {
        g.bench_function(format!("decode/{threads}-threads"), |b| {
            b.iter(|| decode_all(&data, threads, false))
        });
    }
    for threads in [1, 2] {
        g.bench_function(format!("analyze/{threads}-threads"), |b| {
            b.iter(|| decode_all(&data, threads, true))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("rtp-heavy-bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("decode/2-threads", |b| {
        b.iter(|| decode_all(&data, 2, false))
    });
    g.finish();
}

/// How a calls bench reads the session while feeding it.
#[derive(Clone, Copy)]
enum Reads {
    None,
    Changed,
    All,
}

/// Feeds the synthetic calls in batches of 256 frames and reads the calls
/// every 100 ms of capture time; returns the calls seen by the reads.
fn feed_calls(frames: &[ListedFrame], reads: Reads, finalize: bool) -> u64 {
    const EVERY_NS: i64 = 100_000_000;
    let mut list = FrameList::new("calls", frames.to_vec());
    // Finished calls are finalised as a live session does, so the calls
    // kept are those in progress.
    let mut session = Session::new(if finalize {
        SessionOptions::streaming(1)
    } else {
        SessionOptions::analyze(1)
    });
    let mut finished = Finished(0);
    let mut batch = FrameBatch::new();
    let mut next_read = i64::MIN;
    let mut seen = 0u64;
    while list.next_batch(&mut batch).expect("in memory") > 0 {
        session.feed_batch_observed(&batch, &mut finished);
        let now = session.now();
        if now >= next_read {
            next_read = now + EVERY_NS;
            seen += match reads {
                Reads::None => 0,
                Reads::Changed => session.changed_calls().len() as u64,
                Reads::All => session.calls().len() as u64,
            };
        }
    }
    session.finish(&mut finished);
    seen + finished.0
}

/// Counts finalised calls.
struct Finished(u64);

impl SessionObserver for Finished {
    fn finalized(&mut self, _: &JudgedCall<'_>) {
        self.0 += 1;
    }
}

fn calls_bench(c: &mut Criterion) {
    let frames: Vec<ListedFrame> = synthetic_sip_calls(100_000, 200)
        .into_iter()
        .map(|f| ListedFrame {
            ts_ns: f.ts_ns,
            link_type: 1,
            data: f.data,
        })
        .collect();
    let mut g = c.benchmark_group("calls-100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("feed", |b| {
        b.iter(|| feed_calls(&frames, Reads::None, true))
    });
    g.bench_function("feed+changed-every-100ms", |b| {
        b.iter(|| feed_calls(&frames, Reads::Changed, true))
    });
    g.finish();
    // Without finalisation every call stays and each read looks at all of
    // them: shown on a tenth of the calls, for scale.
    let tenth: Vec<ListedFrame> = frames.iter().take(frames.len() / 10).cloned().collect();
    let mut g = c.benchmark_group("calls-10k-kept");
    g.sample_size(10);
    g.throughput(Throughput::Elements(tenth.len() as u64));
    g.bench_function("feed", |b| {
        b.iter(|| feed_calls(&tenth, Reads::None, false))
    });
    g.bench_function("feed+changed-every-100ms", |b| {
        b.iter(|| feed_calls(&tenth, Reads::Changed, false))
    });
    g.bench_function("feed+all-every-100ms", |b| {
        b.iter(|| feed_calls(&tenth, Reads::All, false))
    });
    g.finish();
}

criterion_group!(benches, bench, calls_bench);
criterion_main!(benches);
