//! Offline capture reading: pcap (micro- and nanosecond, both byte orders),
//! pcapng (several sections and interfaces, each with its own link type and
//! `if_tsresol`), Microsoft Network Monitor 2.x (`netmon.rs`), snoop
//! (`snoop.rs`), gzip-compressed
//! files and standard input. Pure Rust: files never go through libpcap,
//! which refuses pcapng files whose interfaces differ in link type.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use super::netmon::NetmonFile;
use super::snoop::SnoopReader;
use super::{CaptureError, CaptureErrorKind, FrameBatch};

/// Initial read buffer; it grows when one block does not fit.
const INITIAL_BUFFER: usize = 1 << 20;
/// No real capture block is this large (the largest snaplen in use is
/// 256 KiB); beyond it the file is treated as malformed instead of growing
/// the buffer without bound.
const MAX_BUFFER: usize = 32 << 20;
/// A batch closes at whichever of these comes first.
const BATCH_FRAMES: usize = 4096;
const BATCH_BYTES: usize = 4 << 20;

/// Network Monitor files are read whole; their offsets are 32-bit.
const MAX_NETMON_BYTES: u64 = 1 << 32;

/// Bytes read ahead to recognise the format; large enough for any pcapng
/// section header block seen in practice.
const HEAD_BYTES: usize = 64 * 1024;

const MAGIC_PCAP_US: u32 = 0xa1b2_c3d4;
const MAGIC_PCAP_NS: u32 = 0xa1b2_3c4d;
const MAGIC_PCAPNG: u32 = 0x0a0d_0d0a;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureFormat {
    Pcap,
    Pcapng,
    Netmon,
    Snoop,
}

/// What is known about the capture as a whole; filled while reading.
#[derive(Debug, Clone, Default)]
pub struct CaptureInfo {
    pub path: String,
    pub format: Option<CaptureFormat>,
    pub gzip: bool,
    /// Link types in the order first seen.
    pub link_types: Vec<u32>,
    pub frames: u64,
    /// Captured bytes of all frames.
    pub bytes: u64,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// When the capture says it stopped (pcapng `isb_endtime`), which can
    /// be after its last frame: timeouts are judged up to it.
    pub end_ts_ns: Option<i64>,
    /// Packet blocks naming an interface that was never described.
    pub orphan_frames: u64,
    /// pcapng blocks that carry no packet (statistics, name resolution,
    /// unknown types): skipped, counted.
    pub skipped_blocks: u64,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    /// Timestamp units per second.
    resolution: u64,
    offset_s: i64,
}

/// Reads frames from a capture file or standard input, batch by batch.
pub struct CaptureReader {
    /// pcap and pcapng; `netmon` for Network Monitor files.
    inner: Option<Box<dyn PcapReaderIterator + Send>>,
    netmon: Option<NetmonFile>,
    snoop: Option<SnoopReader>,
    info: CaptureInfo,
    seen_links: BTreeSet<u32>,
    legacy: Option<(u32, bool)>,
    interfaces: Vec<Interface>,
    buffer_size: usize,
    /// An error met after some frames were read: reported after those
    /// frames have been handed out, so nothing read is lost.
    pending_error: Option<CaptureError>,
    done: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("info", &self.info)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a capture; `-` is standard input.
    pub fn open(path: &str) -> Result<Self, CaptureError> {
        let source: Box<dyn Read + Send> = if path == "-" {
            Box::new(io::stdin())
        } else {
            let file = File::open(path).map_err(|e| CaptureError {
                path: path.to_string(),
                offset: 0,
                kind: CaptureErrorKind::Open(e.to_string()),
            })?;
            Box::new(io::BufReader::with_capacity(1 << 16, file))
        };
        Self::from_reader(path, source)
    }

    /// Reads a capture from any byte source (file, pipe, memory).
    pub fn from_reader(path: &str, source: Box<dyn Read + Send>) -> Result<Self, CaptureError> {
        let err = |offset: u64, kind| CaptureError {
            path: path.to_string(),
            offset,
            kind,
        };
        let (head, source) =
            peek(source, HEAD_BYTES).map_err(|e| err(0, CaptureErrorKind::Read(e.to_string())))?;
        let mut gzip = false;
        let (head, source) = if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
            gzip = true;
            let inflated: Box<dyn Read + Send> = Box::new(MultiGzDecoder::new(source));
            peek(inflated, HEAD_BYTES)
                .map_err(|e| err(0, CaptureErrorKind::Read(format!("gzip: {e}"))))?
        } else {
            (head, source)
        };
        if head.is_empty() {
            return Err(err(0, CaptureErrorKind::Empty));
        }
        if head.len() < 4 {
            return Err(err(head.len() as u64, CaptureErrorKind::NotACapture));
        }
        let magic_le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let magic_be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let to_kind = |e: PcapError<&[u8]>| match e {
            PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
                CaptureErrorKind::TruncatedHeader
            }
            PcapError::ReadError => CaptureErrorKind::Read("read failed".into()),
            other => CaptureErrorKind::Malformed(format!("{other:?}")),
        };
        if NetmonFile::recognise(&head) {
            // Its frame table is at the end: the whole file first.
            let mut data = Vec::new();
            source
                .take(MAX_NETMON_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|e| err(data.len() as u64, CaptureErrorKind::Read(e.to_string())))?;
            if data.len() as u64 > MAX_NETMON_BYTES {
                return Err(err(
                    MAX_NETMON_BYTES,
                    CaptureErrorKind::Malformed("a netmon file larger than 4 GiB".into()),
                ));
            }
            let netmon = NetmonFile::parse(data).map_err(|(at, kind)| err(at, kind))?;
            return Ok(Self::with(
                path,
                None,
                Some(netmon),
                CaptureFormat::Netmon,
                gzip,
            ));
        }
        if SnoopReader::recognise(&head) {
            let snoop = SnoopReader::open(source).map_err(|(at, kind)| err(at, kind))?;
            let mut reader = Self::with(path, None, None, CaptureFormat::Snoop, gzip);
            reader.snoop = Some(snoop);
            return Ok(reader);
        }
        let (inner, format): (Box<dyn PcapReaderIterator + Send>, CaptureFormat) = if magic_le
            == MAGIC_PCAPNG
        {
            let r = PcapNGReader::new(INITIAL_BUFFER, source).map_err(|e| err(0, to_kind(e)))?;
            (Box::new(r), CaptureFormat::Pcapng)
        } else if [MAGIC_PCAP_US, MAGIC_PCAP_NS].contains(&magic_le)
            || [MAGIC_PCAP_US, MAGIC_PCAP_NS].contains(&magic_be)
        {
            let r =
                LegacyPcapReader::new(INITIAL_BUFFER, source).map_err(|e| err(0, to_kind(e)))?;
            (Box::new(r), CaptureFormat::Pcap)
        } else {
            return Err(err(0, CaptureErrorKind::NotACapture));
        };
        Ok(Self::with(path, Some(inner), None, format, gzip))
    }

    fn with(
        path: &str,
        inner: Option<Box<dyn PcapReaderIterator + Send>>,
        netmon: Option<NetmonFile>,
        format: CaptureFormat,
        gzip: bool,
    ) -> Self {
        Self {
            inner,
            netmon,
            snoop: None,
            info: CaptureInfo {
                path: path.to_string(),
                format: Some(format),
                gzip,
                ..CaptureInfo::default()
            },
            seen_links: BTreeSet::new(),
            legacy: None,
            interfaces: Vec::new(),
            buffer_size: INITIAL_BUFFER,
            pending_error: None,
            done: false,
        }
    }

    pub fn info(&self) -> &CaptureInfo {
        &self.info
    }

    fn error(&self, kind: CaptureErrorKind) -> CaptureError {
        let offset = match (&self.inner, &self.netmon, &self.snoop) {
            (Some(inner), _, _) => inner.consumed() as u64,
            (None, Some(netmon), _) => netmon.offset(),
            (None, None, Some(snoop)) => snoop.offset(),
            (None, None, None) => 0,
        };
        CaptureError {
            path: self.info.path.clone(),
            offset,
            kind,
        }
    }

    /// Fills `batch` (cleared first) with the next frames. Returns the number
    /// of frames read; 0 means the end of the capture. An error met after
    /// some frames were read is returned by the following call.
    pub fn next_batch(&mut self, batch: &mut FrameBatch) -> Result<usize, CaptureError> {
        batch.clear();
        if let Some(e) = self.pending_error.take() {
            self.done = true;
            return Err(e);
        }
        while !self.done && batch.len() < BATCH_FRAMES && batch.data_len() < BATCH_BYTES {
            match self.step(batch) {
                Ok(()) => {}
                Err(e) => {
                    if batch.is_empty() {
                        self.done = true;
                        return Err(e);
                    }
                    self.pending_error = Some(e);
                    break;
                }
            }
        }
        Ok(batch.len())
    }

    /// Reads one frame of a file read here rather than by pcap-parser
    /// (NetMon, snoop) into `batch`.
    fn step_own(&mut self, batch: &mut FrameBatch) -> Result<(), CaptureError> {
        let CaptureReader {
            netmon,
            snoop,
            info,
            seen_links,
            done,
            ..
        } = self;
        let next = match (netmon.as_mut(), snoop.as_mut()) {
            (Some(n), _) => n.next_frame(),
            (None, Some(s)) => s.next_frame(),
            (None, None) => None,
        };
        match next {
            None => {
                *done = true;
                Ok(())
            }
            Some(Err((offset, kind))) => {
                *done = true;
                Err(CaptureError {
                    path: info.path.clone(),
                    offset,
                    kind,
                })
            }
            Some(Ok(f)) => {
                match f.link_type {
                    Some(link) => {
                        take_frame(info, seen_links, batch, (f.ts_ns, link, f.orig_len, f.data))
                    }
                    // A record that is not a frame (NetMon's network info).
                    None => info.skipped_blocks += 1,
                }
                Ok(())
            }
        }
    }

    /// Reads one block; frames go into `batch`.
    fn step(&mut self, batch: &mut FrameBatch) -> Result<(), CaptureError> {
        if self.netmon.is_some() || self.snoop.is_some() {
            return self.step_own(batch);
        }
        let Some(inner) = self.inner.as_mut() else {
            self.done = true;
            return Ok(());
        };
        let next = inner.next();
        let consumed = match next {
            Ok((offset, block)) => {
                let frame = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        self.legacy = Some((h.network.0 as u32, h.is_nanosecond_precision()));
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let (link, nanos) = self.legacy.unwrap_or((1, false));
                        let frac = if nanos {
                            b.ts_usec as i64
                        } else {
                            b.ts_usec as i64 * 1000
                        };
                        let ts = (b.ts_sec as i64) * 1_000_000_000 + frac;
                        let caplen = (b.caplen as usize).min(b.data.len());
                        Some((ts, link, b.origlen, &b.data[..caplen]))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        // Interface ids restart in every section.
                        self.interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        self.interfaces.push(Interface {
                            link_type: idb.linktype.0 as u32,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                            offset_s: idb.ts_offset(),
                        });
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match self.interfaces.get(epb.if_id as usize).copied() {
                            Some(iface) => {
                                let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                let ts = ticks_to_ns(raw, iface.resolution, iface.offset_s);
                                let caplen = (epb.caplen as usize).min(epb.data.len());
                                Some((ts, iface.link_type, epb.origlen, &epb.data[..caplen]))
                            }
                            None => {
                                self.info.orphan_frames += 1;
                                None
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        // RFC-draft pcapng: an SPB belongs to interface 0 and has no timestamp.
                        match self.interfaces.first().copied() {
                            Some(iface) => {
                                let caplen = (spb.origlen as usize).min(spb.data.len());
                                let ts = self.info.last_ts_ns.unwrap_or(0);
                                Some((ts, iface.link_type, spb.origlen, &spb.data[..caplen]))
                            }
                            None => {
                                self.info.orphan_frames += 1;
                                None
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::InterfaceStatistics(isb)) => {
                        let iface = self.interfaces.get(isb.if_id as usize).copied();
                        if let (Some(Ok((high, low))), Some(iface)) = (isb.isb_endtime(), iface) {
                            let raw = ((high as u64) << 32) | low as u64;
                            let end = ticks_to_ns(raw, iface.resolution, iface.offset_s);
                            self.info.end_ts_ns =
                                Some(self.info.end_ts_ns.map_or(end, |e| e.max(end)));
                        }
                        None
                    }
                    PcapBlockOwned::NG(_) => {
                        self.info.skipped_blocks += 1;
                        None
                    }
                };
                if let Some(frame) = frame {
                    take_frame(&mut self.info, &mut self.seen_links, batch, frame);
                }
                offset
            }
            Err(PcapError::Eof) => {
                self.done = true;
                return Ok(());
            }
            Err(PcapError::Incomplete(_)) => {
                if inner.reader_exhausted() {
                    self.done = true;
                    if inner.data().is_empty() {
                        return Ok(());
                    }
                    return Err(self.error(CaptureErrorKind::Truncated));
                }
                if let Err(e) = inner.refill() {
                    let text = if self.info.gzip {
                        "gzip stream cut short or corrupt (the byte offset counts uncompressed bytes)"
                            .to_string()
                    } else {
                        format!("{e:?}")
                    };
                    self.done = true;
                    return Err(self.error(CaptureErrorKind::Read(text)));
                }
                return Ok(());
            }
            Err(PcapError::BufferTooSmall) => {
                let wanted = self.buffer_size * 2;
                if wanted > MAX_BUFFER || !inner.grow(wanted) {
                    self.done = true;
                    return Err(self.error(CaptureErrorKind::Malformed(format!(
                        "a block is larger than {} MiB",
                        MAX_BUFFER >> 20
                    ))));
                }
                self.buffer_size = wanted;
                return Ok(());
            }
            Err(PcapError::UnexpectedEof) => {
                self.done = true;
                return Err(self.error(CaptureErrorKind::Truncated));
            }
            Err(PcapError::ReadError) => {
                self.done = true;
                return Err(self.error(CaptureErrorKind::Read("read failed".into())));
            }
            Err(e) => {
                let text = match e {
                    PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                        format!("unparsable block ({kind:?})")
                    }
                    PcapError::HeaderNotRecognized => "header not recognized".into(),
                    _ => "unparsable block".into(),
                };
                self.done = true;
                return Err(self.error(CaptureErrorKind::Malformed(text)));
            }
        };
        if let Some(inner) = self.inner.as_mut() {
            inner.consume(consumed);
        }
        Ok(())
    }
}

/// Counts a frame (time, link type, original length, bytes) and puts it
/// in the batch.
fn take_frame(
    info: &mut CaptureInfo,
    seen_links: &mut BTreeSet<u32>,
    batch: &mut FrameBatch,
    (ts, link, orig_len, data): (i64, u32, u32, &[u8]),
) {
    info.frames += 1;
    info.bytes += data.len() as u64;
    info.first_ts_ns.get_or_insert(ts);
    info.last_ts_ns = Some(ts);
    if seen_links.insert(link) {
        info.link_types.push(link);
    }
    batch.push(info.frames, ts, link, orig_len, data);
}

/// pcapng timestamps are ticks of `resolution` per second since the epoch,
/// plus the interface's `if_tsoffset` in seconds.
fn ticks_to_ns(ticks: u64, resolution: u64, offset_s: i64) -> i64 {
    let ns = (ticks as u128 * 1_000_000_000u128) / resolution as u128;
    let ns = i64::try_from(ns).unwrap_or(i64::MAX);
    ns.saturating_add(offset_s.saturating_mul(1_000_000_000))
}

/// Reads up to `n` bytes and gives back a reader that still yields them.
/// The readers built on it parse their file header from their first
/// `read`, which returns at most these bytes: so `n` must cover a header
/// (see [`HEAD_BYTES`]).
/// A read error met while peeking (a gzip file cut short) is not returned
/// at once: the bytes before it are still frames to read, so the error
/// comes back after them.
fn peek(mut source: Box<dyn Read + Send>, n: usize) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0u8; n];
    let mut filled = 0;
    let mut deferred = None;
    while filled < n {
        match source.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if filled == 0 => return Err(e),
            Err(e) => {
                deferred = Some(e);
                break;
            }
        }
    }
    head.truncate(filled);
    let rest: Box<dyn Read + Send> = match deferred {
        Some(e) => Box::new(FailingReader(Some(e))),
        None => source,
    };
    let chained: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(rest));
    Ok((head, chained))
}

/// Yields nothing but the error it holds, once.
struct FailingReader(Option<io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}
