//! `callscope analyze FILE... [--format text|json|html|markdown] [-o OUT]`

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::decode::keylog::KeyLog;
use callscope::engine::{CallSelection, Session, SessionOptions};
use callscope::report::analyze::{
    unreadable_report_json, CaptureFacts, ReportFormat, ReportWriter,
};

use super::AnalyzeFormat;

pub struct AnalyzeArgs<'a> {
    pub files: &'a [String],
    pub format: AnalyzeFormat,
    pub output: Option<&'a str>,
    pub fail_on_failure: bool,
    pub verbose: bool,
    pub threads: usize,
    pub selection: CallSelection,
    /// Secrets to decrypt TLS with.
    pub keys: KeyLog,
}

/// Where the report goes: standard output, or a file made at the first
/// write, so a capture that cannot be read leaves no empty report behind
/// (and an old report of the same name is not emptied for nothing).
struct ReportOutput<'a> {
    path: Option<&'a str>,
    file: Option<BufWriter<File>>,
    stdout: Option<BufWriter<io::StdoutLock<'static>>>,
}

impl ReportOutput<'_> {
    fn writer(&mut self) -> io::Result<&mut dyn Write> {
        match self.path {
            None => Ok(self
                .stdout
                .get_or_insert_with(|| BufWriter::new(io::stdout().lock()))),
            Some(path) => {
                if self.file.is_none() {
                    let f = File::create(path)
                        .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
                    self.file = Some(BufWriter::new(f));
                }
                Ok(self.file.as_mut().expect("just made"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(f) = &mut self.file {
            f.flush()?;
        }
        if let Some(s) = &mut self.stdout {
            s.flush()?;
        }
        Ok(())
    }
}

/// Refuses, before any capture is read, an output that would overwrite a
/// capture named on the command line (the customer's only copy, maybe),
/// that is a folder, or whose folder does not exist.
fn check_output(path: &str, files: &[String]) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let out = std::path::Path::new(path);
    if let Ok(meta) = std::fs::metadata(out) {
        if meta.is_dir() {
            return Err("is a folder; give a file name".into());
        }
        for f in files.iter().filter(|f| *f != "-") {
            if let Ok(input) = std::fs::metadata(f) {
                if input.dev() == meta.dev() && input.ino() == meta.ino() {
                    return Err(format!(
                        "is the capture {f}, which the report would overwrite; give another name"
                    ));
                }
            }
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(format!("the folder {} does not exist", parent.display()));
    }
    Ok(())
}

pub fn run(args: AnalyzeArgs<'_>) -> ExitCode {
    let AnalyzeArgs {
        files,
        format,
        output,
        fail_on_failure,
        verbose,
        threads,
        selection,
        keys,
    } = args;
    let page = matches!(format, AnalyzeFormat::Html | AnalyzeFormat::Markdown);
    if page && files.len() > 1 {
        eprintln!(
            "callscope: --format html and markdown make one report per capture: give one FILE (and -o) per run"
        );
        return ExitCode::from(2);
    }
    if let Some(path) = output.filter(|o| *o != "-") {
        if let Err(why) = check_output(path, files) {
            eprintln!("callscope: -o {path}: {why}");
            return ExitCode::from(2);
        }
    }
    let mut out = ReportOutput {
        path: output.filter(|o| *o != "-"),
        file: None,
        stdout: None,
    };
    let json = format == AnalyzeFormat::Json;
    // Several captures in JSON: one compact report per line (JSON Lines),
    // so scripts can read them one by one; a single capture: pretty.
    let json_lines = json && files.len() > 1;
    let format = match format {
        AnalyzeFormat::Json if json_lines => ReportFormat::JsonLine,
        AnalyzeFormat::Json => ReportFormat::Json,
        AnalyzeFormat::Text => ReportFormat::Text { verbose },
        AnalyzeFormat::Html => ReportFormat::Html,
        AnalyzeFormat::Markdown => ReportFormat::Markdown,
    };
    let mut unreadable = false;
    let mut any_failed = false;
    let output_error = |e: io::Error| {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("callscope: writing output: {e}");
        }
        ExitCode::from(1)
    };
    for file in files {
        // Finished calls are written to the report as the capture goes on
        // and forgotten: memory follows the calls in progress.
        let mut session = Session::new(SessionOptions::streaming(threads));
        session.set_keys(keys.clone());
        let mut report = ReportWriter::new(format, &selection, threads);
        let outcome = CaptureReader::open(file).and_then(|r| session.run_observed(r, &mut report));
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                eprintln!("callscope: {e}");
                unreadable = true;
                if json_lines {
                    let line = unreadable_report_json(file, &e.to_string()).to_string();
                    if let Err(e) = out.writer().and_then(|w| writeln!(w, "{line}")) {
                        return output_error(e);
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
        let written = out
            .writer()
            .and_then(|mut w| report.finish(&mut w, &facts))
            .and_then(|_| out.flush());
        if let Err(e) = written {
            return output_error(e);
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
