//! `callscope analyze FILE...`

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::engine::{CallSelection, Session, SessionOptions};
use callscope::report::analyze::{
    unreadable_report_json, CaptureFacts, ReportFormat, ReportWriter,
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
    let format = if json_lines {
        ReportFormat::JsonLine
    } else if json {
        ReportFormat::Json
    } else {
        ReportFormat::Text { verbose }
    };
    let mut unreadable = false;
    let mut any_failed = false;
    for file in files {
        // Finished calls are written to the report as the capture goes on
        // and forgotten: memory follows the calls in progress.
        let mut session = Session::new(SessionOptions::streaming(threads));
        let mut report = ReportWriter::new(format, &selection, threads);
        let outcome = CaptureReader::open(file).and_then(|r| session.run_observed(r, &mut report));
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
        let facts = CaptureFacts::from_run(&session, outcome);
        any_failed |= report.any_failed;
        if let Err(e) = report.finish(&mut out, &facts).and_then(|_| out.flush()) {
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
