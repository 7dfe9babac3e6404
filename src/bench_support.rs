//! Building large benchmark captures from real samples (used by the bench
//! and by `examples/repeat_capture.rs`; not part of the analysis).

use std::io::{self, Write};

use crate::capture::{CaptureError, CaptureReader, FrameBatch};
use crate::net::linktype;

/// A frame kept for repetition: capture time and Ethernet bytes.
#[derive(Debug, Clone)]
pub struct StoredFrame {
    pub ts_ns: i64,
    pub data: Vec<u8>,
}

/// Reads every Ethernet frame of the given captures.
pub fn load_ethernet_frames(paths: &[String]) -> Result<Vec<StoredFrame>, CaptureError> {
    let mut out = Vec::new();
    for p in paths {
        let mut r = CaptureReader::open(p)?;
        let mut batch = FrameBatch::new();
        while r.next_batch(&mut batch)? > 0 {
            for f in batch.iter() {
                if f.link_type == linktype::ETHERNET {
                    out.push(StoredFrame {
                        ts_ns: f.ts_ns,
                        data: f.data.to_vec(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Writes a classic microsecond pcap holding `frames` repeated until at
/// least `min_frames` were written. Each copy is shifted in time after the
/// previous one, and its UDP/TCP ports are shifted by the copy number so the
/// copies are distinct flows. Returns the number of frames written.
pub fn write_repeated(
    w: &mut impl Write,
    frames: &[StoredFrame],
    min_frames: u64,
) -> io::Result<u64> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&header)?;
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        return Ok(0);
    };
    let span = (last.ts_ns - first.ts_ns).max(0) + 20_000_000;
    let mut written = 0u64;
    let mut copy = 0i64;
    while written < min_frames {
        for f in frames {
            let ts = f.ts_ns + copy * span;
            let mut data = f.data.clone();
            shift_ports(&mut data, copy as u16);
            let mut rec = Vec::with_capacity(16);
            rec.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
            rec.extend_from_slice(&(((ts % 1_000_000_000) / 1_000) as u32).to_le_bytes());
            rec.extend_from_slice(&(data.len() as u32).to_le_bytes());
            rec.extend_from_slice(&(data.len() as u32).to_le_bytes());
            w.write_all(&rec)?;
            w.write_all(&data)?;
            written += 1;
        }
        copy += 1;
    }
    Ok(written)
}

/// Adds `by` to both ports of an untagged Ethernet/IPv4 UDP or TCP frame
/// (checksums are not checked by the decoder).
fn shift_ports(frame: &mut [u8], by: u16) {
    if frame.len() < 14 + 20 + 4 || frame[12..14] != [0x08, 0x00] {
        return;
    }
    let ihl = usize::from(frame[14] & 0x0f) * 4;
    let proto = frame[14 + 9];
    let frag = u16::from_be_bytes([frame[14 + 6], frame[14 + 7]]) & 0x1fff;
    if !(proto == 6 || proto == 17) || frag != 0 {
        return;
    }
    let l4 = 14 + ihl;
    for off in [l4, l4 + 2] {
        if let Some(b) = frame.get_mut(off..off + 2) {
            let port = u16::from_be_bytes([b[0], b[1]]);
            // Keep well-known signalling ports in place so the protocol
            // guessing sees the same thing; shift the media ports.
            if port >= 10_000 {
                let shifted = 10_000 + (port - 10_000).wrapping_add(by.wrapping_mul(4)) % 50_000;
                b.copy_from_slice(&shifted.to_be_bytes());
            }
        }
    }
}

/// One frame of a synthetic call capture: time and Ethernet bytes.
fn sip_frame(src: [u8; 4], dst: [u8; 4], text: &str) -> Vec<u8> {
    let payload = text.as_bytes();
    let udp_len = 8 + payload.len();
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(14 + ip_len);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let sum = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&5060u16.to_be_bytes());
    f.extend_from_slice(&5060u16.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A capture of `calls` short SIP calls over UDP (INVITE, 200, ACK, BYE,
/// 200), `per_second` starting each second, each lasting two seconds,
/// between distinct address pairs: for measuring how the engine's costs
/// grow with calls. Synthetic by design: no real software here makes a
/// hundred thousand calls in a bench's time.
pub fn synthetic_sip_calls(calls: u32, per_second: u32) -> Vec<StoredFrame> {
    let step = 1_000_000_000 / i64::from(per_second.max(1));
    let base = 1_795_000_000_000_000_000i64;
    let mut frames = Vec::with_capacity(calls as usize * 5);
    for i in 0..calls {
        let a = [10, 1, (i >> 8) as u8, i as u8];
        let b = [10, 2, (i >> 8) as u8, i as u8];
        let (sa, sb) = (
            format!("10.1.{}.{}", (i >> 8) as u8, i as u8),
            format!("10.2.{}.{}", (i >> 8) as u8, i as u8),
        );
        let t0 = base + i64::from(i) * step;
        let head = |method: &str, cseq: u32, branch: &str, from_a: bool| {
            let (via, _) = if from_a { (&sa, &sb) } else { (&sb, &sa) };
            format!(
                "Via: SIP/2.0/UDP {via}:5060;branch=z9hG4bK{branch}{i}\r\n\
                 From: <sip:a@{sa}>;tag=a{i}\r\nTo: <sip:b@{sb}>;tag=b{i}\r\n\
                 Call-ID: call{i}@{sa}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
            )
        };
        let msgs = [
            (
                0,
                true,
                format!(
                    "INVITE sip:b@{sb} SIP/2.0\r\n{}",
                    head("INVITE", 1, "i", true)
                ),
            ),
            (
                100_000_000,
                false,
                format!("SIP/2.0 200 OK\r\n{}", head("INVITE", 1, "i", true)),
            ),
            (
                110_000_000,
                true,
                format!("ACK sip:b@{sb} SIP/2.0\r\n{}", head("ACK", 1, "k", true)),
            ),
            (
                2_000_000_000,
                true,
                format!("BYE sip:b@{sb} SIP/2.0\r\n{}", head("BYE", 2, "y", true)),
            ),
            (
                2_010_000_000,
                false,
                format!("SIP/2.0 200 OK\r\n{}", head("BYE", 2, "y", true)),
            ),
        ];
        for (dt, from_a, text) in msgs {
            let (s, d) = if from_a { (a, b) } else { (b, a) };
            frames.push(StoredFrame {
                ts_ns: t0 + dt,
                data: sip_frame(s, d, &text),
            });
        }
    }
    frames.sort_by_key(|f| f.ts_ns);
    frames
}
