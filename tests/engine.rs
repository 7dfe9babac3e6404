//! The engine as front ends use it: timelines, the ladder, export, time
//! advanced with no frame, changed calls, stable numbers, and finalisation
//! giving the same calls as reading everything at the end. Frame numbers
//! were checked against tshark on the same files (`tshark -r F -Y sip`,
//! `-Y "dtls.handshake.type==1"`).

mod common;

use std::collections::BTreeSet;

use callscope::capture::CaptureReader;
use callscope::engine::{
    export_calls, CallRecord, ExportOptions, JudgedCall, Session, SessionObserver, SessionOptions,
};
use callscope::report::ladder::write_ladder;

use common::{sample, session_of};

/// Collects every finalised call.
#[derive(Default)]
struct Finalized(Vec<CallRecord>);

impl SessionObserver for Finalized {
    fn finalized(&mut self, call: &JudgedCall<'_>) {
        self.0.push(call.record());
    }
}

fn streamed(path: &str) -> Vec<CallRecord> {
    let mut session = Session::new(SessionOptions::streaming(2));
    let mut seen = Finalized::default();
    session
        .run_observed(CaptureReader::open(path).unwrap(), &mut seen)
        .unwrap();
    seen.0
}

fn events(c: &CallRecord) -> Vec<(u64, &str, &str)> {
    c.timeline
        .iter()
        .map(|e| (e.frame, e.protocol, e.text.as_str()))
        .collect()
}

#[test]
fn timeline_of_a_declined_call() {
    let mut s = session_of(&sample("sip-603-decline.pcap"));
    let calls = s.calls();
    let c = calls[0].record();
    assert_eq!(
        events(&c),
        vec![
            (1, "SIP", "INVITE (SDP offer)"),
            (2, "SIP", "100 Trying"),
            (3, "SIP", "180 Ringing"),
            (4, "SIP", "603 Decline"),
            (5, "SIP", "ACK"),
        ]
    );
    let proving: Vec<u64> = c
        .timeline
        .iter()
        .filter(|e| e.evidence)
        .map(|e| e.frame)
        .collect();
    assert_eq!(proving, vec![1, 4]);
    assert_eq!(c.frames, 5);
}

/// TURN's requests after Allocate are events of the call, and an alert
/// relayed through TURN (seen on both legs) is one event. tshark on the
/// sample: Allocate at 1 (401 at 2), 3 (success at 4); ChannelBind 0x4000
/// peer 10.202.2.2:57986 at 6 (success at 7); Refresh LIFETIME 0 at 652
/// (success at 653); the alert as ChannelData at 650 and relayed at 651.
#[test]
fn timeline_lists_turn_requests_and_a_relayed_alert_once() {
    let mut s = session_of(&sample("webrtc-turn-relay.pcap"));
    let calls = s.calls();
    let c = calls[0].record();
    let turn: Vec<(u64, &str)> = c
        .timeline
        .iter()
        .filter(|e| e.protocol == "TURN" && !e.text.contains("relayed ("))
        .map(|e| (e.frame, e.text.as_str()))
        .collect();
    assert_eq!(
        turn,
        vec![
            (1, "Allocate request"),
            (2, "Allocate error 401 Unauthorized"),
            (3, "Allocate request with credentials"),
            (4, "Allocate success, relayed 10.202.3.2:49170"),
            (6, "ChannelBind channel 0x4000 peer 10.202.2.2:57986"),
            (7, "ChannelBind success"),
            (652, "Refresh to release (lifetime 0)"),
            (653, "Refresh success"),
        ]
    );
    let alerts: Vec<u64> = c
        .timeline
        .iter()
        .filter(|e| e.text.starts_with("Alert"))
        .map(|e| e.frame)
        .collect();
    assert_eq!(alerts, vec![650]);
    // A request seen on both legs of the relay is one transmission, listed
    // where it was first seen: bob's check at 5 and its retransmission at
    // 12 (13 is 12 relayed as ChannelData); the ClientHello at 16 (17 is
    // its relayed copy).
    let frames_of = |text: &str| -> Vec<u64> {
        c.timeline
            .iter()
            .find(|e| e.text.starts_with(text))
            .map(|e| e.frames.clone())
            .unwrap_or_default()
    };
    assert_eq!(frames_of("Binding request (2 transmissions)"), vec![5, 12]);
    assert_eq!(frames_of("ClientHello"), vec![16]);
    // Relaying spans the first ChannelData to the last (tshark: 8, 650).
    assert_eq!(frames_of("322 packets relayed"), vec![8, 650]);
}

#[test]
fn timeline_folds_client_hello_retransmissions() {
    let mut s = session_of(&sample("dtls-dropped-one-way.pcap"));
    let calls = s.calls();
    let c = calls[0].record();
    let hello = c
        .timeline
        .iter()
        .find(|e| e.protocol == "DTLS")
        .expect("a DTLS event");
    assert_eq!(hello.text, "ClientHello (6 transmissions), no response");
    assert_eq!(hello.count, 6);
    assert_eq!(hello.frames, vec![5, 6, 7, 12, 21, 34]);
    assert!(hello.evidence);
    // Both directions' checks fold into one event per candidate pair.
    let checks: Vec<&str> = c
        .timeline
        .iter()
        .filter(|e| e.protocol == "STUN")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        checks,
        vec![
            "Binding request (7 checks), 7 answered",
            "Binding success, RTT 0.5 ms",
            "Binding request USE-CANDIDATE (7 checks), 7 answered",
            "Binding success, RTT 1.0 ms",
        ]
    );
    // Every frame of the capture belongs to the call.
    assert_eq!(c.frames, 34);
}

fn ladder_of(name: &str, number: u32) -> String {
    let mut s = session_of(&sample(name));
    let calls = s.calls();
    let c = calls.iter().find(|c| c.number == number).expect("call");
    let mut out = Vec::new();
    write_ladder(&mut out, c).unwrap();
    String::from_utf8(out).unwrap()
}

fn expected(name: &str) -> String {
    let path = format!("{}/tests/expected/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn ladder_of_a_sip_call_is_the_reviewed_text() {
    let got = ladder_of("sip-603-decline.pcap", 1);
    assert_eq!(got, expected("ladder-sip-603-decline.txt"));
    assert!(got.lines().all(|l| l.chars().count() <= 120));
}

#[test]
fn ladder_of_a_relayed_webrtc_call_is_the_reviewed_text() {
    let got = ladder_of("webrtc-turn-relay.pcap", 1);
    assert_eq!(got, expected("ladder-webrtc-turn-relay.txt"));
    assert!(got.lines().all(|l| l.chars().count() <= 120));
}

/// Exports each call of a sample (numbered as `analyze` numbers them) and
/// analyses the export: the same verdict, and as many frames as the call
/// said it had.
fn export_round_trip(name: &str) {
    let path = sample(name);
    let calls = streamed(&path);
    assert!(!calls.is_empty(), "{name}: calls");
    let dir = std::env::temp_dir();
    for c in &calls {
        let out = dir.join(format!(
            "callscope-test-export-{}-{}-{}.pcapng",
            std::process::id(),
            name,
            c.number
        ));
        let file = std::fs::File::create(&out).unwrap();
        let number = c.number;
        let summary = export_calls(
            &path,
            1,
            |j| j.number == number,
            file,
            "test",
            &ExportOptions::default(),
        )
        .unwrap();
        assert_eq!(summary.calls, vec![number], "{name}");
        assert_eq!(summary.frames, c.frames, "{name} call {number}: frames");
        let mut again = session_of(&out.to_string_lossy());
        let back = again.calls();
        let _ = std::fs::remove_file(&out);
        assert_eq!(
            back.len(),
            1,
            "{name} call {number}: one call in the export"
        );
        assert_eq!(back[0].frames, c.frames, "{name} call {number}");
        assert_eq!(back[0].verdict.code, c.verdict.code, "{name} call {number}");
        assert_eq!(
            back[0].verdict.summary, c.verdict.summary,
            "{name} call {number}"
        );
    }
}

#[test]
fn exported_calls_keep_their_verdicts_and_frames() {
    for name in [
        "sip-603-decline.pcap",
        // A timeout: the export keeps when the capture ended.
        "sip-invite-no-response.pcap",
        "sip-webrtc-dtls-fail.pcap",
        "webrtc-turn-relay.pcap",
        "sip-udp-port-unreachable.pcap",
        "sip-call-tcp.pcap",
        // The earlier fragments of a datagram go with it.
        "sip-invite-fragmented.pcap",
        "webrtc-mixed.pcap",
    ] {
        export_round_trip(name);
    }
}

#[test]
fn advance_to_turns_a_pending_request_into_no_response() {
    let mut s = session_of(&sample("sip-invite-cut-off.pcap"));
    let first: Vec<String> = s
        .changed_calls()
        .iter()
        .map(|c| c.verdict.code.to_string())
        .collect();
    assert_eq!(first, vec!["capture-ended"]);
    // Nothing new, nothing changed.
    assert!(s.changed_calls().is_empty());
    // Timer B (32 s) passes with no frame.
    let now = s.now();
    s.advance_to(now + 40_000_000_000);
    let changed = s.changed_calls();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].verdict.code.as_str(), "sip-no-response");
    assert_eq!(changed[0].number, 1, "the number stays");
}

#[test]
fn finalising_gives_the_calls_of_reading_at_the_end() {
    for path in common_samples() {
        let mut s = session_of(&path);
        let mut whole: Vec<(String, String, String, u64)> = s
            .calls()
            .iter()
            .map(|c| {
                (
                    c.id().to_string(),
                    c.kind().as_str().to_string(),
                    c.verdict.code.to_string(),
                    c.frames,
                )
            })
            .collect();
        let streamed = streamed(&path);
        let mut parts: Vec<(String, String, String, u64)> = streamed
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.kind.as_str().to_string(),
                    c.verdict.code.to_string(),
                    c.frames,
                )
            })
            .collect();
        whole.sort();
        parts.sort();
        assert_eq!(whole, parts, "{path}");
        // Numbers are never lost: every number handed out is a call's, or
        // is named in the call that took it.
        let numbers: BTreeSet<u32> = streamed.iter().map(|c| c.number).collect();
        assert_eq!(numbers.len(), streamed.len(), "{path}: numbers unique");
    }
}

fn common_samples() -> Vec<String> {
    let dir = format!("{}/samples", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".pcap") || p.ends_with(".pcapng"))
        .collect();
    v.sort();
    assert!(v.len() >= 50, "samples present");
    v
}

#[test]
fn a_call_read_earlier_then_joined_keeps_its_number_in_the_report() {
    // In the mixed WebRTC sample a TURN allocation is seen on its own
    // before the ICE session that uses it; the session's call names it.
    let mut session = Session::new(SessionOptions::streaming(1));
    let mut seen = Finalized::default();
    let mut absorbed = Vec::new();
    struct Both<'a>(&'a mut Finalized, &'a mut Vec<(u32, String)>);
    impl SessionObserver for Both<'_> {
        fn finalized(&mut self, call: &JudgedCall<'_>) {
            self.1.extend(call.absorbed.iter().cloned());
            self.0.finalized(call);
        }
    }
    session
        .run_observed(
            CaptureReader::open(&sample("webrtc-mixed.pcap")).unwrap(),
            &mut Both(&mut seen, &mut absorbed),
        )
        .unwrap();
    let mut numbers: BTreeSet<u32> = seen.0.iter().map(|c| c.number).collect();
    numbers.extend(absorbed.iter().map(|(n, _)| *n));
    let highest = *numbers.iter().max().unwrap();
    assert_eq!(
        numbers,
        (1..=highest).collect::<BTreeSet<u32>>(),
        "every number accounted for"
    );
    assert!(
        absorbed.iter().all(|(_, id)| id.starts_with("turn:")),
        "{absorbed:?}"
    );
}

/// Reads changed calls after every batch of a capture fed in small
/// batches, and checks that what they add up to is, at every read, what
/// judging every call anew gives.
fn changed_calls_track_the_whole(name: &str) {
    use callscope::capture::FrameBatch;
    use callscope::engine::{FrameList, FrameSource, ListedFrame};
    use std::collections::BTreeMap;

    let mut reader = CaptureReader::open(&sample(name)).unwrap();
    let mut batch = FrameBatch::new();
    let mut frames = Vec::new();
    while reader.next_batch(&mut batch).unwrap() > 0 {
        for f in batch.iter() {
            frames.push(ListedFrame {
                ts_ns: f.ts_ns,
                link_type: f.link_type,
                data: f.data.to_vec(),
            });
        }
    }
    let mut list = FrameList::new(name, frames);
    let mut cached = Session::new(SessionOptions::analyze(1));
    let mut whole = Session::new(SessionOptions::analyze(1));
    type View = BTreeMap<u32, (String, String, i64, u64)>;
    let mut view: View = BTreeMap::new();
    let mut reads = 0;
    let check = |cached: &mut Session, whole: &mut Session, view: &mut View| {
        for c in cached.changed_calls() {
            view.insert(
                c.number,
                (
                    c.verdict.code.to_string(),
                    c.verdict.summary.clone(),
                    c.call.end_ts,
                    c.frames,
                ),
            );
        }
        let all: View = whole
            .calls()
            .iter()
            .map(|c| {
                (
                    c.number,
                    (
                        c.verdict.code.to_string(),
                        c.verdict.summary.clone(),
                        c.call.end_ts,
                        c.frames,
                    ),
                )
            })
            .collect();
        assert_eq!(*view, all, "{name}: changed calls add up to every call");
    };
    while list.next_batch(&mut batch).unwrap() > 0 {
        cached.feed_batch(&batch, |_, _, _| {});
        whole.feed_batch(&batch, |_, _, _| {});
        check(&mut cached, &mut whole, &mut view);
        reads += 1;
    }
    // Then time passes with no frame, in steps.
    for _ in 0..8 {
        let later = cached.now() + 5_000_000_000;
        cached.advance_to(later);
        whole.advance_to(later);
        check(&mut cached, &mut whole, &mut view);
    }
    assert!(reads > 0);
}

#[test]
fn changed_calls_add_up_to_every_call() {
    for name in [
        "sip-invite-cut-off.pcap",
        "sip-load-mixed.pcap",
        "webrtc-mixed.pcap",
        "webrtc-consent-lost.pcap",
        "sip-webrtc-dtls-fail.pcap",
        "sip-call-one-way-rtp.pcap",
        "turn-unreachable.pcap",
    ] {
        changed_calls_track_the_whole(name);
    }
}

#[test]
fn the_book_of_calls_is_the_whole_assembly_at_every_read() {
    let (mut reads, mut regions) = (0, 0);
    // Batch boundaries decide what one read sees changed at once: a part
    // and the part it joins may land in one read or in two.
    for path in common_samples() {
        for (batch_frames, finalize) in [(1, false), (1, true), (7, true), (64, false)] {
            let (r, g) = common::book_matches_whole(&path, batch_frames, finalize);
            reads += r;
            regions += g;
        }
    }
    // Most reads found nothing touched; a thousand and more assembled a
    // region (the large captures are read in about 100 steps each).
    assert!(
        reads > 15_000 && regions > 1_000,
        "{reads} reads, {regions} regions"
    );
}

/// A capture that starts after the first ClientHello (tcpdump started
/// late): the server's HelloVerifyRequest is seen first, and the second
/// ClientHello shows who the client is. The call keeps the id and number
/// it was first read under; the roles are still right.
#[test]
fn a_dtls_call_keeps_its_id_when_a_later_client_hello_swaps_the_roles() {
    use callscope::capture::FrameBatch;
    use callscope::engine::{FrameList, FrameSource};

    let path = sample("dtls-alert.pcap");
    // tshark: frame 1 ClientHello, 2 HelloVerifyRequest, 3 ClientHello.
    let frames: Vec<_> = common::listed_frames(&path).into_iter().skip(1).collect();
    assert_eq!(frames.len(), 6);
    let mut list = FrameList::new(&path, frames).with_batch_frames(1);
    let mut session = Session::new(SessionOptions::analyze(1));
    let mut batch = FrameBatch::new();
    let mut seen = std::collections::BTreeMap::new();
    while list.next_batch(&mut batch).unwrap() > 0 {
        session.feed_batch(&batch, |_, _, _| {});
        for c in session.changed_calls() {
            let first = seen.entry(c.number).or_insert_with(|| c.id().to_string());
            assert_eq!(first, c.id(), "call {} renamed", c.number);
        }
    }
    // Named by the first sender, the server.
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![(1, "dtls:10.202.2.2:4433-10.202.1.2:55289".to_string())]
    );
    let calls = session.calls();
    assert_eq!(calls.len(), 1);
    let a = calls[0].parts().associations[0];
    assert_eq!(a.client.to_string(), "10.202.1.2:55289");
    assert_eq!(calls[0].verdict.code.as_str(), "dtls-alert");
}

/// The report writes each call's JSON straight from its structs; the rest
/// of the report (and this program before) goes through `serde_json::Value`,
/// whose maps sort their keys. The two must give the same bytes: every
/// struct's fields in the order of their names, on every sample.
#[test]
fn a_call_written_directly_reads_as_its_json_value() {
    use callscope::report::analyze::call_json;
    let mut calls = 0;
    for path in common_samples() {
        let mut s = session_of(&path);
        for c in s.calls() {
            let direct = serde_json::to_string_pretty(&call_json(&c)).unwrap();
            let value = serde_json::to_value(call_json(&c)).unwrap();
            assert_eq!(
                direct,
                serde_json::to_string_pretty(&value).unwrap(),
                "{path}: call {}",
                c.number
            );
            calls += 1;
        }
    }
    assert!(calls > 2_000, "{calls} calls");
}
