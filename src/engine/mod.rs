//! The engine: the one place where capture, decoding, correlation and
//! verdicts are wired together. `analyze`, `packets`, `ladder`, `export`,
//! the tests and the benches all run a [`Session`]: feed it frames (from a
//! [`FrameSource`] or batch by batch), tell it when capture time moved on
//! with no frame ([`Session::advance_to`]), and read judged calls from it at
//! any moment ([`Session::calls`], [`Session::changed_calls`]).
//!
//! Every timeout runs on capture time: the time of the last frame, or a
//! later time given to `advance_to` (a live session converts the wall
//! clock into capture time itself).

mod export;
mod numbering;
mod run;
mod select;
pub mod source;

pub use export::{export_calls, ExportError, ExportOptions, ExportSummary};
pub use select::CallSelection;
pub use source::{FrameList, FrameSource, ListedFrame};

use std::collections::BTreeMap;
use std::net::SocketAddr;

use foldhash::{HashMap, HashSet};

use crate::analysis::book::CallBook;
use crate::analysis::timeline::{self, TimelineEvent};
use crate::analysis::{members, Analyzer, AssembledCall, CallKind, CallParts, FrameOwner};
use crate::capture::{CaptureError, CaptureInfo, FrameBatch, RawFrame};
use crate::pipeline::{DecodedBatch, DecodedFrame, Decoder, PipelineStats};
use crate::verdict::Verdict;

use numbering::Numbering;

/// How a session runs.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// Decoding threads, 0 for one per core.
    pub threads: usize,
    /// Correlate and judge calls; off for `packets`, which only decodes.
    pub analyze: bool,
    /// Finalise finished calls as capture time passes: judge each once,
    /// hand it to [`SessionObserver::finalized`], and free its state, so
    /// memory follows the calls in progress. Off, every call stays live
    /// until the end (what tests that read [`Session::calls`] at the end
    /// want).
    pub finalize: bool,
    /// Read, decode and correlate on the calling thread alone, with no
    /// thread of the session's own: for many sessions at once, one per
    /// worker thread (`triage`), where the parallelism is across captures
    /// and a reading thread and decoding pool per capture would cost more
    /// than a small capture's analysis.
    pub caller_thread_only: bool,
}

impl SessionOptions {
    /// Every call kept until read at the end.
    pub fn analyze(threads: usize) -> Self {
        Self {
            threads,
            analyze: true,
            finalize: false,
            caller_thread_only: false,
        }
    }

    /// Finished calls handed to the observer and forgotten as the capture
    /// goes on: for captures of any size.
    pub fn streaming(threads: usize) -> Self {
        Self {
            threads,
            analyze: true,
            finalize: true,
            caller_thread_only: false,
        }
    }

    pub fn decode_only(threads: usize) -> Self {
        Self {
            threads,
            analyze: false,
            finalize: false,
            caller_thread_only: false,
        }
    }

    /// [`Self::streaming`] on the calling thread alone (see
    /// [`Self::caller_thread_only`]).
    pub fn streaming_on_caller_thread() -> Self {
        Self {
            caller_thread_only: true,
            ..Self::streaming(1)
        }
    }
}

/// What a front end sees while a session runs.
pub trait SessionObserver {
    /// Every frame, decoded, with its raw bytes; `analyzer` has taken it
    /// (see [`Analyzer::last_frame_owners`]).
    fn frame(&mut self, _frame: &DecodedFrame<'_>, _raw: &RawFrame<'_>, _analyzer: &Analyzer) {}

    /// A finished call, judged for the last time: its state is freed
    /// right after (with [`SessionOptions::finalize`] only).
    fn finalized(&mut self, _call: &JudgedCall<'_>) {}

    /// The calls finalised at one point of capture time, in start order:
    /// an observer may work on them together (in parallel) before taking
    /// them in order.
    fn finalized_all(&mut self, calls: &[JudgedCall<'_>]) {
        for c in calls {
            self.finalized(c);
        }
    }
}

/// A closure that sees frames only.
struct FrameFn<F>(F);

impl<F> SessionObserver for FrameFn<F>
where
    F: FnMut(&DecodedFrame<'_>, &RawFrame<'_>, &Analyzer),
{
    fn frame(&mut self, frame: &DecodedFrame<'_>, raw: &RawFrame<'_>, analyzer: &Analyzer) {
        (self.0)(frame, raw, analyzer)
    }
}

/// Finished calls are looked for this often, in capture time.
const SWEEP_EVERY_NS: i64 = 15_000_000_000;

/// Frames the session could not take apart, by what stopped it, so the
/// report can name what it could not read.
#[derive(Debug, Clone, Default)]
pub struct FrameAccounting {
    pub undecodable_by_reason: BTreeMap<&'static str, u64>,
    /// Frames of link types no decoder reads, by link type.
    pub unsupported_link_types: BTreeMap<u32, u64>,
    /// Frames read down to their transport (or network) layer whose
    /// content no decoder recognised (not SIP, STUN/TURN, DTLS, TLS,
    /// RTP/RTCP), by what carried them: what a capture with no call holds.
    /// At most [`MAX_UNRECOGNISED_KINDS`] kinds; frames of further kinds
    /// are counted in `unrecognised_other`.
    pub unrecognised: BTreeMap<Unrecognised, u64>,
    pub unrecognised_other: u64,
}

/// Kinds of unrecognised frames kept apart; the rest are counted together.
pub const MAX_UNRECOGNISED_KINDS: usize = 256;

/// What carried a frame whose content was not recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unrecognised {
    /// UDP or TCP, by the lower of the two ports (most often the
    /// service's).
    Udp(u16),
    Tcp(u16),
    /// An IP protocol other than UDP and TCP (ESP, SCTP...).
    IpProtocol(u8),
    /// A link-layer frame that is not IP (ARP, LLDP...).
    EtherType(u16),
}

impl std::fmt::Display for Unrecognised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unrecognised::Udp(p) => write!(f, "udp/{p}"),
            Unrecognised::Tcp(p) => write!(f, "tcp/{p}"),
            Unrecognised::IpProtocol(p) => write!(f, "ip-proto/{p}"),
            Unrecognised::EtherType(t) => write!(f, "ethertype/0x{t:04x}"),
        }
    }
}

impl FrameAccounting {
    /// Frames that could not be read below the application layer.
    pub fn undecodable(&self) -> u64 {
        self.undecodable_by_reason.values().sum()
    }

    fn take(&mut self, f: &DecodedFrame<'_>) {
        if let Some(reason) = f.undecodable_reason() {
            *self.undecodable_by_reason.entry(reason).or_default() += 1;
        }
        use crate::pipeline::{StreamKind, Transport};
        let unrecognised = match f.transport {
            Transport::UnsupportedLink { link_type } => {
                *self.unsupported_link_types.entry(link_type).or_default() += 1;
                None
            }
            _ if !f.pdus.is_empty() => None,
            Transport::Udp { src, dst, len } if len > 0 => {
                Some(Unrecognised::Udp(src.port().min(dst.port())))
            }
            // A segment of a SIP, STUN or TLS stream whose message is not
            // complete yet is recognised: the frame that completes it
            // carries it.
            Transport::Tcp {
                src,
                dst,
                len,
                stream_kind: StreamKind::Unknown | StreamKind::Other,
                ..
            } if len > 0 => Some(Unrecognised::Tcp(src.port().min(dst.port()))),
            Transport::OtherIp { protocol } => Some(Unrecognised::IpProtocol(protocol)),
            Transport::NonIp { ether_type } => Some(Unrecognised::EtherType(ether_type)),
            _ => None,
        };
        if let Some(kind) = unrecognised {
            let known = self.unrecognised.len();
            match self.unrecognised.get_mut(&kind) {
                Some(n) => *n += 1,
                None if known < MAX_UNRECOGNISED_KINDS => {
                    self.unrecognised.insert(kind, 1);
                }
                None => self.unrecognised_other += 1,
            }
        }
    }
}

/// The end of a run over a source.
#[derive(Debug)]
pub struct RunOutcome {
    pub info: CaptureInfo,
    pub stats: PipelineStats,
    /// An error met after some frames were read (e.g. a file cut short):
    /// the frames before it were all handed out.
    pub late_error: Option<CaptureError>,
}

/// A bound of the analysis that was reached, and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitHit {
    /// What was bounded, e.g. `sip.dialogs`.
    pub table: &'static str,
    /// What happened at the bound.
    pub effect: &'static str,
    pub count: u64,
}

/// A call as the engine hands it out: its stable number, what correlation
/// found, and its verdict as of the session's capture time.
#[derive(Debug)]
pub struct JudgedCall<'a> {
    /// Handed out once, in the order calls were first read, never reused
    /// and never changed.
    pub number: u32,
    pub call: AssembledCall<'a>,
    pub verdict: Verdict,
    /// Frames that belong to the call (what `export` writes for it).
    pub frames: u64,
    /// Calls handed out earlier that turned out to be part of this one
    /// (an ICE session whose SIP signalling was read later): number and id.
    pub absorbed: Vec<(u32, String)>,
}

impl JudgedCall<'_> {
    pub fn id(&self) -> &str {
        &self.call.id
    }

    pub fn kind(&self) -> CallKind {
        self.call.kind
    }

    pub fn parts(&self) -> &CallParts<'_> {
        &self.call.parts
    }

    /// The call's events across every protocol, in capture order.
    pub fn timeline(&self) -> Vec<TimelineEvent> {
        timeline::build(&self.call.parts, &self.verdict.evidence)
    }

    /// The call's identity, verdict and timeline, owned: what a front end
    /// keeps after the session moves on.
    pub fn record(&self) -> CallRecord {
        CallRecord {
            number: self.number,
            id: self.call.id.clone(),
            kind: self.call.kind,
            start_ts: self.call.start_ts,
            end_ts: self.call.end_ts,
            endpoints: self.call.endpoints.clone(),
            frames: self.frames,
            verdict: self.verdict.clone(),
            timeline: self.timeline(),
        }
    }
}

/// A judged call, owned.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub number: u32,
    pub id: String,
    pub kind: CallKind,
    pub start_ts: i64,
    pub end_ts: i64,
    pub endpoints: Vec<SocketAddr>,
    pub frames: u64,
    pub verdict: Verdict,
    pub timeline: Vec<TimelineEvent>,
}

/// What changed-call detection compares: what a reader would see change.
#[derive(Debug, Clone, PartialEq)]
struct CallDigest {
    end_ts: i64,
    frames: u64,
    code: String,
    summary: String,
}

/// One analysis session over one capture (or one live interface).
pub struct Session {
    decoder: Decoder,
    analyzer: Analyzer,
    options: SessionOptions,
    accounting: FrameAccounting,
    numbering: Numbering,
    /// The calls in progress, kept current part by part.
    book: CallBook,
    next_sweep: i64,
    /// What the last [`Session::changed_calls`] found, to judge again only
    /// what changed.
    reads: Reads,
}

/// What the last [`Session::changed_calls`] knew of a call, by the id
/// correlation gives it (before any `#n`).
struct ReadState {
    /// Its verdict can change with time alone: pending (`capture-ended`)
    /// or a failure whose text counts time.
    time_sensitive: bool,
}

/// What changed-call reads keep between reads.
#[derive(Default)]
struct Reads {
    now: i64,
    calls: HashMap<String, ReadState>,
    /// Parts that saw frames since the last read: their calls are judged
    /// again. Kept only once a front end reads changed calls.
    active: Option<HashSet<FrameOwner>>,
}

/// Whether the call's verdict can still change with time alone: pending
/// (`capture-ended`), or a call not ended by its signalling that failed
/// (a timeout's text counts time) or carries media (media that stops
/// becomes `media-stopped` 5 s later).
fn time_sensitive(c: &JudgedCall<'_>) -> bool {
    c.verdict.code == crate::verdict::VerdictCode::CaptureEnded
        || (!c.call.ended() && (c.verdict.failed() || !c.call.parts.streams.is_empty()))
}

/// Batches in flight between the reader thread, the decoder and the
/// correlation: one being read, one waiting, one being decoded, one
/// waiting decoded, one being correlated. Bounds memory at about five
/// batches (1 MiB each) whatever the capture's size.
const BATCHES_IN_FLIGHT: usize = 5;

impl Session {
    /// Decrypts TLS (SIP over TLS, secure WebSocket) with these secrets;
    /// before the first frame.
    pub fn set_keys(&mut self, keys: crate::decode::keylog::KeyLog) {
        self.decoder.set_keys(keys);
    }

    pub fn new(options: SessionOptions) -> Self {
        Self {
            decoder: if options.caller_thread_only {
                Decoder::on_caller_thread()
            } else {
                Decoder::new(options.threads)
            },
            analyzer: Analyzer::new(),
            options,
            accounting: FrameAccounting::default(),
            numbering: Numbering::default(),
            book: CallBook::new(),
            next_sweep: i64::MIN,
            reads: Reads::default(),
        }
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The calls in progress as the last changed-calls read left them.
    pub fn book(&self) -> &CallBook {
        &self.book
    }

    pub fn accounting(&self) -> &FrameAccounting {
        &self.accounting
    }

    /// Capture time "now": the last frame's time, or later if advanced.
    pub fn now(&self) -> i64 {
        self.analyzer.now()
    }

    /// Capture time reached `ts` with no frame: timeouts up to `ts` count
    /// (a pending "no answer yet" becomes "no response" at the next read).
    pub fn advance_to(&mut self, ts: i64) {
        self.analyzer.advance_to(ts);
    }

    /// [`Self::advance_to`], and with finalisation on, the calls that
    /// finished by `ts` go to `observer`.
    pub fn advance_to_observed(&mut self, ts: i64, observer: &mut impl SessionObserver) {
        self.analyzer.advance_to(ts);
        if self.options.finalize {
            self.sweep(observer, false);
        }
    }

    /// The end of the input: with finalisation on, every call still live
    /// is judged as it stands and goes to `observer`, and the session is
    /// empty after.
    pub fn finish(&mut self, observer: &mut impl SessionObserver) {
        if self.options.finalize {
            self.sweep(observer, true);
        }
    }

    /// Decodes and takes one batch, handing each decoded frame (with its
    /// raw bytes and, when analysing, its owners) to `on_frame`.
    pub fn feed_batch(
        &mut self,
        batch: &FrameBatch,
        on_frame: impl FnMut(&DecodedFrame<'_>, &RawFrame<'_>, &Analyzer),
    ) {
        self.feed_batch_observed(batch, &mut FrameFn(on_frame));
    }

    /// [`Self::feed_batch`] with an observer that also sees finalised calls.
    pub fn feed_batch_observed(&mut self, batch: &FrameBatch, observer: &mut impl SessionObserver) {
        let (decoder, mut correlator) = self.split();
        decoder.decode_batch_each(batch, |f, r| correlator.take(f, r, observer));
    }

    /// The decoder, and the rest that takes decoded frames: apart, so a
    /// pipeline can decode one batch on one thread while the frames of the
    /// batch before are correlated on another.
    fn split(&mut self) -> (&mut Decoder, Correlator<'_>) {
        let Session {
            decoder,
            analyzer,
            options,
            accounting,
            numbering,
            book,
            next_sweep,
            reads,
        } = self;
        (
            decoder,
            Correlator {
                analyzer,
                options,
                accounting,
                numbering,
                book,
                next_sweep,
                reads,
            },
        )
    }

    /// Finalises the calls that finished by capture time now (`all`: every
    /// call, at the end of the input).
    fn sweep(&mut self, observer: &mut impl SessionObserver, all: bool) {
        finalize(
            &mut self.analyzer,
            &mut self.book,
            &mut self.numbering,
            &mut self.reads,
            observer,
            all,
        );
    }

    /// Every call so far, judged as of capture time now, ordered by start.
    /// New calls get their numbers here, in that order.
    pub fn calls(&mut self) -> Vec<JudgedCall<'_>> {
        self.numbering.judge_all(&self.analyzer)
    }

    /// The calls that are new or changed (verdict, summary, end or frame
    /// count) since the last call of this method.
    ///
    /// Cost: in proportion to the calls that changed. Calls whose parts
    /// were created, changed or released since are assembled again (see
    /// [`CallBook`]); calls whose parts saw frames, and on a later capture
    /// time those whose verdict can change with time alone, are rebuilt
    /// from their parts and judged; no other call is looked at. The first
    /// read assembles and judges every call.
    pub fn changed_calls(&mut self) -> Vec<JudgedCall<'_>> {
        let touched = self.analyzer.take_touched();
        let Session {
            analyzer,
            numbering,
            book,
            reads,
            ..
        } = self;
        let analyzer: &Analyzer = analyzer;
        let now = analyzer.now();
        let advanced = now > reads.now;
        reads.now = now;
        let active = reads.active.replace(HashSet::default()).unwrap_or_default();
        let change = book.sync(analyzer, touched);
        numbering.note_gone(&change.gone, &change.assembled);
        for g in &change.gone {
            reads.calls.remove(g);
        }
        let mut out = Vec::new();
        let mut fresh: HashSet<String> = HashSet::default();
        for call in change.assembled {
            fresh.insert(call.id.clone());
            let id = call.id.clone();
            let judged = numbering.judge(analyzer, call, now);
            reads.calls.insert(
                id,
                ReadState {
                    time_sensitive: time_sensitive(&judged),
                },
            );
            if numbering.changed(&judged) {
                out.push(judged);
            }
        }
        // Calls with new frames, and calls that time alone can change.
        let mut due: HashSet<&str> = HashSet::default();
        for part in &active {
            due.extend(book.calls_of(part).iter().map(String::as_str));
        }
        if advanced {
            due.extend(
                reads
                    .calls
                    .iter()
                    .filter(|(_, r)| r.time_sensitive)
                    .map(|(id, _)| id.as_str()),
            );
        }
        let mut due: Vec<String> = due
            .into_iter()
            .filter(|id| !fresh.contains(*id))
            .map(str::to_string)
            .collect();
        due.sort_unstable();
        for id in due {
            let Some(bc) = book.get(&id) else {
                continue;
            };
            let call = members::rebuild(analyzer, &bc.id, bc.kind, &bc.members);
            let judged = numbering.judge(analyzer, call, now);
            reads.calls.insert(
                id,
                ReadState {
                    time_sensitive: time_sensitive(&judged),
                },
            );
            if numbering.changed(&judged) {
                out.push(judged);
            }
        }
        out.sort_by_key(|c| (c.call.start_ts, c.number));
        out
    }

    /// TLS connections that carried data, by what became of their
    /// decryption (see `CaptureFacts::tls`).
    pub fn tls_connections(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.decoder.stats().streams.tls_connections
    }

    /// Every bound of the analysis and decoding that was reached.
    pub fn limits(&self) -> Vec<LimitHit> {
        let a = &self.analyzer;
        let p = self.decoder.stats();
        let all = [
            (
                "sip.dialogs",
                "new Call-IDs not tracked",
                a.sip.untracked_dialogs,
            ),
            (
                "stun.transactions",
                "new STUN transactions not tracked",
                a.ice.dropped_transactions,
            ),
            (
                "turn.allocations",
                "new allocations not tracked",
                a.turn.dropped,
            ),
            (
                "dtls.associations",
                "new associations not tracked",
                a.dtls.dropped,
            ),
            (
                "rtp.streams",
                "packets of new streams not tracked",
                a.rtp.dropped,
            ),
            (
                "tcp.connections",
                "new SIP connections not tracked",
                a.transport.dropped,
            ),
            (
                "frame.owners",
                "frames not counted for any call",
                a.unowned_over_limit,
            ),
            (
                "ip.fragments",
                "datagrams dropped at a bound",
                p.fragments.dropped_over_limit,
            ),
            (
                "ip.fragments",
                "datagrams timed out incomplete",
                p.fragments.timed_out,
            ),
            (
                "tcp.flows",
                "connections dropped, flow table full",
                p.tcp.dropped_over_limit,
            ),
            (
                "tcp.reassembly",
                "holes given up (a buffer bound, or not filled within 1 s)",
                p.tcp.gaps,
            ),
            (
                "tcp.reassembly",
                "bytes held behind a hole never filled, not read",
                p.tcp.held,
            ),
            (
                "tcp.framing",
                "bytes dropped (message over the bound or after a gap)",
                p.streams.bytes_dropped,
            ),
            ("tcp.framing", "streams evicted", p.streams.streams_evicted),
        ];
        all.into_iter()
            .filter(|(_, _, n)| *n > 0)
            .map(|(table, effect, count)| LimitHit {
                table,
                effect,
                count,
            })
            .collect()
    }
}

/// A batch going back to the reader to be filled again.
enum Spare {
    Empty(FrameBatch),
    Decoded(DecodedBatch),
}

impl Spare {
    fn into_batch(self) -> FrameBatch {
        match self {
            Spare::Empty(b) => b,
            Spare::Decoded(d) => d.into_batch(),
        }
    }
}

/// What takes decoded frames, in frame order: accounting, analysis, the
/// observer, and finalisation on capture time.
struct Correlator<'s> {
    analyzer: &'s mut Analyzer,
    options: &'s SessionOptions,
    accounting: &'s mut FrameAccounting,
    numbering: &'s mut Numbering,
    book: &'s mut CallBook,
    next_sweep: &'s mut i64,
    reads: &'s mut Reads,
}

impl Correlator<'_> {
    fn take(
        &mut self,
        f: &DecodedFrame<'_>,
        r: &RawFrame<'_>,
        observer: &mut impl SessionObserver,
    ) {
        self.accounting.take(f);
        if self.options.analyze {
            self.analyzer.feed(f);
            if let Some(active) = self.reads.active.as_mut() {
                for o in self.analyzer.last_frame_owners() {
                    if !active.contains(o) {
                        active.insert(o.clone());
                    }
                }
            }
        }
        observer.frame(f, r, self.analyzer);
        // On capture time, frame by frame: the same calls finish at the
        // same point whatever the batch sizes.
        if self.options.finalize && f.ts_ns >= *self.next_sweep {
            if *self.next_sweep != i64::MIN {
                finalize(
                    self.analyzer,
                    self.book,
                    self.numbering,
                    self.reads,
                    observer,
                    false,
                );
            }
            *self.next_sweep = f.ts_ns.saturating_add(SWEEP_EVERY_NS);
        }
    }
}

/// Finalises the calls that finished by capture time now (every call
/// with `all`), and forgets what reads kept of them. The sweep assembles
/// every call in progress: it runs on capture time (every
/// [`SWEEP_EVERY_NS`]), not per read, and one whole assembly costs less
/// than keeping the book of calls current frame by frame.
fn finalize(
    analyzer: &mut Analyzer,
    book: &mut CallBook,
    numbering: &mut Numbering,
    reads: &mut Reads,
    observer: &mut impl SessionObserver,
    all: bool,
) {
    let gone = if all {
        numbering.finalize_all(analyzer, observer)
    } else {
        numbering.sweep(analyzer, observer)
    };
    for id in gone {
        // Its released parts take it out of the book at the next read.
        book.forget(&id);
        reads.calls.remove(&id);
    }
}

/// Decodes a capture file without analysing it, handing every frame to
/// `on_frame` in order: what `packets` and decoder tests use.
pub fn decode_file(
    path: &str,
    threads: usize,
    on_frame: impl FnMut(&DecodedFrame<'_>),
) -> Result<RunOutcome, CaptureError> {
    decode_file_with_keys(
        path,
        threads,
        crate::decode::keylog::KeyLog::new(),
        on_frame,
    )
}

/// [`decode_file`], decrypting TLS with `keys`.
pub fn decode_file_with_keys(
    path: &str,
    threads: usize,
    keys: crate::decode::keylog::KeyLog,
    mut on_frame: impl FnMut(&DecodedFrame<'_>),
) -> Result<RunOutcome, CaptureError> {
    let source = crate::capture::CaptureReader::open(path)?;
    let mut session = Session::new(SessionOptions::decode_only(threads));
    session.set_keys(keys);
    session.run(source, |f, _, _| on_frame(f))
}
