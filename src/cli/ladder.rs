//! `callscope ladder FILE [--call ID]`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::decode::keylog::KeyLog;
use callscope::engine::{CallSelection, JudgedCall, Session, SessionObserver, SessionOptions};
use callscope::report::ladder::write_ladder;

/// Ladders drawn at most; past it, the calls are counted and named.
const MAX_LADDERS: usize = 200;

/// Draws the chosen calls' ladders as they are finalised.
struct Ladders<'a> {
    selection: &'a CallSelection,
    /// (start, id, text)
    drawn: Vec<(i64, String, Vec<u8>)>,
    matched: u64,
    calls: u64,
    error: Option<io::Error>,
}

impl SessionObserver for Ladders<'_> {
    fn finalized(&mut self, c: &JudgedCall<'_>) {
        self.calls += 1;
        if !self.selection.matches(c) {
            return;
        }
        self.matched += 1;
        if self.drawn.len() >= MAX_LADDERS {
            return;
        }
        let mut text = Vec::new();
        match write_ladder(&mut text, c) {
            Ok(()) => self.drawn.push((c.call.start_ts, c.id().to_string(), text)),
            Err(e) => self.error = Some(e),
        }
    }
}

pub fn run(file: &str, threads: usize, mut selection: CallSelection, keys: KeyLog) -> ExitCode {
    // Without a choice, the calls a ticket is about: the failed ones.
    let chose = !selection.is_all();
    if !chose {
        selection.failed_only = true;
    }
    let mut session = Session::new(SessionOptions::streaming(threads));
    session.set_keys(keys);
    let mut ladders = Ladders {
        selection: &selection,
        drawn: Vec::new(),
        matched: 0,
        calls: 0,
        error: None,
    };
    let outcome = CaptureReader::open(file).and_then(|r| session.run_observed(r, &mut ladders));
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("callscope: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(e) = &outcome.late_error {
        eprintln!("callscope: {e}");
    }
    ladders.drawn.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut out = BufWriter::new(io::stdout().lock());
    let mut written = match ladders.error.take() {
        Some(e) => Err(e),
        None => Ok(()),
    };
    if ladders.matched == 0 {
        let calls = callscope::analysis::evidence::plural(ladders.calls, "call");
        written = written.and_then(|_| {
            if chose {
                writeln!(
                    out,
                    "{file}: no call matches (of {calls}; `analyze` lists them)"
                )
            } else {
                writeln!(
                    out,
                    "{file}: no failed call (of {calls}); choose one with --call"
                )
            }
        });
    }
    for (i, (_, _, text)) in ladders.drawn.iter().enumerate() {
        if i > 0 {
            written = written.and_then(|_| writeln!(out));
        }
        written = written.and_then(|_| out.write_all(text));
    }
    if ladders.matched > ladders.drawn.len() as u64 {
        written = written.and_then(|_| {
            writeln!(
                out,
                "\n({} more calls match; choose with --call or --code)",
                ladders.matched - ladders.drawn.len() as u64
            )
        });
    }
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("callscope: writing output: {e}");
        }
        return ExitCode::from(1);
    }
    if outcome.late_error.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
