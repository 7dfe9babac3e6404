//! The capture formats a file may come in, each read to the same frames
//! and times: classic pcap in both byte orders and with nanosecond
//! timestamps (derived here from a real sample's bytes), and pcapng with
//! if_tsresol 9 (samples/sip-486-busy-nsec.pcapng, made by editcap).

use callscope::engine::decode_file;

fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// (frame number, time in ns, captured bytes) of every frame.
fn frames(path: &str) -> Vec<(u64, i64, u32)> {
    let mut v = Vec::new();
    decode_file(path, 1, |f| v.push((f.number, f.ts_ns, f.caplen))).expect("readable");
    v
}

fn temp(name: &str, bytes: &[u8]) -> String {
    let path = format!(
        "{}/formats-{}-{name}",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id()
    );
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Rewrites a little-endian microsecond pcap: `swap` turns every header
/// field big-endian, `nanos` turns the magic and fractions to nanoseconds.
fn rewrite(pcap: &[u8], swap: bool, nanos: bool) -> Vec<u8> {
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let put32 = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if swap {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let put16 = |out: &mut Vec<u8>, v: u16| {
        out.extend_from_slice(&if swap {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let mut out = Vec::new();
    put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    put16(&mut out, u16::from_le_bytes([pcap[4], pcap[5]]));
    put16(&mut out, u16::from_le_bytes([pcap[6], pcap[7]]));
    for at in [8, 12, 16, 20] {
        put32(&mut out, u32_at(pcap, at));
    }
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let caplen = u32_at(pcap, at + 8) as usize;
        put32(&mut out, u32_at(pcap, at));
        let frac = u32_at(pcap, at + 4);
        put32(&mut out, if nanos { frac * 1000 } else { frac });
        put32(&mut out, u32_at(pcap, at + 8));
        put32(&mut out, u32_at(pcap, at + 12));
        out.extend_from_slice(&pcap[at + 16..at + 16 + caplen]);
        at += 16 + caplen;
    }
    out
}

#[test]
fn pcap_in_both_byte_orders_and_precisions_reads_the_same() {
    let original = frames(&sample("sip-call-rtp.pcap"));
    assert_eq!(original.len(), 257);
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    for (name, swap, nanos) in [
        ("le-us.pcap", false, false),
        ("be-us.pcap", true, false),
        ("le-ns.pcap", false, true),
        ("be-ns.pcap", true, true),
    ] {
        let path = temp(name, &rewrite(&bytes, swap, nanos));
        assert_eq!(frames(&path), original, "{name}");
    }
}

#[test]
fn pcapng_with_nanosecond_resolution() {
    // tshark -T fields -e frame.time_epoch on both: 1795274929.212120000,
    // 1795274929.212336000, ... the same instants.
    let us = frames(&sample("sip-486-busy.pcap"));
    let ns = frames(&sample("sip-486-busy-nsec.pcapng"));
    assert_eq!(ns, us);
    assert_eq!(us[0].1, 1_795_274_929_212_120_000);
    assert_eq!(us[1].1, 1_795_274_929_212_336_000);
}

/// Microsoft Network Monitor 2.x (`samples/netmon/*.cap`) and snoop
/// (`samples/snoop/*.snoop`), written by editcap from two samples: the same
/// frames, times and lengths as the originals (tshark: 257 and 322
/// frames), and the same calls.
#[test]
fn netmon_and_snoop_files_read_as_their_originals() {
    for (name, dir, ext, want_format) in [
        ("sip-call-rtp", "netmon", "cap", "netmon"),
        ("webrtc-ok", "netmon", "cap", "netmon"),
        ("sip-call-rtp", "snoop", "snoop", "snoop"),
        ("webrtc-ok", "snoop", "snoop", "snoop"),
    ] {
        let original = sample(&format!("{name}.pcap"));
        let netmon = sample(&format!("{dir}/{name}.{ext}"));
        let frames_of = frames(&netmon);
        assert_eq!(frames_of.len(), [257, 322][(name == "webrtc-ok") as usize]);
        assert_eq!(frames_of, frames(&original), "{name}");
        let calls = |path: &str| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope"))
                .args(["analyze", "--format", "json", path])
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(out.status.code(), Some(0));
            (report["calls"].clone(), report["capture"]["format"].clone())
        };
        let (netmon_calls, format) = calls(&netmon);
        assert_eq!(format, want_format);
        assert_eq!(netmon_calls, calls(&original).0, "{name}");
    }
}

/// A NetMon file cut short loses its frame table (it is at the end): the
/// frames before the cut are still read, walking from the header, and the
/// cut is reported with its offset (tshark reads none of it).
#[test]
fn a_netmon_file_cut_short_keeps_the_frames_before_the_cut() {
    let whole = std::fs::read(sample("netmon/sip-call-rtp.cap")).unwrap();
    let path = temp("cut.cap", &whole[..40_000]);
    let mut v = Vec::new();
    let outcome = decode_file(&path, 1, |f| v.push(f.number)).expect("frames before the cut");
    assert_eq!(v.len(), 147);
    let e = outcome.late_error.expect("the cut is reported");
    assert!(
        e.to_string().contains("cut short") && e.offset == 39_782,
        "{e}"
    );
}
