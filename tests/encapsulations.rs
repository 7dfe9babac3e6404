//! Calls inside the encapsulations customers' captures come in are judged
//! exactly as the same calls captured directly. The wrapped captures are
//! real samples (sipp: sip-call-rtp; aiortc: webrtc-ok) with every frame
//! put inside VXLAN, Geneve, ERSPAN II and III, MPLS and NFLOG by
//! `samples/make/wrap-encapsulations.py`. tshark reads each wrapped file
//! to the same SIP, STUN and DTLS messages as the original (7 and 9).

mod common;

use common::analyze;

const WRAPS: [&str; 6] = ["vxlan", "geneve", "erspan2", "erspan3", "mpls", "nflog"];

#[test]
fn a_call_inside_a_tunnel_is_the_call_captured_directly() {
    for (base, code, frames) in [("sip-call-rtp", "ok", 257), ("webrtc-ok", "ok", 322)] {
        let direct = analyze(&format!("{base}.pcap"));
        assert_eq!(direct.len(), 1, "{base}");
        assert_eq!(direct[0].verdict.code.as_str(), code, "{base}");
        assert_eq!(direct[0].frames, frames, "{base}");
        let direct_json: Vec<_> = direct.iter().map(|c| c.json.clone()).collect();
        for wrap in WRAPS {
            let name = format!("encap/{base}-{wrap}.pcap");
            let wrapped: Vec<_> = analyze(&name).into_iter().map(|c| c.json).collect();
            // Every field of every call: ids, verdict, evidence frames,
            // streams, timeline.
            assert_eq!(wrapped, direct_json, "{name}");
        }
    }
}

/// An encapsulation not read (L2TPv3 over UDP 1701 around the same real
/// call) gives no call, and the report says what the frames were instead
/// of a bare "0 calls".
#[test]
fn a_capture_with_nothing_recognised_says_what_it_holds() {
    let path = common::sample("encap/sip-call-rtp-l2tpv3.pcap");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["analyze", &path])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("257 frames, 0 calls"), "{text}");
    assert!(
        text.contains("257 frames not recognised, by what carried them: udp/1701 257"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["analyze", "--format", "json", &path])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["capture"]["unrecognised"],
        serde_json::json!({"udp/1701": 257})
    );
    // A capture with calls counts what it did not recognise too: none in
    // the original sipp call (SIP, RTP, RTCP).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args([
            "analyze",
            "--format",
            "json",
            &common::sample("sip-call-rtp.pcap"),
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["capture"]["unrecognised"], serde_json::json!({}));
}
