//! Encapsulation headers between the link and the IP layer: PPPoE session,
//! PPP, GRE (plain and the enhanced GRE of PPTP), ERSPAN, MPLS, and the
//! UDP tunnels that cloud traffic mirroring delivers in (VXLAN, Geneve) and
//! GTP-U. etherparse 0.21 reads none of them; each is a few fixed fields.
//!
//! Each function returns the EtherType of what it carries and the bytes, or
//! `None` when the payload is not IP (PPP control protocols, GRE carrying
//! something else), or the reason it could not be read.

use super::link::ether_type;
use super::L4;

fn undecodable(reason: &'static str) -> L4<'static> {
    L4::Undecodable { reason }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_be_bytes)
}

/// PPPoE session stage (RFC 2516 section 4): ver/type (0x11), code (0x00),
/// session id, length of the PPP frame that follows.
pub(crate) fn pppoe_session(data: &[u8]) -> Result<Option<(u16, &[u8])>, L4<'_>> {
    const LEN: usize = 6;
    let (Some(&ver_type), Some(length), Some(rest)) =
        (data.first(), be16(data, 4), data.get(LEN..))
    else {
        return Err(undecodable("truncated pppoe header"));
    };
    if ver_type != 0x11 {
        return Ok(None);
    }
    // The length field bounds the PPP frame (the rest may be Ethernet
    // padding); a frame cut short keeps what it has.
    let ppp_frame = rest.get(..usize::from(length)).unwrap_or(rest);
    ppp(ppp_frame)
}

/// A PPP frame: optional HDLC address/control bytes 0xff 0x03 (RFC 1662
/// section 3.1; PPTP keeps them unless ACFC was negotiated), then the
/// protocol field, one byte when compressed (RFC 1661 section 6.5: an odd
/// first byte ends the field).
pub(crate) fn ppp(data: &[u8]) -> Result<Option<(u16, &[u8])>, L4<'_>> {
    let data = match data {
        [0xff, 0x03, rest @ ..] => rest,
        _ => data,
    };
    let (protocol, rest) = match data {
        [first, rest @ ..] if first & 1 == 1 => (u16::from(*first), rest),
        [hi, lo, rest @ ..] => (u16::from_be_bytes([*hi, *lo]), rest),
        _ => return Err(undecodable("truncated ppp header")),
    };
    Ok(match protocol {
        0x0021 => Some((ether_type::IPV4, rest)),
        0x0057 => Some((ether_type::IPV6, rest)),
        _ => None,
    })
}

/// GRE flag bits, first two octets (RFC 2784 section 2, RFC 2890 section 2,
/// RFC 2637 section 4.1).
mod gre_flag {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQUENCE: u16 = 0x1000;
    /// Enhanced GRE (version 1) only.
    pub const ACK: u16 = 0x0080;
    pub const VERSION: u16 = 0x0007;
}

/// A GRE header. Version 0 (RFC 2784/2890): optional checksum, key and
/// sequence words. Version 1 (PPTP, RFC 2637): key carries payload length
/// and call id; optional sequence and acknowledgment words; payload is PPP.
/// Source routing (RFC 1701) is not followed: it yields `None`.
pub(crate) fn gre(data: &[u8]) -> Result<Option<(u16, &[u8])>, L4<'_>> {
    let (Some(flags), Some(protocol)) = (be16(data, 0), be16(data, 2)) else {
        return Err(undecodable("truncated gre header"));
    };
    let has = |bit: u16| flags & bit != 0;
    let word = |bit: u16| if has(bit) { 4 } else { 0 };
    match flags & gre_flag::VERSION {
        0 => {
            if has(gre_flag::ROUTING) {
                return Ok(None);
            }
            let len = 4 + word(gre_flag::CHECKSUM) + word(gre_flag::KEY) + word(gre_flag::SEQUENCE);
            let payload = data.get(len..).ok_or(undecodable("truncated gre header"))?;
            match protocol {
                ether_type::PPP => ppp(payload),
                _ => Ok(Some((protocol, payload))),
            }
        }
        1 => {
            if protocol != ether_type::PPP || !has(gre_flag::KEY) {
                return Ok(None);
            }
            let len = 8 + word(gre_flag::SEQUENCE) + word(gre_flag::ACK);
            let (Some(payload_len), Some(payload)) = (be16(data, 4), data.get(len..)) else {
                return Err(undecodable("truncated gre header"));
            };
            let payload = payload.get(..usize::from(payload_len)).unwrap_or(payload);
            if payload.is_empty() {
                // An acknowledgment-only packet carries no PPP frame.
                return Ok(None);
            }
            ppp(payload)
        }
        _ => Ok(None),
    }
}

/// UDP port of GTP-U, the user-plane tunnel of mobile networks (3GPP TS
/// 29.281); VoLTE calls captured on a mobile core sit inside it.
pub const GTP_U_PORT: u16 = 2152;

/// The inner IP packet of a GTPv1-U G-PDU (TS 29.281 s5.1), if `payload`
/// is one. Echo and other signalling messages carry no user packet.
pub fn gtp_u(payload: &[u8]) -> Option<&[u8]> {
    const G_PDU: u8 = 0xff;
    let flags = *payload.first()?;
    // Version 1, protocol type GTP (not GTP').
    if flags >> 5 != 1 || flags & 0x10 == 0 || *payload.get(1)? != G_PDU {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([*payload.get(2)?, *payload.get(3)?]));
    let mut at = 8;
    if flags & 0x07 != 0 {
        // Sequence number, N-PDU number, then the first extension type.
        let mut next = *payload.get(11)?;
        at = 12;
        while next != 0 {
            // Each extension header: length in 4-octet units, content, next type.
            let units = usize::from(*payload.get(at)?);
            if units == 0 {
                return None;
            }
            at += units * 4;
            next = *payload.get(at.checked_sub(1)?)?;
        }
    }
    let end = (8 + length).min(payload.len());
    let inner = payload.get(at..end)?;
    // An IP packet starts with version 4 or 6.
    matches!(inner.first().map(|b| b >> 4), Some(4 | 6)).then_some(inner)
}

/// UDP port of VXLAN (RFC 7348 s5), how AWS VPC Traffic Mirroring and Azure
/// deliver mirrored frames.
pub const VXLAN_PORT: u16 = 4789;
/// UDP port of Geneve (RFC 8926 s3.3), used by AWS Gateway Load Balancer
/// and other cloud mirrors.
pub const GENEVE_PORT: u16 = 6081;

/// The Ethernet frame a VXLAN header (RFC 7348 s5) carries: 8 octets with
/// the I flag set (a valid VNI), then the inner frame.
pub fn vxlan(payload: &[u8]) -> Option<&[u8]> {
    const FLAG_VNI: u8 = 0x08;
    (payload.first()? & FLAG_VNI != 0).then_some(())?;
    payload.get(8..)
}

/// What a Geneve header (RFC 8926 s3.4) carries: its protocol type (an
/// EtherType; 0x6558 for an Ethernet frame) and the bytes after the
/// options. Version 0 only; an OAM frame carries no user traffic.
pub fn geneve(payload: &[u8]) -> Option<(u16, &[u8])> {
    const OAM: u8 = 0x80;
    let first = *payload.first()?;
    if first >> 6 != 0 || payload.get(1)? & OAM != 0 {
        return None;
    }
    let options = usize::from(first & 0x3f) * 4;
    Some((be16(payload, 2)?, payload.get(8 + options..)?))
}

/// The bytes after an MPLS label stack (RFC 3032 s2.1: 4 octets each, the
/// last with the bottom-of-stack bit), as an EtherType and payload: IPv4
/// or IPv6 by the version nibble, or an Ethernet pseudowire (RFC 4448:
/// a control word whose first nibble is 0, then the frame) as bridged
/// Ethernet. `None` for anything else.
pub(crate) fn mpls(data: &[u8]) -> Result<Option<(u16, &[u8])>, L4<'_>> {
    const MAX_LABELS: usize = 16;
    let mut rest = data;
    for _ in 0..MAX_LABELS {
        let entry = rest.get(..4).ok_or(undecodable("truncated mpls label"))?;
        rest = &rest[4..];
        if entry[2] & 0x01 == 0 {
            continue;
        }
        return Ok(match rest.first().map(|b| b >> 4) {
            Some(4) => Some((ether_type::IPV4, rest)),
            Some(6) => Some((ether_type::IPV6, rest)),
            Some(0) => rest
                .get(4..)
                .map(|frame| (ether_type::ETHERNET_BRIDGING, frame)),
            _ => None,
        });
    }
    Err(undecodable("mpls label stack too deep"))
}

/// The mirrored Ethernet frame in an ERSPAN packet, given the GRE protocol
/// type and whether the GRE header had a sequence number. Type I (0x88be
/// without a sequence number) has no header of its own; type II (0x88be
/// with one) has 8 octets; type III (0x22eb) has 12, and 8 more when its
/// O flag says a platform-specific subheader follows.
pub(crate) fn erspan(protocol: u16, gre_sequence: bool, data: &[u8]) -> Option<&[u8]> {
    match protocol {
        ether_type::ERSPAN_II if !gre_sequence => Some(data),
        ether_type::ERSPAN_II => data.get(8..),
        ether_type::ERSPAN_III => {
            let optional = data.get(11)? & 0x01 != 0;
            data.get(if optional { 20 } else { 12 }..)
        }
        _ => None,
    }
}

/// Linux NFLOG (pcap link type 239): a 4-octet header (address family,
/// version, resource id), then TLVs of little-endian length and type,
/// padded to 4 octets; the packet is the NFULA_PAYLOAD TLV (type 9), an IP
/// packet of the header's family.
pub(crate) fn nflog(data: &[u8]) -> Result<(u16, &[u8]), L4<'_>> {
    const PAYLOAD: u16 = 9;
    const MAX_TLVS: usize = 64;
    let family = *data.first().ok_or(undecodable("truncated nflog header"))?;
    let ether = match family {
        2 => ether_type::IPV4,
        10 => ether_type::IPV6,
        _ => return Err(undecodable("nflog family not ip")),
    };
    let mut at = 4;
    for _ in 0..MAX_TLVS {
        let (Some(len), Some(typ)) = (le16(data, at), le16(data, at + 2)) else {
            break;
        };
        let len = usize::from(len);
        if len < 4 {
            return Err(undecodable("bad nflog tlv length"));
        }
        // The type's top bits are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
        if typ & 0x3fff == PAYLOAD {
            let value = data
                .get(at + 4..at + len)
                .ok_or(undecodable("truncated nflog payload"))?;
            return Ok((ether, value));
        }
        at += len.div_ceil(4) * 4;
    }
    Err(undecodable("nflog frame without payload"))
}

fn le16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
}
