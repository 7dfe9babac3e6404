//! The packet list does not depend on the number of decoding threads: the
//! pipeline decodes batches in parallel but hands frames on in capture
//! order, so `packets --format json` must be byte-identical with 1, 2 and 4
//! threads, on every sample and on a capture large enough that whole
//! batches of thousands of frames take the parallel path.

mod support;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::Command;

use callscope::bench_support::{load_ethernet_frames, write_repeated};
use callscope::engine::decode_file;
use callscope::report::packets::{Format, PacketPrinter};

use support::all_samples;

/// What `callscope packets --format <format> --threads <threads> <path>`
/// writes, produced through the library exactly as the command does.
fn packets(path: &str, threads: usize, format: Format) -> Vec<u8> {
    let mut printer = PacketPrinter::new(Vec::new(), format);
    let mut frames = 0u64;
    let outcome = decode_file(path, threads, |f| {
        frames += 1;
        printer.frame(f).expect("writing to memory");
    })
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        outcome.late_error.is_none(),
        "{path}: {:?}",
        outcome.late_error
    );
    assert_eq!(
        frames, outcome.info.frames,
        "{path}: every frame handed out"
    );
    printer
        .finish(&outcome.info, &outcome.stats)
        .expect("writing to memory")
}

/// Runs the built binary and returns its standard output.
fn packets_cli(path: &str, threads: usize) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["packets", "--format", "json", "--threads"])
        .arg(threads.to_string())
        .arg(path)
        .output()
        .expect("run callscope");
    assert!(
        out.status.success(),
        "{path} --threads {threads}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Index and both versions of the first line that differs, for a readable
/// failure instead of two megabytes of output.
fn first_difference(a: &[u8], b: &[u8]) -> Option<(usize, String, String)> {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let mut la = a.lines();
    let mut lb = b.lines();
    for i in 0.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x != y => {
                return Some((i, x.unwrap_or("<end>").into(), y.unwrap_or("<end>").into()))
            }
            _ => {}
        }
    }
    None
}

fn assert_same(path: &str, what: &str, one: &[u8], many: &[u8]) {
    if one != many {
        let diff = first_difference(one, many);
        panic!("{path}: output differs with {what}: first differing line {diff:?}");
    }
}

#[test]
fn every_sample_is_identical_with_one_two_and_four_threads() {
    let samples = all_samples();
    assert!(samples.len() >= 30, "samples/ holds the captures");
    for p in &samples {
        let path = p.to_str().unwrap();
        let one = packets(path, 1, Format::Json);
        assert!(!one.is_empty());
        for threads in [2, 4] {
            let many = packets(path, threads, Format::Json);
            assert_same(path, &format!("{threads} threads"), &one, &many);
        }
    }
}

#[test]
fn command_line_output_is_identical_across_threads() {
    // Through the binary as well, on samples with TCP reassembly, IP
    // fragments, TURN relaying and DTLS retransmission notes.
    for name in [
        "sip-call-tcp.pcap",
        "sip-invite-fragmented.pcap",
        "webrtc-turn-relay.pcap",
        "sip-webrtc-dtls-fail.pcap",
    ] {
        let path = support::sample(name);
        let one = packets_cli(&path, 1);
        assert_eq!(
            one,
            packets(&path, 1, Format::Json),
            "{name}: CLI = library"
        );
        assert_same(&path, "--threads 2", &one, &packets_cli(&path, 2));
        assert_same(&path, "--threads 4", &one, &packets_cli(&path, 4));
    }
}

/// Samples whose frames make the large capture: SIP over UDP, TCP and
/// TLS, IP fragments of both versions, TURN over UDP and TCP, WebRTC with
/// DTLS and SRTP, ICMP errors, plain RTP/RTCP.
const LARGE_INPUTS: [&str; 11] = [
    "sip-call-tcp.pcap",
    "sip-invite-fragmented.pcap",
    "sip-invite-fragmented-ipv6.pcap",
    "webrtc-turn-relay.pcap",
    "turn-coturn.pcap",
    "baresip-rtp-mux.pcap",
    "webrtc-ok.pcap",
    "sip-webrtc-dtls-fail.pcap",
    "dtls-openssl-alerts.pcap",
    "sip-udp-port-unreachable.pcap",
    "sip-tls-failed.pcap",
];

/// Those samples' Ethernet frames, repeated until the capture holds at
/// least `min_frames` (the reader cuts batches of 4096 frames, the
/// pipeline goes parallel from 256).
fn large_capture(min_frames: u64) -> (String, u64) {
    let inputs: Vec<String> = LARGE_INPUTS.iter().map(|n| support::sample(n)).collect();
    let frames = load_ethernet_frames(&inputs).expect("samples readable");
    assert!(frames.len() > 2_000, "{} Ethernet frames", frames.len());
    let path = format!(
        "{}/threads-large-{}.pcap",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id()
    );
    let mut w = BufWriter::new(File::create(&path).expect("create temp capture"));
    let written = write_repeated(&mut w, &frames, min_frames).expect("write temp capture");
    w.flush().expect("flush temp capture");
    (path, written)
}

#[test]
fn large_repeated_capture_is_identical_across_threads() {
    // Three full batches and a partial one.
    let (path, written) = large_capture(3 * 4096 + 1);
    assert!(written > 3 * 4096);

    let one = packets(&path, 1, Format::Json);
    let lines = one.iter().filter(|b| **b == b'\n').count() as u64;
    assert_eq!(lines, written + 1, "one line per frame plus the summary");
    for threads in [2, 4] {
        let many = packets(&path, threads, Format::Json);
        assert_same(&path, &format!("{threads} threads"), &one, &many);
    }
    let text_one = packets(&path, 1, Format::Text);
    let text_two = packets(&path, 2, Format::Text);
    assert_same(&path, "2 threads (text)", &text_one, &text_two);

    // The binary, which picks one thread per core with --threads 0.
    assert_same(&path, "the CLI, 0 threads", &one, &packets_cli(&path, 0));
    let _ = std::fs::remove_file(&path);
}
