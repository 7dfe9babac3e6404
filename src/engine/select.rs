//! Which calls a command shows or exports.

use super::JudgedCall;

/// Which calls a command shows or exports: `--failed`, `--call ID` and
/// `--code CODE`, all of which must hold.
#[derive(Debug, Clone, Default)]
pub struct CallSelection {
    pub failed_only: bool,
    /// A call's number, its id (`sip:<Call-ID>`, `ice:...`), or a bare
    /// SIP Call-ID as Wireshark shows it.
    pub calls: Vec<String>,
    /// Only these call numbers, looked up in a set (the terminal UI's
    /// saves of thousands of chosen calls); empty: no such limit.
    pub numbers: std::collections::BTreeSet<u32>,
    /// A verdict code, in any case; a bare SIP status (`486`) means
    /// `sip-486`.
    pub codes: Vec<String>,
}

impl CallSelection {
    pub fn is_all(&self) -> bool {
        !self.failed_only
            && self.calls.is_empty()
            && self.codes.is_empty()
            && self.numbers.is_empty()
    }

    pub fn matches(&self, c: &JudgedCall<'_>) -> bool {
        let id = &c.call.id;
        let call_matches = |s: &String| {
            s == id
                || s.parse::<u32>().ok() == Some(c.number)
                || id.strip_prefix("sip:") == Some(s.as_str())
        };
        let code = c.verdict.code.as_str();
        let code_matches = |s: &String| {
            s.eq_ignore_ascii_case(&code)
                || (s.parse::<u16>().is_ok() && code.strip_prefix("sip-") == Some(s.as_str()))
        };
        (!self.failed_only || c.verdict.failed())
            && (self.numbers.is_empty() || self.numbers.contains(&c.number))
            && (self.calls.is_empty() || self.calls.iter().any(call_matches))
            && (self.codes.is_empty() || self.codes.iter().any(code_matches))
    }
}
