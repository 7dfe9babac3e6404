use std::net::{IpAddr, SocketAddr};

use crate::decode::Pdu;
use crate::net::{IcmpInfo, IpInfo, SegmentKind};

use super::StreamKind;

/// The transport layer of a frame, as far as it could be read.
#[derive(Debug, Clone)]
pub enum Transport {
    Udp {
        src: SocketAddr,
        dst: SocketAddr,
        len: u32,
    },
    Tcp {
        src: SocketAddr,
        dst: SocketAddr,
        flags: u8,
        seq: u32,
        ack: u32,
        /// Payload bytes in this segment.
        len: u32,
        kind: SegmentKind,
        stream_id: u64,
        stream_kind: StreamKind,
        /// What decrypted TLS carries in this direction (SIP, WebSocket),
        /// when the stream's TLS was decrypted with a key log.
        decrypted: Option<StreamKind>,
    },
    Icmp(IcmpInfo),
    /// An IP fragment held for reassembly; the datagram shows on the frame
    /// whose fragment completes it, as in Wireshark.
    FragmentHeld {
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        offset: u32,
        more: bool,
    },
    OtherIp {
        protocol: u8,
    },
    NonIp {
        ether_type: u16,
    },
    UnsupportedLink {
        link_type: u32,
    },
    Undecodable {
        reason: &'static str,
    },
}

impl Transport {
    /// Source and destination, where the transport has ports.
    pub fn endpoints(&self) -> Option<(SocketAddr, SocketAddr)> {
        match self {
            Transport::Udp { src, dst, .. } | Transport::Tcp { src, dst, .. } => Some((*src, *dst)),
            _ => None,
        }
    }
}

/// One frame after decoding: what every layer said of it.
#[derive(Debug)]
pub struct DecodedFrame<'a> {
    pub number: u64,
    pub ts_ns: i64,
    pub link_type: u32,
    pub caplen: u32,
    pub orig_len: u32,
    pub vlan: Option<u16>,
    pub ip: Option<IpInfo>,
    pub transport: Transport,
    /// Set on the frame that completed an IP datagram: how many fragments
    /// it was rebuilt from.
    pub reassembled_fragments: Option<u32>,
    /// On that frame: the frames that held the datagram's other fragments
    /// (empty on every other frame; allocates nothing then).
    pub fragment_frames: Vec<u64>,
    /// The protocol messages in the frame, in order (several for SIP or
    /// STUN over TCP when one segment completes several messages).
    pub pdus: Pdus<'a>,
}

impl DecodedFrame<'_> {
    /// The frame could not be read below the application layer.
    pub fn undecodable_reason(&self) -> Option<&'static str> {
        match &self.transport {
            Transport::Undecodable { reason } => Some(reason),
            Transport::UnsupportedLink { .. } => Some("unsupported link type"),
            _ => None,
        }
    }
}

/// The messages of one frame. Nearly every frame holds one (an RTP packet,
/// a STUN message): it is kept inline, so decoding a frame allocates
/// nothing here. Reads as a slice.
#[derive(Debug, Default)]
pub enum Pdus<'a> {
    #[default]
    None,
    One(Pdu<'a>),
    Many(Vec<Pdu<'a>>),
}

impl<'a> Pdus<'a> {
    pub fn as_slice(&self) -> &[Pdu<'a>] {
        match self {
            Pdus::None => &[],
            Pdus::One(p) => std::slice::from_ref(p),
            Pdus::Many(v) => v,
        }
    }
}

impl<'a> std::ops::Deref for Pdus<'a> {
    type Target = [Pdu<'a>];

    fn deref(&self) -> &[Pdu<'a>] {
        self.as_slice()
    }
}

impl<'a, 'p> IntoIterator for &'p Pdus<'a> {
    type Item = &'p Pdu<'a>;
    type IntoIter = std::slice::Iter<'p, Pdu<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<'a> FromIterator<Pdu<'a>> for Pdus<'a> {
    fn from_iter<I: IntoIterator<Item = Pdu<'a>>>(iter: I) -> Self {
        let mut it = iter.into_iter();
        let Some(first) = it.next() else {
            return Pdus::None;
        };
        match it.next() {
            None => Pdus::One(first),
            Some(second) => {
                let mut v = vec![first, second];
                v.extend(it);
                Pdus::Many(v)
            }
        }
    }
}
