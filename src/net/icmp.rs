//! ICMP and ICMPv6: type and code, and for destination-unreachable errors
//! the datagram they quote, which names the closed port or the filtered
//! address.

use std::net::SocketAddr;

use etherparse::LaxIpSlice;

use super::ip;
use super::{IcmpInfo, Unreachable, UnreachableKind, L4};

pub(crate) const ICMP_V4: u8 = 1;
pub(crate) const ICMP_V6: u8 = 58;

/// Destination unreachable: ICMPv4 type 3 (RFC 792), ICMPv6 type 1
/// (RFC 4443 section 3.1).
const V4_UNREACHABLE: u8 = 3;
const V6_UNREACHABLE: u8 = 1;

/// Type, code, checksum and four type-specific octets precede the quote in
/// both versions.
const HEADER_LEN: usize = 8;

/// Protocols whose first four octets are source and destination port.
const TCP: u8 = 6;
const UDP: u8 = 17;
const DCCP: u8 = 33;
const UDP_LITE: u8 = 136;
const SCTP: u8 = 132;

pub(crate) fn dissect(protocol: u8, data: &[u8]) -> L4<'_> {
    let v6 = protocol == ICMP_V6;
    let (Some(&icmp_type), Some(&code)) = (data.first(), data.get(1)) else {
        return L4::Undecodable {
            reason: "truncated icmp header",
        };
    };
    let kind = match (v6, icmp_type) {
        (false, V4_UNREACHABLE) => Some(v4_kind(code)),
        (true, V6_UNREACHABLE) => Some(v6_kind(code)),
        _ => None,
    };
    let unreachable = kind.map(|kind| quoted(kind, data.get(HEADER_LEN..).unwrap_or_default()));
    L4::Icmp(IcmpInfo {
        v6,
        icmp_type,
        code,
        unreachable,
    })
}

/// ICMPv4 type 3 codes (RFC 792; 9, 10 from RFC 1122; 13 from RFC 1812).
fn v4_kind(code: u8) -> UnreachableKind {
    match code {
        0 => UnreachableKind::Net,
        1 => UnreachableKind::Host,
        2 => UnreachableKind::Protocol,
        3 => UnreachableKind::Port,
        9 | 10 | 13 => UnreachableKind::AdminProhibited,
        other => UnreachableKind::Other(other),
    }
}

/// ICMPv6 type 1 codes (RFC 4443 section 3.1): 0 no route, 1 prohibited,
/// 3 address unreachable, 4 port unreachable.
fn v6_kind(code: u8) -> UnreachableKind {
    match code {
        0 => UnreachableKind::Net,
        1 => UnreachableKind::AdminProhibited,
        3 => UnreachableKind::Host,
        4 => UnreachableKind::Port,
        other => UnreachableKind::Other(other),
    }
}

/// The quoted datagram: as much of the original as fits (at least the IP
/// header and 8 octets for ICMPv4, RFC 792), so its length fields usually
/// promise more than is there; the lax slice takes what is present.
fn quoted(kind: UnreachableKind, quote: &[u8]) -> Unreachable {
    let Ok((ip, _)) = LaxIpSlice::from_slice(quote) else {
        return Unreachable {
            kind,
            original_src: None,
            original_dst: None,
            original_protocol: None,
        };
    };
    let (protocol, ports_at) = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let header = v4.header();
            // Only the first fragment starts with the transport header.
            if header.fragments_offset().value() == 0 {
                (v4.payload().ip_number.0, Some(v4.payload().payload))
            } else {
                (header.protocol().0, None)
            }
        }
        LaxIpSlice::Ipv6(v6) => {
            let header = v6.header();
            let chain = quote.get(40..).unwrap_or_default();
            match ip::find_v6_fragment(header.next_header().0, chain) {
                Some(frag) => (
                    frag.next_header,
                    Some(frag.data).filter(|_| frag.offset == 0),
                ),
                None => (v6.payload().ip_number.0, Some(v6.payload().payload)),
            }
        }
    };
    let (src_port, dst_port) = match (protocol, ports_at) {
        (TCP | UDP | DCCP | UDP_LITE | SCTP, Some(at)) => ports(at).unwrap_or((0, 0)),
        _ => (0, 0),
    };
    Unreachable {
        kind,
        original_src: Some(SocketAddr::new(ip.source_addr(), src_port)),
        original_dst: Some(SocketAddr::new(ip.destination_addr(), dst_port)),
        original_protocol: Some(protocol),
    }
}

fn ports(data: &[u8]) -> Option<(u16, u16)> {
    let p: [u8; 4] = data.get(..4)?.try_into().ok()?;
    Some((
        u16::from_be_bytes([p[0], p[1]]),
        u16::from_be_bytes([p[2], p[3]]),
    ))
}
