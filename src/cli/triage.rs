//! `callscope triage PATH...` and `callscope summary FILE.jsonl...`.
//!
//! Exit status of both: 0 all well; 1 with `--fail-on-failure` when a
//! call failed; 2 when a capture (triage) or a line file (summary) could
//! not be read; 3 when the output could not be written (a closed pipe, a
//! full disk). The higher number wins.

use std::collections::HashSet;
use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use callscope::analysis::evidence::plural;

use callscope::report::triage::{printable, FileLine, LineReader, TriageSummary};
use callscope::triage::{self, FileOutcome, LineKind, Shard};

/// The exit status for output that could not be written.
const OUTPUT_ERROR: u8 = 3;
/// Lines that are not triage output named per file; the rest are counted.
const BAD_LINES_NAMED: u64 = 5;

#[derive(Args)]
pub struct TriageArgs {
    /// Capture files and folders (walked recursively; files in them that
    /// are not captures are passed over and counted).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<std::path::PathBuf>,
    /// Captures read at once (0: one per core). Each is read on one
    /// thread; memory is about one capture's analysis per worker.
    #[arg(long, short = 'j', default_value_t = 0, value_parser = super::parse_threads)]
    jobs: usize,
    /// One line per capture (its counts by stage and code), not per call.
    #[arg(long)]
    per_file: bool,
    /// Take only share K of N of the captures (K from 1), chosen by a hash
    /// of each path relative to the folder given: N runs with 1/N..N/N
    /// read every capture once.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Exit with status 1 when any call failed.
    #[arg(long)]
    fail_on_failure: bool,
    /// Nothing on standard error but errors: no progress bar, no table.
    #[arg(long, short)]
    quiet: bool,
    /// TLS key log (NSS format, as SSLKEYLOGFILE writes it) to decrypt SIP
    /// over TLS and secure WebSocket in every capture; repeatable. Keys
    /// inside a pcapng are used without it.
    #[arg(long = "keylog", value_name = "FILE")]
    keylogs: Vec<String>,
}

#[derive(Args)]
pub struct SummaryArgs {
    /// Output of `callscope triage` (any number of runs or shards, with or
    /// without --per-file), or - for standard input.
    #[arg(required = true, value_name = "FILE.jsonl")]
    files: Vec<String>,
    /// Exit with status 1 when any call failed.
    #[arg(long)]
    fail_on_failure: bool,
}

pub fn run(args: TriageArgs) -> ExitCode {
    let keys = match super::read_keylogs(&args.keylogs) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let started = Instant::now();
    let collected = triage::collect(&args.paths, args.shard);
    let inputs = collected.inputs;
    let mut passed_over = collected.passed_over;
    let jobs = if args.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.jobs
    };
    let kind = if args.per_file {
        LineKind::PerFile
    } else {
        LineKind::Calls
    };
    let progress = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        progress_bar(inputs.iter().map(|i| i.bytes).sum())
    };
    let mut done = 0usize;
    progress.set_message(format!("0/{} files", inputs.len()));
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut summary = TriageSummary::default();
    let mut output_error: Option<io::Error> = None;
    triage::run(&inputs, jobs, kind, &keys, |input, outcome| {
        progress.inc(input.bytes);
        done += 1;
        if let FileOutcome::NotACapture = outcome {
            passed_over.push(input.path.clone());
            return ControlFlow::Continue(());
        }
        if let Some(line) = outcome.line() {
            summary.add(line);
        }
        progress.set_message(format!(
            "{done}/{} files, {} calls, {} failed, {} captures with errors",
            inputs.len(),
            summary.calls,
            summary.failed,
            summary.files_with_errors
        ));
        // A terminal reader sees each capture's lines as they come.
        let flushed = outcome.write_to(&mut out).and_then(|_| {
            if progress.is_hidden() {
                Ok(())
            } else {
                out.flush()
            }
        });
        match flushed {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                output_error = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    if output_error.is_none() {
        if let Err(e) = out.flush() {
            output_error = Some(e);
        }
    }
    progress.finish_and_clear();
    if let Some(e) = output_error {
        // A reader that went away (`| head`) needs no message.
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("callscope: writing output: {e}");
        }
        return ExitCode::from(OUTPUT_ERROR);
    }
    if !args.quiet {
        let elapsed = started.elapsed();
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{}", rate_line(&summary, elapsed, jobs));
        if !passed_over.is_empty() {
            passed_over.sort();
            let _ = writeln!(
                err,
                "{} found in folders passed over as not captures: {}",
                plural(passed_over.len() as u64, "file"),
                examples(&passed_over)
            );
        }
        if !collected.repeated.is_empty() {
            let _ = writeln!(
                err,
                "{} reached twice (a folder given with a folder inside it, or a link beside its file) read once: {}",
                plural(collected.repeated.len() as u64, "file"),
                examples(&collected.repeated)
            );
        }
        let _ = writeln!(err);
        let _ = summary.write_table(&mut err);
    }
    if summary.files == 0 {
        // A mount that is empty or a wrong path is not "all is well";
        // a shard may be empty when there are few captures.
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        eprintln!(
            "callscope: no capture found in {}{}",
            paths.join(", "),
            if args.shard.is_some() {
                " for this shard"
            } else {
                ""
            }
        );
        if args.shard.is_none() {
            return ExitCode::from(2);
        }
    }
    if summary.files_with_errors > 0 {
        ExitCode::from(2)
    } else if args.fail_on_failure && summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The first few of a list of paths, escaped, and how many more.
fn examples(paths: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<String> = paths.iter().take(SHOWN).map(|p| printable(p)).collect();
    if paths.len() > SHOWN {
        text.push(format!("and {} more", paths.len() - SHOWN));
    }
    text.join(", ")
}

/// How fast the run went: captures and calls per second.
fn rate_line(summary: &TriageSummary, elapsed: Duration, jobs: usize) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!(
        "triage: {}, {} in {:.2} s ({:.1} captures/s, {:.0} calls/s) with {}",
        plural(summary.files, "capture"),
        plural(summary.calls, "call"),
        secs,
        summary.files as f64 / secs,
        summary.calls as f64 / secs,
        plural(jobs as u64, "worker"),
    )
}

/// indicatif's bar on standard error when it is a terminal; hidden (and
/// free) otherwise. It counts bytes, not captures, so that its estimate
/// of the time left holds when sizes differ.
fn progress_bar(total_bytes: u64) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total_bytes);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes}, eta {eta}  {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub fn summary(args: SummaryArgs) -> ExitCode {
    let mut summary = TriageSummary::default();
    let mut unreadable = false;
    // Each capture counts once, however many files hold its lines (a shard
    // retried, per-file and per-call output of one run given together).
    let mut seen: HashSet<String> = HashSet::new();
    let mut repeated: Vec<String> = Vec::new();
    let mut lines_read = 0u64;
    for path in &args.files {
        let mut reader: Box<dyn BufRead> = if path == "-" {
            Box::new(io::stdin().lock())
        } else {
            match std::fs::File::open(path) {
                Ok(f) => Box::new(io::BufReader::with_capacity(1 << 16, f)),
                Err(e) => {
                    eprintln!("callscope: {path}: cannot open: {e}");
                    unreadable = true;
                    continue;
                }
            }
        };
        // Each file is read on its own: a capture's lines never span two.
        let mut lines = LineReader::default();
        let mut bad_lines = 0u64;
        let mut add = |done: Vec<FileLine>| {
            for l in done {
                if seen.insert(l.file.clone()) {
                    summary.add(&l);
                } else {
                    repeated.push(l.file);
                }
            }
        };
        let mut bad = |n: u64, what: &dyn std::fmt::Display| {
            bad_lines += 1;
            if bad_lines <= BAD_LINES_NAMED {
                eprintln!("callscope: {path}: line {n}: {what}");
            }
        };
        let mut buf = Vec::new();
        let mut n = 0u64;
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    eprintln!(
                        "callscope: {path}: after line {n}: cannot read: {e}; the rest of the file is left out"
                    );
                    unreadable = true;
                    break;
                }
            }
            n += 1;
            let Ok(text) = std::str::from_utf8(&buf) else {
                bad(n, &"not UTF-8 text");
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            lines_read += 1;
            match lines.line(text.trim_end()) {
                Ok(done) => add(done),
                Err(e) => bad(n, &e),
            }
        }
        add(lines.finish().into_iter().collect());
        if bad_lines > 0 {
            unreadable = true;
        }
        if bad_lines > BAD_LINES_NAMED {
            eprintln!(
                "callscope: {path}: {bad_lines} lines in all are not triage output; they are left out"
            );
        }
    }
    if lines_read == 0 {
        eprintln!("callscope: no line of triage output read");
    }
    if !repeated.is_empty() {
        eprintln!(
            "callscope: {} found again in later lines, counted once: {}",
            plural(repeated.len() as u64, "capture"),
            examples(&repeated)
        );
    }
    let mut out = io::stdout().lock();
    if let Err(e) = summary.write_table(&mut out).and_then(|_| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("callscope: writing output: {e}");
        }
        return ExitCode::from(OUTPUT_ERROR);
    }
    // Captures with errors were triage's to report; here only lines that
    // could not be read count.
    if unreadable {
        ExitCode::from(2)
    } else if args.fail_on_failure && summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
