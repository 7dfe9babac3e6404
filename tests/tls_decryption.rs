//! SIP over secure WebSocket opened with a key log, as a person runs it:
//! `--keylog`, keys inside the pcapng, no keys, wrong keys, and export.
//! Frame numbers are tshark's on the same files
//! (`tshark -o tls.keylog_file:K -Y websocket -T fields -e frame.number
//! -e websocket.fin -e sip.CSeq -e sip.Status-Code`).

mod support;

use serde_json::Value;
use support::{callscope, sample};

/// The SIP messages tshark decrypts, with the INVITE the client sent in
/// four WebSocket fragments (frames 24 to 27) on its last fragment.
const SIP_FRAMES: [u64; 16] = [
    12, 13, 14, 15, 16, 17, 19, 21, 23, 27, 29, 31, 33, 35, 337, 339,
];

fn analyze_json(args: &[&str]) -> (Value, String) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let run = callscope(&all);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    (serde_json::from_str(&run.stdout).unwrap(), run.stderr)
}

/// The text report (its warnings are in it).
fn analyze_text(args: &[&str]) -> String {
    let mut all = vec!["analyze"];
    all.extend_from_slice(args);
    let run = callscope(&all);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.stdout
}

fn codes(report: &Value) -> Vec<String> {
    report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"]["code"].as_str().unwrap().to_string())
        .collect()
}

fn evidence(call: &Value) -> Vec<u64> {
    call["verdict"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["frame"].as_u64().unwrap())
        .collect()
}

/// The key log of a sample with one hex digit of every secret changed.
fn wrong_key_log() -> std::path::PathBuf {
    let text = std::fs::read_to_string(sample("sip-wss-tls13.keylog")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let mut parts: Vec<String> = line.split(' ').map(str::to_string).collect();
        if parts.len() == 3 {
            let last = parts[2].pop().unwrap();
            parts[2].push(if last == '0' { '1' } else { '0' });
        }
        out.push_str(&parts.join(" "));
        out.push('\n');
    }
    let path = std::env::temp_dir().join(format!("callscope-wrong-{}.keylog", std::process::id()));
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn secure_websocket_calls_are_judged_with_their_keys() {
    let tls13 = sample("sip-wss-tls13.pcap");
    let tls13_keys = sample("sip-wss-tls13.keylog");
    let tls12 = sample("sip-wss-tls12.pcap");
    let tls12_keys = sample("sip-wss-tls12.keylog");
    let injected = sample("sip-wss-tls13-secrets.pcapng");
    for args in [
        vec!["--keylog", &tls13_keys, &tls13],
        vec!["--keylog", &tls12_keys, &tls12],
        // The keys in the file's Decryption Secrets Block.
        vec![&injected],
    ] {
        let (report, _) = analyze_json(&args);
        assert_eq!(
            codes(&report),
            ["sip-auth-failed", "sip-603", "ok"],
            "{args:?}"
        );
        let calls = report["calls"].as_array().unwrap();
        assert_eq!(evidence(&calls[0]), [12, 13, 14, 15], "{args:?}");
        assert_eq!(evidence(&calls[1]), [16, 21], "{args:?}");
        assert_eq!(calls[1]["verdict"]["twilio_error"], 31603);
        assert_eq!(evidence(&calls[2])[..2], [27, 33], "{args:?}");
        for c in calls {
            for t in c["sip"]["transactions"].as_array().unwrap() {
                assert_eq!(t["transport"], "wss", "{args:?}");
            }
        }
        assert_eq!(
            report["capture"]["tls_connections"],
            serde_json::json!({"decrypted": 1})
        );
        let text = analyze_text(&args);
        assert!(!text.contains("warning"), "{text}");
    }
}

#[test]
fn packets_shows_the_decrypted_messages_at_tsharks_frames() {
    for v in ["13", "12"] {
        let keys = sample(&format!("sip-wss-tls{v}.keylog"));
        let file = sample(&format!("sip-wss-tls{v}.pcap"));
        let run = callscope(&["packets", "--keylog", &keys, &file]);
        assert_eq!(run.code, Some(0));
        let sip: Vec<u64> = run
            .stdout
            .lines()
            .filter(|l| l.contains(" SIP "))
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(sip, SIP_FRAMES, "TLS 1.{v}");
        let invite = run
            .stdout
            .lines()
            .find(|l| l.starts_with("    27 "))
            .unwrap();
        assert!(invite.contains("INVITE sip:bob@callscope.test"), "{invite}");
    }
}

#[test]
fn without_keys_or_with_wrong_keys_nothing_inside_is_judged_and_it_says_so() {
    let file = sample("sip-wss-tls13.pcap");
    let (none, _) = analyze_json(&[&file]);
    // The media is seen; the signalling is not judged, and no failure is
    // made up from it.
    assert_eq!(codes(&none), ["ok"]);
    assert_eq!(none["calls"][0]["kind"], "rtp-session");
    assert_eq!(
        none["capture"]["tls_connections"],
        serde_json::json!({"no key": 1})
    );
    let text = analyze_text(&[&file]);
    assert!(
        text.contains("warning: 1 TLS connection carrying data not decrypted (no key)"),
        "{text}"
    );
    let wrong = wrong_key_log();
    let wrong = wrong.to_str().unwrap();
    let (bad, _) = analyze_json(&["--keylog", wrong, &file]);
    assert_eq!(bad["calls"], none["calls"]);
    assert_eq!(
        bad["capture"]["tls_connections"],
        serde_json::json!({"key did not decrypt": 1})
    );
    let text = analyze_text(&["--keylog", wrong, &file]);
    assert!(
        text.contains("warning: 1 TLS connection: the key log did not open every record"),
        "{text}"
    );
    std::fs::remove_file(wrong).ok();

    // A key log that cannot be read stops the command; one with no secret
    // is said.
    let run = callscope(&["analyze", "--keylog", "/nonexistent/keys.log", &file]);
    assert_eq!(run.code, Some(2));
    assert!(run
        .stderr
        .starts_with("callscope: --keylog /nonexistent/keys.log: "));
    let run = callscope(&["analyze", "--keylog", &file, &file]);
    assert!(
        run.stderr.contains("no TLS secret found in"),
        "{}",
        run.stderr
    );
}

#[test]
fn secrets_never_reach_a_report_and_export_keeps_only_the_captures_own() {
    let keys = sample("sip-wss-tls13.keylog");
    let secrets: Vec<String> = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').nth(2).map(str::to_string))
        .collect();
    assert_eq!(secrets.len(), 5);
    let file = sample("sip-wss-tls13.pcap");
    for format in ["json", "text", "html", "markdown"] {
        let run = callscope(&[
            "analyze", "-v", "--format", format, "--keylog", &keys, &file,
        ]);
        for s in &secrets {
            assert!(!run.stdout.to_lowercase().contains(s), "{format}");
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // With --keylog: the export holds no key; it reads again with the key log.
    let plain = out("plain.pcapng");
    let run = callscope(&[
        "export", "--call", "2", "--keylog", &keys, "-o", &plain, &file,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("holds the capture's TLS keys"));
    let bytes = std::fs::read(&plain).unwrap();
    for s in &secrets {
        assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()));
    }
    let (again, _) = analyze_json(&["--keylog", &keys, &plain]);
    assert!(codes(&again).contains(&"sip-603".to_string()));

    // The capture's own secrets block is copied, and said; or stripped.
    let injected = sample("sip-wss-tls13-secrets.pcapng");
    let kept = out("kept.pcapng");
    let run = callscope(&["export", "--call", "1", "-o", &kept, &injected]);
    assert!(run
        .stderr
        .contains("holds the capture's TLS keys (1 decryption secrets blocks)"));
    let (again, _) = analyze_json(&[&kept]);
    assert_eq!(codes(&again)[0], "sip-auth-failed");
    let stripped = out("stripped.pcapng");
    let run = callscope(&[
        "export",
        "--call",
        "1",
        "--strip-secrets",
        "-o",
        &stripped,
        &injected,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("holds the capture's TLS keys"));
    let (again, _) = analyze_json(&[&stripped]);
    assert!(codes(&again).is_empty());
    assert!(analyze_text(&[&stripped]).contains("(no key)"));
}

#[test]
fn triage_opens_every_capture_with_the_key_logs_given() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sip-wss-tls13.pcap", "sip-wss-tls12.pcap"] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    let folder = dir.path().to_str().unwrap();
    let lines = |args: &[&str]| -> Vec<(String, String)> {
        let mut all = vec!["triage", "-q"];
        all.extend_from_slice(args);
        all.push(folder);
        let run = callscope(&all);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        run.stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let file = v["file"].as_str().unwrap().rsplit('/').next().unwrap();
                (
                    file.to_string(),
                    v["verdict"]["code"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let k13 = sample("sip-wss-tls13.keylog");
    let k12 = sample("sip-wss-tls12.keylog");
    let opened = lines(&["--keylog", &k13, "--keylog", &k12]);
    let expected: Vec<(String, String)> = ["sip-wss-tls12.pcap", "sip-wss-tls13.pcap"]
        .iter()
        .flat_map(|f| {
            ["sip-auth-failed", "sip-603", "ok"]
                .iter()
                .map(move |c| (f.to_string(), c.to_string()))
        })
        .collect();
    assert_eq!(opened, expected);
    // Without keys each capture has only its media.
    let closed = lines(&[]);
    assert_eq!(
        closed,
        [
            ("sip-wss-tls12.pcap".to_string(), "ok".to_string()),
            ("sip-wss-tls13.pcap".to_string(), "ok".to_string())
        ]
    );
}
