//! What a changed-calls read costs: feeds synthetic SIP calls (200 calls/s)
//! in batches of 256 frames, reads the changed calls every 100 ms of
//! capture time, and prints the reads, the calls each read returned and
//! the time each read took.
//!
//!   cargo run --release --example read_cost -- 100000 stream   # finalising
//!   cargo run --release --example read_cost -- 10000 kept      # every call kept

use std::time::{Duration, Instant};

use callscope::bench_support::synthetic_sip_calls;
use callscope::capture::FrameBatch;
use callscope::engine::{
    FrameList, FrameSource, JudgedCall, ListedFrame, Session, SessionObserver, SessionOptions,
};

struct Finalized(u64);

impl SessionObserver for Finalized {
    fn finalized(&mut self, _: &JudgedCall<'_>) {
        self.0 += 1;
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let finalize = args.next().as_deref() == Some("stream");
    let frames: Vec<ListedFrame> = synthetic_sip_calls(calls, 200)
        .into_iter()
        .map(|f| ListedFrame {
            ts_ns: f.ts_ns,
            link_type: 1,
            data: f.data,
        })
        .collect();
    let mut list = FrameList::new("synthetic", frames);
    let mut session = Session::new(if finalize {
        SessionOptions::streaming(1)
    } else {
        SessionOptions::analyze(1)
    });
    let mut finalized = Finalized(0);
    let mut batch = FrameBatch::new();
    let (mut reads, mut changed, mut read_time) = (0u64, 0u64, Duration::ZERO);
    let (mut next_read, mut most_live) = (i64::MIN, 0);
    let start = Instant::now();
    while list.next_batch(&mut batch).expect("in memory") > 0 {
        session.feed_batch_observed(&batch, &mut finalized);
        if session.now() >= next_read {
            next_read = session.now() + 100_000_000;
            let t = Instant::now();
            changed += session.changed_calls().len() as u64;
            read_time += t.elapsed();
            reads += 1;
            most_live = most_live.max(session.book().len());
        }
    }
    let book = session.book();
    println!(
        "{calls} calls, {}: {:.2} s in all; {reads} reads, {:.0} changed calls a read, \
         {:.2} ms a read; up to {most_live} calls in progress; {} whole and {} partial assemblies",
        if finalize {
            "finalising"
        } else {
            "every call kept"
        },
        start.elapsed().as_secs_f64(),
        changed as f64 / reads.max(1) as f64,
        read_time.as_secs_f64() * 1e3 / reads.max(1) as f64,
        book.whole_syncs,
        book.region_syncs,
    );
}
