//! Demultiplexing a UDP payload (or one message framed out of a TCP stream)
//! into the protocol that carries it.
//!
//! RFC 7983 s7 splits the first byte into ranges: 0-3 STUN, 16-19 ZRTP,
//! 20-63 DTLS, 64-79 TURN ChannelData, 128-191 RTP/RTCP. Ports are not
//! trusted: WebRTC multiplexes everything on one port. SIP is text, and its
//! methods start with capital letters that fall in the ChannelData range
//! ('A' is 65), so the SIP start line is checked before ChannelData.

use super::{dtls, rtcp, rtp, sip, stun};
use crate::decode::Pdu;

/// TURN nests at most this deep (a ChannelData inside a Data indication is
/// already unusual); deeper nesting is not decoded again.
const MAX_DEPTH: u8 = 2;

/// Ports whose traffic is never taken for RTP even when its first byte
/// looks like RTP version 2: a DNS id or syslog priority can start with
/// 0x80..0xBF. (DNS, DHCP, NTP, NetBIOS, SNMP, syslog, SSDP, mDNS, LLMNR.)
const NOT_RTP_PORTS: [u16; 13] = [
    53, 67, 68, 123, 137, 138, 161, 162, 514, 1900, 5353, 5355, 443,
];

/// Decodes one datagram. `None` means no protocol of ours claims it.
pub fn decode_datagram(payload: &[u8], src_port: u16, dst_port: u16) -> Option<Pdu<'_>> {
    decode_at_depth(payload, src_port, dst_port, 0)
}

fn decode_at_depth(payload: &[u8], src_port: u16, dst_port: u16, depth: u8) -> Option<Pdu<'_>> {
    let first = *payload.first()?;
    match first {
        0..=3 => {
            if stun::looks_like_stun(payload) {
                return Some(match stun::parse_stun(payload) {
                    Ok(msg) => {
                        let inner = match (msg.data(), depth < MAX_DEPTH) {
                            (Some(data), true) => {
                                let peer_port =
                                    msg.xor_peer_address().map(|a| a.port()).unwrap_or(0);
                                decode_at_depth(data, peer_port, peer_port, depth + 1).map(Box::new)
                            }
                            _ => None,
                        };
                        Pdu::Stun { msg, inner }
                    }
                    Err(e) => Pdu::Malformed {
                        protocol: "stun",
                        reason: e.to_string(),
                    },
                });
            }
            None
        }
        20..=63 => {
            if dtls::looks_like_dtls(payload) {
                return Some(match dtls::parse_dtls_datagram(payload) {
                    Ok(d) => Pdu::Dtls(d),
                    Err(e) => Pdu::Malformed {
                        protocol: "dtls",
                        reason: e.to_string(),
                    },
                });
            }
            None
        }
        64..=127 => {
            if sip::looks_like_sip(payload) {
                return Some(decode_sip(payload));
            }
            {
                // RFC 7983 gives ChannelData 64..=79, but RFC 5766 allowed
                // channels up to 0x7FFF and coturn still binds them.
                if let Ok(cd) = stun::parse_channel_data(payload) {
                    // Over UDP the ChannelData length must fit the datagram
                    // (RFC 8656 s12.4); padding up to 3 bytes may follow.
                    let fits = payload.len() >= 4 + cd.length as usize
                        && payload.len() <= 4 + cd.length as usize + 3;
                    if fits {
                        let inner = if depth < MAX_DEPTH {
                            decode_at_depth(cd.data, 0, 0, depth + 1).map(Box::new)
                        } else {
                            None
                        };
                        return Some(Pdu::ChannelData { data: cd, inner });
                    }
                }
            }
            None
        }
        128..=191 => {
            if NOT_RTP_PORTS.contains(&src_port) || NOT_RTP_PORTS.contains(&dst_port) {
                return None;
            }
            if !rtp::looks_like_rtp_or_rtcp(payload) {
                return None;
            }
            if rtp::is_rtcp(payload) {
                match rtcp::parse_rtcp(payload) {
                    Ok(c) => Some(Pdu::Rtcp(c)),
                    Err(_) => None,
                }
            } else {
                match rtp::parse_rtp(payload) {
                    Ok(p) => Some(Pdu::Rtp(p)),
                    Err(_) => None,
                }
            }
        }
        _ => None,
    }
}

/// Decodes a SIP message (UDP datagram or one message framed out of TCP).
pub fn decode_sip(payload: &[u8]) -> Pdu<'_> {
    match sip::parse_sip(payload) {
        Ok(m) => {
            // Parsed here, on a decoding thread, not later by correlation.
            let _ = m.sdp();
            Pdu::Sip(Box::new(m))
        }
        Err(e) => Pdu::Malformed {
            protocol: "sip",
            reason: e.to_string(),
        },
    }
}

/// Decodes one TLS record framed out of a TCP stream.
pub fn decode_tls(record: &[u8]) -> Option<Pdu<'_>> {
    super::tls::parse_tls_record(record).ok().map(Pdu::Tls)
}
