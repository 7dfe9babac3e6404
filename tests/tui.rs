//! The terminal UI as a person meets it: the state driven by key and mouse
//! events, drawn on ratatui's test backend, and the screen read back as
//! text. (`tui_terminal.rs` runs the real binary in tmux.)

mod common;

use std::process::Command;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::style::Color;
use ratatui::Terminal;
use serde_json::Value;

use callscope::tui::feed::{fetch_frames, FeedEvent};
use callscope::tui::state::{AppState, Effect, Screen, SortKey};
use callscope::tui::theme::Theme;
use callscope::tui::{load_blocking, render_text};
use common::sample;

const COLOR: Theme = Theme { color: true };

fn key(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    let effects = state.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    run_fetches(state, &effects);
    effects
}

fn keys(state: &mut AppState, text: &str) {
    for ch in text.chars() {
        key(state, KeyCode::Char(ch));
    }
}

/// Does what the shell does with a fetch: decode the frames and hand them
/// over.
fn run_fetches(state: &mut AppState, effects: &[Effect]) {
    for e in effects {
        if let Effect::FetchFrames(wanted) = e {
            let found = fetch_frames(&state.file, 1, wanted);
            state.on_feed(FeedEvent::Frames {
                wanted: wanted.clone(),
                found,
            });
        }
    }
}

fn screen(state: &mut AppState, w: u16, h: u16) -> String {
    render_text(state, &COLOR, w, h)
}

/// The report `analyze --format json` prints for a capture.
fn report(path: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(["analyze", "--format", "json", path])
        .output()
        .expect("run callscope");
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

/// Line of the screen holding `needle`, or a failure showing the screen.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} on screen:\n{text}"))
}

#[test]
fn every_call_in_the_ui_is_the_reports_call() {
    let mut checked = 0;
    for entry in std::fs::read_dir(sample("")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let mut state = load_blocking(&name, 2);
        let report = report(&name);
        let calls = report["calls"].as_array().unwrap();
        assert_eq!(state.calls.len(), calls.len(), "{name}");
        for c in calls {
            let n = c["number"].as_u64().unwrap() as u32;
            let i = state
                .calls
                .iter()
                .position(|e| e.row.number == n)
                .unwrap_or_else(|| panic!("{name}: call {n} missing from the UI"));
            // The UI keeps the report's own object for the call.
            let ui: Value = serde_json::from_str(&state.call_json(i).unwrap()).unwrap();
            let e = &state.calls[i];
            assert_eq!(&ui, c, "{name} call {n}");
            assert_eq!(e.row.code, c["verdict"]["code"], "{name} call {n}");
            assert_eq!(e.row.stage, c["verdict"]["stage"], "{name} call {n}");
            assert_eq!(e.row.frames, c["frames"].as_u64().unwrap());
        }
        // The header's totals are the report's.
        for (stage, count) in report["summary"]["by_stage"].as_object().unwrap() {
            assert_eq!(
                state.by_stage.get(stage).copied().unwrap_or(0),
                count.as_u64().unwrap(),
                "{name} stage {stage}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} samples");
}

#[test]
fn list_shows_badges_code_and_totals() {
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    let text = screen(&mut s, 120, 30);
    let row = line_with(&text, "alice@");
    // SIP answered, ICE checks answered, DTLS failed, media never reached.
    let badges: Vec<&str> = row.split_whitespace().collect();
    let at = badges
        .iter()
        .position(|w| *w == "dtls-no-response")
        .unwrap();
    assert_eq!(&badges[at - 4..at], &["ok", "ok", "FAIL", "-"], "{row}");
    assert!(row.contains("alice@10.202.1.2 -> bob@10.202.2.2"), "{row}");
    assert!(row.trim_end().ends_with("57"), "frames: {row}");
    assert!(line_with(&text, "by stage").contains("dtls 1"));
    assert!(line_with(&text, "codes:").contains("dtls-no-response 1"));
    assert!(line_with(&text, "callscope").contains("57 frames"));
}

#[test]
fn call_view_draws_the_ladder_in_order_with_the_failing_step_marked() {
    let mut s = load_blocking(&sample("sip-603-decline.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 140, 40);
    // The endpoints as columns, named.
    assert!(line_with(&text, "10.201.1.1:5060").contains("10.201.1.2:5060"));
    // One arrow per event, in capture order, pointing the right way.
    let arrows: Vec<(u64, &str)> = [
        (1, "INVITE"),
        (2, "100 Trying"),
        (3, "180 Ringing"),
        (4, "603 Decline"),
        (5, "ACK"),
    ]
    .to_vec();
    let mut last_y = 0;
    for (frame, label) in arrows {
        let (y, l) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(label) && l.contains(&format!(" {frame} ")))
            .unwrap_or_else(|| panic!("no arrow {label}:\n{text}"));
        assert!(y > last_y, "{label} out of order");
        last_y = y;
        let rightward = label == "INVITE" || label == "ACK";
        assert_eq!(l.contains('>'), rightward, "{l}");
        assert_eq!(l.contains('<'), !rightward, "{l}");
    }
    // The evidence (INVITE and 603) is drawn === and starred.
    let decline = line_with(&text, "603 Decline=");
    assert!(decline.contains("*"), "{decline}");
    assert!(line_with(&text, "=INVITE=").contains('*'));
    assert!(!line_with(&text, "180 Ringing").contains('*'));
    // The verdict beside it.
    assert!(text.contains("sip-603 stage sip  FAILED"), "{text}");
    assert!(text.contains("Twilio 31603: declined: do not retry"));
    assert!(text.contains("603 Decline"));
}

#[test]
fn evidence_opens_its_frame_decoded_with_a_hex_dump() {
    let mut s = load_blocking(&sample("sip-603-decline.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.screen(), Screen::Packet(p) if p.frame == 4));
    let text = screen(&mut s, 120, 60);
    assert!(text.contains("frame 4 (4 of 5 in the call)  SIP  10.201.1.2:5060 -> 10.201.1.1:5060  2026-11-21 15:28:45.455"), "{text}");
    assert!(text.contains("SIP/2.0 603 Decline"), "{text}");
    assert!(text.contains("status: 603"), "{text}");
    // The hex dump, at the end.
    key(&mut s, KeyCode::End);
    let text = screen(&mut s, 120, 60);
    assert!(text.contains("bytes (328 captured)"), "{text}");
    assert!(line_with(&text, "0000  ").len() > 60);
    // Right steps to the next frame of the call, Esc goes back.
    key(&mut s, KeyCode::Right);
    assert!(matches!(s.screen(), Screen::Packet(p) if p.frame == 5));
    assert!(screen(&mut s, 120, 40).contains("ACK sip:"));
    key(&mut s, KeyCode::Esc);
    assert!(matches!(s.screen(), Screen::Call(_)));
    key(&mut s, KeyCode::Esc);
    assert!(matches!(s.screen(), Screen::List));
}

#[test]
fn dtls_and_stun_frames_show_their_fields() {
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    // The cursor starts on the failing step: the ClientHello.
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 50);
    assert!(text.contains("frame 22 ("), "{text}");
    assert!(
        text.contains(")  DTLS  10.202.2.2:52440 -> 10.202.1.2:55041"),
        "{text}"
    );
    assert!(text.contains("type: ClientHello"), "{text}");
    assert!(text.contains("profiles: [8, 7, 1]"), "{text}");
    key(&mut s, KeyCode::Esc);
    // Up to the first STUN Binding request.
    for _ in 0..4 {
        key(&mut s, KeyCode::Up);
    }
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 120, 50);
    assert!(text.contains("frame 18 ("), "{text}");
    assert!(text.contains(")  STUN  "), "{text}");
    assert!(text.contains("USERNAME"), "{text}");
}

#[test]
fn search_filter_sort_and_selection() {
    let mut s = load_blocking(&sample("sip-load-mixed.pcap"), 2);
    assert_eq!(s.view.len(), 2000);
    keys(&mut s, "/decline");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view.len(), 160);
    assert!(s.view.iter().all(|&i| s.calls[i].row.code == "sip-603"));
    let text = screen(&mut s, 100, 30);
    assert!(text.contains("filter: /decline"), "{text}");
    // Esc clears the filter before it quits.
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert_eq!(s.view.len(), 2000);

    // The filter dialog: result failed, code chosen from the codes seen.
    key(&mut s, KeyCode::Char('f'));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Right); // the most frequent code: media-none
    key(&mut s, KeyCode::Right); // then sip-486
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.filter.code.as_deref(), Some("sip-486"));
    assert_eq!(s.view.len(), 240);
    key(&mut s, KeyCode::Char('c'));

    // Sort by duration, longest first: the unanswered INVITEs (31.5 s).
    while s.sort != SortKey::Duration {
        key(&mut s, KeyCode::Char('>'));
    }
    key(&mut s, KeyCode::Char('r'));
    let top = &s.calls[s.view[0]].row;
    assert_eq!(top.code, "sip-no-response");

    // Space selects and moves on; save takes the selected calls.
    key(&mut s, KeyCode::Home);
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.selected.len(), 2);
    key(&mut s, KeyCode::F(2));
    keys(&mut s, "x");
    let effects = key(&mut s, KeyCode::Enter);
    let want: Vec<u32> = s.selected.iter().copied().collect();
    assert!(
        matches!(&effects[..], [Effect::Save { numbers, base }]
        if *numbers == want && base.ends_with("-2callsx")),
        "{effects:?}"
    );
}

#[test]
fn save_writes_frames_and_report_that_analyze_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("two").to_string_lossy().to_string();
    let msg = callscope::tui::feed::save_calls(&sample("sip-load-mixed.pcap"), 1, &[2, 7], &base)
        .unwrap()
        .to_string();
    assert!(msg.starts_with("saved 2 calls"), "{msg}");
    let again = report(&format!("{base}.pcapng"));
    let codes: Vec<&str> = again["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["sip-486", "sip-603"]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{base}.json")).unwrap()).unwrap();
    let numbers: Vec<u64> = json["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 7]);
}

#[test]
fn mouse_picks_sorts_and_opens() {
    let mut s = load_blocking(&sample("sip-load-mixed.pcap"), 1);
    screen(&mut s, 120, 30);
    let click = |s: &mut AppState, x: u16, y: u16| {
        let e = s.on_mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        });
        run_fetches(s, &e);
    };
    let rows = s.hit.list_rows;
    click(&mut s, 10, rows.y + 3);
    assert_eq!(s.cursor, 3);
    // A click on the code column's title sorts by code.
    let (x, _, _) = *s
        .hit
        .list_columns
        .iter()
        .find(|c| c.2 == SortKey::Code)
        .unwrap();
    let header_y = s.hit.list_header.y;
    click(&mut s, x + 1, header_y);
    assert_eq!(s.sort, SortKey::Code);
    screen(&mut s, 120, 30);
    // Clicking the picked row opens it.
    let y = s.hit.list_rows.y + (s.cursor - s.offset) as u16;
    click(&mut s, 10, y);
    assert!(matches!(s.screen(), Screen::Call(_)));
    s.on_mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    });
    match s.screen() {
        Screen::Call(c) => assert_eq!(c.cursor, 1.min(c.doc.timeline.len() - 1)),
        _ => panic!("not in the call view"),
    }
}

#[test]
fn help_lists_every_key() {
    let mut s = load_blocking(&sample("sip-603-decline.pcap"), 1);
    key(&mut s, KeyCode::Char('?'));
    let text = screen(&mut s, 120, 50);
    for k in [
        "Enter",
        "Space",
        "/",
        "f F7",
        "s F2",
        "< >",
        "Tab",
        "Esc q",
        "q Esc",
        "PgUp PgDn",
    ] {
        assert!(text.contains(k), "help lacks {k}:\n{text}");
    }
    key(&mut s, KeyCode::Char('x'));
    assert!(s.overlay.is_none());
}

#[test]
fn small_terminals_say_so_and_every_size_draws() {
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    let text = screen(&mut s, 60, 20);
    assert!(text.contains("terminal too small: 60x20"), "{text}");
    // Every screen at sizes from tiny to wide draws without a panic.
    for open in 0..3 {
        for (w, h) in [
            (1, 1),
            (79, 23),
            (80, 24),
            (81, 25),
            (100, 30),
            (200, 60),
            (300, 24),
        ] {
            screen(&mut s, w, h);
        }
        key(&mut s, KeyCode::Enter);
        if open == 1 {
            key(&mut s, KeyCode::Char('?'));
            screen(&mut s, 80, 24);
            key(&mut s, KeyCode::Esc);
        }
    }
    // At 80x24 the list still shows the call and its code.
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    assert!(screen(&mut s, 80, 24).contains("dtls-no-response"));
}

#[test]
fn without_colour_nothing_is_coloured_and_states_still_read() {
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    let mono = Theme { color: false };
    let mut terminal = Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    terminal
        .draw(|f| callscope::tui::draw::draw(f, &mut s, &mono))
        .unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    let text = callscope::tui::buffer_text(buffer);
    assert!(line_with(&text, "alice@").contains("FAIL"));
    // With colour, the failure is red.
    let mut terminal = Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    terminal
        .draw(|f| callscope::tui::draw::draw(f, &mut s, &COLOR))
        .unwrap();
    assert!(terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.fg == Color::Red));
}

#[test]
fn media_quality_per_stream_with_mos() {
    let mut s = load_blocking(&sample("sip-call-rtp.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 140, 45);
    // PCMA both ways (tshark: rtp.p_type 8), nothing lost, jitter under
    // 1 ms: G.711's 4.39.
    let packets: Vec<&str> = text.lines().filter(|l| l.contains("PT 8 PCMA")).collect();
    assert_eq!(packets.len(), 2, "{text}");
    assert!(packets[0].contains("100 pkts  lost 0 (0.0%)"), "{text}");
    assert!(packets[1].contains("150 pkts  lost 0 (0.0%)"), "{text}");
    let mos: Vec<&str> = text.lines().filter(|l| l.contains("MOS 4.39")).collect();
    assert_eq!(mos.len(), 2, "{text}");
    // The streams are bars on the ladder, with their packets, loss and
    // jitter, one each way.
    assert!(
        line_with(&text, "##RTP x100 lost 0 jit 0.3").contains("#>"),
        "{text}"
    );
    assert!(
        line_with(&text, "<#RTP x150 lost 0 jit 0.2").contains("##"),
        "{text}"
    );
}

#[test]
fn an_unreadable_capture_says_so_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pcap");
    std::fs::write(&bad, b"this is not a capture").unwrap();
    let mut s = load_blocking(bad.to_str().unwrap(), 1);
    let text = screen(&mut s, 100, 30);
    assert!(text.contains("cannot read:"), "{text}");
    assert!(text.contains("the capture could not be read"), "{text}");
}

#[test]
fn a_long_verdict_pane_scrolls_and_says_more_is_below() {
    let mut s = load_blocking(&sample("sip-call-rtp.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 80, 24);
    assert!(
        text.contains("(more below: Tab to this pane, then Down)"),
        "{text}"
    );
    assert!(!text.contains("Call-ID d41bdd7eb82aecfd-1"), "{text}");
    // Tab: the evidence; Tab again: the pane, which Down scrolls.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    for _ in 0..30 {
        key(&mut s, KeyCode::Down);
    }
    let text = screen(&mut s, 80, 24);
    assert!(
        text.contains("verdict (Up/Down scroll, Tab leaves)"),
        "{text}"
    );
    assert!(
        text.contains("Call-ID d41bdd7eb82aecfd-1@10.201.1.1"),
        "{text}"
    );
    assert!(!text.contains("(more below"), "{text}");
}

#[test]
fn ladder_times_are_the_text_ladders() {
    // `callscope ladder` and tshark (frame.time_relative) give frame 2 at
    // 0.000031 s and frame 22 at 0.699602 s from the call's first frame.
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 200, 40);
    assert!(
        line_with(&text, "SYN-ACK").contains("  0.000031 "),
        "{text}"
    );
    assert!(
        line_with(&text, "=ClientHello").contains("  0.699602 "),
        "{text}"
    );
}

#[test]
fn a_cut_value_is_marked_cut() {
    let mut s = load_blocking(&sample("webrtc-turn-relay.pcap"), 1);
    let text = screen(&mut s, 80, 24);
    let row = line_with(&text, "10.202.3.2:49170 <> ");
    assert!(row.contains('~'), "{row}");
    assert!(!row.contains("57986"), "{row}");
    // Wide enough, nothing is cut.
    let text = screen(&mut s, 200, 24);
    assert!(line_with(&text, "10.202.3.2:49170 <> 10.202.2.2:57986").contains("ok"));
}

#[test]
fn a_capture_cut_short_says_so_in_the_header_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap");
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    std::fs::write(&cut, &bytes[..3000]).unwrap();
    let mut s = load_blocking(cut.to_str().unwrap(), 1);
    let text = screen(&mut s, 120, 30);
    assert!(text.contains("then reading stopped (? says why)"), "{text}");
    key(&mut s, KeyCode::Char('?'));
    let text = screen(&mut s, 120, 60);
    assert!(text.contains("reading stopped early:"), "{text}");
    assert!(text.contains("byte"), "{text}");
    // At 80x24 the help scrolls down to it.
    let text = screen(&mut s, 80, 24);
    assert!(!text.contains("reading stopped early:"), "{text}");
    for _ in 0..100 {
        key(&mut s, KeyCode::Down);
    }
    let text = screen(&mut s, 80, 24);
    assert!(text.contains("reading stopped early:"), "{text}");
}

/// Capture files under a folder, recursively.
fn captures_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.to_string_lossy().to_string();
        if p.is_dir() {
            captures_under(&p, out);
        } else if !name.ends_with(".md") && !name.ends_with(".txt") {
            out.push(p);
        }
    }
}

#[test]
fn public_captures_list_as_the_report_and_every_screen_draws() {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public");
    if !dir.is_dir() {
        let _ = writeln!(
            std::io::stderr(),
            "tui public captures: SKIPPED, {} not found",
            dir.display()
        );
        return;
    }
    let mut files = Vec::new();
    captures_under(&dir, &mut files);
    files.sort();
    let mut calls_seen = 0;
    for path in &files {
        let name = path.to_string_lossy().to_string();
        let mut s = load_blocking(&name, 2);
        let report = report(&name);
        let mut numbers: Vec<u64> = report["calls"]
            .as_array()
            .map(|a| a.iter().map(|c| c["number"].as_u64().unwrap()).collect())
            .unwrap_or_default();
        numbers.sort_unstable();
        let mut ui: Vec<u64> = s.calls.iter().map(|c| u64::from(c.row.number)).collect();
        ui.sort_unstable();
        assert_eq!(ui, numbers, "{name}");
        calls_seen += ui.len();
        // The list, and the first calls opened, at the smallest size and a
        // common one.
        screen(&mut s, 80, 24);
        for _ in 0..s.view.len().min(5) {
            key(&mut s, KeyCode::Enter);
            screen(&mut s, 80, 24);
            screen(&mut s, 160, 40);
            key(&mut s, KeyCode::Enter);
            screen(&mut s, 100, 30);
            key(&mut s, KeyCode::Esc);
            key(&mut s, KeyCode::Esc);
            key(&mut s, KeyCode::Down);
        }
    }
    assert!(
        files.len() >= 90 && calls_seen > 100,
        "{} files, {calls_seen} calls",
        files.len()
    );
}

#[test]
fn hash_number_finds_that_call_only_and_the_ladder_says_what_is_hidden() {
    let mut s = load_blocking(&sample("sip-load-mixed.pcap"), 1);
    keys(&mut s, "/#17");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view.len(), 1);
    assert_eq!(s.calls[s.view[0]].row.number, 17);
    key(&mut s, KeyCode::Esc);
    // sip-webrtc-dtls-fail opens on its failing step, frame 22, the 12th
    // of 14 events: at 80x24 the ladder shows a few, and says so.
    let mut s = load_blocking(&sample("sip-webrtc-dtls-fail.pcap"), 1);
    key(&mut s, KeyCode::Enter);
    let text = screen(&mut s, 80, 24);
    assert!(text.contains("of 14, more above and below"), "{text}");
    assert!(text.contains("; t: s from call start"), "{text}");
    key(&mut s, KeyCode::End);
    let text = screen(&mut s, 80, 24);
    assert!(text.contains("-14 of 14, more above;"), "{text}");
    // Help: End goes to its end instead of closing it.
    key(&mut s, KeyCode::Char('?'));
    key(&mut s, KeyCode::End);
    assert!(s.overlay.is_some());
    assert!(screen(&mut s, 80, 24).contains("not seen"));
}

/// A live session's screen: the header says where it captures, for how
/// long, how many packets and every drop; a call sent again as it changes
/// replaces its row (pending, then failed), and a call that turns out to
/// be part of another leaves the list.
#[test]
fn live_header_counts_drops_and_calls_change_in_place() {
    use callscope::tui::feed::{LiveHeader, Progress};
    use callscope::tui::model::CallEntry;
    use std::sync::Arc;

    let progress = Arc::new(Progress::default());
    *progress.live.lock().unwrap() = Some(LiveHeader {
        interfaces: "veth0".into(),
        packets: 1234,
        dropped_by_kernel: 5,
        dropped_by_interface: 0,
        elapsed_s: 65,
        files: vec![("/tmp/desk.pcapng".into(), 1)],
        temporary: false,
        stopped_by: None,
    });
    let mut state = AppState::new("/tmp/desk.pcapng", progress.clone(), None);
    let s = screen(&mut state, 160, 24);
    let top = s.lines().next().unwrap();
    assert!(
        top.contains("LIVE veth0 00:01:05  1 234 packets  DROPPED 5 kernel, 0 interface"),
        "{top}"
    );
    assert!(top.contains("saving to /tmp/desk.pcapng"), "{top}");
    assert!(
        s.contains("capturing: calls appear here as they start"),
        "{s}"
    );
    // At 80 columns the drops are still on the line.
    let narrow = screen(&mut state, 80, 24);
    assert!(
        narrow.lines().next().unwrap().contains("DROPPED 5"),
        "{narrow}"
    );

    // The unanswered INVITE as a live session sends it: pending first,
    // then failed once Timer B has run out.
    let doc = report(&sample("sip-invite-no-response.pcap"));
    let final_call = doc["calls"][0].clone();
    assert_eq!(final_call["verdict"]["code"], "sip-no-response");
    let mut pending = final_call.clone();
    pending["verdict"]["code"] = "capture-ended".into();
    let entry = |v: &Value, in_progress: bool| {
        let mut e = CallEntry::from_json(v.to_string(), Vec::new()).unwrap();
        e.in_progress = in_progress;
        e
    };
    state.on_feed(FeedEvent::Calls(vec![entry(&pending, true)]));
    state.refresh_view();
    let s = screen(&mut state, 120, 24);
    assert!(s.contains("waiting 1"), "{s}");
    assert!(s.contains("codes: capture-ended 1"), "{s}");
    assert!(line_with(&s, "capture-ended  ").contains("wait"), "{s}");

    // Its view, opened while pending, follows it when it changes.
    key(&mut state, KeyCode::Enter);
    let view = screen(&mut state, 120, 30);
    assert!(view.contains("capture-ended"), "{view}");
    state.on_feed(FeedEvent::Calls(vec![entry(&final_call, false)]));
    let view = screen(&mut state, 120, 30);
    assert!(view.contains("sip-no-response"), "{view}");
    assert!(!view.contains("capture-ended"), "{view}");
    key(&mut state, KeyCode::Esc);
    state.refresh_view();
    let s = screen(&mut state, 120, 24);
    assert!(s.contains("calls 1 (shown 1"), "{s}");
    assert!(s.contains("failed 1  waiting 0"), "{s}");
    assert!(s.contains("codes: sip-no-response 1\n"), "{s}");
    assert!(line_with(&s, "sip-no-response  ").contains("FAIL"), "{s}");

    // Call 2 turns out to hold call 1 (an ICE session whose signalling
    // came later): call 1 leaves the list and the totals.
    let mut taker = final_call.clone();
    taker["number"] = 2.into();
    taker["id"] = "sip:later".into();
    taker["absorbed"] = serde_json::json!([{"number": 1, "id": final_call["id"]}]);
    state.on_feed(FeedEvent::Calls(vec![entry(&taker, true)]));
    let s = screen(&mut state, 120, 24);
    assert!(s.contains("calls 1 (shown 1"), "{s}");
    assert!(s.contains("failed 1  waiting 0"), "{s}");
    state.refresh_view();
    let s = screen(&mut state, 120, 24);
    assert!(s.contains("calls 1 (shown 1"), "{s}");
    assert_eq!(state.current().unwrap().row.number, 2);

    // While capturing, q asks first: quitting stops the capture.
    assert!(key(&mut state, KeyCode::Char('q')).is_empty());
    let s = screen(&mut state, 160, 24);
    assert!(
        s.contains("capturing: q again stops and quits; every packet is in /tmp/desk.pcapng"),
        "{s}"
    );
    assert!(matches!(
        key(&mut state, KeyCode::Char('q'))[..],
        [Effect::Quit]
    ));

    // Stopped: the header says why, and after how long.
    progress.live.lock().unwrap().as_mut().unwrap().stopped_by = Some("duration");
    let top = screen(&mut state, 160, 24)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        top.contains("stopped (duration) veth0 00:01:05  1 234 packets"),
        "{top}"
    );
    assert!(top.contains("saved to /tmp/desk.pcapng"), "{top}");
    // Once stopped (loading over), q quits at once.
    progress
        .done
        .store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(
        key(&mut state, KeyCode::Char('q'))[..],
        [Effect::Quit]
    ));
}
