//! The rules of `verdicts.md`: a call is judged stage by stage, in the order
//! a real call goes through them (SIP, ICE, DTLS, media); the verdict names
//! the first stage that failed, with a code, a line for a ticket, the frames
//! that prove it and what to do next.
//!
//! A stage that was still in progress when the capture ended, too soon to
//! call it failed by the protocol's own timers, gets the code
//! `capture-ended` rather than an invented failure.

mod code;
mod dtls;
mod ice;
mod media;
mod sip;

use serde::Serialize;

use crate::analysis::evidence::plural;
use crate::analysis::{CallKind, CallParts, Evidence};

pub use code::{twilio_error_meaning, VerdictCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    None,
    Sip,
    Ice,
    Dtls,
    Media,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "none",
            Stage::Sip => "sip",
            Stage::Ice => "ice",
            Stage::Dtls => "dtls",
            Stage::Media => "media",
        }
    }
}

/// Fields in the order of their names: the report writes it directly, in
/// the key order of its other objects (see `report::analyze::CallJson`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub advice: Vec<String>,
    pub code: VerdictCode,
    pub evidence: Vec<Evidence>,
    pub stage: Stage,
    pub summary: String,
    pub twilio_error: Option<u32>,
}

impl Verdict {
    /// A verdict in the stage its code belongs to.
    pub fn new(code: VerdictCode, summary: impl Into<String>) -> Self {
        debug_assert_ne!(
            code,
            VerdictCode::CaptureEnded,
            "use Verdict::capture_ended"
        );
        Self::in_stage(code.stage(), code, summary)
    }

    /// The capture stopped in the middle of `stage`.
    pub fn capture_ended(stage: Stage, summary: impl Into<String>) -> Self {
        Self::in_stage(stage, VerdictCode::CaptureEnded, summary)
    }

    fn in_stage(stage: Stage, code: VerdictCode, summary: impl Into<String>) -> Self {
        Self {
            stage,
            code,
            twilio_error: code.twilio_hint(),
            summary: summary.into(),
            evidence: Vec::new(),
            advice: code.advice(),
        }
    }

    pub fn with_evidence(mut self, evidence: Vec<Evidence>) -> Self {
        self.evidence = evidence;
        self.evidence.sort_by_key(|e| e.frame);
        self.evidence
            .dedup_by(|a, b| a.frame == b.frame && a.text == b.text);
        self
    }

    /// A verdict's stage is its code's, but for `capture-ended`, which
    /// takes the stage the capture stopped in: the code alone says.
    pub fn failed(&self) -> bool {
        self.code.is_failure()
    }
}

/// What a stage concluded.
pub(crate) enum Outcome {
    /// The stage did not apply to this call (plain SIP has no ICE).
    NotApplicable,
    Passed,
    /// The stage failed, or the capture ended in the middle of it, or it
    /// reached a final good state of its own (a registration).
    Done(Verdict),
}

/// Judges one call.
pub fn judge(kind: CallKind, p: &CallParts<'_>, now: i64) -> Verdict {
    let stages: [fn(CallKind, &CallParts<'_>, i64) -> Outcome; 4] =
        [sip::judge, ice::judge, dtls::judge, media::judge];
    let mut passed = Vec::new();
    for (stage, rule) in [Stage::Sip, Stage::Ice, Stage::Dtls, Stage::Media]
        .into_iter()
        .zip(stages)
    {
        match rule(kind, p, now) {
            Outcome::NotApplicable => {}
            Outcome::Passed => passed.push(stage),
            Outcome::Done(v) => return with_registration(kind, p, v),
        }
    }
    with_registration(kind, p, ok_verdict(p, &passed))
}

/// A call whose Call-ID also carried a REGISTER (some clients reuse one
/// Call-ID for everything): the call is judged on its INVITE, and the
/// registration's outcome is said too, with its frames.
fn with_registration(kind: CallKind, p: &CallParts<'_>, mut v: Verdict) -> Verdict {
    if kind != CallKind::SipCall {
        return v;
    }
    let Some(t) = p.dialog.and_then(|d| d.transactions_of("REGISTER").last()) else {
        return v;
    };
    let response = t.final_response();
    let answer = match response {
        Some(r) => format!("{} {}", r.status, r.reason),
        None => "no final response".to_string(),
    };
    v.summary.push_str(&format!(
        "; the same Call-ID also carried a REGISTER ({answer})"
    ));
    if let Some(f) = t.frames.items().first() {
        v.evidence
            .push(Evidence::new(*f, t.first_ts, "REGISTER (same Call-ID)"));
    }
    if let Some(r) = response {
        v.evidence.push(Evidence::new(
            r.frame,
            r.ts,
            format!("{} {}", r.status, r.reason),
        ));
    }
    v
}

/// A call that went through every stage: say what each stage showed, with
/// the frames, so the engineer sees why it is judged good.
fn ok_verdict(p: &CallParts<'_>, passed: &[Stage]) -> Verdict {
    let mut parts = Vec::new();
    let mut evidence = Vec::new();
    if let Some((t, r)) = p.dialog.and_then(|d| d.accepted()) {
        if let Some(f) = t.frames.items().first() {
            evidence.push(Evidence::new(
                *f,
                t.first_ts,
                format!("{} {} -> {}", t.method, t.src, t.dst),
            ));
        }
        evidence.push(Evidence::new(
            r.frame,
            r.ts,
            format!("{} {}", r.status, r.reason),
        ));
        parts.push(format!(
            "SIP {} {} after {}",
            r.status,
            r.reason,
            s(r.ts - t.first_ts)
        ));
    }
    if let Some((sess, pair)) = p
        .sessions
        .iter()
        .find_map(|x| x.selected_pair().map(|pair| (x, pair)))
    {
        if let Some((f, ts)) = pair.first_success {
            evidence.push(Evidence::new(
                f,
                ts,
                format!("ICE check answered {} -> {}", pair.local, pair.remote),
            ));
        }
        parts.push(format!(
            "ICE pair {} <-> {}{} ({} of {} checks answered)",
            pair.local,
            pair.remote,
            if pair.relayed { " via TURN" } else { "" },
            sess.answered,
            sess.checks
        ));
    }
    if let Some((f, ts)) = p.associations.iter().find_map(|a| a.completed_at()) {
        evidence.push(Evidence::new(f, ts, "DTLS handshake complete"));
        parts.push("DTLS complete".to_string());
    }
    if !p.streams.is_empty() {
        for st in p.streams.iter().take(4) {
            evidence.push(Evidence::new(
                st.first_frame,
                st.first_ts,
                format!(
                    "RTP SSRC 0x{:08X} {} -> {}",
                    st.key.ssrc, st.key.src, st.key.dst
                ),
            ));
        }
        let counts: Vec<String> = p.streams.iter().map(|st| st.packets.to_string()).collect();
        let total: u64 = p.streams.iter().map(|st| st.packets).sum();
        let lost: u64 = p.streams.iter().map(|st| st.lost()).sum();
        parts.push(format!(
            "{} ({} packets, {} lost)",
            plural(p.streams.len() as u64, "RTP stream"),
            if counts.len() <= 4 {
                counts.join("/")
            } else {
                total.to_string()
            },
            lost
        ));
    }
    if parts.is_empty() {
        let names: Vec<&str> = passed.iter().map(|s| s.as_str()).collect();
        parts.push(format!("every stage passed ({})", names.join(", ")));
    }
    Verdict::new(VerdictCode::Ok, parts.join("; ")).with_evidence(evidence)
}

/// Formats seconds for summaries: `31.2 s`.
pub(crate) fn s(ns: i64) -> String {
    format!("{:.1} s", ns as f64 / 1e9)
}

/// "sent once", "sent 7 times": `times(n)` gives the part after "sent".
pub(crate) fn times(n: u32) -> String {
    match n {
        1 => "once".to_string(),
        n => format!("{n} times"),
    }
}

/// Evidence for a frame, as every stage's rules write it.
pub(crate) fn ev(frame: u64, ts: i64, text: impl Into<String>) -> Evidence {
    Evidence::new(frame, ts, text)
}
