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

/// The filter of calls without VLAN tags; see [`DEFAULT_LIVE_FILTER`].
macro_rules! call_filter {
    () => {
        "udp or icmp or icmp6 or (ip6 and ip6[6] == 44) \
         or tcp portrange 5060-5090 \
         or tcp port (443 or 80 or 8080 or 8443 or 7443 or 8088 or 8089 or 3478 or 5349)"
    };
}

/// The capture filter `live` uses unless told otherwise: what a call
/// travels on. SIP, STUN/TURN, DTLS and RTP all use UDP on ports chosen at
/// run time, so every UDP datagram (IPv4 and IPv6, and IPv6 fragments,
/// whose next header is the fragment header); ICMP, which says a port or
/// host is unreachable; SIP over TCP and TLS (5060-5090: 5060, 5061, and
/// the 5080/5081 of many PBX profiles), signalling over WebSocket (443,
/// 80, 8080, 8443; 7443 and 8088/8089 of common PBXs), TURN over TCP and
/// TLS (3478, 5349); and the same inside a VLAN tag.
pub const DEFAULT_LIVE_FILTER: &str =
    concat!(call_filter!(), " or (vlan and (", call_filter!(), "))");

/// [`DEFAULT_LIVE_FILTER`] without its VLAN part, for links that carry no
/// VLAN tags and where libpcap refuses `vlan` (Linux's `any` device).
pub const DEFAULT_LIVE_FILTER_NO_VLAN: &str = call_filter!();

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_filter_without_vlan_is_its_first_part() {
        assert!(super::DEFAULT_LIVE_FILTER.starts_with(super::DEFAULT_LIVE_FILTER_NO_VLAN));
    }
}
