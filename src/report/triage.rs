//! The output of `callscope triage` and the table that sums it up.
//!
//! Triage writes JSON lines. There are three kinds, told apart by their
//! fields:
//! - a **call line** (it has `verdict`): a call of the report, as
//!   `analyze --format json` gives it, with `file` in front;
//! - a **file line** (it has `calls`): one capture's counts
//!   ([`FileLine`]). With `--per-file` it is the only kind. Without it, a
//!   file line is written only for a capture in which no call was found,
//!   so that every capture read leaves a line;
//! - an **error line** (`file` and `error` only): a capture that could not
//!   be read, or was cut short after the call lines of the frames before
//!   the cut.
//!
//! The lines of one capture are consecutive. [`TriageSummary`] is built
//! from file lines. [`LineReader`] turns any mix of the three kinds (the
//! output of several runs or shards, concatenated) back into file lines,
//! so the table of `callscope summary` is the table triage printed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::analysis::evidence::plural;
use crate::verdict::VerdictCode;

/// A call named in a file line: its number and id in that capture's
/// report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    pub number: u32,
    pub id: String,
}

/// One capture's counts: the line `--per-file` writes for each capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLine {
    pub file: String,
    pub calls: u64,
    pub failed: u64,
    /// Calls by verdict stage (`none` holds the calls that went well).
    #[serde(default)]
    pub by_stage: BTreeMap<String, u64>,
    #[serde(default)]
    pub by_code: BTreeMap<String, u64>,
    /// The first call (in report order) of each code.
    #[serde(default)]
    pub examples: BTreeMap<String, CallRef>,
    #[serde(default)]
    pub frames: u64,
    /// What the report warns of: bounds reached, frames not decoded.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Why the capture could not be read, or where it was cut short.
    #[serde(default)]
    pub error: Option<String>,
}

/// An error line: a capture that could not be read or was cut short.
#[derive(Debug, Serialize)]
pub struct ErrorLine<'a> {
    pub file: &'a str,
    pub error: &'a str,
}

/// The stage a verdict code read back as text failed in, or `None` when
/// it is no failure ([`VerdictCode::is_failure`]).
fn failure_stage(code: &str) -> Option<&'static str> {
    VerdictCode::parse(code)
        .filter(|c| c.is_failure())
        .map(|c| c.stage().as_str())
}

fn failed_code(code: &str) -> bool {
    failure_stage(code).is_some()
}

/// How many calls and captures had a code, and a call that had it.
#[derive(Debug, Default, Clone, PartialEq)]
struct CodeRow {
    calls: u64,
    files: u64,
    example: Option<(String, CallRef)>,
}

/// At most this many files with errors are named in the table; the rest
/// are counted.
const ERRORS_NAMED: usize = 20;
/// At most this many codes get a row; the rest are counted.
const CODES_SHOWN: usize = 40;

/// The sum of many captures' file lines: what the closing table says.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TriageSummary {
    pub files: u64,
    pub files_with_failures: u64,
    pub files_without_calls: u64,
    pub files_with_errors: u64,
    pub calls: u64,
    pub failed: u64,
    by_stage: BTreeMap<String, u64>,
    codes: BTreeMap<String, CodeRow>,
    /// The first [`ERRORS_NAMED`] files with errors by name, and why.
    errors: Vec<(String, String)>,
}

impl TriageSummary {
    pub fn add(&mut self, f: &FileLine) {
        self.files += 1;
        self.calls += f.calls;
        self.failed += f.failed;
        self.files_with_failures += u64::from(f.failed > 0);
        self.files_without_calls += u64::from(f.calls == 0 && f.error.is_none());
        for (stage, n) in &f.by_stage {
            *self.by_stage.entry(stage.clone()).or_default() += n;
        }
        for (code, n) in &f.by_code {
            if *n == 0 {
                continue;
            }
            let row = self.codes.entry(code.clone()).or_default();
            row.calls += n;
            row.files += 1;
            // The example is the one of the capture first by name, not
            // the first read: the table of shards read in any order is
            // the table of one run.
            if let Some(c) = f.examples.get(code) {
                if row.example.as_ref().is_none_or(|(file, _)| f.file < *file) {
                    row.example = Some((f.file.clone(), c.clone()));
                }
            }
        }
        if let Some(e) = &f.error {
            self.files_with_errors += 1;
            // The first by name, whatever order the captures came in.
            let at = self.errors.partition_point(|(file, _)| *file < f.file);
            if at < ERRORS_NAMED {
                self.errors.insert(at, (f.file.clone(), e.clone()));
                self.errors.truncate(ERRORS_NAMED);
            }
        }
    }

    /// The table, in plain text: totals, then stages, then codes (failures
    /// first, most frequent first) with the number of captures that had
    /// each and an example call, then the files with errors.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "captures: {}; {} with failed calls, {} without any call, {} with errors",
            self.files, self.files_with_failures, self.files_without_calls, self.files_with_errors
        )?;
        let ended = self
            .codes
            .get(VerdictCode::CaptureEnded.as_str().as_ref())
            .map_or(0, |r| r.calls);
        writeln!(
            out,
            "calls: {}; {} failed, {} still going when the capture ended, {} ok",
            self.calls,
            self.failed,
            ended,
            self.calls.saturating_sub(self.failed + ended)
        )?;
        if self.calls > 0 {
            writeln!(out, "\n{:<8} {:>9} {:>9}", "stage", "calls", "failed")?;
            for stage in ["sip", "ice", "dtls", "media", "none"] {
                let failed: u64 = self
                    .codes
                    .iter()
                    .filter(|(c, _)| failure_stage(c) == Some(stage))
                    .map(|(_, r)| r.calls)
                    .sum();
                let calls = self.by_stage.get(stage).copied().unwrap_or(0);
                writeln!(out, "{stage:<8} {calls:>9} {failed:>9}")?;
            }
            let mut codes: Vec<(&String, &CodeRow)> = self.codes.iter().collect();
            codes.sort_by(|a, b| {
                super::code_order(a.0, a.1.calls).cmp(&super::code_order(b.0, b.1.calls))
            });
            writeln!(
                out,
                "\n{:<24} {:>9} {:>9}  example (in the capture first by name)",
                "code", "calls", "captures"
            )?;
            for (code, row) in codes.iter().take(CODES_SHOWN) {
                let example = match &row.example {
                    Some((file, c)) => {
                        format!(
                            "{} call {} ({})",
                            printable(file),
                            c.number,
                            printable(&c.id)
                        )
                    }
                    None => String::new(),
                };
                writeln!(
                    out,
                    "{:<24} {:>9} {:>9}  {example}",
                    printable(code),
                    row.calls,
                    row.files
                )?;
            }
            if codes.len() > CODES_SHOWN {
                writeln!(
                    out,
                    "(and {} more)",
                    plural((codes.len() - CODES_SHOWN) as u64, "code")
                )?;
            }
        }
        if !self.errors.is_empty() {
            writeln!(out, "\ncaptures with errors:")?;
            for (file, e) in &self.errors {
                writeln!(out, "  {}: {}", printable(file), printable(e))?;
            }
            if self.files_with_errors > self.errors.len() as u64 {
                writeln!(
                    out,
                    "  (and {} more)",
                    self.files_with_errors - self.errors.len() as u64
                )?;
            }
        }
        Ok(())
    }
}

/// What is wrong with a line that is not triage output.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("not a line of callscope triage: {0}")]
    WrongShape(serde_json::Error),
    #[error(
        "not a line of callscope triage (no \"file\" with \"verdict\", \"calls\" or \"error\")"
    )]
    NotTriage,
}

impl From<serde_json::Error> for LineError {
    /// JSON that parsed, with a field of the wrong type, is a wrong line,
    /// not broken JSON.
    fn from(e: serde_json::Error) -> Self {
        match e.classify() {
            serde_json::error::Category::Data => LineError::WrongShape(e),
            _ => LineError::NotJson(e),
        }
    }
}

/// Reads triage lines, of any kind, back into file lines: the call lines
/// of a capture are summed into its file line, and an error line after
/// them becomes its error.
#[derive(Debug, Default)]
pub struct LineReader {
    current: Option<FileLine>,
}

/// The fields of a call line that a file line sums.
#[derive(Deserialize)]
struct CallLineFields {
    file: String,
    id: String,
    number: u32,
    verdict: VerdictFields,
}

#[derive(Deserialize)]
struct VerdictFields {
    code: String,
    stage: String,
}

impl LineReader {
    /// Takes one line; gives the file lines it completes (at most two: the
    /// previous capture's and, for a whole file line, its own).
    pub fn line(&mut self, text: &str) -> Result<Vec<FileLine>, LineError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let object = value.as_object().ok_or(LineError::NotTriage)?;
        let file = object
            .get("file")
            .and_then(|f| f.as_str())
            .ok_or(LineError::NotTriage)?;
        let mut done = Vec::new();
        if self.current.as_ref().is_some_and(|c| c.file != file) {
            done.extend(self.current.take());
        }
        if object.contains_key("verdict") {
            let call: CallLineFields = serde_json::from_value(value)?;
            let line = self.current.get_or_insert_with(|| FileLine {
                file: call.file.clone(),
                ..FileLine::default()
            });
            line.calls += 1;
            let failed = failed_code(&call.verdict.code);
            line.failed += u64::from(failed);
            *line.by_stage.entry(call.verdict.stage).or_default() += 1;
            *line.by_code.entry(call.verdict.code.clone()).or_default() += 1;
            line.examples.entry(call.verdict.code).or_insert(CallRef {
                number: call.number,
                id: call.id,
            });
        } else if object.contains_key("calls") {
            // A whole capture's line: whatever came before it was another
            // capture's.
            done.extend(self.current.take());
            done.push(serde_json::from_value(value)?);
        } else if let Some(error) = object.get("error").and_then(|e| e.as_str()) {
            let line = self.current.get_or_insert_with(|| FileLine {
                file: file.to_string(),
                ..FileLine::default()
            });
            line.error = Some(error.to_string());
        } else {
            return Err(LineError::NotTriage);
        }
        Ok(done)
    }

    /// The last capture's file line, at the end of the input.
    pub fn finish(&mut self) -> Option<FileLine> {
        self.current.take()
    }
}

/// Text from a capture (a Call-ID) or a file name, with control
/// characters escaped: a hostile Call-ID cannot drive the terminal.
pub fn printable(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    super::summary::push_text(&mut s, text.as_bytes());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_lines_and_their_error_sum_to_one_file_line() {
        let mut r = LineReader::default();
        let call = |file: &str, n: u32, code: &str, stage: &str| {
            format!(
                r#"{{"file":"{file}","id":"c{n}","number":{n},"verdict":{{"code":"{code}","stage":"{stage}"}}}}"#
            )
        };
        assert!(r.line(&call("a", 1, "sip-603", "sip")).unwrap().is_empty());
        assert!(r.line(&call("a", 2, "ok", "none")).unwrap().is_empty());
        assert!(r.line(&call("a", 3, "sip-603", "sip")).unwrap().is_empty());
        assert!(r
            .line(r#"{"file":"a","error":"cut short"}"#)
            .unwrap()
            .is_empty());
        let done = r.line(&call("b", 1, "capture-ended", "dtls")).unwrap();
        assert_eq!(done.len(), 1);
        let a = &done[0];
        assert_eq!((a.calls, a.failed), (3, 2));
        assert_eq!(a.by_code["sip-603"], 2);
        assert_eq!(a.examples["sip-603"].number, 1);
        assert_eq!(a.error.as_deref(), Some("cut short"));
        let b = r.finish().unwrap();
        // A call still going when the capture ended did not fail.
        assert_eq!((b.file.as_str(), b.calls, b.failed), ("b", 1, 0));
        assert!(r.line(r#"{"frames":3}"#).is_err());
        assert!(r.line("not json").is_err());
    }
}
