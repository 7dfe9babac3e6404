//! `callscope tui` in a real terminal: tmux runs the binary, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`. Skipped, saying
//! so, where tmux is missing (`.ci/run` installs it).

mod support;

use std::process::Command;

use support::tmux::Tmux;

/// Whether to skip, saying so, for want of tmux. CI sets
/// `CALLSCOPE_REQUIRE_TMUX`, where a missing tmux is a failure instead.
fn skip_without_tmux() -> bool {
    if Tmux::available() {
        return false;
    }
    assert!(
        std::env::var_os("CALLSCOPE_REQUIRE_TMUX").is_none(),
        "tmux is required here (CALLSCOPE_REQUIRE_TMUX) but not installed"
    );
    eprintln!("skipped: tmux is not installed (apt-get install tmux)");
    true
}

fn command(sample: &str, env: &str) -> String {
    format!(
        "{env} {} tui {}/samples/{sample}; echo EXITED $?; sleep 20",
        env!("CARGO_BIN_EXE_callscope"),
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn a_user_opens_a_call_its_frame_and_help_then_quits() {
    if skip_without_tmux() {
        return;
    }
    let t = Tmux::start("walk", &command("sip-603-decline.pcap", ""), 120, 32);
    // (The file name holds "sip-603" too: wait for the row.)
    let list = t.wait_for("alice@10.201.1.1 -> bob@10.201.1.2");
    assert!(list.contains("codes: sip-603 1"), "{list}");
    assert!(list.contains("FAIL"), "{list}");

    t.keys(&["Enter"]);
    let call = t.wait_for("603 Decline=");
    assert!(call.contains("=INVITE="), "{call}");
    assert!(call.contains("Twilio 31603"), "{call}");

    t.keys(&["Tab", "Down", "Enter"]);
    let frame = t.wait_for("SIP/2.0 603 Decline");
    assert!(
        frame.contains("frame 4 (4 of 5 in the call)  SIP"),
        "{frame}"
    );

    t.keys(&["?"]);
    t.wait_for("keys (Up/Down/PgUp/PgDn/Home/End scroll");
    t.keys(&["x", "Escape", "Escape"]);
    t.wait_for("Enter open");
    t.keys(&["q"]);
    let after = t.wait_for("EXITED 0");
    // The terminal is given back: the UI's screen is gone.
    assert!(!after.contains("Enter open"), "{after}");
}

#[test]
fn a_panic_gives_the_terminal_back() {
    if skip_without_tmux() {
        return;
    }
    let cmd = format!(
        "{}; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; sleep 20",
        command(
            "sip-603-decline.pcap",
            // No backtrace: the message must stay on the 30-row screen.
            "CALLSCOPE_TUI_TEST_PANIC=1 RUST_BACKTRACE=0"
        )
        .replace("; sleep 20", "")
    );
    let t = Tmux::start("panic", &cmd, 100, 30);
    t.wait_for("alice@10.201.1.1 -> bob");
    t.keys(&["P"]);
    let after = t.wait_for("EXITED 101");
    // Raw mode is off again (the line discipline echoes and reads lines),
    // the UI's screen is gone and the panic message is readable.
    assert!(after.lines().any(|l| l.trim() == "icanon"), "{after}");
    assert!(after.lines().any(|l| l.trim() == "echo"), "{after}");
    assert!(!after.contains("Enter open"), "{after}");
    assert!(after.contains("panic asked for"), "{after}");
}

#[test]
fn resizing_below_80x24_says_too_small_and_recovers() {
    if skip_without_tmux() {
        return;
    }
    let t = Tmux::start("resize", &command("sip-load-mixed.pcap", ""), 100, 30);
    t.wait_for("calls 2 000");
    t.run(&["resize-window", "-t", "ui", "-x", "60", "-y", "20"]);
    t.wait_for("terminal too small: 60x20");
    t.run(&["resize-window", "-t", "ui", "-x", "80", "-y", "24"]);
    let s = t.wait_for("sip-486");
    assert!(s.contains("media-none"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0");
}

#[test]
fn no_color_leaves_out_every_colour() {
    if skip_without_tmux() {
        return;
    }
    // Foreground colours as SGR parameters: 30-37, 90-97, 38;5 and 38;2.
    let coloured = |s: &str| {
        s.split("\x1b[").skip(1).any(|seq| {
            let params = seq.split('m').next().unwrap_or("");
            params
                .split(';')
                .any(|p| matches!(p.parse::<u16>(), Ok(30..=38) | Ok(90..=97)))
        })
    };
    let t = Tmux::start("color", &command("sip-603-decline.pcap", ""), 100, 30);
    t.wait_for("alice@10.201.1.1 -> bob");
    assert!(coloured(&t.screen(true)), "no colour at all by default");
    let t = Tmux::start(
        "mono",
        &command("sip-603-decline.pcap", "NO_COLOR=1"),
        100,
        30,
    );
    t.wait_for("alice@10.201.1.1 -> bob");
    let s = t.screen(true);
    assert!(!coloured(&s), "colour despite NO_COLOR: {s:?}");
    assert!(s.contains("FAIL"));
}

#[test]
fn an_unreadable_file_is_one_line_and_status_2_before_the_screen_is_taken() {
    let out = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["tui", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/x.pcap"), "{err}");
    // Nothing was drawn: no switch to the alternate screen.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b[?1049h"));
}
