//! Helpers for the decoder, threads, bad-input and property tests: where
//! the samples are, how to reach one frame of a sample through the pipeline,
//! and how to walk the records of a classic pcap file without the reader
//! under test.

#![allow(dead_code)]

pub mod tmux;

use std::path::{Path, PathBuf};

use callscope::engine::decode_file;
use callscope::pipeline::DecodedFrame;

/// Absolute path of a file in `samples/`.
pub fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the `callscope` binary printed, and its exit status.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

/// Runs the `callscope` binary with `args` to the end.
pub fn callscope(args: &[&str]) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(args)
        .output()
        .expect("runs");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Every capture in `samples/` (pcap, pcapng, and gzip-compressed ones), sorted.
pub fn all_samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            p.is_file()
                && [".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
        })
        .collect();
    out.sort();
    out
}

/// Decodes `hex` ("a1b2..."); panics on a typo in a test's literal.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex literal {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex literal"))
        .collect()
}

/// Runs the whole sample through the pipeline (one thread) and hands frame
/// `number` to `check`. Fails when the frame is not in the sample.
pub fn with_frame(name: &str, number: u64, check: impl FnOnce(&DecodedFrame<'_>)) {
    let mut check = Some(check);
    decode_file(&sample(name), 1, |f| {
        if f.number == number {
            if let Some(c) = check.take() {
                c(f);
            }
        }
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(check.is_none(), "{name} has no frame {number}");
}

/// One record of a classic little-endian microsecond pcap, as byte ranges
/// of the file: where its 16-byte header starts and where its data ends.
#[derive(Debug, Clone, Copy)]
pub struct PcapRecord {
    pub header_start: usize,
    pub data_start: usize,
    pub data_end: usize,
}

/// Walks the records of a classic pcap written by tcpdump on this machine
/// (little-endian magic `d4 c3 b2 a1`). Independent of the reader under test.
pub fn pcap_records(bytes: &[u8]) -> Vec<PcapRecord> {
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        let end = off + 16 + caplen;
        assert!(end <= bytes.len(), "sample is itself truncated");
        out.push(PcapRecord {
            header_start: off,
            data_start: off + 16,
            data_end: end,
        });
        off = end;
    }
    out
}
