//! Builds a large pcap for benchmarks from real sample captures: the frames
//! of each input, repeated with times shifted so the copies follow each
//! other, and UDP/TCP ports shifted so copies are distinct flows.
//!
//! usage: cargo run --release --example repeat_capture -- OUT.pcap MIN_FRAMES INPUT...

use std::fs::File;
use std::io::{BufWriter, Write};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (out, min_frames, inputs) = match args.as_slice() {
        [_, out, n, inputs @ ..] if !inputs.is_empty() => (out, n.parse::<u64>()?, inputs),
        _ => anyhow::bail!("usage: repeat_capture OUT.pcap MIN_FRAMES INPUT..."),
    };
    let frames = callscope::bench_support::load_ethernet_frames(inputs)?;
    anyhow::ensure!(!frames.is_empty(), "no Ethernet frames in the inputs");
    let mut w = BufWriter::new(File::create(out)?);
    let written = callscope::bench_support::write_repeated(&mut w, &frames, min_frames)?;
    w.flush()?;
    eprintln!("{out}: {written} frames");
    Ok(())
}
