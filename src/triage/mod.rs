//! `callscope triage`: many captures judged in parallel, one session per
//! capture, their lines written in input order.
//!
//! Each worker takes the next capture, runs a finalising [`Session`] over
//! it on its own thread (one decoding thread: the parallelism is across
//! captures) and writes the capture's lines to a [`Spool`]. The
//! calling thread takes the captures' results in input order, so the
//! output is the same whatever the number of workers and however long
//! each capture takes. Memory is what one capture's session needs, times
//! the workers, plus the lines waiting for an earlier capture: at most
//! [`WINDOW_PER_WORKER`] captures per worker may wait, each holding at most
//! [`Spool::IN_MEMORY`] bytes in memory (the rest in an unlinked
//! temporary file).

pub mod inputs;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use crate::capture::{CaptureErrorKind, CaptureReader};
use crate::engine::{CallSelection, Session, SessionOptions};
use crate::report::analyze::{CaptureFacts, ReportFormat, ReportWriter};
use crate::report::spool::Spool;
use crate::report::triage::{ErrorLine, FileLine};

pub use inputs::{collect, Collected, Shard, TriageInput};

/// Captures each worker may finish ahead of the one being written.
pub const WINDOW_PER_WORKER: usize = 8;

/// What triage writes per capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// One line per call (and a file line for a capture without calls).
    Calls,
    /// One file line per capture.
    PerFile,
}

/// What became of one capture.
pub enum FileOutcome {
    /// Read (perhaps cut short: `line.error`); its lines are in `output`.
    Read { line: FileLine, output: Spool },
    /// Found in a folder and not a capture (a README, a log): passed over.
    NotACapture,
    /// Could not be read at all; `output` holds its error line.
    Unreadable { line: FileLine, output: Spool },
}

impl FileOutcome {
    /// The capture's file line (none for a file passed over).
    pub fn line(&self) -> Option<&FileLine> {
        match self {
            FileOutcome::Read { line, .. } | FileOutcome::Unreadable { line, .. } => Some(line),
            FileOutcome::NotACapture => None,
        }
    }

    /// Writes the capture's lines to `out`.
    pub fn write_to(self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            FileOutcome::Read { output, .. } | FileOutcome::Unreadable { output, .. } => {
                output.copy_to(out)
            }
            FileOutcome::NotACapture => Ok(()),
        }
    }
}

/// Judges one capture: its lines and its file line.
pub fn triage_file(
    input: &TriageInput,
    kind: LineKind,
    keys: &crate::decode::keylog::KeyLog,
) -> FileOutcome {
    let unreadable = |error: String| {
        let mut output = Spool::new();
        let line = FileLine {
            file: input.path.clone(),
            error: Some(error),
            by_stage: crate::report::analyze::by_stage(&[])
                .into_keys()
                .map(|s| (s.to_string(), 0))
                .collect(),
            ..FileLine::default()
        };
        // Writing to memory fails only on allocation, which aborts.
        let _ = write_file_line(&mut output, &line, kind);
        FileOutcome::Unreadable { line, output }
    };
    if let Some(e) = &input.walk_error {
        return unreadable(e.clone());
    }
    let selection = CallSelection::default();
    let format = match kind {
        LineKind::Calls => ReportFormat::JsonLine,
        LineKind::PerFile => ReportFormat::Counts,
    };
    let mut session = Session::new(SessionOptions::streaming_on_caller_thread());
    if !keys.is_empty() {
        session.set_keys(keys.clone());
    }
    let mut report = ReportWriter::new(format, &selection, 1);
    let outcome = CaptureReader::open_file(&input.file, &input.path)
        .and_then(|r| session.run_observed(r, &mut report));
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let not_a_capture = matches!(
                e.kind,
                CaptureErrorKind::NotACapture | CaptureErrorKind::Empty
            );
            let name = input
                .file
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if not_a_capture && !input.named && !inputs::capture_file_name(&name) {
                return FileOutcome::NotACapture;
            }
            return unreadable(without_path(&e.to_string(), &input.path));
        }
    };
    let mut facts = CaptureFacts::from_run(&session, outcome);
    facts.info.path = input.path.clone();
    let mut output = Spool::new();
    let calls_to: Option<&mut dyn Write> = match kind {
        LineKind::Calls => Some(&mut output),
        LineKind::PerFile => None,
    };
    let line = match report.finish_triage(&input.path, &facts, calls_to) {
        Ok(mut line) => {
            line.error = line.error.map(|e| without_path(&e, &input.path));
            line
        }
        Err(e) => return unreadable(format!("writing its report: {e}")),
    };
    if let Err(e) = write_file_line(&mut output, &line, kind) {
        return unreadable(format!("writing its report: {e}"));
    }
    FileOutcome::Read { line, output }
}

/// The line that closes a capture's lines: in per-file output its file
/// line; in call output an error line when it has an error, a file line
/// when it has no call (so every capture leaves a line), else none.
fn write_file_line(out: &mut dyn Write, line: &FileLine, kind: LineKind) -> io::Result<()> {
    let text = match (kind, &line.error) {
        (LineKind::PerFile, _) => serde_json::to_string(line)?,
        (LineKind::Calls, Some(error)) => serde_json::to_string(&ErrorLine {
            file: &line.file,
            error,
        })?,
        (LineKind::Calls, None) if line.calls == 0 => serde_json::to_string(line)?,
        (LineKind::Calls, None) => return Ok(()),
    };
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")
}

/// A capture error's text names the file first; the line has it already.
fn without_path(text: &str, path: &str) -> String {
    text.strip_prefix(path)
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(text)
        .to_string()
}

/// Runs `workers` workers over `inputs` and hands each capture's outcome
/// to `each`, in input order, on the calling thread. `each` breaks to stop
/// the run (the output cannot be written): captures not started are then
/// not read.
pub fn run(
    inputs: &[TriageInput],
    workers: usize,
    kind: LineKind,
    keys: &crate::decode::keylog::KeyLog,
    mut each: impl FnMut(&TriageInput, FileOutcome) -> ControlFlow<()>,
) {
    let workers = workers.clamp(1, inputs.len().max(1));
    let window = workers * WINDOW_PER_WORKER;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // The index of the next capture to hand to `each`: a worker does not
    // start a capture more than `window` ahead of it.
    let written = Mutex::new(0usize);
    let moved = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, FileOutcome)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, written, moved) = (&next, &stop, &written, &moved);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs.len() {
                    break;
                }
                {
                    let mut w = written.lock().unwrap_or_else(|p| p.into_inner());
                    while i >= *w + window && !stop.load(Ordering::Relaxed) {
                        w = moved.wait(w).unwrap_or_else(|p| p.into_inner());
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if tx.send((i, triage_file(&inputs[i], kind, keys))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, FileOutcome> = BTreeMap::new();
        let mut at = 0usize;
        for (i, outcome) in rx.iter() {
            if stop.load(Ordering::Relaxed) {
                continue;
            }
            waiting.insert(i, outcome);
            while let Some(outcome) = waiting.remove(&at) {
                let flow = each(&inputs[at], outcome);
                at += 1;
                if flow.is_break() {
                    stop.store(true, Ordering::Relaxed);
                    waiting.clear();
                    break;
                }
            }
            *written.lock().unwrap_or_else(|p| p.into_inner()) = at;
            moved.notify_all();
        }
    });
}
