//! `callscope analyze`: the report of `report.md` as JSON, or a table.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use std::borrow::Cow;
use std::net::SocketAddr;

use crate::analysis::calls::CallSummary;
use crate::analysis::evidence::plural;
use crate::analysis::{Call, CallKind, CallRef};
use crate::capture::{CaptureFormat, CaptureInfo};
use crate::net::link_type_name;
use crate::verdict::Verdict;

use super::format_epoch;

pub const SCHEMA: &str = "callscope.report/1";

/// What the report says of the capture besides its calls.
#[derive(Debug, Clone, Default)]
pub struct CaptureFacts {
    pub info: CaptureInfo,
    pub undecodable_frames: u64,
    /// An error that stopped reading early (a file cut short).
    pub error: Option<String>,
}

/// What the report prints of a call's identity, borrowed.
pub struct CallHead<'a> {
    pub id: &'a str,
    pub kind: CallKind,
    pub start_ts: i64,
    pub end_ts: i64,
    pub endpoints: &'a [SocketAddr],
    pub verdict: &'a Verdict,
}

/// A call as the report sees it: an owned [`Call`] (facts already built)
/// or a [`CallRef`] (facts built when written).
pub trait ReportCall {
    fn head(&self) -> CallHead<'_>;
    fn summary(&self) -> Cow<'_, CallSummary>;
}

/// Both kinds of call carry the same identity fields.
macro_rules! head_of {
    ($c:expr) => {
        CallHead {
            id: &$c.id,
            kind: $c.kind,
            start_ts: $c.start_ts,
            end_ts: $c.end_ts,
            endpoints: &$c.endpoints,
            verdict: &$c.verdict,
        }
    };
}

impl ReportCall for Call {
    fn head(&self) -> CallHead<'_> {
        head_of!(self)
    }
    fn summary(&self) -> Cow<'_, CallSummary> {
        Cow::Borrowed(&self.summary)
    }
}

impl ReportCall for CallRef<'_> {
    fn head(&self) -> CallHead<'_> {
        head_of!(self)
    }
    fn summary(&self) -> Cow<'_, CallSummary> {
        Cow::Owned(CallRef::summary(self))
    }
}

pub fn call_json(c: &impl ReportCall) -> Value {
    let h = c.head();
    let summary = c.summary();
    json!({
        "id": h.id,
        "kind": h.kind.as_str(),
        "start_ts": format_epoch(h.start_ts),
        "end_ts": format_epoch(h.end_ts),
        "endpoints": h.endpoints.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "sip": summary.sip,
        "ice": summary.ice,
        "turn": summary.turn,
        "dtls": summary.dtls,
        "media": {"streams": summary.streams},
        "verdict": h.verdict,
    })
}

pub fn by_stage<C: ReportCall>(calls: &[C]) -> BTreeMap<&'static str, u64> {
    let mut m: BTreeMap<&'static str, u64> = ["none", "sip", "ice", "dtls", "media"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for c in calls {
        *m.entry(c.head().verdict.stage.as_str()).or_default() += 1;
    }
    m
}

fn capture_json(facts: &CaptureFacts) -> Value {
    let info = &facts.info;
    json!({
        "path": info.path,
        "format": info.format.map(|f| match f { CaptureFormat::Pcap => "pcap", CaptureFormat::Pcapng => "pcapng" }),
        "gzip": info.gzip,
        "link_types": info.link_types.iter().map(|l| link_type_name(*l)).collect::<Vec<_>>(),
        "frames": info.frames,
        "bytes": info.bytes,
        "first_ts": info.first_ts_ns.map(format_epoch),
        "last_ts": info.last_ts_ns.map(format_epoch),
        "undecodable_frames": facts.undecodable_frames,
        "error": facts.error,
    })
}

fn summary_json<C: ReportCall>(calls: &[C]) -> Value {
    let mut by_code: BTreeMap<Cow<'static, str>, u64> = BTreeMap::new();
    for c in calls {
        *by_code.entry(c.head().verdict.code.as_str()).or_default() += 1;
    }
    json!({
        "calls": calls.len(),
        "by_stage": by_stage(calls),
        "by_code": by_code,
    })
}

/// The report of a capture that could not be read: its path and why, no
/// calls. Written in JSON Lines output so every input has its line.
pub fn unreadable_report_json(path: &str, error: &str) -> Value {
    json!({
        "schema": SCHEMA,
        "capture": {"path": path, "error": error, "frames": 0},
        "summary": {"calls": 0, "by_stage": by_stage::<Call>(&[]), "by_code": {}},
        "calls": [],
    })
}

/// The whole report as one JSON value (small captures, tests).
pub fn report_json<C: ReportCall>(facts: &CaptureFacts, calls: &[C]) -> Value {
    json!({
        "schema": SCHEMA,
        "capture": capture_json(facts),
        "summary": summary_json(calls),
        "calls": calls.iter().map(call_json).collect::<Vec<_>>(),
    })
}

/// Writes the same report call by call, so that a capture with thousands of
/// calls never holds its whole report in memory. Pretty-printed.
pub fn write_report_json<C: ReportCall>(
    out: &mut impl Write,
    facts: &CaptureFacts,
    calls: &[C],
) -> io::Result<()> {
    let pretty = |v: &Value| -> io::Result<String> {
        let text = serde_json::to_string_pretty(v).map_err(io::Error::from)?;
        // Nest it one level: two more spaces on every line but the first.
        Ok(text.replace('\n', "\n  "))
    };
    writeln!(out, "{{")?;
    writeln!(out, "  \"schema\": {},", serde_json::to_string(SCHEMA)?)?;
    writeln!(out, "  \"capture\": {},", pretty(&capture_json(facts))?)?;
    writeln!(out, "  \"summary\": {},", pretty(&summary_json(calls))?)?;
    write!(out, "  \"calls\": [")?;
    for (i, c) in calls.iter().enumerate() {
        let text = serde_json::to_string_pretty(&call_json(c)).map_err(io::Error::from)?;
        write!(
            out,
            "{}\n    {}",
            if i == 0 { "" } else { "," },
            text.replace('\n', "\n    ")
        )?;
    }
    if calls.is_empty() {
        writeln!(out, "]")?;
    } else {
        writeln!(out, "\n  ]")?;
    }
    writeln!(out, "}}")
}

/// The table: two lines per call (its facts, then the line for a ticket),
/// then a totals line. Fits 160 columns but for the longest addresses.
pub fn write_text<C: ReportCall>(
    out: &mut impl Write,
    facts: &CaptureFacts,
    calls: &[C],
) -> io::Result<()> {
    let info = &facts.info;
    let base = info.first_ts_ns.unwrap_or(0);
    let span = match (info.first_ts_ns, info.last_ts_ns) {
        (Some(a), Some(b)) => format!(
            ", {} UTC to +{} s",
            super::format_utc(a),
            super::format_relative(b, a)
        ),
        _ => String::new(),
    };
    writeln!(
        out,
        "{}: {}, {}{span}",
        info.path,
        plural(info.frames, "frame"),
        plural(calls.len() as u64, "call"),
    )?;
    if calls.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  parties",
        "#", "start UTC", "+s", "kind", "stage", "code"
    )?;
    for (i, c) in calls.iter().enumerate() {
        let h = c.head();
        let (kind, start_ts, endpoints, v) = (h.kind, h.start_ts, h.endpoints, h.verdict);
        let parties = endpoints
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" -> ");
        let utc = super::format_utc(start_ts);
        writeln!(
            out,
            "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  {}",
            i + 1,
            utc.get(11..).unwrap_or(&utc),
            super::format_relative(start_ts, base),
            kind.as_str(),
            v.stage.as_str(),
            v.code,
            parties,
        )?;
        writeln!(out, "      {}", v.summary)?;
    }
    let stages = by_stage(calls);
    let parts: Vec<String> = stages.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let failed = calls.iter().filter(|c| c.head().verdict.failed()).count();
    writeln!(
        out,
        "totals: {}, {} failed; by stage: {}",
        plural(calls.len() as u64, "call"),
        failed,
        parts.join(", ")
    )?;
    Ok(())
}

/// Details of one call, for `--verbose` text output.
pub fn write_call_details(out: &mut impl Write, i: usize, c: &impl ReportCall) -> io::Result<()> {
    let h = c.head();
    let (id, kind, v) = (h.id, h.kind, h.verdict);
    writeln!(out, "\n[{}] {} {} {}", i + 1, kind.as_str(), id, v.code)?;
    writeln!(out, "    {}", v.summary)?;
    for e in &v.evidence {
        writeln!(out, "    frame {:>6}  {}", e.frame, e.text)?;
    }
    for a in &v.advice {
        writeln!(out, "    next: {a}")?;
    }
    Ok(())
}
