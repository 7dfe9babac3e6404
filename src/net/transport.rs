//! Transport layer of one IP payload: UDP, TCP, ICMP (see `icmp`), anything
//! else by protocol number. Used on each frame and on reassembled datagrams.

use std::net::IpAddr;

use etherparse::err::tcp::HeaderSliceError;
use etherparse::{IpNumber, Ipv6ExtensionsSlice, TcpSlice, UdpSlice};

use super::ip::proto;
use super::{icmp, TcpSegment, L4};

const UDP: u8 = 17;
const TCP: u8 = 6;

fn undecodable(reason: &'static str) -> L4<'static> {
    L4::Undecodable { reason }
}

/// Dissects the transport layer of a reassembled datagram (or any IP
/// payload). `protocol` is the IP protocol number; for IPv6 it may name an
/// extension header (the part of the chain after a Fragment header travels
/// inside the fragments, RFC 8200 section 4.5), which is skipped here.
/// Tunnel protocols are not opened: they come back as [`L4::OtherIp`].
pub fn dissect_l4(protocol: u8, src: IpAddr, _dst: IpAddr, ip_payload: &[u8]) -> L4<'_> {
    match protocol {
        UDP => udp(ip_payload),
        TCP => tcp(ip_payload),
        icmp::ICMP_V4 | icmp::ICMP_V6 => icmp::dissect(protocol, ip_payload),
        proto::IPV6_HOP_BY_HOP
        | proto::IPV6_ROUTE
        | proto::IPV6_DEST_OPTS
        | proto::AUTH
        | proto::IPV6_FRAG
            if src.is_ipv6() =>
        {
            let (_, next, rest, error) =
                Ipv6ExtensionsSlice::from_slice_lax(IpNumber(protocol), ip_payload);
            if error.is_some() {
                return undecodable("truncated ip extension header");
            }
            match next.0 {
                // The walk stops only at a non-extension header, so this
                // cannot recurse more than once.
                proto::IPV6_HOP_BY_HOP
                | proto::IPV6_ROUTE
                | proto::IPV6_DEST_OPTS
                | proto::AUTH
                | proto::IPV6_FRAG => L4::OtherIp { protocol: next.0 },
                next => dissect_l4(next, src, _dst, rest),
            }
        }
        protocol => L4::OtherIp { protocol },
    }
}

/// UDP (RFC 768). The length field bounds the payload when it fits the
/// frame; a frame cut short keeps the bytes it has.
fn udp(data: &[u8]) -> L4<'_> {
    match UdpSlice::from_slice_lax(data) {
        Ok(udp) => L4::Udp {
            src_port: udp.source_port(),
            dst_port: udp.destination_port(),
            payload: udp.payload(),
        },
        Err(_) => undecodable("truncated udp header"),
    }
}

/// TCP (RFC 9293 section 3.1). The payload is what follows the header and
/// its options, up to the end of the IP payload.
fn tcp(data: &[u8]) -> L4<'_> {
    match TcpSlice::from_slice(data) {
        Ok(tcp) => L4::Tcp(TcpSegment {
            src_port: tcp.source_port(),
            dst_port: tcp.destination_port(),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            // Octet 13 holds CWR ECE URG ACK PSH RST SYN FIN, high to low.
            flags: tcp.header_slice().get(13).copied().unwrap_or(0),
            window: tcp.window_size(),
            payload: tcp.payload(),
        }),
        Err(HeaderSliceError::Len(_)) => undecodable("truncated tcp header"),
        Err(HeaderSliceError::Content(_)) => undecodable("invalid tcp data offset"),
    }
}
