//! The UI's state and what keys and mouse do to it. Nothing here draws or
//! touches the terminal: handlers change the state and return the work the
//! shell must start ([`Effect`]), so tests drive the UI with key events and
//! read what it would show.
//!
//! Past 800 lines on purpose: every screen's keys act on the one state
//! (the list, its filter and selection, the screens stacked over it, the
//! overlays), and splitting the handlers from what they change would only
//! spread one state machine over several files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::feed::{FeedEvent, FrameDetail, LoadSummary, Progress, MAX_FETCHED_FRAMES};
use crate::report::spool::Spool;

use super::filter::cycle_filter;
pub use super::filter::{Filter, FilterDialog, ResultFilter, SortKey, FILTER_FIELDS};
use super::model::{CallDoc, CallEntry, CallText, StoredCall};

/// Why a kept call could not be read back from the spool.
#[derive(Debug, thiserror::Error)]
pub enum CallReadError {
    #[error("reading the call back from its temporary file: {0}")]
    Spool(#[from] std::io::Error),
    #[error("the call's text is not UTF-8: {0}")]
    Text(#[from] std::string::FromUtf8Error),
    #[error("the call's JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Work for the shell: threads to start, or the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Decode these frames again for the packet view.
    FetchFrames(BTreeSet<u64>),
    /// Save these calls to `BASE.pcapng` and `BASE.json`.
    Save {
        numbers: Vec<u32>,
        base: String,
    },
}

/// Which pane of the call view keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Ladder,
    Evidence,
    /// The verdict pane as a whole, scrolled (media, SIP, advice).
    Details,
}

/// A call opened in the call view.
#[derive(Debug, Clone)]
pub struct CallScreen {
    /// Index into [`AppState::calls`].
    pub entry: usize,
    pub doc: CallDoc,
    pub cursor: usize,
    pub offset: usize,
    pub focus: Focus,
    pub evidence_cursor: usize,
    /// First line of the verdict pane shown.
    pub details_scroll: usize,
    /// The frames the packet view steps through: every event's frames
    /// and the evidence, in order.
    pub frames: Vec<u64>,
}

/// One frame of a call, decoded.
#[derive(Debug, Clone)]
pub struct PacketScreen {
    pub frame: u64,
    pub scroll: usize,
}

#[derive(Debug, Clone)]
pub enum Screen {
    List,
    Call(Box<CallScreen>),
    Packet(PacketScreen),
}

/// Something drawn over the screen that takes the keys first.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Filter(FilterDialog),
    /// `/`: the text being typed (applied as it is typed).
    Search,
    /// F2: the base name being typed, and the calls to save.
    Save {
        base: String,
        numbers: Vec<u32>,
    },
}

/// Where things were drawn, for the mouse.
#[derive(Debug, Clone, Default)]
pub struct HitAreas {
    /// The list's rows (without its header line).
    pub list_rows: Rect,
    /// The list's header line, and each column's x range.
    pub list_header: Rect,
    pub list_columns: Vec<(u16, u16, SortKey)>,
    pub ladder_rows: Rect,
    pub evidence_rows: Rect,
    /// The evidence shown first (the pane may be scrolled).
    pub evidence_first: usize,
    pub packet_rows: Rect,
}

/// The whole UI state.
pub struct AppState {
    pub file: String,
    pub calls: Vec<StoredCall>,
    /// Calls kept in `calls` but no longer listed (see [`StoredCall::hidden`]).
    pub hidden: usize,
    /// A live capture is running and `q` was pressed once: the next `q`
    /// quits (and stops it).
    quit_armed: bool,
    /// Frames an open call view needs since its call changed (live): the
    /// shell fetches them ([`Self::take_fetch`]).
    pending_fetch: BTreeSet<u64>,
    /// The calls' JSON.
    spool: Spool,
    by_number: HashMap<u32, usize>,
    /// Indices into `calls`: the list as filtered and sorted.
    pub view: Vec<usize>,
    view_dirty: bool,
    /// Position in `view`, and the first row drawn.
    pub cursor: usize,
    pub offset: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: Filter,
    /// Call numbers chosen with Space.
    pub selected: BTreeSet<u32>,
    pub screens: Vec<Screen>,
    pub overlay: Option<Overlay>,
    pub progress: Arc<Progress>,
    /// File size, for the percentage (none for a pipe).
    pub total_bytes: Option<u64>,
    pub summary: Option<LoadSummary>,
    pub load_error: Option<String>,
    /// A line for the footer: what the last action did.
    pub status: Option<String>,
    pub frames: HashMap<u64, FrameDetail>,
    /// Frames asked for and not yet back.
    pub fetching: BTreeSet<u64>,
    pub saving: bool,
    pub no_color: bool,
    /// Totals over every call read, for the header.
    pub by_stage: BTreeMap<String, u64>,
    pub by_code: BTreeMap<String, u64>,
    pub failed: u64,
    pub waiting: u64,
    /// Calls the UI could not keep (see [`FeedEvent::Unlisted`]).
    pub unlisted: u64,
    /// Rows the last draw had room for (paging).
    pub page_rows: usize,
    pub hit: HitAreas,
}

/// Lines a page key moves when nothing was drawn yet.
const DEFAULT_PAGE: usize = 10;

fn page(rows: usize) -> usize {
    if rows == 0 {
        DEFAULT_PAGE
    } else {
        rows.saturating_sub(1).max(1)
    }
}

/// The frames a call view steps through: every event's frames and the
/// evidence, in order (at most [`MAX_FETCHED_FRAMES`]).
fn call_frames(doc: &CallDoc) -> Vec<u64> {
    let mut frames: BTreeSet<u64> = BTreeSet::new();
    for e in &doc.timeline {
        frames.insert(e.frame);
        frames.extend(e.frames.iter().copied());
    }
    frames.extend(doc.verdict.evidence.iter().map(|e| e.frame));
    frames.into_iter().take(MAX_FETCHED_FRAMES).collect()
}

/// Moves `cursor` within `0..len` by a key; true when the key was one.
fn move_cursor(cursor: &mut usize, len: usize, key: KeyCode, rows: usize) -> bool {
    let last = len.saturating_sub(1);
    let new = match key {
        KeyCode::Up | KeyCode::Char('k') => cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => (*cursor + 1).min(last),
        KeyCode::PageUp => cursor.saturating_sub(page(rows)),
        KeyCode::PageDown => (*cursor + page(rows)).min(last),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => last,
        _ => return false,
    };
    *cursor = new;
    true
}

impl AppState {
    pub fn new(file: &str, progress: Arc<Progress>, total_bytes: Option<u64>) -> Self {
        Self {
            file: file.to_string(),
            calls: Vec::new(),
            hidden: 0,
            quit_armed: false,
            pending_fetch: BTreeSet::new(),
            spool: Spool::new(),
            by_number: HashMap::new(),
            view: Vec::new(),
            view_dirty: false,
            cursor: 0,
            offset: 0,
            sort: SortKey::Number,
            reverse: false,
            filter: Filter::default(),
            selected: BTreeSet::new(),
            screens: vec![Screen::List],
            overlay: None,
            progress,
            total_bytes,
            summary: None,
            load_error: None,
            status: None,
            frames: HashMap::new(),
            fetching: BTreeSet::new(),
            saving: false,
            no_color: false,
            by_stage: BTreeMap::new(),
            by_code: BTreeMap::new(),
            failed: 0,
            waiting: 0,
            unlisted: 0,
            page_rows: 0,
            hit: HitAreas::default(),
        }
    }

    pub fn loading(&self) -> bool {
        !self.progress.done.load(Ordering::Relaxed)
    }

    pub fn screen(&self) -> &Screen {
        self.screens.last().unwrap_or(&Screen::List)
    }

    /// The call under the list's cursor.
    pub fn current(&self) -> Option<&StoredCall> {
        self.view.get(self.cursor).map(|&i| &self.calls[i])
    }

    /// Takes what a worker reported.
    pub fn on_feed(&mut self, event: FeedEvent) {
        match event {
            FeedEvent::Calls(entries) => {
                for e in entries {
                    // A live call listed on its own that turned out to be
                    // part of this one leaves the list.
                    for n in &e.absorbed {
                        self.hide_call(*n);
                    }
                    self.count(&e.row, 1);
                    let stored = self.store(e);
                    match self.by_number.get(&stored.row.number).copied() {
                        // A live session may send a call again as it
                        // changes: its old state leaves the totals.
                        Some(i) => {
                            let old = std::mem::replace(&mut self.calls[i], stored);
                            self.count(&old.row, -1);
                            self.refresh_open_call(i);
                        }
                        None => {
                            self.by_number.insert(stored.row.number, self.calls.len());
                            self.calls.push(stored);
                        }
                    }
                }
                self.view_dirty = true;
            }
            FeedEvent::Finished(s) => {
                if let Some(e) = &s.error {
                    self.status = Some(format!("reading stopped early: {e}"));
                }
                self.summary = Some(s);
                self.view_dirty = true;
            }
            FeedEvent::Failed(e) => {
                self.load_error = Some(e.to_string());
            }
            FeedEvent::Frames { wanted, found } => {
                // What was asked and not found (past the end of a capture
                // cut short) is no longer awaited either.
                for n in &wanted {
                    self.fetching.remove(n);
                }
                for f in found {
                    self.frames.insert(f.number, f);
                }
                // A call opened and left before its frames came back: keep
                // only the open call's frames past the bound.
                if self.frames.len() > 2 * MAX_FETCHED_FRAMES {
                    let keep: BTreeSet<u64> = self
                        .call_screen()
                        .map(|c| c.frames.iter().copied().collect())
                        .unwrap_or_default();
                    self.frames.retain(|n, _| keep.contains(n));
                }
            }
            FeedEvent::Saved(r) => {
                self.saving = false;
                self.status = Some(match r {
                    Ok(s) => s.to_string(),
                    Err(e) => format!("save failed: {e}"),
                });
            }
            FeedEvent::Unlisted(n) => {
                self.unlisted += n;
            }
        }
    }

    /// Adds a row to the header's totals (`sign` 1), or takes it out (-1).
    fn count(&mut self, r: &super::model::CallRow, sign: i64) {
        let add = |n: &mut u64| *n = n.saturating_add_signed(sign);
        add(self.by_stage.entry(r.stage.clone()).or_default());
        add(self.by_code.entry(r.code.clone()).or_default());
        // A live call's old code leaves the list of codes when it changes.
        if self.by_code.get(&r.code) == Some(&0) {
            self.by_code.remove(&r.code);
        }
        if r.failed {
            add(&mut self.failed);
        }
        if r.pending {
            add(&mut self.waiting);
        }
    }

    /// Takes call `number` out of the list and the totals, if listed: it
    /// stays in `calls`, hidden (see [`StoredCall::hidden`]).
    fn hide_call(&mut self, number: u32) {
        let Some(&i) = self.by_number.get(&number) else {
            return;
        };
        if std::mem::replace(&mut self.calls[i].hidden, true) {
            return;
        }
        let row = self.calls[i].row.clone();
        self.count(&row, -1);
        self.hidden += 1;
        self.selected.remove(&number);
        self.view_dirty = true;
    }

    /// Keeps a call: its JSON to the spool, or in memory once the spool
    /// has failed (a full disk). A call whose text was still in the
    /// spool's buffer when it failed cannot be opened, and says so.
    fn store(&mut self, e: CallEntry) -> StoredCall {
        // A live call still going is sent again as it changes: in memory
        // until its final form, which goes to the spool (so memory follows
        // the calls in progress, and the spool does not fill with drafts).
        if e.in_progress {
            return StoredCall {
                row: e.row,
                columns: e.columns,
                text: CallText::Inline(e.json),
                hidden: false,
            };
        }
        let text = match self.spool.put(e.json.as_bytes()) {
            Ok(at) => CallText::Spooled(at),
            Err(_) => CallText::Inline(e.json),
        };
        StoredCall {
            row: e.row,
            columns: e.columns,
            text,
            hidden: false,
        }
    }

    /// The JSON of the `i`th call kept, as the report has it.
    pub fn call_json(&mut self, i: usize) -> Result<String, CallReadError> {
        match &self.calls[i].text {
            CallText::Inline(s) => Ok(s.to_string()),
            CallText::Spooled(at) => {
                self.spool.flush()?;
                let mut buf = Vec::new();
                self.spool.get(*at, &mut buf)?;
                Ok(String::from_utf8(buf)?)
            }
        }
    }

    /// The `i`th call kept, whole.
    pub fn call_doc(&mut self, i: usize) -> Result<CallDoc, CallReadError> {
        Ok(serde_json::from_str(&self.call_json(i)?)?)
    }

    /// Whether the list must be filtered and sorted again.
    pub fn view_dirty(&self) -> bool {
        self.view_dirty
    }

    /// Filters and sorts the list again, keeping the cursor on its call.
    pub fn refresh_view(&mut self) {
        let keep = self.current().map(|e| e.row.number);
        let calls = &self.calls;
        let mut view: Vec<usize> = (0..calls.len())
            .filter(|&i| !calls[i].hidden && self.filter.matches(&calls[i]))
            .collect();
        let key = self.sort;
        view.sort_by(|&a, &b| {
            let (x, y) = (&calls[a].row, &calls[b].row);
            let o = match key {
                SortKey::Number => x.number.cmp(&y.number),
                SortKey::Start => x.start_ns.cmp(&y.start_ns),
                SortKey::Kind => x.kind.cmp(&y.kind),
                SortKey::Parties => x.parties.cmp(&y.parties),
                SortKey::Stage => x.stage.cmp(&y.stage),
                SortKey::Code => x.code.cmp(&y.code),
                SortKey::Duration => x.duration_ns().cmp(&y.duration_ns()),
                SortKey::Frames => x.frames.cmp(&y.frames),
            };
            o.then(x.number.cmp(&y.number))
        });
        if self.reverse {
            view.reverse();
        }
        self.view = view;
        self.view_dirty = false;
        self.cursor = keep
            .and_then(|n| {
                self.view
                    .iter()
                    .position(|&i| self.calls[i].row.number == n)
            })
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }

    /// Codes or kinds seen, most frequent first, for the filter dialog.
    pub fn choices(&self, field: usize) -> Vec<String> {
        match field {
            0 => ResultFilter::ALL
                .iter()
                .map(|r| r.text().to_string())
                .collect(),
            1 => ["sip", "ice", "dtls", "media", "none"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            2 => {
                let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
                for c in &self.calls {
                    *kinds.entry(&c.row.kind).or_default() += 1;
                }
                let mut v: Vec<(&str, u64)> = kinds.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                v.into_iter().map(|(k, _)| k.to_string()).collect()
            }
            _ => {
                let mut v: Vec<(&String, &u64)> = self.by_code.iter().collect();
                v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                v.into_iter().map(|(k, _)| k.clone()).collect()
            }
        }
    }

    /// A key, wherever the UI is.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Quit];
        }
        // A message stays until the next key; a save still running keeps
        // its own.
        if !self.saving {
            self.status = None;
        }
        if self.overlay.is_some() {
            return self.on_overlay_key(key);
        }
        match key.code {
            KeyCode::Char('?') | KeyCode::F(1) => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return Vec::new();
            }
            KeyCode::Char('s') | KeyCode::F(2) => {
                self.open_save();
                return Vec::new();
            }
            _ => {}
        }
        match self.screens.last() {
            Some(Screen::Call(_)) => self.on_call_key(key),
            Some(Screen::Packet(_)) => self.on_packet_key(key),
            _ => self.on_list_key(key),
        }
    }

    /// Quits; while a live capture runs, only when asked twice (quitting
    /// stops the capture, and without `-w` drops it).
    fn quit(&mut self, armed: bool) -> Vec<Effect> {
        let live = self.progress.live.lock().ok().and_then(|l| l.clone());
        match live {
            Some(l) if self.loading() && !armed => {
                self.quit_armed = true;
                self.status = Some(if l.temporary {
                    "capturing: q again stops and quits, and the capture is lost (start with -w FILE to keep it)".into()
                } else {
                    format!(
                        "capturing: q again stops and quits; every packet is in {}",
                        l.files
                            .last()
                            .map(|(f, _)| f.as_str())
                            .unwrap_or("the file")
                    )
                });
                Vec::new()
            }
            _ => vec![Effect::Quit],
        }
    }

    /// Frames an open call view now needs (its call changed while
    /// capturing), to fetch.
    pub fn take_fetch(&mut self) -> Option<Effect> {
        if self.pending_fetch.is_empty() {
            return None;
        }
        Some(Effect::FetchFrames(std::mem::take(&mut self.pending_fetch)))
    }

    /// A live call changed while its view is open: the view shows it as it
    /// is now, on the same step where it can.
    fn refresh_open_call(&mut self, i: usize) {
        let open = self
            .screens
            .iter()
            .any(|s| matches!(s, Screen::Call(c) if c.entry == i));
        if !open {
            return;
        }
        let Ok(doc) = self.call_doc(i) else {
            return;
        };
        let frames = call_frames(&doc);
        for screen in self.screens.iter_mut() {
            if let Screen::Call(c) = screen {
                if c.entry == i {
                    c.cursor = c.cursor.min(doc.timeline.len().saturating_sub(1));
                    c.evidence_cursor = c
                        .evidence_cursor
                        .min(doc.verdict.evidence.len().saturating_sub(1));
                    c.doc = doc.clone();
                    c.frames = frames.clone();
                }
            }
        }
        let wanted: Vec<u64> = frames
            .into_iter()
            .filter(|n| !self.frames.contains_key(n) && !self.fetching.contains(n))
            .collect();
        self.fetching.extend(wanted.iter().copied());
        self.pending_fetch.extend(wanted);
    }

    fn on_list_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if move_cursor(&mut self.cursor, self.view.len(), key.code, self.page_rows) {
            return Vec::new();
        }
        let armed = std::mem::take(&mut self.quit_armed);
        match key.code {
            KeyCode::Char('q') => return self.quit(armed),
            KeyCode::Esc => {
                if self.filter.is_empty() {
                    return self.quit(armed);
                }
                self.filter = Filter::default();
                self.refresh_view();
            }
            KeyCode::Enter => return self.open_call(),
            KeyCode::Char(' ') => {
                if let Some(n) = self.current().map(|e| e.row.number) {
                    if !self.selected.remove(&n) {
                        self.selected.insert(n);
                    }
                    self.cursor = (self.cursor + 1).min(self.view.len().saturating_sub(1));
                }
            }
            KeyCode::Char('A') => {
                if self.selected.is_empty() {
                    self.selected = self
                        .view
                        .iter()
                        .map(|&i| self.calls[i].row.number)
                        .collect();
                } else {
                    self.selected.clear();
                }
            }
            KeyCode::Char('/') => {
                self.overlay = Some(Overlay::Search);
            }
            KeyCode::Char('f') | KeyCode::F(7) => {
                self.overlay = Some(Overlay::Filter(FilterDialog {
                    field: 0,
                    draft: self.filter.clone(),
                }));
            }
            KeyCode::Char('c') => {
                self.filter = Filter::default();
                self.refresh_view();
            }
            KeyCode::Char('>') | KeyCode::Char('<') => {
                let i = SortKey::ALL
                    .iter()
                    .position(|k| *k == self.sort)
                    .unwrap_or(0);
                let n = SortKey::ALL.len();
                let next = if key.code == KeyCode::Char('>') {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.sort = SortKey::ALL[next];
                self.refresh_view();
            }
            KeyCode::Char('r') | KeyCode::Char('z') => {
                self.reverse = !self.reverse;
                self.refresh_view();
            }
            _ => {}
        }
        Vec::new()
    }

    /// Opens the call under the cursor.
    fn open_call(&mut self) -> Vec<Effect> {
        let Some(&entry) = self.view.get(self.cursor) else {
            return Vec::new();
        };
        let doc = match self.call_doc(entry) {
            Ok(d) => d,
            Err(e) => {
                self.status = Some(format!("cannot open call: {e}"));
                return Vec::new();
            }
        };
        let frames = call_frames(&doc);
        // Start on the failing step, where there is one.
        let cursor = doc
            .timeline
            .iter()
            .position(|e| e.evidence && doc.verdict.failed())
            .unwrap_or(0);
        let focus = Focus::Ladder;
        self.screens.push(Screen::Call(Box::new(CallScreen {
            entry,
            doc,
            cursor,
            offset: 0,
            focus,
            evidence_cursor: 0,
            details_scroll: 0,
            frames: frames.clone(),
        })));
        // A new call: the frames of the last one are not needed.
        self.frames.retain(|n, _| frames.binary_search(n).is_ok());
        let wanted: BTreeSet<u64> = frames
            .into_iter()
            .filter(|n| !self.frames.contains_key(n) && !self.fetching.contains(n))
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        self.fetching.extend(wanted.iter().copied());
        vec![Effect::FetchFrames(wanted)]
    }

    fn on_call_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.quit_armed = false;
        let rows = self.page_rows;
        let Some(Screen::Call(c)) = self.screens.last_mut() else {
            return Vec::new();
        };
        let moved = match c.focus {
            Focus::Ladder => move_cursor(&mut c.cursor, c.doc.timeline.len(), key.code, rows),
            Focus::Evidence => move_cursor(
                &mut c.evidence_cursor,
                c.doc.verdict.evidence.len(),
                key.code,
                rows,
            ),
            // Clamped to the pane's length when drawn.
            Focus::Details => move_cursor(&mut c.details_scroll, usize::MAX / 2, key.code, rows),
        };
        if moved {
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => {
                self.screens.pop();
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let forward = key.code == KeyCode::Tab;
                let has_evidence = !c.doc.verdict.evidence.is_empty();
                c.focus = match (c.focus, forward) {
                    (Focus::Ladder, true) if has_evidence => Focus::Evidence,
                    (Focus::Ladder, true) | (Focus::Evidence, true) => Focus::Details,
                    (Focus::Details, true) => Focus::Ladder,
                    (Focus::Ladder, false) => Focus::Details,
                    (Focus::Details, false) if has_evidence => Focus::Evidence,
                    _ => Focus::Ladder,
                };
            }
            KeyCode::Enter => {
                let frame = match c.focus {
                    Focus::Ladder | Focus::Details => c.doc.timeline.get(c.cursor).map(|e| e.frame),
                    Focus::Evidence => c
                        .doc
                        .verdict
                        .evidence
                        .get(c.evidence_cursor)
                        .map(|e| e.frame),
                };
                if let Some(frame) = frame {
                    return self.open_packet(frame);
                }
            }
            KeyCode::Char(' ') => {
                let n = self.calls[c.entry].row.number;
                if !self.selected.remove(&n) {
                    self.selected.insert(n);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn open_packet(&mut self, frame: u64) -> Vec<Effect> {
        self.screens
            .push(Screen::Packet(PacketScreen { frame, scroll: 0 }));
        self.want_frame(frame)
    }

    fn want_frame(&mut self, frame: u64) -> Vec<Effect> {
        if self.frames.contains_key(&frame) || self.fetching.contains(&frame) {
            return Vec::new();
        }
        self.fetching.insert(frame);
        vec![Effect::FetchFrames([frame].into_iter().collect())]
    }

    /// The call view under the packet view.
    fn call_screen(&self) -> Option<&CallScreen> {
        self.screens.iter().rev().find_map(|s| match s {
            Screen::Call(c) => Some(&**c),
            _ => None,
        })
    }

    /// Where `frame` is among the open call's frames (which are sorted):
    /// its index and how many there are.
    pub fn frame_place(&self, frame: u64) -> Option<(usize, usize)> {
        let frames = &self.call_screen()?.frames;
        Some((frames.binary_search(&frame).ok()?, frames.len()))
    }

    /// The open call's frame after (or before) `frame`.
    fn neighbour_frame(&self, frame: u64, forward: bool) -> Option<u64> {
        let (i, _) = self.frame_place(frame)?;
        let j = if forward { i + 1 } else { i.checked_sub(1)? };
        self.call_screen()?.frames.get(j).copied()
    }

    fn on_packet_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let rows = self.page_rows;
        let Some(Screen::Packet(p)) = self.screens.last() else {
            return Vec::new();
        };
        let step = match key.code {
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char('n') => Some(true),
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Char('p') => Some(false),
            _ => None,
        };
        if let Some(forward) = step {
            let Some(f) = self.neighbour_frame(p.frame, forward) else {
                return Vec::new();
            };
            if let Some(Screen::Packet(p)) = self.screens.last_mut() {
                *p = PacketScreen {
                    frame: f,
                    scroll: 0,
                };
            }
            return self.want_frame(f);
        }
        let Some(Screen::Packet(p)) = self.screens.last_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => {
                self.screens.pop();
            }
            KeyCode::Up | KeyCode::Char('k') => p.scroll = p.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => p.scroll += 1,
            KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(page(rows)),
            KeyCode::PageDown => p.scroll += page(rows),
            KeyCode::Home | KeyCode::Char('g') => p.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => p.scroll = usize::MAX / 2,
            _ => {}
        }
        Vec::new()
    }

    /// The calls F2 saves: the ones chosen with Space, else the open call,
    /// else the one under the cursor.
    fn save_targets(&self) -> Vec<u32> {
        if !self.selected.is_empty() {
            return self.selected.iter().copied().collect();
        }
        if let Some(c) = self.call_screen() {
            return vec![self.calls[c.entry].row.number];
        }
        self.current()
            .map(|e| vec![e.row.number])
            .unwrap_or_default()
    }

    fn open_save(&mut self) {
        if self.saving {
            self.status = Some("a save is still running".into());
            return;
        }
        // While capturing live, a save reads the file as written so far.
        let live = self.progress.live.lock().ok().is_some_and(|l| l.is_some());
        if self.loading() && !live {
            self.status = Some("wait until the capture is read to save".into());
            return;
        }
        let numbers = self.save_targets();
        if numbers.is_empty() {
            self.status = Some("no call to save".into());
            return;
        }
        let stem = std::path::Path::new(&self.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .map(|s| s.trim_end_matches(".pcap").trim_end_matches(".pcapng"))
            .unwrap_or("capture")
            .to_string();
        let base = if numbers.len() == 1 {
            format!("{stem}-call{}", numbers[0])
        } else {
            format!("{stem}-{}calls", numbers.len())
        };
        self.overlay = Some(Overlay::Save { base, numbers });
    }

    fn on_overlay_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(overlay) = self.overlay.as_mut() else {
            return Vec::new();
        };
        match overlay {
            Overlay::Help { scroll } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
                KeyCode::PageDown => *scroll += page(self.page_rows),
                KeyCode::PageUp => *scroll = scroll.saturating_sub(page(self.page_rows)),
                KeyCode::Home | KeyCode::Char('g') => *scroll = 0,
                // Clamped to the help's length when drawn.
                KeyCode::End | KeyCode::Char('G') => *scroll = usize::MAX / 2,
                _ => self.overlay = None,
            },
            Overlay::Search => match key.code {
                KeyCode::Enter => self.overlay = None,
                KeyCode::Esc => {
                    self.filter.text.clear();
                    self.overlay = None;
                    self.refresh_view();
                }
                KeyCode::Backspace => {
                    self.filter.text.pop();
                    self.refresh_view();
                }
                KeyCode::Char(ch) => {
                    self.filter.text.push(ch);
                    self.refresh_view();
                }
                _ => {}
            },
            Overlay::Save { base, numbers } => match key.code {
                KeyCode::Esc => self.overlay = None,
                KeyCode::Backspace => {
                    base.pop();
                }
                KeyCode::Char(ch) => base.push(ch),
                KeyCode::Enter if !base.is_empty() => {
                    let effect = Effect::Save {
                        numbers: numbers.clone(),
                        base: base.clone(),
                    };
                    self.status = Some(format!("saving {base}.pcapng and {base}.json ..."));
                    self.saving = true;
                    self.overlay = None;
                    return vec![effect];
                }
                _ => {}
            },
            Overlay::Filter(d) => {
                let field = d.field;
                match key.code {
                    KeyCode::Esc => self.overlay = None,
                    KeyCode::Enter => {
                        self.filter = Filter {
                            text: self.filter.text.clone(),
                            ..d.draft.clone()
                        };
                        self.overlay = None;
                        self.refresh_view();
                    }
                    KeyCode::Up | KeyCode::Char('k') => d.field = field.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                        d.field = (field + 1).min(FILTER_FIELDS.len() - 1)
                    }
                    KeyCode::Char('c') => d.draft = Filter::default(),
                    KeyCode::Left | KeyCode::Right | KeyCode::Char('h') | KeyCode::Char('l') => {
                        let forward = matches!(key.code, KeyCode::Right | KeyCode::Char('l'));
                        let choices = self.choices(field);
                        let Some(Overlay::Filter(d)) = self.overlay.as_mut() else {
                            return Vec::new();
                        };
                        cycle_filter(&mut d.draft, field, &choices, forward);
                    }
                    _ => {}
                }
            }
        }
        Vec::new()
    }

    /// The mouse: the wheel moves the cursor (or scrolls), a click picks a
    /// row, a click on the picked row opens it, a click on a column's
    /// title sorts by it.
    pub fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.overlay.is_some() {
            return Vec::new();
        }
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        match m.kind {
            MouseEventKind::ScrollUp => self.on_key(key(KeyCode::Up)),
            MouseEventKind::ScrollDown => self.on_key(key(KeyCode::Down)),
            MouseEventKind::Down(MouseButton::Left) => self.on_click(m.column, m.row),
            _ => Vec::new(),
        }
    }

    fn on_click(&mut self, x: u16, y: u16) -> Vec<Effect> {
        let inside = |r: Rect| r.contains(Position::new(x, y));
        match self.screens.last_mut() {
            Some(Screen::List) | None => {
                if inside(self.hit.list_header) {
                    if let Some(&(_, _, k)) = self
                        .hit
                        .list_columns
                        .iter()
                        .find(|(a, b, _)| x >= *a && x < *b)
                    {
                        if self.sort == k {
                            self.reverse = !self.reverse;
                        } else {
                            self.sort = k;
                            self.reverse = false;
                        }
                        self.refresh_view();
                    }
                } else if inside(self.hit.list_rows) {
                    let i = self.offset + usize::from(y - self.hit.list_rows.y);
                    if i < self.view.len() {
                        if i == self.cursor {
                            return self.open_call();
                        }
                        self.cursor = i;
                    }
                }
            }
            Some(Screen::Call(c)) => {
                let r = self.hit.ladder_rows;
                if inside(r) {
                    let i = c.offset + usize::from(y - r.y);
                    if i < c.doc.timeline.len() {
                        c.focus = Focus::Ladder;
                        if i == c.cursor {
                            let frame = c.doc.timeline[i].frame;
                            return self.open_packet(frame);
                        }
                        c.cursor = i;
                    }
                }
                let r = self.hit.evidence_rows;
                if inside(r) {
                    let i = self.hit.evidence_first + usize::from(y - r.y);
                    if i < c.doc.verdict.evidence.len() {
                        c.focus = Focus::Evidence;
                        if i == c.evidence_cursor {
                            let frame = c.doc.verdict.evidence[i].frame;
                            return self.open_packet(frame);
                        }
                        c.evidence_cursor = i;
                    }
                }
            }
            Some(Screen::Packet(_)) => {}
        }
        Vec::new()
    }
}
