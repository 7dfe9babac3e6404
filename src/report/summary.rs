//! One-line texts of decoded messages, in the manner of tshark's Info
//! column: what the packet list prints per message, and what the call
//! report says of an SDP. The decoders give values; the words are made here.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use crate::decode::dtls::{
    alert_description_name, alert_level_name, content_type, content_type_name, handshake_type_name,
    version_name, DtlsDatagram, DtlsRecordBody, HandshakeMessage,
};
use crate::decode::rtcp::{ReportBlock, RtcpCompound, RtcpPacket};
use crate::decode::rtp::{static_encoding_name, RtpPacket};
use crate::decode::sdp::SessionDescription;
use crate::decode::sip::{SipMessage, StartLine};
use crate::decode::stun::{error_code_name, ChannelData, StunAttribute, StunClass, StunMessage};
use crate::decode::tls::TlsRecord;

/// The one-line text of a decoded message.
pub trait Summary {
    fn summary(&self) -> String;
}

impl Summary for SipMessage<'_> {
    /// e.g. `SIP INVITE sip:bob@10.0.0.2:5060 Call-ID 1-2345@10.0.0.1 CSeq 1 INVITE (SDP)`
    /// or `SIP 486 Busy Here (INVITE) Call-ID ...`.
    fn summary(&self) -> String {
        let mut s = String::from("SIP ");
        match self.start {
            StartLine::Request { method, uri, .. } => {
                let _ = write!(s, "{method} {uri}");
                if let Some(id) = self.call_id() {
                    let _ = write!(s, " Call-ID {id}");
                }
                if let Some((n, m)) = self.cseq() {
                    let _ = write!(s, " CSeq {n} {m}");
                }
            }
            StartLine::Response { status, reason, .. } => {
                let _ = write!(s, "{status}");
                if !reason.is_empty() {
                    let _ = write!(s, " {reason}");
                }
                if let Some((_, m)) = self.cseq() {
                    let _ = write!(s, " ({m})");
                }
                if let Some(id) = self.call_id() {
                    let _ = write!(s, " Call-ID {id}");
                }
            }
        }
        if self.sdp_body().is_some() {
            s.push_str(" (SDP)");
        }
        if let Some(m) = self.malformed {
            let _ = write!(s, " [malformed: {m}]");
        }
        s
    }
}

impl Summary for SessionDescription {
    /// e.g. `SDP audio 127.0.0.1:6004 RTP/AVP PCMU/8000`.
    fn summary(&self) -> String {
        let mut s = String::from("SDP");
        if self.media.is_empty() {
            s.push_str(" (no media)");
        }
        for (i, m) in self.media.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            let _ = write!(s, " {} ", m.kind);
            match m.connection.or(self.connection) {
                Some(IpAddr::V6(ip)) => {
                    let _ = write!(s, "[{ip}]:{}", m.port);
                }
                Some(ip) => {
                    let _ = write!(s, "{ip}:{}", m.port);
                }
                None => {
                    let _ = write!(s, "?:{}", m.port);
                }
            }
            let _ = write!(s, " {}", m.proto);
            let codecs: Vec<String> = if m.rtpmaps.is_empty() {
                m.formats.clone()
            } else {
                m.rtpmaps
                    .iter()
                    .map(|r| format!("{}/{}", r.encoding, r.clock_rate))
                    .collect()
            };
            if !codecs.is_empty() {
                let _ = write!(s, " {}", codecs.join(","));
            }
            if let Some(d) = m.direction.or(self.direction) {
                let _ = write!(s, " {}", d.as_str());
            }
            if !m.candidates.is_empty() {
                let _ = write!(
                    s,
                    " {}",
                    crate::analysis::evidence::plural(m.candidates.len() as u64, "candidate")
                );
            }
        }
        if self.has_ice() {
            s.push_str(" ICE");
            if self.ice_lite {
                s.push_str("-lite");
            }
        }
        if let Some(fp) = self
            .fingerprint
            .as_ref()
            .or_else(|| self.media.iter().find_map(|m| m.fingerprint.as_ref()))
        {
            let _ = write!(s, " DTLS {}", fp.hash);
        }
        if let Some(setup) = self
            .setup
            .as_deref()
            .or_else(|| self.media.iter().find_map(|m| m.setup.as_deref()))
        {
            let _ = write!(s, " setup:{setup}");
        }
        if self.malformed_lines > 0 {
            let _ = write!(s, " ({} malformed lines)", self.malformed_lines);
        }
        s
    }
}

impl Summary for StunMessage<'_> {
    /// e.g. `Binding Request user=ab12:cd34 prio=1853824767 USE-CANDIDATE ICE-CONTROLLING`.
    fn summary(&self) -> String {
        use StunAttribute as A;
        let mut s = String::new();
        match self.method_name() {
            "Unknown" => s.push_str(&format!("Method {:#05x}", self.method)),
            name => s.push_str(name),
        }
        s.push(' ');
        s.push_str(self.class.name());
        if self.classic {
            s.push_str(" (RFC 3489)");
        }
        if self.class == StunClass::ErrorResponse {
            match self.error_code() {
                Some((code, reason)) => {
                    s.push_str(&format!(" {code}"));
                    let sent = trim_text(reason);
                    if !sent.is_empty() {
                        s.push(' ');
                        push_text(&mut s, sent);
                    } else if let Some(name) = error_code_name(code) {
                        s.push(' ');
                        s.push_str(name);
                    }
                }
                None => s.push_str(" (no ERROR-CODE)"),
            }
        }
        if let Some(user) = self.username() {
            s.push_str(" user=");
            push_text(&mut s, trim_text(user));
        }
        if let Some(realm) = self.realm() {
            s.push_str(" realm=");
            push_text(&mut s, trim_text(realm));
        }
        let has_xor_mapped = self.xor_mapped_address().is_some();
        for a in &self.attributes {
            match a {
                A::XorPeerAddress(p) => token(&mut s, format_args!("XOR-PEER-ADDRESS={p}")),
                A::XorMappedAddress(m) => token(&mut s, format_args!("XOR-MAPPED-ADDRESS={m}")),
                A::MappedAddress(m) if !has_xor_mapped => {
                    token(&mut s, format_args!("MAPPED-ADDRESS={m}"))
                }
                A::XorRelayedAddress(r) => token(&mut s, format_args!("XOR-RELAYED-ADDRESS={r}")),
                A::AlternateServer(a) => token(&mut s, format_args!("ALTERNATE-SERVER={a}")),
                _ => {}
            }
        }
        for a in &self.attributes {
            match a {
                A::RequestedTransport(17) => token(&mut s, format_args!("transport=UDP")),
                A::RequestedTransport(6) => token(&mut s, format_args!("transport=TCP")),
                A::RequestedTransport(t) => token(&mut s, format_args!("transport={t}")),
                A::Lifetime(l) => token(&mut s, format_args!("lifetime={l}")),
                A::ChannelNumber(c) => token(&mut s, format_args!("channel={c:#06x}")),
                A::ChangeRequest {
                    change_ip,
                    change_port,
                } => token(
                    &mut s,
                    format_args!(
                        "CHANGE-REQUEST={}",
                        match (change_ip, change_port) {
                            (true, true) => "ip+port",
                            (true, false) => "ip",
                            (false, true) => "port",
                            (false, false) => "none",
                        }
                    ),
                ),
                _ => {}
            }
        }
        if let Some(p) = self.priority() {
            token(&mut s, format_args!("prio={p}"));
        }
        if self.use_candidate() {
            s.push_str(" USE-CANDIDATE");
        }
        for a in &self.attributes {
            match a {
                A::IceControlling(_) => s.push_str(" ICE-CONTROLLING"),
                A::IceControlled(_) => s.push_str(" ICE-CONTROLLED"),
                _ => {}
            }
        }
        if let Some(d) = self.data() {
            token(&mut s, format_args!("data={} bytes", d.len()));
        }
        if self.fingerprint_valid() == Some(false) {
            s.push_str(" BAD-FINGERPRINT");
        }
        if let Some(m) = self.malformed {
            token(&mut s, format_args!("[malformed: {m}]"));
        }
        s
    }
}

impl Summary for ChannelData<'_> {
    fn summary(&self) -> String {
        format!(
            "TURN ChannelData channel=0x{:04X} len={}",
            self.channel, self.length
        )
    }
}

fn token(s: &mut String, t: fmt::Arguments<'_>) {
    s.push(' ');
    // Writing to a String cannot fail.
    let _ = s.write_fmt(t);
}

/// Reason phrases, usernames and realms are sometimes NUL- or space-padded
/// inside their length.
fn trim_text(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != 0 && !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    b.get(..end).unwrap_or_default()
}

/// UTF-8 (lossy) with control characters escaped, so a summary stays one line.
pub(crate) fn push_text(out: &mut String, b: &[u8]) {
    for c in String::from_utf8_lossy(b).chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// A DTLS record or hello version as text: its name, else its number.
pub(crate) fn dtls_version_text(v: u16) -> String {
    version_name(v).map_or_else(|| format!("0x{v:04x}"), str::to_owned)
}

impl Summary for DtlsDatagram<'_> {
    /// e.g. `DTLS 1.2 ServerHello, Certificate, ServerKeyExchange, ServerHelloDone`.
    /// A handshake fragment is shown as what this datagram alone holds of it.
    fn summary(&self) -> String {
        let mut items: Vec<String> = Vec::new();
        let mut single_message_seq = None;
        for record in &self.records {
            match &record.body {
                DtlsRecordBody::Handshake(frags) if frags.is_empty() => {
                    items.push("Handshake (empty record)".into());
                }
                DtlsRecordBody::Handshake(frags) => {
                    for f in frags {
                        let name = handshake_type_name(f.msg_type);
                        match &f.message {
                            Some(HandshakeMessage::Malformed { .. }) => {
                                items.push(format!("{name} (malformed)"));
                            }
                            Some(HandshakeMessage::ServerHello(sh))
                                if sh.is_hello_retry_request() =>
                            {
                                single_message_seq = Some(f.message_seq);
                                items.push("HelloRetryRequest".to_owned());
                            }
                            Some(_) => {
                                single_message_seq = Some(f.message_seq);
                                items.push(name.to_owned());
                            }
                            None => items.push(format!(
                                "{name} (fragment {}-{} of {}, message_seq {})",
                                f.fragment_offset,
                                u64::from(f.fragment_offset) + f.body.len() as u64,
                                f.length,
                                f.message_seq
                            )),
                        }
                    }
                }
                DtlsRecordBody::ChangeCipherSpec => items.push("Change Cipher Spec".into()),
                DtlsRecordBody::Alert { level, description } => items.push(format!(
                    "Alert {} {}",
                    alert_level_name(*level),
                    alert_description_name(*description)
                )),
                DtlsRecordBody::ApplicationData => items.push("Application Data".into()),
                DtlsRecordBody::Encrypted => items.push(match record.content_type {
                    content_type::HANDSHAKE => "Encrypted Handshake Message".into(),
                    content_type::ALERT => "Encrypted Alert".into(),
                    content_type::CHANGE_CIPHER_SPEC => "Encrypted Change Cipher Spec".into(),
                    content_type::TLS12_CID => "Encrypted Record (connection ID)".into(),
                    t => format!("Encrypted {}", content_type_name(t)),
                }),
                DtlsRecordBody::Dtls13Ciphertext => {
                    items.push(format!("Encrypted Record (epoch {})", record.epoch));
                }
                DtlsRecordBody::Truncated => items.push(format!(
                    "{} (truncated, {} of {} bytes)",
                    content_type_name(record.content_type),
                    record.fragment.len(),
                    record.length
                )),
                DtlsRecordBody::Unknown => items.push(format!(
                    "{} record (content type {})",
                    content_type_name(record.content_type),
                    record.content_type
                )),
            }
        }
        let version = self
            .records
            .first()
            .map_or_else(|| "DTLS".to_owned(), |r| dtls_version_text(r.version));
        let mut line = format!("{version} {}", items.join(", "));
        if let (1, Some(seq)) = (items.len(), single_message_seq) {
            let _ = write!(line, " (message_seq {seq})");
        }
        if let Some(reason) = self.malformed {
            let _ = write!(line, " [malformed: {reason}]");
        }
        line
    }
}

impl Summary for TlsRecord {
    fn summary(&self) -> String {
        let v = match self.version {
            0x0301 => "TLS 1.0",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            _ => "TLS",
        };
        match self.content_type {
            content_type::CHANGE_CIPHER_SPEC => format!("{v} ChangeCipherSpec"),
            content_type::ALERT => match self.alert {
                Some((l, d)) => format!(
                    "{v} Alert {} {}",
                    if l == 2 { "fatal" } else { "warning" },
                    alert_description_name(d)
                ),
                None => format!("{v} Encrypted Alert"),
            },
            content_type::HANDSHAKE => match self.handshake_type {
                Some(t) => format!("{v} Handshake {}", handshake_type_name(t)),
                None => format!("{v} Encrypted Handshake Message"),
            },
            _ => format!("{v} Application Data len={}", self.length),
        }
    }
}

impl Summary for RtpPacket<'_> {
    /// e.g. `RTP PT=0 (PCMU) SSRC=0x1234ABCD seq=1234 ts=160 M`.
    fn summary(&self) -> String {
        let mut s = format!("RTP PT={}", self.payload_type);
        if let Some(name) = static_encoding_name(self.payload_type) {
            let _ = write!(s, " ({name})");
        }
        let _ = write!(
            s,
            " SSRC=0x{:08X} seq={} ts={}",
            self.ssrc, self.sequence, self.timestamp
        );
        if self.marker {
            s.push_str(" M");
        }
        if let Some(profile) = self.extension_profile {
            let _ = write!(s, " ext=0x{profile:04X}");
        }
        if self.csrc_count > 0 {
            let _ = write!(s, " CC={}", self.csrc_count);
        }
        if self.padding {
            let _ = write!(s, " pad={}", self.padding_len);
        }
        s
    }
}

impl Summary for RtcpCompound<'_> {
    /// e.g. `RTCP SR ssrc=0x1234ABCD pkts=250 octets=40000; SDES cname=...`.
    /// When SRTCP is suspected, only the clear part of the first packet is
    /// shown.
    fn summary(&self) -> String {
        let mut s = String::from("RTCP");
        if self.srtcp_suspected() {
            if let Some(first) = self.packets.first() {
                let _ = write!(s, " {}", first.kind());
                if let Some(ssrc) = first.sender_ssrc() {
                    let _ = write!(s, " ssrc=0x{ssrc:08X}");
                }
            }
        } else {
            for (i, packet) in self.packets.iter().enumerate() {
                s.push_str(if i == 0 { " " } else { "; " });
                s.push_str(&packet.summary());
            }
        }
        if self.encrypted_or_malformed_tail {
            let sep = if self.packets.is_empty() { " " } else { "; " };
            let _ = write!(
                s,
                "{sep}encrypted or malformed tail ({} bytes)",
                self.tail_len
            );
        }
        s
    }
}

impl Summary for RtcpPacket<'_> {
    /// One packet of a compound, without the leading "RTCP".
    fn summary(&self) -> String {
        let mut s = String::new();
        match self {
            RtcpPacket::SenderReport {
                ssrc,
                packet_count,
                octet_count,
                reports,
                ..
            } => {
                let _ = write!(
                    s,
                    "SR ssrc=0x{ssrc:08X} pkts={packet_count} octets={octet_count}"
                );
                push_report_blocks(&mut s, reports);
            }
            RtcpPacket::ReceiverReport { ssrc, reports } => {
                let _ = write!(s, "RR ssrc=0x{ssrc:08X}");
                push_report_blocks(&mut s, reports);
            }
            RtcpPacket::SourceDescription { chunks } => {
                s.push_str("SDES");
                for chunk in chunks {
                    let _ = match chunk.cname() {
                        Some(cname) => write!(s, " cname={}", EscapedText(cname)),
                        None => write!(s, " ssrc=0x{:08X}", chunk.ssrc),
                    };
                }
            }
            RtcpPacket::Goodbye { ssrcs, reason } => {
                s.push_str("BYE");
                for (i, ssrc) in ssrcs.iter().enumerate() {
                    let sep = if i == 0 { " ssrc=" } else { "," };
                    let _ = write!(s, "{sep}0x{ssrc:08X}");
                }
                if let Some(reason) = reason {
                    let _ = write!(s, " reason=\"{}\"", EscapedText(reason));
                }
            }
            RtcpPacket::App {
                ssrc,
                name,
                subtype,
            } => {
                let _ = write!(
                    s,
                    "APP ssrc=0x{ssrc:08X} name={} subtype={subtype}",
                    EscapedText(name)
                );
            }
            RtcpPacket::TransportFeedback {
                fmt,
                sender_ssrc,
                media_ssrc,
            } => {
                let name = match fmt {
                    1 => "NACK",
                    3 => "TMMBR",
                    4 => "TMMBN",
                    15 => "TWCC",
                    _ => "fmt",
                };
                push_feedback(&mut s, "RTPFB", name, *fmt, *sender_ssrc, *media_ssrc);
            }
            RtcpPacket::PayloadFeedback {
                fmt,
                sender_ssrc,
                media_ssrc,
            } => {
                let name = match fmt {
                    1 => "PLI",
                    2 => "SLI",
                    3 => "RPSI",
                    4 => "FIR",
                    15 => "AFB",
                    _ => "fmt",
                };
                push_feedback(&mut s, "PSFB", name, *fmt, *sender_ssrc, *media_ssrc);
            }
            RtcpPacket::ExtendedReport { ssrc, block_types } => {
                let _ = write!(s, "XR ssrc=0x{ssrc:08X}");
                for (i, bt) in block_types.iter().enumerate() {
                    let sep = if i == 0 { " blocks=" } else { "," };
                    let _ = write!(s, "{sep}{bt}");
                }
            }
            RtcpPacket::Unknown {
                packet_type,
                length,
            } => {
                let _ = write!(s, "PT={packet_type} len={length}");
            }
        }
        s
    }
}

fn push_report_blocks(s: &mut String, reports: &[ReportBlock]) {
    for rb in reports {
        let _ = write!(
            s,
            " [0x{:08X} lost={} frac={}/256 seq={} jitter={}]",
            rb.ssrc, rb.cumulative_lost, rb.fraction_lost, rb.extended_highest_seq, rb.jitter
        );
    }
}

/// `RTPFB NACK sender=0x... media=0x...`; an unnamed format as `fmt=N`.
fn push_feedback(s: &mut String, kind: &str, name: &str, fmt: u8, sender: u32, media: u32) {
    let _ = write!(s, "{kind} {name}");
    if name == "fmt" {
        let _ = write!(s, "={fmt}");
    }
    let _ = write!(s, " sender=0x{sender:08X} media=0x{media:08X}");
}

/// Bytes shown as text: valid UTF-8 as is, with control characters, quotes,
/// backslashes and bytes that are not UTF-8 escaped, so that a summary stays
/// on one line.
struct EscapedText<'a>(&'a [u8]);

impl fmt::Display for EscapedText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() || c == '"' || c == '\\' {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    f.write_char(c)?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The decoders' byte vectors (cut from public captures and our samples;
    //! expected texts checked against tshark's Info column where it has one).

    use super::*;
    use crate::decode::{dtls, rtcp, rtp, sdp, sip, stun};

    #[test]
    fn rtp() {
        use rtp::tests::*;
        for (vector, want) in [
            (
                RTPPROXY_PCMA,
                "RTP PT=8 (PCMA) SSRC=0xF3CB2001 seq=9600 ts=240",
            ),
            (
                BARESIP_PCMU_MARKER_EXT,
                "RTP PT=0 (PCMU) SSRC=0x743A1A8B seq=17362 ts=47560 M ext=0xBEDE",
            ),
            (
                RTPPROXY_SRTP_G722,
                "RTP PT=9 (G722) SSRC=0x8557BACE seq=12903 ts=2554003973 M",
            ),
            (
                ARKIME_AMR_MARKER,
                "RTP PT=102 SSRC=0x6399BBC1 seq=21208 ts=1271585226 M",
            ),
        ] {
            let bytes = hex(vector);
            assert_eq!(rtp::parse_rtp(&bytes).unwrap().summary(), want);
        }
        // P bit set and 4 padding bytes appended, the last one the count.
        let mut padded = hex(BARESIP_PCMU_MARKER_EXT);
        padded[0] |= 0x20;
        padded.extend_from_slice(&[0, 0, 0, 4]);
        let p = rtp::parse_rtp(&padded).unwrap();
        assert!(
            p.summary().ends_with(" M ext=0xBEDE pad=4"),
            "{}",
            p.summary()
        );
        // CC=2 and two CSRCs after the SSRC.
        let orig = hex(RTPPROXY_PCMA);
        let mut with_csrcs = orig[..12].to_vec();
        with_csrcs[0] |= 2;
        with_csrcs.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd]);
        with_csrcs.extend_from_slice(&orig[12..]);
        let p = rtp::parse_rtp(&with_csrcs).unwrap();
        assert!(p.summary().ends_with(" CC=2"), "{}", p.summary());
    }

    #[test]
    fn rtcp() {
        use rtcp::tests::*;
        let nack = "81cd0003aabbccdd1122334400640000";
        let xr = "80cf0004aabbccdd04000002eeac30c5ce21a719";
        let ij = "81c3000100000001";
        let feedback_xr_unknown = format!("{nack}{xr}{ij}");
        let rr_sdes = "80c9000111223344a1ca000411223344010261620601780000000004";
        let bye_control_chars = "81cb00021122334403610aff";
        for (vector, want) in [
            (
                RTPPROXY_SR_SDES,
                "RTCP SR ssrc=0xF3CB2001 pkts=158 octets=39816; SDES cname=outChannel",
            ),
            (
                BARESIP_SR_RB_SDES,
                "RTCP SR ssrc=0xCA674471 pkts=250 octets=42000 \
                 [0x743A1A8B lost=24 frac=24/256 seq=17611 jitter=7]; \
                 SDES cname=sip:b@10.99.0.2:25072",
            ),
            (
                BARESIP_BYE_SDES,
                "RTCP BYE ssrc=0x743A1A8B reason=\"Adjo\"; SDES cname=sip:a@10.99.0.1:25071",
            ),
            (ARKIME_BYE, "RTCP BYE ssrc=0x6399BBC1"),
            (BARESIP_APP, "RTCP APP ssrc=0xCA674471 name=PING subtype=0"),
            (
                BARESIP_PLI,
                "RTCP PSFB PLI sender=0x5B8F193C media=0x65E4B2E0",
            ),
            // SRTCP: only the clear header of the first packet.
            (
                BARESIP_SRTCP_SR,
                "RTCP SR ssrc=0xACBF97C7; encrypted or malformed tail (46 bytes)",
            ),
            (
                AIORTC_SRTCP_RR,
                "RTCP RR ssrc=0xF9650C9D; encrypted or malformed tail (20 bytes)",
            ),
            (rr_sdes, "RTCP RR ssrc=0x11223344; SDES cname=ab"),
            (
                &feedback_xr_unknown,
                "RTCP RTPFB NACK sender=0xAABBCCDD media=0x11223344; \
                 XR ssrc=0xAABBCCDD blocks=4; PT=195 len=8",
            ),
            // A reason with a newline and a byte that is not UTF-8.
            (
                bye_control_chars,
                "RTCP BYE ssrc=0x11223344 reason=\"a\\n\\xff\"",
            ),
        ] {
            let bytes = hex(vector);
            assert_eq!(rtcp::parse_rtcp(&bytes).unwrap().summary(), want);
        }
    }

    #[test]
    fn sdp() {
        use sdp::tests::*;
        for (body, want) in [
            (
                AIORTC_OFFER,
                "SDP audio 192.0.2.2:41259 UDP/TLS/RTP/SAVPF opus/48000,G722/8000,PCMU/8000,PCMA/8000 \
                 sendrecv 4 candidates ICE DTLS sha-256 setup:actpass",
            ),
            (
                TWO_AUDIO,
                "SDP audio 192.168.1.2:30000 RTP/AVP pcmu/8000 sendrecv; \
                 audio 192.168.1.2:20000 RTP/AVP pcmu/8000 sendrecv",
            ),
            (FUZZ_325, "SDP (no media) (9 malformed lines)"),
            (
                CANDIDATES_SDP.as_bytes(),
                "SDP audio [::1]:9 UDP/TLS/RTP/SAVPF 111 inactive 2 candidates ICE-lite DTLS sha-1 \
                 setup:passive (1 malformed lines)",
            ),
        ] {
            assert_eq!(sdp::parse_sdp(body).unwrap().summary(), want);
        }
    }

    #[test]
    fn sip() {
        use sip::tests::*;
        for (message, want) in [
            (
                SIPP_INVITE,
                "SIP INVITE sip:service@127.0.0.1:5070 Call-ID 1-15180@127.0.0.1 CSeq 1 INVITE (SDP)",
            ),
            (SIPP_180, "SIP 180 Ringing (INVITE) Call-ID 1-15180@127.0.0.1"),
            (
                SIPP_200,
                "SIP 200 OK (INVITE) Call-ID 1-15180@127.0.0.1 (SDP)",
            ),
            (REJECT_100, "SIP 100 Trying (INVITE) Call-ID 1-28466@127.0.0.1"),
            (
                REJECT_486,
                "SIP 486 Busy Here (INVITE) Call-ID 1-28466@127.0.0.1",
            ),
            (
                REJECT_603,
                "SIP 603 Decline (INVITE) Call-ID 1-28795@127.0.0.1",
            ),
            (
                REJECT_INVITE,
                "SIP INVITE sip:bob@127.0.0.1:5070 Call-ID 1-28466@127.0.0.1 CSeq 1 INVITE (SDP) \
                 [malformed: malformed header line]",
            ),
            (
                UNAUTHORIZED_401,
                "SIP 401 Unauthorized (REGISTER) Call-ID 578222729-4665d775@578222732-4665d772",
            ),
            (
                BAD_CL_200,
                "SIP 200 OK (INVITE) Call-ID a84b4c76e66710@10.0.0.1 \
                 [malformed: invalid Content-Length]",
            ),
            (JUNK_REGISTER, "SIP REGISTER sip:1.1.1.1:5060"),
        ] {
            assert_eq!(sip::parse_sip(message).unwrap().summary(), want);
        }
    }

    #[test]
    fn stun() {
        use stun::tests::*;
        for (vector, want) in [
            (
                WEBRTC_F1,
                "Binding Request user=Tw5XmGABTU55u6F2:31e58bb6 prio=1853817087 \
                 USE-CANDIDATE ICE-CONTROLLING",
            ),
            (
                WEBRTC_F3,
                "Binding Request user=31e58bb6:Tw5XmGABTU55u6F2 prio=2130706431 ICE-CONTROLLED",
            ),
            (
                WEBRTC_F2,
                "Binding Success Response XOR-MAPPED-ADDRESS=192.150.187.238:31288",
            ),
            (TESTCALL_F1, "Binding Request"),
            (
                TESTCALL_F2,
                "Binding Success Response MAPPED-ADDRESS=70.199.128.46:4604",
            ),
            (TESTCALL_F25, "Binding Error Response 500 SERVER ERROR"),
            (TESTCALL_F32, "Binding Error Response 401 UNAUTHORIZED"),
            // An empty reason phrase: the RFC's words for the code.
            (
                TURN_TCP_F6,
                "Allocate Error Response 401 Unauthorized realm=turn.cloudflare.com",
            ),
            (
                COTURN_F2,
                "Allocate Error Response 401 Unauthorized realm=callscope.test",
            ),
            (
                TURN_TCP_F9,
                "Allocate Success Response XOR-RELAYED-ADDRESS=104.30.147.243:51142 \
                 XOR-MAPPED-ADDRESS=108.56.17.155:61109 lifetime=600",
            ),
            (COTURN_F1, "Allocate Request transport=UDP lifetime=777"),
            (
                TURN_TCP_F14,
                "CreatePermission Error Response (no ERROR-CODE) \
                 [malformed: error response without ERROR-CODE]",
            ),
            (
                COTURN_F13,
                "ChannelBind Request user=alice realm=callscope.test \
                 XOR-PEER-ADDRESS=127.0.0.1:3481 channel=0x5eba",
            ),
            (
                COTURN_F61,
                "Send Indication XOR-PEER-ADDRESS=127.0.0.1:3480 data=60 bytes",
            ),
            (
                COTURN_F64,
                "Data Indication XOR-PEER-ADDRESS=127.0.0.1:3480 data=60 bytes",
            ),
            (CLASSIC_F6, "Binding Request (RFC 3489) CHANGE-REQUEST=none"),
            (
                MERCURY_F2,
                "Binding Success Response XOR-MAPPED-ADDRESS=136.56.4.69:52380",
            ),
            (
                LEN_FFFF_F2,
                "Binding Success Response \
                 [malformed: attribute length goes past the end of the message]",
            ),
            (
                BAD_ERROR_F2,
                "Binding Error Response (no ERROR-CODE) [malformed: ERROR-CODE shorter than 4 bytes]",
            ),
        ] {
            let bytes = h(vector);
            assert_eq!(stun::parse_stun(&bytes).unwrap().summary(), want);
        }
        let mut bad_fingerprint = h(WEBRTC_F2);
        if let Some(last) = bad_fingerprint.last_mut() {
            *last ^= 1;
        }
        let m = stun::parse_stun(&bad_fingerprint).unwrap();
        assert!(m.summary().ends_with(" BAD-FINGERPRINT"), "{}", m.summary());
    }

    #[test]
    fn turn_channel_data() {
        let bytes = stun::tests::h(stun::tests::COTURN_F112);
        assert_eq!(
            stun::parse_channel_data(&bytes).unwrap().summary(),
            "TURN ChannelData channel=0x476A len=61"
        );
    }

    #[test]
    fn dtls() {
        use dtls::tests::*;
        for (vector, want) in [
            (WEBRTC_F9, "DTLS 1.0 ClientHello (message_seq 0)"),
            (
                WEBRTC_F11,
                "DTLS 1.0 ServerHello, Certificate, ServerKeyExchange, CertificateRequest, \
                 ServerHelloDone",
            ),
            (DTLS12_F3, "DTLS 1.0 HelloVerifyRequest (message_seq 0)"),
            (
                SNAKEOIL_F2,
                "DTLS 1.0 (OpenSSL pre 0.9.8f) HelloVerifyRequest (message_seq 0)",
            ),
            (WOLF_F2, "DTLS 1.2 HelloRetryRequest (message_seq 0)"),
            (
                WEBRTC_F14,
                "DTLS 1.0 Change Cipher Spec, Encrypted Handshake Message",
            ),
            (ALERT_UNKNOWN_CA, "DTLS 1.2 Alert fatal unknown_ca"),
            (
                ALERT_HANDSHAKE_FAILURE,
                "DTLS 1.2 Alert fatal handshake_failure",
            ),
            (ARKIME_F13, "DTLS 1.2 Application Data"),
            (ARKIME_F16, "DTLS 1.2 Encrypted Alert"),
            (WOLF_F5, "DTLS 1.3 Encrypted Record (epoch 2)"),
        ] {
            let bytes = unhex(vector);
            assert_eq!(dtls::parse_dtls_datagram(&bytes).unwrap().summary(), want);
        }
        // The ServerHello record and 100 bytes of the Certificate record.
        let bytes = unhex(WEBRTC_F11);
        assert_eq!(
            dtls::parse_dtls_datagram(&bytes[..230]).unwrap().summary(),
            "DTLS 1.0 ServerHello, handshake (truncated, 100 of 284 bytes)"
        );
    }

    /// A message split over datagrams is shown as what each datagram holds
    /// of it: no reassembly in the packet list.
    #[test]
    fn dtls_fragments_one_datagram_at_a_time() {
        use dtls::tests::*;
        let summaries: Vec<String> = certificate_flight()
            .iter()
            .map(|bytes| dtls::parse_dtls_datagram(bytes).unwrap().summary())
            .collect();
        assert_eq!(
            summaries,
            vec![
                "DTLS 1.2 ServerHello, Certificate (fragment 0-121 of 874, message_seq 2)",
                "DTLS 1.2 Certificate (fragment 121-324 of 874, message_seq 2)",
                "DTLS 1.2 Certificate (fragment 324-527 of 874, message_seq 2)",
                "DTLS 1.2 Certificate (fragment 527-730 of 874, message_seq 2)",
                "DTLS 1.2 Certificate (fragment 730-874 of 874, message_seq 2), \
                 ServerKeyExchange (fragment 0-34 of 329, message_seq 3)",
            ]
        );
    }

    #[test]
    fn tls() {
        let record = |content_type, version, length, handshake_type, alert| TlsRecord {
            content_type,
            version,
            length,
            handshake_type,
            alert,
        };
        for (r, want) in [
            (
                record(22, 0x0301, 512, Some(1), None),
                "TLS 1.0 Handshake ClientHello",
            ),
            (
                record(22, 0x0303, 40, None, None),
                "TLS 1.2 Encrypted Handshake Message",
            ),
            (
                record(20, 0x0303, 1, None, None),
                "TLS 1.2 ChangeCipherSpec",
            ),
            (
                record(21, 0x0303, 2, None, Some((2, 40))),
                "TLS 1.2 Alert fatal handshake_failure",
            ),
            (
                record(21, 0x0303, 26, None, None),
                "TLS 1.2 Encrypted Alert",
            ),
            (
                record(23, 0x0304, 100, None, None),
                "TLS 1.3 Application Data len=100",
            ),
        ] {
            assert_eq!(r.summary(), want);
        }
    }
}
