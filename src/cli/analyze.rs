//! `callscope analyze FILE...`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::analysis::Analyzer;
use callscope::pipeline::run_capture;
use callscope::report::analyze::{
    report_json, unreadable_report_json, write_call_details, write_report_json, write_text,
    CaptureFacts,
};

pub fn run(
    files: &[String],
    json: bool,
    fail_on_failure: bool,
    verbose: bool,
    threads: usize,
) -> ExitCode {
    let mut out = BufWriter::new(io::stdout().lock());
    // Several captures in JSON: one compact report per line (JSON Lines),
    // so scripts can read them one by one; a single capture: pretty.
    let json_lines = json && files.len() > 1;
    let mut unreadable = false;
    let mut any_failed = false;
    for file in files {
        let mut analyzer = Analyzer::new();
        let mut undecodable = 0u64;
        let outcome = run_capture(file, threads, |f| {
            if f.undecodable_reason().is_some() {
                undecodable += 1;
            }
            analyzer.feed(f);
        });
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
        let calls = analyzer.call_refs();
        any_failed |= calls.iter().any(|c| c.verdict.failed());
        let facts = CaptureFacts {
            info: outcome.info,
            undecodable_frames: undecodable,
            error: outcome.late_error.map(|e| e.to_string()),
        };
        let written = if json_lines {
            writeln!(out, "{}", report_json(&facts, &calls))
        } else if json {
            write_report_json(&mut out, &facts, &calls)
        } else {
            write_text(&mut out, &facts, &calls).and_then(|_| {
                if verbose {
                    for (i, c) in calls.iter().enumerate() {
                        write_call_details(&mut out, i, c)?;
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
