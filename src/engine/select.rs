//! Which calls a command shows or exports.

use super::JudgedCall;

/// Which calls a command shows or exports: `--failed`, `--call ID` (the
/// call's number or its id) and `--code CODE`, all of which must hold.
#[derive(Debug, Clone, Default)]
pub struct CallSelection {
    pub failed_only: bool,
    pub calls: Vec<String>,
    pub codes: Vec<String>,
}

impl CallSelection {
    pub fn is_all(&self) -> bool {
        !self.failed_only && self.calls.is_empty() && self.codes.is_empty()
    }

    pub fn matches(&self, c: &JudgedCall<'_>) -> bool {
        (!self.failed_only || c.verdict.failed())
            && (self.calls.is_empty()
                || self
                    .calls
                    .iter()
                    .any(|s| *s == c.call.id || s.parse::<u32>().ok() == Some(c.number)))
            && (self.codes.is_empty() || self.codes.iter().any(|s| **s == c.verdict.code.as_str()))
    }
}
