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
use pcap_parser::{PcapBlockOwned, PcapError};

use super::blocks::{BlockStream, Parsed, MAX_BLOCK};
use super::frame::FrameMeta;
use super::netmon::NetmonFile;
use super::snoop::SnoopReader;
use super::{range_within, CaptureError, CaptureErrorKind, FrameBatch};

/// A batch of a NetMon or snoop file (read frame by frame) closes at
/// whichever of these comes first. pcap and pcapng batches are one fill of
/// the read buffer (`blocks.rs`).
const BATCH_FRAMES: usize = 4096;
const BATCH_BYTES: usize = 1 << 20;

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

impl CaptureFormat {
    /// Its name as the report's `capture.format` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
            Self::Netmon => "netmon",
            Self::Snoop => "snoop",
        }
    }
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
    /// pcapng Decryption Secrets Blocks holding a TLS key log: read as
    /// keys, never printed.
    pub secrets_blocks: u64,
}

impl CaptureInfo {
    /// When capture stopped, as the file says (`isb_endtime`), where that
    /// is not before its last frame: a writer that put the time in the
    /// wrong unit gives a time before the capture began, which says
    /// nothing.
    pub fn stopped_ts(&self) -> Option<i64> {
        self.end_ts_ns
            .filter(|end| self.last_ts_ns.is_none_or(|last| *end >= last))
    }
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
    /// pcap and pcapng; `netmon` and `snoop` for those formats.
    blocks: Option<BlockStream>,
    netmon: Option<NetmonFile>,
    snoop: Option<SnoopReader>,
    info: CaptureInfo,
    seen_links: BTreeSet<u32>,
    legacy: Option<(u32, bool)>,
    interfaces: Vec<Interface>,
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
        if path == "-" {
            return Self::from_reader(path, Box::new(io::stdin()));
        }
        Self::open_file(std::path::Path::new(path), path)
    }

    /// Opens the capture at `file`, named `name` in messages and in its
    /// info: a path that is not UTF-8 is opened as it is, and named as
    /// best it can be.
    pub fn open_file(file: &std::path::Path, name: &str) -> Result<Self, CaptureError> {
        let opened = File::open(file).map_err(|e| CaptureError {
            path: name.to_string(),
            offset: 0,
            kind: CaptureErrorKind::Open(e.to_string()),
        })?;
        Self::from_reader(
            name,
            Box::new(io::BufReader::with_capacity(1 << 16, opened)),
        )
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
        let (blocks, format) = if magic_le == MAGIC_PCAPNG {
            (BlockStream::pcapng(source), CaptureFormat::Pcapng)
        } else if [MAGIC_PCAP_US, MAGIC_PCAP_NS].contains(&magic_le)
            || [MAGIC_PCAP_US, MAGIC_PCAP_NS].contains(&magic_be)
        {
            (BlockStream::pcap(source), CaptureFormat::Pcap)
        } else {
            return Err(err(0, CaptureErrorKind::NotACapture));
        };
        blocks.check_header(&head).map_err(|e| err(0, to_kind(e)))?;
        Ok(Self::with(path, Some(blocks), None, format, gzip))
    }

    fn with(
        path: &str,
        blocks: Option<BlockStream>,
        netmon: Option<NetmonFile>,
        format: CaptureFormat,
        gzip: bool,
    ) -> Self {
        Self {
            blocks,
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
            pending_error: None,
            done: false,
        }
    }

    pub fn info(&self) -> &CaptureInfo {
        &self.info
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
        let result = if self.blocks.is_some() {
            // A fill may hold no frame (only a file header, or the start
            // of a block larger than a fill): 0 must mean the end.
            let mut result = Ok(());
            while result.is_ok() && !self.done && batch.is_empty() {
                result = self.fill_batch(batch);
            }
            result
        } else {
            let mut result = Ok(());
            while result.is_ok()
                && !self.done
                && batch.len() < BATCH_FRAMES
                && batch.data_len() < BATCH_BYTES
            {
                result = self.step_own(batch);
            }
            result
        };
        if let Err(e) = result {
            if batch.is_empty() {
                self.done = true;
                return Err(e);
            }
            self.pending_error = Some(e);
        }
        Ok(batch.len())
    }

    /// One fill of the read buffer: its whole blocks, their frames recorded
    /// where they lie in it (`blocks.rs`).
    fn fill_batch(&mut self, batch: &mut FrameBatch) -> Result<(), CaptureError> {
        let CaptureReader {
            blocks,
            info,
            seen_links,
            legacy,
            interfaces,
            done,
            ..
        } = self;
        let Some(stream) = blocks.as_mut() else {
            *done = true;
            return Ok(());
        };
        let (buf, metas, secrets) = batch.parts_mut();
        stream.start(buf);
        let mut used = 0;
        let mut problem = None;
        loop {
            match stream.parse(&buf[used..]) {
                Parsed::Block(n, block) => {
                    if let Some((ts, link, orig_len, data)) =
                        frame_of_block(info, legacy, interfaces, secrets, block)
                    {
                        // pcap-parser hands out sub-slices of its input, so
                        // the frame is a range of `buf`.
                        let Some((start, end)) = range_within(buf, data) else {
                            problem = Some(CaptureErrorKind::Malformed(
                                "a frame outside its block".into(),
                            ));
                            break;
                        };
                        let number = count_frame(info, seen_links, ts, link, data.len());
                        metas.push(FrameMeta::in_buffer(
                            number,
                            ts,
                            link,
                            orig_len,
                            start as u32,
                            (end - start) as u32,
                        ));
                    }
                    used += n;
                }
                // The rest is read by the next fill, unless the block alone
                // is larger than a fill.
                Parsed::NeedMore(_) if used > 0 || stream.finished_reading() => break,
                Parsed::NeedMore(needed) => {
                    if !stream.grow(buf, needed) {
                        problem = Some(CaptureErrorKind::Malformed(format!(
                            "a block is larger than {} MiB",
                            MAX_BLOCK >> 20
                        )));
                        break;
                    }
                }
                Parsed::Bad(text) => {
                    problem = Some(CaptureErrorKind::Malformed(text));
                    break;
                }
            }
        }
        stream.finish(buf, used);
        let offset = stream.offset();
        let error = |kind| CaptureError {
            path: info.path.clone(),
            offset,
            kind,
        };
        if let Some(kind) = problem {
            *done = true;
            return Err(error(kind));
        }
        if !metas.is_empty() || !stream.finished_reading() {
            return Ok(());
        }
        // Nothing more will come: say why it ended.
        *done = true;
        if let Some(e) = stream.read_error() {
            let text = if info.gzip {
                "gzip stream cut short or corrupt (the byte offset counts uncompressed bytes)"
                    .to_string()
            } else {
                e.to_string()
            };
            return Err(error(CaptureErrorKind::Read(text)));
        }
        if !stream.finished() {
            return Err(error(CaptureErrorKind::Truncated));
        }
        Ok(())
    }

    /// Reads one frame of a file read here frame by frame (NetMon, snoop)
    /// into `batch`.
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
}

/// The frame a block holds, if any (time, link type, original length,
/// bytes); the blocks that describe the file update what it knows.
fn frame_of_block<'a>(
    info: &mut CaptureInfo,
    legacy: &mut Option<(u32, bool)>,
    interfaces: &mut Vec<Interface>,
    secrets: &mut Vec<Vec<u8>>,
    block: PcapBlockOwned<'a>,
) -> Option<(i64, u32, u32, &'a [u8])> {
    match block {
        // A TLS key log that editcap --inject-secrets (or a capturing
        // browser) put in the file: it opens TLS as --keylog does.
        PcapBlockOwned::NG(Block::DecryptionSecrets(dsb))
            if dsb.secrets_type == pcap_parser::SecretsType::TlsKeyLog =>
        {
            info.secrets_blocks += 1;
            secrets.push(dsb.data.to_vec());
            None
        }
        PcapBlockOwned::LegacyHeader(h) => {
            *legacy = Some((h.network.0 as u32, h.is_nanosecond_precision()));
            None
        }
        PcapBlockOwned::Legacy(b) => {
            let (link, nanos) = legacy.unwrap_or((1, false));
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
            interfaces.clear();
            None
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            interfaces.push(Interface {
                link_type: idb.linktype.0 as u32,
                resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                offset_s: idb.ts_offset(),
            });
            None
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            match interfaces.get(epb.if_id as usize).copied() {
                Some(iface) => {
                    let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                    let ts = ticks_to_ns(raw, iface.resolution, iface.offset_s);
                    let caplen = (epb.caplen as usize).min(epb.data.len());
                    Some((ts, iface.link_type, epb.origlen, &epb.data[..caplen]))
                }
                None => {
                    info.orphan_frames += 1;
                    None
                }
            }
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            // RFC-draft pcapng: an SPB belongs to interface 0 and has no timestamp.
            match interfaces.first().copied() {
                Some(iface) => {
                    let caplen = (spb.origlen as usize).min(spb.data.len());
                    let ts = info.last_ts_ns.unwrap_or(0);
                    Some((ts, iface.link_type, spb.origlen, &spb.data[..caplen]))
                }
                None => {
                    info.orphan_frames += 1;
                    None
                }
            }
        }
        PcapBlockOwned::NG(Block::InterfaceStatistics(isb)) => {
            let iface = interfaces.get(isb.if_id as usize).copied();
            if let (Some(Ok((high, low))), Some(iface)) = (isb.isb_endtime(), iface) {
                let raw = ((high as u64) << 32) | low as u64;
                let end = ticks_to_ns(raw, iface.resolution, iface.offset_s);
                info.end_ts_ns = Some(info.end_ts_ns.map_or(end, |e| e.max(end)));
            }
            None
        }
        PcapBlockOwned::NG(_) => {
            info.skipped_blocks += 1;
            None
        }
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
    let number = count_frame(info, seen_links, ts, link, data.len());
    batch.push(number, ts, link, orig_len, data);
}

/// Counts a frame in what is known of the capture; returns its number.
fn count_frame(
    info: &mut CaptureInfo,
    seen_links: &mut BTreeSet<u32>,
    ts: i64,
    link: u32,
    caplen: usize,
) -> u64 {
    info.frames += 1;
    info.bytes += caplen as u64;
    info.first_ts_ns.get_or_insert(ts);
    info.last_ts_ns = Some(ts);
    if seen_links.insert(link) {
        info.link_types.push(link);
    }
    info.frames
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
