//! The JSON form of decoded messages in `callscope packets --format json`:
//! one object per message, with byte strings as hex or text and numbers
//! given their names next to them.
//!
//! Built as `serde_json::Value`s here rather than derived with serde on the
//! decoder types, so that `decode` stays free of serde; serde_json's maps
//! sort their keys, so the printed objects are the same either way.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::decode::dtls::{
    alert_description_name, alert_level_name, certificate_sha256_fingerprint, content_type_name,
    handshake_type_name, ClientHello, DtlsDatagram, DtlsRecord, DtlsRecordBody, Extension,
    HandshakeFragment, HandshakeMessage, ServerHello, UnifiedHeader, UseSrtp,
};
use crate::decode::rtcp::{ReportBlock, RtcpCompound, RtcpPacket, SdesChunk};
use crate::decode::rtp::RtpPacket;
use crate::decode::sdp::{Fingerprint, IceCandidate, MediaDescription, RtpMap, SessionDescription};
use crate::decode::sip::SipMessage;
use crate::decode::stun::{
    attr, attribute_name, ChannelData, StunAttribute, StunClass, StunMessage,
};
use crate::decode::tls::TlsRecord;

use super::summary::dtls_version_text;

/// The JSON object of a decoded message.
pub trait PacketJson {
    fn packet_json(&self) -> Value;
}

/// Bytes as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes that are text on the wire, as lossy UTF-8.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// --------------------------------------------------------------------------
// SIP and SDP
// --------------------------------------------------------------------------

impl PacketJson for SipMessage<'_> {
    /// The start line split out, the headers callscope uses, the full header
    /// list, the body length and the decoded SDP.
    fn packet_json(&self) -> Value {
        json!({
            "kind": if self.is_request() { "request" } else { "response" },
            "method": self.method(),
            "uri": self.uri(),
            "status": self.status(),
            "reason_phrase": self.reason_phrase(),
            "call_id": self.call_id(),
            "cseq": self.cseq().map(|(seq, method)| json!({"seq": seq, "method": method})),
            "from": self.from_uri(),
            "to": self.to_uri(),
            "from_tag": self.from_tag(),
            "to_tag": self.to_tag(),
            "via_branch": self.via_branch(),
            "contact": self.contact(),
            "content_type": self.content_type(),
            "content_length": self.content_length(),
            "reason": self.reason(),
            "warning": self.warning(),
            "headers": self
                .headers
                .iter()
                .map(|h| json!({"name": h.name, "value": h.value}))
                .collect::<Vec<_>>(),
            "body_len": self.body.len(),
            "malformed": self.malformed,
            "sdp": self.sdp().map(|sdp| sdp.packet_json()),
        })
    }
}

impl PacketJson for SessionDescription {
    fn packet_json(&self) -> Value {
        json!({
            "origin": self.origin,
            "session_name": self.session_name,
            "connection": self.connection.map(|ip| ip.to_string()),
            "ice_ufrag": self.ice_ufrag,
            "ice_pwd": self.ice_pwd,
            "ice_lite": self.ice_lite,
            "fingerprint": self.fingerprint.as_ref().map(fingerprint_json),
            "setup": self.setup,
            "direction": self.direction.map(|d| d.as_str()),
            "media": self.media.iter().map(media_json).collect::<Vec<_>>(),
            "malformed_lines": self.malformed_lines,
        })
    }
}

fn media_json(m: &MediaDescription) -> Value {
    json!({
        "kind": m.kind,
        "port": m.port,
        "proto": m.proto,
        "formats": m.formats,
        "connection": m.connection.map(|ip| ip.to_string()),
        "rtpmaps": m.rtpmaps.iter().map(rtpmap_json).collect::<Vec<_>>(),
        "direction": m.direction.map(|d| d.as_str()),
        "ice_ufrag": m.ice_ufrag,
        "ice_pwd": m.ice_pwd,
        "candidates": m.candidates.iter().map(candidate_json).collect::<Vec<_>>(),
        "fingerprint": m.fingerprint.as_ref().map(fingerprint_json),
        "setup": m.setup,
        "rtcp_mux": m.rtcp_mux,
        "rtcp_port": m.rtcp_port,
        "mid": m.mid,
    })
}

fn fingerprint_json(f: &Fingerprint) -> Value {
    json!({"hash": f.hash, "value": f.value})
}

fn rtpmap_json(r: &RtpMap) -> Value {
    json!({
        "payload_type": r.payload_type,
        "encoding": r.encoding,
        "clock_rate": r.clock_rate,
        "channels": r.channels,
    })
}

fn candidate_json(c: &IceCandidate) -> Value {
    json!({
        "foundation": c.foundation,
        "component": c.component,
        "transport": c.transport,
        "priority": c.priority,
        "address": c.address,
        "port": c.port,
        "typ": c.typ,
        "related_address": c.related_address,
        "related_port": c.related_port,
        "tcptype": c.tcptype,
    })
}

// --------------------------------------------------------------------------
// STUN and TURN
// --------------------------------------------------------------------------

fn stun_class_key(class: StunClass) -> &'static str {
    match class {
        StunClass::Request => "request",
        StunClass::Indication => "indication",
        StunClass::SuccessResponse => "success_response",
        StunClass::ErrorResponse => "error_response",
    }
}

impl PacketJson for StunMessage<'_> {
    /// `{"class": "request", "method": "Binding", "method_code": 1,
    /// "length": 88, "transaction_id": "hex", "classic": false,
    /// "attributes": [...], "malformed": null}`. For RFC 3489 messages
    /// `transaction_id` is the whole 16-byte id, as tshark shows it.
    fn packet_json(&self) -> Value {
        let transaction_id = match self.classic_transaction_id() {
            Some(id) => hex(&id),
            None => hex(&self.transaction_id),
        };
        json!({
            "class": stun_class_key(self.class),
            "method": self.method_name(),
            "method_code": self.method,
            "length": self.length,
            "transaction_id": transaction_id,
            "classic": self.classic,
            "attributes": self.attributes.iter().map(stun_attribute_json).collect::<Vec<_>>(),
            "malformed": self.malformed,
        })
    }
}

/// `{"type": "XOR-MAPPED-ADDRESS", "value": "1.2.3.4:5678"}`; unregistered
/// types as `"0xc0de"`; attributes without a value have no `value`.
fn stun_attribute_json(a: &StunAttribute<'_>) -> Value {
    use StunAttribute as A;
    let mut obj = Map::new();
    let kind = match a.name() {
        Some(name) => name.to_owned(),
        None => format!("{:#06x}", a.kind()),
    };
    obj.insert("type".into(), json!(kind));
    let value = match a {
        A::MappedAddress(addr)
        | A::XorMappedAddress(addr)
        | A::XorRelayedAddress(addr)
        | A::XorPeerAddress(addr)
        | A::AlternateServer(addr)
        | A::ResponseOrigin(addr)
        | A::OtherAddress(addr)
        | A::ResponseAddress(addr)
        | A::SourceAddress(addr)
        | A::ChangedAddress(addr)
        | A::ReflectedFrom(addr) => Some(json!(addr.to_string())),
        A::Username(t) | A::Realm(t) | A::Nonce(t) | A::Software(t) => Some(json!(text(t))),
        A::MessageIntegrity(b)
        | A::MessageIntegritySha256(b)
        | A::Data(b)
        | A::ReservationToken(b) => Some(json!(hex(b))),
        A::Unknown { kind, value } => match *kind {
            // Registered as text, not decoded further.
            attr::ALTERNATE_DOMAIN | attr::PASSWORD => Some(json!(text(value))),
            _ => Some(json!(hex(value))),
        },
        A::ErrorCode { code, reason } => Some(json!({"code": code, "reason": text(reason)})),
        A::AddressErrorCode {
            family,
            code,
            reason,
        } => Some(json!({"family": family, "code": code, "reason": text(reason)})),
        A::UnknownAttributes(kinds) => Some(json!(kinds
            .iter()
            .map(|k| match attribute_name(*k) {
                Some(n) => n.to_string(),
                None => format!("{k:#06x}"),
            })
            .collect::<Vec<_>>())),
        A::Priority(v) | A::Lifetime(v) | A::ConnectionId(v) | A::Bandwidth(v) => Some(json!(v)),
        // 64-bit tie-breakers as hex, as tshark shows them, and because
        // JSON readers lose precision above 2^53.
        A::IceControlling(v) | A::IceControlled(v) => Some(json!(format!("{v:016x}"))),
        A::UseCandidate | A::DontFragment => None,
        A::Fingerprint { value, valid } => {
            Some(json!({"crc32": format!("{value:08x}"), "valid": valid}))
        }
        A::ChannelNumber(c) | A::ResponsePort(c) => Some(json!(c)),
        A::RequestedTransport(t) | A::RequestedAddressFamily(t) | A::AdditionalAddressFamily(t) => {
            Some(json!(t))
        }
        A::EvenPort(r) => Some(json!(r)),
        A::Icmp {
            icmp_type,
            code,
            error_data,
        } => Some(json!({"type": icmp_type, "code": code, "error_data": error_data})),
        A::ChangeRequest {
            change_ip,
            change_port,
        } => Some(json!({"change_ip": change_ip, "change_port": change_port})),
        A::GoogNetworkInfo {
            network_id,
            network_cost,
        } => Some(json!({"network_id": network_id, "network_cost": network_cost})),
    };
    if let Some(v) = value {
        obj.insert("value".into(), v);
    }
    Value::Object(obj)
}

impl PacketJson for ChannelData<'_> {
    /// `{"channel": 16384, "length": 60, "data": "hex", "truncated": false}`.
    fn packet_json(&self) -> Value {
        json!({
            "channel": self.channel,
            "length": self.length,
            "data": hex(self.data),
            "truncated": self.truncated(),
        })
    }
}

// --------------------------------------------------------------------------
// DTLS and TLS
// --------------------------------------------------------------------------

impl PacketJson for DtlsDatagram<'_> {
    fn packet_json(&self) -> Value {
        json!({
            "records": self.records.iter().map(dtls_record_json).collect::<Vec<_>>(),
            "malformed": self.malformed,
        })
    }
}

fn dtls_record_json(r: &DtlsRecord<'_>) -> Value {
    json!({
        "content_type": r.content_type,
        "content_type_name": content_type_name(r.content_type),
        "version": dtls_version_text(r.version),
        "epoch": r.epoch,
        "sequence": r.sequence,
        "length": r.length,
        "connection_id": r.connection_id.map(hex),
        "unified_header": r.unified_header.as_ref().map(unified_header_json),
        "body": dtls_body_json(&r.body),
    })
}

fn unified_header_json(h: &UnifiedHeader) -> Value {
    json!({
        "cid_present": h.cid_present,
        "sequence_16bit": h.sequence_16bit,
        "length_present": h.length_present,
        "epoch_bits": h.epoch_bits,
    })
}

/// A record body, tagged by `kind`.
fn dtls_body_json(body: &DtlsRecordBody<'_>) -> Value {
    match body {
        DtlsRecordBody::Handshake(fragments) => json!({
            "kind": "handshake",
            "fragments": fragments.iter().map(handshake_fragment_json).collect::<Vec<_>>(),
        }),
        DtlsRecordBody::ChangeCipherSpec => json!({"kind": "change_cipher_spec"}),
        DtlsRecordBody::Alert { level, description } => json!({
            "kind": "alert",
            "level": level,
            "level_name": alert_level_name(*level),
            "description": description,
            "description_name": alert_description_name(*description),
        }),
        DtlsRecordBody::ApplicationData => json!({"kind": "application_data"}),
        DtlsRecordBody::Encrypted => json!({"kind": "encrypted"}),
        DtlsRecordBody::Dtls13Ciphertext => json!({"kind": "dtls13_ciphertext"}),
        DtlsRecordBody::Truncated => json!({"kind": "truncated"}),
        DtlsRecordBody::Unknown => json!({"kind": "unknown"}),
    }
}

/// One fragment as this datagram holds it: header fields, and the message
/// when the fragment carries all of it.
fn handshake_fragment_json(f: &HandshakeFragment<'_>) -> Value {
    json!({
        "msg_type": f.msg_type,
        "msg_type_name": handshake_type_name(f.msg_type),
        "length": f.length,
        "message_seq": f.message_seq,
        "fragment_offset": f.fragment_offset,
        "fragment_length": f.fragment_length,
        "message": f.message.as_ref().map(|m| m.packet_json()),
    })
}

impl PacketJson for HandshakeMessage<'_> {
    /// Tagged by `type`; certificates as their length and SHA-256.
    fn packet_json(&self) -> Value {
        let tagged = |kind: &str, fields: Value| {
            let mut obj = match fields {
                Value::Object(obj) => obj,
                _ => Map::new(),
            };
            obj.insert("type".into(), json!(kind));
            Value::Object(obj)
        };
        match self {
            HandshakeMessage::ClientHello(ch) => tagged("ClientHello", client_hello_json(ch)),
            HandshakeMessage::ServerHello(sh) => tagged("ServerHello", server_hello_json(sh)),
            HandshakeMessage::HelloVerifyRequest { version, cookie } => tagged(
                "HelloVerifyRequest",
                json!({"version": dtls_version_text(*version), "cookie": hex(cookie)}),
            ),
            HandshakeMessage::Certificate { certificates } => tagged(
                "Certificate",
                json!({
                    "certificates": certificates
                        .iter()
                        .map(|der| json!({
                            "length": der.len(),
                            "sha256": certificate_sha256_fingerprint(der),
                        }))
                        .collect::<Vec<_>>(),
                }),
            ),
            HandshakeMessage::ServerKeyExchange => tagged("ServerKeyExchange", Value::Null),
            HandshakeMessage::CertificateRequest => tagged("CertificateRequest", Value::Null),
            HandshakeMessage::ServerHelloDone => tagged("ServerHelloDone", Value::Null),
            HandshakeMessage::CertificateVerify => tagged("CertificateVerify", Value::Null),
            HandshakeMessage::ClientKeyExchange => tagged("ClientKeyExchange", Value::Null),
            HandshakeMessage::Finished => tagged("Finished", Value::Null),
            HandshakeMessage::NewSessionTicket => tagged("NewSessionTicket", Value::Null),
            HandshakeMessage::Other(t) => tagged("Other", json!({"msg_type": t})),
            HandshakeMessage::Malformed { msg_type, reason } => {
                tagged("Malformed", json!({"msg_type": msg_type, "reason": reason}))
            }
        }
    }
}

fn client_hello_json(ch: &ClientHello<'_>) -> Value {
    json!({
        "version": dtls_version_text(ch.version),
        "random": hex(ch.random),
        "session_id": hex(ch.session_id),
        "cookie": hex(ch.cookie),
        "cipher_suites": ch.cipher_suites,
        "compression_methods": ch.compression_methods,
        "extensions": extension_types(&ch.extensions),
        "use_srtp": ch.use_srtp.as_ref().map(use_srtp_json),
        "supported_versions": ch
            .supported_versions
            .iter()
            .map(|v| dtls_version_text(*v))
            .collect::<Vec<_>>(),
        "connection_id": ch.connection_id.map(hex),
        "malformed": ch.malformed,
    })
}

fn server_hello_json(sh: &ServerHello<'_>) -> Value {
    json!({
        "version": dtls_version_text(sh.version),
        "random": hex(sh.random),
        "session_id": hex(sh.session_id),
        "cipher_suite": sh.cipher_suite,
        "compression_method": sh.compression_method,
        "extensions": extension_types(&sh.extensions),
        "use_srtp": sh.use_srtp.as_ref().map(use_srtp_json),
        "selected_version": sh.selected_version.map(dtls_version_text),
        "connection_id": sh.connection_id.map(hex),
        "malformed": sh.malformed,
    })
}

/// Hello extensions as the list of their types, in wire order.
fn extension_types(extensions: &[Extension<'_>]) -> Vec<u16> {
    extensions.iter().map(|e| e.ext_type).collect()
}

fn use_srtp_json(u: &UseSrtp<'_>) -> Value {
    json!({"profiles": u.profiles, "mki": hex(u.mki)})
}

impl PacketJson for TlsRecord {
    fn packet_json(&self) -> Value {
        json!({
            "content_type": self.content_type,
            "version": self.version,
            "length": self.length,
            "handshake_type": self.handshake_type,
            "alert": self.alert.map(|(level, description)| json!([level, description])),
        })
    }
}

// --------------------------------------------------------------------------
// RTP and RTCP
// --------------------------------------------------------------------------

impl PacketJson for RtpPacket<'_> {
    /// The header fields; the payload as its length only.
    fn packet_json(&self) -> Value {
        json!({
            "version": self.version,
            "padding": self.padding,
            "extension": self.extension,
            "csrc_count": self.csrc_count,
            "marker": self.marker,
            "payload_type": self.payload_type,
            "sequence": self.sequence,
            "timestamp": self.timestamp,
            "ssrc": self.ssrc,
            "csrcs": self.csrcs,
            "extension_profile": self.extension_profile,
            "payload_len": self.payload.len(),
            "padding_len": self.padding_len,
        })
    }
}

impl PacketJson for RtcpCompound<'_> {
    fn packet_json(&self) -> Value {
        json!({
            "packets": self.packets.iter().map(rtcp_packet_json).collect::<Vec<_>>(),
            "encrypted_or_malformed_tail": self.encrypted_or_malformed_tail,
            "tail_len": self.tail_len,
        })
    }
}

/// One packet of a compound, tagged by `type`.
fn rtcp_packet_json(p: &RtcpPacket<'_>) -> Value {
    match p {
        RtcpPacket::SenderReport {
            ssrc,
            ntp_timestamp,
            rtp_timestamp,
            packet_count,
            octet_count,
            reports,
        } => json!({
            "type": "SenderReport",
            "ssrc": ssrc,
            "ntp_timestamp": ntp_timestamp,
            "rtp_timestamp": rtp_timestamp,
            "packet_count": packet_count,
            "octet_count": octet_count,
            "reports": reports.iter().map(report_block_json).collect::<Vec<_>>(),
        }),
        RtcpPacket::ReceiverReport { ssrc, reports } => json!({
            "type": "ReceiverReport",
            "ssrc": ssrc,
            "reports": reports.iter().map(report_block_json).collect::<Vec<_>>(),
        }),
        RtcpPacket::SourceDescription { chunks } => json!({
            "type": "SourceDescription",
            "chunks": chunks.iter().map(sdes_chunk_json).collect::<Vec<_>>(),
        }),
        RtcpPacket::Goodbye { ssrcs, reason } => json!({
            "type": "Goodbye",
            "ssrcs": ssrcs,
            "reason": reason.map(text),
        }),
        RtcpPacket::App {
            ssrc,
            name,
            subtype,
        } => json!({
            "type": "App",
            "ssrc": ssrc,
            "name": text(name),
            "subtype": subtype,
        }),
        RtcpPacket::TransportFeedback {
            fmt,
            sender_ssrc,
            media_ssrc,
        } => json!({
            "type": "TransportFeedback",
            "fmt": fmt,
            "sender_ssrc": sender_ssrc,
            "media_ssrc": media_ssrc,
        }),
        RtcpPacket::PayloadFeedback {
            fmt,
            sender_ssrc,
            media_ssrc,
        } => json!({
            "type": "PayloadFeedback",
            "fmt": fmt,
            "sender_ssrc": sender_ssrc,
            "media_ssrc": media_ssrc,
        }),
        RtcpPacket::ExtendedReport { ssrc, block_types } => json!({
            "type": "ExtendedReport",
            "ssrc": ssrc,
            "block_types": block_types,
        }),
        RtcpPacket::Unknown {
            packet_type,
            length,
        } => json!({
            "type": "Unknown",
            "packet_type": packet_type,
            "length": length,
        }),
    }
}

fn report_block_json(rb: &ReportBlock) -> Value {
    json!({
        "ssrc": rb.ssrc,
        "fraction_lost": rb.fraction_lost,
        "cumulative_lost": rb.cumulative_lost,
        "extended_highest_seq": rb.extended_highest_seq,
        "jitter": rb.jitter,
        "last_sr": rb.last_sr,
        "delay_since_last_sr": rb.delay_since_last_sr,
    })
}

fn sdes_chunk_json(c: &SdesChunk<'_>) -> Value {
    json!({
        "ssrc": c.ssrc,
        "items": c
            .items
            .iter()
            .map(|i| json!({"kind": i.kind, "value": text(i.value)}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    //! The decoders' byte vectors (cut from public captures and our
    //! samples), in the JSON form the packet list prints.

    use super::*;
    use crate::decode::{dtls, rtcp, rtp, sdp, sip, stun};

    #[test]
    fn rtp_payload_as_length() {
        use rtp::tests::*;
        let bytes = hex(BARESIP_PCMU_MARKER_EXT);
        assert_eq!(
            rtp::parse_rtp(&bytes).unwrap().packet_json(),
            json!({
                "version": 2, "padding": false, "extension": true, "csrc_count": 0,
                "marker": true, "payload_type": 0, "sequence": 17362, "timestamp": 47560,
                "ssrc": 1949964939u32, "csrcs": [], "extension_profile": 48862,
                "payload_len": 160, "padding_len": 0,
            })
        );
    }

    #[test]
    fn rtcp_with_type_tags() {
        use rtcp::tests::*;
        let bytes = hex(BARESIP_BYE_SDES);
        assert_eq!(
            rtcp::parse_rtcp(&bytes).unwrap().packet_json(),
            json!({
                "packets": [
                    {"type": "Goodbye", "ssrcs": [1949964939u32], "reason": "Adjo"},
                    {"type": "SourceDescription", "chunks": [{
                        "ssrc": 1949964939u32,
                        "items": [{"kind": 1, "value": "sip:a@10.99.0.1:25071"}],
                    }]},
                ],
                "encrypted_or_malformed_tail": false,
                "tail_len": 0,
            })
        );
    }

    #[test]
    fn sdp() {
        let sd = sdp::parse_sdp(sdp::tests::AIORTC_OFFER).unwrap();
        let v = sd.packet_json();
        assert_eq!(v["media"][0]["direction"], "sendrecv");
        assert_eq!(v["media"][0]["candidates"][2]["related_port"], 38835);
        assert_eq!(v["media"][0]["fingerprint"]["hash"], "sha-256");
        assert_eq!(v["malformed_lines"], 0);
    }

    #[test]
    fn sip() {
        use sip::tests::*;
        let busy = sip::parse_sip(REJECT_486).unwrap();
        assert_eq!(
            busy.packet_json(),
            json!({
                "kind": "response",
                "method": null,
                "uri": null,
                "status": 486,
                "reason_phrase": "Busy Here",
                "call_id": "1-28466@127.0.0.1",
                "cseq": {"seq": 1, "method": "INVITE"},
                "from": "sip:alice@127.0.0.1:5071",
                "to": "sip:bob@127.0.0.1:5070",
                "from_tag": "28466SIPpTag001",
                "to_tag": "28428SIPpTag011",
                "via_branch": "z9hG4bK-28466-1-0",
                "contact": null,
                "content_type": null,
                "content_length": 0,
                "reason": "Q.850;cause=17;text=\"Busy Here\"",
                "warning": "399 127.0.0.1 \"callscope test: Busy Here\"",
                "headers": [
                    {"name": "Via", "value": "SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-28466-1-0"},
                    {"name": "From", "value": "\"Alice\" <sip:alice@127.0.0.1:5071>;tag=28466SIPpTag001"},
                    {"name": "To", "value": "<sip:bob@127.0.0.1:5070>;tag=28428SIPpTag011"},
                    {"name": "Call-ID", "value": "1-28466@127.0.0.1"},
                    {"name": "CSeq", "value": "1 INVITE"},
                    {"name": "Warning", "value": "399 127.0.0.1 \"callscope test: Busy Here\""},
                    {"name": "Reason", "value": "Q.850;cause=17;text=\"Busy Here\""},
                    {"name": "Content-Length", "value": "0"}
                ],
                "body_len": 0,
                "malformed": null,
                "sdp": null
            })
        );
        let invite = sip::parse_sip(SIPP_INVITE).unwrap().packet_json();
        assert_eq!(invite["kind"], "request");
        assert_eq!(invite["method"], "INVITE");
        assert_eq!(invite["uri"], "sip:service@127.0.0.1:5070");
        assert_eq!(invite["body_len"], 129);
        assert_eq!(invite["sdp"]["media"][0]["port"], 6004);
        assert_eq!(invite["sdp"]["connection"], "127.0.0.1");
    }

    #[test]
    fn stun() {
        use stun::tests::*;
        let raw = h(WEBRTC_F1);
        let m = stun::parse_stun(&raw).unwrap();
        assert_eq!(
            m.packet_json(),
            json!({
                "class": "request",
                "method": "Binding",
                "method_code": 1,
                "length": 88,
                "transaction_id": "2598a65b9710b89865bc3440",
                "classic": false,
                "attributes": [
                    {"type": "USERNAME", "value": "Tw5XmGABTU55u6F2:31e58bb6"},
                    {"type": "USE-CANDIDATE"},
                    {"type": "PRIORITY", "value": 1853817087},
                    {"type": "ICE-CONTROLLING", "value": "9e681f4a7b38b1cc"},
                    {"type": "MESSAGE-INTEGRITY", "value": "7320f87b2afd14aae987eac3a85b6bcb31cea550"},
                    {"type": "FINGERPRINT", "value": {"crc32": "287c8926", "valid": true}},
                ],
                "malformed": null,
            })
        );

        let raw = h(TURN_TCP_F6);
        let m = stun::parse_stun(&raw).unwrap();
        assert_eq!(
            m.packet_json()["attributes"],
            json!([
                {"type": "ERROR-CODE", "value": {"code": 401, "reason": ""}},
                {"type": "NONCE", "value": "0000019c0f1f5844d1fbe0367d222210993cbd1c3d0eaa7f45fe848398081b3f361d18600ec06fec"},
                {"type": "REALM", "value": "turn.cloudflare.com"},
            ])
        );

        let raw = h(MSTURN_F2);
        let m = stun::parse_stun(&raw).unwrap();
        let v = m.packet_json();
        assert_eq!(
            v["attributes"][0],
            json!({"type": "0x000f", "value": "72c64bc6"})
        );
        assert_eq!(
            v["attributes"][3],
            json!({"type": "BANDWIDTH", "value": 12000})
        );
        assert_eq!(
            v["malformed"],
            json!("message length is not a multiple of 4")
        );

        let raw = h(COTURN_F128);
        let v = stun::parse_stun(&raw).unwrap().packet_json();
        assert_eq!(
            v["attributes"][1],
            json!({"type": "XOR-MAPPED-ADDRESS", "value": "[fd00:c5::1]:54361"})
        );

        let raw = h(CLASSIC_F7);
        let v = stun::parse_stun(&raw).unwrap().packet_json();
        assert_eq!(
            v["transaction_id"],
            json!("02389232616b1a13fe1797626b3a2015")
        );
        assert_eq!(v["classic"], json!(true));
        assert_eq!(
            v["attributes"][0],
            json!({"type": "CHANGE-REQUEST", "value": {"change_ip": true, "change_port": false}})
        );

        let raw = h(COTURN_F112);
        assert_eq!(
            stun::parse_channel_data(&raw).unwrap().packet_json(),
            json!({
                "channel": 0x476a,
                "length": 61,
                "data": "0000000007070707db14000000000000070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707",
                "truncated": false,
            })
        );
    }

    #[test]
    fn dtls() {
        use dtls::tests::*;
        let bytes = unhex(ALERT_UNKNOWN_CA);
        let d = dtls::parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(
            d.packet_json(),
            json!({
                "records": [{
                    "content_type": 21, "content_type_name": "alert", "version": "DTLS 1.2",
                    "epoch": 0, "sequence": 2, "length": 2, "connection_id": null,
                    "unified_header": null,
                    "body": {
                        "kind": "alert", "level": 2, "level_name": "fatal",
                        "description": 48, "description_name": "unknown_ca",
                    },
                }],
                "malformed": null,
            })
        );

        let bytes = unhex(WEBRTC_F9);
        let v = dtls::parse_dtls_datagram(&bytes).unwrap().packet_json();
        let frag = &v["records"][0]["body"]["fragments"][0];
        assert_eq!(frag["msg_type_name"], "ClientHello");
        assert_eq!(frag["message_seq"], 0);
        let ch = &frag["message"];
        assert_eq!(ch["type"], "ClientHello");
        assert_eq!(ch["version"], "DTLS 1.0");
        assert_eq!(ch["cipher_suites"][0], 0xc014);
        assert_eq!(ch["extensions"], json!([11, 10, 15, 14]));
        assert_eq!(ch["use_srtp"], json!({"profiles": [1], "mki": ""}));

        let bytes = unhex(WEBRTC_F11);
        let v = dtls::parse_dtls_datagram(&bytes).unwrap().packet_json();
        assert_eq!(
            v["records"][1]["body"]["fragments"][0]["message"],
            json!({
                "type": "Certificate",
                "certificates": [{
                    "length": 266,
                    "sha256": "96:81:26:88:2D:68:EB:80:B0:33:92:ED:B9:CC:E7:26:0E:EC:15:A0:4B:20:6D:DF:B5:23:14:49:B5:AA:AA:2F"
                }]
            })
        );

        let bytes = unhex(CID_F15);
        let v = dtls::parse_dtls_datagram_with_cid_len(&bytes, Some(16))
            .unwrap()
            .packet_json();
        assert_eq!(v["records"][0]["content_type_name"], "dtls13_ciphertext");
        assert_eq!(v["records"][0]["version"], "DTLS 1.3");
        assert_eq!(
            v["records"][0]["connection_id"],
            "66616e63792073657276657220434944"
        );
        assert_eq!(v["records"][0]["body"]["kind"], "dtls13_ciphertext");
    }

    /// A fragment that does not hold its whole message: header fields only.
    #[test]
    fn dtls_fragment_without_message() {
        use dtls::tests::*;
        let bytes = unhex(DTLS12_F7);
        let v = dtls::parse_dtls_datagram(&bytes).unwrap().packet_json();
        assert_eq!(
            v["records"][0]["body"],
            json!({
                "kind": "handshake",
                "fragments": [{
                    "msg_type": 11, "msg_type_name": "Certificate", "length": 874,
                    "message_seq": 2, "fragment_offset": 121, "fragment_length": 203,
                    "message": null,
                }],
            })
        );
    }

    #[test]
    fn tls() {
        let r = TlsRecord {
            content_type: 21,
            version: 0x0303,
            length: 2,
            handshake_type: None,
            alert: Some((2, 40)),
        };
        assert_eq!(
            r.packet_json(),
            json!({
                "content_type": 21, "version": 771, "length": 2,
                "handshake_type": null, "alert": [2, 40],
            })
        );
    }
}
