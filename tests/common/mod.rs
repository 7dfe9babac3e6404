//! Shared helpers for the integration tests.
#![allow(dead_code)]

use callscope::capture::CaptureReader;
use callscope::engine::{CallRecord, JudgedCall, Session, SessionOptions};
use callscope::report::analyze::call_json;
use serde_json::Value;

pub fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A judged call as the tests look at it: the engine's record and the
/// report's JSON for it.
#[derive(Debug, Clone)]
pub struct TestCall {
    pub record: CallRecord,
    pub json: Value,
}

impl std::ops::Deref for TestCall {
    type Target = CallRecord;
    fn deref(&self) -> &CallRecord {
        &self.record
    }
}

pub fn owned(c: &JudgedCall<'_>) -> TestCall {
    TestCall {
        record: c.record(),
        json: call_json(c),
    }
}

/// Runs a whole capture through a session.
pub fn session_of(path: &str) -> Session {
    let mut s = Session::new(SessionOptions::analyze(2));
    let reader = CaptureReader::open(path).expect("capture readable");
    s.run(reader, |_, _, _| {}).expect("capture readable");
    s
}

/// Analyses a sample and returns its calls, judged at the end of the capture.
pub fn analyze(name: &str) -> Vec<TestCall> {
    session_of(&sample(name))
        .calls()
        .iter()
        .map(owned)
        .collect()
}

/// (kind, stage, code) of every call, in report order.
pub fn verdicts(calls: &[TestCall]) -> Vec<(String, String, String)> {
    calls
        .iter()
        .map(|c| {
            (
                c.kind.as_str().to_string(),
                c.verdict.stage.as_str().to_string(),
                c.verdict.code.to_string(),
            )
        })
        .collect()
}

pub fn evidence_frames(c: &TestCall) -> Vec<u64> {
    c.verdict.evidence.iter().map(|e| e.frame).collect()
}
