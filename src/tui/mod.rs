//! `callscope tui FILE`: the terminal UI. A session reads the capture on a
//! thread of its own and sends each call as it is judged (the same JSON
//! `analyze --format json` writes); the screen lists them as they come,
//! opens a call's ladder and verdict, and a frame's fields and bytes.
//!
//! The shell here owns the terminal and the threads; [`state`] holds what
//! is shown and what keys do, the widgets draw it. The terminal is given
//! back on every way out: quitting, an error, or a panic.

pub mod call_view;
pub mod draw;
pub mod feed;
pub mod filter;
pub mod list;
pub mod model;
pub mod overlay;
pub mod packet_view;
pub mod state;
pub mod theme;

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use ratatui::backend::{Backend, TestBackend};
use ratatui::Terminal;

use feed::{FeedEvent, Progress};
use state::{AppState, Effect};
use theme::Theme;

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("{0}")]
    Capture(#[from] crate::capture::CaptureError),
    #[error(
        "the terminal UI reads a file: standard input cannot be read again for frames and saving"
    )]
    Stdin,
    #[error("the terminal: {0}")]
    Terminal(#[from] io::Error),
}

/// With this set, `P` makes the UI panic: the test of the panic path.
pub const TEST_PANIC_ENV: &str = "CALLSCOPE_TUI_TEST_PANIC";

/// How often the list is filtered and sorted again while calls pour in.
const REFRESH_EVERY: Duration = Duration::from_millis(200);
/// How long the screen waits for a key before looking at the workers.
const TICK: Duration = Duration::from_millis(50);

/// Reads `path` completely on this thread into a new state: what tests
/// (and benches) start from.
pub fn load_blocking(path: &str, threads: usize) -> AppState {
    let (tx, rx) = mpsc::channel();
    let progress = Arc::new(Progress::default());
    feed::load(path, threads, &tx, &progress);
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    let mut state = AppState::new(path, progress, size);
    drop(tx);
    while let Ok(e) = rx.recv() {
        state.on_feed(e);
    }
    state.refresh_view();
    state
}

/// Draws the state on a `width` x `height` test terminal and returns the
/// screen as text, one line per row.
pub fn render_text(state: &mut AppState, theme: &Theme, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|f| draw::draw(f, state, theme))
        .expect("draw on a test backend");
    buffer_text(terminal.backend().buffer())
}

/// A buffer's text, one line per row, trailing spaces trimmed.
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Gives the terminal back: raw mode off, main screen, no mouse capture.
fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture);
    // Quietly: after a hang-up there is no terminal left to give back.
    let _ = ratatui::try_restore();
}

/// Runs the UI on the terminal until the user quits.
pub fn run(path: &str, threads: usize) -> Result<(), TuiError> {
    if path == "-" {
        return Err(TuiError::Stdin);
    }
    // An unreadable file is said before the screen is taken.
    drop(crate::capture::CaptureReader::open(path)?);
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    let (tx, rx) = mpsc::channel();
    let progress = Arc::new(Progress::default());
    feed::spawn_load(path.to_string(), threads, tx.clone(), progress.clone())?;
    let mut state = AppState::new(path, progress, size);
    let shell = Shell {
        rx: &rx,
        tx: &tx,
        path,
        threads,
        signalled: None,
    };
    on_terminal(&mut state, &shell)
}

/// What the event loop works with besides the state: the workers' channel,
/// the capture's file (frames and saves read it again), the decoding
/// threads, and for a live session the flag a signal sets.
struct Shell<'a> {
    rx: &'a Receiver<FeedEvent>,
    tx: &'a Sender<FeedEvent>,
    path: &'a str,
    threads: usize,
    signalled: Option<&'a std::sync::atomic::AtomicBool>,
}

/// Takes the terminal, runs the event loop, and gives the terminal back
/// on every way out.
fn on_terminal(state: &mut AppState, shell: &Shell<'_>) -> Result<(), TuiError> {
    let theme = Theme::from_env();
    state.no_color = !theme.color;
    // ratatui's panic hook restores the screen; ours also releases the mouse.
    let mut terminal = ratatui::try_init()?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        hook(info);
    }));
    let result = execute!(io::stdout(), EnableMouseCapture)
        .map_err(TuiError::from)
        .and_then(|_| event_loop(&mut terminal, state, &theme, shell));
    restore();
    result
}

/// A live session's end as the UI's caller reports it: the outcome, and
/// whether the capture went to a temporary file (now deleted); returns the
/// exit status.
#[cfg(feature = "live")]
pub type LiveEnd =
    dyn FnOnce(&Result<crate::live::LiveOutcome, crate::live::LiveRunError>, bool) -> u8 + Send;

/// Runs the UI over a live capture: calls appear as they start and change
/// as they go; quitting the UI (or a signal) stops the capture, and the
/// files are closed whole before `on_end` is told how it went. Without
/// `--write`, packets go to a temporary file (what the packet view and
/// saving read back), deleted at the end. Returns `on_end`'s status.
///
/// A signal (SIGHUP when an SSH session drops, SIGTERM) ends the program
/// from the capture's thread once the files are closed: the screen's
/// thread may be stuck reading a terminal that is gone.
#[cfg(feature = "live")]
pub fn run_live(
    capture: crate::capture::live::LiveCapture,
    mut config: crate::live::LiveConfig,
    stop: Arc<std::sync::atomic::AtomicBool>,
    on_end: Box<LiveEnd>,
) -> Result<u8, TuiError> {
    use std::sync::atomic::Ordering;
    use std::sync::Mutex;
    let temp_dir = match config.write {
        Some(_) => None,
        None => {
            let dir = tempfile::Builder::new()
                .prefix("callscope-live")
                .tempdir()?;
            config.write = Some(crate::capture::RingOptions::single(
                dir.path().join("live.pcapng"),
            ));
            Some(dir)
        }
    };
    let temporary = temp_dir.is_some();
    let first_file = config
        .write
        .as_ref()
        .map(|w| w.file_name(1).display().to_string())
        .unwrap_or_default();
    let progress = Arc::new(Progress::default());
    if let Ok(mut live) = progress.live.lock() {
        *live = Some(feed::LiveHeader {
            interfaces: capture
                .interfaces()
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
            files: vec![(first_file.clone(), 1)],
            temporary,
            ..feed::LiveHeader::default()
        });
    }
    // Whichever thread ends the session tells the caller, once, and
    // deletes the temporary file.
    let ending = Arc::new(Mutex::new(Some((on_end, temp_dir))));
    let end = {
        let ending = ending.clone();
        move |outcome: &Result<crate::live::LiveOutcome, crate::live::LiveRunError>| -> u8 {
            match ending.lock().ok().and_then(|mut e| e.take()) {
                Some((on_end, temp_dir)) => {
                    let code = on_end(outcome, temporary);
                    drop(temp_dir);
                    code
                }
                None => 0,
            }
        }
    };
    let (tx, rx) = mpsc::channel();
    let threads = config.threads;
    let session = {
        let (tx, progress, stop) = (tx.clone(), progress.clone(), stop.clone());
        let end = end.clone();
        std::thread::Builder::new()
            .name("callscope-live".into())
            .spawn(move || {
                let outcome = feed::live(capture, &config, stop.clone(), &tx, &progress);
                if stop.load(Ordering::Relaxed) {
                    restore();
                    std::process::exit(i32::from(end(&outcome)));
                }
                outcome
            })?
    };
    let mut state = AppState::new(&first_file, progress.clone(), None);
    let shell = Shell {
        rx: &rx,
        tx: &tx,
        path: &first_file,
        threads,
        signalled: Some(&stop),
    };
    let result = on_terminal(&mut state, &shell);
    // Capture stops with the UI; the session closes its files first.
    progress.quit.store(true, Ordering::Relaxed);
    drop(rx);
    let outcome = session.join().unwrap_or_else(|_| {
        Err(crate::live::LiveRunError::Threads(io::Error::other(
            "the capture thread panicked",
        )))
    });
    let code = end(&outcome);
    result.map(|_| code)
}

/// Reads the next event and hands it to the state.
fn read_key(state: &mut AppState) -> Result<Vec<Effect>, TuiError> {
    Ok(match event::read()? {
        // Fault injection for the test that the terminal is given back
        // after a panic (tests/tui_terminal.rs); inert unless asked for.
        Event::Key(k)
            if k.code == event::KeyCode::Char('P')
                && std::env::var_os(TEST_PANIC_ENV).is_some() =>
        {
            panic!("{TEST_PANIC_ENV}: panic asked for")
        }
        Event::Key(k) => state.on_key(k),
        Event::Mouse(m) => state.on_mouse(m),
        _ => Vec::new(),
    })
}

/// The files a capture's frames are read back from, with the number of
/// each one's first frame: a live ring's files, or the one file.
fn frame_files(state: &AppState, path: &str) -> Vec<(String, u64)> {
    state
        .progress
        .live
        .lock()
        .ok()
        .and_then(|l| l.as_ref().map(|l| l.files.clone()))
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| vec![(path.to_string(), 1)])
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    theme: &Theme,
    shell: &Shell<'_>,
) -> Result<(), TuiError> {
    let Shell {
        rx,
        tx,
        path,
        threads,
        signalled,
    } = *shell;
    let mut last_second = Instant::now();
    let mut dirty = true;
    let mut last_refresh = Instant::now() - REFRESH_EVERY;
    let mut last_frames = u64::MAX;
    loop {
        // Calls as they come; the list sorted at most a few times a second.
        while let Ok(e) = rx.try_recv() {
            state.on_feed(e);
            dirty = true;
        }
        if state.view_dirty() && (last_refresh.elapsed() >= REFRESH_EVERY || !state.loading()) {
            state.refresh_view();
            last_refresh = Instant::now();
            dirty = true;
        }
        let frames = state
            .progress
            .frames
            .load(std::sync::atomic::Ordering::Relaxed);
        if frames != last_frames {
            last_frames = frames;
            dirty = true;
        }
        if let Some(signalled) = signalled {
            // A signal (SIGTERM, SIGHUP) ends a live session, UI and all.
            if signalled.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(());
            }
            // The live header's clock and counters move without frames.
            if last_second.elapsed() >= Duration::from_secs(1) {
                last_second = Instant::now();
                dirty = true;
            }
        }
        if dirty {
            terminal.draw(|f| draw::draw(f, state, theme))?;
            dirty = false;
        }
        // Frames a call view needs since its call changed (live), and
        // what the next key asks.
        let mut effects: Vec<Effect> = state.take_fetch().into_iter().collect();
        if !event::poll(TICK)? {
            if effects.is_empty() {
                continue;
            }
        } else {
            effects.extend(read_key(state)?);
        }
        dirty = true;
        for effect in effects {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::FetchFrames(wanted) => {
                    let (tx, files) = (tx.clone(), frame_files(state, path));
                    std::thread::Builder::new()
                        .name("callscope-frames".into())
                        .spawn(move || {
                            let found = feed::fetch_frames_from(&files, threads, &wanted);
                            let _ = tx.send(FeedEvent::Frames { wanted, found });
                        })?;
                }
                Effect::Save { numbers, base } => {
                    let files = frame_files(state, path);
                    if files.len() > 1 || files.first().is_some_and(|(_, n)| *n > 1) {
                        // A call's frames may span files, some deleted.
                        let _ = tx.send(FeedEvent::Saved(Err(feed::SaveError::Ring(
                            files.into_iter().map(|(f, _)| f).collect(),
                        ))));
                        continue;
                    }
                    let (tx, path) = (tx.clone(), path.to_string());
                    std::thread::Builder::new()
                        .name("callscope-save".into())
                        .spawn(move || {
                            let r = feed::save_calls(&path, threads, &numbers, &base);
                            let _ = tx.send(FeedEvent::Saved(r));
                        })?;
                }
            }
        }
    }
}
