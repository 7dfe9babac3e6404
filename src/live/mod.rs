//! A live session: packets from the interfaces are numbered, saved to
//! pcapng as they arrive, and fed to the engine in small batches; while the
//! network is quiet, capture time is moved on with the wall clock, so a
//! verdict that waits on a timeout (no response, no ServerHello) changes
//! when the timeout has really passed, packet or no packet. Finished calls
//! are finalised and freed as offline, so memory follows the calls in
//! progress however long the capture runs.
//!
//! What is shown is up to the [`LiveView`]: JSON lines (the report's
//! writer) or the terminal UI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::capture::live::{LiveCapture, LiveError, LivePacket};
use crate::capture::{
    CaptureFormat, CaptureInfo, FrameBatch, InterfaceCounters, InterfaceDesc, PcapngRing,
    RingError, RingFile, RingOptions,
};
use crate::engine::{JudgedCall, Session, SessionObserver, SessionOptions};
use crate::net::link_type_name;
use crate::report::analyze::{CaptureFacts, LiveFacts, LiveInterfaceFacts, ReportWriter};

/// How a live session runs, besides the interfaces (opened before).
#[derive(Debug, Clone, Default)]
pub struct LiveConfig {
    /// Where every packet is saved; `None`: nowhere.
    pub write: Option<RingOptions>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Decoding threads (0: one per core).
    pub threads: usize,
}

/// What the front end is told while capturing.
#[derive(Debug, Clone, Default)]
pub struct LiveStatus {
    pub interfaces: Vec<(InterfaceDesc, InterfaceCounters)>,
    /// Packets taken and analysed so far.
    pub packets: u64,
    pub bytes: u64,
    /// The files being written (the ring's files on disk).
    pub files: Vec<RingFile>,
    /// Wall time since capture started.
    pub elapsed: Duration,
}

impl LiveStatus {
    pub fn dropped_by_kernel(&self) -> u64 {
        self.interfaces
            .iter()
            .map(|(_, c)| c.dropped_by_kernel)
            .sum()
    }

    pub fn dropped_by_interface(&self) -> u64 {
        self.interfaces
            .iter()
            .map(|(_, c)| c.dropped_by_interface)
            .sum()
    }
}

/// A front end of a live session: it sees frames and finalised calls as
/// an offline observer does, and besides them the calls as they change.
pub trait LiveView: SessionObserver {
    /// Whether [`Self::changed`] is wanted (reading changes costs a
    /// judgement of every call that changed).
    fn wants_changes(&self) -> bool {
        false
    }

    /// Calls new or changed since the last time, pending verdicts
    /// included, judged as of capture time now.
    fn changed(&mut self, _calls: &[JudgedCall<'_>]) {}

    /// Counters, a few times a second.
    /// Lets the reading threads end (they may wait on a full channel).
    fn drain_and_join(running: crate::capture::live::RunningCapture) {
        while running.packets.recv().is_ok() {}
        let _ = running.join();
    }

    fn status(&mut self, _status: &LiveStatus) {}

    /// The front end wants capture to stop (the UI quit).
    fn should_stop(&self) -> bool {
        false
    }
}

/// JSON lines: each call written as it is finalised (see
/// [`ReportWriter::echo_calls_to`]), the report at the end.
impl LiveView for ReportWriter<'_> {}

#[derive(Debug, thiserror::Error)]
pub enum LiveRunError {
    #[error(transparent)]
    Capture(#[from] LiveError),
    #[error(transparent)]
    Write(#[from] RingError),
    #[error("starting the capture threads: {0}")]
    Threads(#[from] std::io::Error),
}

/// The end of a live session.
pub struct LiveOutcome {
    /// The report's facts of the capture, the live counters among them.
    pub facts: CaptureFacts,
    pub files: Vec<RingFile>,
    /// An interface that failed while capturing (its packets up to then
    /// were analysed and saved).
    pub error: Option<LiveError>,
}

/// How often counters are read, the file flushed and quiet time moved on.
const TICK: Duration = Duration::from_millis(200);
/// How often finished calls are looked for (a sweep assembles every call
/// in progress, so not every tick).
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How often changed calls are read for a front end that wants them.
const CHANGES_EVERY: Duration = Duration::from_millis(500);
/// Capture time trails the wall clock by this much when it is moved on
/// with no packet: a packet stamped just before may still be on its way
/// through the kernel's buffer and the channel.
const QUIET_LAG_NS: i64 = 300_000_000;
/// Frames fed to the engine at once, at most.
const BATCH_FRAMES: usize = 4_096;

fn wall_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// What the loop counts of the packets it took.
#[derive(Default)]
struct Taken {
    packets: u64,
    bytes: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    link_types: Vec<u32>,
}

/// Captures until `stop` is set (Ctrl-C, a signal), the duration or count
/// is reached, the view asks, or every interface fails; then closes the
/// files and finalises every call. `capture` was opened (and privileges
/// dropped) by the caller. `stop` is only read: what ended the capture is
/// in the report's `stopped_by`.
pub fn run(
    capture: LiveCapture,
    config: &LiveConfig,
    stop: Arc<AtomicBool>,
    view: &mut impl LiveView,
) -> Result<LiveOutcome, LiveRunError> {
    let interfaces: Vec<InterfaceDesc> = capture.interfaces().to_vec();
    let mut ring = match &config.write {
        Some(w) => Some(PcapngRing::create(w.clone(), interfaces.clone())?),
        None => None,
    };
    // What the reading threads watch: set on `stop` and on every other
    // reason to end.
    let halt = Arc::new(AtomicBool::new(false));
    let running = capture.start(halt.clone())?;
    let started = Instant::now();
    let mut session = Session::new(SessionOptions::streaming(config.threads));
    let mut batch = FrameBatch::new();
    let mut taken = Taken::default();
    // Every interface failed, unless a reason below is found first.
    let mut stopped_by = "error";
    let mut last_tick = Instant::now();
    let mut last_sweep = Instant::now();
    let mut last_changes = Instant::now() - CHANGES_EVERY;
    let mut write_error = None;
    loop {
        if !halt.load(Ordering::Relaxed) {
            let why = if stop.load(Ordering::Relaxed) {
                Some("interrupt")
            } else if config.duration.is_some_and(|d| started.elapsed() >= d) {
                Some("duration")
            } else if config.count.is_some_and(|n| taken.packets >= n) {
                Some("count")
            } else if view.should_stop() {
                Some("quit")
            } else {
                None
            };
            if let Some(why) = why {
                stopped_by = why;
                halt.store(true, Ordering::Relaxed);
            }
        }
        let wait = TICK.saturating_sub(last_tick.elapsed());
        let quiet = match running.packets.recv_timeout(wait) {
            Ok(first) => {
                // This chunk and whatever else is waiting, up to a batch.
                let mut next = Some(first);
                while let Some(chunk) = next {
                    if let Err(e) = take_chunk(
                        chunk,
                        &interfaces,
                        config,
                        &mut taken,
                        &mut ring,
                        &mut batch,
                    ) {
                        write_error = Some(e);
                    }
                    next = (batch.len() < BATCH_FRAMES)
                        .then(|| running.packets.try_recv().ok())
                        .flatten();
                }
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            // Every reading thread has ended: after `stop`, or failures.
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(e) = write_error.take() {
            // Keeping every packet is the point: a file that cannot be
            // written stops the capture, said at once.
            halt.store(true, Ordering::Relaxed);
            drain_and_join(running);
            return Err(LiveRunError::Write(e));
        }
        if !batch.is_empty() {
            session.feed_batch_observed(&batch, view);
            batch.clear();
        }
        if last_tick.elapsed() < TICK {
            continue;
        }
        last_tick = Instant::now();
        let sweep = last_sweep.elapsed() >= SWEEP_EVERY;
        if quiet {
            let now = wall_ns().saturating_sub(QUIET_LAG_NS);
            if now > session.now() {
                if sweep {
                    session.advance_to_observed(now, view);
                } else {
                    session.advance_to(now);
                }
            }
        } else if sweep {
            let now = session.now();
            session.advance_to_observed(now, view);
        }
        if sweep {
            last_sweep = Instant::now();
        }
        if view.wants_changes() && last_changes.elapsed() >= CHANGES_EVERY {
            last_changes = Instant::now();
            let changed = session.changed_calls();
            view.changed(&changed);
        }
        let counters = running.counters();
        if let Some(r) = ring.as_mut() {
            r.set_counters(counters.clone());
            if let Err(e) = r.flush() {
                halt.store(true, Ordering::Relaxed);
                drain_and_join(running);
                return Err(LiveRunError::Write(e));
            }
        }
        view.status(&status(&interfaces, counters, &taken, &ring, started));
    }
    // Capture has stopped: verdicts are judged as of now, the time the
    // saved file says it ended, so the file read later gives the same.
    let end_ts = wall_ns().max(taken.last_ts.unwrap_or(i64::MIN));
    let counters = running.counters();
    let error = running.join().err();
    let files = match ring.take() {
        Some(r) => r.finish(end_ts, counters.clone())?,
        None => Vec::new(),
    };
    session.advance_to(end_ts);
    session.finish(view);
    view.status(&LiveStatus {
        files: files.clone(),
        ..status(&interfaces, counters.clone(), &taken, &None, started)
    });
    let info = CaptureInfo {
        path: files
            .first()
            .map(|f| f.path.display().to_string())
            .unwrap_or_else(|| {
                let names: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
                format!("live:{}", names.join(","))
            }),
        format: (!files.is_empty()).then_some(CaptureFormat::Pcapng),
        gzip: false,
        link_types: taken.link_types.clone(),
        frames: taken.packets,
        bytes: taken.bytes,
        first_ts_ns: taken.first_ts,
        last_ts_ns: taken.last_ts,
        end_ts_ns: Some(end_ts),
        orphan_frames: 0,
        skipped_blocks: 0,
        secrets_blocks: 0,
    };
    let live = LiveFacts {
        interfaces: interfaces
            .iter()
            .zip(&counters)
            .map(|(d, c)| LiveInterfaceFacts {
                name: d.name.clone(),
                link_type: link_type_name(d.link_type),
                received: c.received,
                dropped_by_kernel: c.dropped_by_kernel,
                dropped_by_interface: c.dropped_by_interface,
            })
            .collect(),
        files: files.iter().map(|f| f.path.display().to_string()).collect(),
        packets: taken.packets,
        stopped_by,
    };
    let facts = CaptureFacts {
        info,
        accounting: session.accounting().clone(),
        limits: session.limits(),
        error: error.as_ref().map(|e| e.to_string()),
        live: Some(live),
        tls: session.tls_connections(),
    };
    Ok(LiveOutcome {
        facts,
        files,
        error,
    })
}

/// Lets the reading threads end (they may wait on a full channel).
fn drain_and_join(running: crate::capture::live::RunningCapture) {
    while running.packets.recv().is_ok() {}
    let _ = running.join();
}

fn status(
    interfaces: &[InterfaceDesc],
    counters: Vec<InterfaceCounters>,
    taken: &Taken,
    ring: &Option<PcapngRing>,
    started: Instant,
) -> LiveStatus {
    LiveStatus {
        interfaces: interfaces.iter().cloned().zip(counters).collect(),
        packets: taken.packets,
        bytes: taken.bytes,
        files: ring
            .as_ref()
            .map(|r| r.files().iter().cloned().collect())
            .unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

/// Numbers the packets of a chunk, saves them and adds them to the batch.
/// Past `--count`, packets are not taken (as tcpdump's `-c`).
fn take_chunk(
    chunk: Vec<LivePacket>,
    interfaces: &[InterfaceDesc],
    config: &LiveConfig,
    taken: &mut Taken,
    ring: &mut Option<PcapngRing>,
    batch: &mut FrameBatch,
) -> Result<(), RingError> {
    for p in chunk {
        if config.count.is_some_and(|n| taken.packets >= n) {
            break;
        }
        let link_type = interfaces
            .get(p.interface as usize)
            .map(|i| i.link_type)
            .unwrap_or(0);
        if let Some(r) = ring.as_mut() {
            r.write(p.interface, p.ts_ns, p.orig_len, &p.data)?;
        }
        taken.packets += 1;
        taken.bytes += p.data.len() as u64;
        taken.first_ts.get_or_insert(p.ts_ns);
        taken.last_ts = Some(taken.last_ts.map_or(p.ts_ns, |t| t.max(p.ts_ns)));
        if !taken.link_types.contains(&link_type) {
            taken.link_types.push(link_type);
        }
        batch.push(taken.packets, p.ts_ns, link_type, p.orig_len, &p.data);
    }
    Ok(())
}
