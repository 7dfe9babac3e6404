//! Application-layer decoders, one file per protocol. Each is a pure parser:
//! bytes in, borrowed views out, no state kept between calls. [`demux`]
//! chooses the decoder for a payload. Their one-line texts and JSON forms
//! are made in `report`.

pub mod demux;
pub mod dtls;
pub mod keylog;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod stun;
pub mod tls;
pub mod websocket;

/// One protocol message found in a frame.
#[derive(Debug)]
pub enum Pdu<'a> {
    Sip(Box<sip::SipMessage<'a>>),
    /// A STUN/TURN message; `inner` is what a Send or Data indication
    /// carries, decoded again.
    Stun {
        msg: stun::StunMessage<'a>,
        inner: Option<Box<Pdu<'a>>>,
    },
    /// TURN ChannelData; `inner` is the relayed datagram, decoded again.
    ChannelData {
        data: stun::ChannelData<'a>,
        inner: Option<Box<Pdu<'a>>>,
    },
    Dtls(dtls::DtlsDatagram<'a>),
    Rtp(rtp::RtpPacket<'a>),
    Rtcp(rtcp::RtcpCompound<'a>),
    /// A TLS record on a TCP stream (SIP over TLS).
    Tls(tls::TlsRecord),
    /// A message of a known protocol that could not be read.
    Malformed {
        protocol: &'static str,
        reason: String,
    },
}

impl Pdu<'_> {
    /// Lowercase protocol name as the JSON output spells it.
    pub fn protocol(&self) -> &'static str {
        match self {
            Pdu::Sip(_) => "sip",
            Pdu::Stun { .. } => "stun",
            Pdu::ChannelData { .. } => "turn-channel",
            Pdu::Dtls(_) => "dtls",
            Pdu::Rtp(_) => "rtp",
            Pdu::Rtcp(_) => "rtcp",
            Pdu::Tls(_) => "tls",
            Pdu::Malformed { protocol, .. } => protocol,
        }
    }

    /// What a TURN message relays, if anything.
    pub fn inner(&self) -> Option<&Pdu<'_>> {
        match self {
            Pdu::Stun { inner, .. } | Pdu::ChannelData { inner, .. } => inner.as_deref(),
            _ => None,
        }
    }
}
