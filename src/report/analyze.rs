//! `callscope analyze`: the report of `report.md` as JSON, or a table.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analysis::Call;
use crate::capture::{CaptureFormat, CaptureInfo};
use crate::net::link_type_name;

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

pub fn call_json(c: &Call) -> Value {
    json!({
        "id": c.id,
        "kind": c.kind.as_str(),
        "start_ts": format_epoch(c.start_ts),
        "end_ts": format_epoch(c.end_ts),
        "endpoints": c.endpoints.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "sip": c.summary.sip,
        "ice": c.summary.ice,
        "turn": c.summary.turn,
        "dtls": c.summary.dtls,
        "media": {"streams": c.summary.streams},
        "verdict": c.verdict,
    })
}

pub fn by_stage(calls: &[Call]) -> BTreeMap<&'static str, u64> {
    let mut m: BTreeMap<&'static str, u64> = ["none", "sip", "ice", "dtls", "media"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for c in calls {
        *m.entry(c.verdict.stage.as_str()).or_default() += 1;
    }
    m
}

pub fn report_json(facts: &CaptureFacts, calls: &[Call]) -> Value {
    let info = &facts.info;
    let mut by_code: BTreeMap<&str, u64> = BTreeMap::new();
    for c in calls {
        *by_code.entry(c.verdict.code.as_str()).or_default() += 1;
    }
    json!({
        "schema": SCHEMA,
        "capture": {
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
        },
        "summary": {
            "calls": calls.len(),
            "by_stage": by_stage(calls),
            "by_code": by_code,
        },
        "calls": calls.iter().map(call_json).collect::<Vec<_>>(),
    })
}

/// The table: one row per call, then a totals line.
pub fn write_text(out: &mut impl Write, facts: &CaptureFacts, calls: &[Call]) -> io::Result<()> {
    let info = &facts.info;
    let base = info.first_ts_ns.unwrap_or(0);
    writeln!(
        out,
        "{}: {} frames, {} calls",
        info.path,
        info.frames,
        calls.len()
    )?;
    if calls.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:>4} {:>9} {:<16} {:<45} {:<6} {:<24} summary",
        "#", "start", "kind", "parties", "stage", "code"
    )?;
    for (i, c) in calls.iter().enumerate() {
        let parties = c
            .endpoints
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" -> ");
        writeln!(
            out,
            "{:>4} {:>9} {:<16} {:<45} {:<6} {:<24} {}",
            i + 1,
            super::format_relative(c.start_ts, base),
            c.kind.as_str(),
            parties,
            c.verdict.stage.as_str(),
            c.verdict.code,
            c.verdict.summary
        )?;
    }
    let stages = by_stage(calls);
    let parts: Vec<String> = stages.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let failed = calls.iter().filter(|c| c.verdict.failed()).count();
    writeln!(
        out,
        "totals: {} calls, {} failed; by stage: {}",
        calls.len(),
        failed,
        parts.join(", ")
    )?;
    Ok(())
}

/// Details of one call, for `--verbose` text output.
pub fn write_call_details(out: &mut impl Write, i: usize, c: &Call) -> io::Result<()> {
    writeln!(
        out,
        "\n[{}] {} {} {}",
        i + 1,
        c.kind.as_str(),
        c.id,
        c.verdict.code
    )?;
    writeln!(out, "    {}", c.verdict.summary)?;
    for e in &c.verdict.evidence {
        writeln!(out, "    frame {:>6}  {}", e.frame, e.text)?;
    }
    for a in &c.verdict.advice {
        writeln!(out, "    next: {a}")?;
    }
    Ok(())
}
