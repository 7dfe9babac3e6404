//! RTCP compound packets (RFC 3550 s6), with the feedback messages of RFC 4585 s6
//! and the extended reports of RFC 3611.
//!
//! Each packet of a compound is checked and read with `rtcp-types`; this module
//! walks the compound itself so that a tail that does not parse still leaves the
//! packets before it. That is what SRTCP looks like (RFC 3711 s3.4): the first 8
//! bytes (header and sender SSRC) are in clear, the rest of the compound is
//! encrypted, and an E-flag/index word and an auth tag follow. SDES items, the BYE
//! reason and the XR block types are read here directly, because they must borrow
//! the datagram, which the `rtcp-types` accessors do not allow.

use rtcp_types::prelude::*;
use rtcp_types::{Packet, RtcpParseError};
use thiserror::Error;

/// Header layout and packet types.
mod wire {
    use std::ops::RangeInclusive;

    /// RFC 3550 s6.4.1: V=2, P, count (5 bits), packet type, length in 32-bit words
    /// minus one.
    pub const HEADER_LEN: usize = 4;
    pub const VERSION: u8 = 2;
    pub const PADDING_BIT: u8 = 0x20;
    pub const COUNT_MASK: u8 = 0x1f;
    /// RFC 5761 s4: the packet types RTCP may use without clashing with RTP.
    pub const PACKET_TYPES: RangeInclusive<u8> = 192..=223;

    /// RFC 3550 s6.5: SDES item types; 0 ends a chunk's item list.
    pub const SDES_END: u8 = 0;
    pub const SDES_CNAME: u8 = 1;
}

/// RTCP packet types (second header byte).
pub mod packet_type {
    /// RFC 3550 s6.4.1.
    pub const SR: u8 = 200;
    /// RFC 3550 s6.4.2.
    pub const RR: u8 = 201;
    /// RFC 3550 s6.5.
    pub const SDES: u8 = 202;
    /// RFC 3550 s6.6.
    pub const BYE: u8 = 203;
    /// RFC 3550 s6.7.
    pub const APP: u8 = 204;
    /// RFC 4585 s6.1: transport layer feedback.
    pub const RTPFB: u8 = 205;
    /// RFC 4585 s6.1: payload-specific feedback.
    pub const PSFB: u8 = 206;
    /// RFC 3611 s2.
    pub const XR: u8 = 207;
}

/// Every packet decoded from one datagram, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpCompound<'a> {
    pub packets: Vec<RtcpPacket<'a>>,
    /// Set when bytes after the last decoded packet do not parse as RTCP: SRTCP
    /// (encrypted after the first 8 bytes, RFC 3711 s3.4) or a damaged packet.
    /// When set, fields of the first packet beyond its SSRC may be ciphertext.
    pub encrypted_or_malformed_tail: bool,
    /// Number of bytes left undecoded at the end (0 unless the flag is set).
    pub tail_len: usize,
}

/// One RTCP packet of a compound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR, RFC 3550 s6.4.1. `ntp_timestamp` is 32.32 fixed point seconds since 1900.
    SenderReport {
        ssrc: u32,
        ntp_timestamp: u64,
        rtp_timestamp: u32,
        packet_count: u32,
        octet_count: u32,
        reports: Vec<ReportBlock>,
    },
    /// RR, RFC 3550 s6.4.2.
    ReceiverReport {
        ssrc: u32,
        reports: Vec<ReportBlock>,
    },
    /// SDES, RFC 3550 s6.5.
    SourceDescription { chunks: Vec<SdesChunk<'a>> },
    /// BYE, RFC 3550 s6.6.
    Goodbye {
        ssrcs: Vec<u32>,
        reason: Option<&'a [u8]>,
    },
    /// APP, RFC 3550 s6.7.
    App {
        ssrc: u32,
        name: [u8; 4],
        subtype: u8,
    },
    /// RTPFB, RFC 4585 s6.2 (fmt 1 generic NACK, 15 transport-wide congestion control).
    TransportFeedback {
        fmt: u8,
        sender_ssrc: u32,
        media_ssrc: u32,
    },
    /// PSFB, RFC 4585 s6.3 (fmt 1 PLI, 4 FIR from RFC 5104, 15 application layer).
    PayloadFeedback {
        fmt: u8,
        sender_ssrc: u32,
        media_ssrc: u32,
    },
    /// XR, RFC 3611 s2; `block_types` lists the report blocks it carries.
    ExtendedReport { ssrc: u32, block_types: Vec<u8> },
    /// Any other packet type in 192..=223; `length` in bytes, header included.
    Unknown { packet_type: u8, length: usize },
}

/// Reception report block, RFC 3550 s6.4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// 24-bit signed: duplicates can make it negative.
    pub cumulative_lost: i32,
    pub extended_highest_seq: u32,
    pub jitter: u32,
    pub last_sr: u32,
    /// In 1/65536 seconds.
    pub delay_since_last_sr: u32,
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    pub ssrc: u32,
    pub items: Vec<SdesItem<'a>>,
}

/// One SDES item (RFC 3550 s6.5): 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL,
/// 7 NOTE, 8 PRIV (whose value keeps its prefix length and prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The CNAME item's value, if the chunk has one.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items
            .iter()
            .find(|item| item.kind == wire::SDES_CNAME)
            .map(|item| item.value)
    }
}

/// Why a datagram is not RTCP at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RtcpError {
    #[error("{len} bytes is shorter than an RTCP header")]
    TooShort { len: usize },
    #[error("RTCP version {0}, expected 2")]
    BadVersion(u8),
    #[error("packet type {0} is outside the RTCP range 192..=223")]
    NotRtcp(u8),
    #[error("first RTCP packet declares {declared} bytes, datagram has {len}")]
    LengthOverrun { declared: usize, len: usize },
}

/// The fixed 4-byte header of one packet in a compound.
#[derive(Debug, Clone, Copy)]
struct Header {
    packet_type: u8,
    /// Whole packet in bytes, header included.
    length: usize,
}

/// Reads and checks the header at the start of `bytes`, including that the
/// declared length fits.
fn read_header(bytes: &[u8]) -> Result<Header, RtcpError> {
    let Some(&[b0, packet_type, l0, l1]) = bytes.first_chunk::<{ wire::HEADER_LEN }>() else {
        return Err(RtcpError::TooShort { len: bytes.len() });
    };
    if b0 >> 6 != wire::VERSION {
        return Err(RtcpError::BadVersion(b0 >> 6));
    }
    if !wire::PACKET_TYPES.contains(&packet_type) {
        return Err(RtcpError::NotRtcp(packet_type));
    }
    let length = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
    if length > bytes.len() {
        return Err(RtcpError::LengthOverrun {
            declared: length,
            len: bytes.len(),
        });
    }
    Ok(Header {
        packet_type,
        length,
    })
}

/// Decodes an RTCP compound (one UDP payload). Fails only when the first packet's
/// header is not RTCP; anything that stops parsing later sets
/// `encrypted_or_malformed_tail` and keeps the packets decoded so far.
pub fn parse_rtcp(input: &[u8]) -> Result<RtcpCompound<'_>, RtcpError> {
    read_header(input)?;
    let mut packets = Vec::new();
    let mut offset = 0;
    while let Some(rest) = input.get(offset..).filter(|rest| !rest.is_empty()) {
        let Ok(header) = read_header(rest) else {
            break;
        };
        let Some(packet) = rest
            .get(..header.length)
            .and_then(|bytes| decode_packet(header, bytes).ok())
        else {
            break;
        };
        packets.push(packet);
        offset += header.length;
    }
    let tail_len = input.len().saturating_sub(offset);
    Ok(RtcpCompound {
        packets,
        encrypted_or_malformed_tail: tail_len > 0,
        tail_len,
    })
}

/// A packet whose structure does not match its type.
#[derive(Debug)]
struct Malformed;

impl From<RtcpParseError> for Malformed {
    fn from(_: RtcpParseError) -> Self {
        Malformed
    }
}

/// Decodes one packet; `bytes` is exactly `header.length` long.
fn decode_packet(header: Header, bytes: &[u8]) -> Result<RtcpPacket<'_>, Malformed> {
    if header.packet_type == packet_type::SDES {
        // Read here only: the values must borrow `bytes`.
        return Ok(RtcpPacket::SourceDescription {
            chunks: sdes_chunks(bytes)?,
        });
    }
    // rtcp-types checks version, length and the padding count for every type.
    let packet = Packet::parse(bytes)?;
    Ok(match packet {
        Packet::Sr(sr) => RtcpPacket::SenderReport {
            ssrc: sr.ssrc(),
            ntp_timestamp: sr.ntp_timestamp(),
            rtp_timestamp: sr.rtp_timestamp(),
            packet_count: sr.packet_count(),
            octet_count: sr.octet_count(),
            reports: sr.report_blocks().map(|rb| report_block(&rb)).collect(),
        },
        Packet::Rr(rr) => RtcpPacket::ReceiverReport {
            ssrc: rr.ssrc(),
            reports: rr.report_blocks().map(|rb| report_block(&rb)).collect(),
        },
        Packet::Sdes(_) => RtcpPacket::SourceDescription {
            chunks: sdes_chunks(bytes)?,
        },
        Packet::Bye(bye) => RtcpPacket::Goodbye {
            ssrcs: bye.ssrcs().collect(),
            reason: bye_reason(bytes),
        },
        Packet::App(app) => RtcpPacket::App {
            ssrc: app.ssrc(),
            name: app.name(),
            subtype: app.subtype(),
        },
        Packet::TransportFeedback(fb) => RtcpPacket::TransportFeedback {
            fmt: fb.count(),
            sender_ssrc: fb.sender_ssrc(),
            media_ssrc: fb.media_ssrc(),
        },
        Packet::PayloadFeedback(fb) => RtcpPacket::PayloadFeedback {
            fmt: fb.count(),
            sender_ssrc: fb.sender_ssrc(),
            media_ssrc: fb.media_ssrc(),
        },
        Packet::Xr(xr) => RtcpPacket::ExtendedReport {
            ssrc: xr.sender_ssrc(),
            block_types: xr_block_types(bytes),
        },
        Packet::Unknown(_) => RtcpPacket::Unknown {
            packet_type: header.packet_type,
            length: header.length,
        },
    })
}

fn report_block(rb: &rtcp_types::ReportBlock<'_>) -> ReportBlock {
    // The 24-bit field is signed (RFC 3550 s6.4.1): shift it to the top of an i32
    // and back to extend the sign.
    let cumulative_lost = ((rb.cumulative_lost() << 8) as i32) >> 8;
    ReportBlock {
        ssrc: rb.ssrc(),
        fraction_lost: rb.fraction_lost(),
        cumulative_lost,
        extended_highest_seq: rb.extended_sequence_number(),
        jitter: rb.interarrival_jitter(),
        last_sr: rb.last_sender_report_timestamp(),
        delay_since_last_sr: rb.delay_since_last_sender_report_timestamp(),
    }
}

/// End of a packet's content: its length minus the padding the last byte counts,
/// when the P bit is set. `None` if that count is impossible.
fn content_end(bytes: &[u8]) -> Option<usize> {
    let padded = bytes.first()? & wire::PADDING_BIT != 0;
    if !padded {
        return Some(bytes.len());
    }
    let pad = usize::from(*bytes.last()?);
    bytes
        .len()
        .checked_sub(pad)
        .filter(|&end| pad > 0 && end >= wire::HEADER_LEN)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    let word: [u8; 4] = bytes.get(at..end)?.try_into().ok()?;
    Some(u32::from_be_bytes(word))
}

/// SDES chunks (RFC 3550 s6.5): SSRC, items (type, length, value), a zero type byte,
/// then zero padding to the next 32-bit boundary.
fn sdes_chunks(bytes: &[u8]) -> Result<Vec<SdesChunk<'_>>, Malformed> {
    let end = content_end(bytes).ok_or(Malformed)?;
    let body = bytes.get(..end).ok_or(Malformed)?;
    let count = usize::from(bytes.first().ok_or(Malformed)? & wire::COUNT_MASK);
    let mut chunks = Vec::with_capacity(count);
    let mut at = wire::HEADER_LEN;
    while chunks.len() < count {
        let ssrc = read_u32(body, at).ok_or(Malformed)?;
        at += 4;
        let mut items = Vec::new();
        loop {
            let kind = *body.get(at).ok_or(Malformed)?;
            if kind == wire::SDES_END {
                // Skip the terminator and the padding up to the next word.
                at = (at + 4) & !3;
                break;
            }
            let len = usize::from(*body.get(at + 1).ok_or(Malformed)?);
            let value = body.get(at + 2..at + 2 + len).ok_or(Malformed)?;
            items.push(SdesItem { kind, value });
            at += 2 + len;
        }
        chunks.push(SdesChunk { ssrc, items });
    }
    Ok(chunks)
}

/// BYE reason (RFC 3550 s6.6): a length byte and text after the SSRC list, if the
/// packet goes on past that list.
fn bye_reason(bytes: &[u8]) -> Option<&[u8]> {
    let count = usize::from(bytes.first()? & wire::COUNT_MASK);
    let at = wire::HEADER_LEN + 4 * count;
    let body = bytes.get(..content_end(bytes)?)?;
    let len = usize::from(*body.get(at)?);
    body.get(at + 1..at + 1 + len)
}

/// Block types of an XR packet (RFC 3611 s3): each block is BT, a type-specific
/// byte, and a length in 32-bit words after its own 4-byte header.
fn xr_block_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let Some(body) = content_end(bytes).and_then(|end| bytes.get(..end)) else {
        return types;
    };
    let mut at = 8;
    while let Some(&[bt, _, l0, l1]) = body.get(at..).and_then(|b| b.first_chunk::<4>()) {
        types.push(bt);
        at += (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
    }
    types
}

impl RtcpCompound<'_> {
    /// Only the first packet decoded and bytes remain: the shape of SRTCP, whose
    /// first packet is in clear only up to its sender SSRC (RFC 3711 s3.4), so the
    /// rest of that packet's fields are ciphertext.
    pub fn srtcp_suspected(&self) -> bool {
        self.encrypted_or_malformed_tail && self.packets.len() == 1
    }
}

impl RtcpPacket<'_> {
    /// Short name of the packet type: SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR, or
    /// `other` for the rest.
    pub fn kind(&self) -> &'static str {
        match self {
            RtcpPacket::SenderReport { .. } => "SR",
            RtcpPacket::ReceiverReport { .. } => "RR",
            RtcpPacket::SourceDescription { .. } => "SDES",
            RtcpPacket::Goodbye { .. } => "BYE",
            RtcpPacket::App { .. } => "APP",
            RtcpPacket::TransportFeedback { .. } => "RTPFB",
            RtcpPacket::PayloadFeedback { .. } => "PSFB",
            RtcpPacket::ExtendedReport { .. } => "XR",
            RtcpPacket::Unknown { .. } => "other",
        }
    }

    /// The SSRC in bytes 4..8 of the packet, where every type but SDES and BYE puts
    /// its sender (for those two, the first source listed). SRTCP leaves it in clear.
    pub fn sender_ssrc(&self) -> Option<u32> {
        match self {
            RtcpPacket::SenderReport { ssrc, .. }
            | RtcpPacket::ReceiverReport { ssrc, .. }
            | RtcpPacket::App { ssrc, .. }
            | RtcpPacket::ExtendedReport { ssrc, .. } => Some(*ssrc),
            RtcpPacket::TransportFeedback { sender_ssrc, .. }
            | RtcpPacket::PayloadFeedback { sender_ssrc, .. } => Some(*sender_ssrc),
            RtcpPacket::SourceDescription { chunks } => chunks.first().map(|c| c.ssrc),
            RtcpPacket::Goodbye { ssrcs, .. } => ssrcs.first().copied(),
            RtcpPacket::Unknown { .. } => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        assert!(s.len() % 2 == 0, "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    /// Public captures (shared/captures/public), rtpproxy/rtcp.o.pcap (BSD), frame
    /// 158: SR without report blocks + SDES CNAME.
    pub(crate) const RTPPROXY_SR_SDES: &str = "80c80006f3cb200183ab03a1eb020b3a000094200000009e00009b8881ca0005f3cb2001010a6f75744368616e6e656c00000000";

    /// samples/baresip-rtp-mux.pcap (made for callscope by
    /// samples/make/make_baresip.sh: two baresip 1.0, rtcp-mux, about 1 in 10 media
    /// packets dropped at the callee), frame 816: the callee's SR with one report
    /// block showing the loss, + SDES.
    pub(crate) const BARESIP_SR_RB_SDES: &str = "81c8000cca674471eeac30c5ce21a71900014fa3000000fa0000a410743a1a8b18000018000044cb00000007000000000000000081ca0007ca67447101157369703a624031302e39392e302e323a323530373200";
    /// Same capture, frame 987: BYE with reason "Adjo" + SDES.
    pub(crate) const BARESIP_BYE_SDES: &str = "81cb0003743a1a8b0441646a6f00000081ca0007743a1a8b01157369703a614031302e39392e302e313a323530373100";
    /// Same capture, frame 3: APP "PING".
    pub(crate) const BARESIP_APP: &str = "80cc0003ca67447150494e47504f4e47";
    /// Same capture, frame 151: PSFB PLI (reduced-size RTCP, RFC 5506).
    pub(crate) const BARESIP_PLI: &str = "81ce00025b8f193c65e4b2e0";

    /// arkime/gtp-iphone.pcap (Apache-2.0), frame 69, inner UDP payload: a lone SR
    /// with one report block (sequence cycles 1).
    const ARKIME_SR_RB: &str = "81c8000c6399bbc1d810b7d694d7060b4bcb670a000000e100001c20a2ff620f00000000000100ad000000000000000000000000";
    /// Same capture, frame 79: BYE without reason.
    pub(crate) const ARKIME_BYE: &str = "81cb00016399bbc1";

    /// samples/baresip-srtp-mux.pcap (make_baresip.sh with SDES-SRTP), frame 509:
    /// SRTCP. SR header and SSRC in clear, then SR body and SDES encrypted, then
    /// E-flag/index 0x80000002 and an 80-bit tag (RFC 3711 s3.4).
    pub(crate) const BARESIP_SRTCP_SR: &str = "81c8000cacbf97c758c9baa6a91869b7d4766c2a22ab144dda8c1a659d3b53d28fac2bf3f13c3f7f8db8d59d6cc60582971bed04be4cd00023b13cdaff3dcfa0e08451004ef402eff1e917649215fb50163406f7800000022ab84433cf532b1f32c1";

    /// samples/webrtc-ok.pcap (aiortc), frame 143: SRTCP RR with one report block,
    /// AES-GCM: 24 encrypted bytes, 16-byte tag, then E-flag/index 0x80000001.
    pub(crate) const AIORTC_SRTCP_RR: &str = "81c90007f9650c9dddb37060747c34277344cf35ffdf222c34d1f47c18d0e3d3a0df1ec9dc98a9aa81af7863f636831780000001";

    // Expected values below were read from `tshark -V` on the same frames.

    #[test]
    fn sr_and_sdes() {
        let bytes = hex(RTPPROXY_SR_SDES);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![
                    RtcpPacket::SenderReport {
                        ssrc: 0xf3cb2001,
                        ntp_timestamp: 0x83ab03a1_eb020b3a,
                        rtp_timestamp: 37920,
                        packet_count: 158,
                        octet_count: 39816,
                        reports: vec![],
                    },
                    RtcpPacket::SourceDescription {
                        chunks: vec![SdesChunk {
                            ssrc: 0xf3cb2001,
                            items: vec![SdesItem {
                                kind: 1,
                                value: b"outChannel"
                            }],
                        }],
                    },
                ],
                encrypted_or_malformed_tail: false,
                tail_len: 0,
            }
        );
        assert!(!c.srtcp_suspected());
    }

    #[test]
    fn sr_with_loss_report_and_sdes() {
        let bytes = hex(BARESIP_SR_RB_SDES);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![
                    RtcpPacket::SenderReport {
                        ssrc: 0xca674471,
                        ntp_timestamp: 0xeeac30c5_ce21a719,
                        rtp_timestamp: 85923,
                        packet_count: 250,
                        octet_count: 42000,
                        reports: vec![ReportBlock {
                            ssrc: 0x743a1a8b,
                            fraction_lost: 24,
                            cumulative_lost: 24,
                            extended_highest_seq: 17611,
                            jitter: 7,
                            last_sr: 0,
                            delay_since_last_sr: 0,
                        }],
                    },
                    RtcpPacket::SourceDescription {
                        chunks: vec![SdesChunk {
                            ssrc: 0xca674471,
                            items: vec![SdesItem {
                                kind: 1,
                                value: b"sip:b@10.99.0.2:25072"
                            }],
                        }],
                    },
                ],
                encrypted_or_malformed_tail: false,
                tail_len: 0,
            }
        );
    }

    #[test]
    fn lone_sr_with_report_block() {
        let bytes = hex(ARKIME_SR_RB);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![RtcpPacket::SenderReport {
                ssrc: 0x6399bbc1,
                ntp_timestamp: 0xd810b7d6_94d7060b,
                rtp_timestamp: 1271621386,
                packet_count: 225,
                octet_count: 7200,
                reports: vec![ReportBlock {
                    ssrc: 0xa2ff620f,
                    fraction_lost: 0,
                    cumulative_lost: 0,
                    extended_highest_seq: 65709,
                    jitter: 0,
                    last_sr: 0,
                    delay_since_last_sr: 0,
                }],
            }]
        );
        assert!(!c.encrypted_or_malformed_tail);
    }

    #[test]
    fn bye_with_and_without_reason() {
        let bytes = hex(BARESIP_BYE_SDES);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![
                    RtcpPacket::Goodbye {
                        ssrcs: vec![0x743a1a8b],
                        reason: Some(b"Adjo"),
                    },
                    RtcpPacket::SourceDescription {
                        chunks: vec![SdesChunk {
                            ssrc: 0x743a1a8b,
                            items: vec![SdesItem {
                                kind: 1,
                                value: b"sip:a@10.99.0.1:25071"
                            }],
                        }],
                    },
                ],
                encrypted_or_malformed_tail: false,
                tail_len: 0,
            }
        );

        let bytes = hex(ARKIME_BYE);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![RtcpPacket::Goodbye {
                ssrcs: vec![0x6399bbc1],
                reason: None,
            }]
        );
    }

    #[test]
    fn app() {
        let bytes = hex(BARESIP_APP);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![RtcpPacket::App {
                ssrc: 0xca674471,
                name: *b"PING",
                subtype: 0,
            }]
        );
    }

    #[test]
    fn payload_feedback_pli() {
        let bytes = hex(BARESIP_PLI);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![RtcpPacket::PayloadFeedback {
                    fmt: 1,
                    sender_ssrc: 0x5b8f193c,
                    media_ssrc: 0x65e4b2e0,
                }],
                encrypted_or_malformed_tail: false,
                tail_len: 0,
            }
        );
    }

    #[test]
    fn srtcp_keeps_clear_header_and_flags_tail() {
        let bytes = hex(BARESIP_SRTCP_SR);
        let c = parse_rtcp(&bytes).unwrap();
        // The SR body is ciphertext; tshark -V shows the same values for it.
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![RtcpPacket::SenderReport {
                    ssrc: 0xacbf97c7,
                    ntp_timestamp: 0x58c9baa6_a91869b7,
                    rtp_timestamp: 3564530730,
                    packet_count: 581637197,
                    octet_count: 3666614885,
                    reports: vec![ReportBlock {
                        ssrc: 0x9d3b53d2,
                        fraction_lost: 143,
                        cumulative_lost: -5493773,
                        extended_highest_seq: 4047257471,
                        jitter: 2377700765,
                        last_sr: 1824916866,
                        delay_since_last_sr: 2535189764,
                    }],
                }],
                encrypted_or_malformed_tail: true,
                // Encrypted SDES (32) + E-flag/index (4) + tag (10).
                tail_len: 46,
            }
        );
        assert!(c.srtcp_suspected());
    }

    #[test]
    fn srtcp_receiver_report() {
        // tshark -V decodes only the clear part: RR, count 1, length 7, SSRC.
        let bytes = hex(AIORTC_SRTCP_RR);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c,
            RtcpCompound {
                packets: vec![RtcpPacket::ReceiverReport {
                    ssrc: 0xf9650c9d,
                    reports: vec![ReportBlock {
                        ssrc: 0xddb37060,
                        fraction_lost: 0x74,
                        cumulative_lost: 0x7c3427,
                        extended_highest_seq: 0x7344cf35,
                        jitter: 0xffdf222c,
                        last_sr: 0x34d1f47c,
                        delay_since_last_sr: 0x18d0e3d3,
                    }],
                }],
                encrypted_or_malformed_tail: true,
                tail_len: 20,
            }
        );
    }

    #[test]
    fn truncated_compound_keeps_the_first_packet() {
        let bytes = hex(BARESIP_SR_RB_SDES);
        // SR complete, SDES header announces 32 bytes but only 8 remain.
        let c = parse_rtcp(&bytes[..60]).unwrap();
        assert_eq!(c.packets.len(), 1);
        assert_eq!(c.packets[0].kind(), "SR");
        assert!(c.encrypted_or_malformed_tail);
        assert_eq!(c.tail_len, 8);
        // Stray bytes after a complete compound.
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0, 0]);
        let c = parse_rtcp(&longer).unwrap();
        assert_eq!(c.packets.len(), 2);
        assert_eq!((c.encrypted_or_malformed_tail, c.tail_len), (true, 2));
        assert!(!c.srtcp_suspected());
    }

    #[test]
    fn not_rtcp() {
        // RTP (second byte 0x80: PCMU with marker), from samples/baresip-rtp-mux.pcap
        // frame 12, first 16 bytes.
        let rtp = hex("908043d20000b9c8743a1a8bbede0001");
        assert_eq!(parse_rtcp(&rtp), Err(RtcpError::NotRtcp(0x80)));
        assert_eq!(parse_rtcp(&[]), Err(RtcpError::TooShort { len: 0 }));
        assert_eq!(
            parse_rtcp(&[0x81, 0xc8, 0x00]),
            Err(RtcpError::TooShort { len: 3 })
        );
        assert_eq!(
            parse_rtcp(b"BYE sip:b@10.99.0.2 SIP/2.0"),
            Err(RtcpError::BadVersion(1))
        );
        let sr = hex(BARESIP_SR_RB_SDES);
        assert_eq!(
            parse_rtcp(&sr[..40]),
            Err(RtcpError::LengthOverrun {
                declared: 52,
                len: 40
            })
        );
    }

    // The cases below have no permissively licensed capture here; each is built by
    // hand from the RFC layout. nDPI/line.pcap (RTPFB) and
    // nDPI/rtcp_multiple_pkts_in_the_same_datagram.pcap (RR) were checked against
    // tshark instead.

    #[test]
    fn receiver_report_with_padding_and_sdes_items() {
        // RR without report blocks, then SDES with CNAME and TOOL; only the last
        // packet of a compound may be padded (RFC 3550 s6.4.1), so the SDES is.
        let mut bytes = hex("80c90001 11223344".replace(' ', "").as_str());
        // SDES, P bit, 1 chunk: SSRC, CNAME "ab", TOOL "x", END, then 4 padding bytes.
        bytes.extend(hex("a1ca0004 11223344 01026162 06017800 00000004"
            .replace(' ', "")
            .as_str()));
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![
                RtcpPacket::ReceiverReport {
                    ssrc: 0x11223344,
                    reports: vec![],
                },
                RtcpPacket::SourceDescription {
                    chunks: vec![SdesChunk {
                        ssrc: 0x11223344,
                        items: vec![
                            SdesItem {
                                kind: 1,
                                value: b"ab"
                            },
                            SdesItem {
                                kind: 6,
                                value: b"x"
                            },
                        ],
                    }],
                },
            ]
        );
        assert!(!c.encrypted_or_malformed_tail);
    }

    #[test]
    fn transport_feedback_xr_and_unknown() {
        // RTPFB generic NACK (RFC 4585 s6.2.1): PID 100, BLP 0.
        let nack = hex("81cd0003aabbccdd1122334400640000");
        // XR (RFC 3611): receiver reference time block (BT 4, 2 words).
        let xr = hex("80cf0004aabbccdd04000002eeac30c5ce21a719");
        // IJ (RFC 5450), packet type 195: not decoded, kept as Unknown.
        let ij = hex("81c3000100000001");
        let mut bytes = nack.clone();
        bytes.extend(&xr);
        bytes.extend(&ij);
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![
                RtcpPacket::TransportFeedback {
                    fmt: 1,
                    sender_ssrc: 0xaabbccdd,
                    media_ssrc: 0x11223344,
                },
                RtcpPacket::ExtendedReport {
                    ssrc: 0xaabbccdd,
                    block_types: vec![4],
                },
                RtcpPacket::Unknown {
                    packet_type: 195,
                    length: 8,
                },
            ]
        );
        assert!(!c.encrypted_or_malformed_tail);
    }

    #[test]
    fn bye_reason_is_kept_as_bytes() {
        // BYE with a reason holding a newline and a byte that is not UTF-8.
        let bytes = hex("81cb0002 11223344 03610aff".replace(' ', "").as_str());
        let c = parse_rtcp(&bytes).unwrap();
        assert_eq!(
            c.packets,
            vec![RtcpPacket::Goodbye {
                ssrcs: vec![0x11223344],
                reason: Some(b"a\n\xff"),
            }]
        );
    }

    fn check_all(bytes: &[u8]) {
        if let Ok(c) = parse_rtcp(bytes) {
            assert!(c.tail_len <= bytes.len());
            assert_eq!(c.encrypted_or_malformed_tail, c.tail_len > 0);
        }
    }

    proptest! {
        #[test]
        fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            check_all(&bytes);
        }

        #[test]
        fn rtcp_like_input_never_panics(
            b0 in 128u8..=191,
            pt in 192u8..=223,
            words in 0u16..16,
            rest in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let mut bytes = vec![b0, pt];
            bytes.extend(words.to_be_bytes());
            bytes.extend(rest);
            check_all(&bytes);
        }

        #[test]
        fn damaged_samples_never_panic(
            which in 0usize..9,
            cut in 0usize..110,
            flips in proptest::collection::vec((0usize..110, any::<u8>()), 0..4),
        ) {
            let samples = [
                RTPPROXY_SR_SDES,
                BARESIP_SR_RB_SDES,
                BARESIP_BYE_SDES,
                BARESIP_APP,
                BARESIP_PLI,
                ARKIME_SR_RB,
                ARKIME_BYE,
                BARESIP_SRTCP_SR,
                AIORTC_SRTCP_RR,
            ];
            let mut bytes = hex(samples[which]);
            for (at, value) in flips {
                if let Some(b) = bytes.get_mut(at) {
                    *b = value;
                }
            }
            bytes.truncate(cut);
            check_all(&bytes);
        }
    }
}
