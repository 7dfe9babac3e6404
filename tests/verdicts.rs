//! Every sample's calls judged as the verdict catalogue says, with the key
//! counts. Frame numbers and counts were checked against tshark on the same
//! files (`tshark -r F -Y sip`, `-q -z rtp,streams`, `-Y stun`, `-Y dtls`).

mod common;

use common::{analyze, evidence_frames, verdicts};

fn v(kind: &str, stage: &str, code: &str) -> (String, String, String) {
    (kind.to_string(), stage.to_string(), code.to_string())
}

/// Streams of a call as (src, dst, packets, lost).
fn streams(c: &common::TestCall) -> Vec<(String, String, u64, u64)> {
    c.json["media"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["src"].as_str().unwrap().to_string(),
                s["dst"].as_str().unwrap().to_string(),
                s["packets"].as_u64().unwrap(),
                s["lost"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn good_sip_call_has_rtp_both_ways() {
    let calls = analyze("sip-call-rtp.pcap");
    assert_eq!(verdicts(&calls), vec![v("sip-call", "none", "ok")]);
    let mut s = streams(&calls[0]);
    s.sort();
    assert_eq!(
        s,
        vec![
            ("10.201.1.1:40000".into(), "10.201.1.2:30000".into(), 100, 0),
            ("10.201.1.2:30000".into(), "10.201.1.1:40000".into(), 150, 0),
        ]
    );
    assert_eq!(calls[0].json["sip"]["final_status"], 200);
}

#[test]
fn good_calls_over_other_transports_and_link_types() {
    for f in [
        "sip-call-tcp.pcap",
        "sip-call-ipv6.pcap",
        "sip-call-any.pcapng",
        "sip-invite-fragmented.pcap",
        "sip-invite-fragmented-ipv6.pcap",
        "sip-407-then-ok.pcap",
        "sip-call-rtcp-mux.pcap",
    ] {
        let calls = analyze(f);
        assert_eq!(verdicts(&calls), vec![v("sip-call", "none", "ok")], "{f}");
        assert!(streams(&calls[0]).len() >= 2, "{f}: RTP both ways");
    }
}

#[test]
fn sip_final_responses() {
    for (f, code, status) in [
        ("sip-603-decline.pcap", "sip-603", 603),
        ("sip-486-busy.pcap", "sip-486", 486),
        ("sip-480-unavailable.pcap", "sip-480", 480),
        ("sip-404-not-found.pcap", "sip-404", 404),
        ("sip-487-cancel.pcap", "sip-487", 487),
    ] {
        let calls = analyze(f);
        assert_eq!(verdicts(&calls), vec![v("sip-call", "sip", code)], "{f}");
        assert_eq!(calls[0].json["sip"]["final_status"], status, "{f}");
    }
    let twilio = |f: &str| analyze(f)[0].verdict.twilio_error;
    assert_eq!(twilio("sip-603-decline.pcap"), Some(31603));
    assert_eq!(twilio("sip-486-busy.pcap"), Some(31486));
    assert_eq!(twilio("sip-480-unavailable.pcap"), Some(31480));
    assert_eq!(twilio("sip-404-not-found.pcap"), Some(31203));
    assert_eq!(twilio("sip-487-cancel.pcap"), None);
    // The 487 names the CANCEL that caused it.
    let c = &analyze("sip-487-cancel.pcap")[0];
    assert!(
        c.verdict.summary.contains("after the caller sent CANCEL"),
        "{}",
        c.verdict.summary
    );
}

#[test]
fn sip_authentication() {
    let calls = analyze("sip-register-401-403.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-registration", "sip", "sip-auth-failed")]
    );
    assert!(calls[0].verdict.summary.contains("403"));
    assert_eq!(evidence_frames(&calls[0]), vec![1, 2, 3, 4]);

    let calls = analyze("sip-auth-failed.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "sip-auth-failed")]
    );

    let calls = analyze("sip-register-ok.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-registration", "none", "ok-registered")]
    );
}

#[test]
fn sip_unanswered() {
    let calls = analyze("sip-invite-no-response.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "sip-no-response")]
    );
    // Timer A: the INVITE went out 7 times (frames 3 to 9) over 31.5 s.
    assert!(
        calls[0]
            .verdict
            .summary
            .contains("sent 7 times over 31.5 s"),
        "{}",
        calls[0].verdict.summary
    );
    assert_eq!(calls[0].verdict.twilio_error, Some(31009));

    let calls = analyze("sip-register-no-response.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-registration", "sip", "sip-no-response")]
    );
    assert_eq!(calls[0].verdict.twilio_error, Some(31003));

    let calls = analyze("sip-udp-port-unreachable.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "sip-transport-refused")]
    );
}

#[test]
fn media_failures() {
    let calls = analyze("sip-call-one-way-rtp.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "media", "media-one-way")]
    );
    assert_eq!(
        streams(&calls[0]),
        vec![("10.201.1.1:40000".into(), "10.201.2.3:30000".into(), 100, 0)]
    );
    let calls = analyze("sip-call-no-rtp.pcap");
    assert_eq!(verdicts(&calls), vec![v("sip-call", "media", "media-none")]);
    assert_eq!(calls[0].verdict.twilio_error, Some(31005));
}

/// One stray packet against a hundred is one-way media (issue: two-way
/// needs real traffic both ways). tshark -z rtp,streams on the sample:
/// 10.201.1.1:40000 -> 10.201.1.2:30000 100 packets, the reverse 1.
#[test]
fn a_stray_packet_is_not_media_the_other_way() {
    let calls = analyze("sip-call-stray-rtp.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "media", "media-one-way")]
    );
    let mut s = streams(&calls[0]);
    s.sort();
    assert_eq!(
        s,
        vec![
            ("10.201.1.1:40000".into(), "10.201.1.2:30000".into(), 100, 0),
            ("10.201.1.2:30000".into(), "10.201.1.1:40000".into(), 1, 0),
        ]
    );
    assert!(
        calls[0]
            .verdict
            .summary
            .contains("only 1 stray packet the other way"),
        "{}",
        calls[0].verdict.summary
    );
}

/// ICE offered by the caller, answered by a phone without ICE, RTP both
/// ways (tshark: 100 and 150 packets, no STUN): a plain RTP call.
#[test]
fn ice_offered_but_declined_is_a_plain_rtp_call() {
    let calls = analyze("sip-call-ice-declined.pcap");
    assert_eq!(verdicts(&calls), vec![v("sip-call", "none", "ok")]);
    let mut s = streams(&calls[0]);
    s.sort();
    assert_eq!(
        s,
        vec![
            ("10.201.1.1:40000".into(), "10.201.1.2:30000".into(), 100, 0),
            ("10.201.1.2:30000".into(), "10.201.1.1:40000".into(), 150, 0),
        ]
    );
}

/// One Call-ID, REGISTER then INVITE (tshark: REGISTER 1, 200 OK 2, INVITE
/// 3, 100 4, 403 5, ACK 6): the call is the INVITE, refused; the
/// registration is said too, with its frames.
#[test]
fn a_call_id_that_registers_then_calls_is_judged_on_its_call() {
    let calls = analyze("sip-register-then-invite.pcap");
    assert_eq!(verdicts(&calls), vec![v("sip-call", "sip", "sip-403")]);
    let verdict = &calls[0].verdict;
    assert!(
        verdict
            .summary
            .contains("the same Call-ID also carried a REGISTER (200 OK)"),
        "{}",
        verdict.summary
    );
    let frames: Vec<u64> = verdict.evidence.iter().map(|e| e.frame).collect();
    assert_eq!(frames, vec![3, 5, 1, 2]);
    assert_eq!(calls[0].verdict.twilio_error, Some(31203));
}

/// A request of a method no RFC defines, never answered (tshark: FOO sent
/// 10 times, frames 3-12 over 27.5 s, no response): not invisible, not
/// "ok", but sip-no-response.
#[test]
fn an_unanswered_request_of_any_method_is_no_response() {
    let calls = analyze("sip-unknown-method-no-response.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-request", "sip", "sip-no-response")]
    );
    assert!(
        calls[0].verdict.summary.contains("FOO")
            && calls[0].verdict.summary.contains("sent 10 times"),
        "{}",
        calls[0].verdict.summary
    );
    assert_eq!(calls[0].frames, 10);
}

/// The caller is gone before the answer: tshark shows INVITE (1), 100 (2),
/// 180 (3), then 200 OK four times (4, 6, 8, 10), each answered by ICMP
/// port unreachable from the caller (5, 7, 9, 11), and no ACK. Signalling
/// failed, not media.
#[test]
fn a_response_answered_by_icmp_is_a_signalling_failure() {
    let calls = analyze("sip-response-port-unreachable.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "sip-transport-refused")]
    );
    let verdict = &calls[0].verdict;
    assert!(
        verdict
            .summary
            .contains("the 200 OK could not be delivered")
            && verdict.summary.contains("(4 ICMP errors)"),
        "{}",
        verdict.summary
    );
    let frames: Vec<u64> = verdict.evidence.iter().map(|e| e.frame).collect();
    assert_eq!(frames, vec![1, 4, 5]);
    // The ICMP errors belong to the call.
    assert_eq!(calls[0].frames, 11);
    // The 200 OK's four copies are one event listing each frame.
    let ok = calls[0]
        .timeline
        .iter()
        .find(|e| e.text.starts_with("200 OK"))
        .expect("a 200 OK event");
    assert_eq!((ok.frames.clone(), ok.count), (vec![4, 6, 8, 10], 4));
    // The four ICMP errors are one event, from the caller's own address
    // (the host refused its own port).
    let icmp: Vec<_> = calls[0]
        .timeline
        .iter()
        .filter(|e| e.protocol == "ICMP")
        .collect();
    assert_eq!(icmp.len(), 1);
    assert_eq!(icmp[0].frames, vec![5, 7, 9, 11]);
    assert_eq!(icmp[0].src.to_string(), "10.201.1.1:5060");
}

#[test]
fn webrtc_success_direct_and_relayed() {
    let calls = analyze("webrtc-ok.pcap");
    assert_eq!(verdicts(&calls), vec![v("webrtc", "none", "ok")]);
    let c = &calls[0];
    let ice = &c.json["ice"];
    assert_eq!(ice["checks_answered"], 2);
    // tshark's stun.time for the two checks (frames 2 and 4).
    let rtts: Vec<f64> = ice["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rtt_ms"].as_f64().unwrap())
        .collect();
    assert_eq!(rtts, vec![1.123, 0.422]);
    assert_eq!(c.json["dtls"]["handshake_complete"], true);
    let s = streams(c);
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|x| x.2 == 151 && x.3 == 0), "{s:?}");

    let calls = analyze("webrtc-turn-relay.pcap");
    assert_eq!(verdicts(&calls), vec![v("webrtc", "none", "ok")]);
    let c = &calls[0];
    assert_eq!(
        c.json["turn"].as_array().unwrap().len(),
        1,
        "the allocation is part of the call"
    );
    assert_eq!(c.json["turn"][0]["succeeded"], true);
    assert_eq!(c.json["dtls"]["relayed"], true);
    // Each packet shows on both legs of the relay (ChannelData, and plain
    // UDP between relay and peer): 151 sent per SSRC, as tshark's RTP
    // streams count them on the relay-peer leg.
    assert!(streams(c).iter().all(|x| x.2 == 151), "{:?}", streams(c));
    let dups: Vec<u64> = c.json["media"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["duplicates"].as_u64().unwrap())
        .collect();
    assert_eq!(dups, vec![0, 0]);
}

#[test]
fn ice_failures() {
    let calls = analyze("webrtc-udp-blocked.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "ice", "ice-no-response")]
    );
    assert_eq!(calls[0].json["ice"]["checks_answered"], 0);

    let calls = analyze("turn-wrong-password.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("turn-allocation", "ice", "turn-auth-failed")]
    );
    let calls = analyze("turn-unreachable.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("turn-allocation", "ice", "turn-unreachable")]
    );

    let calls = analyze("webrtc-consent-lost.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "ice", "ice-consent-lost")]
    );
    // Media flowed both ways before consent was lost.
    assert!(
        streams(&calls[0]).iter().all(|x| x.2 > 1500),
        "{:?}",
        streams(&calls[0])
    );
}

#[test]
fn dtls_failures() {
    let calls = analyze("dtls-dropped-one-way.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "dtls", "dtls-no-response")]
    );
    let c = &calls[0];
    assert_eq!(c.json["dtls"]["client_hellos"], 6);
    assert!(c.json["ice"]["checks_answered"].as_u64().unwrap() > 0);

    let calls = analyze("dtls-alert.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("dtls-session", "dtls", "dtls-alert")]
    );
    assert!(calls[0].verdict.summary.contains("unknown_ca"));

    let calls = analyze("dtls-openssl-alerts.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![
            v("dtls-session", "dtls", "dtls-alert"),
            v("dtls-session", "dtls", "dtls-alert")
        ]
    );
    assert!(calls[1].verdict.summary.contains("handshake_failure"));
}

#[test]
fn dtls_incomplete_and_fingerprint() {
    let calls = analyze("webrtc-dtls-incomplete.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "dtls", "dtls-incomplete")]
    );
    // tshark: ClientHello 5, ServerHello 6, the client's CCS 7, the server's
    // encrypted alert 632; the client resends its last flight at 58, 161,
    // 370 and 633 and is never answered.
    assert_eq!(evidence_frames(&calls[0]), vec![5, 6, 7, 632, 633]);
    assert!(calls[0]
        .verdict
        .summary
        .contains("resent its last flight 4 times"));

    let calls = analyze("sip-webrtc-fingerprint-mismatch.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "dtls", "dtls-fingerprint-mismatch")]
    );
    // tshark: the 200 OK with the answer's a=fingerprint is frame 13, the
    // client's Certificate frame 24.
    let frames = evidence_frames(&calls[0]);
    assert!(frames.contains(&13) && frames.contains(&24), "{frames:?}");
}

#[test]
fn sip_signalled_webrtc_is_one_call() {
    let calls = analyze("sip-webrtc-dtls-fail.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "dtls", "dtls-no-response")]
    );
    let c = &calls[0];
    assert_eq!(c.json["sip"]["final_status"], 200);
    let ice = &c.json["ice"];
    assert!(ice["checks_answered"].as_u64().unwrap() > 0);
    // The ufrags come from both the SDP and the STUN USERNAMEs.
    assert_eq!(ice["ufrags"].as_array().unwrap().len(), 2);
    assert_eq!(c.json["dtls"]["client_hellos"], 6);
}

#[test]
fn sip_over_websocket_is_judged_like_sip_over_udp() {
    // sip-ws.pcap: one WebSocket connection carries a registration refused
    // after its challenge, a call declined, and a call answered with RTP
    // (tshark -Y sip for the frames; -z rtp,streams: 150 packets each way).
    let calls = analyze("sip-ws.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![
            v("sip-registration", "sip", "sip-auth-failed"),
            v("sip-call", "sip", "sip-603"),
            v("sip-call", "none", "ok"),
        ]
    );
    assert_eq!(evidence_frames(&calls[0]), vec![8, 9, 11, 13]);
    assert_eq!(evidence_frames(&calls[1]), vec![15, 21]);
    assert_eq!(calls[1].verdict.twilio_error, Some(31603));
    // The INVITE sent in four WebSocket fragments is seen on its last one.
    assert_eq!(evidence_frames(&calls[2]), vec![29, 36, 39, 40]);
    let mut s = streams(&calls[2]);
    s.sort();
    assert_eq!(
        s,
        vec![
            ("10.201.1.1:40000".into(), "10.201.2.3:30000".into(), 150, 0),
            ("10.201.2.3:30000".into(), "10.201.1.1:40000".into(), 150, 0),
        ]
    );
    for c in &calls {
        for t in c.json["sip"]["transactions"].as_array().unwrap() {
            assert_eq!(t["transport"], "ws", "call {}", c.number);
        }
    }
    // The connection was opened for the registration: only its call
    // starts with it (frame 4, the HTTP upgrade); the others start at
    // their INVITE.
    let starts: Vec<u64> = calls
        .iter()
        .map(|c| c.json["timeline"][0]["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(starts, vec![4, 15, 29]);
}

#[test]
fn webrtc_ipv6_and_one_way_media() {
    assert_eq!(
        verdicts(&analyze("webrtc-ipv6.pcap")),
        vec![v("webrtc", "none", "ok")]
    );
    let calls = analyze("webrtc-media-one-way.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "media", "media-one-way")]
    );
    assert_eq!(streams(&calls[0]).len(), 1);
}

#[test]
fn capture_cut_off_is_not_a_failure() {
    let calls = analyze("dtls-cut-off.pcap");
    assert_eq!(verdicts(&calls), vec![v("webrtc", "dtls", "capture-ended")]);
    assert!(!calls[0].verdict.failed());
    assert!(calls[0]
        .verdict
        .summary
        .contains("1.0 s after the ClientHello"));
    let calls = analyze("sip-invite-cut-off.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "capture-ended")]
    );
}

#[test]
fn ok_verdicts_carry_their_evidence() {
    let c = &analyze("sip-call-rtp.pcap")[0];
    assert!(
        c.verdict.summary.starts_with("SIP 200 OK after"),
        "{}",
        c.verdict.summary
    );
    assert!(c
        .verdict
        .summary
        .contains("2 RTP streams (100/150 packets, 0 lost)"));
    assert!(c.verdict.evidence.len() >= 4);
}

#[test]
fn call_ids_are_stable_and_ordered() {
    let a: Vec<String> = analyze("turn-coturn.pcap")
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let b: Vec<String> = analyze("turn-coturn.pcap")
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(a, b);
    let calls = analyze("turn-coturn.pcap");
    assert!(calls.windows(2).all(|w| w[0].start_ts <= w[1].start_ts));
}

#[test]
fn sip_transport_failures() {
    let calls = analyze("sip-tcp-refused.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-connection", "sip", "sip-transport-refused")]
    );
    let calls = analyze("sip-tcp-blocked.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-connection", "sip", "sip-transport-blocked")]
    );
    assert!(
        calls[0]
            .verdict
            .summary
            .contains("sent 9 times over 19.6 s"),
        "{}",
        calls[0].verdict.summary
    );
    let calls = analyze("sip-tls-failed.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-connection", "sip", "sip-tls-failed")]
    );
    // tshark: frame 11, TLS Alert (Level: Fatal, Description: Handshake Failure).
    assert!(evidence_frames(&calls[0]).contains(&11));
    assert!(calls[0].verdict.summary.contains("handshake_failure (40)"));
    for c in [&analyze("sip-tcp-refused.pcap")[0], &calls[0]] {
        assert_eq!(c.verdict.twilio_error, Some(31009));
    }
}

#[test]
fn sip_ringing_without_answer() {
    let calls = analyze("sip-no-final-response.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "sip", "sip-no-final-response")]
    );
    assert_eq!(calls[0].verdict.twilio_error, Some(31003));
}

/// 2000 sipp calls with mixed outcomes. tshark `-z sip,stat` and the INVITE
/// final responses per Call-ID (samples/make/FACTS-sipnet.md): 200 x1000,
/// 486 x240, 603 x160, 404 x160, 480 x160, 487 x200, and 80 INVITEs with no
/// response at all.
#[test]
fn load_capture_counts_match_tshark() {
    let calls = analyze("sip-load-mixed.pcap");
    assert_eq!(calls.len(), 2000);
    let mut by_status = std::collections::BTreeMap::new();
    let mut by_code = std::collections::BTreeMap::new();
    for c in &calls {
        let status = c.json["sip"]["final_status"].as_u64();
        *by_status.entry(status).or_insert(0) += 1;
        *by_code.entry(c.verdict.code.to_string()).or_insert(0) += 1;
    }
    let expected_status: std::collections::BTreeMap<Option<u64>, i32> = [
        (None, 80),
        (Some(200), 1000),
        (Some(404), 160),
        (Some(480), 160),
        (Some(486), 240),
        (Some(487), 200),
        (Some(603), 160),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_status, expected_status);
    let expected_code: std::collections::BTreeMap<String, i32> = [
        // Answered calls carry no RTP in this capture.
        ("media-none", 1000),
        ("sip-404", 160),
        ("sip-480", 160),
        ("sip-486", 240),
        ("sip-487", 200),
        ("sip-603", 160),
        ("sip-no-response", 80),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(by_code, expected_code);
}

/// 40 aiortc sessions of eight kinds run concurrently through one router and
/// one coturn (samples/make/large-webrtc.sh 2): what each session did, as
/// aiortc itself reported it, is in samples/make/FACTS-webrtc-mixed.txt.
#[test]
fn mixed_webrtc_sessions_each_get_their_verdict() {
    let calls = analyze("webrtc-mixed.pcap");
    let mut got = std::collections::BTreeMap::new();
    for (kind, _, code) in verdicts(&calls) {
        *got.entry((kind, code)).or_insert(0) += 1;
    }
    let want: std::collections::BTreeMap<(String, String), i32> = [
        // 12 direct and 6 relay-only sessions that worked.
        ("webrtc", "ok", 18),
        ("webrtc", "ice-no-response", 4),
        ("webrtc", "dtls-no-response", 4),
        ("webrtc", "ice-consent-lost", 4),
        ("webrtc", "media-one-way", 4),
        ("turn-allocation", "turn-auth-failed", 4),
        ("turn-allocation", "turn-unreachable", 2),
    ]
    .into_iter()
    .map(|(k, c, n)| ((k.to_string(), c.to_string()), n))
    .collect();
    assert_eq!(got, want);
    // The relay-only sessions are judged with their TURN allocation.
    let relayed = calls
        .iter()
        .filter(|c| {
            c.verdict.code.as_str() == "ok" && !c.json["turn"].as_array().unwrap().is_empty()
        })
        .count();
    assert_eq!(relayed, 6);
}

#[test]
fn ice_gathering_and_check_failures() {
    // tshark: Binding requests without USERNAME to 10.202.3.2:3478 in
    // frames 1-4, never answered; the peers' checks unanswered too.
    let calls = analyze("stun-server-unreachable.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "ice", "stun-server-unreachable")]
    );
    assert!(evidence_frames(&calls[0]).contains(&1));
    assert!(calls[0].verdict.summary.contains("sent 4 times over 3.5 s"));
    assert!(calls[0].verdict.summary.contains("none answered"));

    // tshark: Allocate 401 (frame 2), then 486 Allocation Quota Reached (frame 4).
    let calls = analyze("turn-allocate-error.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("turn-allocation", "ice", "turn-allocate-error")]
    );
    assert!(calls[0]
        .verdict
        .summary
        .contains("486 Allocation Quota Reached"));
    assert!(evidence_frames(&calls[0]).contains(&4));

    // One side's ufrag was altered in the SDP: every check is answered 401
    // (frames 2, 4, 6, ...), and both ufrag pairs are one call.
    let calls = analyze("ice-check-errors.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("webrtc", "ice", "ice-check-errors")]
    );
    assert!(calls[0].verdict.summary.contains("401 Unauthenticated"));
    assert!(evidence_frames(&calls[0]).contains(&2));

    let calls = analyze("sip-webrtc-ice-not-started.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "ice", "ice-not-started")]
    );
    assert_eq!(calls[0].json["sip"]["final_status"], 200);
}

/// The same sipp call twice, 342 s apart, in one pcapng (same SSRCs, same
/// addresses): each call gets its own streams.
#[test]
fn reused_ssrc_and_addresses_are_separate_streams() {
    let calls = analyze("pcapng-two-link-types.pcapng");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "none", "ok"), v("sip-call", "none", "ok")]
    );
    for c in &calls {
        let mut packets: Vec<u64> = streams(c).iter().map(|s| s.2).collect();
        packets.sort();
        assert_eq!(packets, vec![100, 150]);
    }
}

/// 1000 sipp calls at 25 calls/s, every one between the same two media
/// addresses (samples/make/sip-load-one-port.sh; tshark: 1000 Call-IDs,
/// 620 BYEs, 120 486s, 100 603s, 40 487s, 960 RTP streams on two port
/// pairs). The user part of the Request-URI is the outcome the callee sipp
/// was told to give, so it says what each call's verdict must be; sipp's
/// RTP streamer numbers its streams, so SSRC 0xCA110000 + n - 1 is call
/// n's in either direction. Goal: at least 99 % of calls judged right,
/// every stream given to one call.
#[test]
fn calls_sharing_one_media_port_pair_each_get_their_own_streams() {
    let calls = analyze("sip-load-one-port.pcap");
    assert_eq!(calls.len(), 1000);
    let mut right = 0;
    let mut wrong = std::collections::BTreeMap::new();
    let mut owner_of = std::collections::HashMap::new();
    let mut streams_right = 0;
    for c in &calls {
        let to = c.json["sip"]["to"].as_str().unwrap();
        let user = to.trim_start_matches("sip:").split('@').next().unwrap();
        let expected = match user {
            "ok" => "ok",
            "oneway" | "oneback" => "media-one-way",
            "nomedia" => "media-none",
            "busy" => "sip-486",
            "decline" => "sip-603",
            "notfound" => "sip-404",
            "unavail" => "sip-480",
            "noanswer" => "sip-487",
            other => panic!("unexpected callee {other}"),
        };
        if c.verdict.code.to_string() == expected {
            right += 1;
        } else {
            *wrong
                .entry((user.to_string(), c.verdict.code.to_string()))
                .or_insert(0) += 1;
        }
        let call_id = c.json["sip"]["call_id"].as_str().unwrap();
        let n: u64 = call_id.split('-').next().unwrap().parse().unwrap();
        for s in c.json["media"]["streams"].as_array().unwrap() {
            let ssrc = s["ssrc"].as_u64().unwrap();
            let src = s["src"].as_str().unwrap().to_string();
            assert_eq!(
                owner_of.insert((src, ssrc), n),
                None,
                "stream {ssrc:#x} given to two calls"
            );
            if ssrc + 1 - 0xCA11_0000 == n {
                streams_right += 1;
            }
        }
    }
    assert!(right >= 990, "{right} of 1000 right; wrong: {wrong:?}");
    assert_eq!(owner_of.len(), 960, "every stream given to a call");
    assert!(streams_right >= 950, "{streams_right} of 960 streams right");
}

/// A call through kamailio with topology hiding: two legs with two
/// Call-IDs (tshark: the caller's leg 10.201.1.1 <-> 10.201.1.2, the
/// callee's 10.201.2.2 <-> 10.201.2.3), both SDPs naming 10.201.1.1:40000
/// and 10.201.2.3:30000, and RTP directly between them (tshark -z
/// rtp,streams: 100 packets from the caller, 150 from the callee). Both
/// legs are one conversation: each sees the media.
#[test]
fn both_legs_of_a_b2bua_see_the_direct_media() {
    let calls = analyze("sip-b2bua-direct-media.pcap");
    assert_eq!(
        verdicts(&calls),
        vec![v("sip-call", "none", "ok"), v("sip-call", "none", "ok")]
    );
    let legs: Vec<&str> = calls
        .iter()
        .map(|c| c.json["sip"]["caller"].as_str().unwrap())
        .collect();
    assert_eq!(legs, vec!["10.201.1.1:5060", "10.201.2.2:5060"]);
    for c in &calls {
        let mut s = streams(c);
        s.sort();
        assert_eq!(
            s,
            vec![
                ("10.201.1.1:40000".into(), "10.201.2.3:30000".into(), 100, 0),
                ("10.201.2.3:30000".into(), "10.201.1.1:40000".into(), 150, 0),
            ]
        );
    }
}
