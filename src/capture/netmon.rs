//! Microsoft Network Monitor 2.x capture files (`.cap`), what Windows users
//! send. pcap-parser does not read them, so they are read here; the layout
//! is the one the Network Monitor 3.x help documents:
//!
//! - a 128-octet header: `GMBU`, minor and major version, the network type,
//!   the capture start as a SYSTEMTIME (read as UTC, as Wireshark writes
//!   it), then the offset and length of the frame table;
//! - frames wherever the frame table says (not always back to back), each a
//!   16-octet header (microseconds since the start, original length,
//!   captured length) and the bytes;
//! - from version 2.1 a trailer after each frame: its network type; 2.2
//!   adds a process index; 2.3 adds the frame's own UTC time (a FILETIME).
//!
//! The frame table sits at the end of the file, so the file is read whole
//! into memory first (its offsets are 32-bit: never more than 4 GiB).

use super::CaptureErrorKind;

const MAGIC: &[u8; 4] = b"GMBU";
const HEADER_LEN: usize = 128;
const FRAME_HEADER_LEN: usize = 16;
/// Network types from here on are not frames (NetEvent, network info, DNS
/// cache, the capture filter): skipped, counted.
const FIRST_SPECIAL_NETWORK: u16 = 0xffe0;
/// Network types from here to the special ones carry a pcap link type
/// (`network - 0xe000`).
const PCAP_NETWORK_BASE: u16 = 0xe000;
/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
const FILETIME_TO_UNIX_S: i64 = 11_644_473_600;

use crate::net::linktype::NETMON_NETWORK_BASE as NETMON_UNSUPPORTED_LINK_BASE;

/// A NetMon 2.x file, read whole, handing out its frames in table order.
pub struct NetmonFile {
    data: Vec<u8>,
    minor: u8,
    network: u16,
    start_ns: i64,
    table: Vec<u32>,
    next: usize,
    /// The frame table was cut off with the end of the file: the frames
    /// were found by walking from the header, and the end is an error.
    cut: bool,
}

/// The trailer after each frame, by minor version (2.1: network type;
/// 2.2: and a process index; 2.3: and a FILETIME and a time zone index).
fn trailer_len(minor: u8) -> usize {
    match minor {
        0 => 0,
        1 => 2,
        2 => 6,
        _ => 15,
    }
}

/// The frames of a file whose table is gone (a copy cut short), found by
/// walking them back to back from the header, as NetMon writes them.
fn walk_frames(data: &[u8], minor: u8) -> Vec<u32> {
    let mut table = Vec::new();
    let mut at = HEADER_LEN;
    while let Some(incl) = le32(data, at + 12) {
        let end = at + FRAME_HEADER_LEN + incl as usize + trailer_len(minor);
        if end > data.len() || at > u32::MAX as usize {
            break;
        }
        table.push(at as u32);
        at = end;
    }
    table
}

/// A record of a file read here (NetMon, snoop): `link_type` is `None` for
/// records that are not frames (NetMon's network information).
pub struct FileFrame<'a> {
    pub ts_ns: i64,
    pub link_type: Option<u32>,
    pub orig_len: u32,
    pub data: &'a [u8],
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The pcap link type a NetMon network type stands for.
fn link_type(network: u16) -> Option<u32> {
    Some(match network {
        // 0 is seen on Ethernet frames in some NetMon 3.4 captures.
        0 | 1 => 1,
        // "Tunneling interfaces", "Wireless WAN", "Raw IP frames".
        7..=9 => 101,
        n if n >= FIRST_SPECIAL_NETWORK => return None,
        n if n >= PCAP_NETWORK_BASE => u32::from(n - PCAP_NETWORK_BASE),
        n => NETMON_UNSUPPORTED_LINK_BASE + u32::from(n),
    })
}

impl NetmonFile {
    /// Whether `head` starts like a NetMon 2.x file.
    pub fn recognise(head: &[u8]) -> bool {
        head.len() >= 6 && &head[..4] == MAGIC && head[5] == 2
    }

    /// Reads the header and the frame table. The error carries the offset
    /// where the file stopped making sense.
    pub fn parse(data: Vec<u8>) -> Result<Self, (u64, CaptureErrorKind)> {
        if data.len() < HEADER_LEN {
            return Err((data.len() as u64, CaptureErrorKind::TruncatedHeader));
        }
        let minor = data[4];
        let network = le16(&data, 6).unwrap_or(0);
        let field = |at: usize| i64::from(le16(&data, at).unwrap_or(0));
        let (year, month, day) = (field(8), field(10), field(14));
        let (hour, min, sec, msec) = (field(16), field(18), field(20), field(22));
        let days = days_from_civil(year, month.clamp(1, 12), day.clamp(1, 31));
        let start_s = days * 86_400 + hour * 3_600 + min * 60 + sec;
        let start_ns = start_s
            .saturating_mul(1_000_000_000)
            .saturating_add(msec * 1_000_000);
        let table_offset = le32(&data, 24).unwrap_or(0) as usize;
        let table_len = le32(&data, 28).unwrap_or(0) as usize;
        if table_len % 4 != 0 {
            return Err((
                28,
                CaptureErrorKind::Malformed(format!(
                    "netmon frame table of {table_len} octets, not whole entries"
                )),
            ));
        }
        let raw = table_offset
            .checked_add(table_len)
            .and_then(|end| data.get(table_offset..end));
        let (table, cut) = match raw {
            Some(raw) => (
                raw.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                false,
            ),
            None => (walk_frames(&data, minor), true),
        };
        Ok(Self {
            data,
            minor,
            network,
            start_ns,
            table,
            next: 0,
            cut,
        })
    }

    /// Where the frames found by walking end.
    fn walked_end(&self) -> usize {
        self.table.last().map_or(HEADER_LEN, |&at| {
            let at = at as usize;
            at + FRAME_HEADER_LEN
                + le32(&self.data, at + 12).unwrap_or(0) as usize
                + trailer_len(self.minor)
        })
    }

    /// The next frame, or `None` at the end; an error names the offset of
    /// the frame that could not be read.
    pub fn next_frame(&mut self) -> Option<Result<FileFrame<'_>, (u64, CaptureErrorKind)>> {
        let Some(&at) = self.table.get(self.next) else {
            if self.cut {
                self.cut = false;
                let end = self.walked_end();
                return Some(Err((end as u64, CaptureErrorKind::Truncated)));
            }
            return None;
        };
        let at = at as usize;
        self.next += 1;
        let d = &self.data;
        let (Some(delta_us), Some(orig_len), Some(incl_len)) =
            (le64(d, at), le32(d, at + 8), le32(d, at + 12))
        else {
            return Some(Err((at as u64, CaptureErrorKind::Truncated)));
        };
        let start = at + FRAME_HEADER_LEN;
        let Some(bytes) = start
            .checked_add(incl_len as usize)
            .and_then(|end| d.get(start..end))
        else {
            return Some(Err((at as u64, CaptureErrorKind::Truncated)));
        };
        let trailer = start + incl_len as usize;
        let network = if self.minor >= 1 {
            le16(d, trailer).unwrap_or(self.network)
        } else {
            self.network
        };
        let delta_ns = i64::try_from(delta_us)
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000);
        let mut ts_ns = self.start_ns.saturating_add(delta_ns);
        if self.minor >= 3 {
            // 2.3: the frame's own UTC time, 100 ns units since 1601.
            if let Some(ft) = le64(d, trailer + 6) {
                let ticks = i64::try_from(ft).unwrap_or(i64::MAX);
                ts_ns = (ticks / 10_000_000 - FILETIME_TO_UNIX_S)
                    .saturating_mul(1_000_000_000)
                    .saturating_add((ticks % 10_000_000) * 100);
            }
        }
        Some(Ok(FileFrame {
            ts_ns,
            link_type: link_type(network),
            orig_len,
            data: bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_count_days_since_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 21), 20_778);
    }

    #[test]
    fn network_types_map_to_link_types() {
        assert_eq!(link_type(1), Some(1));
        assert_eq!(link_type(9), Some(101));
        assert_eq!(link_type(0xe000 + 113), Some(113));
        assert_eq!(link_type(0xfffe), None);
        assert_eq!(link_type(2), Some(NETMON_UNSUPPORTED_LINK_BASE + 2));
        // The report names what it could not decode.
        assert_eq!(
            crate::net::link_type_name(NETMON_UNSUPPORTED_LINK_BASE + 2),
            "NETMON_2"
        );
    }

    #[test]
    fn short_or_broken_headers_are_errors_not_panics() {
        assert!(NetmonFile::parse(b"GMBU\x00\x02".to_vec()).is_err());
        let mut h = vec![0u8; HEADER_LEN];
        h[..4].copy_from_slice(MAGIC);
        h[5] = 2;
        // A frame table past the end of the file: no frame is found, and
        // the end is said to be cut.
        h[24..28].copy_from_slice(&1000u32.to_le_bytes());
        h[28..32].copy_from_slice(&8u32.to_le_bytes());
        let mut f = NetmonFile::parse(h.clone()).unwrap();
        assert!(matches!(f.next_frame(), Some(Err((128, _)))));
        assert!(f.next_frame().is_none());
        // A table pointing past the end gives a truncated frame.
        h[24..28].copy_from_slice(&120u32.to_le_bytes());
        h[120..124].copy_from_slice(&5000u32.to_le_bytes());
        let mut f = NetmonFile::parse(h).unwrap();
        assert!(matches!(f.next_frame(), Some(Err(_))));
    }

    proptest::proptest! {
        /// Any bytes after the magic: errors and frames, never a panic, and
        /// every frame inside the file.
        #[test]
        fn random_files_never_panic(
            minor in 0u8..5,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let mut data = MAGIC.to_vec();
            data.extend_from_slice(&[minor, 2]);
            data.extend_from_slice(&body);
            let len = data.len();
            if let Ok(mut f) = NetmonFile::parse(data) {
                let mut n = 0;
                while let Some(r) = f.next_frame() {
                    if let Ok(frame) = r {
                        proptest::prop_assert!(frame.data.len() <= len);
                    }
                    n += 1;
                    proptest::prop_assert!(n <= len);
                }
            }
        }
    }
}
