//! The UI's sources of calls and frames: a session run over the capture on
//! a thread of its own (calls sent as they are finalised, progress kept in
//! counters the screen reads), the frames a call view shows decoded again
//! on demand, and saving calls. Every one reports through one channel, so
//! the screen never waits on the capture.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::Value;

use crate::analysis::Analyzer;
use crate::capture::{CaptureError, CaptureErrorKind, CaptureReader, RawFrame};
use crate::engine::{
    export_calls, CallSelection, JudgedCall, Session, SessionObserver, SessionOptions,
};
use crate::pipeline::DecodedFrame;
use crate::report::analyze::{warnings, CaptureFacts, ReportFormat, ReportWriter};
use crate::report::packets::{frame_detail, frame_info, frame_protocol, sip_text};

use super::model::CallEntry;

/// Frames decoded again for one call view, at most: a call with more
/// events shows the first ones' frames (the timeline keeps 2 000 events).
pub const MAX_FETCHED_FRAMES: usize = 4_096;
/// Bytes of one frame kept for its hex dump (a jumbo frame is cut here,
/// and the view says so).
pub const MAX_FRAME_BYTES: usize = 65_536;

/// How far reading has gone, shared with the screen.
#[derive(Debug, Default)]
pub struct Progress {
    pub frames: AtomicU64,
    /// Bytes of the file read so far (compressed bytes for gzip).
    pub bytes: AtomicU64,
    pub calls: AtomicU64,
    pub done: AtomicBool,
    /// A live capture's counters, for the header (none offline).
    pub live: std::sync::Mutex<Option<LiveHeader>>,
    /// The UI quit: a live capture stops.
    pub quit: AtomicBool,
}

/// What the header says of a live capture.
#[derive(Debug, Clone, Default)]
pub struct LiveHeader {
    pub interfaces: String,
    pub packets: u64,
    pub dropped_by_kernel: u64,
    pub dropped_by_interface: u64,
    pub elapsed_s: u64,
    /// The files being written and the first frame of each (a ring's files
    /// on disk); empty when nothing is kept.
    pub files: Vec<(String, u64)>,
    /// The file is a temporary one, gone when the UI quits.
    pub temporary: bool,
    /// Capture has ended, and why (`duration`, `count`, `error`...).
    pub stopped_by: Option<&'static str>,
}

/// What the capture said when reading ended.
#[derive(Debug, Clone, Default)]
pub struct LoadSummary {
    pub frames: u64,
    pub undecodable: u64,
    /// Warnings the report would print: bounds reached, frames not read.
    pub warnings: Vec<String>,
    /// Reading stopped early (a file cut short): what and where.
    pub error: Option<String>,
    pub seconds: f64,
}

/// One frame decoded field by field, for the packet view.
#[derive(Debug, Clone)]
pub struct FrameDetail {
    pub number: u64,
    pub ts_ns: i64,
    pub protocol: &'static str,
    pub info: String,
    pub orig_len: u32,
    /// The fields, as `packets --format json` gives them.
    pub fields: Value,
    /// The SIP message as text, when the frame carries SIP.
    pub sip_text: Option<String>,
    pub bytes: Vec<u8>,
}

/// What the workers report to the screen.
#[derive(Debug)]
pub enum FeedEvent {
    /// Calls judged for the last time, in start order.
    Calls(Vec<CallEntry>),
    /// Reading ended.
    Finished(LoadSummary),
    /// The capture could not be read at all.
    Failed(CaptureError),
    /// Frames decoded again: those asked for, and those found (a frame
    /// past the end of a capture cut short is not).
    Frames {
        wanted: BTreeSet<u64>,
        found: Vec<FrameDetail>,
    },
    /// A save ended: what was written, or why not.
    Saved(Result<SaveSummary, SaveError>),
    /// Calls the UI could not keep (their JSON could not be made); said
    /// in the header, never dropped silently.
    Unlisted(u64),
}

/// Counts the bytes read from the file, for the percentage.
struct CountingRead<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Sends calls as they are finalised.
struct EntrySender<'a> {
    tx: &'a Sender<FeedEvent>,
    progress: &'a Progress,
    /// The receiver hung up (the UI quit): stop building entries.
    closed: bool,
    /// Builds a sweep's entries in parallel, on `--threads` threads (none
    /// with one thread).
    pool: Option<rayon::ThreadPool>,
}

impl EntrySender<'_> {
    /// Builds the calls' entries (in parallel) and sends them. A final
    /// call whose entry cannot be made is counted as unlisted; one still
    /// in progress is counted when it is final, not at every change.
    fn send(&mut self, calls: &[JudgedCall<'_>], in_progress: bool) {
        if self.closed || calls.is_empty() {
            return;
        }
        let built =
            crate::pipeline::map_in_order(self.pool.as_ref(), calls, CallEntry::from_judged);
        let unlisted = built.iter().filter(|e| e.is_err()).count() as u64;
        let entries: Vec<CallEntry> = built
            .into_iter()
            .filter_map(Result::ok)
            .map(|mut e| {
                e.in_progress = in_progress;
                e
            })
            .collect();
        if !in_progress {
            if unlisted > 0 && self.tx.send(FeedEvent::Unlisted(unlisted)).is_err() {
                self.closed = true;
            }
            self.progress
                .calls
                .fetch_add(entries.len() as u64, Ordering::Relaxed);
        }
        if self.tx.send(FeedEvent::Calls(entries)).is_err() {
            self.closed = true;
        }
    }
}

impl SessionObserver for EntrySender<'_> {
    fn frame(&mut self, f: &DecodedFrame<'_>, _: &RawFrame<'_>, _: &Analyzer) {
        self.progress.frames.store(f.number, Ordering::Relaxed);
    }

    fn finalized_all(&mut self, calls: &[JudgedCall<'_>]) {
        self.send(calls, false);
    }
}

/// A live session's front end is the same sender: finalised calls go out
/// as offline; calls that change while still going go out too, kept in
/// memory by the UI until their final form comes.
#[cfg(feature = "live")]
impl crate::live::LiveView for EntrySender<'_> {
    fn wants_changes(&self) -> bool {
        !self.closed
    }

    fn changed(&mut self, calls: &[JudgedCall<'_>]) {
        self.send(calls, true);
    }

    fn status(&mut self, status: &crate::live::LiveStatus) {
        let header = LiveHeader {
            interfaces: status
                .interfaces
                .iter()
                .map(|(d, _)| d.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
            packets: status.packets,
            dropped_by_kernel: status.dropped_by_kernel(),
            dropped_by_interface: status.dropped_by_interface(),
            elapsed_s: status.elapsed.as_secs(),
            files: status
                .files
                .iter()
                .map(|f| (f.path.display().to_string(), f.first_frame))
                .collect(),
            ..LiveHeader::default()
        };
        if let Ok(mut live) = self.progress.live.lock() {
            let temporary = live.as_ref().is_some_and(|l| l.temporary);
            *live = Some(LiveHeader {
                temporary,
                ..header
            });
        }
    }

    fn should_stop(&self) -> bool {
        self.progress.quit.load(Ordering::Relaxed)
    }
}

/// Runs a live session to its end on this thread, sending calls as they
/// start, change and are finalised; what `callscope live` runs on a
/// thread of its own under the UI.
#[cfg(feature = "live")]
pub fn live(
    capture: crate::capture::live::LiveCapture,
    config: &crate::live::LiveConfig,
    stop: Arc<AtomicBool>,
    tx: &Sender<FeedEvent>,
    progress: &Arc<Progress>,
) -> Result<crate::live::LiveOutcome, crate::live::LiveRunError> {
    let started = Instant::now();
    let mut sender = EntrySender {
        tx,
        progress,
        closed: false,
        pool: crate::pipeline::side_pool(config.threads),
    };
    let outcome = crate::live::run(capture, config, stop, &mut sender);
    let event = match &outcome {
        Ok(o) => {
            if let Ok(mut live) = progress.live.lock() {
                if let Some(l) = live.as_mut() {
                    l.stopped_by = o.facts.live.as_ref().map(|f| f.stopped_by);
                }
            }
            FeedEvent::Finished(LoadSummary {
                frames: o.facts.info.frames,
                undecodable: o.facts.accounting.undecodable(),
                warnings: warnings(&o.facts),
                error: o.error.as_ref().map(|e| e.to_string()),
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        Err(e) => FeedEvent::Failed(CaptureError {
            path: "live capture".into(),
            offset: 0,
            kind: CaptureErrorKind::Open(e.to_string()),
        }),
    };
    progress.done.store(true, Ordering::Relaxed);
    let _ = tx.send(event);
    outcome
}

/// Reads the capture to its end, sending calls as they are judged; what
/// the `tui` command runs on its loading thread (and tests on theirs).
pub fn load(path: &str, threads: usize, tx: &Sender<FeedEvent>, progress: &Arc<Progress>) {
    let started = Instant::now();
    let reader = File::open(path)
        .map_err(|e| CaptureError {
            path: path.to_string(),
            offset: 0,
            kind: CaptureErrorKind::Open(e.to_string()),
        })
        .and_then(|f| {
            let counting = CountingRead {
                inner: io::BufReader::with_capacity(1 << 16, f),
                progress: progress.clone(),
            };
            CaptureReader::from_reader(path, Box::new(counting))
        });
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            progress.done.store(true, Ordering::Relaxed);
            let _ = tx.send(FeedEvent::Failed(e));
            return;
        }
    };
    let mut session = Session::new(SessionOptions::streaming(threads));
    let pool = crate::pipeline::side_pool(threads);
    let mut sender = EntrySender {
        tx,
        progress,
        closed: false,
        pool,
    };
    let event = match session.run_observed(reader, &mut sender) {
        Ok(outcome) => {
            let facts = CaptureFacts::from_run(&session, outcome);
            FeedEvent::Finished(LoadSummary {
                frames: facts.info.frames,
                undecodable: facts.accounting.undecodable(),
                warnings: warnings(&facts),
                error: facts.error,
                seconds: started.elapsed().as_secs_f64(),
            })
        }
        Err(e) => FeedEvent::Failed(e),
    };
    progress.done.store(true, Ordering::Relaxed);
    let _ = tx.send(event);
}

/// Starts [`load`] on a thread of its own.
pub fn spawn_load(
    path: String,
    threads: usize,
    tx: Sender<FeedEvent>,
    progress: Arc<Progress>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("callscope-load".into())
        .spawn(move || load(&path, threads, &tx, &progress))
}

/// Decodes the given frames of the capture again (reading it through: the
/// formats read have no index), for the packet view.
pub fn fetch_frames(path: &str, threads: usize, wanted: &BTreeSet<u64>) -> Vec<FrameDetail> {
    fetch_frames_from(&[(path.to_string(), 1)], threads, wanted)
}

/// [`fetch_frames`] over a capture kept in several files (a live ring),
/// each given with the number of its first frame.
pub fn fetch_frames_from(
    files: &[(String, u64)],
    threads: usize,
    wanted: &BTreeSet<u64>,
) -> Vec<FrameDetail> {
    let mut out = Vec::new();
    for (i, (path, first)) in files.iter().enumerate() {
        let next_first = files.get(i + 1).map_or(u64::MAX, |(_, n)| *n);
        if wanted.range(*first..next_first).next().is_none() {
            continue;
        }
        fetch_file(path, first - 1, threads, wanted, &mut out);
    }
    out
}

fn fetch_file(
    path: &str,
    base: u64,
    threads: usize,
    wanted: &BTreeSet<u64>,
    out: &mut Vec<FrameDetail>,
) {
    let Some(&last) = wanted.last() else {
        return;
    };
    let Ok(reader) = CaptureReader::open(path) else {
        return;
    };
    let mut session = Session::new(SessionOptions::decode_only(threads));
    let _ = session.run(reader, |f, raw, _| {
        let number = f.number + base;
        if number > last || !wanted.contains(&number) {
            return;
        }
        out.push(FrameDetail {
            number,
            ts_ns: f.ts_ns,
            protocol: frame_protocol(f),
            info: frame_info(f),
            orig_len: raw.orig_len,
            fields: frame_detail(f),
            sip_text: sip_text(f),
            bytes: raw.data[..raw.data.len().min(MAX_FRAME_BYTES)].to_vec(),
        });
    });
}

/// What a save wrote.
#[derive(Debug, Clone)]
pub struct SaveSummary {
    pub calls: usize,
    pub frames: u64,
    pub pcapng: String,
    pub json: String,
}

impl std::fmt::Display for SaveSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "saved {}: {} ({}), {}",
            crate::analysis::evidence::plural(self.calls as u64, "call"),
            self.pcapng,
            crate::analysis::evidence::plural(self.frames, "frame"),
            self.json
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("creating {path}: {source}")]
    Create { path: String, source: io::Error },
    #[error("{0}")]
    Export(#[from] crate::engine::ExportError),
    #[error("{0}")]
    Capture(#[from] CaptureError),
    #[error("writing {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error(
        "the capture is a ring of files ({}): export calls from one of them with `callscope export`",
        .0.join(", ")
    )]
    Ring(Vec<String>),
}

/// Writes the chosen calls' frames to `BASE.pcapng` (the engine's export)
/// and their report to `BASE.json` (what `analyze --format json --call N`
/// prints for them).
pub fn save_calls(
    path: &str,
    threads: usize,
    numbers: &[u32],
    base: &str,
) -> Result<SaveSummary, SaveError> {
    let pcapng = format!("{base}.pcapng");
    let json = format!("{base}.json");
    // Chosen by number only, looked up in a set: thousands of chosen calls
    // cost no more than one.
    let selection = CallSelection {
        numbers: numbers.iter().copied().collect(),
        ..CallSelection::default()
    };
    let file = File::create(&pcapng).map_err(|source| SaveError::Create {
        path: pcapng.clone(),
        source,
    })?;
    let summary = export_calls(
        path,
        threads,
        |c| selection.matches(c),
        BufWriter::new(file),
        &pcapng,
        &crate::engine::ExportOptions::default(),
    )?;

    let mut session = Session::new(SessionOptions::streaming(threads));
    let mut report = ReportWriter::new(ReportFormat::Json, &selection, threads);
    let outcome = session.run_observed(CaptureReader::open(path)?, &mut report)?;
    let facts = CaptureFacts::from_run(&session, outcome);
    let file = File::create(&json).map_err(|source| SaveError::Create {
        path: json.clone(),
        source,
    })?;
    let mut out = BufWriter::new(file);
    report
        .finish(&mut out, &facts)
        .and_then(|_| out.flush())
        .map_err(|source| SaveError::Write {
            path: json.clone(),
            source,
        })?;
    Ok(SaveSummary {
        calls: summary.calls.len(),
        frames: summary.frames,
        pcapng,
        json,
    })
}
