//! Sun/Solaris snoop files (RFC 1761). pcap-parser does not read them; the
//! format is a 16-octet header (`snoop\0\0\0`, version 2, datalink type)
//! and then records, all big-endian: original length, included length,
//! record length (with padding), cumulative drops, seconds, microseconds,
//! the bytes, padding. Records are read one after another from the stream.

use std::io::{self, Read};

use super::netmon::FileFrame;
use super::CaptureErrorKind;
use crate::net::linktype::SNOOP_DATALINK_BASE;

const MAGIC: &[u8; 8] = b"snoop\0\0\0";
const HEADER_LEN: u64 = 16;
const RECORD_HEADER_LEN: usize = 24;
/// No real frame is larger; a record claiming more is malformed.
const MAX_RECORD: usize = 1 << 20;

/// One snoop file being read.
pub struct SnoopReader {
    source: Box<dyn Read + Send>,
    link_type: u32,
    /// Octets read so far, for error messages.
    offset: u64,
    record: Vec<u8>,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The pcap link type of a snoop datalink type (RFC 1761 s3): 802.3 (0)
/// and Ethernet (4) are Ethernet frames; the rest are named for the report.
fn link_type(datalink: u32) -> u32 {
    match datalink {
        0 | 4 => 1,
        n => SNOOP_DATALINK_BASE + (n & 0xffff),
    }
}

/// Fills `buf` as far as the source goes: how many octets were read.
fn read_up_to(source: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl SnoopReader {
    /// Whether `head` starts like a snoop file.
    pub fn recognise(head: &[u8]) -> bool {
        head.len() >= 8 && &head[..8] == MAGIC
    }

    /// Reads the file header.
    pub fn open(mut source: Box<dyn Read + Send>) -> Result<Self, (u64, CaptureErrorKind)> {
        let mut header = [0u8; HEADER_LEN as usize];
        let n = read_up_to(&mut source, &mut header)
            .map_err(|e| (0, CaptureErrorKind::Read(e.to_string())))?;
        if n < header.len() {
            return Err((n as u64, CaptureErrorKind::TruncatedHeader));
        }
        let version = be32(&header, 8);
        if !(2..=5).contains(&version) {
            return Err((
                8,
                CaptureErrorKind::Malformed(format!("snoop version {version}")),
            ));
        }
        Ok(Self {
            source,
            link_type: link_type(be32(&header, 12)),
            offset: HEADER_LEN,
            record: Vec::new(),
        })
    }

    /// The next record, `None` at the end of the file; an error names the
    /// offset of the record that could not be read.
    pub fn next_frame(&mut self) -> Option<Result<FileFrame<'_>, (u64, CaptureErrorKind)>> {
        let at = self.offset;
        let mut head = [0u8; RECORD_HEADER_LEN];
        match read_up_to(&mut self.source, &mut head) {
            Ok(0) => return None,
            Ok(n) if n < RECORD_HEADER_LEN => {
                return Some(Err((at, CaptureErrorKind::Truncated)));
            }
            Ok(_) => {}
            Err(e) => return Some(Err((at, CaptureErrorKind::Read(e.to_string())))),
        }
        let (orig_len, incl_len, record_len) = (be32(&head, 0), be32(&head, 4), be32(&head, 8));
        let (secs, usecs) = (be32(&head, 16), be32(&head, 20));
        let body = (record_len as usize).saturating_sub(RECORD_HEADER_LEN);
        if incl_len as usize > body || body > MAX_RECORD {
            return Some(Err((
                at,
                CaptureErrorKind::Malformed(format!(
                    "snoop record of {record_len} octets holding {incl_len}"
                )),
            )));
        }
        self.record.resize(body, 0);
        match read_up_to(&mut self.source, &mut self.record) {
            Ok(n) if n < body => return Some(Err((at, CaptureErrorKind::Truncated))),
            Ok(_) => {}
            Err(e) => return Some(Err((at, CaptureErrorKind::Read(e.to_string())))),
        }
        self.offset = at + u64::from(record_len);
        let ts_ns = i64::from(secs) * 1_000_000_000 + i64::from(usecs) * 1_000;
        Some(Ok(FileFrame {
            ts_ns,
            link_type: Some(self.link_type),
            orig_len,
            data: &self.record[..incl_len as usize],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: Vec<u8>) -> Result<SnoopReader, (u64, CaptureErrorKind)> {
        SnoopReader::open(Box::new(io::Cursor::new(bytes)))
    }

    #[test]
    fn datalink_types_map_to_link_types() {
        assert_eq!(link_type(4), 1);
        assert_eq!(crate::net::link_type_name(link_type(8)), "SNOOP_8");
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        assert!(reader(b"snoop\0\0\0\0\0".to_vec()).is_err());
        let mut h = MAGIC.to_vec();
        h.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 4]);
        // A record whose length is shorter than what it says it holds.
        let mut bad = h.clone();
        bad.extend_from_slice(&[0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 30]);
        bad.extend_from_slice(&[0; 12]);
        let mut r = reader(bad).unwrap();
        assert!(matches!(r.next_frame(), Some(Err((16, _)))));
        // A record cut short.
        let mut cut = h;
        cut.extend_from_slice(&[0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0, 84]);
        cut.extend_from_slice(&[0; 20]);
        let mut r = reader(cut).unwrap();
        assert!(matches!(
            r.next_frame(),
            Some(Err((16, CaptureErrorKind::Truncated)))
        ));
    }

    proptest::proptest! {
        /// Any bytes after the magic: records or errors, never a panic.
        #[test]
        fn random_files_never_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let mut data = MAGIC.to_vec();
            data.extend_from_slice(&[0, 0, 0, 2]);
            data.extend_from_slice(&body);
            if let Ok(mut r) = reader(data) {
                for _ in 0..100 {
                    match r.next_frame() {
                        Some(Ok(f)) => proptest::prop_assert!(f.data.len() <= MAX_RECORD),
                        _ => break,
                    }
                }
            }
        }
    }
}
