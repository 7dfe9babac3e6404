//! Output: what the user reads. `packets` prints one line (or one JSON
//! object) per frame; `analyze` prints the per-call report.

pub mod analyze;
pub mod call_facts;
pub mod ladder;
pub mod packets;
mod time;

pub use time::{format_epoch, format_relative, format_utc};
