//! `callscope analyze`: the report of `report.md` as JSON, or a table.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::analysis::evidence::plural;
use crate::analysis::timeline::TimelineEvent;
use crate::analysis::Analyzer;
use crate::capture::RawFrame;
use crate::engine::{CallSelection, JudgedCall, SessionObserver};
use crate::net::link_type_name;
use crate::pipeline::DecodedFrame;

use super::call_facts::summarize;
pub use super::capture_facts::{
    warnings, write_warnings, CaptureFacts, LiveFacts, LiveInterfaceFacts,
};
use super::format_epoch;

use super::indent::write_indented;
use super::spool::Spool;

pub const SCHEMA: &str = "callscope.report/1";

/// One call in the report, serialised as it is, with no `Value` tree in
/// between (the bulk of a large report: timelines, streams, verdicts).
/// Fields of this and the structs below are in the order of their names,
/// the order serde_json gives the keys of the objects built as `Value`s
/// (a `Value` map sorts them), so the report reads as one whole; a test
/// holds the two to be the same bytes on every sample.
#[derive(serde::Serialize)]
pub struct CallJson<'a> {
    absorbed: Vec<AbsorbedJson<'a>>,
    dtls: Option<Value>,
    end_ts: f64,
    endpoints: &'a [std::net::SocketAddr],
    frames: u64,
    ice: Option<Value>,
    id: &'a str,
    kind: &'static str,
    media: MediaJson,
    number: u32,
    sip: Option<super::call_facts::SipFacts<'a>>,
    start_ts: f64,
    timeline: Vec<TimelineEventJson>,
    turn: Vec<Value>,
    verdict: &'a crate::verdict::Verdict,
}

#[derive(serde::Serialize)]
struct AbsorbedJson<'a> {
    id: &'a str,
    number: u32,
}

#[derive(serde::Serialize)]
struct MediaJson {
    streams: Vec<super::call_facts::StreamFacts>,
}

#[derive(serde::Serialize)]
struct TimelineEventJson {
    count: u64,
    dst: std::net::SocketAddr,
    evidence: bool,
    frame: u64,
    frames: Vec<u64>,
    protocol: &'static str,
    src: std::net::SocketAddr,
    text: String,
    ts: f64,
}

pub fn call_json<'a>(c: &'a JudgedCall<'_>) -> CallJson<'a> {
    call_json_from(c, c.timeline())
}

/// [`call_json`] with the call's timeline already built (a caller that
/// needs it too builds it once).
pub fn call_json_from<'a>(c: &'a JudgedCall<'_>, timeline: Vec<TimelineEvent>) -> CallJson<'a> {
    let summary = summarize(c.parts());
    CallJson {
        absorbed: c
            .absorbed
            .iter()
            .map(|(number, id)| AbsorbedJson {
                id,
                number: *number,
            })
            .collect(),
        dtls: summary.dtls,
        end_ts: format_epoch(c.call.end_ts),
        endpoints: &c.call.endpoints,
        frames: c.frames,
        ice: summary.ice,
        id: c.id(),
        kind: c.kind().as_str(),
        media: MediaJson {
            streams: summary.streams,
        },
        number: c.number,
        sip: summary.sip,
        start_ts: format_epoch(c.call.start_ts),
        timeline: timeline
            .into_iter()
            .map(|e| TimelineEventJson {
                count: e.count,
                dst: e.dst,
                evidence: e.evidence,
                frame: e.frame,
                frames: e.frames,
                protocol: e.protocol,
                src: e.src,
                text: e.text,
                ts: format_epoch(e.ts),
            })
            .collect(),
        turn: summary.turn,
        verdict: &c.verdict,
    }
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
    let mut capture = json!({
        "path": info.path,
        "format": info.format,
        "gzip": info.gzip,
        "link_types": info.link_types.iter().map(|l| link_type_name(*l)).collect::<Vec<_>>(),
        "frames": info.frames,
        "bytes": info.bytes,
        "first_ts": info.first_ts_ns.map(format_epoch),
        "last_ts": info.last_ts_ns.map(format_epoch),
        "undecodable_frames": facts.accounting.undecodable(),
        "undecodable_by_reason": facts.accounting.undecodable_by_reason,
        "unrecognised": facts.accounting.unrecognised.iter()
            .map(|(k, n)| (k.to_string(), *n))
            .chain((facts.accounting.unrecognised_other > 0).then(|| ("other".to_string(), facts.accounting.unrecognised_other)))
            .collect::<BTreeMap<_, _>>(),
        "undecoded_link_types": facts.accounting.unsupported_link_types.iter()
            .map(|(l, n)| (link_type_name(*l), *n)).collect::<BTreeMap<_, _>>(),
        "limits": facts.limits.iter().map(|l| json!({
            "table": l.table, "effect": l.effect, "count": l.count,
        })).collect::<Vec<_>>(),
        "end_ts": facts.info.end_ts_ns.map(format_epoch),
        "error": facts.error,
    });
    // Only a live session's report has it: offline reports are unchanged.
    if let (Some(live), Some(map)) = (&facts.live, capture.as_object_mut()) {
        map.insert("live".into(), json!(live));
    }
    // Only with TLS in the capture.
    if let (false, Some(map)) = (facts.tls.is_empty(), capture.as_object_mut()) {
        map.insert("tls_connections".into(), json!(facts.tls));
    }
    capture
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

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// The table; with `verbose`, each call's evidence and advice after it.
    Text { verbose: bool },
    /// One pretty-printed JSON document.
    Json,
    /// One compact JSON line (several captures: one line each).
    JsonLine,
    /// Nothing rendered: the calls are only counted (`triage --per-file`).
    Counts,
    /// One self-contained HTML page with every failed call's ladder.
    Html,
    /// The HTML page's content in Markdown.
    Markdown,
}

/// Where a call's report text sits in the spool.
struct SpoolEntry {
    start_ts: i64,
    id: String,
    number: u32,
    code: Cow<'static, str>,
    failed: bool,
    /// Table rows (text), the call's JSON, or its drawn section (HTML,
    /// Markdown; empty where it will not be drawn).
    main: (u64, u32),
    /// Evidence and advice (verbose text), or the call's table row (HTML,
    /// Markdown).
    details: (u64, u32),
}

/// Builds the report of one capture as its calls are finalised: each
/// call's text or JSON is written to a spool (an unlinked temporary file,
/// or memory where none can be made) as it is judged, with a small index
/// entry; at the end the calls come out in start order. Memory then grows
/// by one index entry per call, not by the whole report.
pub struct ReportWriter<'s> {
    format: ReportFormat,
    selection: &'s CallSelection,
    spool: Spool,
    entries: Vec<SpoolEntry>,
    by_stage: BTreeMap<&'static str, u64>,
    by_code: BTreeMap<Cow<'static, str>, u64>,
    calls: u64,
    failed: u64,
    /// Calls shown that did not fail: past a few, a page lists them
    /// without drawing them.
    not_failed: u64,
    /// Calls seen, shown or not.
    pub all_calls: u64,
    pub any_failed: bool,
    /// Capture time of the first frame: table times count from it.
    base_ts: Option<i64>,
    error: Option<io::Error>,
    /// Renders the calls of one sweep in parallel (none: one by one).
    pool: Option<rayon::ThreadPool>,
    /// Where each call's rendering also goes the moment it is judged, one
    /// line each (a live session's JSON lines).
    echo: Option<Box<dyn Write + Send + Sync>>,
}

impl<'s> ReportWriter<'s> {
    /// `threads`: the most threads rendering finalised calls at once (0:
    /// one per core); with 1, calls are rendered on the calling thread.
    pub fn new(format: ReportFormat, selection: &'s CallSelection, threads: usize) -> Self {
        let pool = crate::pipeline::side_pool(threads);
        Self {
            format,
            selection,
            pool,
            spool: Spool::new(),
            entries: Vec::new(),
            by_stage: by_stage(&[]),
            by_code: BTreeMap::new(),
            calls: 0,
            failed: 0,
            not_failed: 0,
            all_calls: 0,
            any_failed: false,
            base_ts: None,
            error: None,
            echo: None,
        }
    }

    /// Also writes each call, as rendered, to `out` the moment it is
    /// finalised (then flushes): with [`ReportFormat::JsonLine`], one JSON
    /// line per call, the same object as in the report's `calls`.
    pub fn echo_calls_to(&mut self, out: Box<dyn Write + Send + Sync>) {
        self.echo = Some(out);
    }

    /// A call's report text: its table row or JSON, and its details
    /// (verbose text); `None` for a call the selection leaves out.
    fn render(&self, c: &JudgedCall<'_>) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
        if !self.selection.matches(c) {
            return Ok(None);
        }
        let mut main = Vec::new();
        let mut details = Vec::new();
        match self.format {
            ReportFormat::Text { verbose } => {
                write_row(&mut main, c, self.base_ts.unwrap_or(c.call.start_ts))?;
                if verbose {
                    write_call_details(&mut details, c)?;
                }
            }
            ReportFormat::Json => {
                write_indented(&mut main, &call_json(c), 4)?;
            }
            ReportFormat::JsonLine => {
                main = serde_json::to_vec(&call_json(c)).map_err(io::Error::from)?;
            }
            ReportFormat::Counts => {}
            ReportFormat::Html | ReportFormat::Markdown => {
                let html = self.format == ReportFormat::Html;
                // A call that did not fail is drawn only while such calls
                // are few (counted before this sweep: a sweep's calls are
                // rendered together), so a page of many draws none of them.
                let drawn =
                    c.verdict.failed() || self.not_failed <= super::html::MAX_DRAWN_OTHERS as u64;
                let base = self.base_ts.unwrap_or(c.call.start_ts);
                if html {
                    if drawn {
                        super::html::write_call_section(&mut main, c)?;
                    }
                    super::html::write_call_row(&mut details, c, base)?;
                } else {
                    if drawn {
                        super::markdown::write_call_section(&mut main, c)?;
                    }
                    super::markdown::write_call_row(&mut details, c, base)?;
                }
            }
        }
        Ok(Some((main, details)))
    }

    /// Counts a call and spools its rendered text.
    fn store(
        &mut self,
        c: &JudgedCall<'_>,
        rendered: io::Result<Option<(Vec<u8>, Vec<u8>)>>,
    ) -> io::Result<()> {
        self.all_calls += 1;
        let Some((main, details)) = rendered? else {
            return Ok(());
        };
        // The exit status speaks of the calls shown: `--code ok` with
        // `--fail-on-failure` fails on none.
        self.any_failed |= c.verdict.failed();
        self.calls += 1;
        self.failed += u64::from(c.verdict.failed());
        self.not_failed += u64::from(!c.verdict.failed());
        *self.by_stage.entry(c.verdict.stage.as_str()).or_default() += 1;
        *self.by_code.entry(c.verdict.code.as_str()).or_default() += 1;
        if let Some(echo) = self.echo.as_mut().filter(|_| !main.is_empty()) {
            echo.write_all(&main)?;
            if !main.ends_with(b"\n") {
                echo.write_all(b"\n")?;
            }
            echo.flush()?;
        }
        let main = self.spool.put(&main)?;
        let details = self.spool.put(&details)?;
        self.entries.push(SpoolEntry {
            start_ts: c.call.start_ts,
            id: c.call.id.clone(),
            number: c.number,
            code: c.verdict.code.as_str(),
            failed: c.verdict.failed(),
            main,
            details,
        });
        Ok(())
    }

    /// The spool written out and the calls in report order: by start,
    /// then id.
    fn settle(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.spool.flush()?;
        self.entries
            .sort_unstable_by(|a, b| (a.start_ts, &a.id).cmp(&(b.start_ts, &b.id)));
        Ok(())
    }

    /// The capture's line of `callscope triage`: its counts, the first
    /// call of each code, and what the report warns of. With `calls_to`
    /// (a format that renders each call as one JSON line), each call is
    /// also written there, in report order, as its line in the report
    /// with `"file"` first.
    pub fn finish_triage(
        mut self,
        file: &str,
        facts: &CaptureFacts,
        calls_to: Option<&mut dyn Write>,
    ) -> io::Result<super::triage::FileLine> {
        self.settle()?;
        if let Some(out) = calls_to {
            let head = format!("{{\"file\":{},", serde_json::to_string(file)?);
            let mut buf = Vec::new();
            for e in &self.entries {
                self.spool.get(e.main, &mut buf)?;
                // `{` then the call's fields: the file goes in front.
                let fields = buf.get(1..).unwrap_or_default();
                out.write_all(head.as_bytes())?;
                out.write_all(fields)?;
                out.write_all(b"\n")?;
            }
        }
        let mut examples = BTreeMap::new();
        for e in &self.entries {
            examples
                .entry(e.code.to_string())
                .or_insert_with(|| super::triage::CallRef {
                    number: e.number,
                    id: e.id.clone(),
                });
        }
        Ok(super::triage::FileLine {
            file: file.to_string(),
            calls: self.calls,
            failed: self.failed,
            by_stage: self
                .by_stage
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            by_code: self
                .by_code
                .iter()
                .map(|(c, n)| (c.to_string(), *n))
                .collect(),
            examples,
            frames: facts.info.frames,
            warnings: warnings(facts),
            error: facts.error.clone(),
        })
    }

    /// Writes the whole report.
    pub fn finish(mut self, out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
        self.settle()?;
        let summary = json!({
            "calls": self.calls,
            "by_stage": self.by_stage,
            "by_code": self.by_code,
        });
        let mut buf = Vec::new();
        match self.format {
            ReportFormat::Text { verbose } => {
                write_head(out, facts, self.calls)?;
                if self.all_calls == 0 {
                    write_unrecognised(out, facts)?;
                }
                if self.calls == 0 {
                    if !self.selection.is_all() && self.all_calls > 0 {
                        writeln!(
                            out,
                            "(shown: 0 of {}: none matches the --failed, --call or --code given)",
                            plural(self.all_calls, "call")
                        )?;
                    }
                    return Ok(());
                }
                writeln!(
                    out,
                    "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  parties",
                    "#", "start UTC", "+s", "kind", "stage", "code"
                )?;
                for e in &self.entries {
                    self.spool.get(e.main, &mut buf)?;
                    out.write_all(&buf)?;
                }
                let parts: Vec<String> = self
                    .by_stage
                    .iter()
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                writeln!(
                    out,
                    "totals: {}, {} failed; by stage: {}",
                    plural(self.calls, "call"),
                    self.failed,
                    parts.join(", ")
                )?;
                let mut codes: Vec<(&Cow<'static, str>, &u64)> = self.by_code.iter().collect();
                codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
                writeln!(out, "by code: {}", codes.join(", "))?;
                if !self.selection.is_all() && self.calls < self.all_calls {
                    writeln!(
                        out,
                        "(shown: {} of {} calls; the totals count the calls shown)",
                        self.calls, self.all_calls
                    )?;
                }
                if verbose {
                    for e in &self.entries {
                        self.spool.get(e.details, &mut buf)?;
                        out.write_all(&buf)?;
                    }
                }
                Ok(())
            }
            ReportFormat::Json => {
                writeln!(out, "{{")?;
                writeln!(out, "  \"schema\": {},", serde_json::to_string(SCHEMA)?)?;
                // Nested one level: two more spaces on every line but the first.
                write!(out, "  \"capture\": ")?;
                write_indented(out, &capture_json(facts), 2)?;
                write!(out, ",\n  \"summary\": ")?;
                write_indented(out, &summary, 2)?;
                writeln!(out, ",")?;
                write!(out, "  \"calls\": [")?;
                for (i, e) in self.entries.iter().enumerate() {
                    self.spool.get(e.main, &mut buf)?;
                    write!(out, "{}\n    ", if i == 0 { "" } else { "," })?;
                    out.write_all(&buf)?;
                }
                if self.entries.is_empty() {
                    writeln!(out, "]")?;
                } else {
                    writeln!(out, "\n  ]")?;
                }
                writeln!(out, "}}")
            }
            ReportFormat::Counts => Ok(()),
            ReportFormat::Html | ReportFormat::Markdown => {
                let totals = super::html::ReportTotals {
                    calls: self.calls,
                    failed: self.failed,
                    all_calls: self.all_calls,
                    by_stage: &self.by_stage,
                    by_code: &self.by_code,
                };
                let calls: Vec<super::html::SpooledCall> = self
                    .entries
                    .iter()
                    .map(|e| super::html::SpooledCall {
                        number: e.number,
                        failed: e.failed,
                        section: e.main,
                        row: e.details,
                    })
                    .collect();
                let spool = &mut self.spool;
                let mut read = |at: (u64, u32), buf: &mut Vec<u8>| spool.get(at, buf);
                if self.format == ReportFormat::Html {
                    super::html::write_report(out, facts, &totals, &calls, &mut read)
                } else {
                    super::markdown::write_report(out, facts, &totals, &calls, &mut read)
                }
            }
            ReportFormat::JsonLine => {
                // The keys in the order serde_json sorts them, as a whole
                // report serialised at once would have them.
                write!(out, "{{\"calls\":[")?;
                for (i, e) in self.entries.iter().enumerate() {
                    self.spool.get(e.main, &mut buf)?;
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(&buf)?;
                }
                writeln!(
                    out,
                    "],\"capture\":{},\"schema\":{},\"summary\":{}}}",
                    capture_json(facts),
                    serde_json::to_string(SCHEMA)?,
                    summary
                )
            }
        }
    }
}

impl SessionObserver for ReportWriter<'_> {
    fn frame(&mut self, frame: &DecodedFrame<'_>, _: &RawFrame<'_>, _: &Analyzer) {
        self.base_ts.get_or_insert(frame.ts_ns);
    }

    fn finalized(&mut self, call: &JudgedCall<'_>) {
        self.finalized_all(std::slice::from_ref(call));
    }

    fn finalized_all(&mut self, calls: &[JudgedCall<'_>]) {
        if self.error.is_some() {
            return;
        }
        // Rendering is most of a finalised call's cost and each call's is
        // its own: the calls of one sweep are rendered in parallel, then
        // counted and spooled in order (the same bytes as one by one).
        let rendered = crate::pipeline::map_in_order(self.pool.as_ref(), calls, |c| self.render(c));
        for (c, r) in calls.iter().zip(rendered) {
            if let Err(e) = self.store(c, r) {
                self.error = Some(e);
                return;
            }
        }
    }
}

/// The first line of the text report, and its warnings.
fn write_head(out: &mut impl Write, facts: &CaptureFacts, calls: u64) -> io::Result<()> {
    let info = &facts.info;
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
        plural(calls, "call"),
    )?;
    write_warnings(out, facts)
}

/// A call's two table lines: its facts, then the line for a ticket.
fn write_row(out: &mut impl Write, c: &JudgedCall<'_>, base: i64) -> io::Result<()> {
    let v = &c.verdict;
    let parties = c
        .call
        .endpoints
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(" -> ");
    let utc = super::format_utc(c.call.start_ts);
    writeln!(
        out,
        "{:>4}  {:<12} {:>10}  {:<16} {:<5}  {:<25}  {}",
        c.number,
        utc.get(11..).unwrap_or(&utc),
        super::format_relative(c.call.start_ts, base),
        c.kind().as_str(),
        v.stage.as_str(),
        v.code,
        parties,
    )?;
    writeln!(out, "      {}", v.summary)
}

/// For a capture with no call: what its frames were, so that "0 calls"
/// never stands alone (an encapsulation or a port we do not read).
fn write_unrecognised(out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
    let a = &facts.accounting;
    if a.unrecognised.is_empty() && a.unrecognised_other == 0 {
        return Ok(());
    }
    let mut kinds: Vec<(String, u64)> = a
        .unrecognised
        .iter()
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
    kinds.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    // The five largest by name, the others as one count.
    let (top, others) = kinds.split_at(kinds.len().min(5));
    let rest: u64 = others.iter().map(|k| k.1).sum::<u64>() + a.unrecognised_other;
    let total = top.iter().map(|k| k.1).sum::<u64>() + rest;
    let shown: Vec<String> = top.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(
        out,
        "note: no SIP, STUN/TURN, DTLS, TLS or RTP found; {} not recognised, by what carried them: {}{}",
        plural(total, "frame"),
        shown.join(", "),
        if rest > 0 {
            format!(", others {rest}")
        } else {
            String::new()
        }
    )
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
