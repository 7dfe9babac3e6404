//! STUN (RFC 8489), its TURN extension (RFC 8656), the ICE attributes (RFC 8445)
//! and classic STUN without a magic cookie (RFC 3489), plus TURN ChannelData.
//!
//! The decoder reads what real endpoints send, broken or not: once the 20-byte
//! header is there, a message always decodes. Attributes are read until one is
//! malformed; what was read is kept and the problem is named in
//! [`StunMessage::malformed`]. Only bytes that cannot be STUN at all (shorter than
//! the header, top two bits not zero) are an error.
//!
//! Every slice in a decoded message borrows from the input; after
//! [`parse_stun`] returns, no accessor indexes into the bytes again.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nom::bytes::complete::take;
use nom::combinator::{all_consuming, eof, map_res, rest};
use nom::multi::many0;
use nom::number::complete::{be_u16, be_u32, be_u64, be_u8};
use nom::{IResult, Parser};
use thiserror::Error;

/// RFC 8489 s6: fixed value in bytes 4..8 of every message since RFC 5389.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// RFC 8489 s14.7: FINGERPRINT is the CRC-32 of the message XOR this value
/// ("STUN"), so that a CRC over some other protocol's packet does not match.
const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// RFC 8489 s5: type (2), length (2), cookie (4), transaction id (12).
pub const HEADER_LEN: usize = 20;
/// RFC 8656 s12.4: channel number (2), length (2).
const CHANNEL_DATA_HEADER_LEN: usize = 4;
/// RFC 4571 s2: a 16-bit length before each packet on ICE-TCP (RFC 6544).
const RFC4571_PREFIX_LEN: usize = 2;

/// Channel numbers RFC 8656 s12 allows (0x4000..=0x4FFF), which RFC 7983 s7
/// maps to first bytes 64..=79.
pub const CHANNEL_RANGE_RFC8656: std::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;
/// Channel numbers [`parse_channel_data`] accepts: RFC 5766 s11 allowed
/// 0x4000..=0x7FFF and clients still pick from it (coturn's turnutils_uclient
/// binds 0x5eba, see the tests).
pub const CHANNEL_RANGE_ACCEPTED: std::ops::RangeInclusive<u16> = 0x4000..=0x7FFF;

/// STUN methods (12 bits), IANA "STUN Methods" registry.
pub mod method {
    /// RFC 8489
    pub const BINDING: u16 = 0x001;
    /// RFC 3489 s8 (removed from STUN by RFC 5389)
    pub const SHARED_SECRET: u16 = 0x002;
    /// RFC 8656 s7
    pub const ALLOCATE: u16 = 0x003;
    /// RFC 8656 s8
    pub const REFRESH: u16 = 0x004;
    /// RFC 8656 s11
    pub const SEND: u16 = 0x006;
    /// RFC 8656 s11
    pub const DATA: u16 = 0x007;
    /// RFC 8656 s10
    pub const CREATE_PERMISSION: u16 = 0x008;
    /// RFC 8656 s12
    pub const CHANNEL_BIND: u16 = 0x009;
    /// RFC 6062 (TURN TCP allocations)
    pub const CONNECT: u16 = 0x00A;
    /// RFC 6062
    pub const CONNECTION_BIND: u16 = 0x00B;
    /// RFC 6062
    pub const CONNECTION_ATTEMPT: u16 = 0x00C;
    /// libwebrtc's GOOG-PING (a Binding with the attributes stripped)
    pub const GOOG_PING: u16 = 0x080;
}

/// STUN attribute types, IANA "STUN Attributes" registry. 0x0000..=0x7FFF are
/// comprehension-required, 0x8000..=0xFFFF comprehension-optional (RFC 8489 s14).
pub mod attr {
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    /// RFC 3489
    pub const RESPONSE_ADDRESS: u16 = 0x0002;
    /// RFC 3489, RFC 5780 s7.2
    pub const CHANGE_REQUEST: u16 = 0x0003;
    /// RFC 3489
    pub const SOURCE_ADDRESS: u16 = 0x0004;
    /// RFC 3489
    pub const CHANGED_ADDRESS: u16 = 0x0005;
    pub const USERNAME: u16 = 0x0006;
    /// RFC 3489
    pub const PASSWORD: u16 = 0x0007;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    pub const ERROR_CODE: u16 = 0x0009;
    pub const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
    /// RFC 3489
    pub const REFLECTED_FROM: u16 = 0x000B;
    /// RFC 8656 s18.1
    pub const CHANNEL_NUMBER: u16 = 0x000C;
    /// RFC 8656 s18.2
    pub const LIFETIME: u16 = 0x000D;
    /// Reserved by RFC 5766; old TURN drafts and MS-TURN still send it.
    pub const BANDWIDTH: u16 = 0x0010;
    /// RFC 8656 s18.3
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    /// RFC 8656 s18.4
    pub const DATA: u16 = 0x0013;
    pub const REALM: u16 = 0x0014;
    pub const NONCE: u16 = 0x0015;
    /// RFC 8656 s18.5
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    /// RFC 8656 s18.6
    pub const REQUESTED_ADDRESS_FAMILY: u16 = 0x0017;
    /// RFC 8656 s18.7
    pub const EVEN_PORT: u16 = 0x0018;
    /// RFC 8656 s18.8
    pub const REQUESTED_TRANSPORT: u16 = 0x0019;
    /// RFC 8656 s18.9
    pub const DONT_FRAGMENT: u16 = 0x001A;
    /// RFC 7635
    pub const ACCESS_TOKEN: u16 = 0x001B;
    pub const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;
    pub const PASSWORD_ALGORITHM: u16 = 0x001D;
    pub const USERHASH: u16 = 0x001E;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// RFC 8656 s18.10
    pub const RESERVATION_TOKEN: u16 = 0x0022;
    /// RFC 8445 s16.1
    pub const PRIORITY: u16 = 0x0024;
    /// RFC 8445 s16.1
    pub const USE_CANDIDATE: u16 = 0x0025;
    /// RFC 5780
    pub const PADDING: u16 = 0x0026;
    /// RFC 5780
    pub const RESPONSE_PORT: u16 = 0x0027;
    /// RFC 6062
    pub const CONNECTION_ID: u16 = 0x002A;
    /// RFC 8656 s18.11
    pub const ADDITIONAL_ADDRESS_FAMILY: u16 = 0x8000;
    /// RFC 8656 s18.12
    pub const ADDRESS_ERROR_CODE: u16 = 0x8001;
    pub const PASSWORD_ALGORITHMS: u16 = 0x8002;
    pub const ALTERNATE_DOMAIN: u16 = 0x8003;
    /// RFC 8656 s18.13
    pub const ICMP: u16 = 0x8004;
    pub const SOFTWARE: u16 = 0x8022;
    pub const ALTERNATE_SERVER: u16 = 0x8023;
    /// RFC 7982
    pub const TRANSACTION_TRANSMIT_COUNTER: u16 = 0x8025;
    /// RFC 5780
    pub const CACHE_TIMEOUT: u16 = 0x8027;
    pub const FINGERPRINT: u16 = 0x8028;
    /// RFC 8445 s16.1
    pub const ICE_CONTROLLED: u16 = 0x8029;
    /// RFC 8445 s16.1
    pub const ICE_CONTROLLING: u16 = 0x802A;
    /// RFC 5780
    pub const RESPONSE_ORIGIN: u16 = 0x802B;
    /// RFC 5780
    pub const OTHER_ADDRESS: u16 = 0x802C;
    /// RFC 6679
    pub const ECN_CHECK: u16 = 0x802D;
    /// RFC 7635
    pub const THIRD_PARTY_AUTHORIZATION: u16 = 0x802E;
    /// RFC 8016
    pub const MOBILITY_TICKET: u16 = 0x8030;
    /// libwebrtc: network id (16 bits) and network cost (16 bits)
    pub const GOOG_NETWORK_INFO: u16 = 0xC057;
    pub const GOOG_LAST_ICE_CHECK_RECEIVED: u16 = 0xC058;
    pub const GOOG_MISC_INFO: u16 = 0xC059;
    pub const GOOG_CONNECTION_ID: u16 = 0xC05B;
    pub const GOOG_DELTA: u16 = 0xC05C;
    pub const GOOG_DELTA_ACK: u16 = 0xC05D;
    pub const GOOG_MESSAGE_INTEGRITY_32: u16 = 0xC060;
}

/// Name of an attribute type as the registries spell it, for types this module
/// knows (decoded or not).
pub fn attribute_name(kind: u16) -> Option<&'static str> {
    use attr::*;
    Some(match kind {
        MAPPED_ADDRESS => "MAPPED-ADDRESS",
        RESPONSE_ADDRESS => "RESPONSE-ADDRESS",
        CHANGE_REQUEST => "CHANGE-REQUEST",
        SOURCE_ADDRESS => "SOURCE-ADDRESS",
        CHANGED_ADDRESS => "CHANGED-ADDRESS",
        USERNAME => "USERNAME",
        PASSWORD => "PASSWORD",
        MESSAGE_INTEGRITY => "MESSAGE-INTEGRITY",
        ERROR_CODE => "ERROR-CODE",
        UNKNOWN_ATTRIBUTES => "UNKNOWN-ATTRIBUTES",
        REFLECTED_FROM => "REFLECTED-FROM",
        CHANNEL_NUMBER => "CHANNEL-NUMBER",
        LIFETIME => "LIFETIME",
        BANDWIDTH => "BANDWIDTH",
        XOR_PEER_ADDRESS => "XOR-PEER-ADDRESS",
        DATA => "DATA",
        REALM => "REALM",
        NONCE => "NONCE",
        XOR_RELAYED_ADDRESS => "XOR-RELAYED-ADDRESS",
        REQUESTED_ADDRESS_FAMILY => "REQUESTED-ADDRESS-FAMILY",
        EVEN_PORT => "EVEN-PORT",
        REQUESTED_TRANSPORT => "REQUESTED-TRANSPORT",
        DONT_FRAGMENT => "DONT-FRAGMENT",
        ACCESS_TOKEN => "ACCESS-TOKEN",
        MESSAGE_INTEGRITY_SHA256 => "MESSAGE-INTEGRITY-SHA256",
        PASSWORD_ALGORITHM => "PASSWORD-ALGORITHM",
        USERHASH => "USERHASH",
        XOR_MAPPED_ADDRESS => "XOR-MAPPED-ADDRESS",
        RESERVATION_TOKEN => "RESERVATION-TOKEN",
        PRIORITY => "PRIORITY",
        USE_CANDIDATE => "USE-CANDIDATE",
        PADDING => "PADDING",
        RESPONSE_PORT => "RESPONSE-PORT",
        CONNECTION_ID => "CONNECTION-ID",
        ADDITIONAL_ADDRESS_FAMILY => "ADDITIONAL-ADDRESS-FAMILY",
        ADDRESS_ERROR_CODE => "ADDRESS-ERROR-CODE",
        PASSWORD_ALGORITHMS => "PASSWORD-ALGORITHMS",
        ALTERNATE_DOMAIN => "ALTERNATE-DOMAIN",
        ICMP => "ICMP",
        SOFTWARE => "SOFTWARE",
        ALTERNATE_SERVER => "ALTERNATE-SERVER",
        TRANSACTION_TRANSMIT_COUNTER => "TRANSACTION-TRANSMIT-COUNTER",
        CACHE_TIMEOUT => "CACHE-TIMEOUT",
        FINGERPRINT => "FINGERPRINT",
        ICE_CONTROLLED => "ICE-CONTROLLED",
        ICE_CONTROLLING => "ICE-CONTROLLING",
        RESPONSE_ORIGIN => "RESPONSE-ORIGIN",
        OTHER_ADDRESS => "OTHER-ADDRESS",
        ECN_CHECK => "ECN-CHECK",
        THIRD_PARTY_AUTHORIZATION => "THIRD-PARTY-AUTHORIZATION",
        MOBILITY_TICKET => "MOBILITY-TICKET",
        GOOG_NETWORK_INFO => "GOOG-NETWORK-INFO",
        GOOG_LAST_ICE_CHECK_RECEIVED => "GOOG-LAST-ICE-CHECK-RECEIVED",
        GOOG_MISC_INFO => "GOOG-MISC-INFO",
        GOOG_CONNECTION_ID => "GOOG-CONNECTION-ID",
        GOOG_DELTA => "GOOG-DELTA",
        GOOG_DELTA_ACK => "GOOG-DELTA-ACK",
        GOOG_MESSAGE_INTEGRITY_32 => "GOOG-MESSAGE-INTEGRITY-32",
        _ => return None,
    })
}

/// Name of a STUN method, "Unknown" for unregistered ones.
pub fn method_name(method: u16) -> &'static str {
    match method {
        method::BINDING => "Binding",
        method::SHARED_SECRET => "SharedSecret",
        method::ALLOCATE => "Allocate",
        method::REFRESH => "Refresh",
        method::SEND => "Send",
        method::DATA => "Data",
        method::CREATE_PERMISSION => "CreatePermission",
        method::CHANNEL_BIND => "ChannelBind",
        method::CONNECT => "Connect",
        method::CONNECTION_BIND => "ConnectionBind",
        method::CONNECTION_ATTEMPT => "ConnectionAttempt",
        method::GOOG_PING => "GoogPing",
        _ => "Unknown",
    }
}

/// Reason phrase the RFCs give for an ERROR-CODE (RFC 8489 s14.8, RFC 8656
/// s19, RFC 8445 s7.3.1.1, RFC 6062 s6.3), for responses that carry none.
pub fn error_code_name(code: u16) -> Option<&'static str> {
    Some(match code {
        300 => "Try Alternate",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        405 => "Mobility Forbidden",
        420 => "Unknown Attribute",
        437 => "Allocation Mismatch",
        438 => "Stale Nonce",
        440 => "Address Family not Supported",
        441 => "Wrong Credentials",
        442 => "Unsupported Transport Protocol",
        443 => "Peer Address Family Mismatch",
        446 => "Connection Already Exists",
        447 => "Connection Timeout or Failure",
        486 => "Allocation Quota Reached",
        487 => "Role Conflict",
        500 => "Server Error",
        508 => "Insufficient Capacity",
        _ => return None,
    })
}

/// Why bytes could not be read as STUN or ChannelData at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StunError {
    #[error("{len} bytes is shorter than the 20-byte STUN header")]
    TooShort { len: usize },
    #[error("first byte {first:#04x} has a top bit set: not STUN")]
    NotStun { first: u8 },
    #[error("{len} bytes is shorter than the 4-byte ChannelData header")]
    ChannelDataTooShort { len: usize },
    #[error("channel number {channel:#06x} is outside 0x4000..=0x7fff: not ChannelData")]
    NotChannelData { channel: u16 },
}

/// The two class bits of the message type (RFC 8489 s5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StunClass {
    Request,
    Indication,
    SuccessResponse,
    ErrorResponse,
}

impl StunClass {
    /// As tshark writes it: "Request", "Success Response", ...
    pub fn name(self) -> &'static str {
        match self {
            StunClass::Request => "Request",
            StunClass::Indication => "Indication",
            StunClass::SuccessResponse => "Success Response",
            StunClass::ErrorResponse => "Error Response",
        }
    }

    pub fn is_response(self) -> bool {
        matches!(self, StunClass::SuccessResponse | StunClass::ErrorResponse)
    }
}

impl fmt::Display for StunClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One decoded attribute. Values the RFCs leave opaque (credentials, HMACs,
/// relayed data) stay borrowed slices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StunAttribute<'a> {
    MappedAddress(SocketAddr),
    XorMappedAddress(SocketAddr),
    XorRelayedAddress(SocketAddr),
    XorPeerAddress(SocketAddr),
    AlternateServer(SocketAddr),
    Username(&'a [u8]),
    Realm(&'a [u8]),
    Nonce(&'a [u8]),
    Software(&'a [u8]),
    /// `code` is class * 100 + number (RFC 8489 s14.8).
    ErrorCode {
        code: u16,
        reason: &'a [u8],
    },
    UnknownAttributes(Vec<u16>),
    Priority(u32),
    UseCandidate,
    /// ICE tie-breaker (RFC 8445 s16.1).
    IceControlling(u64),
    IceControlled(u64),
    /// HMAC-SHA1, 20 bytes; not verified (no key here).
    MessageIntegrity(&'a [u8]),
    /// HMAC-SHA256, 16 to 32 bytes (RFC 8489 s14.6).
    MessageIntegritySha256(&'a [u8]),
    /// `valid`: the CRC-32 check of RFC 8489 s14.7 passed.
    Fingerprint {
        value: u32,
        valid: bool,
    },
    /// Seconds.
    Lifetime(u32),
    ChannelNumber(u16),
    /// IP protocol number: 17 UDP, 6 TCP.
    RequestedTransport(u8),
    Data(&'a [u8]),
    /// The R bit: reserve the next port too.
    EvenPort(bool),
    ReservationToken(&'a [u8]),
    DontFragment,
    /// 1 IPv4, 2 IPv6.
    RequestedAddressFamily(u8),
    AdditionalAddressFamily(u8),
    /// RFC 8656 s18.12: why the relayed address of one family was not allocated.
    AddressErrorCode {
        family: u8,
        code: u16,
        reason: &'a [u8],
    },
    /// RFC 8656 s18.13: an ICMP error the relay received for the peer.
    Icmp {
        icmp_type: u8,
        code: u8,
        error_data: u32,
    },
    ConnectionId(u32),
    /// RFC 3489 / RFC 5780 s7.2.
    ChangeRequest {
        change_ip: bool,
        change_port: bool,
    },
    ResponseOrigin(SocketAddr),
    OtherAddress(SocketAddr),
    ResponsePort(u16),
    /// RFC 3489 addresses.
    ResponseAddress(SocketAddr),
    SourceAddress(SocketAddr),
    ChangedAddress(SocketAddr),
    ReflectedFrom(SocketAddr),
    /// kbit/s, old TURN drafts and MS-TURN.
    Bandwidth(u32),
    /// libwebrtc: which network interface and how costly it is.
    GoogNetworkInfo {
        network_id: u16,
        network_cost: u16,
    },
    /// Any other type, known types this module keeps opaque, and known types
    /// whose value did not decode (then [`StunMessage::malformed`] says why).
    Unknown {
        kind: u16,
        value: &'a [u8],
    },
}

impl StunAttribute<'_> {
    /// The attribute type on the wire.
    pub fn kind(&self) -> u16 {
        use StunAttribute as A;
        match self {
            A::MappedAddress(_) => attr::MAPPED_ADDRESS,
            A::XorMappedAddress(_) => attr::XOR_MAPPED_ADDRESS,
            A::XorRelayedAddress(_) => attr::XOR_RELAYED_ADDRESS,
            A::XorPeerAddress(_) => attr::XOR_PEER_ADDRESS,
            A::AlternateServer(_) => attr::ALTERNATE_SERVER,
            A::Username(_) => attr::USERNAME,
            A::Realm(_) => attr::REALM,
            A::Nonce(_) => attr::NONCE,
            A::Software(_) => attr::SOFTWARE,
            A::ErrorCode { .. } => attr::ERROR_CODE,
            A::UnknownAttributes(_) => attr::UNKNOWN_ATTRIBUTES,
            A::Priority(_) => attr::PRIORITY,
            A::UseCandidate => attr::USE_CANDIDATE,
            A::IceControlling(_) => attr::ICE_CONTROLLING,
            A::IceControlled(_) => attr::ICE_CONTROLLED,
            A::MessageIntegrity(_) => attr::MESSAGE_INTEGRITY,
            A::MessageIntegritySha256(_) => attr::MESSAGE_INTEGRITY_SHA256,
            A::Fingerprint { .. } => attr::FINGERPRINT,
            A::Lifetime(_) => attr::LIFETIME,
            A::ChannelNumber(_) => attr::CHANNEL_NUMBER,
            A::RequestedTransport(_) => attr::REQUESTED_TRANSPORT,
            A::Data(_) => attr::DATA,
            A::EvenPort(_) => attr::EVEN_PORT,
            A::ReservationToken(_) => attr::RESERVATION_TOKEN,
            A::DontFragment => attr::DONT_FRAGMENT,
            A::RequestedAddressFamily(_) => attr::REQUESTED_ADDRESS_FAMILY,
            A::AdditionalAddressFamily(_) => attr::ADDITIONAL_ADDRESS_FAMILY,
            A::AddressErrorCode { .. } => attr::ADDRESS_ERROR_CODE,
            A::Icmp { .. } => attr::ICMP,
            A::ConnectionId(_) => attr::CONNECTION_ID,
            A::ChangeRequest { .. } => attr::CHANGE_REQUEST,
            A::ResponseOrigin(_) => attr::RESPONSE_ORIGIN,
            A::OtherAddress(_) => attr::OTHER_ADDRESS,
            A::ResponsePort(_) => attr::RESPONSE_PORT,
            A::ResponseAddress(_) => attr::RESPONSE_ADDRESS,
            A::SourceAddress(_) => attr::SOURCE_ADDRESS,
            A::ChangedAddress(_) => attr::CHANGED_ADDRESS,
            A::ReflectedFrom(_) => attr::REFLECTED_FROM,
            A::Bandwidth(_) => attr::BANDWIDTH,
            A::GoogNetworkInfo { .. } => attr::GOOG_NETWORK_INFO,
            A::Unknown { kind, .. } => *kind,
        }
    }

    /// Registry name, or None for a type nobody registered.
    pub fn name(&self) -> Option<&'static str> {
        attribute_name(self.kind())
    }
}

/// A decoded STUN message, borrowing from the captured bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunMessage<'a> {
    pub class: StunClass,
    /// 12-bit method, see [`method`].
    pub method: u16,
    /// The header's length field (attributes only), even when the bytes
    /// captured are fewer.
    pub length: u16,
    /// For RFC 3489: the last 12 of the 16-byte id (see
    /// [`StunMessage::classic_transaction_id`]).
    pub transaction_id: [u8; 12],
    /// No magic cookie: an RFC 3489 message.
    pub classic: bool,
    pub attributes: Vec<StunAttribute<'a>>,
    /// The first problem found, in wire order (see [`problem`]). Attributes
    /// after a broken length are missing; an attribute whose value did not
    /// decode is kept as [`StunAttribute::Unknown`] and the walk goes on.
    pub malformed: Option<&'static str>,
    /// The message: header plus what was captured of the attributes, without
    /// any bytes after `20 + length`.
    pub raw: &'a [u8],
}

/// Problems named in [`StunMessage::malformed`].
pub mod problem {
    pub const TRUNCATED: &str = "message truncated: length field exceeds the bytes captured";
    pub const LENGTH_NOT_MULTIPLE_OF_4: &str = "message length is not a multiple of 4";
    pub const ATTRIBUTE_HEADER_TRUNCATED: &str = "attribute header cut by the end of the message";
    pub const ATTRIBUTE_OVERRUN: &str = "attribute length goes past the end of the message";
    pub const PADDING_MISSING: &str = "last attribute is not padded to 4 bytes";
    pub const AFTER_FINGERPRINT: &str = "attribute after FINGERPRINT";
    pub const ERROR_WITHOUT_ERROR_CODE: &str = "error response without ERROR-CODE";
    pub const BAD_ADDRESS: &str = "address attribute: bad family or length";
    pub const BAD_ERROR_CODE: &str = "ERROR-CODE shorter than 4 bytes";
    pub const BAD_UNKNOWN_ATTRIBUTES: &str = "UNKNOWN-ATTRIBUTES length is odd";
    pub const BAD_PRIORITY: &str = "PRIORITY is not 4 bytes";
    pub const BAD_USE_CANDIDATE: &str = "USE-CANDIDATE is not empty";
    pub const BAD_ICE_ROLE: &str = "ICE-CONTROLLING/ICE-CONTROLLED is not 8 bytes";
    pub const BAD_MESSAGE_INTEGRITY: &str = "MESSAGE-INTEGRITY is not 20 bytes";
    pub const BAD_MESSAGE_INTEGRITY_SHA256: &str =
        "MESSAGE-INTEGRITY-SHA256 is not 16 to 32 bytes in steps of 4";
    pub const BAD_FINGERPRINT: &str = "FINGERPRINT is not 4 bytes";
    pub const BAD_LIFETIME: &str = "LIFETIME is not 4 bytes";
    pub const BAD_CHANNEL_NUMBER: &str = "CHANNEL-NUMBER is not 4 bytes";
    pub const BAD_REQUESTED_TRANSPORT: &str = "REQUESTED-TRANSPORT is not 4 bytes";
    pub const BAD_EVEN_PORT: &str = "EVEN-PORT is not 1 byte";
    pub const BAD_RESERVATION_TOKEN: &str = "RESERVATION-TOKEN is not 8 bytes";
    pub const BAD_DONT_FRAGMENT: &str = "DONT-FRAGMENT is not empty";
    pub const BAD_ADDRESS_FAMILY: &str = "address family attribute is not 4 bytes";
    pub const BAD_ADDRESS_ERROR_CODE: &str = "ADDRESS-ERROR-CODE shorter than 4 bytes";
    pub const BAD_ICMP: &str = "ICMP is not 8 bytes";
    pub const BAD_CONNECTION_ID: &str = "CONNECTION-ID is not 4 bytes";
    pub const BAD_CHANGE_REQUEST: &str = "CHANGE-REQUEST is not 4 bytes";
    pub const BAD_RESPONSE_PORT: &str = "RESPONSE-PORT is not 4 bytes";
    pub const BAD_BANDWIDTH: &str = "BANDWIDTH is not 4 bytes";
    pub const BAD_GOOG_NETWORK_INFO: &str = "GOOG-NETWORK-INFO is not 4 bytes";
}

/// nom's plain error, for parsers whose failure the caller names itself.
type NomError<'a> = nom::error::Error<&'a [u8]>;

/// The fixed header (RFC 8489 s5).
struct Header {
    msg_type: u16,
    length: u16,
    cookie: u32,
    transaction_id: [u8; 12],
}

fn header(i: &[u8]) -> IResult<&[u8], Header> {
    let (i, (msg_type, length, cookie, transaction_id)) = (
        be_u16,
        be_u16,
        be_u32,
        map_res(take(12usize), <[u8; 12]>::try_from),
    )
        .parse(i)?;
    Ok((
        i,
        Header {
            msg_type,
            length,
            cookie,
            transaction_id,
        },
    ))
}

/// RFC 8489 s5: the class bits C1 (0x0100) and C0 (0x0010) are interleaved
/// with the method bits M0..M11.
fn split_type(msg_type: u16) -> (StunClass, u16) {
    let class = match ((msg_type >> 7) & 0b10) | ((msg_type >> 4) & 0b01) {
        0 => StunClass::Request,
        1 => StunClass::Indication,
        2 => StunClass::SuccessResponse,
        _ => StunClass::ErrorResponse,
    };
    let method = (msg_type & 0x000F) | ((msg_type & 0x00E0) >> 1) | ((msg_type & 0x3E00) >> 2);
    (class, method)
}

/// Padding after a value of `len` bytes (RFC 8489 s14: values are padded to 4).
fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// One type-length-value, with the offset of its header in the message.
struct RawAttribute<'a> {
    kind: u16,
    value: &'a [u8],
    offset: usize,
}

/// Outcome of reading one attribute TLV from `i` (the rest of the body).
enum Tlv<'a> {
    /// A whole attribute, the bytes after its padding.
    Whole(u16, &'a [u8], &'a [u8]),
    /// The value fits but its padding is cut: the last attribute.
    Unpadded(u16, &'a [u8]),
    Broken(&'static str),
}

fn attribute_tlv(i: &[u8]) -> Tlv<'_> {
    let Ok((after, (kind, len))) = (be_u16::<_, NomError<'_>>, be_u16).parse(i) else {
        return Tlv::Broken(problem::ATTRIBUTE_HEADER_TRUNCATED);
    };
    let len = usize::from(len);
    let Ok((after, value)) = take::<_, _, NomError<'_>>(len).parse(after) else {
        return Tlv::Broken(problem::ATTRIBUTE_OVERRUN);
    };
    match take::<_, _, NomError<'_>>(padding(len)).parse(after) {
        Ok((after, _)) => Tlv::Whole(kind, value, after),
        Err(_) => Tlv::Unpadded(kind, value),
    }
}

type ValueResult<'a> = Result<StunAttribute<'a>, &'static str>;

/// Runs `p` over the whole of `v`; any leftover or missing byte is `problem`.
fn exact<'a, O, P>(v: &'a [u8], problem: &'static str, p: P) -> Result<O, &'static str>
where
    P: Parser<&'a [u8], Output = O, Error = NomError<'a>>,
{
    all_consuming(p)
        .parse(v)
        .map(|(_, o)| o)
        .map_err(|_| problem)
}

/// MAPPED-ADDRESS and its relatives (RFC 8489 s14.1): reserved, family, port,
/// address. With `xor_key` (the header's bytes 4..20: cookie then transaction
/// id), the XOR-* form of s14.2; for RFC 3489 messages those bytes are the
/// first part of the 128-bit transaction id, as pre-RFC 5389 drafts used.
fn address(v: &[u8], xor_key: Option<&[u8; 16]>) -> Result<SocketAddr, &'static str> {
    let (addr, (_reserved, family, port)) = (be_u8::<_, NomError<'_>>, be_u8, be_u16)
        .parse(v)
        .map_err(|_| problem::BAD_ADDRESS)?;
    let ip = match (family, addr.len()) {
        (1, 4) => {
            let mut b = [0u8; 4];
            b.copy_from_slice(addr);
            if let Some(key) = xor_key {
                b.iter_mut().zip(key).for_each(|(x, k)| *x ^= k);
            }
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (2, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(addr);
            if let Some(key) = xor_key {
                b.iter_mut().zip(key).for_each(|(x, k)| *x ^= k);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return Err(problem::BAD_ADDRESS),
    };
    // The port is XORed with the cookie's top 16 bits.
    let port = match xor_key {
        Some(key) => port ^ u16::from_be_bytes([key[0], key[1]]),
        None => port,
    };
    Ok(SocketAddr::new(ip, port))
}

/// ERROR-CODE (RFC 8489 s14.8) and ADDRESS-ERROR-CODE (RFC 8656 s18.12) share
/// the layout: a first byte (reserved, or the address family), reserved bits,
/// class (3 bits), number (8 bits), reason. Returns (first byte, code, reason).
fn error_code<'a>(v: &'a [u8], problem: &'static str) -> Result<(u8, u16, &'a [u8]), &'static str> {
    let (_, (first, _, class, number, reason)) =
        (be_u8::<_, NomError<'_>>, be_u8, be_u8, be_u8, rest)
            .parse(v)
            .map_err(|_| problem)?;
    Ok((
        first,
        u16::from(class & 0x07) * 100 + u16::from(number),
        reason,
    ))
}

fn attribute_value<'a>(kind: u16, v: &'a [u8], xor_key: &[u8; 16]) -> ValueResult<'a> {
    use problem::*;
    use StunAttribute as A;
    let u32_value = |p| exact(v, p, be_u32);
    // One byte then three reserved (REQUESTED-TRANSPORT, *-ADDRESS-FAMILY).
    let byte_then_rffu = |p| exact(v, p, (be_u8, take(3usize))).map(|(b, _)| b);
    Ok(match kind {
        attr::MAPPED_ADDRESS => A::MappedAddress(address(v, None)?),
        attr::XOR_MAPPED_ADDRESS => A::XorMappedAddress(address(v, Some(xor_key))?),
        attr::XOR_RELAYED_ADDRESS => A::XorRelayedAddress(address(v, Some(xor_key))?),
        attr::XOR_PEER_ADDRESS => A::XorPeerAddress(address(v, Some(xor_key))?),
        attr::ALTERNATE_SERVER => A::AlternateServer(address(v, None)?),
        attr::RESPONSE_ORIGIN => A::ResponseOrigin(address(v, None)?),
        attr::OTHER_ADDRESS => A::OtherAddress(address(v, None)?),
        attr::RESPONSE_ADDRESS => A::ResponseAddress(address(v, None)?),
        attr::SOURCE_ADDRESS => A::SourceAddress(address(v, None)?),
        attr::CHANGED_ADDRESS => A::ChangedAddress(address(v, None)?),
        attr::REFLECTED_FROM => A::ReflectedFrom(address(v, None)?),
        attr::USERNAME => A::Username(v),
        attr::REALM => A::Realm(v),
        attr::NONCE => A::Nonce(v),
        attr::SOFTWARE => A::Software(v),
        attr::DATA => A::Data(v),
        attr::ERROR_CODE => {
            let (_, code, reason) = error_code(v, BAD_ERROR_CODE)?;
            A::ErrorCode { code, reason }
        }
        attr::ADDRESS_ERROR_CODE => {
            let (family, code, reason) = error_code(v, BAD_ADDRESS_ERROR_CODE)?;
            A::AddressErrorCode {
                family,
                code,
                reason,
            }
        }
        attr::UNKNOWN_ATTRIBUTES => {
            A::UnknownAttributes(exact(v, BAD_UNKNOWN_ATTRIBUTES, many0(be_u16))?)
        }
        attr::PRIORITY => A::Priority(u32_value(BAD_PRIORITY)?),
        attr::USE_CANDIDATE => {
            exact(v, BAD_USE_CANDIDATE, eof)?;
            A::UseCandidate
        }
        attr::ICE_CONTROLLING => A::IceControlling(exact(v, BAD_ICE_ROLE, be_u64)?),
        attr::ICE_CONTROLLED => A::IceControlled(exact(v, BAD_ICE_ROLE, be_u64)?),
        attr::MESSAGE_INTEGRITY => {
            A::MessageIntegrity(exact(v, BAD_MESSAGE_INTEGRITY, take(20usize))?)
        }
        attr::MESSAGE_INTEGRITY_SHA256 => {
            if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 {
                return Err(BAD_MESSAGE_INTEGRITY_SHA256);
            }
            A::MessageIntegritySha256(v)
        }
        attr::FINGERPRINT => A::Fingerprint {
            value: u32_value(BAD_FINGERPRINT)?,
            // Checked by the caller, which knows where the attribute sits.
            valid: false,
        },
        attr::LIFETIME => A::Lifetime(u32_value(BAD_LIFETIME)?),
        attr::CHANNEL_NUMBER => {
            A::ChannelNumber(exact(v, BAD_CHANNEL_NUMBER, (be_u16, take(2usize)))?.0)
        }
        attr::REQUESTED_TRANSPORT => {
            A::RequestedTransport(byte_then_rffu(BAD_REQUESTED_TRANSPORT)?)
        }
        attr::REQUESTED_ADDRESS_FAMILY => {
            A::RequestedAddressFamily(byte_then_rffu(BAD_ADDRESS_FAMILY)?)
        }
        attr::ADDITIONAL_ADDRESS_FAMILY => {
            A::AdditionalAddressFamily(byte_then_rffu(BAD_ADDRESS_FAMILY)?)
        }
        attr::EVEN_PORT => A::EvenPort(exact(v, BAD_EVEN_PORT, be_u8)? & 0x80 != 0),
        attr::RESERVATION_TOKEN => {
            A::ReservationToken(exact(v, BAD_RESERVATION_TOKEN, take(8usize))?)
        }
        attr::DONT_FRAGMENT => {
            exact(v, BAD_DONT_FRAGMENT, eof)?;
            A::DontFragment
        }
        attr::ICMP => {
            let (_, icmp_type, code, error_data) =
                exact(v, BAD_ICMP, (take(2usize), be_u8, be_u8, be_u32))?;
            A::Icmp {
                icmp_type,
                code,
                error_data,
            }
        }
        attr::CONNECTION_ID => A::ConnectionId(u32_value(BAD_CONNECTION_ID)?),
        attr::CHANGE_REQUEST => {
            let flags = u32_value(BAD_CHANGE_REQUEST)?;
            A::ChangeRequest {
                change_ip: flags & 0x4 != 0,
                change_port: flags & 0x2 != 0,
            }
        }
        attr::RESPONSE_PORT => {
            A::ResponsePort(exact(v, BAD_RESPONSE_PORT, (be_u16, take(2usize)))?.0)
        }
        attr::BANDWIDTH => A::Bandwidth(u32_value(BAD_BANDWIDTH)?),
        attr::GOOG_NETWORK_INFO => {
            let (network_id, network_cost) = exact(v, BAD_GOOG_NETWORK_INFO, (be_u16, be_u16))?;
            A::GoogNetworkInfo {
                network_id,
                network_cost,
            }
        }
        _ => A::Unknown { kind, value: v },
    })
}

/// Reads a STUN message: the header, then attributes until the end of the
/// message or the first malformed one.
///
/// Bytes after `20 + length` (another message in a TCP segment, trailing junk
/// in a datagram) are not part of the message and are ignored; `raw.len()`
/// says how much was used. Over TCP, cut the stream with
/// [`stream_message_len`] first.
pub fn parse_stun(input: &[u8]) -> Result<StunMessage<'_>, StunError> {
    let (_, h) = header(input).map_err(|_| StunError::TooShort { len: input.len() })?;
    // RFC 8489 s6: the two most significant bits are zero, which is how STUN
    // is told from other protocols sharing the port.
    if h.msg_type & 0xC000 != 0 {
        let [first, _] = h.msg_type.to_be_bytes();
        return Err(StunError::NotStun { first });
    }
    let (class, method) = split_type(h.msg_type);
    let classic = h.cookie != MAGIC_COOKIE;

    let declared_end = HEADER_LEN + usize::from(h.length);
    let truncated = input.len() < declared_end;
    let raw = input.get(..declared_end).unwrap_or(input);
    let body = raw.get(HEADER_LEN..).unwrap_or_default();
    let mut xor_key = [0u8; 16];
    if let Some(k) = raw.get(4..HEADER_LEN) {
        xor_key.copy_from_slice(k);
    }

    let mut note: Option<&'static str> = None;
    let mut noted = |p: &'static str| {
        note.get_or_insert(p);
    };
    if truncated {
        noted(problem::TRUNCATED);
    }
    if h.length % 4 != 0 {
        noted(problem::LENGTH_NOT_MULTIPLE_OF_4);
    }

    let mut attributes = Vec::new();
    let mut walk_complete = true;
    let mut seen_fingerprint = false;
    let mut rest = body;
    let mut offset = HEADER_LEN;
    while !rest.is_empty() {
        let (raw_attr, next) = match attribute_tlv(rest) {
            Tlv::Whole(kind, value, next) => (
                RawAttribute {
                    kind,
                    value,
                    offset,
                },
                next,
            ),
            Tlv::Unpadded(kind, value) => {
                // When the capture cut the message, TRUNCATED is already noted.
                noted(problem::PADDING_MISSING);
                (
                    RawAttribute {
                        kind,
                        value,
                        offset,
                    },
                    &[][..],
                )
            }
            Tlv::Broken(p) => {
                noted(p);
                walk_complete = false;
                break;
            }
        };
        if seen_fingerprint {
            noted(problem::AFTER_FINGERPRINT);
        }
        match attribute_value(raw_attr.kind, raw_attr.value, &xor_key) {
            Ok(StunAttribute::Fingerprint { value, .. }) => {
                seen_fingerprint = true;
                attributes.push(StunAttribute::Fingerprint {
                    value,
                    valid: fingerprint_matches(raw, raw_attr.offset, value),
                });
            }
            Ok(a) => attributes.push(a),
            // The framing is sound, only the value is not: keep the bytes and
            // go on, the attributes after it are usually fine (WhatsApp sends
            // 14- and 16-byte RESERVATION-TOKENs).
            Err(p) => {
                noted(p);
                attributes.push(StunAttribute::Unknown {
                    kind: raw_attr.kind,
                    value: raw_attr.value,
                });
            }
        }
        offset += rest.len() - next.len();
        rest = next;
    }

    if class == StunClass::ErrorResponse
        && walk_complete
        && !attributes.iter().any(|a| a.kind() == attr::ERROR_CODE)
    {
        noted(problem::ERROR_WITHOUT_ERROR_CODE);
    }

    Ok(StunMessage {
        class,
        method,
        length: h.length,
        transaction_id: h.transaction_id,
        classic,
        attributes,
        malformed: note,
        raw,
    })
}

/// RFC 8489 s14.7: CRC-32 of the message up to the FINGERPRINT attribute, with
/// the header's length field set as if FINGERPRINT ended the message, XOR
/// 0x5354554e.
fn fingerprint_matches(raw: &[u8], fp_offset: usize, value: u32) -> bool {
    let (Some(type_field), Some(covered)) = (raw.get(..2), raw.get(4..fp_offset)) else {
        return false;
    };
    let Ok(len) = u16::try_from(fp_offset + 8 - HEADER_LEN) else {
        return false;
    };
    let crc = crc32(&[type_field, &len.to_be_bytes(), covered]);
    crc ^ FINGERPRINT_XOR == value
}

/// CRC-32 of ISO-HDLC / IEEE 802.3 (reflected, polynomial 0xEDB88320), the one
/// RFC 8489 s14.7 names by reference to ITU V.42.
const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &b in *part {
            crc = CRC32_TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8);
        }
    }
    !crc
}

/// Message types RFC 3489 defines: Binding and Shared Secret, request,
/// success and error.
const CLASSIC_TYPES: [u16; 6] = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112];

/// Cheap check for demultiplexing one UDP datagram (RFC 7983 s7: first byte
/// 0..=3 is STUN), without decoding attributes: the length field must be a
/// multiple of 4 and match the datagram, and either the magic cookie is there
/// or the message has the shape of RFC 3489 (a type it defines, attributes
/// that tile the body exactly).
pub fn looks_like_stun(input: &[u8]) -> bool {
    let Ok((_, h)) = header(input) else {
        return false;
    };
    if h.msg_type > 0x03FF || h.length % 4 != 0 || HEADER_LEN + usize::from(h.length) != input.len()
    {
        return false;
    }
    if h.cookie == MAGIC_COOKIE {
        return true;
    }
    CLASSIC_TYPES.contains(&h.msg_type)
        && attributes_tile(input.get(HEADER_LEN..).unwrap_or_default())
}

fn attributes_tile(mut body: &[u8]) -> bool {
    while !body.is_empty() {
        match attribute_tlv(body) {
            Tlv::Whole(_, _, next) => body = next,
            Tlv::Unpadded(..) | Tlv::Broken(_) => return false,
        }
    }
    true
}

/// A TURN ChannelData message (RFC 8656 s12.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    pub channel: u16,
    /// The header's length field.
    pub length: u16,
    /// The application data: `length` bytes, fewer when the capture cut the
    /// message (see [`ChannelData::truncated`]); padding is not included.
    pub data: &'a [u8],
}

impl ChannelData<'_> {
    /// The capture holds fewer bytes than the length field says.
    pub fn truncated(&self) -> bool {
        self.data.len() < usize::from(self.length)
    }

    /// The channel is in the range RFC 8656 s12 allows (0x4000..=0x4FFF);
    /// channels 0x5000..=0x7FFF are only valid under RFC 5766.
    pub fn in_rfc8656_range(&self) -> bool {
        CHANNEL_RANGE_RFC8656.contains(&self.channel)
    }
}

/// Reads a ChannelData message. Channel numbers 0x4000..=0x7FFF are accepted
/// (RFC 5766's range; RFC 8656 narrowed it to 0x4000..=0x4FFF but clients still
/// use the old one). Padding or trailing bytes are ignored; a data part cut by
/// the capture is returned as far as it goes.
pub fn parse_channel_data(input: &[u8]) -> Result<ChannelData<'_>, StunError> {
    let (data, (channel, length)) = (be_u16::<_, NomError<'_>>, be_u16)
        .parse(input)
        .map_err(|_| StunError::ChannelDataTooShort { len: input.len() })?;
    if !CHANNEL_RANGE_ACCEPTED.contains(&channel) {
        return Err(StunError::NotChannelData { channel });
    }
    let data = data.get(..usize::from(length)).unwrap_or(data);
    Ok(ChannelData {
        channel,
        length,
        data,
    })
}

/// How a message sits in a TCP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFraming {
    /// Back to back, as STUN and TURN over TCP/TLS send them (RFC 8489 s6.2.2,
    /// RFC 8656 s12.5).
    Direct,
    /// After a 2-byte length, as ICE-TCP does (RFC 6544 s3, RFC 4571).
    Rfc4571,
}

/// The first message of a TCP stream buffer, see [`stream_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamMessage<'a> {
    /// Bytes the message takes in the stream, with prefix and padding.
    pub total_len: usize,
    pub framing: StreamFraming,
    pub channel_data: bool,
    /// The message itself, ready for [`parse_stun`] or [`parse_channel_data`].
    pub message: &'a [u8],
}

/// Finds the first STUN or ChannelData message in a TCP stream buffer: a STUN
/// message with the magic cookie, the same after an RFC 4571 length prefix
/// (ICE-TCP), or ChannelData padded to 4 (RFC 8656 s12.5: padding is
/// mandatory over TCP). None when more bytes are needed or the buffer does not
/// start with one of those (RFC 4571 frames carrying DTLS or RTP included).
pub fn stream_message(buf: &[u8]) -> Option<StreamMessage<'_>> {
    let be16 = |at: usize| {
        buf.get(at..at + 2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_be_bytes)
    };
    let be32 = |at: usize| {
        buf.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    let whole = |framing, channel_data, start: usize, len: usize, total_len: usize| {
        let message = buf.get(start..start + len)?;
        (buf.len() >= total_len).then_some(StreamMessage {
            total_len,
            framing,
            channel_data,
            message,
        })
    };

    let first = *buf.first()?;
    // Framed STUN: the cookie at 6, and the prefix agreeing with the STUN
    // length. Checked first because a prefix of 0x4000 or more would
    // otherwise pass for a channel number.
    if let (Some(prefix), Some(msg_type), Some(len), Some(MAGIC_COOKIE)) =
        (be16(0), be16(2), be16(4), be32(6))
    {
        let len = HEADER_LEN + usize::from(len);
        if msg_type & 0xC000 == 0 && usize::from(prefix) == len {
            return whole(
                StreamFraming::Rfc4571,
                false,
                RFC4571_PREFIX_LEN,
                len,
                RFC4571_PREFIX_LEN + len,
            );
        }
    }
    if first & 0xC0 == 0 {
        if be32(4)? != MAGIC_COOKIE {
            return None;
        }
        let len = HEADER_LEN + usize::from(be16(2)?);
        return whole(StreamFraming::Direct, false, 0, len, len);
    }
    let channel = be16(0)?;
    if CHANNEL_RANGE_ACCEPTED.contains(&channel) {
        let len = CHANNEL_DATA_HEADER_LEN + usize::from(be16(2)?);
        return whole(StreamFraming::Direct, true, 0, len, len + padding(len));
    }
    None
}

/// How many bytes the first STUN or ChannelData message in a TCP stream buffer
/// takes (prefix and padding included); None when more bytes are needed or
/// the buffer does not start with one. See [`stream_message`].
pub fn stream_message_len(buf: &[u8]) -> Option<usize> {
    stream_message(buf).map(|m| m.total_len)
}

impl<'a> StunMessage<'a> {
    /// "Binding", "Allocate", ... or "Unknown".
    pub fn method_name(&self) -> &'static str {
        method_name(self.method)
    }

    /// The 128-bit transaction id of an RFC 3489 message (the bytes a cookie
    /// would take, then `transaction_id`); None for RFC 8489 messages.
    pub fn classic_transaction_id(&self) -> Option<[u8; 16]> {
        if !self.classic {
            return None;
        }
        self.raw.get(4..HEADER_LEN)?.try_into().ok()
    }

    /// The first attribute of a type.
    pub fn attribute(&self, kind: u16) -> Option<&StunAttribute<'a>> {
        self.attributes.iter().find(|a| a.kind() == kind)
    }

    fn find<T>(&self, f: impl FnMut(&StunAttribute<'a>) -> Option<T>) -> Option<T> {
        self.attributes.iter().find_map(f)
    }

    pub fn username(&self) -> Option<&'a [u8]> {
        self.find(|a| match a {
            StunAttribute::Username(u) => Some(*u),
            _ => None,
        })
    }

    pub fn realm(&self) -> Option<&'a [u8]> {
        self.find(|a| match a {
            StunAttribute::Realm(r) => Some(*r),
            _ => None,
        })
    }

    pub fn nonce(&self) -> Option<&'a [u8]> {
        self.find(|a| match a {
            StunAttribute::Nonce(n) => Some(*n),
            _ => None,
        })
    }

    pub fn software(&self) -> Option<&'a [u8]> {
        self.find(|a| match a {
            StunAttribute::Software(s) => Some(*s),
            _ => None,
        })
    }

    /// (code, reason phrase as sent, possibly empty).
    pub fn error_code(&self) -> Option<(u16, &'a [u8])> {
        self.find(|a| match a {
            StunAttribute::ErrorCode { code, reason } => Some((*code, *reason)),
            _ => None,
        })
    }

    /// The DATA attribute: what a Send or Data indication relays.
    pub fn data(&self) -> Option<&'a [u8]> {
        self.find(|a| match a {
            StunAttribute::Data(d) => Some(*d),
            _ => None,
        })
    }

    /// The first XOR-PEER-ADDRESS (CreatePermission may carry several; see
    /// [`StunMessage::xor_peer_addresses`]).
    pub fn xor_peer_address(&self) -> Option<SocketAddr> {
        self.xor_peer_addresses().next()
    }

    pub fn xor_peer_addresses(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.attributes.iter().filter_map(|a| match a {
            StunAttribute::XorPeerAddress(p) => Some(*p),
            _ => None,
        })
    }

    pub fn xor_mapped_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::XorMappedAddress(m) => Some(*m),
            _ => None,
        })
    }

    /// XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 3489 servers and some
    /// RFC 8489 ones send only the latter).
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.xor_mapped_address().or_else(|| {
            self.find(|a| match a {
                StunAttribute::MappedAddress(m) => Some(*m),
                _ => None,
            })
        })
    }

    pub fn xor_relayed_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::XorRelayedAddress(r) => Some(*r),
            _ => None,
        })
    }

    pub fn lifetime(&self) -> Option<u32> {
        self.find(|a| match a {
            StunAttribute::Lifetime(l) => Some(*l),
            _ => None,
        })
    }

    pub fn channel_number(&self) -> Option<u16> {
        self.find(|a| match a {
            StunAttribute::ChannelNumber(c) => Some(*c),
            _ => None,
        })
    }

    pub fn priority(&self) -> Option<u32> {
        self.find(|a| match a {
            StunAttribute::Priority(p) => Some(*p),
            _ => None,
        })
    }

    pub fn use_candidate(&self) -> bool {
        self.attributes
            .iter()
            .any(|a| matches!(a, StunAttribute::UseCandidate))
    }

    /// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 is present (not verified).
    pub fn has_message_integrity(&self) -> bool {
        self.attributes.iter().any(|a| {
            matches!(
                a,
                StunAttribute::MessageIntegrity(_) | StunAttribute::MessageIntegritySha256(_)
            )
        })
    }

    /// None without a FINGERPRINT attribute.
    pub fn fingerprint_valid(&self) -> Option<bool> {
        self.find(|a| match a {
            StunAttribute::Fingerprint { valid, .. } => Some(*valid),
            _ => None,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Bytes cut from real captures; every expected value was read off
    //! `tshark -V` on the same frame. Paths are relative to
    //! /work/shared/captures/public/, except samples/turn-coturn.pcap,
    //! callscope's own (coturn 4.6.1 on loopback, see samples/turn-coturn.sh).
    use super::*;
    use std::str::FromStr;

    pub(crate) fn h(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("test hex"))
            .collect()
    }

    fn sa(s: &str) -> SocketAddr {
        SocketAddr::from_str(s).expect("test address")
    }

    fn tid(hex: &str) -> [u8; 12] {
        h(hex).try_into().expect("12 bytes")
    }

    // zeek/tls__webrtc-stun.pcap frame 1
    pub(crate) const WEBRTC_F1: &str = "000100582112a4422598a65b9710b89865bc344000060019547735586d47414254553535753646323a333165353862623600000000250000002400046e7f00ff802a00089e681f4a7b38b1cc000800147320f87b2afd14aae987eac3a85b6bcb31cea55080280004287c8926";
    // zeek/tls__webrtc-stun.pcap frame 2
    pub(crate) const WEBRTC_F2: &str = "0101002c2112a4422598a65b9710b89865bc34400020000800015b2ae1841fac00080014f493acdab4af84cc57677e1584af9e25cf59526d802800046eef2e05";
    // zeek/tls__webrtc-stun.pcap frame 3
    pub(crate) const WEBRTC_F3: &str = "000100542112a4427cfaa5c3c0d752b57eb45c130006001933316535386262363a547735586d4741425455353575364632000000002400047effffff80290008ffffffffe312d76800080014352c3e664a7d60a60daa7fb08e0b0963e3fce062802800041521c353";
    // arkime/stun-ice-testcall.pcap frame 1
    pub(crate) const TESTCALL_F1: &str = "000100002112a442534f70436969354a6663317a";
    // arkime/stun-ice-testcall.pcap frame 2
    pub(crate) const TESTCALL_F2: &str =
        "0101000c2112a442534f70436969354a6663317a00010008000111fc46c7802e";
    // arkime/stun-ice-testcall.pcap frame 13
    const TESTCALL_F13: &str = "010100442112a4423559536e427170567761394f802200144e65742d4e6574204f532d452045332e372e302000200008000130f967d5246c00080014e45e5619e2c0280240b538ad86ed67b6496af9de80280004ece5004e";
    // arkime/stun-ice-testcall.pcap frame 25
    pub(crate) const TESTCALL_F25: &str = "011100342112a442e7f02b9c4f87d5596104a2fc0009001000000500534552564552204552524f5200080014f7f544c1694a3e93f8db145a1b6a889ef488cc6d80280004b7586f5e";
    // arkime/stun-ice-testcall.pcap frame 32
    pub(crate) const TESTCALL_F32: &str = "0111001c2112a4423c0812b8e084865e7023eca60009001000000401554e415554484f52495a454480280004afafe160";
    // arkime/turn.pcap frame 6 (TCP port 80)
    pub(crate) const TURN_TCP_F6: &str = "011300742112a4424a5a6766714b33552f38664f0009000400000401001500503030303030313963306631663538343464316662653033363764323232323130393933636264316333643065616137663435666538343833393830383162336633363164313836303065633036666563001400137475726e2e636c6f7564666c6172652e636f6d00";
    // arkime/turn.pcap frame 9
    pub(crate) const TURN_TCP_F9: &str = "010300382112a4424872454f2f6c4d534b763967001600080001e6d4490c37b1000d000400000258002000080001cfa74d2ab5d900080014d4bb0125b6ecc7fc4348067f5cb8c8a806d0ec2f";
    // arkime/turn.pcap frame 11
    const TURN_TCP_F11: &str = "000800d42112a442436c3254554868417273467700120008000188f9e1baa5430006004067303336316666666564303962666339303832393134336435303862633265633334333564376361356634633234383265656130386638396461363364383565001400137475726e2e636c6f7564666c6172652e636f6d0000150050303030303031396330663166353834346431666265303336376432323232313039393363626431633364306561613766343566653834383339383038316233663336316431383630306563303666656300080014452544b2843e97d1cce7cb22288a99f652c2cf2c";
    // arkime/turn.pcap frame 14
    pub(crate) const TURN_TCP_F14: &str =
        "011800182112a442436c3254554868417273467700080014f96a610f06e3719271c0d4c0ce2af5d29667192c";
    // arkime/turn.pcap frame 16
    const TURN_TCP_F16: &str =
        "010800182112a44233353050506f2b3031445a5700080014473324609cea251806909876d5609171b5041090";
    // arkime/stun.pcap frame 1 (RFC 3489)
    const CLASSIC_F1: &str =
        "0001001845589a049d6523142743e224714a8c2e010100143132333435363738393031323334353637383900";
    // arkime/stun.pcap frame 6 (RFC 3489)
    pub(crate) const CLASSIC_F6: &str = "000100080000000000000000000000000b87dfce0003000400000000";
    // arkime/stun.pcap frame 7 (RFC 3489)
    pub(crate) const CLASSIC_F7: &str = "0001000802389232616b1a13fe1797626b3a20150003000400000004";
    // arkime/stun.pcap frame 2 (MS-TURN, length 113)
    pub(crate) const MSTURN_F2: &str = "000300712112a442d428f6f5e77f3136a7a9306f000f000472c64bc680080004000000060006003802000024899463a501d262ee9879230042f950d130f5f3bc86b5867a1fc5cacc000000007bc661f90ddace637ab776c69e60bd84429f19900010000400002ee08006000400000001805500040002000000150009227265616c6d303122";
    // zeek-spicy-stun/stun-attribute-length-ffff.pcap frame 2
    pub(crate) const LEN_FFFF_F2: &str =
        "0101000c2112a442534f70436969354a6663317a0001ffff000111fc46c7802e";
    // zeek-spicy-stun/stun-malformed-error.pcap frame 2
    pub(crate) const BAD_ERROR_F2: &str = "011100342112a442e7f02b9c4f87d5596104a2fc0009000300000500534552564552204552524f5200080014f7f544c1694a3e93f8db145a1b6a889ef488cc6d80280004b7586f5e";
    // mercury/stun.pcap frame 2
    pub(crate) const MERCURY_F2: &str = "010100302112a4429ab34ced9aac13fe01000000000100080001cc9c88380445802b000800010d960384e4f9802c000800010d970387d455002000080001ed8ea92aa007";
    // samples/turn-coturn.pcap frame 1 (made by samples/turn-coturn.sh)
    pub(crate) const COTURN_F1: &str = "000300282112a44253e1a5c85493b96efe86d17d0019000411000000000d0004000003090018000100000000001700040100000080280004a56d905c";
    // samples/turn-coturn.pcap frame 2
    pub(crate) const COTURN_F2: &str = "0113005c2112a44253e1a5c85493b96efe86d17d0009001000000401556e617574686f72697a656400150010346163356333666362323266353430320014000e63616c6c73636f70652e74657374000080220014436f7475726e2d342e362e312027476f7273742780280004b13e34f8";
    // samples/turn-coturn.pcap frame 13
    pub(crate) const COTURN_F13: &str = "000900682112a4426ff91925a57044b35e700ed1000c00045eba00000012000800012c8b5e12a44300060005616c69636500000000150010333066313835633734383565646230320014000e63616c6c73636f70652e7465737400000008001496e45cd8ac5ff89c46124eb5f6dd39e65f510e3e8028000433633b5f";
    // samples/turn-coturn.pcap frame 27 (ChannelData over UDP)
    const COTURN_F27: &str = "5f06003c00000000070707078f110000000000000707070707070707070707070707070707070707070707070707070707070707070707070707070707070707";
    // samples/turn-coturn.pcap frame 61
    pub(crate) const COTURN_F61: &str = "001600542112a44268e3217310a2a8d6c6b4277c0013003c00000000070707078b0d00000000000007070707070707070707070707070707070707070707070707070707070707070707070707070707070707070012000800012c8a5e12a44380280004bff91ebd";
    // samples/turn-coturn.pcap frame 64
    pub(crate) const COTURN_F64: &str = "0017006c2112a442bf7bc9fe9c3f3a6374330d9c0013003c00000000070707078b0d00000000000007070707070707070707070707070707070707070707070707070707070707070707070707070707070707070012000800012c8a5e12a44380220014436f7475726e2d342e362e312027476f72737427802800046cd93ab1";
    // samples/turn-coturn.pcap frame 109 (one TCP segment, two messages)
    const COTURN_F109: &str = "000800602112a4427c914d9ec25900348f77a7570012000800012c8a5e12a44300060005616c69636500000000150010626661646162376461373734636430370014000e63616c6c73636f70652e74657374000000080014e061c71ba456400044ea8159fbc05d5ccb9e251b80280004a94653ec000900682112a4425918a3bbf83a252f4e1da65e000c0004476a00000012000800012c8a5e12a44300060005616c69636500000000150010626661646162376461373734636430370014000e63616c6c73636f70652e74657374000000080014e1a7251fbd6db4b0eb459558adc945cafad633e18028000441aba9d5";
    // samples/turn-coturn.pcap frame 112 (ChannelData over TCP, 61 bytes + 3 padding)
    pub(crate) const COTURN_F112: &str = "476a003d0000000007070707db14000000000000070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707000000";
    // samples/turn-coturn.pcap frame 128 (IPv6)
    pub(crate) const COTURN_F128: &str = "010300702112a44204bd1bf363986ef5c72f4fbd001600140002e13bdc12a48704bd1bf363986ef5c72f4fbc002000140002f54bdc12a48704bd1bf363986ef5c72f4fbc000d00040000030980220014436f7475726e2d342e362e312027476f7273742700080014ab71792dea63265c2e35f9b3328736c164afd86580280004e480d66c";
    // samples/turn-coturn.pcap frame 148 (IPv6)
    const COTURN_F148: &str = "001700782112a442e626e4175badc1a3b8e9c1f20013003c0000000007070707bf1300000000000007070707070707070707070707070707070707070707070707070707070707070707070707070707070707070012001400022c8adc12a487e626e4175badc1a3b8e9c1f380220014436f7475726e2d342e362e312027476f7273742780280004fb2f5bcb";

    /// Every real message used here, for the looks_like_stun and truncation tests.
    const ALL_STUN: &[&str] = &[
        WEBRTC_F1,
        WEBRTC_F2,
        WEBRTC_F3,
        TESTCALL_F1,
        TESTCALL_F2,
        TESTCALL_F13,
        TESTCALL_F25,
        TESTCALL_F32,
        TURN_TCP_F6,
        TURN_TCP_F9,
        TURN_TCP_F11,
        TURN_TCP_F14,
        TURN_TCP_F16,
        CLASSIC_F1,
        CLASSIC_F6,
        CLASSIC_F7,
        MSTURN_F2,
        LEN_FFFF_F2,
        BAD_ERROR_F2,
        MERCURY_F2,
        COTURN_F1,
        COTURN_F2,
        COTURN_F13,
        COTURN_F61,
        COTURN_F64,
        COTURN_F128,
        COTURN_F148,
    ];

    #[test]
    fn ice_check_controlling_with_use_candidate() {
        let raw = h(WEBRTC_F1);
        let mi = h("7320f87b2afd14aae987eac3a85b6bcb31cea550");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Request,
                method: method::BINDING,
                length: 88,
                transaction_id: tid("2598a65b9710b89865bc3440"),
                classic: false,
                attributes: vec![
                    StunAttribute::Username(b"Tw5XmGABTU55u6F2:31e58bb6"),
                    StunAttribute::UseCandidate,
                    StunAttribute::Priority(1853817087),
                    StunAttribute::IceControlling(0x9e68_1f4a_7b38_b1cc),
                    StunAttribute::MessageIntegrity(&mi),
                    StunAttribute::Fingerprint {
                        value: 0x287c_8926,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.method_name(), "Binding");
        assert_eq!(m.username(), Some(&b"Tw5XmGABTU55u6F2:31e58bb6"[..]));
        assert_eq!(m.priority(), Some(1853817087));
        assert!(m.use_candidate());
        assert!(m.has_message_integrity());
        assert_eq!(m.fingerprint_valid(), Some(true));
        assert_eq!(m.error_code(), None);
        assert!(looks_like_stun(&raw));
    }

    #[test]
    fn ice_check_controlled() {
        let raw = h(WEBRTC_F3);
        let mi = h("352c3e664a7d60a60daa7fb08e0b0963e3fce062");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.transaction_id, tid("7cfaa5c3c0d752b57eb45c13"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::Username(b"31e58bb6:Tw5XmGABTU55u6F2"),
                StunAttribute::Priority(2130706431),
                StunAttribute::IceControlled(0xffff_ffff_e312_d768),
                StunAttribute::MessageIntegrity(&mi),
                StunAttribute::Fingerprint {
                    value: 0x1521_c353,
                    valid: true
                },
            ]
        );
        assert_eq!(m.malformed, None);
        assert!(!m.use_candidate());
    }

    #[test]
    fn binding_success_xor_mapped_ipv4() {
        let raw = h(WEBRTC_F2);
        let mi = h("f493acdab4af84cc57677e1584af9e25cf59526d");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::SuccessResponse,
                method: method::BINDING,
                length: 44,
                transaction_id: tid("2598a65b9710b89865bc3440"),
                classic: false,
                attributes: vec![
                    StunAttribute::XorMappedAddress(sa("192.150.187.238:31288")),
                    StunAttribute::MessageIntegrity(&mi),
                    StunAttribute::Fingerprint {
                        value: 0x6eef_2e05,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.xor_mapped_address(), Some(sa("192.150.187.238:31288")));
    }

    #[test]
    fn binding_to_stun_server_and_mapped_address() {
        let raw = h(TESTCALL_F1);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Request,
                method: method::BINDING,
                length: 0,
                transaction_id: tid("534f70436969354a6663317a"),
                classic: false,
                attributes: vec![],
                malformed: None,
                raw: &raw,
            }
        );

        let raw = h(TESTCALL_F2);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m.attributes,
            vec![StunAttribute::MappedAddress(sa("70.199.128.46:4604"))]
        );
        assert_eq!(m.transaction_id, tid("534f70436969354a6663317a"));
        assert_eq!(m.xor_mapped_address(), None);
        assert_eq!(m.mapped_address(), Some(sa("70.199.128.46:4604")));
    }

    #[test]
    fn binding_success_with_software() {
        let raw = h(TESTCALL_F13);
        let mi = h("e45e5619e2c0280240b538ad86ed67b6496af9de");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::Software(b"Net-Net OS-E E3.7.0 "),
                StunAttribute::XorMappedAddress(sa("70.199.128.46:4587")),
                StunAttribute::MessageIntegrity(&mi),
                StunAttribute::Fingerprint {
                    value: 0xece5_004e,
                    valid: true
                },
            ]
        );
        assert_eq!(m.software(), Some(&b"Net-Net OS-E E3.7.0 "[..]));
        assert_eq!(m.malformed, None);
    }

    #[test]
    fn binding_error_500_and_401() {
        let raw = h(TESTCALL_F25);
        let mi = h("f7f544c1694a3e93f8db145a1b6a889ef488cc6d");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::ErrorResponse,
                method: method::BINDING,
                length: 52,
                transaction_id: tid("e7f02b9c4f87d5596104a2fc"),
                classic: false,
                attributes: vec![
                    StunAttribute::ErrorCode {
                        code: 500,
                        reason: b"SERVER ERROR"
                    },
                    StunAttribute::MessageIntegrity(&mi),
                    StunAttribute::Fingerprint {
                        value: 0xb758_6f5e,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );

        let raw = h(TESTCALL_F32);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.transaction_id, tid("3c0812b8e084865e7023eca6"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::ErrorCode {
                    code: 401,
                    reason: b"UNAUTHORIZED"
                },
                StunAttribute::Fingerprint {
                    value: 0xafaf_e160,
                    valid: true
                },
            ]
        );
        assert_eq!(m.error_code(), Some((401, &b"UNAUTHORIZED"[..])));
        assert!(!m.has_message_integrity());
    }

    #[test]
    fn allocate_401_with_realm_and_nonce_over_tcp() {
        let raw = h(TURN_TCP_F6);
        let m = parse_stun(&raw).unwrap();
        let nonce =
            b"0000019c0f1f5844d1fbe0367d222210993cbd1c3d0eaa7f45fe848398081b3f361d18600ec06fec";
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::ErrorResponse,
                method: method::ALLOCATE,
                length: 116,
                transaction_id: tid("4a5a6766714b33552f38664f"),
                classic: false,
                attributes: vec![
                    StunAttribute::ErrorCode {
                        code: 401,
                        reason: b""
                    },
                    StunAttribute::Nonce(nonce),
                    StunAttribute::Realm(b"turn.cloudflare.com"),
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.realm(), Some(&b"turn.cloudflare.com"[..]));
        assert_eq!(m.nonce(), Some(&nonce[..]));
        assert_eq!(m.fingerprint_valid(), None);
        // No reason phrase on the wire: the RFC's is used.

        // samples/turn-coturn.pcap frame 2: the same challenge from coturn.
        let raw = h(COTURN_F2);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.transaction_id, tid("53e1a5c85493b96efe86d17d"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::ErrorCode {
                    code: 401,
                    reason: b"Unauthorized"
                },
                StunAttribute::Nonce(b"4ac5c3fcb22f5402"),
                StunAttribute::Realm(b"callscope.test"),
                StunAttribute::Software(b"Coturn-4.6.1 'Gorst'"),
                StunAttribute::Fingerprint {
                    value: 0xb13e_34f8,
                    valid: true
                },
            ]
        );
    }

    #[test]
    fn allocate_success_relayed_and_lifetime() {
        let raw = h(TURN_TCP_F9);
        let mi = h("d4bb0125b6ecc7fc4348067f5cb8c8a806d0ec2f");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::SuccessResponse,
                method: method::ALLOCATE,
                length: 56,
                transaction_id: tid("4872454f2f6c4d534b763967"),
                classic: false,
                attributes: vec![
                    StunAttribute::XorRelayedAddress(sa("104.30.147.243:51142")),
                    StunAttribute::Lifetime(600),
                    StunAttribute::XorMappedAddress(sa("108.56.17.155:61109")),
                    StunAttribute::MessageIntegrity(&mi),
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.xor_relayed_address(), Some(sa("104.30.147.243:51142")));
        assert_eq!(m.lifetime(), Some(600));
    }

    #[test]
    fn allocate_success_ipv6() {
        let raw = h(COTURN_F128);
        let mi = h("ab71792dea63265c2e35f9b3328736c164afd865");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::SuccessResponse,
                method: method::ALLOCATE,
                length: 112,
                transaction_id: tid("04bd1bf363986ef5c72f4fbd"),
                classic: false,
                attributes: vec![
                    StunAttribute::XorRelayedAddress(sa("[fd00:c5::1]:49193")),
                    StunAttribute::XorMappedAddress(sa("[fd00:c5::1]:54361")),
                    StunAttribute::Lifetime(777),
                    StunAttribute::Software(b"Coturn-4.6.1 'Gorst'"),
                    StunAttribute::MessageIntegrity(&mi),
                    StunAttribute::Fingerprint {
                        value: 0xe480_d66c,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );
    }

    #[test]
    fn allocate_request_turn_attributes() {
        let raw = h(COTURN_F1);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.transaction_id, tid("53e1a5c85493b96efe86d17d"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::RequestedTransport(17),
                StunAttribute::Lifetime(777),
                // Length 1, then 3 bytes of padding.
                StunAttribute::EvenPort(false),
                StunAttribute::RequestedAddressFamily(1),
                StunAttribute::Fingerprint {
                    value: 0xa56d_905c,
                    valid: true
                },
            ]
        );
        assert_eq!(m.malformed, None);
    }

    #[test]
    fn create_permission_and_error_without_error_code() {
        let raw = h(TURN_TCP_F11);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.method_name(), "CreatePermission");
        assert_eq!(m.class, StunClass::Request);
        assert_eq!(m.transaction_id, tid("436c32545548684172734677"));
        assert_eq!(m.attributes.len(), 5);
        assert_eq!(
            m.attributes[0],
            StunAttribute::XorPeerAddress(sa("192.168.1.1:43499"))
        );
        assert_eq!(m.xor_peer_address(), Some(sa("192.168.1.1:43499")));
        assert_eq!(
            m.username(),
            Some(&b"g0361fffed09bfc90829143d508bc2ec3435d7ca5f4c2482eea08f89da63d85e"[..])
        );
        assert_eq!(m.malformed, None);

        // The answer: an error response carrying only MESSAGE-INTEGRITY.
        let raw = h(TURN_TCP_F14);
        let mi = h("f96a610f06e3719271c0d4c0ce2af5d29667192c");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::ErrorResponse,
                method: method::CREATE_PERMISSION,
                length: 24,
                transaction_id: tid("436c32545548684172734677"),
                classic: false,
                attributes: vec![StunAttribute::MessageIntegrity(&mi)],
                malformed: Some(problem::ERROR_WITHOUT_ERROR_CODE),
                raw: &raw,
            }
        );
        assert_eq!(m.error_code(), None);
    }

    #[test]
    fn channel_bind_request() {
        let raw = h(COTURN_F13);
        let mi = h("96e45cd8ac5ff89c46124eb5f6dd39e65f510e3e");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Request,
                method: method::CHANNEL_BIND,
                length: 104,
                transaction_id: tid("6ff91925a57044b35e700ed1"),
                classic: false,
                attributes: vec![
                    StunAttribute::ChannelNumber(0x5eba),
                    StunAttribute::XorPeerAddress(sa("127.0.0.1:3481")),
                    StunAttribute::Username(b"alice"),
                    StunAttribute::Nonce(b"30f185c7485edb02"),
                    StunAttribute::Realm(b"callscope.test"),
                    StunAttribute::MessageIntegrity(&mi),
                    StunAttribute::Fingerprint {
                        value: 0x3363_3b5f,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.channel_number(), Some(0x5eba));
    }

    #[test]
    fn send_and_data_indications() {
        let payload = h("00000000070707078b0d0000000000000707070707070707070707070707070707070707070707070707070707070707070707070707070707070707");
        let raw = h(COTURN_F61);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Indication,
                method: method::SEND,
                length: 84,
                transaction_id: tid("68e3217310a2a8d6c6b4277c"),
                classic: false,
                attributes: vec![
                    StunAttribute::Data(&payload),
                    StunAttribute::XorPeerAddress(sa("127.0.0.1:3480")),
                    StunAttribute::Fingerprint {
                        value: 0xbff9_1ebd,
                        valid: true
                    },
                ],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(m.data(), Some(&payload[..]));

        let raw = h(COTURN_F64);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.class, StunClass::Indication);
        assert_eq!(m.method, method::DATA);
        assert_eq!(m.transaction_id, tid("bf7bc9fe9c3f3a6374330d9c"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::Data(&payload),
                StunAttribute::XorPeerAddress(sa("127.0.0.1:3480")),
                StunAttribute::Software(b"Coturn-4.6.1 'Gorst'"),
                StunAttribute::Fingerprint {
                    value: 0x6cd9_3ab1,
                    valid: true
                },
            ]
        );

        // IPv6 peer: the address is XORed with cookie and transaction id.
        let raw = h(COTURN_F148);
        let payload6 = &raw[24..84];
        let m = parse_stun(&raw).unwrap();
        assert_eq!(m.transaction_id, tid("e626e4175badc1a3b8e9c1f2"));
        assert_eq!(
            m.attributes,
            vec![
                StunAttribute::Data(payload6),
                StunAttribute::XorPeerAddress(sa("[fd00:c5::1]:3480")),
                StunAttribute::Software(b"Coturn-4.6.1 'Gorst'"),
                StunAttribute::Fingerprint {
                    value: 0xfb2f_5bcb,
                    valid: true
                },
            ]
        );
    }

    #[test]
    fn channel_data_udp_and_tcp() {
        let raw = h(COTURN_F27);
        let cd = parse_channel_data(&raw).unwrap();
        assert_eq!(
            cd,
            ChannelData {
                channel: 0x5f06,
                length: 60,
                data: &raw[4..],
            }
        );
        assert!(!cd.truncated());
        assert!(!cd.in_rfc8656_range());
        assert!(!looks_like_stun(&raw));
        assert_eq!(parse_stun(&raw), Err(StunError::NotStun { first: 0x5f }));

        // Over TCP the 61 data bytes are padded to 64 (RFC 8656 s12.5).
        let raw = h(COTURN_F112);
        let cd = parse_channel_data(&raw).unwrap();
        assert_eq!(
            cd,
            ChannelData {
                channel: 0x476a,
                length: 61,
                data: &raw[4..65],
            }
        );
        assert!(cd.in_rfc8656_range());
        assert_eq!(stream_message_len(&raw), Some(68));
        assert_eq!(
            stream_message(&raw),
            Some(StreamMessage {
                total_len: 68,
                framing: StreamFraming::Direct,
                channel_data: true,
                message: &raw[..65],
            })
        );
        // Without its padding, the message is not complete yet.
        assert_eq!(stream_message_len(&raw[..65]), None);

        // Cut by the capture: as far as it goes.
        let cd = parse_channel_data(&raw[..10]).unwrap();
        assert_eq!(cd.data, &raw[4..10]);
        assert!(cd.truncated());

        assert_eq!(
            parse_channel_data(&raw[..3]),
            Err(StunError::ChannelDataTooShort { len: 3 })
        );
        assert_eq!(
            parse_channel_data(&h("8000003c")),
            Err(StunError::NotChannelData { channel: 0x8000 })
        );
        assert_eq!(
            parse_channel_data(&h("3fff0000")),
            Err(StunError::NotChannelData { channel: 0x3fff })
        );
    }

    #[test]
    fn tcp_stream_framing() {
        // samples/turn-coturn.pcap frame 109: CreatePermission (116 bytes) and
        // ChannelBind (124 bytes) in one segment.
        let seg = h(COTURN_F109);
        assert_eq!(seg.len(), 240);
        assert_eq!(stream_message_len(&seg), Some(116));
        assert_eq!(stream_message_len(&seg[116..]), Some(124));
        let first = parse_stun(&seg).unwrap();
        assert_eq!(first.raw.len(), 116);
        assert_eq!(first.method, method::CREATE_PERMISSION);
        assert_eq!(first.malformed, None);
        let second = parse_stun(&seg[116..]).unwrap();
        assert_eq!(second.method, method::CHANNEL_BIND);
        assert_eq!(second.channel_number(), Some(0x476a));
        assert_eq!(second.fingerprint_valid(), Some(true));
        // Any prefix shorter than a whole message needs more bytes.
        for cut in 0..116 {
            assert_eq!(stream_message_len(&seg[..cut]), None, "cut at {cut}");
        }

        // arkime/turn.pcap frames 14 and 16, server to client, back to back.
        let mut stream = h(TURN_TCP_F14);
        stream.extend(h(TURN_TCP_F16));
        assert_eq!(stream_message_len(&stream), Some(44));
        assert_eq!(stream_message_len(&stream[44..]), Some(44));

        // ICE-TCP (RFC 6544): the same message after an RFC 4571 length.
        let msg = h(WEBRTC_F1);
        let mut framed = vec![0x00, 0x6c];
        framed.extend(&msg);
        framed.extend(h("0014fefd")); // the next frame starts
        assert_eq!(
            stream_message(&framed),
            Some(StreamMessage {
                total_len: 110,
                framing: StreamFraming::Rfc4571,
                channel_data: false,
                message: &msg,
            })
        );
        assert_eq!(stream_message_len(&framed[..109]), None);

        // Not STUN: a DTLS record, an RTP packet, a framed DTLS record.
        assert_eq!(
            stream_message_len(&h("16fefd000000000000000000310100")),
            None
        );
        assert_eq!(stream_message_len(&h("80e1000100000000deadbeef")), None);
        assert_eq!(stream_message_len(&h("003116fefd00000000000000")), None);
    }

    #[test]
    fn classic_stun() {
        let raw = h(CLASSIC_F6);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Request,
                method: method::BINDING,
                length: 8,
                transaction_id: tid("00000000000000000b87dfce"),
                classic: true,
                attributes: vec![StunAttribute::ChangeRequest {
                    change_ip: false,
                    change_port: false
                }],
                malformed: None,
                raw: &raw,
            }
        );
        assert_eq!(
            m.classic_transaction_id(),
            Some(
                h("0000000000000000000000000b87dfce")
                    .try_into()
                    .expect("16 bytes")
            )
        );
        assert!(looks_like_stun(&raw));

        let raw = h(CLASSIC_F7);
        let m = parse_stun(&raw).unwrap();
        assert!(m.classic);
        assert_eq!(m.transaction_id, tid("616b1a13fe1797626b3a2015"));
        assert_eq!(
            m.attributes,
            vec![StunAttribute::ChangeRequest {
                change_ip: true,
                change_port: false
            }]
        );
        assert!(looks_like_stun(&raw));

        // An attribute type RFC 3489 never defined, kept as it is.
        let raw = h(CLASSIC_F1);
        let m = parse_stun(&raw).unwrap();
        assert!(m.classic);
        assert_eq!(
            m.classic_transaction_id(),
            Some(
                h("45589a049d6523142743e224714a8c2e")
                    .try_into()
                    .expect("16 bytes")
            )
        );
        assert_eq!(
            m.attributes,
            vec![StunAttribute::Unknown {
                kind: 0x0101,
                value: b"1234567890123456789\0"
            }]
        );
        assert_eq!(m.malformed, None);
        assert!(looks_like_stun(&raw));
    }

    #[test]
    fn rfc5780_attributes() {
        let raw = h(MERCURY_F2);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::SuccessResponse,
                method: method::BINDING,
                length: 48,
                transaction_id: tid("9ab34ced9aac13fe01000000"),
                classic: false,
                attributes: vec![
                    StunAttribute::MappedAddress(sa("136.56.4.69:52380")),
                    StunAttribute::ResponseOrigin(sa("3.132.228.249:3478")),
                    StunAttribute::OtherAddress(sa("3.135.212.85:3479")),
                    StunAttribute::XorMappedAddress(sa("136.56.4.69:52380")),
                ],
                malformed: None,
                raw: &raw,
            }
        );
        // MAPPED-ADDRESS is left out when XOR-MAPPED-ADDRESS is there.
    }

    #[test]
    fn attribute_length_ffff() {
        let raw = h(LEN_FFFF_F2);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::SuccessResponse,
                method: method::BINDING,
                length: 12,
                transaction_id: tid("534f70436969354a6663317a"),
                classic: false,
                attributes: vec![],
                malformed: Some(problem::ATTRIBUTE_OVERRUN),
                raw: &raw,
            }
        );
        // The header alone is consistent, so the demultiplexer still says STUN.
        assert!(looks_like_stun(&raw));
    }

    #[test]
    fn error_code_of_length_3_then_garbage() {
        let raw = h(BAD_ERROR_F2);
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::ErrorResponse,
                method: method::BINDING,
                length: 52,
                transaction_id: tid("e7f02b9c4f87d5596104a2fc"),
                classic: false,
                // Kept as it came; the next "attribute" (0x5345, from the
                // reason phrase) says 21078 bytes and ends the walk.
                attributes: vec![StunAttribute::Unknown {
                    kind: attr::ERROR_CODE,
                    value: &[0, 0, 5]
                }],
                malformed: Some(problem::BAD_ERROR_CODE),
                raw: &raw,
            }
        );
    }

    #[test]
    fn ms_turn_length_not_multiple_of_4() {
        let raw = h(MSTURN_F2);
        let user = h("02000024899463a501d262ee9879230042f950d130f5f3bc86b5867a1fc5cacc000000007bc661f90ddace637ab776c69e60bd84429f1990");
        let m = parse_stun(&raw).unwrap();
        assert_eq!(
            m,
            StunMessage {
                class: StunClass::Request,
                method: method::ALLOCATE,
                length: 113,
                transaction_id: tid("d428f6f5e77f3136a7a9306f"),
                classic: false,
                attributes: vec![
                    StunAttribute::Unknown {
                        kind: 0x000f,
                        value: &[0x72, 0xc6, 0x4b, 0xc6]
                    },
                    StunAttribute::Unknown {
                        kind: 0x8008,
                        value: &[0, 0, 0, 6]
                    },
                    StunAttribute::Username(&user),
                    StunAttribute::Bandwidth(12000),
                    StunAttribute::Unknown {
                        kind: 0x8006,
                        value: &[0, 0, 0, 1]
                    },
                    StunAttribute::Unknown {
                        kind: 0x8055,
                        value: &[0, 2, 0, 0]
                    },
                    // The 9 bytes fit, the padding does not (tshark counts the
                    // padding in and calls the NONCE bogus).
                    StunAttribute::Nonce(b"\"realm01\""),
                ],
                malformed: Some(problem::LENGTH_NOT_MULTIPLE_OF_4),
                raw: &raw,
            }
        );
        assert!(!looks_like_stun(&raw));
    }

    #[test]
    fn truncated_capture() {
        let full = h(WEBRTC_F1);
        // Cut inside MESSAGE-INTEGRITY: what came before is kept.
        let m = parse_stun(&full[..80]).unwrap();
        assert_eq!(m.length, 88);
        assert_eq!(m.raw.len(), 80);
        assert_eq!(m.attributes.len(), 4);
        assert_eq!(m.malformed, Some(problem::TRUNCATED));
        // Cut between attributes.
        let m = parse_stun(&full[..56]).unwrap();
        assert_eq!(m.attributes.len(), 2);
        assert_eq!(m.malformed, Some(problem::TRUNCATED));
        // Header only.
        let m = parse_stun(&full[..20]).unwrap();
        assert!(m.attributes.is_empty());
        assert_eq!(m.malformed, Some(problem::TRUNCATED));
        assert!(!looks_like_stun(&full[..80]));
    }

    #[test]
    fn trailing_bytes_are_not_part_of_the_message() {
        let mut buf = h(TESTCALL_F2);
        buf.extend([0xde, 0xad]);
        let m = parse_stun(&buf).unwrap();
        assert_eq!(m.raw.len(), 32);
        assert_eq!(m.malformed, None);
        assert!(!looks_like_stun(&buf));
    }

    #[test]
    fn attribute_after_fingerprint() {
        // webrtc frame 2 with SOFTWARE "ab" appended after FINGERPRINT and the
        // length fixed up: the FINGERPRINT still checks out because the CRC
        // covers the header as it was when FINGERPRINT was last.
        let mut buf = h(WEBRTC_F2);
        buf[3] = 0x2c + 8;
        buf.extend(h("8022000261620000"));
        let m = parse_stun(&buf).unwrap();
        assert_eq!(m.fingerprint_valid(), Some(true));
        assert_eq!(m.attributes.last(), Some(&StunAttribute::Software(b"ab")));
        assert_eq!(m.malformed, Some(problem::AFTER_FINGERPRINT));
    }

    #[test]
    fn bad_fingerprint_is_reported() {
        let mut buf = h(WEBRTC_F2);
        if let Some(last) = buf.last_mut() {
            *last ^= 1;
        }
        let m = parse_stun(&buf).unwrap();
        assert_eq!(m.fingerprint_valid(), Some(false));
        assert_eq!(m.malformed, None);
    }

    #[test]
    fn not_stun() {
        assert_eq!(parse_stun(&[]), Err(StunError::TooShort { len: 0 }));
        assert_eq!(
            parse_stun(&h(WEBRTC_F1)[..19]),
            Err(StunError::TooShort { len: 19 })
        );
        // DTLS ClientHello header and an RTP header.
        let dtls = h("16fefd0000000000000000009e010000920000000000000092fefd");
        // Its top two bits are zero, so it decodes (as nonsense); the
        // demultiplexer check is what tells it apart.
        assert!(parse_stun(&dtls).is_ok_and(|m| m.classic && m.malformed.is_some()));
        assert!(!looks_like_stun(&dtls));
        let rtp = h("80e1a3f40000a0002e34c1a700000000000000000000");
        assert_eq!(parse_stun(&rtp), Err(StunError::NotStun { first: 0x80 }));
        assert!(!looks_like_stun(&rtp));
        // Twenty zero bytes: type 0 is not one RFC 3489 defines.
        assert!(!looks_like_stun(&[0u8; 20]));
        // Classic shape with attributes that do not tile the body.
        assert!(!looks_like_stun(&h(
            "000100080000000000000000000000000b87dfce0003000800000000"
        )));
    }

    #[test]
    fn every_real_message_is_stun_and_decodes() {
        for hex in ALL_STUN {
            let raw = h(hex);
            let m = parse_stun(&raw).unwrap();
            assert_eq!(m.raw, &raw[..], "{hex}");
            // Fingerprints from real stacks always check out.
            assert_ne!(m.fingerprint_valid(), Some(false), "{hex}");
            assert_eq!(stream_message_len(&raw).is_some(), !m.classic, "{hex}");
        }
    }

    #[test]
    fn type_bits() {
        // RFC 8489 s5 figure 3 examples and TURN methods.
        assert_eq!(split_type(0x0001), (StunClass::Request, 1));
        assert_eq!(split_type(0x0011), (StunClass::Indication, 1));
        assert_eq!(split_type(0x0101), (StunClass::SuccessResponse, 1));
        assert_eq!(split_type(0x0111), (StunClass::ErrorResponse, 1));
        assert_eq!(split_type(0x0118), (StunClass::ErrorResponse, 8));
        assert_eq!(split_type(0x0017), (StunClass::Indication, 7));
        assert_eq!(split_type(0x3eef), (StunClass::Request, 0xfff));
        assert_eq!(split_type(0x0200), (StunClass::Request, 0x080));
    }

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn all(buf: &[u8]) {
            if let Ok(m) = parse_stun(buf) {
                let _ = m.classic_transaction_id();
            }
            if let Ok(cd) = parse_channel_data(buf) {
                let _ = cd.truncated();
            }
            let _ = looks_like_stun(buf);
            if let Some(n) = stream_message_len(buf) {
                assert!(n <= buf.len());
            }
        }

        proptest! {
            #[test]
            fn random_bytes(buf in proptest::collection::vec(any::<u8>(), 0..200)) {
                all(&buf);
            }

            /// A plausible header over random attributes, so the attribute walk
            /// is what gets exercised.
            #[test]
            fn random_attributes(
                msg_type in 0u16..0x4000,
                cookie in prop_oneof![Just(MAGIC_COOKIE), any::<u32>()],
                length in prop_oneof![Just(None), any::<u16>().prop_map(Some)],
                body in proptest::collection::vec(any::<u8>(), 0..160),
            ) {
                let length = length.unwrap_or(body.len() as u16);
                let mut buf = Vec::new();
                buf.extend(msg_type.to_be_bytes());
                buf.extend(length.to_be_bytes());
                buf.extend(cookie.to_be_bytes());
                buf.extend([7u8; 12]);
                buf.extend(&body);
                all(&buf);
            }

            /// Real messages with one byte changed.
            #[test]
            fn mutated_real_messages(which in 0..ALL_STUN.len(), at in any::<usize>(), byte in any::<u8>()) {
                let mut buf = h(ALL_STUN[which]);
                let at = at % buf.len();
                buf[at] = byte;
                all(&buf);
            }
        }

        #[test]
        fn every_truncation_of_real_messages() {
            let mut sources: Vec<Vec<u8>> = ALL_STUN.iter().map(|x| h(x)).collect();
            sources.push(h(COTURN_F27));
            sources.push(h(COTURN_F109));
            sources.push(h(COTURN_F112));
            for raw in &sources {
                for end in 0..=raw.len() {
                    all(&raw[..end]);
                    all(&raw[end..]);
                }
            }
        }
    }
}
