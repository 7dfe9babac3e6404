//! Link layer: from a pcap link type down to an EtherType and its payload.
//!
//! Ethernet and 802.1Q tags go through etherparse's slices. Linux cooked
//! captures are read here: etherparse's SLL v1 slice refuses ARPHRD types it
//! does not list, and `tcpdump -i any` on loopback gives ARPHRD_LOOPBACK
//! (772); SLL2 it does not know at all. BSD loopback (NULL, LOOP) headers are
//! four bytes and read here too.

use etherparse::{Ethernet2Slice, SingleVlanSlice};

use super::{tunnel, L4};

/// pcap LINKTYPE_ values we read (<https://www.tcpdump.org/linktypes.html>).
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// Raw IP on BSDs and Linux where DLT_RAW is 12; files may carry the DLT.
    pub const RAW_DLT12: u32 = 12;
    /// Raw IP on OpenBSD, where DLT_RAW is 14.
    pub const RAW_DLT14: u32 = 14;
    /// Raw IP; the version nibble tells IPv4 from IPv6.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: u32 = 276;
    /// Linux netfilter log (NFLOG), `tcpdump -i nflog:N`.
    pub const NFLOG: u32 = 239;
    /// Not a pcap link type: a Network Monitor network type with no pcap
    /// equivalent is read as this plus the type, so that the report can
    /// name it (`NETMON_<n>`).
    pub const NETMON_NETWORK_BASE: u32 = 0x4e4d_0000;
    /// The same for snoop datalink types other than Ethernet (`SNOOP_<n>`).
    pub const SNOOP_DATALINK_BASE: u32 = 0x534e_0000;
}

/// The name libpcap's `pcap_datalink_val_to_name` gives a link type, or
/// `LINKTYPE_<n>` for one we do not name.
pub fn link_type_name(link_type: u32) -> String {
    let name = match link_type {
        linktype::NULL => "NULL",
        linktype::ETHERNET => "EN10MB",
        9 => "PPP",
        linktype::RAW_DLT12 | linktype::RAW_DLT14 | linktype::RAW => "RAW",
        50 => "PPP_SERIAL",
        51 => "PPP_ETHER",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        linktype::LOOP => "LOOP",
        linktype::LINUX_SLL => "LINUX_SLL",
        127 => "IEEE802_11_RADIO",
        linktype::IPV4 => "IPV4",
        linktype::IPV6 => "IPV6",
        linktype::NFLOG => "NFLOG",
        linktype::LINUX_SLL2 => "LINUX_SLL2",
        other => {
            // Types of other file formats with no pcap equivalent.
            for (base, family) in [
                (linktype::NETMON_NETWORK_BASE, "NETMON"),
                (linktype::SNOOP_DATALINK_BASE, "SNOOP"),
            ] {
                if (base..=base + 0xffff).contains(&other) {
                    return format!("{family}_{}", other - base);
                }
            }
            return format!("LINKTYPE_{other}");
        }
    };
    name.to_string()
}

/// EtherTypes we look at (IEEE registry).
pub(crate) mod ether_type {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ outer tag still seen in the field.
    pub const QINQ_OLD: u16 = 0x9100;
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// Transparent Ethernet bridging, as carried by GRE.
    pub const ETHERNET_BRIDGING: u16 = 0x6558;
    /// PPP, as carried by enhanced GRE (RFC 2637).
    pub const PPP: u16 = 0x880b;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// ERSPAN types I and II, as GRE protocol types.
    pub const ERSPAN_II: u16 = 0x88be;
    pub const ERSPAN_III: u16 = 0x22eb;
}

/// Linux ARPHRD_ values that change how the cooked header's protocol field
/// reads (`include/uapi/linux/if_arp.h`).
mod arphrd {
    /// The protocol field is a netlink family, not an EtherType.
    pub const NETLINK: u16 = 824;
}

/// Address families in NULL/LOOP headers: AF_INET is 2 everywhere; AF_INET6
/// is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
fn af_to_ether_type(af: u32) -> Option<u16> {
    match af {
        2 => Some(ether_type::IPV4),
        24 | 28 | 30 => Some(ether_type::IPV6),
        _ => None,
    }
}

/// Tags and encapsulations below the link header are followed at most this
/// many times (a QinQ frame has two tags; PPPoE adds one step).
const MAX_LINK_STEPS: usize = 8;

/// What the link layer leaves for the network layer.
pub(crate) struct Link<'a> {
    pub vlan: Option<u16>,
    /// The EtherType and its payload, or what stopped us.
    pub next: Result<(u16, &'a [u8]), L4<'a>>,
}

pub(crate) fn split(link_type: u32, data: &[u8]) -> Link<'_> {
    let mut vlan = None;
    let next = match link_type {
        linktype::ETHERNET => ethernet(data, &mut vlan),
        linktype::LINUX_SLL => sll(data, &mut vlan),
        linktype::LINUX_SLL2 => sll2(data, &mut vlan),
        linktype::RAW
        | linktype::RAW_DLT12
        | linktype::RAW_DLT14
        | linktype::IPV4
        | linktype::IPV6 => raw_ip(data),
        linktype::NULL => {
            let raw = first4(data);
            match raw {
                // The family is in the writer's byte order, which the file
                // does not record: try both.
                Some(raw) => af_to_ether_type(u32::from_le_bytes(raw))
                    .or_else(|| af_to_ether_type(u32::from_be_bytes(raw)))
                    .map(|et| (et, data.get(4..).unwrap_or_default()))
                    .ok_or(undecodable("unknown loopback address family")),
                None => Err(undecodable("truncated loopback header")),
            }
        }
        linktype::NFLOG => tunnel::nflog(data),
        linktype::LOOP => match first4(data) {
            Some(raw) => af_to_ether_type(u32::from_be_bytes(raw))
                .map(|et| (et, data.get(4..).unwrap_or_default()))
                .ok_or(undecodable("unknown loopback address family")),
            None => Err(undecodable("truncated loopback header")),
        },
        other => Err(L4::UnsupportedLink { link_type: other }),
    };
    Link { vlan, next }
}

fn undecodable(reason: &'static str) -> L4<'static> {
    L4::Undecodable { reason }
}

fn first4(data: &[u8]) -> Option<[u8; 4]> {
    data.get(..4).and_then(|b| b.try_into().ok())
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_be_bytes)
}

/// An Ethernet II frame (no FCS: pcap files normally strip it).
pub(crate) fn ethernet<'a>(
    data: &'a [u8],
    vlan: &mut Option<u16>,
) -> Result<(u16, &'a [u8]), L4<'a>> {
    let eth = Ethernet2Slice::from_slice_without_fcs(data)
        .map_err(|_| undecodable("truncated ethernet header"))?;
    walk(eth.ether_type().0, eth.payload_slice(), vlan)
}

/// Raw IP: the version nibble decides.
fn raw_ip(data: &[u8]) -> Result<(u16, &[u8]), L4<'_>> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok((ether_type::IPV4, data)),
        Some(6) => Ok((ether_type::IPV6, data)),
        Some(_) => Err(undecodable("unknown ip version in raw ip frame")),
        None => Err(undecodable("zero-length frame")),
    }
}

/// Linux cooked v1: packet type (2), ARPHRD type (2), address length (2),
/// address (8), protocol (2). Layout per libpcap's `sll.h`.
fn sll<'a>(data: &'a [u8], vlan: &mut Option<u16>) -> Result<(u16, &'a [u8]), L4<'a>> {
    const LEN: usize = 16;
    let (Some(hatype), Some(protocol), Some(payload)) =
        (be16(data, 2), be16(data, 14), data.get(LEN..))
    else {
        return Err(undecodable("truncated linux cooked header"));
    };
    cooked(hatype, protocol, payload, vlan)
}

/// Linux cooked v2: protocol (2), reserved (2), interface index (4), ARPHRD
/// type (2), packet type (1), address length (1), address (8).
fn sll2<'a>(data: &'a [u8], vlan: &mut Option<u16>) -> Result<(u16, &'a [u8]), L4<'a>> {
    const LEN: usize = 20;
    let (Some(protocol), Some(hatype), Some(payload)) =
        (be16(data, 0), be16(data, 8), data.get(LEN..))
    else {
        return Err(undecodable("truncated linux cooked v2 header"));
    };
    cooked(hatype, protocol, payload, vlan)
}

/// The protocol field of a cooked header is an EtherType, except for netlink
/// captures and the small LINUX_SLL_P_* values (below 0x0600, e.g. 802.2
/// LLC), which are reported as they are.
fn cooked<'a>(
    hatype: u16,
    protocol: u16,
    payload: &'a [u8],
    vlan: &mut Option<u16>,
) -> Result<(u16, &'a [u8]), L4<'a>> {
    if hatype == arphrd::NETLINK {
        return Err(L4::NonIp {
            ether_type: protocol,
        });
    }
    walk(protocol, payload, vlan)
}

/// Follows VLAN tags and PPPoE session headers until an EtherType that is
/// not one of them. Records the outermost VLAN id.
pub(crate) fn walk<'a>(
    mut ether_type: u16,
    mut payload: &'a [u8],
    vlan: &mut Option<u16>,
) -> Result<(u16, &'a [u8]), L4<'a>> {
    for _ in 0..MAX_LINK_STEPS {
        match ether_type {
            ether_type::VLAN | ether_type::QINQ | ether_type::QINQ_OLD => {
                let tag = SingleVlanSlice::from_slice(payload)
                    .map_err(|_| undecodable("truncated vlan tag"))?;
                vlan.get_or_insert(tag.vlan_identifier().value());
                ether_type = tag.ether_type().0;
                payload = tag.payload_slice();
            }
            ether_type::PPPOE_SESSION => match tunnel::pppoe_session(payload)? {
                Some(inner) => (ether_type, payload) = inner,
                None => return Err(L4::NonIp { ether_type }),
            },
            ether_type::MPLS_UNICAST | ether_type::MPLS_MULTICAST => {
                match tunnel::mpls(payload)? {
                    // An Ethernet pseudowire: its own tags do not replace
                    // the outer frame's.
                    Some((ether_type::ETHERNET_BRIDGING, frame)) => {
                        return ethernet(frame, &mut None)
                    }
                    Some(inner) => (ether_type, payload) = inner,
                    None => return Err(L4::NonIp { ether_type }),
                }
            }
            _ => return Ok((ether_type, payload)),
        }
    }
    Err(undecodable("too many link-layer tags"))
}
