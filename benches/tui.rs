//! The terminal UI's cost per key on large lists: drawing a screen of the
//! call list, moving the cursor, typing a search letter (the whole list
//! filtered again), sorting, and opening a call.
//!
//! Captures: `samples/sip-load-mixed.pcap` (2 000 sipp calls), and the
//! same repeated 50 times with shifted times and ports (100 000 calls,
//! written to a temporary file at the start: the Call-IDs come back, as
//! `#2`, `#3`... ids).
//! Targets on a 2-core machine: a key that moves the cursor and redraws
//! under 2 ms whatever the list's length (only the rows on screen are
//! built); a search letter or a sort over 100 000 calls under 100 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use callscope::bench_support::{load_ethernet_frames, write_repeated};
use callscope::tui::state::{AppState, SortKey};
use callscope::tui::theme::Theme;
use callscope::tui::{draw, load_blocking};

const SAMPLE: &str = "samples/sip-load-mixed.pcap";

fn key(s: &mut AppState, code: KeyCode) {
    s.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn bench(c: &mut Criterion) {
    let theme = Theme { color: true };
    let frames = load_ethernet_frames(&[SAMPLE.to_string()]).expect("the sample");
    let mut large = tempfile::NamedTempFile::new().unwrap();
    write_repeated(&mut large, &frames, 50 * frames.len() as u64).unwrap();
    let large_path = large.path().to_string_lossy().to_string();
    for (name, path) in [("calls-2k", SAMPLE), ("calls-100k", large_path.as_str())] {
        let mut s = load_blocking(path, 0);
        eprintln!("{name}: {} calls", s.calls.len());
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut g = c.benchmark_group(format!("tui/{name}"));
        g.bench_function("draw-list", |b| {
            b.iter(|| {
                terminal.draw(|f| draw::draw(f, &mut s, &theme)).unwrap();
            })
        });
        // Down, then Up: the cursor keeps moving, never stuck at the end.
        let mut down = true;
        g.bench_function("key-down-and-draw", |b| {
            b.iter(|| {
                key(&mut s, if down { KeyCode::Down } else { KeyCode::Up });
                down = !down;
                terminal.draw(|f| draw::draw(f, &mut s, &theme)).unwrap();
            })
        });
        g.bench_function("search-letter-and-draw", |b| {
            b.iter(|| {
                key(&mut s, KeyCode::Char('/'));
                key(&mut s, KeyCode::Char('o'));
                terminal.draw(|f| draw::draw(f, &mut s, &theme)).unwrap();
                key(&mut s, KeyCode::Esc);
            })
        });
        g.bench_function("sort-by-code", |b| {
            b.iter(|| {
                s.sort = if s.sort == SortKey::Code {
                    SortKey::Duration
                } else {
                    SortKey::Code
                };
                s.refresh_view();
            })
        });
        // The frames a call view decodes again come from a thread of their
        // own, reading the capture: not part of this figure.
        g.bench_function("open-call-and-draw", |b| {
            b.iter(|| {
                key(&mut s, KeyCode::Enter);
                terminal.draw(|f| draw::draw(f, &mut s, &theme)).unwrap();
                key(&mut s, KeyCode::Esc);
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
