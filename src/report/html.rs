//! `analyze --format html`: one self-contained page to attach to a ticket.
//! The capture and its totals at the top, then every failed call with its
//! verdict and its ladder drawn in SVG, then the other calls (drawn when
//! they are few, else one table row each). Inline CSS only: no script, no
//! font, no image fetched from anywhere, so the page opens offline and
//! survives being mailed. It reads in a dark-mode browser and on paper.
//!
//! The page is well-formed XML as well as HTML (every element closed,
//! every text escaped), so a test can read it with an XML parser.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_xml::escape::escape;

use crate::analysis::evidence::plural;
use crate::engine::JudgedCall;
use crate::net::link_type_name;
use crate::verdict::{twilio_error_meaning, VerdictCode};

use super::capture_facts::{warnings, CaptureFacts};
use super::svg_ladder::write_svg_ladder;
use super::{format_relative, format_utc};

/// Failed calls drawn at most; the others are listed in their table, with
/// the command that draws one.
pub const MAX_DRAWN_FAILED: usize = 1_000;
/// The other calls (ok, or cut off by the end of the capture) are drawn
/// when there are at most this many; past it, only their table.
pub const MAX_DRAWN_OTHERS: usize = 20;
/// Rows of a table at most: a page for a capture of a million calls must
/// still open. The rows left out are counted.
pub const MAX_TABLE_ROWS: usize = 5_000;

/// What the report keeps of one call until the page is written: where its
/// section and its table row sit in the report's spool.
pub struct SpooledCall {
    pub number: u32,
    pub failed: bool,
    /// The drawn section; empty when it was not rendered.
    pub section: (u64, u32),
    /// The table row after its number cell.
    pub row: (u64, u32),
}

/// The counts at the top of the page.
pub struct ReportTotals<'a> {
    pub calls: u64,
    pub failed: u64,
    /// Calls seen, shown or not (`--failed`, `--call`, `--code`).
    pub all_calls: u64,
    pub by_stage: &'a BTreeMap<&'static str, u64>,
    pub by_code: &'a BTreeMap<Cow<'static, str>, u64>,
}

/// Reads a spooled text back into the buffer.
pub type SpoolRead<'a> = dyn FnMut((u64, u32), &mut Vec<u8>) -> io::Result<()> + 'a;

const STYLE: &str = r#"
:root{--bg:#fff;--fg:#1d232a;--mute:#5b6670;--line:#c3ccd5;--bad:#c62828;--ok:#2e7d32;--warn:#a15c00;--rtp:#1565c0;--card:#f5f7f9;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#10151a;--fg:#e3e6e8;--mute:#9aa5b1;--line:#3b4550;--bad:#ff6b6b;--ok:#7bd88f;--warn:#f0b45a;--rtp:#6cb6ff;--card:#1a2129}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);margin:0 auto;max-width:1200px;padding:16px 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:16px;margin:0 0 6px}
a{color:var(--rtp)}code,.mono{font-family:ui-monospace,"SF Mono",Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;margin:6px 0}th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top;border-bottom:1px solid var(--line)}th{font-weight:600;color:var(--mute)}
td.n{text-align:right}.calls td:nth-child(-n+6){white-space:nowrap}.calls td:nth-child(2){font-variant-numeric:tabular-nums}.facts th{width:12em;white-space:nowrap}
.bad{color:var(--bad)}.ok{color:var(--ok)}.warn{color:var(--warn)}
.pill{display:inline-block;padding:0 8px;border-radius:10px;border:1px solid currentColor;font-size:12.5px;font-weight:600;margin-right:6px}
article{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--ok);border-radius:6px;padding:12px 14px;margin:14px 0}
article.failed{border-left-color:var(--bad)}article.ended{border-left-color:var(--warn)}
article{content-visibility:auto;contain-intrinsic-size:auto 420px}
.meta{color:var(--mute);margin:0 0 6px}.summary{font-weight:600;margin:6px 0}
ul{margin:4px 0 8px;padding-left:20px}ul.evidence{list-style:none;padding-left:0}ul.evidence b{display:inline-block;min-width:4.5em;text-align:right;margin-right:10px;font:600 12.5px ui-monospace,Menlo,Consolas,monospace}
figure{margin:8px 0 0;overflow-x:auto}
svg.ladder{max-width:100%;height:auto;font:12px system-ui,-apple-system,"Segoe UI",sans-serif}
.ladder text{fill:var(--fg)}
.ladder .ft{fill:var(--mute);text-anchor:end;white-space:pre;font:11px ui-monospace,Menlo,Consolas,monospace}
.ladder .role{font-weight:700;text-anchor:middle}
.ladder .addr{text-anchor:middle;fill:var(--mute);font-family:ui-monospace,Menlo,Consolas,monospace}
.ladder .life{stroke:var(--line);stroke-dasharray:4 3;fill:none}
.ladder .a.loop{fill:none}
.ladder .a{stroke:var(--fg);fill:var(--fg);stroke-width:1.3;stroke-linejoin:round}
.ladder .l{text-anchor:middle}.ladder .l.s{text-anchor:start}
.ladder .bar{fill:var(--rtp);opacity:.6}.ladder .rtp .a{fill:var(--rtp);stroke:var(--rtp)}
.ladder .bad .a{stroke:var(--bad);fill:var(--bad);stroke-width:2.2}
.ladder .bad .bar{fill:var(--bad)}
.ladder .bad text{fill:var(--bad);font-weight:700}
footer{color:var(--mute);margin-top:30px;font-size:12px}
@media print{:root{--bg:#fff;--fg:#000;--mute:#444;--line:#aaa;--bad:#b00000;--ok:#1b5e20;--warn:#7a4500;--rtp:#1f4e9c;--card:#fff}
body{max-width:none;padding:0;font-size:10.5pt}article{break-inside:avoid;content-visibility:visible}h2{break-after:avoid}a{color:inherit;text-decoration:none}}
"#;

/// `s` as XML text: markup characters escaped, and the characters XML
/// 1.0 does not allow at all (control bytes from a hostile or broken
/// capture, such as a NUL in a SIP reason) shown as U+FFFD.
pub fn esc(s: &str) -> Cow<'_, str> {
    let not_xml = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if s.chars().any(not_xml) {
        let kept: String = s
            .chars()
            .map(|c| if not_xml(c) { '\u{FFFD}' } else { c })
            .collect();
        Cow::Owned(escape(&kept).into_owned())
    } else {
        escape(s)
    }
}

/// The colour class of a verdict code: a failure, cut off by the end of
/// the capture (not judged either way), or ok.
fn code_class(code: Option<VerdictCode>) -> &'static str {
    match code {
        Some(c) if c.is_failure() => "bad",
        Some(VerdictCode::CaptureEnded) => "warn",
        _ => "ok",
    }
}

fn verdict_class(v: &crate::verdict::Verdict) -> &'static str {
    code_class(Some(v.code))
}

/// One row of the table of codes, which the HTML and Markdown reports
/// both write: the code, its calls, its colour class and its Twilio error.
pub struct CodeRow<'a> {
    pub code: &'a str,
    pub calls: u64,
    pub class: &'static str,
    pub twilio: String,
}

/// The table of codes in [`super::code_order`].
pub fn code_rows<'a>(by_code: &'a BTreeMap<Cow<'static, str>, u64>) -> Vec<CodeRow<'a>> {
    let mut codes: Vec<(&str, u64)> = by_code.iter().map(|(c, n)| (c.as_ref(), *n)).collect();
    codes.sort_by(|a, b| super::code_order(a.0, a.1).cmp(&super::code_order(b.0, b.1)));
    codes
        .into_iter()
        .map(|(code, calls)| {
            let parsed = VerdictCode::parse(code);
            CodeRow {
                code,
                calls,
                class: code_class(parsed),
                twilio: parsed
                    .and_then(|c| c.twilio_hint())
                    .map(|t| format!("{t}: {}", twilio_error_meaning(t)))
                    .unwrap_or_else(|| "–".to_string()),
            }
        })
        .collect()
}

/// How a page groups its calls: the failed ones, then the others (ok, or
/// cut off by the capture's end), which are drawn only when they are few
/// and every one was rendered (see [`MAX_DRAWN_OTHERS`]).
pub struct CallGroups<'a> {
    pub failed: Vec<&'a SpooledCall>,
    pub others: Vec<&'a SpooledCall>,
    pub draw_others: bool,
}

impl<'a> CallGroups<'a> {
    pub fn new(calls: &'a [SpooledCall]) -> Self {
        let (failed, others): (Vec<&SpooledCall>, Vec<&SpooledCall>) =
            calls.iter().partition(|c| c.failed);
        let draw_others =
            others.len() <= MAX_DRAWN_OTHERS && others.iter().all(|c| c.section.1 > 0);
        Self {
            failed,
            others,
            draw_others,
        }
    }
}

/// Writes the spooled sections of `calls`, in order.
pub fn write_sections(
    out: &mut impl Write,
    calls: &[&SpooledCall],
    read: &mut SpoolRead<'_>,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    for c in calls {
        read(c.section, buf)?;
        out.write_all(buf)?;
    }
    Ok(())
}

/// Writes one call's section: its verdict and its ladder.
pub fn write_call_section(out: &mut impl Write, c: &JudgedCall<'_>) -> io::Result<()> {
    let v = &c.verdict;
    let cls = verdict_class(v);
    writeln!(
        out,
        r#"<article class="call{}" id="call-{}">"#,
        match cls {
            "bad" => " failed",
            "warn" => " ended",
            _ => "",
        },
        c.number
    )?;
    write!(
        out,
        r##"<h3><a href="#call-{n}">Call {n}</a> <span class="pill {cls}">{code}</span><span class="pill">stage: {stage}</span>"##,
        n = c.number,
        code = esc(&v.code.as_str()),
        stage = v.stage.as_str(),
    )?;
    if let Some(t) = v.twilio_error {
        write!(
            out,
            r#"<span class="pill warn">Twilio {t}: {}</span>"#,
            esc(twilio_error_meaning(t))
        )?;
    }
    writeln!(out, "</h3>")?;
    writeln!(
        out,
        r#"<p class="meta">{} · <code>{}</code> · {} UTC · {} · {}</p>"#,
        c.kind().as_str(),
        esc(c.id()),
        format_utc(c.call.start_ts),
        plural(c.frames, "frame"),
        esc(&c
            .call
            .endpoints
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" → "))
    )?;
    for (n, old) in &c.absorbed {
        writeln!(
            out,
            r#"<p class="meta">Includes call {n} (<code>{}</code>), read earlier as a call of its own.</p>"#,
            esc(old)
        )?;
    }
    writeln!(out, r#"<p class="summary">{}</p>"#, esc(&v.summary))?;
    if !v.evidence.is_empty() {
        write!(out, r#"<ul class="evidence">"#)?;
        for e in &v.evidence {
            write!(out, "<li><b>{}</b> {}</li>", e.frame, esc(&e.text))?;
        }
        writeln!(out, "</ul>")?;
    }
    if !v.advice.is_empty() {
        write!(
            out,
            r#"<p class="meta">What to do next:</p><ul class="advice">"#
        )?;
        for a in &v.advice {
            write!(out, "<li>{}</li>", esc(a))?;
        }
        writeln!(out, "</ul>")?;
    }
    let events = c.timeline();
    if events.is_empty() {
        writeln!(out, r#"<p class="meta">No events to draw.</p>"#)?;
    } else {
        writeln!(out, "<figure>")?;
        write_svg_ladder(out, c, &events)?;
        writeln!(out, "</figure>")?;
    }
    writeln!(out, "</article>")
}

/// Writes one call's table row, after its number cell (which the page
/// writes: a link when the call is drawn).
pub fn write_call_row(out: &mut impl Write, c: &JudgedCall<'_>, base_ts: i64) -> io::Result<()> {
    let v = &c.verdict;
    writeln!(
        out,
        r#"<td>{}</td><td>{}</td><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
        format_relative(c.call.start_ts, base_ts),
        c.kind().as_str(),
        v.stage.as_str(),
        verdict_class(v),
        esc(&v.code.as_str()),
        v.twilio_error
            .map_or_else(|| "–".to_string(), |t| t.to_string()),
        esc(&v.summary)
    )
}

fn write_head(out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="en"><head><meta charset="utf-8"/>"#)?;
    writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1"/><meta name="color-scheme" content="light dark"/>"#
    )?;
    writeln!(out, "<title>callscope: {}</title>", esc(&facts.info.path))?;
    writeln!(out, "<style>{STYLE}</style></head><body>")
}

/// The capture's name as shown: standard input said in words.
pub fn shown_path(path: &str) -> &str {
    if path == "-" {
        "(standard input)"
    } else {
        path
    }
}

fn fact(out: &mut impl Write, name: &str, value: &str) -> io::Result<()> {
    writeln!(out, "<tr><th>{name}</th><td>{value}</td></tr>")
}

fn write_capture(out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
    let info = &facts.info;
    writeln!(
        out,
        r#"<section id="capture"><h2>Capture</h2><table class="facts">"#
    )?;
    fact(
        out,
        "file",
        &format!("<code>{}</code>", esc(shown_path(&info.path))),
    )?;
    let format = format!(
        "{}{}",
        info.format.map_or("unknown", |f| f.as_str()),
        if info.gzip { ", gzip" } else { "" }
    );
    fact(out, "format", &esc(&format))?;
    let links: Vec<String> = info.link_types.iter().map(|l| link_type_name(*l)).collect();
    fact(out, "link types", &esc(&links.join(", ")))?;
    fact(
        out,
        "frames",
        &format!("{} ({} bytes)", info.frames, info.bytes),
    )?;
    if let (Some(a), Some(b)) = (info.first_ts_ns, info.last_ts_ns) {
        fact(
            out,
            "time",
            &format!("{} UTC to +{} s", format_utc(a), format_relative(b, a)),
        )?;
    }
    if let (Some(end), Some(a)) = (info.stopped_ts(), info.first_ts_ns) {
        fact(
            out,
            "capture stopped",
            &format!("+{} s (judged as of then)", format_relative(end, a)),
        )?;
    }
    let undecodable = facts.accounting.undecodable();
    fact(
        out,
        "frames not decoded",
        &if undecodable == 0 {
            "none".to_string()
        } else {
            format!(r#"<span class="warn">{undecodable}</span>"#)
        },
    )?;
    fact(
        out,
        "limits reached",
        &if facts.limits.is_empty() {
            "none".to_string()
        } else {
            format!(
                r#"<span class="warn">{}</span>"#,
                esc(&facts
                    .limits
                    .iter()
                    .map(|l| format!("{} ({} {})", l.table, l.count, l.effect))
                    .collect::<Vec<_>>()
                    .join("; "))
            )
        },
    )?;
    if let Some(e) = &facts.error {
        fact(
            out,
            "error",
            &format!(r#"<span class="bad">{}</span>"#, esc(e)),
        )?;
    }
    writeln!(out, "</table>")?;
    let warnings = warnings(facts);
    if !warnings.is_empty() {
        write!(out, r#"<ul class="warnings">"#)?;
        for w in warnings {
            write!(out, r#"<li class="warn">{}</li>"#, esc(&w))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

fn write_totals(out: &mut impl Write, t: &ReportTotals<'_>) -> io::Result<()> {
    writeln!(out, r#"<section id="totals"><h2>Totals</h2>"#)?;
    writeln!(
        out,
        r#"<p><b>{}</b>, <b class="{}">{} failed</b>{}.</p>"#,
        plural(t.calls, "call"),
        if t.failed > 0 { "bad" } else { "ok" },
        t.failed,
        if t.calls < t.all_calls {
            format!(
                " (shown: {} of {}, chosen by --failed, --call or --code; the totals count the calls shown)",
                t.calls, t.all_calls
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        r#"<table class="by-stage"><tr><th>stage</th><th>calls</th></tr>"#
    )?;
    for (stage, n) in t.by_stage {
        writeln!(out, r#"<tr><td>{stage}</td><td class="n">{n}</td></tr>"#)?;
    }
    writeln!(out, "</table>")?;
    if !t.by_code.is_empty() {
        writeln!(
            out,
            r#"<table class="by-code"><tr><th>code</th><th>calls</th><th>Twilio</th></tr>"#
        )?;
        for row in code_rows(t.by_code) {
            writeln!(
                out,
                r#"<tr><td class="{}">{}</td><td class="n">{}</td><td>{}</td></tr>"#,
                row.class,
                esc(row.code),
                row.calls,
                esc(&row.twilio)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    writeln!(out, "</section>")
}

/// A table of calls: the number cell (a link to the call's section where
/// it is drawn), then the spooled row. At most [`MAX_TABLE_ROWS`] rows.
fn write_table(
    out: &mut impl Write,
    calls: &[&SpooledCall],
    drawn: &dyn Fn(&SpooledCall) -> bool,
    read: &mut SpoolRead<'_>,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    writeln!(
        out,
        r#"<table class="calls"><tr><th>#</th><th>+s</th><th>kind</th><th>stage</th><th>code</th><th>Twilio</th><th>summary</th></tr>"#
    )?;
    for c in calls.iter().take(MAX_TABLE_ROWS) {
        if drawn(c) {
            write!(
                out,
                r##"<tr><td class="n"><a href="#call-{n}">{n}</a></td>"##,
                n = c.number
            )?;
        } else {
            write!(
                out,
                r#"<tr id="call-{n}"><td class="n">{n}</td>"#,
                n = c.number
            )?;
        }
        read(c.row, buf)?;
        out.write_all(buf)?;
    }
    writeln!(out, "</table>")?;
    if calls.len() > MAX_TABLE_ROWS {
        writeln!(
            out,
            r#"<p class="warn">{} more not listed here (at most {MAX_TABLE_ROWS} rows); <code>callscope analyze</code> lists every call.</p>"#,
            calls.len() - MAX_TABLE_ROWS
        )?;
    }
    Ok(())
}

/// Writes the whole page. `calls` are in report order (start, then id).
pub fn write_report(
    out: &mut impl Write,
    facts: &CaptureFacts,
    totals: &ReportTotals<'_>,
    calls: &[SpooledCall],
    read: &mut SpoolRead<'_>,
) -> io::Result<()> {
    write_head(out, facts)?;
    writeln!(
        out,
        r#"<header><h1>callscope report</h1><p class="meta"><code>{}</code>: {}, {} failed{}</p></header>"#,
        esc(shown_path(&facts.info.path)),
        plural(totals.calls, "call"),
        totals.failed,
        if facts.error.is_some() {
            r#" · <b class="bad">capture cut short: only the frames before the cut are analysed</b>"#
        } else {
            ""
        }
    )?;
    write_capture(out, facts)?;
    write_totals(out, totals)?;

    let CallGroups {
        failed,
        others,
        draw_others,
    } = CallGroups::new(calls);
    let mut buf = Vec::new();

    writeln!(
        out,
        r#"<section id="failed"><h2>Failed calls ({})</h2>"#,
        failed.len()
    )?;
    if failed.is_empty() {
        writeln!(out, "<p>No call failed.</p>")?;
    } else {
        let drawn = &failed[..failed.len().min(MAX_DRAWN_FAILED)];
        let drawn_numbers: std::collections::HashSet<u32> = drawn
            .iter()
            .filter(|c| c.section.1 > 0)
            .map(|c| c.number)
            .collect();
        let is_drawn = |c: &SpooledCall| drawn_numbers.contains(&c.number);
        write_table(out, &failed, &is_drawn, read, &mut buf)?;
        if failed.len() > MAX_DRAWN_FAILED {
            writeln!(
                out,
                r#"<p class="warn">The first {MAX_DRAWN_FAILED} failed calls are drawn below; <code>callscope ladder --call N</code> draws any other.</p>"#
            )?;
        }
        write_sections(out, drawn, read, &mut buf)?;
    }
    writeln!(out, "</section>")?;

    writeln!(
        out,
        r#"<section id="others"><h2>Other calls: ok, or cut off by the end of the capture ({})</h2>"#,
        others.len()
    )?;
    if others.is_empty() {
        writeln!(out, "<p>None.</p>")?;
    } else if draw_others {
        write_sections(out, &others, read, &mut buf)?;
    } else {
        write_table(out, &others, &|_| false, read, &mut buf)?;
    }
    writeln!(out, "</section>")?;
    writeln!(
        out,
        r#"<footer>Made by callscope {} (report {}). Frame numbers are Wireshark's: Go to Packet (Ctrl-G) in the same capture.</footer>"#,
        env!("CARGO_PKG_VERSION"),
        super::analyze::SCHEMA
    )?;
    writeln!(out, "</body></html>")
}
