//! `export`: the frames of chosen calls, written to a pcapng file that
//! Wireshark opens, with their original times and link types. The file
//! records when the whole capture ended (`isb_endtime`), so a timeout
//! verdict reads the same from the export as from the original.

use std::collections::BTreeSet;
use std::io::Write;

use thiserror::Error;

use crate::capture::{CaptureError, CaptureReader, FrameBatch, PcapngWriter};

use super::{owners_of, Session, SessionOptions};

#[derive(Debug, Error)]
pub enum ExportError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("no call numbered {0} in {1}")]
    NoSuchCall(String, String),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The numbers of the calls exported.
    pub calls: Vec<u32>,
    pub frames: u64,
}

/// Reads `path` three times: to find the calls `select` picks (given every
/// judged call), to find the frames they own (with the earlier fragments
/// of a datagram they own), and to write those frames to `out`, in their
/// original order.
pub fn export_calls(
    path: &str,
    threads: usize,
    select: impl Fn(&super::JudgedCall<'_>) -> bool,
    out: impl Write,
    out_name: &str,
) -> Result<ExportSummary, ExportError> {
    let mut first = Session::new(SessionOptions::analyze(threads));
    let outcome = first.run(CaptureReader::open(path)?, |_, _, _| {})?;
    let end = first.now();
    let calls = first.calls();
    let chosen: Vec<_> = calls.into_iter().filter(|c| select(c)).collect();
    let numbers: Vec<u32> = chosen.iter().map(|c| c.number).collect();
    let owners = owners_of(&chosen);
    drop(chosen);

    let write_err = |source| ExportError::Write {
        path: out_name.to_string(),
        source,
    };
    let mut wanted: BTreeSet<u64> = BTreeSet::new();
    let mut second = Session::new(SessionOptions::analyze(threads));
    second.run(CaptureReader::open(path)?, |f, _, analyzer| {
        if analyzer.last_frame_owners().any(|o| owners.contains(o)) {
            wanted.insert(f.number);
            wanted.extend(f.fragment_frames.iter().copied());
        }
    })?;

    let mut writer = PcapngWriter::new(out, "callscope export").map_err(write_err)?;
    let mut reader = CaptureReader::open(path)?;
    let mut batch = FrameBatch::new();
    let mut frames = 0u64;
    while !wanted.is_empty() && reader.next_batch(&mut batch)? > 0 {
        for raw in batch.iter() {
            if wanted.remove(&raw.number) {
                writer
                    .write_frame(raw.link_type, raw.ts_ns, raw.orig_len, raw.data)
                    .map_err(write_err)?;
                frames += 1;
            }
        }
    }
    // The whole capture's end, not the last exported frame's.
    let end = outcome.info.end_ts_ns.unwrap_or(end).max(end);
    writer.finish(end).map_err(write_err)?;
    Ok(ExportSummary {
        calls: numbers,
        frames,
    })
}
