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
