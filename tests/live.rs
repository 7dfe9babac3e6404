//! `callscope live` against real calls: two network namespaces joined by a
//! veth pair, sipp calls across them (one answered with RTP, one declined
//! 603, one INVITE to a port whose packets are dropped), captured live on
//! the caller's side while tcpdump records the same interface beside it.
//!
//! Runs where it can: as root, with the `live` feature, and ip, nft, sipp,
//! tcpdump, setpriv, ping and tmux present. Elsewhere each test says it skipped and why; with
//! `CALLSCOPE_REQUIRE_LIVE=1` (as `.ci/run` sets it) a missing piece fails
//! instead.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_callscope");

fn sh(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why the live tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    if !cfg!(feature = "live") {
        return Some("built without the `live` feature (cargo test --features live)".into());
    }
    let uid = String::from_utf8_lossy(&sh("id", &["-u"]).stdout)
        .trim()
        .to_string();
    if uid != "0" {
        return Some("not root (network namespaces and capture need it)".into());
    }
    for p in ["ip", "nft", "sipp", "tcpdump", "setpriv", "ping", "tmux"] {
        if !have(p) {
            return Some(format!("{p} is not installed"));
        }
    }
    None
}

/// Skips (saying so) or, where the live tests are required, fails.
fn runnable(test: &str) -> bool {
    match missing() {
        None => true,
        Some(why) if std::env::var_os("CALLSCOPE_REQUIRE_LIVE").is_some() => {
            panic!("{test}: CALLSCOPE_REQUIRE_LIVE is set but {why}")
        }
        Some(why) => {
            eprintln!("skipped {test}: {why}");
            false
        }
    }
}

/// Two namespaces joined by a veth pair, removed (with every process
/// started in them) when dropped.
struct Net {
    a: String,
    b: String,
    a_if: String,
    a_ip: String,
    b_ip: String,
    children: Vec<Child>,
}

impl Net {
    fn up(tag: &str) -> Net {
        let id = std::process::id() % 100_000;
        let net = Net {
            a: format!("csl{id}{tag}a"),
            b: format!("csl{id}{tag}b"),
            a_if: format!("csl{id}{tag}0"),
            a_ip: "10.231.0.1".into(),
            b_ip: "10.231.0.2".into(),
            children: Vec::new(),
        };
        let b_if = format!("csl{id}{tag}1");
        for ns in [&net.a, &net.b] {
            let _ = sh("ip", &["netns", "del", ns]);
            assert!(sh("ip", &["netns", "add", ns]).status.success());
        }
        let link = sh(
            "ip",
            &[
                "link", "add", &net.a_if, "netns", &net.a, "type", "veth", "peer", "name", &b_if,
                "netns", &net.b,
            ],
        );
        assert!(
            link.status.success(),
            "{}",
            String::from_utf8_lossy(&link.stderr)
        );
        for (ns, ifname, ip) in [(&net.a, &net.a_if, &net.a_ip), (&net.b, &b_if, &net.b_ip)] {
            let cidr = format!("{ip}/24");
            for args in [
                vec!["link", "set", "lo", "up"],
                vec!["addr", "add", cidr.as_str(), "dev", ifname.as_str()],
                vec!["link", "set", ifname.as_str(), "up"],
            ] {
                let mut full: Vec<&str> = vec!["-n", ns.as_str()];
                full.extend(args.iter().copied());
                let out = sh("ip", &full);
                assert!(out.status.success(), "ip {full:?}: {out:?}");
            }
            // IPv6 off: no router solicitations in the captures.
            let _ = sh(
                "ip",
                &[
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.all.disable_ipv6=1",
                ],
            );
        }
        net
    }

    fn spawn(&mut self, ns_a: bool, args: &[&str], log: &Path) -> u32 {
        let ns = if ns_a { &self.a } else { &self.b };
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        pid
    }

    fn exec_b(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.b])
            .args(args)
            .output()
            .unwrap()
    }

    /// Waits (bounded) for the children started so far to end.
    fn wait_all(&mut self, limit: Duration) {
        let until = Instant::now() + limit;
        for c in &mut self.children {
            while c.try_wait().ok().flatten().is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.a, &self.b] {
            // Whatever still runs in the namespace goes with it.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = sh("kill", &["-9", pid]);
                }
            }
            let _ = sh("ip", &["netns", "del", ns]);
        }
    }
}

fn scenario(name: &str, values: &[(&str, &str)], out: &Path) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/make");
    let mut text = std::fs::read_to_string(dir.join(name)).unwrap();
    for (k, v) in values {
        text = text.replace(&format!("@{k}@"), v);
    }
    assert!(!text.contains("@CODE@"), "{name}: a value is missing");
    std::fs::write(out, text).unwrap();
    out.display().to_string()
}

fn sipp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/make/sipp")
}

/// The three calls (each sipp on media ports of its own: two on one port
/// fail to start): an answered call with about 7 s of RTP each way (port
/// 5060), a call declined 603 (5062), and an INVITE to 5064 whose packets
/// B drops, so it is never answered (sipp gives up after 3
/// retransmissions).
fn start_calls(net: &mut Net, work: &Path) {
    let nft = net.exec_b(&[
        "nft",
        "add table inet cslive; add chain inet cslive input { type filter hook input priority 0; }; \
         add rule inet cslive input udp dport 5064 drop",
    ]);
    assert!(nft.status.success(), "nft: {nft:?}");
    let (a, b) = (net.a_ip.clone(), net.b_ip.clone());
    let uas_fail = scenario(
        "sip-scenarios/uas-fail.xml",
        &[
            ("CODE", "603"),
            ("REASON", "Decline"),
            ("TRYING_MS", "100"),
            ("RING_MS", "500"),
        ],
        &work.join("uas-fail.xml"),
    );
    let uac_fail = scenario(
        "sip-scenarios/uac-fail.xml",
        &[("CODE", "603")],
        &work.join("uac-fail.xml"),
    );
    let echo = sipp_dir().join("rtp-echo-uas.xml").display().to_string();
    let rtp_uac = sipp_dir().join("rtp-uac.xml").display().to_string();
    // Each sipp: bounded, on its own namespace's address, one call.
    let sipp = |net: &mut Net, caller: bool, port: &str, media: &str, args: &[&str], log: &str| {
        let ip = if caller { &a } else { &b };
        let mut full = vec!["timeout", "60", "sipp"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["-i", ip, "-p", port, "-mp", media, "-m", "1"]);
        net.spawn(caller, &full, &work.join(log));
    };
    let echo_args = ["-sf", &echo, "-mi", &b, "-rtp_echo", "-nd"];
    sipp(net, false, "5060", "6000", &echo_args, "uas-rtp.log");
    sipp(
        net,
        false,
        "5062",
        "6100",
        &["-sf", &uas_fail],
        "uas-603.log",
    );
    // The callees listen before the callers start.
    std::thread::sleep(Duration::from_millis(700));
    let to_rtp = format!("{b}:5060");
    let rtp_args = [
        "-sf",
        &rtp_uac,
        &to_rtp,
        "-mi",
        &a,
        "-nd",
        "-recv_timeout",
        "30000",
    ];
    sipp(net, true, "5060", "20000", &rtp_args, "uac-rtp.log");
    let to_603 = format!("{b}:5062");
    sipp(
        net,
        true,
        "5062",
        "21000",
        &["-sf", &uac_fail, &to_603],
        "uac-603.log",
    );
    let to_none = format!("{b}:5064");
    let none_args = ["-sn", "uac", &to_none, "-max_invite_retrans", "3"];
    sipp(net, true, "5064", "22000", &none_args, "uac-none.log");
}

/// Every frame of a capture file: (captured bytes, original length).
fn frames_of(path: &Path) -> Vec<(Vec<u8>, u32)> {
    use callscope::capture::{CaptureReader, FrameBatch};
    let mut reader = CaptureReader::open(path.to_str().unwrap()).unwrap();
    let mut batch = FrameBatch::new();
    let mut out = Vec::new();
    while reader.next_batch(&mut batch).unwrap() > 0 {
        out.extend(batch.iter().map(|f| (f.data.to_vec(), f.orig_len)));
    }
    out
}

/// Waits until `path` says `text` (a tool's "listening" line), bounded.
fn wait_for_text(path: &Path, text: &str, limit: Duration) {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if std::fs::read_to_string(path).is_ok_and(|s| s.contains(text)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{} never said {text:?}: {}",
        path.display(),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

#[test]
fn live_json_lines_match_the_saved_file_and_tcpdump() {
    if !runnable("live_json_lines_match_the_saved_file_and_tcpdump") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let mut net = Net::up("j");
    let saved = w.join("live.pcapng");
    let reference = w.join("tcpdump.pcap");
    let filter = callscope::capture::DEFAULT_LIVE_FILTER;

    // tcpdump beside it, on the same interface with the same filter.
    let a_if = net.a_if.clone();
    net.spawn(
        true,
        &[
            "timeout",
            "300",
            "tcpdump",
            "-i",
            &a_if,
            "-U",
            "-B",
            "32768",
            "-s",
            "262144",
            "-w",
            reference.to_str().unwrap(),
            filter,
        ],
        &w.join("tcpdump.log"),
    );
    wait_for_text(
        &w.join("tcpdump.log"),
        "listening on",
        Duration::from_secs(10),
    );

    let mut live = Command::new("ip")
        .args(["netns", "exec", &net.a, "timeout", "300", BIN, "live"])
        .args(["-i", &a_if, "--format", "jsonl", "--write"])
        .arg(&saved)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(w.join("live.err")).unwrap())
        .spawn()
        .unwrap();
    wait_for_text(&w.join("live.err"), "capturing on", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));

    // Lines as they come, each with when it came.
    let (tx, rx) = mpsc::channel::<(Instant, String)>();
    let stdout = live.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });

    let started = Instant::now();
    start_calls(&mut net, w);

    // The unanswered INVITE must be reported while capture goes on: its
    // line comes once its call is over (Timer B, then a minute of silence).
    let mut lines: Vec<(Instant, Value)> = Vec::new();
    let deadline = started + Duration::from_secs(150);
    let unanswered = |v: &Value| v["verdict"]["code"] == "sip-no-response";
    while !lines.iter().any(|(_, v)| unanswered(v)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((at, line)) => lines.push((at, serde_json::from_str(&line).unwrap())),
            Err(_) => panic!(
                "no line for the unanswered INVITE within 150 s; lines: {:?}",
                lines
                    .iter()
                    .map(|(_, v)| v["verdict"]["code"].clone())
                    .collect::<Vec<_>>()
            ),
        }
    }
    let stop_sent = Instant::now();
    net.wait_all(Duration::from_secs(20));
    // Ctrl-C: the capture stops, the file is closed, the report follows.
    let pid = live.id().to_string();
    let _ = sh("kill", &["-INT", &pid]);
    let status = live.wait().unwrap();
    reader.join().unwrap();
    while let Ok((at, line)) = rx.try_recv() {
        lines.push((at, serde_json::from_str(&line).unwrap()));
    }
    assert!(
        status.success(),
        "live: {status:?}: {}",
        std::fs::read_to_string(w.join("live.err")).unwrap()
    );

    // The last line is the report; the ones before, one per call.
    let (_, report) = lines.pop().expect("the report line");
    assert_eq!(report["schema"], "callscope.report/1");
    let calls: Vec<&Value> = lines.iter().map(|(_, v)| v).collect();
    assert!(calls
        .iter()
        .all(|c| c.get("schema").is_none() && c["number"].is_u64()));
    let codes: Vec<String> = calls
        .iter()
        .map(|c| c["verdict"]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(calls.len(), 3, "calls: {codes:?}");
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, ["ok", "sip-603", "sip-no-response"], "{codes:?}");
    // The unanswered INVITE was said while capture was still running.
    let (when, _) = lines
        .iter()
        .find(|(_, v)| v["verdict"]["code"] == "sip-no-response")
        .unwrap();
    assert!(*when <= stop_sent);
    assert_eq!(report["summary"]["calls"], 3);
    assert_eq!(report["calls"].as_array().unwrap().len(), 3);

    // The saved file gives the same verdicts offline, call by call.
    let offline = Command::new(BIN)
        .args(["analyze", "--format", "json"])
        .arg(&saved)
        .output()
        .unwrap();
    assert!(offline.status.success(), "{offline:?}");
    let offline: Value = serde_json::from_slice(&offline.stdout).unwrap();
    let offline_calls = offline["calls"].as_array().unwrap();
    assert_eq!(offline_calls.len(), 3);
    for c in &calls {
        let o = offline_calls
            .iter()
            .find(|o| o["id"] == c["id"])
            .unwrap_or_else(|| panic!("call {} not in the saved file's report", c["id"]));
        for key in ["code", "stage", "summary", "twilio_error"] {
            assert_eq!(o["verdict"][key], c["verdict"][key], "{key} of {}", c["id"]);
        }
        assert_eq!(o["frames"], c["frames"], "frames of {}", c["id"]);
        assert_eq!(o["timeline"], c["timeline"], "timeline of {}", c["id"]);
    }

    // Every packet is in the file: the same frames, in the same order, as
    // tcpdump's on the same interface; and nothing was dropped.
    let _ = sh("pkill", &["-INT", "-f", reference.to_str().unwrap()]);
    net.wait_all(Duration::from_secs(10));
    let ours = frames_of(&saved);
    let theirs = frames_of(&reference);
    assert!(ours.len() > 400, "{} frames", ours.len());
    assert_eq!(ours.len(), theirs.len(), "frames saved vs tcpdump's");
    assert!(ours == theirs, "the saved frames differ from tcpdump's");
    let capture = &report["capture"];
    assert_eq!(capture["frames"], ours.len() as u64);
    assert_eq!(capture["live"]["packets"], ours.len() as u64);
    assert_eq!(capture["live"]["stopped_by"], "interrupt");
    let iface = &capture["live"]["interfaces"][0];
    assert_eq!(iface["name"], a_if.as_str());
    assert_eq!(iface["dropped_by_kernel"], 0);
    assert_eq!(iface["dropped_by_interface"], 0);
    assert_eq!(offline["capture"]["frames"], capture["frames"]);
    assert_eq!(offline["capture"]["end_ts"], capture["end_ts"]);
}

/// The UI on a live capture, in a real terminal: calls appear as they
/// start, the unanswered INVITE waits (pending) and then fails when its
/// timer has passed with no packet at all, the header counts packets and
/// drops, and quitting stops the capture with the file complete.
#[test]
fn the_ui_shows_calls_as_they_happen_and_quitting_keeps_the_file() {
    if !runnable("the_ui_shows_calls_as_they_happen_and_quitting_keeps_the_file") {
        return;
    }
    assert!(Tmux::available(), "tmux is needed here");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let mut net = Net::up("t");
    let saved = w.join("ui.pcapng");
    let command = format!(
        "ip netns exec {} {BIN} live -i {} -w {}; echo EXITED $?; sleep 30",
        net.a,
        net.a_if,
        saved.display()
    );
    let t = Tmux::start("live", &command, 120, 30);
    t.wait_for("capturing: calls appear here as they start");
    let header = t.wait_for("LIVE ");
    assert!(header.contains(&format!("LIVE {}", net.a_if)), "{header}");
    assert!(header.contains("0 dropped"), "{header}");

    start_calls(&mut net, w);
    // The unanswered INVITE is still within Timer B: pending, not failed.
    let pending = t.wait_for_within("sipp@10.231.0.1:5064", Duration::from_secs(20));
    let row = |screen: &str, port: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("10.231.0.1:{port}")) || l.contains(&format!(":{port} ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let waiting = row(&pending, "5064");
    assert!(waiting.contains("wait"), "{pending}");
    assert!(!waiting.contains("FAIL"), "{pending}");
    // The declined call fails as soon as its 603 is seen.
    let declined = t.wait_for_within("sip-603", Duration::from_secs(20));
    assert!(declined.contains("FAIL"), "{declined}");
    // 32 s after the first INVITE, with no packet since its last
    // retransmission, the wall clock alone makes it fail.
    let failed = t.wait_for_within("sip-no-response", Duration::from_secs(60));
    assert!(row(&failed, "5064").contains("FAIL"), "{failed}");
    assert!(failed.contains("packets"), "{failed}");

    // Quitting stops the capture: asked twice.
    t.keys(&["q"]);
    let asked = t.wait_for("q again stops and quits; every packet is in");
    assert!(!asked.contains("EXITED"), "{asked}");
    t.keys(&["q"]);
    let end = t.wait_for_within("EXITED", Duration::from_secs(15));
    assert!(end.contains("EXITED 0"), "{end}");
    assert!(
        end.contains("0 dropped by the kernel, 0 by the interface; saved to"),
        "{end}"
    );
    let frames = frames_of(&saved).len();
    assert!(
        end.contains(&format!("callscope: {frames} packets captured")),
        "{end}"
    );
    let offline = Command::new(BIN)
        .args(["analyze"])
        .arg(&saved)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&offline.stdout);
    assert!(
        text.contains("sip-no-response") && text.contains("sip-603"),
        "{text}"
    );
}

/// Without the capture capabilities: one line that says so and how to
/// fix it, status 2, before anything else.
#[test]
fn no_permission_is_one_line_and_status_2() {
    if !runnable("no_permission_is_one_line_and_status_2") {
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .args([
            BIN,
            "live",
            "-i",
            "lo",
            "--format",
            "jsonl",
            "--duration",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("callscope: no permission to capture on lo:"),
        "{err}"
    );
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// A ring of files with `--count`, as another user (`--user`): the newest
/// files kept, numbered on, each whole; SIGTERM closes a file whole; and
/// `--duration` on `any` (whose link refuses the default filter's VLAN
/// part) stops on time.
#[test]
fn a_ring_keeps_the_newest_files_and_every_stop_leaves_them_whole() {
    if !runnable("a_ring_keeps_the_newest_files_and_every_stop_leaves_them_whole") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // The user the capture drops to writes the files.
    let _ = sh("chmod", &["777", w.to_str().unwrap()]);
    let mut net = Net::up("r");
    let ring = w.join("ring.pcapng");
    let a_if = net.a_if.clone();
    let live = Command::new("ip")
        .args([
            "netns", "exec", &net.a, "timeout", "120", BIN, "live", "-i", &a_if,
        ])
        .args(["--format", "jsonl", "--user", "nobody", "--count", "3000"])
        .args(["--ring-size", "1", "--ring-files", "2", "-w"])
        .arg(&ring)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(w.join("ring.err")).unwrap())
        .spawn()
        .unwrap();
    wait_for_text(&w.join("ring.err"), "capturing on", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    // 1 700 echo requests and replies of 1 400 bytes: 3 400 packets, about
    // 5 MB, past the count.
    let b_ip = net.b_ip.clone();
    net.spawn(
        true,
        &[
            "timeout", "60", "ping", "-q", "-c", "1700", "-i", "0.002", "-s", "1400", &b_ip,
        ],
        &w.join("ping.log"),
    );
    let out = live.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{out:?} {}",
        std::fs::read_to_string(w.join("ring.err")).unwrap()
    );
    let report: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    let live = &report["capture"]["live"];
    assert_eq!(live["stopped_by"], "count");
    assert_eq!(live["packets"], 3000);
    let files: Vec<PathBuf> = live["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap()))
        .collect();
    assert_eq!(files.len(), 2, "{live}");
    let on_disk = std::fs::read_dir(w)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("ring_")
        })
        .count();
    assert_eq!(on_disk, 2);
    // Numbered on from the first file; the last holds packet 3000.
    let index = |p: &Path| -> u64 {
        p.file_stem().unwrap().to_string_lossy()["ring_".len()..]
            .parse()
            .unwrap()
    };
    assert!(index(&files[0]) >= 4, "{files:?}");
    assert_eq!(index(&files[1]), index(&files[0]) + 1);
    let first_count = frames_of(&files[0]).len() as u64;
    let last_count = frames_of(&files[1]).len() as u64;
    // 1 MB files of about 1 450-byte packets.
    assert!((600..800).contains(&first_count), "{first_count}");
    assert!(last_count <= first_count);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&files[1]).unwrap().uid(),
        65534,
        "written as nobody"
    );

    // SIGTERM: the file is closed whole, its end said.
    net.wait_all(Duration::from_secs(30));
    let single = w.join("term.pcapng");
    let mut live = Command::new("ip")
        .args([
            "netns", "exec", &net.a, "timeout", "60", BIN, "live", "-i", &a_if,
        ])
        .args(["--format", "jsonl", "-w"])
        .arg(&single)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(w.join("term.err")).unwrap())
        .spawn()
        .unwrap();
    wait_for_text(&w.join("term.err"), "capturing on", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let ping = sh(
        "ip",
        &[
            "netns", "exec", &net.a, "ping", "-q", "-c", "20", "-i", "0.01", &b_ip,
        ],
    );
    assert!(ping.status.success());
    std::thread::sleep(Duration::from_millis(500));
    let _ = sh("kill", &["-TERM", &live.id().to_string()]);
    let status = live.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(live.stdout.as_mut().unwrap(), &mut out).unwrap();
    let report: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(report["capture"]["live"]["stopped_by"], "interrupt");
    assert_eq!(frames_of(&single).len(), 40);
    let offline = Command::new(BIN)
        .args(["analyze", "--format", "json"])
        .arg(&single)
        .output()
        .unwrap();
    let offline: Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(offline["capture"]["end_ts"], report["capture"]["end_ts"]);
    assert!(offline["capture"]["error"].is_null());

    // `any`, for 2 s.
    let started = Instant::now();
    let mut live = Command::new("ip")
        .args([
            "netns", "exec", &net.a, "timeout", "30", BIN, "live", "-i", "any",
        ])
        .args(["--format", "jsonl", "--duration", "2"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(w.join("any.err")).unwrap())
        .spawn()
        .unwrap();
    wait_for_text(&w.join("any.err"), "capturing on", Duration::from_secs(10));
    let ping = sh(
        "ip",
        &[
            "netns", "exec", &net.a, "ping", "-q", "-c", "5", "-i", "0.05", &b_ip,
        ],
    );
    assert!(ping.status.success());
    let status = live.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "{took:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(live.stdout.as_mut().unwrap(), &mut out).unwrap();
    let report: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(report["capture"]["live"]["stopped_by"], "duration");
    assert_eq!(report["capture"]["link_types"][0], "LINUX_SLL");
    // Five requests and replies, each seen once by `any` on the veth.
    assert!(
        report["capture"]["frames"].as_u64().unwrap() >= 10,
        "{}",
        report["capture"]
    );
}

/// The terminal goes away (an SSH session drops, a window is closed): the
/// hang-up ends the session with its file whole, instead of a process left
/// reading a terminal that is gone.
#[test]
fn a_hang_up_ends_the_ui_with_its_file_whole() {
    if !runnable("a_hang_up_ends_the_ui_with_its_file_whole") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let saved = work.path().join("hangup.pcapng");
    let command = format!("{BIN} live -i lo -w {}", saved.display());
    let t = Tmux::start("hangup", &command, 100, 30);
    t.wait_for("LIVE lo");
    let _ = sh("ping", &["-q", "-c", "3", "-i", "0.05", "127.0.0.1"]);
    drop(t); // kills the tmux server: the terminal is gone
    let until = Instant::now() + Duration::from_secs(10);
    let running = || {
        Command::new("pgrep")
            .args(["-f", saved.to_str().unwrap()])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    while running() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !running(),
        "callscope still runs after its terminal went away"
    );
    // Whole: every block complete, the end of capture said.
    let out = Command::new(BIN)
        .args(["analyze", "--format", "json"])
        .arg(&saved)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["capture"]["error"].is_null(),
        "{}",
        report["capture"]
    );
    assert!(!report["capture"]["end_ts"].is_null());
    assert_eq!(frames_of(&saved).len(), 6);
}
