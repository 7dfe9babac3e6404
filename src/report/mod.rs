//! Output: what the user reads. `packets` prints one line (or one JSON
//! object) per frame; `analyze` prints the per-call report. The texts and
//! JSON forms of decoded messages are made here too ([`summary`],
//! [`packet_json`]): the decoders only give values.

pub mod analyze;
pub mod call_facts;
pub mod capture_facts;
pub mod html;
mod indent;
pub mod ladder;
pub mod markdown;
pub mod packet_json;
pub mod packets;
pub mod spool;
pub mod summary;
pub mod svg_ladder;
mod time;
pub mod triage;

pub use time::{format_epoch, format_relative, format_utc};

/// The order of every table of verdict codes (the triage table, the HTML
/// and Markdown reports): failures first, then the most calls, then by
/// name.
pub(crate) fn code_order(code: &str, calls: u64) -> (bool, std::cmp::Reverse<u64>, &str) {
    let failure = crate::verdict::VerdictCode::parse(code).is_some_and(|c| c.is_failure());
    (!failure, std::cmp::Reverse(calls), code)
}
