//! Capture sources: where frames come from. Offline files are read in pure
//! Rust (pcap and pcapng, optionally gzip-compressed, or standard input);
//! live capture sits behind the `live` feature.

mod blocks;
mod error;
mod frame;
#[cfg(feature = "live")]
pub mod live;
mod netmon;
mod reader;
mod ring;
mod snoop;
mod writer;

pub use error::{CaptureError, CaptureErrorKind};
pub use frame::{epoch_seconds, range_within, FrameBatch, FrameMeta, RawFrame};
pub use reader::{CaptureFormat, CaptureInfo, CaptureReader};
pub use ring::{PcapngRing, RingError, RingFile, RingOptions};
pub use writer::{InterfaceCounters, InterfaceDesc, PcapngWriter};

/// The capture filter `live` uses unless told otherwise: what a call
/// travels on. SIP, STUN/TURN, DTLS and RTP all use UDP on ports chosen at
/// run time, so every UDP datagram (IPv4 and IPv6, and IPv6 fragments,
/// whose next header is the fragment header); SIP and TURN over TCP and
/// TLS, and signalling over 443 (WebSocket); ICMP, which says a port or
/// host is unreachable; and the same inside a VLAN tag.
pub const DEFAULT_LIVE_FILTER: &str = "udp or icmp or icmp6 or (ip6 and ip6[6] == 44) \
     or tcp port (5060 or 5061 or 443 or 80 or 8080 or 8443 or 3478 or 5349) \
     or (vlan and (udp or icmp or tcp port (5060 or 5061 or 443)))";

/// [`DEFAULT_LIVE_FILTER`] without its VLAN part, for links that carry no
/// VLAN tags and where libpcap refuses `vlan` (Linux's `any` device).
pub const DEFAULT_LIVE_FILTER_NO_VLAN: &str = "udp or icmp or icmp6 or (ip6 and ip6[6] == 44) \
     or tcp port (5060 or 5061 or 443 or 80 or 8080 or 8443 or 3478 or 5349)";

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_filter_without_vlan_is_its_first_part() {
        assert!(super::DEFAULT_LIVE_FILTER.starts_with(super::DEFAULT_LIVE_FILTER_NO_VLAN));
    }
}
