//! A pcapng writer (the pcapng draft, blocks SHB, IDB, EPB and ISB), for
//! exporting a call's frames and for saving a live capture (one interface
//! block per capturing interface, drop counters in the closing
//! statistics). pcap-parser, which reads captures here,
//! does not write them; the format is four small blocks, written
//! little-endian with nanosecond time stamps.

use std::io::{self, Write};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const ISB: u32 = 0x0000_0005;
const EPB: u32 = 0x0000_0006;
/// Decryption Secrets Block, and its type for a TLS key log ("TLSK").
const DSB: u32 = 0x0000_000A;
const SECRETS_TLS_KEY_LOG: u32 = 0x544c_534b;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const IF_FILTER: u16 = 11;
const ISB_ENDTIME: u16 = 3;
const ISB_IFRECV: u16 = 4;
const ISB_IFDROP: u16 = 5;
const ISB_OSDROP: u16 = 7;
/// if_tsresol 9: time stamps count nanoseconds.
const NANOSECONDS: u8 = 9;
const SNAPLEN: u32 = 262_144;

/// An interface a live capture declares before its packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDesc {
    pub name: String,
    pub link_type: u32,
    pub snaplen: u32,
    /// The capture filter (BPF), as given.
    pub filter: Option<String>,
}

/// What an interface's capture counted, for its closing statistics block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Packets the filter passed (libpcap's `ps_recv`).
    pub received: u64,
    /// Dropped by the operating system: no room in its buffer (`ps_drop`).
    pub dropped_by_kernel: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`).
    pub dropped_by_interface: u64,
}

/// Writes frames to a pcapng section: one interface per link type
/// ([`Self::write_frame`]), or interfaces declared one by one
/// ([`Self::declare_interface`], [`Self::write_packet`]).
pub struct PcapngWriter<W: Write> {
    out: W,
    /// Link type of each interface written, in interface-id order.
    interfaces: Vec<u32>,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_le_bytes());
    buf.extend_from_slice(value);
    buf.extend(std::iter::repeat_n(0u8, pad4(value.len())));
}

fn end_of_options(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&OPT_END.to_le_bytes());
    buf.extend_from_slice(&0u16.to_le_bytes());
}

fn ts_words(ts_ns: i64) -> (u32, u32) {
    let t = ts_ns.max(0) as u64;
    ((t >> 32) as u32, t as u32)
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a section; `application` goes in `shb_userappl`.
    pub fn new(out: W, application: &str) -> io::Result<Self> {
        let mut w = Self {
            out,
            interfaces: Vec::new(),
        };
        let mut body = Vec::new();
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        // Section length not known in advance (-1).
        body.extend_from_slice(&(-1i64).to_le_bytes());
        option(&mut body, SHB_USERAPPL, application.as_bytes());
        end_of_options(&mut body);
        w.block(SHB, &body)?;
        Ok(w)
    }

    fn block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let len = (12 + body.len() + pad4(body.len())) as u32;
        self.out.write_all(&block_type.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad4(body.len())])?;
        self.out.write_all(&len.to_le_bytes())
    }

    fn interface(&mut self, link_type: u32) -> io::Result<u32> {
        if let Some(i) = self.interfaces.iter().position(|l| *l == link_type) {
            return Ok(i as u32);
        }
        let mut body = Vec::new();
        body.extend_from_slice(&(link_type as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&SNAPLEN.to_le_bytes());
        option(&mut body, IF_TSRESOL, &[NANOSECONDS]);
        end_of_options(&mut body);
        self.block(IDB, &body)?;
        self.interfaces.push(link_type);
        Ok(self.interfaces.len() as u32 - 1)
    }

    /// Declares a capturing interface (always a block of its own, even for a
    /// link type declared before); returns its interface id.
    pub fn declare_interface(&mut self, desc: &InterfaceDesc) -> io::Result<u32> {
        let mut body = Vec::new();
        body.extend_from_slice(&(desc.link_type as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&desc.snaplen.to_le_bytes());
        option(&mut body, IF_NAME, desc.name.as_bytes());
        option(&mut body, IF_TSRESOL, &[NANOSECONDS]);
        if let Some(filter) = &desc.filter {
            // if_filter: a first byte of 0 says the rest is the filter's text.
            let mut value = vec![0u8];
            value.extend_from_slice(filter.as_bytes());
            option(&mut body, IF_FILTER, &value);
        }
        end_of_options(&mut body);
        self.block(IDB, &body)?;
        self.interfaces.push(desc.link_type);
        Ok(self.interfaces.len() as u32 - 1)
    }

    /// One packet captured on a declared interface.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts_ns: i64,
        orig_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let (high, low) = ts_words(ts_ns);
        let mut head = [0u8; 20];
        head[0..4].copy_from_slice(&interface.to_le_bytes());
        head[4..8].copy_from_slice(&high.to_le_bytes());
        head[8..12].copy_from_slice(&low.to_le_bytes());
        head[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
        head[16..20].copy_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        // Written in pieces: no copy of the packet into a block buffer.
        let body_len = head.len() + data.len();
        let len = (12 + body_len + pad4(body_len)) as u32;
        self.out.write_all(&EPB.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out.write_all(&[0u8; 3][..pad4(body_len)])?;
        self.out.write_all(&len.to_le_bytes())
    }

    /// Pushes what is buffered to the file, so that a reader (or a crash)
    /// finds every packet written so far in whole blocks.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The output, for what it counts.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Closes the section with one statistics block per declared
    /// interface: when the capture ended and what it received and dropped.
    pub fn finish_with_counters(
        mut self,
        end_ts_ns: i64,
        counters: &[InterfaceCounters],
    ) -> io::Result<W> {
        let (high, low) = ts_words(end_ts_ns);
        let mut time = Vec::with_capacity(8);
        time.extend_from_slice(&high.to_le_bytes());
        time.extend_from_slice(&low.to_le_bytes());
        for id in 0..self.interfaces.len() as u32 {
            let mut body = Vec::new();
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(&high.to_le_bytes());
            body.extend_from_slice(&low.to_le_bytes());
            option(&mut body, ISB_ENDTIME, &time);
            if let Some(c) = counters.get(id as usize) {
                option(&mut body, ISB_IFRECV, &c.received.to_le_bytes());
                option(&mut body, ISB_OSDROP, &c.dropped_by_kernel.to_le_bytes());
                option(&mut body, ISB_IFDROP, &c.dropped_by_interface.to_le_bytes());
            }
            end_of_options(&mut body);
            self.block(ISB, &body)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// A TLS key log, as a Decryption Secrets Block: readers that meet it
    /// decrypt the TLS after it (Wireshark, callscope).
    pub fn write_secrets(&mut self, key_log: &[u8]) -> io::Result<()> {
        let mut body = Vec::with_capacity(8 + key_log.len());
        body.extend_from_slice(&SECRETS_TLS_KEY_LOG.to_le_bytes());
        body.extend_from_slice(&(key_log.len() as u32).to_le_bytes());
        body.extend_from_slice(key_log);
        self.block(DSB, &body)
    }

    /// One frame, as captured.
    pub fn write_frame(
        &mut self,
        link_type: u32,
        ts_ns: i64,
        orig_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let id = self.interface(link_type)?;
        let (high, low) = ts_words(ts_ns);
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        body.extend_from_slice(&id.to_le_bytes());
        body.extend_from_slice(&high.to_le_bytes());
        body.extend_from_slice(&low.to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        self.block(EPB, &body)
    }

    /// Closes the section: one statistics block per interface, saying
    /// when the capture ended, then flushes.
    pub fn finish(self, end_ts_ns: i64) -> io::Result<W> {
        self.finish_with_counters(end_ts_ns, &[])
    }
}
