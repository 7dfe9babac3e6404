//! `callscope analyze`: the report of `report.md` as JSON, or a table.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analysis::evidence::plural;
use crate::capture::{CaptureFormat, CaptureInfo};
use crate::engine::{FrameAccounting, JudgedCall, LimitHit};
use crate::net::link_type_name;

use super::call_facts::summarize;
use super::format_epoch;

pub const SCHEMA: &str = "callscope.report/1";

/// What the report says of the capture besides its calls.
#[derive(Debug, Clone, Default)]
pub struct CaptureFacts {
    pub info: CaptureInfo,
    pub accounting: FrameAccounting,
    /// Bounds of the analysis that were reached: never a silent drop.
    pub limits: Vec<LimitHit>,
    /// An error that stopped reading early (a file cut short).
    pub error: Option<String>,
}

pub fn call_json(c: &JudgedCall<'_>) -> Value {
    let summary = summarize(c.parts());
    json!({
        "id": c.id(),
        "number": c.number,
        "kind": c.kind().as_str(),
        "start_ts": format_epoch(c.call.start_ts),
        "end_ts": format_epoch(c.call.end_ts),
        "endpoints": c.call.endpoints.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "frames": c.frames,
        "absorbed": c.absorbed.iter().map(|(n, id)| json!({"number": n, "id": id})).collect::<Vec<_>>(),
        "sip": summary.sip,
        "ice": summary.ice,
        "turn": summary.turn,
        "dtls": summary.dtls,
        "media": {"streams": summary.streams},
        "verdict": c.verdict,
        "timeline": c.timeline().iter().map(|e| json!({
            "frame": e.frame,
            "ts": format_epoch(e.ts),
            "src": e.src.to_string(),
            "dst": e.dst.to_string(),
            "protocol": e.protocol,
            "text": e.text,
            "frames": e.frames,
            "count": e.count,
            "evidence": e.evidence,
        })).collect::<Vec<_>>(),
    })
}

pub fn by_stage(calls: &[&JudgedCall<'_>]) -> BTreeMap<&'static str, u64> {
    let mut m: BTreeMap<&'static str, u64> = ["none", "sip", "ice", "dtls", "media"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for c in calls {
        *m.entry(c.verdict.stage.as_str()).or_default() += 1;
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
        "undecodable_frames": facts.accounting.undecodable,
        "undecodable_by_reason": facts.accounting.undecodable_by_reason,
        "undecoded_link_types": facts.accounting.unsupported_link_types.iter()
            .map(|(l, n)| (link_type_name(*l), *n)).collect::<BTreeMap<_, _>>(),
        "limits": facts.limits.iter().map(|l| json!({
            "table": l.table, "effect": l.effect, "count": l.count,
        })).collect::<Vec<_>>(),
        "end_ts": facts.info.end_ts_ns.map(format_epoch),
        "error": facts.error,
    })
}

/// Calls by verdict code, most frequent first.
pub fn by_code(calls: &[&JudgedCall<'_>]) -> Vec<(Cow<'static, str>, u64)> {
    let mut m: BTreeMap<Cow<'static, str>, u64> = BTreeMap::new();
    for c in calls {
        *m.entry(c.verdict.code.as_str()).or_default() += 1;
    }
    let mut v: Vec<(Cow<'static, str>, u64)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn summary_json(calls: &[&JudgedCall<'_>]) -> Value {
    let mut by_code: BTreeMap<Cow<'static, str>, u64> = BTreeMap::new();
    for c in calls {
        *by_code.entry(c.verdict.code.as_str()).or_default() += 1;
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
        "summary": {"calls": 0, "by_stage": by_stage(&[]), "by_code": {}},
        "calls": [],
    })
}

/// The whole report as one JSON value (small captures, tests).
pub fn report_json(facts: &CaptureFacts, calls: &[&JudgedCall<'_>]) -> Value {
    json!({
        "schema": SCHEMA,
        "capture": capture_json(facts),
        "summary": summary_json(calls),
        "calls": calls.iter().map(|c| call_json(c)).collect::<Vec<_>>(),
    })
}

/// Writes the same report call by call, so that a capture with thousands of
/// calls never holds its whole report in memory. Pretty-printed.
pub fn write_report_json(
    out: &mut impl Write,
    facts: &CaptureFacts,
    calls: &[&JudgedCall<'_>],
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
pub fn write_text(
    out: &mut impl Write,
    facts: &CaptureFacts,
    calls: &[&JudgedCall<'_>],
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
    write_warnings(out, facts)?;
    if calls.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  parties",
        "#", "start UTC", "+s", "kind", "stage", "code"
    )?;
    for c in calls {
        let (kind, start_ts, endpoints, v) =
            (c.kind(), c.call.start_ts, &c.call.endpoints, &c.verdict);
        let parties = endpoints
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" -> ");
        let utc = super::format_utc(start_ts);
        writeln!(
            out,
            "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  {}",
            c.number,
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
    let failed = calls.iter().filter(|c| c.verdict.failed()).count();
    writeln!(
        out,
        "totals: {}, {} failed; by stage: {}",
        plural(calls.len() as u64, "call"),
        failed,
        parts.join(", ")
    )?;
    let codes: Vec<String> = by_code(calls)
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    writeln!(out, "by code: {}", codes.join(", "))?;
    Ok(())
}

/// One line per bound reached and per kind of frame that could not be
/// decoded: what the numbers above do not include.
pub fn write_warnings(out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
    for l in &facts.limits {
        writeln!(
            out,
            "warning: bound reached in {}: {} {}",
            l.table, l.count, l.effect
        )?;
    }
    for (link, n) in &facts.accounting.unsupported_link_types {
        writeln!(
            out,
            "warning: {} of link type {} ({link}) not decoded",
            plural(*n, "frame"),
            link_type_name(*link)
        )?;
    }
    for (reason, n) in &facts.accounting.undecodable_by_reason {
        if *reason == "unsupported link type" {
            continue;
        }
        writeln!(
            out,
            "warning: {} not decoded: {reason}",
            plural(*n, "frame")
        )?;
    }
    Ok(())
}

/// Details of one call, for `--verbose` text output.
pub fn write_call_details(out: &mut impl Write, c: &JudgedCall<'_>) -> io::Result<()> {
    let (id, kind, v) = (c.id(), c.kind(), &c.verdict);
    writeln!(
        out,
        "\n[{}] {} {} {} ({})",
        c.number,
        kind.as_str(),
        id,
        v.code,
        plural(c.frames, "frame")
    )?;
    for (n, old) in &c.absorbed {
        writeln!(
            out,
            "    includes call {n} ({old}), read earlier as a call of its own"
        )?;
    }
    writeln!(out, "    {}", v.summary)?;
    for e in &v.evidence {
        writeln!(out, "    frame {:>6}  {}", e.frame, e.text)?;
    }
    for a in &v.advice {
        writeln!(out, "    next: {a}")?;
    }
    Ok(())
}
