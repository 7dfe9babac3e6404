//! `callscope analyze FILE...`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::engine::{CallSelection, Session, SessionOptions};
use callscope::report::analyze::{
    report_json, unreadable_report_json, write_call_details, write_report_json, write_text,
    CaptureFacts,
};

pub struct AnalyzeArgs<'a> {
    pub files: &'a [String],
    pub json: bool,
    pub fail_on_failure: bool,
    pub verbose: bool,
    pub threads: usize,
    pub selection: CallSelection,
}

pub fn run(args: AnalyzeArgs<'_>) -> ExitCode {
    let AnalyzeArgs {
        files,
        json,
        fail_on_failure,
        verbose,
        threads,
        selection,
    } = args;
    let mut out = BufWriter::new(io::stdout().lock());
    // Several captures in JSON: one compact report per line (JSON Lines),
    // so scripts can read them one by one; a single capture: pretty.
    let json_lines = json && files.len() > 1;
    let mut unreadable = false;
    let mut any_failed = false;
    for file in files {
        let mut session = Session::new(SessionOptions::analyze(threads));
        let outcome = CaptureReader::open(file).and_then(|r| session.run(r, |_, _, _| {}));
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                eprintln!("callscope: {e}");
                unreadable = true;
                if json_lines {
                    let line = unreadable_report_json(file, &e.to_string()).to_string();
                    if writeln!(out, "{line}").is_err() {
                        return ExitCode::from(1);
                    }
                }
                continue;
            }
        };
        if let Some(e) = &outcome.late_error {
            eprintln!("callscope: {e}");
            unreadable = true;
        }
        let facts = CaptureFacts {
            info: outcome.info,
            accounting: session.accounting().clone(),
            limits: session.limits(),
            error: outcome.late_error.map(|e| e.to_string()),
        };
        let calls = session.calls();
        any_failed |= calls.iter().any(|c| c.verdict.failed());
        let shown: Vec<_> = calls.iter().filter(|c| selection.matches(c)).collect();
        let written = if json_lines {
            writeln!(out, "{}", report_json(&facts, &shown))
        } else if json {
            write_report_json(&mut out, &facts, &shown)
        } else {
            write_text(&mut out, &facts, &shown).and_then(|_| {
                if !selection.is_all() && shown.len() < calls.len() {
                    writeln!(
                        out,
                        "(shown: {} of {} calls; the totals count the calls shown)",
                        shown.len(),
                        calls.len()
                    )?;
                }
                if verbose {
                    for c in &shown {
                        write_call_details(&mut out, c)?;
                    }
                }
                Ok(())
            })
        };
        if let Err(e) = written.and_then(|_| out.flush()) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("callscope: writing output: {e}");
            }
            return ExitCode::from(1);
        }
    }
    if unreadable {
        ExitCode::from(2)
    } else if fail_on_failure && any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
