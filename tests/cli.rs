//! The commands as a person runs them: `analyze` with its filters, `ladder`
//! and `export`, checked on what they print and write. Counts per code
//! were checked against tshark (`tshark -r samples/sip-load-mixed.pcap -Y
//! "sip.Status-Code == 603"`: 160 final responses, one per call).

use std::process::Command;

fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn callscope(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(args)
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn analyze_filters_by_code_failed_and_call() {
    let load = sample("sip-load-mixed.pcap");
    let (out, _, code) = callscope(&["analyze", "--code", "sip-603", &load]);
    assert_eq!(code, Some(0));
    assert!(out.contains("totals: 160 calls, 160 failed"), "{out}");
    assert!(out.contains("by code: sip-603 160"), "{out}");
    assert!(out.contains("(shown: 160 of 2000 calls"), "{out}");

    let (out, _, _) = callscope(&["analyze", "--call", "7", &load]);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("   7  ")).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].contains("sip-603"), "{out}");

    let (out, _, _) = callscope(&["analyze", &load]);
    assert!(
        out.contains("by code: media-none 1000, sip-486 240, sip-487 200, sip-404 160, sip-480 160, sip-603 160, sip-no-response 80"),
        "{out}"
    );

    // A bare status and any case; a bare Call-ID.
    let (out, _, _) = callscope(&["analyze", "--code", "486", &load]);
    assert!(out.contains("by code: sip-486 240"), "{out}");
    let (out, _, _) = callscope(&["analyze", "--code", "SIP-603", &load]);
    assert!(out.contains("by code: sip-603 160"), "{out}");
    let decline = sample("sip-603-decline.pcap");
    let (out, _, _) = callscope(&[
        "analyze",
        "--call",
        "2b8781d26609aeba-1@10.201.1.1",
        &decline,
    ]);
    assert!(out.contains("totals: 1 call, 1 failed"), "{out}");
    // Nothing matches: said so.
    let (out, _, _) = callscope(&["analyze", "--call", "5000", &load]);
    assert!(
        out.contains("(shown: 0 of 2000 calls: none matches"),
        "{out}"
    );

    // --failed hides a good call.
    let (out, _, _) = callscope(&["analyze", "--failed", &sample("sip-call-rtp.pcap")]);
    assert!(out.contains(", 0 calls"), "{out}");
}

#[test]
fn ladder_shows_failed_calls_by_default() {
    let (out, _, code) = callscope(&["ladder", &sample("sip-webrtc-dtls-fail.pcap")]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("call 1  sip-call  sip:1-32360@10.202.1.2  dtls dtls-no-response"),
        "{out}"
    );
    assert!(out.contains("|<===ClientHello x6=====|"), "{out}");
    assert!(out.lines().all(|l| l.chars().count() <= 120), "{out}");
    let (out, _, _) = callscope(&["ladder", &sample("sip-call-rtp.pcap")]);
    assert!(out.contains("no failed call (of 1 call)"), "{out}");
}

#[test]
fn export_writes_a_capture_that_analyses_the_same() {
    let dir = std::env::temp_dir();
    let out = dir.join(format!(
        "callscope-cli-export-{}.pcapng",
        std::process::id()
    ));
    let out_s = out.to_string_lossy().into_owned();
    let (_, err, code) = callscope(&[
        "export",
        &sample("sip-load-mixed.pcap"),
        "--code",
        "sip-603",
        "-o",
        &out_s,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("wrote 800 frames of 160 calls"), "{err}");
    let (text, _, _) = callscope(&["analyze", &out_s]);
    let _ = std::fs::remove_file(&out);
    assert!(text.contains("800 frames, 160 calls"), "{text}");
    assert!(text.contains("by code: sip-603 160"), "{text}");

    let (_, err, code) = callscope(&["export", &sample("sip-603-decline.pcap"), "-o", &out_s]);
    assert_eq!(code, Some(2));
    assert!(err.contains("needs --call"), "{err}");
}

/// `export` as `analyze` takes its input: standard input, a capture cut
/// short (what came before the cut is exported, exit 2), a missing file
/// (exit 2, and no output file left behind).
#[test]
fn export_reads_stdin_and_says_when_its_input_is_not_whole() {
    use std::io::Write;
    let dir = std::env::temp_dir();
    let out = dir.join(format!(
        "callscope-cli-export-in-{}.pcapng",
        std::process::id()
    ));
    let out_s = out.to_string_lossy().into_owned();

    let mut child = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["export", "--failed", "-o", &out_s, "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let bytes = std::fs::read(sample("sip-603-decline.pcap")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{err}");
    assert!(err.contains("wrote 5 frames of call 1"), "{err}");
    let (text, _, _) = callscope(&["analyze", &out_s]);
    assert!(text.contains("sip-603"), "{text}");

    // The first 5000 bytes of webrtc-ok.pcap: the capture breaks inside
    // a frame at byte 4960 (capinfos reads 23 frames before it).
    let cut = dir.join(format!("callscope-cli-cut-{}.pcap", std::process::id()));
    let whole = std::fs::read(sample("webrtc-ok.pcap")).unwrap();
    std::fs::write(&cut, &whole[..5000]).unwrap();
    let cut_s = cut.to_string_lossy().into_owned();
    let (_, err, code) = callscope(&["export", "--call", "1", "-o", &out_s, &cut_s]);
    let _ = std::fs::remove_file(&cut);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("wrote 23 frames of call 1"), "{err}");
    assert!(
        err.contains("cut short") && err.contains("at byte 4960"),
        "{err}"
    );

    let _ = std::fs::remove_file(&out);
    let missing = dir.join("callscope-cli-no-such-capture.pcap");
    let (_, err, code) = callscope(&[
        "export",
        "--failed",
        "-o",
        &out_s,
        &missing.to_string_lossy(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot open"), "{err}");
    assert!(!out.exists(), "an output file was left behind");
}

/// `--fail-on-failure` speaks of the calls shown: webrtc-mixed has failed
/// sessions, but none with code `ok`.
#[test]
fn fail_on_failure_counts_the_calls_shown() {
    let mixed = sample("webrtc-mixed.pcap");
    let (_, _, code) = callscope(&["analyze", "--fail-on-failure", &mixed]);
    assert_eq!(code, Some(1));
    let (_, _, code) = callscope(&["analyze", "--fail-on-failure", "--code", "ok", &mixed]);
    assert_eq!(code, Some(0));
}

/// `--threads` past 256 is refused at once with the reason, not run (a
/// pool of 20 000 threads took minutes on a 4-frame file); 256 runs.
#[test]
fn too_many_threads_are_refused() {
    let file = sample("sip-call-rtp.pcap");
    let (out, err, code) = callscope(&["analyze", "--threads", "20000", &file]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("20000 is more than 256 threads"), "{err}");
    let (out, _, code) = callscope(&["analyze", "--threads", "256", &file]);
    assert_eq!(code, Some(0));
    assert!(out.contains("by code: ok 1"), "{out}");
}

/// Without the `live` feature the command says what to install, exit 2;
/// with it, its arguments are checked before any interface is opened.
#[test]
fn live_says_what_it_needs() {
    if cfg!(feature = "live") {
        let (_, err, code) = callscope(&["live", "-i", "lo", "--ring-files", "3", "-w", "x"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("--ring-size"), "{err}");
        let (_, err, code) = callscope(&["live", "-i", "lo", "--duration", "ten"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("not a duration"), "{err}");
    } else {
        let (out, err, code) = callscope(&["live", "-i", "eth0"]);
        assert_eq!(code, Some(2));
        assert!(out.is_empty());
        assert!(err.contains("apt-get install libpcap-dev"), "{err}");
        assert!(err.contains("--features live"), "{err}");
        assert!(err.contains("tcpdump -i eth0 -w call.pcap"), "{err}");
    }
}
