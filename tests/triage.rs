//! `callscope triage` and `callscope summary` as a pipeline runs them: over
//! the samples folder, with broken captures among good ones, in shards,
//! and into outputs that fail.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;
use support::callscope;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The table of the closing summary: triage's standard error from its
/// blank line on (the lines before it say how fast the run went).
fn table_of(stderr: &str) -> &str {
    stderr
        .split_once("\n\n")
        .map_or_else(|| panic!("no table in {stderr}"), |(_, t)| t)
}

/// Every file under `dir` that the capture reader accepts, in name order.
fn captures_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if callscope::capture::CaptureReader::open(&p.display().to_string()).is_ok() {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn each_call_line_is_the_reports_call_with_its_file() {
    let dir = samples_dir();
    let dir_text = dir.display().to_string();
    let run = callscope(&["triage", "-j", "2", &dir_text]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let got = lines(&run.stdout);

    // Every capture under samples/ has its lines, in path order (the
    // folder walk sorts each folder's names), and nothing else does.
    let mut files: Vec<String> = Vec::new();
    let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in &got {
        let file = line["file"].as_str().expect("file").to_string();
        if files.last() != Some(&file) {
            assert!(!files.contains(&file), "{file}'s lines are apart");
            files.push(file.clone());
        }
        by_file.entry(file).or_default().push(line.clone());
    }
    let expected = captures_under(&dir);
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert!(expected.len() >= 70, "{} captures", expected.len());

    // One analyze run over the same files: one report per line.
    let mut args = vec!["analyze", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let reports = lines(&callscope(&args).stdout);
    assert_eq!(reports.len(), files.len());
    let mut calls = 0;
    for (file, report) in files.iter().zip(&reports) {
        let want = report["calls"].as_array().expect("calls");
        let have = &by_file[file];
        if want.is_empty() {
            // A capture without calls leaves its file line.
            assert_eq!(have.len(), 1, "{file}");
            assert_eq!(have[0]["calls"], 0, "{file}");
            assert_eq!(have[0]["frames"], report["capture"]["frames"], "{file}");
            continue;
        }
        assert_eq!(have.len(), want.len(), "{file}");
        for (h, w) in have.iter().zip(want) {
            let mut h = h.clone();
            h.as_object_mut().unwrap().remove("file");
            assert_eq!(&h, w, "{file}");
            calls += 1;
        }
    }
    // The table counts what the lines hold.
    let table = table_of(&run.stderr);
    assert!(
        table.starts_with(&format!("captures: {};", files.len())),
        "{table}"
    );
    assert!(table.contains(&format!("\ncalls: {calls}; ")), "{table}");
    // Files found that are not captures (scripts, READMEs) are passed
    // over, and said to be.
    assert!(
        run.stderr
            .contains("found in folders passed over as not captures"),
        "{}",
        run.stderr
    );

    // The same bytes with one worker.
    let one = callscope(&["triage", "-j", "1", "-q", &dir_text]);
    assert_eq!(one.stdout, run.stdout);
    assert_eq!(one.stderr, "", "-q: nothing on standard error");
}

/// A folder of three good captures, one cut short in a frame, one that is
/// text named .pcap, an empty one, a gzip file whose data is corrupt, and
/// a note.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let s = samples_dir();
    for name in [
        "sip-603-decline.pcap",
        "webrtc-ok.pcap",
        "dtls-dropped-one-way.pcap",
    ] {
        std::fs::copy(s.join(name), dir.path().join(name)).unwrap();
    }
    let whole = std::fs::read(s.join("sip-call-rtp.pcap")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // 24-byte header, then records: 2000 bytes in is inside a frame.
    std::fs::write(dir.path().join("sub/cut.pcap"), &whole[..2000]).unwrap();
    std::fs::write(dir.path().join("sub/text.pcap"), "not a capture\n").unwrap();
    std::fs::write(dir.path().join("empty.pcap"), "").unwrap();
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(b"\xff\xff\xff\xff garbage, not deflate");
    std::fs::write(dir.path().join("broken.pcap.gz"), gz).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "customer says it fails\n").unwrap();
    // A capture whose name is not UTF-8 is read by its own path.
    use std::os::unix::ffi::OsStrExt;
    std::fs::copy(
        s.join("sip-486-busy.pcap"),
        dir.path()
            .join(std::ffi::OsStr::from_bytes(b"sub/busy-\xff.pcap")),
    )
    .unwrap();
    // A link to a capture gone is a capture missing; a link to the
    // capture beside it is that capture, read once.
    std::os::unix::fs::symlink("/nonexistent/x.pcap", dir.path().join("gone.pcap")).unwrap();
    std::os::unix::fs::symlink("webrtc-ok.pcap", dir.path().join("z-link.pcap")).unwrap();
    dir
}

#[test]
fn broken_captures_get_an_error_line_and_the_run_goes_on() {
    let dir = mixed_folder();
    let root = dir.path().display().to_string();
    let run = callscope(&["triage", &root]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let got = lines(&run.stdout);
    let path = |name: &str| format!("{root}/{name}");
    let errors: BTreeMap<String, String> = got
        .iter()
        .filter(|l| l.get("verdict").is_none())
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors.keys().cloned().collect::<Vec<_>>(),
        [
            "broken.pcap.gz",
            "empty.pcap",
            "gone.pcap",
            "sub/cut.pcap",
            "sub/text.pcap"
        ]
        .map(path)
    );
    assert!(errors[&path("gone.pcap")].contains("cannot open"));
    assert!(run.stderr.contains(&format!(
        "1 file reached twice (a folder given with a folder inside it, or a link beside its file) read once: {}",
        path("z-link.pcap")
    )), "{}", run.stderr);
    assert!(errors[&path("empty.pcap")].contains("empty file"));
    assert!(errors[&path("sub/text.pcap")].contains("not a pcap"));
    assert!(
        errors[&path("broken.pcap.gz")].contains("gzip"),
        "{errors:?}"
    );
    assert!(errors[&path("sub/cut.pcap")].contains("cut short"));
    // An error line is the file and the error, nothing else.
    for l in got.iter().filter(|l| l.get("error").is_some()) {
        assert_eq!(l.as_object().unwrap().len(), 2, "{l}");
    }
    // The good captures are all there with their verdicts, and the cut one
    // with the call of its frames before the cut, before its error line.
    let codes = |name: &str| -> Vec<String> {
        got.iter()
            .filter(|l| l["file"] == path(name) && l.get("verdict").is_some())
            .map(|l| l["verdict"]["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes("sip-603-decline.pcap"), ["sip-603"]);
    assert_eq!(codes("dtls-dropped-one-way.pcap"), ["dtls-no-response"]);
    assert_eq!(codes("webrtc-ok.pcap"), ["ok"]);
    assert_eq!(codes("sub/cut.pcap").len(), 1);
    assert_eq!(codes("sub/busy-\u{fffd}.pcap"), ["sip-486"]);
    let cut_at = got
        .iter()
        .position(|l| l["file"] == path("sub/cut.pcap"))
        .unwrap();
    assert!(got[cut_at].get("verdict").is_some());
    assert!(got[cut_at + 1].get("error").is_some());
    // The note is no capture: passed over, said so, no line.
    assert!(!run.stdout.contains("notes.txt"));
    assert!(
        run.stderr.contains(&format!(
            "1 file found in folders passed over as not captures: {}",
            path("notes.txt")
        )),
        "{}",
        run.stderr
    );
    let table = table_of(&run.stderr);
    assert!(
        table.starts_with("captures: 9; 3 with failed calls, 0 without any call, 5 with errors"),
        "{table}"
    );
    assert!(
        table.contains(&format!("  {}: empty file", path("empty.pcap"))),
        "{table}"
    );

    // Named on the command line, a text file is an error, not passed over.
    let named = callscope(&["triage", &path("notes.txt"), &path("webrtc-ok.pcap")]);
    assert_eq!(named.code, Some(2));
    let named_lines = lines(&named.stdout);
    assert_eq!(named_lines[0]["file"], path("notes.txt"));
    assert!(named_lines[0]["error"]
        .as_str()
        .unwrap()
        .contains("not a pcap"));
    assert_eq!(named_lines[1]["verdict"]["code"], "ok");
    // A path that does not exist too.
    let missing = callscope(&["triage", &path("gone.pcap")]);
    assert_eq!(missing.code, Some(2));
    assert!(missing.stdout.contains("cannot open"), "{}", missing.stdout);
    // A folder with no capture at all (an empty mount) is no success.
    let empty = tempfile::tempdir().unwrap();
    let none = callscope(&["triage", &empty.path().display().to_string()]);
    assert_eq!(none.code, Some(2));
    assert!(
        none.stderr.contains("no capture found in"),
        "{}",
        none.stderr
    );

    // Per file: one line each, the same table.
    let per_file = callscope(&["triage", "--per-file", &root]);
    assert_eq!(per_file.code, Some(2));
    let pf = lines(&per_file.stdout);
    assert_eq!(pf.len(), 9);
    let cut = pf
        .iter()
        .find(|l| l["file"] == path("sub/cut.pcap"))
        .unwrap();
    assert_eq!(cut["calls"], 1);
    assert!(cut["error"].as_str().unwrap().contains("cut short"));
    let decline = pf
        .iter()
        .find(|l| l["file"] == path("sip-603-decline.pcap"))
        .unwrap();
    assert_eq!(decline["by_code"]["sip-603"], 1);
    assert_eq!(decline["by_stage"]["sip"], 1);
    assert_eq!(decline["failed"], 1);
    assert_eq!(decline["examples"]["sip-603"]["number"], 1);
    assert_eq!(table_of(&per_file.stderr), table);
}

#[test]
fn shards_together_are_the_whole_run_and_summary_agrees() {
    let dir = samples_dir().display().to_string();
    let whole = callscope(&["triage", &dir]);
    assert_eq!(whole.code, Some(0));
    let out = tempfile::tempdir().unwrap();
    let mut shard_files = Vec::new();
    let mut all: Vec<String> = Vec::new();
    let mut files_seen: BTreeSet<String> = BTreeSet::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let run = callscope(&["triage", "--shard", &shard, "-q", &dir]);
        assert_eq!(run.code, Some(0));
        let files: BTreeSet<String> = lines(&run.stdout)
            .iter()
            .map(|l| l["file"].as_str().unwrap().to_string())
            .collect();
        assert!(!files.is_empty(), "shard {shard} is empty");
        assert!(files.is_disjoint(&files_seen), "a capture in two shards");
        files_seen.extend(files);
        all.extend(run.stdout.lines().map(str::to_string));
        let path = out.path().join(format!("shard-{k}.jsonl"));
        std::fs::write(&path, &run.stdout).unwrap();
        shard_files.push(path.display().to_string());
    }
    let mut whole_lines: Vec<String> = whole.stdout.lines().map(str::to_string).collect();
    whole_lines.sort();
    all.sort();
    assert_eq!(all, whole_lines, "the shards' lines are the whole run's");

    // summary over the shards prints the table triage printed for the
    // whole run; so does summary over the whole run's lines, and over
    // per-file lines.
    let table = table_of(&whole.stderr);
    let mut args = vec!["summary"];
    args.extend(shard_files.iter().map(String::as_str));
    let merged = callscope(&args);
    assert_eq!(merged.code, Some(0), "{}", merged.stderr);
    assert_eq!(merged.stdout, table);
    let whole_path = out.path().join("whole.jsonl");
    std::fs::write(&whole_path, &whole.stdout).unwrap();
    assert_eq!(
        callscope(&["summary", &whole_path.display().to_string()]).stdout,
        table
    );
    let per_file = callscope(&["triage", "--per-file", "-q", &dir]);
    let pf_path = out.path().join("per-file.jsonl");
    std::fs::write(&pf_path, &per_file.stdout).unwrap();
    assert_eq!(
        callscope(&["summary", &pf_path.display().to_string()]).stdout,
        table
    );
    // The table is about real counts: the samples have failures of every
    // stage, and their first sip-603 is the 603 sample's.
    assert!(table.contains("\nsip-603 "), "{table}");
    assert!(
        table.lines().any(
            |l| l.starts_with("dtls ") && l.split_whitespace().nth(2).is_some_and(|n| n != "0")
        ),
        "{table}"
    );
}

#[test]
fn exit_status_says_failed_calls_unreadable_files_and_output_errors_apart() {
    let s = samples_dir();
    let ok = s.join("webrtc-ok.pcap").display().to_string();
    let decline = s.join("sip-603-decline.pcap").display().to_string();
    assert_eq!(
        callscope(&["triage", "--fail-on-failure", &ok]).code,
        Some(0)
    );
    assert_eq!(
        callscope(&["triage", "--fail-on-failure", &ok, &decline]).code,
        Some(1)
    );
    assert_eq!(callscope(&["triage", &ok, &decline]).code, Some(0));

    // A full disk.
    let full = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["triage", &ok, &decline])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(3));
    let err = String::from_utf8_lossy(&full.stderr);
    assert!(err.contains("writing output"), "{err}");

    // A reader that goes away: status 3, no message, and the run stops.
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["triage", "-j", "1", &s.display().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");

    // summary: a line that is not triage output is named, status 2.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let report = callscope(&["triage", &decline]).stdout;
    std::fs::write(&bad, format!("{report}{{\"frames\":3}}\n")).unwrap();
    let run = callscope(&["summary", &bad.display().to_string()]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("line 2: not a line of callscope triage"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.starts_with("captures: 1;"), "{}", run.stdout);
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, &report).unwrap();
    let good = good.display().to_string();
    assert_eq!(callscope(&["summary", &good]).code, Some(0));
    // A line file given twice counts its captures once, and says so.
    let twice = callscope(&["summary", &good, &good]);
    assert_eq!(twice.stdout, callscope(&["summary", &good]).stdout);
    assert!(
        twice
            .stderr
            .contains("1 capture found again in later lines, counted once"),
        "{}",
        twice.stderr
    );
    // A line that is not text is named, and the lines after it are read.
    let mid = dir.path().join("mid.jsonl");
    let mut bytes = b"x\xff\n".to_vec();
    bytes.extend_from_slice(report.as_bytes());
    std::fs::write(&mid, bytes).unwrap();
    let run = callscope(&["summary", &mid.display().to_string()]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("line 1: not UTF-8 text"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.starts_with("captures: 1;"), "{}", run.stdout);
    assert_eq!(
        callscope(&["summary", "--fail-on-failure", &good]).code,
        Some(1)
    );
}

/// In a terminal, a progress bar shows while captures are read (bytes,
/// captures, calls, failures so far) and leaves the closing table alone.
#[test]
fn in_a_terminal_a_progress_bar_then_the_table() {
    if !support::tmux::Tmux::available() {
        assert!(
            std::env::var_os("CALLSCOPE_REQUIRE_TMUX").is_none(),
            "tmux is required here (CALLSCOPE_REQUIRE_TMUX) but not installed"
        );
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let load = dir.path().join("load.pcap");
    std::fs::copy(samples_dir().join("sip-load-mixed.pcap"), &load).unwrap();
    // The second capture comes through a FIFO the test writes when it
    // has seen the bar: the run waits there, however fast the first went.
    let fifo = dir.path().join("wait.pcap");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.jsonl");
    let command = format!(
        "{} triage -j 1 {} {} > {}; echo EXITED $?; sleep 30",
        env!("CARGO_BIN_EXE_callscope"),
        load.display(),
        fifo.display(),
        out.display()
    );
    let t = support::tmux::Tmux::start("triage", &command, 150, 40);
    let bar = t.wait_for_within("1/2 files, ", std::time::Duration::from_secs(60));
    let bar_line = bar.lines().find(|l| l.contains("1/2 files, ")).unwrap();
    assert!(bar_line.contains("2000 calls, 2000 failed"), "{bar_line}");
    assert!(bar_line.contains(" eta "), "{bar_line}");
    assert!(bar_line.contains("MiB/"), "{bar_line}");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .unwrap()
        .write_all(&std::fs::read(&load).unwrap())
        .unwrap();
    let end = t.wait_for_within("EXITED 0", std::time::Duration::from_secs(60));
    assert!(
        !end.contains(" eta "),
        "the bar is cleared at the end:\n{end}"
    );
    assert!(
        end.contains("captures: 2; 2 with failed calls, 0 without any call, 0 with errors"),
        "{end}"
    );
    assert!(end.contains("calls: 4000; 4000 failed"), "{end}");
    // Standard output (the file) holds the lines, and only them.
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 4_000);
    assert!(!text.contains("captures: "));
}
