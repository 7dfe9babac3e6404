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
        json: serde_json::to_value(call_json(c)).expect("a call's JSON"),
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

/// A capture's frames in memory, to feed in batches of any size.
pub fn listed_frames(path: &str) -> Vec<callscope::engine::ListedFrame> {
    use callscope::capture::FrameBatch;
    use callscope::engine::ListedFrame;
    // A file that cannot be read gives no frames (other tests cover it).
    let Ok(mut reader) = CaptureReader::open(path) else {
        return Vec::new();
    };
    let mut batch = FrameBatch::new();
    let mut frames = Vec::new();
    while reader.next_batch(&mut batch).unwrap_or(0) > 0 {
        for f in batch.iter() {
            frames.push(ListedFrame {
                ts_ns: f.ts_ns,
                link_type: f.link_type,
                data: f.data.to_vec(),
            });
        }
    }
    frames
}

/// The calls as a whole assembly gives them, and as the session's book of
/// calls has them: id -> kind and parts, each list sorted.
type CallsByParts = std::collections::BTreeMap<String, (String, String)>;

fn by_parts(
    calls: impl Iterator<
        Item = (
            String,
            callscope::analysis::CallKind,
            callscope::analysis::members::CallMembers,
        ),
    >,
) -> CallsByParts {
    calls
        .map(|(id, kind, mut m)| {
            m.unreachables.sort_unstable();
            m.sessions.sort_unstable_by_key(|k| k.0);
            m.queries.sort_unstable();
            m.allocations.sort_unstable();
            m.associations.sort_unstable();
            m.streams
                .sort_unstable_by_key(|k| (k.src, k.dst, k.ssrc, k.epoch));
            (id, (kind.as_str().to_string(), format!("{m:?}")))
        })
        .collect()
}

/// Feeds a capture in batches of `batch_frames`, reading changed calls
/// after each batch, and checks at every read that the session's book of
/// calls (kept current part by part) is what assembling every part anew
/// gives. Returns how many reads were checked.
pub fn book_matches_whole(path: &str, batch_frames: usize, finalize: bool) -> (usize, u64) {
    use callscope::capture::FrameBatch;
    use callscope::engine::{FrameList, FrameSource};
    let options = if finalize {
        SessionOptions::streaming(1)
    } else {
        SessionOptions::analyze(1)
    };
    let mut session = Session::new(options);
    let frames = listed_frames(path);
    // At most about 1000 reads, and about 100 on a capture of more than
    // 10 000 frames: each check assembles everything anew, which on a
    // thousand calls sharing media addresses costs a debug build a
    // quarter of a second. The floor is added, not taken as a minimum, so
    // that every batch size cuts a large capture at other frames too.
    let per_read = if frames.len() > 10_000 { 100 } else { 1000 };
    let batch_frames = batch_frames + frames.len() / per_read;
    let mut list = FrameList::new(path, frames).with_batch_frames(batch_frames);
    let mut batch = FrameBatch::new();
    let mut reads = 0;
    while list.next_batch(&mut batch).unwrap() > 0 {
        session.feed_batch_observed(&batch, &mut Discard);
        session.changed_calls();
        let book = by_parts(
            session
                .book()
                .calls()
                .map(|c| (c.id.clone(), c.kind, c.members.clone())),
        );
        let whole = by_parts(
            callscope::analysis::calls::assemble(session.analyzer())
                .into_iter()
                .map(|c| (c.id.clone(), c.kind, c.parts.members())),
        );
        assert_eq!(
            book, whole,
            "{path}: book of calls after {reads} reads (batches of {batch_frames})"
        );
        reads += 1;
    }
    (reads, session.book().region_syncs)
}

struct Discard;
impl callscope::engine::SessionObserver for Discard {}
