//! Link, IP and transport layers: stateless dissection of one frame, plus the
//! stateful parts (IP fragment and TCP stream reassembly), each bounded.
//!
//! [`dissect`] is the hot path: it runs once per frame, borrows everything
//! from the frame and allocates nothing. It never panics: a frame that stops
//! early (zero length, cut by the snap length, a header shorter than its own
//! length field says) yields what it holds, with [`IpInfo::truncated`] set or
//! an [`L4::Undecodable`] naming the layer that was cut.
//!
//! What needs state lives apart: [`FragmentReassembler`] rebuilds IP
//! datagrams from [`L4::Fragment`]s, [`TcpReassembler`] orders the bytes of
//! each TCP direction. Both run on capture time, never the wall clock, and
//! both are bounded in memory and table size.
//!
//! One file per concern: `link` (link types down to an EtherType), `tunnel`
//! (PPP and GRE headers), `ip` (IPv4/IPv6 headers, fragments, IP-in-IP),
//! `transport` (UDP and TCP headers), `icmp` (ICMP errors and the datagram
//! they quote), `fragment` and `tcp` (the two reassemblers).

mod fragment;
mod icmp;
mod ip;
mod link;
mod tcp;
mod transport;
mod tunnel;

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod test_pcap;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

pub use fragment::{FragmentLimits, FragmentReassembler, FragmentStats, ReassembledDatagram};
pub use link::{link_type_name, linktype};
pub use tcp::{SegmentKind, TcpDelivery, TcpLimits, TcpReassembler, TcpStats};
pub use transport::dissect_l4;

/// One frame taken apart down to the transport layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dissected<'a> {
    /// Outermost 802.1Q / 802.1ad VLAN id, if the frame was tagged.
    pub vlan: Option<u16>,
    /// The IP header that carries `l4`. For IP-in-IP and GRE tunnels this is
    /// the innermost header, so addresses match the transport ports.
    pub ip: Option<IpInfo>,
    pub l4: L4<'a>,
}

/// What the IP header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IpInfo {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol after any IPv6 extension headers.
    pub protocol: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// The frame ends before the length the IP header announces (snap length,
    /// or a lying length field): payloads are whatever was captured.
    pub truncated: bool,
}

/// The transport layer of a frame, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L4<'a> {
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    Tcp(TcpSegment<'a>),
    Icmp(IcmpInfo),
    /// An IPv4 or IPv6 fragment that needs reassembly.
    Fragment(IpFragment<'a>),
    OtherIp {
        protocol: u8,
    },
    NonIp {
        ether_type: u16,
    },
    UnsupportedLink {
        link_type: u32,
    },
    /// The frame could not be taken apart; `reason` names the layer, e.g.
    /// "truncated ethernet header", "zero-length frame".
    Undecodable {
        reason: &'static str,
    },
}

/// One TCP segment as seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// The TCP flags octet: FIN=1 SYN=2 RST=4 PSH=8 ACK=16 (URG=32 ECE=64 CWR=128).
    pub flags: u8,
    pub window: u16,
    pub payload: &'a [u8],
}

/// Bits of [`TcpSegment::flags`] (RFC 9293 section 3.1).
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// An ICMP or ICMPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IcmpInfo {
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// Set for ICMPv4 type 3 and ICMPv6 type 1 (destination unreachable).
    pub unreachable: Option<Unreachable>,
}

/// A destination-unreachable error and the datagram it quotes: evidence that
/// nothing listened at `original_dst` (port unreachable) or that a filter
/// stood in the way (administratively prohibited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Unreachable {
    pub kind: UnreachableKind,
    /// Source of the quoted datagram. The port is 0 when the quoted protocol
    /// has no ports or the quote stops before them; `None` when the quoted IP
    /// header itself is missing or cut.
    pub original_src: Option<SocketAddr>,
    pub original_dst: Option<SocketAddr>,
    pub original_protocol: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UnreachableKind {
    Net,
    Host,
    Protocol,
    Port,
    AdminProhibited,
    /// Any other code, as sent.
    Other(u8),
}

/// One fragment of an IP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpFragment<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Upper-layer protocol of the whole datagram. For IPv6 this is the Next
    /// Header of the Fragment header, which may be another extension header.
    pub protocol: u8,
    /// Offset of `payload` in the datagram's IP payload, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    pub payload: &'a [u8],
}

/// Takes one frame apart, from the link layer named by `link_type` (a pcap
/// LINKTYPE_ value) down to the transport layer. Allocation-free.
pub fn dissect(link_type: u32, data: &[u8]) -> Dissected<'_> {
    if data.is_empty() {
        return Dissected {
            vlan: None,
            ip: None,
            l4: L4::Undecodable {
                reason: "zero-length frame",
            },
        };
    }
    let link = link::split(link_type, data);
    let (ip, l4) = match link.next {
        Ok((ether_type, payload)) => ip::dissect_network(ether_type, payload, 0),
        Err(l4) => (None, l4),
    };
    Dissected {
        vlan: link.vlan,
        ip,
        l4,
    }
}
