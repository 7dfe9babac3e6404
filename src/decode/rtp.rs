//! RTP fixed header (RFC 3550 s5.1), and the byte tests that tell RTP from RTCP
//! when both share one port (RFC 5761 s4) and from the other protocols muxed on a
//! WebRTC port (RFC 7983 s7).
//!
//! The header is read with `rtp_rs::RtpReader`, which checks once that the CSRC
//! list and the extension fit; after that no accessor can index out of bounds.
//! SRTP (RFC 3711 s3.1) keeps this header in clear, so [`parse_rtp`] decodes SRTP
//! headers too; their `payload` is then ciphertext followed by the auth tag.

use rtp_rs::{RtpReader, RtpReaderError};
use thiserror::Error;

/// Field layout and the ranges used to classify a datagram.
mod wire {
    use std::ops::RangeInclusive;

    /// RFC 3550 s5.1: V, P, X, CC, M, PT, sequence, timestamp, SSRC.
    pub const FIXED_HEADER_LEN: usize = 12;
    /// RFC 3550 s6.4.1: an RTCP compound starts with SR or RR, at least header + SSRC.
    /// RFC 3711 s3.4: these are also the 8 bytes SRTCP leaves in clear.
    pub const MIN_RTCP_LEN: usize = 8;
    /// RFC 7983 s7: a first byte of 128..=191 is RTP or RTCP (version 2).
    pub const FIRST_BYTE: RangeInclusive<u8> = 128..=191;
    /// RFC 5761 s4: RTCP packet types 192..=223 are what RTP payload types 64..=95
    /// would look like with the marker bit set, so on a shared port the second byte
    /// says which one it is.
    pub const RTCP_SECOND_BYTE: RangeInclusive<u8> = 192..=223;
    pub const PADDING_BIT: u8 = 0x20;
}

/// A decoded RTP (or SRTP) header borrowing the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub version: u8,
    pub padding: bool,
    pub extension: bool,
    pub csrc_count: u8,
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Empty (no allocation) when `csrc_count` is 0, which is nearly always.
    pub csrcs: Vec<u32>,
    /// "Defined by profile" field of the header extension (RFC 3550 s5.3.1):
    /// 0xBEDE for one-byte, 0x100x for two-byte extensions (RFC 8285 s4).
    pub extension_profile: Option<u16>,
    /// Bytes after the header (and extension), without padding. For SRTP this is
    /// ciphertext plus authentication tag.
    pub payload: &'a [u8],
    /// Padding bytes at the end, as counted by the last byte. 0 when `padding` is set
    /// but that count is impossible: with SRTP the last bytes are the auth tag, not the
    /// count (RFC 3711 s3.1), so the count cannot be read.
    pub padding_len: u8,
}

/// Why a datagram is not an RTP packet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RtpError {
    #[error("{len} bytes is shorter than the 12-byte RTP header")]
    TooShort { len: usize },
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    #[error("second byte {0} is an RTCP packet type (RFC 5761 s4)")]
    Rtcp(u8),
    #[error("RTP header with CSRCs and extension needs {header_len} bytes, packet has {len}")]
    HeaderTruncated { header_len: usize, len: usize },
}

/// Decodes the RTP header of `input` (a UDP payload). Allocates only when the
/// packet carries CSRCs.
pub fn parse_rtp(input: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    // RtpReader takes any version-2 header; a second byte in the RTCP range must
    // not be read as RTP with PT 64..=95 and the marker set (RFC 5761 s4).
    if is_rtcp(input) {
        return Err(RtpError::Rtcp(input.get(1).copied().unwrap_or_default()));
    }
    match RtpReader::new(input) {
        Ok(reader) => {
            let padding_len = reader.padding().unwrap_or(0);
            Ok(from_reader(&reader, reader.payload(), padding_len))
        }
        Err(RtpReaderError::PaddingLengthInvalid(_)) => padding_unreadable(input),
        Err(RtpReaderError::HeadersTruncated { header_len, .. })
            if has_padding_bit(input) && header_len <= input.len() =>
        {
            // The P bit is set but nothing follows the header to hold the count.
            padding_unreadable(input)
        }
        Err(e) => Err(map_reader_error(e, input.len())),
    }
}

fn has_padding_bit(input: &[u8]) -> bool {
    input.first().is_some_and(|b| b & wire::PADDING_BIT != 0)
}

/// The P bit is set but the last byte is not a usable padding count: usually SRTP,
/// whose padding is encrypted and whose last bytes are the auth tag. The rest of
/// the header was already checked, so read it again with the P bit cleared; this
/// copies the datagram, but only on this uncommon path.
#[cold]
fn padding_unreadable(input: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    let mut copy = input.to_vec();
    if let Some(b0) = copy.first_mut() {
        *b0 &= !wire::PADDING_BIT;
    }
    let reader = RtpReader::new(&copy).map_err(|e| map_reader_error(e, input.len()))?;
    let payload = input.get(reader.payload_offset()..).unwrap_or_default();
    let mut packet = from_reader(&reader, payload, 0);
    packet.padding = true;
    Ok(packet)
}

fn from_reader<'a>(reader: &RtpReader<'_>, payload: &'a [u8], padding_len: u8) -> RtpPacket<'a> {
    let csrc_count = reader.csrc_count();
    RtpPacket {
        version: reader.version(),
        padding: padding_len > 0,
        extension: reader.extension().is_some(),
        csrc_count,
        marker: reader.mark(),
        payload_type: reader.payload_type(),
        sequence: reader.sequence_number().into(),
        timestamp: reader.timestamp(),
        ssrc: reader.ssrc(),
        csrcs: if csrc_count == 0 {
            Vec::new()
        } else {
            reader.csrc().collect()
        },
        extension_profile: reader.extension().map(|(profile, _)| profile),
        payload,
        padding_len,
    }
}

fn map_reader_error(e: RtpReaderError, len: usize) -> RtpError {
    match e {
        RtpReaderError::BufferTooShort(len) => RtpError::TooShort { len },
        RtpReaderError::UnsupportedVersion(v) => RtpError::BadVersion(v),
        RtpReaderError::HeadersTruncated { header_len, .. } => {
            RtpError::HeaderTruncated { header_len, len }
        }
        // Only reached when the copy without the P bit fails, which it cannot.
        RtpReaderError::PaddingLengthInvalid(_) => RtpError::HeaderTruncated {
            header_len: len + 1,
            len,
        },
    }
}

/// Version 2 by its first byte (RFC 7983 s7) and long enough for an RTP header, or
/// for the 8 bytes an RTCP packet starts with when the second byte says RTCP.
pub fn looks_like_rtp_or_rtcp(input: &[u8]) -> bool {
    let (Some(b0), Some(b1)) = (input.first(), input.get(1)) else {
        return false;
    };
    if !wire::FIRST_BYTE.contains(b0) {
        return false;
    }
    let min = if wire::RTCP_SECOND_BYTE.contains(b1) {
        wire::MIN_RTCP_LEN
    } else {
        wire::FIXED_HEADER_LEN
    };
    input.len() >= min
}

/// True when `input` is RTCP rather than RTP on a port carrying both (RFC 5761 s4):
/// version 2, second byte 192..=223, and at least header + SSRC.
pub fn is_rtcp(input: &[u8]) -> bool {
    input.len() >= wire::MIN_RTCP_LEN
        && input.first().is_some_and(|b| wire::FIRST_BYTE.contains(b))
        && input
            .get(1)
            .is_some_and(|b| wire::RTCP_SECOND_BYTE.contains(b))
}

/// Encoding name and clock rate of the static payload types, RFC 3551 s6 tables 4
/// and 5. G722 is listed at 8000 Hz although it samples at 16000 (RFC 3551 s4.5.2).
fn static_payload(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        25 => ("CelB", 90000),
        26 => ("JPEG", 90000),
        28 => ("nv", 90000),
        31 => ("H261", 90000),
        32 => ("MPV", 90000),
        33 => ("MP2T", 90000),
        34 => ("H263", 90000),
        _ => return None,
    })
}

/// RTP clock rate of a static payload type (RFC 3551 s6); `None` for dynamic,
/// reserved and unassigned types.
pub fn static_clock_rate(pt: u8) -> Option<u32> {
    static_payload(pt).map(|(_, rate)| rate)
}

/// Encoding name of a static payload type (RFC 3551 s6), as SDP writes it.
pub fn static_encoding_name(pt: u8) -> Option<&'static str> {
    static_payload(pt).map(|(name, _)| name)
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

    /// Public captures (shared/captures/public), rtpproxy/rtcp.o.pcap (BSD), frame 1: G.711 A-law, 30 ms.
    pub(crate) const RTPPROXY_PCMA: &str = "80082580000000f0f3cb2001555555d5d5d5d5d5d5d5d55555555555555555d5d5d555d5d5d5d5d5d5d5d5d555d455d5555555545554d555d5d5d5d5d55554545555d5d555d5d5d5d5d5d555555555d5d5d5555455545455d55555d5d5d5d5d55555555555d5d55555d5d5d5d5d5d5d5d5d5d5d5d5d55555555454545555d5d5d5d5d5d5d5d5d5555555d5d5d5d55555555555545455d5d5d5d555555555545555d5d5d5d4d4d5d5d55555555555d5d5d555d5555454555455d5d55555d5d5d5d5d55555d5d5d5d5d5d5d555d55555555555d555d5d5555454d5555555d5555555d5d5d5d555d5d5d5d5d5d55454d5555555d55557d5d455d5d45455";

    /// samples/baresip-rtp-mux.pcap (made for callscope by
    /// samples/make/make_baresip.sh: two baresip 1.0 in private namespaces, rtcp-mux,
    /// audio level extension), frame 12: first PCMU packet of the caller, marker set,
    /// RFC 8285 one-byte extension (0xBEDE) with one audio-level element.
    pub(crate) const BARESIP_PCMU_MARKER_EXT: &str = "908043d20000b9c8743a1a8bbede0001100a0000ff6c4fcca69b96949599a1b545261b161415191f31cba89c969494989faf552a1d171414181e2de7ab9d979494979dacec2d1e181414171d2a58af9f989494969ca8cd311f191414161b2746b4a0999594969ba5bf38221a1514151a243cbba39a9594959aa2b83f251b161415192135c5a69b969495999fb14b281c161414181f2fd5aa9d979494989ead672b1d171414171d2c6cad9e989494979daad82f1f";

    /// Same capture, frame 818: the caller's SR+SDES on the same 5-tuple as frame 12.
    const BARESIP_SR_SAME_PORT: &str = "81c8000c743a1a8beeac30c5ceb6d00b000155e8000000fa0000a410ca674471000000000000796b0000000730c5ce210000008381ca0007743a1a8b01157369703a614031302e39392e302e313a323530373100";

    /// rtpproxy/srtp1.o.rtp.pcap (BSD), frame 1: SRTP, G.722, marker set. Header in
    /// clear; payload is ciphertext followed by the auth tag.
    pub(crate) const RTPPROXY_SRTP_G722: &str = "80893267983b02058557bace8f5e23b853ccd585aac111fef0de63604df58a2a56918243a87cdc59edf7078d633717955f4f05273d0b516793d48f3228804f2344a9ee28f526cdacdcf30f6fb44d943b1743a14e53a0f14c9168a2730e0b2e980f7983e1d8778b6edbcf158b6f23531bd8173aa33dbb744bfb9f79c0b57945fae47830aceb91aeb6583fd32d31f6d2f6e3444d7f042b443a40378bad6791474ed4f1e1fd85dbda96f60b7ebcf42eaccdecd475e2c7b9";

    /// arkime/gtp-iphone.pcap (Apache-2.0), frame 48, inner UDP payload (IPv6 in
    /// GTP-U): AMR, PT 102 with the marker, so the second byte is 0xE6 = 230, just
    /// above the RTCP range.
    pub(crate) const ARKIME_AMR_MARKER: &str =
        "80e652d84bcad9ca6399bbc173dbc6d5e2182c800a3033aa8450d590f000108609ed24e800002458a729e6f8";

    // Expected values below were read from `tshark -V` on the same frames.

    #[test]
    fn pcma_without_marker() {
        let bytes = hex(RTPPROXY_PCMA);
        assert_eq!(bytes.len(), 252);
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(
            p,
            RtpPacket {
                version: 2,
                padding: false,
                extension: false,
                csrc_count: 0,
                marker: false,
                payload_type: 8,
                sequence: 9600,
                timestamp: 240,
                ssrc: 0xf3cb2001,
                csrcs: vec![],
                extension_profile: None,
                payload: &bytes[12..],
                padding_len: 0,
            }
        );
        assert_eq!(p.payload.len(), 240);
    }

    #[test]
    fn marker_and_one_byte_extension() {
        let bytes = hex(BARESIP_PCMU_MARKER_EXT);
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(
            p,
            RtpPacket {
                version: 2,
                padding: false,
                extension: true,
                csrc_count: 0,
                marker: true,
                payload_type: 0,
                sequence: 17362,
                timestamp: 47560,
                ssrc: 0x743a1a8b,
                csrcs: vec![],
                extension_profile: Some(0xbede),
                // 12-byte header, 4-byte extension header, one 32-bit word of elements.
                payload: &bytes[20..],
                padding_len: 0,
            }
        );
        assert_eq!(p.payload.len(), 160);
    }

    #[test]
    fn srtp_header_is_decoded() {
        let bytes = hex(RTPPROXY_SRTP_G722);
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(
            p,
            RtpPacket {
                version: 2,
                padding: false,
                extension: false,
                csrc_count: 0,
                marker: true,
                payload_type: 9,
                sequence: 12903,
                timestamp: 2554003973,
                ssrc: 0x8557bace,
                csrcs: vec![],
                extension_profile: None,
                payload: &bytes[12..],
                padding_len: 0,
            }
        );
    }

    #[test]
    fn marker_with_dynamic_pt_above_rtcp_range_is_rtp() {
        let bytes = hex(ARKIME_AMR_MARKER);
        assert!(!is_rtcp(&bytes));
        assert!(looks_like_rtp_or_rtcp(&bytes));
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(
            p,
            RtpPacket {
                version: 2,
                padding: false,
                extension: false,
                csrc_count: 0,
                marker: true,
                payload_type: 102,
                sequence: 21208,
                timestamp: 1271585226,
                ssrc: 0x6399bbc1,
                csrcs: vec![],
                extension_profile: None,
                payload: &bytes[12..],
                padding_len: 0,
            }
        );
    }

    #[test]
    fn rtp_and_rtcp_told_apart_on_one_port() {
        let rtp = hex(BARESIP_PCMU_MARKER_EXT);
        let rtcp = hex(BARESIP_SR_SAME_PORT);
        assert!(looks_like_rtp_or_rtcp(&rtp));
        assert!(looks_like_rtp_or_rtcp(&rtcp));
        assert!(!is_rtcp(&rtp));
        assert!(is_rtcp(&rtcp));
        // Read as RTP, the SR would be PT 72 with the marker: refused (RFC 5761 s4).
        assert_eq!(parse_rtp(&rtcp), Err(RtpError::Rtcp(200)));
        // RTCP range is 192..=223 on the second byte, nothing else.
        let mut b = rtcp.clone();
        b[1] = 191;
        assert!(!is_rtcp(&b));
        b[1] = 224;
        assert!(!is_rtcp(&b));
        b[1] = 223;
        assert!(is_rtcp(&b));
        // 8 bytes are enough for RTCP (header + SSRC), not for RTP.
        assert!(is_rtcp(&rtcp[..8]));
        assert!(looks_like_rtp_or_rtcp(&rtcp[..8]));
        assert!(!is_rtcp(&rtcp[..7]));
        assert!(!looks_like_rtp_or_rtcp(&rtp[..11]));
        assert!(looks_like_rtp_or_rtcp(&rtp[..12]));
    }

    #[test]
    fn padding_is_counted_and_removed() {
        // Made from BARESIP_PCMU_MARKER_EXT: P bit set and 4 padding bytes appended,
        // the last one the count (RFC 3550 s5.1). No permissively licensed capture
        // here has plain RTP with padding; nDPI/rtp.pcapng (check-only) has one,
        // decoded the same as tshark.
        let mut bytes = hex(BARESIP_PCMU_MARKER_EXT);
        bytes[0] |= 0x20;
        bytes.extend_from_slice(&[0, 0, 0, 4]);
        let p = parse_rtp(&bytes).unwrap();
        assert!(p.padding);
        assert_eq!(p.padding_len, 4);
        assert_eq!(p.payload, &bytes[20..bytes.len() - 4]);
        assert_eq!(p.payload.len(), 160);
    }

    #[test]
    fn srtp_padding_bit_with_unreadable_count() {
        // Made from RTPPROXY_SRTP_G722 with the P bit set. In SRTP the last byte is
        // part of the auth tag (RFC 3711 s3.1): a 0 there, or a count longer than
        // the payload, must not make the header unreadable.
        let mut bytes = hex(RTPPROXY_SRTP_G722);
        bytes[0] |= 0x20;
        let last = bytes.len() - 1;
        for count in [0, 255] {
            bytes[last] = count;
            let p = parse_rtp(&bytes).unwrap();
            assert!(p.padding);
            assert_eq!(p.padding_len, 0);
            assert_eq!(p.sequence, 12903);
            assert_eq!(p.payload, &bytes[12..]);
        }
        // P bit and nothing after the header.
        let p = parse_rtp(&bytes[..12]).unwrap();
        assert!(p.padding);
        assert_eq!((p.padding_len, p.payload.len()), (0, 0));
    }

    #[test]
    fn csrc_list() {
        // Made from RTPPROXY_PCMA with CC=2 and two CSRCs inserted after the SSRC
        // (RFC 3550 s5.1); no permissively licensed capture here has CSRCs.
        let orig = hex(RTPPROXY_PCMA);
        let mut bytes = orig[..12].to_vec();
        bytes[0] |= 2;
        bytes.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd]);
        bytes.extend_from_slice(&orig[12..]);
        let p = parse_rtp(&bytes).unwrap();
        assert_eq!(p.csrc_count, 2);
        assert_eq!(p.csrcs, vec![0x11223344, 0xaabbccdd]);
        assert_eq!(p.payload, &orig[12..]);
        // CC=15 needs 72 header bytes.
        bytes[0] |= 0x0f;
        assert_eq!(
            parse_rtp(&bytes[..40]),
            Err(RtpError::HeaderTruncated {
                header_len: 72,
                len: 40
            })
        );
    }

    #[test]
    fn garbage_rejected() {
        let sip = b"INVITE sip:b@10.99.0.2:25072 SIP/2.0\r\n";
        assert!(!looks_like_rtp_or_rtcp(sip));
        assert!(!is_rtcp(sip));
        assert_eq!(parse_rtp(sip), Err(RtpError::BadVersion(1)));
        // samples/webrtc-ok.pcap frame 1, first 20 bytes: STUN Binding
        // request header (RFC 8489 s5).
        let stun = hex("000100442112a442994f73bea1d051be4b6a90f7");
        assert!(!looks_like_rtp_or_rtcp(&stun));
        assert_eq!(parse_rtp(&stun), Err(RtpError::BadVersion(0)));
        // Same capture, frame 5, first 16 bytes: DTLS handshake record.
        let dtls = hex("16feff0000000000000000009c010000");
        assert!(!looks_like_rtp_or_rtcp(&dtls));
        assert_eq!(parse_rtp(&dtls), Err(RtpError::BadVersion(0)));
        assert_eq!(parse_rtp(&[]), Err(RtpError::TooShort { len: 0 }));
        assert!(!looks_like_rtp_or_rtcp(&[]));
        assert!(!is_rtcp(&[0x80]));
        // Extension header announced past the end.
        let rtp = hex(BARESIP_PCMU_MARKER_EXT);
        assert_eq!(
            parse_rtp(&rtp[..14]),
            Err(RtpError::HeaderTruncated {
                header_len: 16,
                len: 14
            })
        );
        assert_eq!(
            parse_rtp(&rtp[..18]),
            Err(RtpError::HeaderTruncated {
                header_len: 20,
                len: 18
            })
        );
        assert_eq!(parse_rtp(&rtp[..11]), Err(RtpError::TooShort { len: 11 }));
    }

    #[test]
    fn static_payload_types() {
        let table: [(u8, Option<(&str, u32)>); 14] = [
            (0, Some(("PCMU", 8000))),
            (2, None),
            (3, Some(("GSM", 8000))),
            (4, Some(("G723", 8000))),
            (8, Some(("PCMA", 8000))),
            (9, Some(("G722", 8000))),
            (10, Some(("L16", 44100))),
            (13, Some(("CN", 8000))),
            (18, Some(("G729", 8000))),
            (26, Some(("JPEG", 90000))),
            (34, Some(("H263", 90000))),
            (72, None),
            (96, None),
            (127, None),
        ];
        for (pt, want) in table {
            assert_eq!(
                static_encoding_name(pt).zip(static_clock_rate(pt)),
                want,
                "PT {pt}"
            );
        }
    }

    fn check_all(bytes: &[u8]) {
        let _ = looks_like_rtp_or_rtcp(bytes);
        let _ = is_rtcp(bytes);
        if let Ok(p) = parse_rtp(bytes) {
            assert!(p.payload.len() + 12 <= bytes.len());
            assert_eq!(p.csrcs.len(), usize::from(p.csrc_count));
        }
    }

    proptest! {
        #[test]
        fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            check_all(&bytes);
        }

        #[test]
        fn version2_input_never_panics(
            first in 128u8..=191,
            rest in proptest::collection::vec(any::<u8>(), 0..120),
        ) {
            let mut bytes = vec![first];
            bytes.extend(rest);
            check_all(&bytes);
        }

        #[test]
        fn damaged_samples_never_panic(
            which in 0usize..4,
            cut in 0usize..260,
            flips in proptest::collection::vec((0usize..260, any::<u8>()), 0..4),
        ) {
            let samples = [
                RTPPROXY_PCMA,
                BARESIP_PCMU_MARKER_EXT,
                RTPPROXY_SRTP_G722,
                ARKIME_AMR_MARKER,
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
