//! A pcapng writer (the pcapng draft, blocks SHB, IDB, EPB and ISB), for
//! exporting a call's frames. pcap-parser, which reads captures here,
//! does not write them; the format is four small blocks, written
//! little-endian with nanosecond time stamps.

use std::io::{self, Write};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const ISB: u32 = 0x0000_0005;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;
const ISB_ENDTIME: u16 = 3;
/// if_tsresol 9: time stamps count nanoseconds.
const NANOSECONDS: u8 = 9;
const SNAPLEN: u32 = 262_144;

/// Writes frames to a pcapng section, one interface per link type.
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
    pub fn finish(mut self, end_ts_ns: i64) -> io::Result<W> {
        let (high, low) = ts_words(end_ts_ns);
        let mut value = Vec::with_capacity(8);
        value.extend_from_slice(&high.to_le_bytes());
        value.extend_from_slice(&low.to_le_bytes());
        for id in 0..self.interfaces.len() as u32 {
            let mut body = Vec::new();
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(&high.to_le_bytes());
            body.extend_from_slice(&low.to_le_bytes());
            option(&mut body, ISB_ENDTIME, &value);
            end_of_options(&mut body);
            self.block(ISB, &body)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}
