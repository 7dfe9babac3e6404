//! Network layer: IPv4 and IPv6 headers (etherparse's lax slices, so a frame
//! cut by the snap length still yields its addresses), fragments, and
//! tunnels (IP-in-IP, IPv6-in-IP, GRE) opened so the innermost header is the
//! one reported.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::err::ip::LaxHeaderSliceError;
use etherparse::{LaxIpSlice, LaxIpv4Slice, LaxIpv6Slice};

use super::link::{self, ether_type};
use super::{transport, tunnel, IpFragment, IpInfo, L4};

/// IP protocol numbers (IANA) this layer acts on.
pub(crate) mod proto {
    pub const IPIP: u8 = 4;
    pub const IPV6_IN_IP: u8 = 41;
    pub const GRE: u8 = 47;
    pub const IPV6_HOP_BY_HOP: u8 = 0;
    pub const IPV6_ROUTE: u8 = 43;
    pub const IPV6_FRAG: u8 = 44;
    pub const AUTH: u8 = 51;
    pub const IPV6_DEST_OPTS: u8 = 60;
    pub const MOBILITY: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
    pub const EXPERIMENT1: u8 = 253;
    pub const EXPERIMENT2: u8 = 254;
}

/// Tunnels are opened at most this deep; deeper nesting is reported as the
/// tunnel protocol. Bounds the recursion on hostile input.
const MAX_TUNNEL_DEPTH: u8 = 4;

/// More IPv6 extension headers than this in one chain is not a real packet.
const MAX_V6_EXTENSIONS: usize = 16;

const IPV6_HEADER_LEN: usize = 40;

fn undecodable(reason: &'static str) -> L4<'static> {
    L4::Undecodable { reason }
}

/// Dispatches on the EtherType left by the link layer.
pub(crate) fn dissect_network(
    ether_type: u16,
    payload: &[u8],
    depth: u8,
) -> (Option<IpInfo>, L4<'_>) {
    match ether_type {
        ether_type::IPV4 | ether_type::IPV6 => dissect_ip(payload, depth),
        _ => (None, L4::NonIp { ether_type }),
    }
}

/// One IP packet (either version: the version nibble decides).
pub(crate) fn dissect_ip(data: &[u8], depth: u8) -> (Option<IpInfo>, L4<'_>) {
    match plain_ipv4(data) {
        Some((info, payload)) => ip_payload(info, payload, depth),
        None => dissect_ip_lax(data, depth),
    }
}

/// The common case read directly: an IPv4 header of 20 bytes (no
/// options), not a fragment, whose total length fits the frame. Nearly
/// every packet of a call is one, and reading it here costs a third of
/// etherparse's general slice, which stays the reader of everything else
/// (and gives the same answer on these: a property test holds the two
/// equal).
fn plain_ipv4(data: &[u8]) -> Option<(IpInfo, &[u8])> {
    let h: &[u8; 20] = data.get(..20)?.try_into().ok()?;
    if h[0] != 0x45 {
        return None;
    }
    let total_len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    // MF clear and offset zero (RFC 791 section 3.1); DF may be set.
    let fragmenting = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
    if fragmenting || total_len < 20 || total_len > data.len() {
        return None;
    }
    let info = IpInfo {
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        protocol: h[9],
        ttl: h[8],
        truncated: false,
    };
    Some((info, data.get(20..total_len)?))
}

/// Any IP packet, through etherparse's lax slices.
pub(crate) fn dissect_ip_lax(data: &[u8], depth: u8) -> (Option<IpInfo>, L4<'_>) {
    let (ip, ext_error) = match LaxIpSlice::from_slice(data) {
        Ok(ok) => ok,
        Err(LaxHeaderSliceError::Len(_)) => return (None, undecodable("truncated ip header")),
        Err(LaxHeaderSliceError::Content(_)) => return (None, undecodable("invalid ip header")),
    };
    let payload = ip.payload();
    let mut info = IpInfo {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        protocol: payload.ip_number.0,
        ttl: 0,
        truncated: payload.incomplete,
    };
    let fragment = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            info.ttl = v4.header().ttl();
            v4_fragment(v4, data, &info)
        }
        LaxIpSlice::Ipv6(v6) => {
            info.ttl = v6.header().hop_limit();
            v6_fragment(v6, data, &info)
        }
    };
    if let Some(fragment) = fragment {
        info.protocol = fragment.protocol;
        // A fragment cut by the snap length would hand the reassembler a
        // short piece and, if it is the last one, a wrong datagram length.
        if info.truncated {
            return (Some(info), undecodable("truncated ip fragment"));
        }
        return (Some(info), L4::Fragment(fragment));
    }
    if ext_error.is_some() {
        return (Some(info), undecodable("truncated ip extension header"));
    }
    ip_payload(info, payload.payload, depth)
}

/// The IPv4 header marks a fragment (MF set or a non-zero offset, RFC 791
/// section 3.1). The fragment is the bytes after the IPv4 header, whatever
/// they look like: only the first fragment holds an AH or transport header.
fn v4_fragment<'a>(v4: &LaxIpv4Slice<'_>, data: &'a [u8], info: &IpInfo) -> Option<IpFragment<'a>> {
    let header = v4.header();
    if !header.is_fragmenting_payload() {
        return None;
    }
    let header_len = header.slice().len();
    let total_len = usize::from(header.total_len());
    // Same lax rule as etherparse: trust the total length only when it fits
    // the frame and covers the header.
    let end = if total_len >= header_len && total_len <= data.len() {
        total_len
    } else {
        data.len()
    };
    Some(IpFragment {
        src: info.src,
        dst: info.dst,
        id: u32::from(header.identification()),
        protocol: header.protocol().0,
        offset: u32::from(header.fragments_offset().byte_offset()),
        more: header.more_fragments(),
        payload: data.get(header_len..end).unwrap_or_default(),
    })
}

/// The IPv6 packet has a Fragment header that fragments (RFC 8200 section
/// 4.5; an atomic fragment, offset 0 and M clear, is a whole packet).
fn v6_fragment<'a>(v6: &LaxIpv6Slice<'_>, data: &'a [u8], info: &IpInfo) -> Option<IpFragment<'a>> {
    if !v6.is_payload_fragmented() {
        return None;
    }
    let header = v6.header();
    let payload_len = usize::from(header.payload_length());
    let end = if payload_len == 0 {
        data.len()
    } else {
        (IPV6_HEADER_LEN + payload_len).min(data.len())
    };
    let chain = data.get(IPV6_HEADER_LEN..end)?;
    let frag = find_v6_fragment(header.next_header().0, chain)?;
    Some(IpFragment {
        src: info.src,
        dst: info.dst,
        id: frag.id,
        protocol: frag.next_header,
        offset: frag.offset,
        more: frag.more,
        payload: frag.data,
    })
}

/// What an IPv6 Fragment header says, and the fragment bytes after it.
pub(crate) struct V6Fragment<'a> {
    pub id: u32,
    pub offset: u32,
    pub more: bool,
    pub next_header: u8,
    pub data: &'a [u8],
}

/// Walks an IPv6 extension chain (RFC 8200 section 4) up to its Fragment
/// header. Written here rather than iterating etherparse's extension slice:
/// that iterator re-reads headers without length checks and must not see a
/// chain cut short.
pub(crate) fn find_v6_fragment(mut next: u8, mut rest: &[u8]) -> Option<V6Fragment<'_>> {
    for _ in 0..MAX_V6_EXTENSIONS {
        let len = match next {
            proto::IPV6_FRAG => {
                // Next Header, reserved, offset (13 bits) + 2 reserved + M,
                // identification (32 bits).
                let h: [u8; 8] = rest.get(..8)?.try_into().ok()?;
                let offset_flags = u16::from_be_bytes([h[2], h[3]]);
                return Some(V6Fragment {
                    id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    offset: u32::from(offset_flags >> 3) * 8,
                    more: offset_flags & 1 == 1,
                    next_header: h[0],
                    data: rest.get(8..)?,
                });
            }
            // Length in 4-octet units, not counting the first two (RFC 4302
            // section 2.2).
            proto::AUTH => (usize::from(*rest.get(1)?) + 2) * 4,
            proto::IPV6_HOP_BY_HOP
            | proto::IPV6_ROUTE
            | proto::IPV6_DEST_OPTS
            | proto::MOBILITY
            | proto::HIP
            | proto::SHIM6
            | proto::EXPERIMENT1
            | proto::EXPERIMENT2 => (usize::from(*rest.get(1)?) + 1) * 8,
            _ => return None,
        };
        next = *rest.first()?;
        rest = rest.get(len..)?;
    }
    None
}

/// The payload of an IP packet that is not a fragment: open tunnels, else
/// hand over to the transport layer.
fn ip_payload(info: IpInfo, payload: &[u8], depth: u8) -> (Option<IpInfo>, L4<'_>) {
    let inner = match info.protocol {
        proto::IPIP | proto::IPV6_IN_IP if depth < MAX_TUNNEL_DEPTH => Some(Ok(payload)),
        proto::GRE if depth < MAX_TUNNEL_DEPTH => match gre_inner(payload) {
            Ok(Some(inner)) => Some(Ok(inner)),
            Ok(None) => None,
            Err(l4) => Some(Err(l4)),
        },
        _ => None,
    };
    match inner {
        None => {
            let l4 = transport::dissect_l4(info.protocol, info.src, info.dst, payload);
            if let L4::Udp {
                src_port,
                dst_port,
                payload: udp,
            } = &l4
            {
                let on = |port: u16| *src_port == port || *dst_port == port;
                let inner = if depth >= MAX_TUNNEL_DEPTH {
                    None
                } else if on(tunnel::GTP_U_PORT) {
                    tunnel::gtp_u(udp)
                } else if on(tunnel::VXLAN_PORT) {
                    tunnel::vxlan(udp).and_then(ethernet_ip)
                } else if on(tunnel::GENEVE_PORT) {
                    match tunnel::geneve(udp) {
                        Some((ether_type::ETHERNET_BRIDGING, frame)) => ethernet_ip(frame),
                        Some((ether_type::IPV4 | ether_type::IPV6, packet)) => Some(packet),
                        _ => None,
                    }
                } else {
                    None
                };
                // A UDP tunnel whose inner packet cannot be read stays
                // what it looked like: UDP between the tunnel's ends.
                if let Some(inner) = inner {
                    if let (Some(inner_info), inner_l4) = dissect_ip(inner, depth + 1) {
                        return (Some(inner_info), inner_l4);
                    }
                }
            }
            (Some(info), l4)
        }
        Some(Err(l4)) => (Some(info), l4),
        Some(Ok(inner)) => match dissect_ip(inner, depth + 1) {
            (Some(mut inner_info), l4) => {
                inner_info.truncated |= info.truncated;
                (Some(inner_info), l4)
            }
            // The inner header is unreadable: keep the outer addresses.
            (None, l4) => (Some(info), l4),
        },
    }
}

/// The IP packet in an Ethernet frame carried by a tunnel (VXLAN, Geneve),
/// if it holds one. Its own VLAN tags do not replace the outer frame's.
fn ethernet_ip(frame: &[u8]) -> Option<&[u8]> {
    match link::ethernet(frame, &mut None) {
        Ok((ether_type::IPV4 | ether_type::IPV6, packet)) => Some(packet),
        _ => None,
    }
}

/// The IP packet a GRE header carries, if it carries one.
fn gre_inner(payload: &[u8]) -> Result<Option<&[u8]>, L4<'_>> {
    // The S bit (RFC 2890 s2): ERSPAN type II has it, type I not.
    let sequence = payload.first().is_some_and(|b| b & 0x10 != 0);
    let Some((protocol, inner)) = tunnel::gre(payload)? else {
        return Ok(None);
    };
    let (protocol, inner) = match protocol {
        // Bridged Ethernet (e.g. NVGRE) and ERSPAN mirrors: the frame's
        // own VLAN tags do not replace the outer frame's.
        ether_type::ETHERNET_BRIDGING => link::ethernet(inner, &mut None)?,
        ether_type::ERSPAN_II | ether_type::ERSPAN_III => {
            match tunnel::erspan(protocol, sequence, inner) {
                Some(frame) => link::ethernet(frame, &mut None)?,
                None => {
                    return Err(L4::Undecodable {
                        reason: "truncated erspan header",
                    })
                }
            }
        }
        _ => (protocol, inner),
    };
    Ok(match protocol {
        ether_type::IPV4 | ether_type::IPV6 => Some(inner),
        _ => None,
    })
}
