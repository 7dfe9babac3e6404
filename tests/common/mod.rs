//! Shared helpers for the integration tests.
#![allow(dead_code)]

use callscope::analysis::{Analyzer, Call};
use callscope::pipeline::run_capture;

pub fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Analyses a sample and returns its calls, judged at the end of the capture.
pub fn analyze(name: &str) -> Vec<Call> {
    let mut a = Analyzer::new();
    run_capture(&sample(name), 2, |f| a.feed(f)).expect("sample readable");
    a.calls()
}

/// (kind, stage, code) of every call, in report order.
pub fn verdicts(calls: &[Call]) -> Vec<(String, String, String)> {
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

pub fn evidence_frames(c: &Call) -> Vec<u64> {
    c.verdict.evidence.iter().map(|e| e.frame).collect()
}
