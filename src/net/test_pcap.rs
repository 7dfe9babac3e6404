//! Test-only reader for pcap and pcapng files, so the tests here can use
//! real captures without the capture module. Panics on anything odd: it only
//! ever reads known files.

use std::path::PathBuf;

pub(crate) struct Frame {
    pub link_type: u32,
    pub ts_ns: i64,
    pub data: Vec<u8>,
}

/// A capture from the shared public corpus, or `None` (the test is then
/// skipped) when the corpus is not on this machine.
pub(crate) fn public(name: &str) -> Option<Vec<Frame>> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../shared/captures/public").join(name),
        manifest.join("../../shared/captures/public").join(name),
    ];
    for path in candidates {
        if let Ok(bytes) = std::fs::read(&path) {
            return Some(read(&bytes));
        }
    }
    eprintln!("skipped: public capture {name} not found");
    None
}

/// Frame `number` (1-based, as tshark counts).
pub(crate) fn frame(frames: &[Frame], number: usize) -> &Frame {
    &frames[number - 1]
}

pub(crate) fn read(bytes: &[u8]) -> Vec<Frame> {
    match &bytes[..4] {
        [0x0a, 0x0d, 0x0d, 0x0a] => read_pcapng(bytes),
        _ => read_pcap(bytes),
    }
}

fn u16_at(b: &[u8], at: usize, le: bool) -> u16 {
    let raw = [b[at], b[at + 1]];
    if le {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    }
}

fn u32_at(b: &[u8], at: usize, le: bool) -> u32 {
    let raw = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if le {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    }
}

fn read_pcap(b: &[u8]) -> Vec<Frame> {
    let (le, nanos) = match u32::from_le_bytes([b[0], b[1], b[2], b[3]]) {
        0xa1b2_c3d4 => (true, false),
        0xa1b2_3c4d => (true, true),
        0xd4c3_b2a1 => (false, false),
        0x4d3c_b2a1 => (false, true),
        other => panic!("not a pcap file: magic {other:#x}"),
    };
    // The low 28 bits hold the link type (the rest is FCS information).
    let link_type = u32_at(b, 20, le) & 0x0fff_ffff;
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let secs = i64::from(u32_at(b, at, le));
        let frac = i64::from(u32_at(b, at + 4, le));
        let caplen = u32_at(b, at + 8, le) as usize;
        let ts_ns = secs * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        let data = b[at + 16..at + 16 + caplen].to_vec();
        frames.push(Frame {
            link_type,
            ts_ns,
            data,
        });
        at += 16 + caplen;
    }
    frames
}

fn read_pcapng(b: &[u8]) -> Vec<Frame> {
    // Section header: the byte-order magic follows type and length.
    let le = u32::from_le_bytes([b[8], b[9], b[10], b[11]]) == 0x1a2b_3c4d;
    let mut interfaces: Vec<(u32, i64)> = Vec::new(); // (link type, units per second)
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 12 <= b.len() {
        let block_type = u32_at(b, at, le);
        let len = u32_at(b, at + 4, le) as usize;
        let body = &b[at + 8..at + len - 4];
        match block_type {
            1 => {
                let link_type = u32::from(u16_at(body, 0, le));
                let mut per_sec = 1_000_000;
                // Options: if_tsresol (code 9) changes the timestamp unit.
                let mut opt = 8;
                while opt + 4 <= body.len() {
                    let code = u16_at(body, opt, le);
                    let olen = u16_at(body, opt + 2, le) as usize;
                    if code == 0 {
                        break;
                    }
                    if code == 9 {
                        let r = body[opt + 4];
                        per_sec = if r & 0x80 == 0 {
                            10i64.pow(u32::from(r))
                        } else {
                            1i64 << (r & 0x7f)
                        };
                    }
                    opt += 4 + olen.div_ceil(4) * 4;
                }
                interfaces.push((link_type, per_sec));
            }
            6 => {
                let iface = u32_at(body, 0, le) as usize;
                let ts = (u64::from(u32_at(body, 4, le)) << 32) | u64::from(u32_at(body, 8, le));
                let caplen = u32_at(body, 12, le) as usize;
                let (link_type, per_sec) = interfaces[iface];
                let ts_ns = (i128::from(ts) * 1_000_000_000 / i128::from(per_sec)) as i64;
                frames.push(Frame {
                    link_type,
                    ts_ns,
                    data: body[20..20 + caplen].to_vec(),
                });
            }
            3 => {
                let (link_type, _) = interfaces[0];
                let orig = u32_at(body, 0, le) as usize;
                let caplen = orig.min(body.len() - 4);
                frames.push(Frame {
                    link_type,
                    ts_ns: 0,
                    data: body[4..4 + caplen].to_vec(),
                });
            }
            _ => {}
        }
        at += len;
    }
    frames
}
