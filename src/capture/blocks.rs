//! pcap and pcapng blocks parsed where they were read: in the buffer of
//! the batch that hands their frames out.
//!
//! pcap-parser's own readers (`LegacyPcapReader`, `PcapNGReader`) keep a
//! buffer of their own, so every frame had to be copied again into a batch,
//! and the buffer shifted on every refill: over a third of the reading
//! thread's profile samples on a large capture. Here the batch's buffer is the read buffer: a
//! fill reads about [`FILL_BYTES`] from the source, pcap-parser's slice
//! parsers (`parse_pcap_frame`, `parse_block_le`...) walk the blocks in
//! place, frames are recorded as ranges of that buffer, and only the
//! start of a block cut by the end of the fill is carried to the next one.
//!
//! Why not `mmap` (memmap2): it would save the one copy the kernel makes,
//! but a file truncated while mapped kills the process with SIGBUS, the
//! pages it touches count as the process's memory unless given back one
//! range at a time, and gzip and standard input need this path anyway. One
//! path for every source; the kernel's copy that stays was under 5 % of
//! the profile samples of `analyze` on a 1.4-million-frame capture.

use std::io::Read;

use nom::Needed;
use pcap_parser::pcapng::{parse_block_be, parse_block_le, parse_sectionheaderblock, Block};
use pcap_parser::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapBlockOwned, PcapError,
};

/// What a fill reads up to. Also the size of a batch's bytes: about 3000
/// frames of voice, enough for a parallel pass to pay.
pub const FILL_BYTES: usize = 1 << 20;
/// No real capture block is this large (the largest snaplen in use is
/// 256 KiB); beyond it the file is treated as malformed instead of growing
/// the buffer without bound.
pub const MAX_BLOCK: usize = 32 << 20;

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

#[derive(Clone, Copy)]
enum Format {
    /// A pcap file: its header first, then records parsed by the function
    /// its magic number picks.
    Legacy(Option<LegacyParse>),
    /// A pcapng file: blocks in the byte order of their section.
    Ng { big_endian: bool },
}

/// What parsing the bytes at a position found.
pub enum Parsed<'a> {
    /// A whole block, and how many bytes it took.
    Block(usize, PcapBlockOwned<'a>),
    /// The block goes on past the bytes read so far (at least this many
    /// more are needed, when the parser knows).
    NeedMore(usize),
    /// Bytes that are no block: what is wrong with them.
    Bad(String),
}

/// Reads pcap or pcapng blocks from a byte source into caller's buffers.
pub struct BlockStream {
    source: Box<dyn Read + Send>,
    format: Format,
    /// Bytes read but not parsed yet: the start of a block the last fill
    /// cut. Moved to the front of the next buffer.
    carry: Vec<u8>,
    /// Offset in the (uncompressed) file of the first byte of `carry`.
    offset: u64,
    /// The source has no more bytes, or failed (`read_error`).
    exhausted: bool,
    read_error: Option<String>,
    /// How much a fill reads up to; doubles for a block that does not fit.
    fill: usize,
}

impl BlockStream {
    pub fn pcap(source: Box<dyn Read + Send>) -> Self {
        Self::with(source, Format::Legacy(None))
    }

    pub fn pcapng(source: Box<dyn Read + Send>) -> Self {
        Self::with(source, Format::Ng { big_endian: false })
    }

    fn with(source: Box<dyn Read + Send>, format: Format) -> Self {
        Self {
            source,
            format,
            carry: Vec::new(),
            offset: 0,
            exhausted: false,
            read_error: None,
            fill: FILL_BYTES,
        }
    }

    /// Checks that `head`, the file's first bytes, starts with a whole
    /// file header of this format.
    pub fn check_header(&self, head: &[u8]) -> Result<(), PcapError<&'static [u8]>> {
        let result = match self.format {
            Format::Legacy(_) => parse_pcap_header(head).map(|_| ()),
            Format::Ng { .. } => parse_sectionheaderblock(head).map(|_| ()),
        };
        match result {
            Ok(()) => Ok(()),
            Err(nom::Err::Incomplete(_)) => Err(PcapError::Incomplete(0)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.to_owned_vec()),
        }
    }

    /// Offset in the file of the next byte not parsed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why the source stopped, when it failed rather than ended.
    pub fn read_error(&self) -> Option<&str> {
        self.read_error.as_deref()
    }

    /// The source has nothing more to give (it ended or failed).
    pub fn finished_reading(&self) -> bool {
        self.exhausted
    }

    /// Nothing more to read and nothing carried.
    pub fn finished(&self) -> bool {
        self.exhausted && self.carry.is_empty()
    }

    /// Starts a buffer: the carried bytes first, then reads until it holds
    /// a fill's worth or the source ends.
    pub fn start(&mut self, buf: &mut Vec<u8>) {
        // A buffer grown for one large block does not stay large: every
        // batch in flight would then hold that much.
        self.fill = FILL_BYTES;
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        self.read_more(buf);
    }

    /// Room for a block larger than a fill: true when the buffer may grow
    /// to `needed` more bytes (up to [`MAX_BLOCK`]) and more were read.
    pub fn grow(&mut self, buf: &mut Vec<u8>, needed: usize) -> bool {
        if self.exhausted {
            return false;
        }
        let want = (buf.len() + needed.max(1)).max(self.fill * 2);
        if want > MAX_BLOCK {
            return false;
        }
        self.fill = want;
        self.read_more(buf);
        true
    }

    /// The buffer's bytes from `used` on are a block cut by the fill: keep
    /// them for the next buffer.
    pub fn finish(&mut self, buf: &[u8], used: usize) {
        self.carry.extend_from_slice(&buf[used..]);
        self.offset += used as u64;
    }

    fn read_more(&mut self, buf: &mut Vec<u8>) {
        if self.exhausted || buf.len() >= self.fill {
            return;
        }
        let want = (self.fill - buf.len()) as u64;
        buf.reserve(want as usize);
        // `read_to_end` reads into the spare capacity without zeroing it
        // first (a file's reads fill it directly), retries interrupted
        // reads, and keeps what was read before an error.
        match (&mut self.source).take(want).read_to_end(buf) {
            Ok(n) if (n as u64) < want => self.exhausted = true,
            Ok(_) => {}
            Err(e) => {
                self.read_error = Some(e.to_string());
                self.exhausted = true;
            }
        }
    }

    /// Parses the block at the start of `data`.
    pub fn parse<'a>(&mut self, data: &'a [u8]) -> Parsed<'a> {
        let result = match &mut self.format {
            Format::Legacy(None) => parse_pcap_header(data).map(|(rest, header)| {
                self.format = Format::Legacy(Some(if header.is_modified_format() {
                    parse_pcap_frame_modified
                } else if header.is_bigendian() {
                    parse_pcap_frame_be
                } else {
                    parse_pcap_frame
                }));
                (rest, PcapBlockOwned::from(header))
            }),
            Format::Legacy(Some(parse)) => {
                parse(data).map(|(rest, b)| (rest, PcapBlockOwned::from(b)))
            }
            Format::Ng { big_endian } => {
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(data).map(|(rest, b)| {
                    if let Block::SectionHeader(shb) = &b {
                        *big_endian = shb.big_endian();
                    }
                    (rest, PcapBlockOwned::from(b))
                })
            }
        };
        match result {
            Ok((rest, block)) => Parsed::Block(data.len() - rest.len(), block),
            Err(nom::Err::Incomplete(Needed::Size(n))) => Parsed::NeedMore(n.get()),
            Err(nom::Err::Incomplete(Needed::Unknown)) => Parsed::NeedMore(1),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Parsed::Bad(match e {
                PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                    format!("unparsable block ({kind:?})")
                }
                PcapError::HeaderNotRecognized => "header not recognized".into(),
                _ => "unparsable block".into(),
            }),
        }
    }
}
