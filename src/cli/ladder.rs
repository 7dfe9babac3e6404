//! `callscope ladder FILE [--call ID]`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::engine::{CallSelection, Session, SessionOptions};
use callscope::report::ladder::write_ladder;

pub fn run(file: &str, threads: usize, mut selection: CallSelection) -> ExitCode {
    // Without a choice, the calls a ticket is about: the failed ones.
    if selection.is_all() {
        selection.failed_only = true;
    }
    let mut session = Session::new(SessionOptions::analyze(threads));
    let outcome = CaptureReader::open(file).and_then(|r| session.run(r, |_, _, _| {}));
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
    let calls = session.calls();
    let chosen: Vec<_> = calls.iter().filter(|c| selection.matches(c)).collect();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut written = Ok(());
    if chosen.is_empty() {
        written = writeln!(
            out,
            "{file}: no call matches (of {} calls; `analyze` lists them)",
            calls.len()
        );
    }
    for (i, c) in chosen.iter().enumerate() {
        if written.is_err() {
            break;
        }
        if i > 0 {
            written = writeln!(out);
        }
        written = written.and_then(|_| write_ladder(&mut out, c));
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
