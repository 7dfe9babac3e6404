//! Decode and analysis throughput on a large RTP-heavy capture built from
//! the project's samples (repeated with shifted times and ports).
//!
//! Targets (2-core machine): decoding (read + L2-L4 + application decode)
//! at least 3 million frames/s with 2 threads, and 2 threads faster than 1;
//! `analyze` at no less than half the frames/s of decoding alone.
//! `benches/compare.sh` puts these next to tshark on the same file.

use std::io::Cursor;

use callscope::bench_support::{load_ethernet_frames, write_repeated};
use callscope::capture::CaptureReader;
use callscope::engine::{Session, SessionOptions};
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
        SessionOptions::analyze(threads)
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
    g.bench_function("analyze/2-threads", |b| {
        b.iter(|| decode_all(&data, 2, true))
    });
    g.finish();
    let mut g = c.benchmark_group("rtp-heavy-bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("decode/2-threads", |b| {
        b.iter(|| decode_all(&data, 2, false))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
