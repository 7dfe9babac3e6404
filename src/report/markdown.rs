//! `analyze --format markdown`: the HTML report's content for ticket
//! systems that take Markdown. The capture and totals, a verdict table per
//! failed call with its text ladder in a fenced block, then the other
//! calls (drawn when few, else a table). Text from the capture (Call-IDs,
//! reasons) is escaped so it cannot start a link, a table cell or raw
//! HTML; a ladder's fence is longer than any run of backticks inside it.

use std::io::{self, Write};

use crate::analysis::evidence::plural;
use crate::engine::JudgedCall;
use crate::net::link_type_name;
use crate::verdict::twilio_error_meaning;

use super::capture_facts::{warnings, CaptureFacts};
use super::html::{
    code_rows, shown_path, write_sections, CallGroups, ReportTotals, SpoolRead, SpooledCall,
};
use super::ladder::write_ladder_diagram;
use super::{format_relative, format_utc};

/// Rows of a table at most (Markdown tables past this are read by no one).
const MAX_TABLE_ROWS: usize = 2_000;
/// Failed calls drawn at most: a ticket's comment takes some tens of
/// kilobytes (GitHub 65 536 characters, Jira 32 767 by default), and a
/// call's block is one to three. The table lists every failed call.
pub const MAX_DRAWN_FAILED: usize = 10;

/// `s` as Markdown text that shows as written: inline markup, table
/// cell bars and the `<` that would open HTML escaped, line breaks made spaces.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A fence for `text`: three backticks, or one more than its longest run.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Writes one call's block: a verdict table and its ladder.
pub fn write_call_section(out: &mut impl Write, c: &JudgedCall<'_>) -> io::Result<()> {
    let v = &c.verdict;
    writeln!(
        out,
        "### Call {}: {}\n",
        c.number,
        md_text(&v.code.as_str())
    )?;
    writeln!(out, "| | |\n|---|---|")?;
    writeln!(out, "| stage | {} |", v.stage.as_str())?;
    writeln!(out, "| code | {} |", md_text(&v.code.as_str()))?;
    if let Some(t) = v.twilio_error {
        writeln!(
            out,
            "| Twilio | {t}: {} |",
            md_text(twilio_error_meaning(t))
        )?;
    }
    writeln!(out, "| summary | {} |", md_text(&v.summary))?;
    writeln!(out, "| kind | {} |", c.kind().as_str())?;
    writeln!(out, "| id | {} |", md_text(c.id()))?;
    writeln!(out, "| start | {} UTC |", format_utc(c.call.start_ts))?;
    writeln!(out, "| frames | {} |", c.frames)?;
    let parties: Vec<String> = c.call.endpoints.iter().map(|e| e.to_string()).collect();
    writeln!(out, "| parties | {} |", md_text(&parties.join(" -> ")))?;
    for e in &v.evidence {
        writeln!(
            out,
            "| evidence | frame {}: {} |",
            e.frame,
            md_text(&e.text)
        )?;
    }
    for a in &v.advice {
        writeln!(out, "| next | {} |", md_text(a))?;
    }
    let events = c.timeline();
    if !events.is_empty() {
        let mut ladder = Vec::new();
        write_ladder_diagram(&mut ladder, c, &events)?;
        // Control bytes from the capture (a NUL in a SIP reason) shown as
        // U+FFFD, as everywhere else in the document.
        let ladder: String = String::from_utf8_lossy(&ladder)
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        let fence = fence_for(&ladder);
        writeln!(out, "\n{fence}text\n{}{fence}", ladder)?;
    }
    writeln!(out)
}

/// Writes one call's table row, after its number cell.
pub fn write_call_row(out: &mut impl Write, c: &JudgedCall<'_>, base_ts: i64) -> io::Result<()> {
    let v = &c.verdict;
    writeln!(
        out,
        " {} | {} | {} | {} | {} | {} |",
        format_relative(c.call.start_ts, base_ts),
        c.kind().as_str(),
        v.stage.as_str(),
        md_text(&v.code.as_str()),
        v.twilio_error
            .map_or_else(|| "–".to_string(), |t| t.to_string()),
        md_text(&v.summary)
    )
}

fn write_table(
    out: &mut impl Write,
    calls: &[&SpooledCall],
    read: &mut SpoolRead<'_>,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    writeln!(out, "| # | +s | kind | stage | code | Twilio | summary |")?;
    writeln!(out, "|---:|---:|---|---|---|---|---|")?;
    for c in calls.iter().take(MAX_TABLE_ROWS) {
        write!(out, "| {} |", c.number)?;
        read(c.row, buf)?;
        out.write_all(buf)?;
    }
    if calls.len() > MAX_TABLE_ROWS {
        writeln!(
            out,
            "\n{} more not listed here (at most {MAX_TABLE_ROWS} rows); `callscope analyze` lists every call.",
            calls.len() - MAX_TABLE_ROWS
        )?;
    }
    writeln!(out)
}

/// Writes the whole document. `calls` are in report order.
pub fn write_report(
    out: &mut impl Write,
    facts: &CaptureFacts,
    totals: &ReportTotals<'_>,
    calls: &[SpooledCall],
    read: &mut SpoolRead<'_>,
) -> io::Result<()> {
    let info = &facts.info;
    writeln!(
        out,
        "# callscope report: {}\n",
        md_text(shown_path(&info.path))
    )?;
    writeln!(out, "## Capture\n")?;
    writeln!(
        out,
        "- format: {}{}",
        info.format.map_or("unknown", |f| f.as_str()),
        if info.gzip { ", gzip" } else { "" }
    )?;
    let links: Vec<String> = info.link_types.iter().map(|l| link_type_name(*l)).collect();
    writeln!(out, "- link types: {}", md_text(&links.join(", ")))?;
    writeln!(out, "- frames: {} ({} bytes)", info.frames, info.bytes)?;
    if let (Some(a), Some(b)) = (info.first_ts_ns, info.last_ts_ns) {
        writeln!(
            out,
            "- time: {} UTC to +{} s",
            format_utc(a),
            format_relative(b, a)
        )?;
    }
    writeln!(
        out,
        "- frames not decoded: {}",
        facts.accounting.undecodable()
    )?;
    if let Some(e) = &facts.error {
        writeln!(out, "- **capture cut short**: {}", md_text(e))?;
    }
    for w in warnings(facts) {
        writeln!(out, "- warning: {}", md_text(&w))?;
    }

    writeln!(out, "\n## Totals\n")?;
    write!(
        out,
        "{}, {} failed",
        plural(totals.calls, "call"),
        totals.failed
    )?;
    if totals.calls < totals.all_calls {
        write!(
            out,
            " (shown: {} of {}, chosen by --failed, --call or --code)",
            totals.calls, totals.all_calls
        )?;
    }
    writeln!(out, ".\n\n| stage | calls |\n|---|---:|")?;
    for (stage, n) in totals.by_stage {
        writeln!(out, "| {stage} | {n} |")?;
    }
    if !totals.by_code.is_empty() {
        writeln!(out, "\n| code | calls | Twilio |\n|---|---:|---|")?;
        for row in code_rows(totals.by_code) {
            writeln!(
                out,
                "| {} | {} | {} |",
                md_text(row.code),
                row.calls,
                md_text(&row.twilio)
            )?;
        }
    }

    let CallGroups {
        failed,
        others,
        draw_others,
    } = CallGroups::new(calls);
    let mut buf = Vec::new();
    writeln!(out, "\n## Failed calls ({})\n", failed.len())?;
    if failed.is_empty() {
        writeln!(out, "No call failed.\n")?;
    } else {
        write_table(out, &failed, read, &mut buf)?;
        if failed.len() > MAX_DRAWN_FAILED {
            writeln!(
                out,
                "The first {MAX_DRAWN_FAILED} are drawn below; `callscope ladder --call N` draws any other, `--format html` up to 1000.\n"
            )?;
        }
        write_sections(
            out,
            &failed[..failed.len().min(MAX_DRAWN_FAILED)],
            read,
            &mut buf,
        )?;
    }
    writeln!(
        out,
        "## Other calls: ok, or cut off by the end of the capture ({})\n",
        others.len()
    )?;
    if others.is_empty() {
        writeln!(out, "None.")?;
    } else if draw_others {
        write_sections(out, &others, read, &mut buf)?;
    } else {
        write_table(out, &others, read, &mut buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_text_cannot_make_markup() {
        assert_eq!(
            md_text("a|b <script>[x](y) *z*\n_u_ `c`"),
            r"a\|b &lt;script>\[x\](y) \*z\* \_u\_ \`c\`"
        );
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b ` c"), "`````");
    }
}
