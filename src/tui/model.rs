//! What the UI keeps of each call: the call's JSON as `analyze --format
//! json` writes it, and the list row read back from that same text, so the
//! UI and the report cannot disagree. The full call (timeline, evidence,
//! streams) is read from the text again only when the call is opened; the
//! text waits in a spool on disk, so a 100 000-call list keeps a few
//! hundred bytes a row in memory.

use std::net::SocketAddr;

use serde::Deserialize;

use crate::engine::JudgedCall;
use crate::report::analyze::call_json_from;
use crate::report::ladder::endpoint_columns;

/// One stage's state in the list's badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    /// The stage was seen and passed.
    Ok,
    /// The call failed here.
    Fail,
    /// The call was still here when the capture ended.
    Wait,
    /// Not seen (or not reached).
    Absent,
}

impl Badge {
    pub fn text(self) -> &'static str {
        match self {
            Badge::Ok => "ok",
            Badge::Fail => "FAIL",
            Badge::Wait => "wait",
            Badge::Absent => "-",
        }
    }
}

/// The stages in the order a call goes through them, as badges show them.
pub const STAGES: [&str; 4] = ["sip", "ice", "dtls", "media"];
pub const STAGE_TITLES: [&str; 4] = ["SIP", "ICE", "DTLS", "media"];

/// A call as the list shows it.
#[derive(Debug, Clone)]
pub struct CallRow {
    pub number: u32,
    pub id: String,
    pub kind: String,
    pub start_ns: i64,
    pub end_ns: i64,
    /// `from -> to` of the SIP dialog, or the first endpoints.
    pub parties: String,
    pub stage: String,
    pub code: String,
    pub twilio_error: Option<u32>,
    pub failed: bool,
    pub pending: bool,
    pub badges: [Badge; 4],
    pub frames: u64,
    /// Lowercase text that `/` searches: id, Call-ID, URIs, addresses,
    /// ufrags, code, kind.
    pub search: String,
}

impl CallRow {
    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// A call in the UI: its row, its report JSON, and its ladder's columns.
#[derive(Debug, Clone)]
pub struct CallEntry {
    pub row: CallRow,
    /// The call's object of the JSON report, compact.
    pub json: Box<str>,
    /// Endpoints in order of first appearance, with their roles.
    pub columns: Vec<(SocketAddr, &'static str)>,
    /// A live call still going: it will be sent again as it changes, so
    /// its JSON is kept in memory (replaced each time) rather than spooled.
    pub in_progress: bool,
    /// Calls listed before that turned out to be part of this one.
    pub absorbed: Vec<u32>,
}

/// Seconds since the epoch (the report's times, to the microsecond) to
/// nanoseconds, rounded to the microsecond: a float of 1.7e9 s holds the
/// microseconds but not the nanoseconds, and the ladder must print the
/// same times as Wireshark and `callscope ladder`.
fn ns(seconds: f64) -> i64 {
    // `as` saturates at the ends of i64 (a capture may say any time).
    ((seconds * 1e6).round() as i64).saturating_mul(1000)
}

#[derive(Deserialize)]
struct RowDoc {
    number: u32,
    id: String,
    kind: String,
    start_ts: f64,
    end_ts: f64,
    endpoints: Vec<String>,
    frames: u64,
    sip: Option<RowSip>,
    ice: Option<RowIce>,
    dtls: Option<serde::de::IgnoredAny>,
    media: RowMedia,
    verdict: RowVerdict,
    #[serde(default)]
    absorbed: Vec<RowAbsorbed>,
}

#[derive(Deserialize)]
struct RowAbsorbed {
    number: u32,
}

#[derive(Deserialize)]
struct RowSip {
    call_id: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct RowIce {
    #[serde(default)]
    ufrags: Vec<String>,
}

#[derive(Deserialize)]
struct RowMedia {
    streams: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct RowVerdict {
    stage: String,
    code: String,
    twilio_error: Option<u32>,
}

/// Failed as [`crate::verdict::Verdict::failed`] says: a stage is named
/// and the capture did not merely end in it.
fn verdict_failed(stage: &str, code: &str) -> bool {
    stage != "none" && code != "capture-ended"
}

/// The badges of a call: stages before the one the verdict names passed
/// where they were seen; the verdict's stage failed (or waits); later
/// stages were not reached. A call that worked passed every stage seen.
fn badges(present: [bool; 4], stage: &str, failed: bool, pending: bool) -> [Badge; 4] {
    let at = STAGES.iter().position(|s| *s == stage);
    let mut out = [Badge::Absent; 4];
    for (i, b) in out.iter_mut().enumerate() {
        *b = match at {
            Some(k) if (failed || pending) && i == k => {
                if failed {
                    Badge::Fail
                } else {
                    Badge::Wait
                }
            }
            Some(k) if (failed || pending) && i > k => Badge::Absent,
            _ if present[i] => Badge::Ok,
            _ => Badge::Absent,
        };
    }
    out
}

fn short_uri(uri: &str) -> &str {
    let u = uri.trim_matches(|c| c == '<' || c == '>');
    u.strip_prefix("sip:")
        .or_else(|| u.strip_prefix("sips:"))
        .unwrap_or(u)
}

impl CallEntry {
    /// The entry of a judged call: its report JSON, and the row read back
    /// from it.
    pub fn from_judged(c: &JudgedCall<'_>) -> Result<Self, serde_json::Error> {
        let timeline = c.timeline();
        let columns = endpoint_columns(c, &timeline);
        let json = serde_json::to_string(&call_json_from(c, timeline))?;
        Self::from_json(json, columns)
    }

    pub fn from_json(
        json: String,
        columns: Vec<(SocketAddr, &'static str)>,
    ) -> Result<Self, serde_json::Error> {
        let d: RowDoc = serde_json::from_str(&json)?;
        let code = d.verdict.code;
        let failed = verdict_failed(&d.verdict.stage, &code);
        let pending = code == "capture-ended";
        let present = [
            d.sip.is_some(),
            d.ice.is_some(),
            d.dtls.is_some(),
            !d.media.streams.is_empty(),
        ];
        let parties = match &d.sip {
            Some(s) => format!("{} -> {}", short_uri(&s.from), short_uri(&s.to)),
            None => d
                .endpoints
                .iter()
                .take(2)
                .cloned()
                .collect::<Vec<_>>()
                .join(" <> "),
        };
        let mut search = format!("#{} {} {} {} {}", d.number, d.id, d.kind, code, parties);
        if let Some(s) = &d.sip {
            search.push(' ');
            search.push_str(&s.call_id);
            search.push(' ');
            search.push_str(&s.from);
            search.push(' ');
            search.push_str(&s.to);
        }
        for e in &d.endpoints {
            search.push(' ');
            search.push_str(e);
        }
        if let Some(i) = &d.ice {
            for u in &i.ufrags {
                search.push(' ');
                search.push_str(u);
            }
        }
        let row = CallRow {
            number: d.number,
            id: d.id,
            kind: d.kind,
            start_ns: ns(d.start_ts),
            end_ns: ns(d.end_ts),
            parties,
            badges: badges(present, &d.verdict.stage, failed, pending),
            stage: d.verdict.stage,
            code,
            twilio_error: d.verdict.twilio_error,
            failed,
            pending,
            frames: d.frames,
            search: search.to_lowercase(),
        };
        Ok(Self {
            row,
            json: json.into_boxed_str(),
            columns,
            in_progress: false,
            absorbed: d.absorbed.iter().map(|a| a.number).collect(),
        })
    }
}

/// Where a kept call's JSON is: in the UI's spool (an unlinked temporary
/// file), or in memory when the spool could not take it.
#[derive(Debug, Clone)]
pub enum CallText {
    Spooled((u64, u32)),
    Inline(Box<str>),
}

/// A call as the UI keeps it: its row and columns in memory, its JSON in
/// the spool. Memory then grows by a row per call (about 400 bytes), not
/// by the call's whole report.
#[derive(Debug, Clone)]
pub struct StoredCall {
    pub row: CallRow,
    pub columns: Vec<(SocketAddr, &'static str)>,
    pub text: CallText,
    /// A live call that turned out to be part of another: kept in place
    /// (screens and the view hold indices into the list) but no longer
    /// listed or counted.
    pub hidden: bool,
}

/// A call opened in the call view, as the report gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct CallDoc {
    pub number: u32,
    pub id: String,
    pub kind: String,
    pub start_ts: f64,
    pub end_ts: f64,
    pub frames: u64,
    pub sip: Option<SipDoc>,
    pub media: MediaDoc,
    pub timeline: Vec<EventDoc>,
    pub verdict: VerdictDoc,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SipDoc {
    pub call_id: String,
    pub from: String,
    pub to: String,
    pub method: String,
    pub final_status: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MediaDoc {
    pub streams: Vec<StreamDoc>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StreamDoc {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    pub payload_type: u8,
    pub packets: u64,
    pub expected: u64,
    pub lost: u64,
    pub jitter_ms: f64,
    pub mos: Option<f64>,
    pub relayed: bool,
    pub first_frame: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventDoc {
    pub frame: u64,
    pub frames: Vec<u64>,
    pub ts: f64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub protocol: String,
    pub text: String,
    pub count: u64,
    pub evidence: bool,
}

impl EventDoc {
    pub fn ts_ns(&self) -> i64 {
        ns(self.ts)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerdictDoc {
    pub stage: String,
    pub code: String,
    pub twilio_error: Option<u32>,
    pub summary: String,
    pub evidence: Vec<EvidenceDoc>,
    pub advice: Vec<String>,
}

impl VerdictDoc {
    pub fn failed(&self) -> bool {
        verdict_failed(&self.stage, &self.code)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct EvidenceDoc {
    pub frame: u64,
    pub ts: f64,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_follow_the_failing_stage() {
        use Badge::*;
        let all = [true; 4];
        assert_eq!(badges(all, "dtls", true, false), [Ok, Ok, Fail, Absent]);
        assert_eq!(badges(all, "none", false, false), [Ok, Ok, Ok, Ok]);
        assert_eq!(
            badges([true, false, false, false], "sip", true, false),
            [Fail, Absent, Absent, Absent]
        );
        assert_eq!(
            badges([true, true, false, false], "ice", false, true),
            [Ok, Wait, Absent, Absent]
        );
        // A call that worked without ICE or DTLS.
        assert_eq!(
            badges([true, false, false, true], "none", false, false),
            [Ok, Absent, Absent, Ok]
        );
    }

    #[test]
    fn report_times_become_nanoseconds_at_the_microsecond() {
        // 0.000031 s apart in the capture; as floats near 1.8e9 s the
        // difference is 30.99... microseconds.
        let (a, b) = (1_763_738_514.338_194, 1_763_738_514.338_225);
        assert_eq!(ns(b) - ns(a), 31_000);
        // A capture may say any time: the ends of i64 saturate.
        assert_eq!(ns(9_223_372_036.854_776), i64::MAX);
        assert_eq!(ns(f64::MAX), i64::MAX);
        assert_eq!(ns(-1e300), i64::MIN);
    }

    #[test]
    fn failed_as_the_verdict_says() {
        assert!(!verdict_failed("none", "ok"));
        assert!(!verdict_failed("none", "ok-registered"));
        assert!(!verdict_failed("ice", "capture-ended"));
        assert!(verdict_failed("sip", "sip-603"));
        assert!(verdict_failed("media", "media-one-way"));
    }
}
