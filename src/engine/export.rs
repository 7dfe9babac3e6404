//! `export`: the frames of chosen calls, written to a pcapng file that
//! Wireshark opens, with their original times and link types. The file
//! records when the whole capture ended (`isb_endtime`), so a timeout
//! verdict reads the same from the export as from the original.

use std::collections::BTreeSet;
use std::io::Write;

use thiserror::Error;

use foldhash::HashSet;

use crate::analysis::{Analyzer, FrameOwner};
use crate::capture::{CaptureError, CaptureReader, FrameBatch, PcapngWriter, RawFrame};
use crate::pipeline::DecodedFrame;

use super::{JudgedCall, Session, SessionObserver, SessionOptions};

#[derive(Debug, Error)]
pub enum ExportError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// How an export reads and what it keeps.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Secrets that open the capture's TLS (from `--keylog`): they choose
    /// the calls, and are never written to the export.
    pub keys: crate::decode::keylog::KeyLog,
    /// Leave out the capture's own Decryption Secrets Blocks, which are
    /// otherwise copied (so the export decrypts as the capture does).
    pub strip_secrets: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The numbers of the calls exported.
    pub calls: Vec<u32>,
    pub frames: u64,
    /// Decryption Secrets Blocks copied from the capture (keys: the
    /// export is as secret as they are).
    pub secrets_blocks: u64,
    /// The capture was cut short (or broke) after some frames: what came
    /// before was exported.
    pub late_error: Option<CaptureError>,
}

/// Picks the calls to export as they are finalised.
struct Chooser<F> {
    select: F,
    numbers: Vec<u32>,
    owners: HashSet<FrameOwner>,
}

impl<F: Fn(&JudgedCall<'_>) -> bool> SessionObserver for Chooser<F> {
    fn finalized(&mut self, call: &JudgedCall<'_>) {
        if (self.select)(call) {
            self.numbers.push(call.number);
            self.owners.extend(call.parts().frame_owners());
        }
    }
}

/// Marks the frames of the chosen calls. An owner stops counting once its
/// call is finalised: a later part with the same key (a Call-ID used
/// again) is another call's.
struct Marker<'a> {
    numbers: &'a [u32],
    owners: HashSet<FrameOwner>,
    wanted: BTreeSet<u64>,
}

impl Marker<'_> {
    /// A segment of a chosen call's TCP connection, from its first frame:
    /// a connection known to carry SIP only from its WebSocket upgrade or
    /// its decrypted data is owned from there, but reading it again needs
    /// its handshakes.
    fn on_chosen_connection(&self, f: &DecodedFrame<'_>) -> bool {
        match f.transport {
            crate::pipeline::Transport::Tcp { src, dst, .. } => [(src, dst), (dst, src)]
                .into_iter()
                .any(|k| self.owners.contains(&FrameOwner::Connection(k))),
            _ => false,
        }
    }
}

impl SessionObserver for Marker<'_> {
    fn frame(&mut self, f: &DecodedFrame<'_>, _: &RawFrame<'_>, analyzer: &Analyzer) {
        if self.on_chosen_connection(f)
            || analyzer
                .last_frame_owners()
                .any(|o| self.owners.contains(o))
        {
            self.wanted.insert(f.number);
            self.wanted.extend(f.fragment_frames.iter().copied());
        }
    }

    fn finalized(&mut self, call: &JudgedCall<'_>) {
        if self.numbers.contains(&call.number) {
            for o in call.parts().frame_owners() {
                self.owners.remove(&o);
            }
        }
    }
}

/// Reads `path` three times: to find the calls `select` picks (as they are
/// finalised, numbered as `analyze` numbers them), to find the frames they
/// own (with the earlier fragments of a datagram they own), and to write
/// those frames to `out`, in their original order.
pub fn export_calls(
    path: &str,
    threads: usize,
    select: impl Fn(&JudgedCall<'_>) -> bool,
    out: impl Write,
    out_name: &str,
    options: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let mut first = Session::new(SessionOptions::streaming(threads));
    first.set_keys(options.keys.clone());
    let mut chooser = Chooser {
        select,
        numbers: Vec::new(),
        owners: HashSet::default(),
    };
    let outcome = first.run_observed(CaptureReader::open(path)?, &mut chooser)?;
    // The whole capture's end, not the last exported frame's.
    let end = outcome.info.end_ts_ns.unwrap_or(i64::MIN).max(first.now());

    let mut marker = Marker {
        numbers: &chooser.numbers,
        owners: chooser.owners,
        wanted: BTreeSet::new(),
    };
    let mut second = Session::new(SessionOptions::streaming(threads));
    second.set_keys(options.keys.clone());
    second.run_observed(CaptureReader::open(path)?, &mut marker)?;
    let mut wanted = marker.wanted;

    let write_err = |source| ExportError::Write {
        path: out_name.to_string(),
        source,
    };
    let mut writer = PcapngWriter::new(out, "callscope export").map_err(write_err)?;
    let mut reader = CaptureReader::open(path)?;
    let mut batch = FrameBatch::new();
    let mut frames = 0u64;
    let mut secrets_blocks = 0u64;
    // The same error as the first pass ends this one at the same frame.
    while !wanted.is_empty() && reader.next_batch(&mut batch).unwrap_or(0) > 0 {
        if !options.strip_secrets {
            for text in batch.secrets() {
                writer.write_secrets(text).map_err(write_err)?;
                secrets_blocks += 1;
            }
        }
        for raw in batch.iter() {
            if wanted.remove(&raw.number) {
                writer
                    .write_frame(raw.link_type, raw.ts_ns, raw.orig_len, raw.data)
                    .map_err(write_err)?;
                frames += 1;
            }
        }
    }
    writer.finish(end).map_err(write_err)?;
    Ok(ExportSummary {
        calls: chooser.numbers,
        frames,
        secrets_blocks,
        late_error: outcome.late_error,
    })
}
