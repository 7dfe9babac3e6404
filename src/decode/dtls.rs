//! DTLS record and handshake decoder.
//!
//! Covers DTLS 1.0 (RFC 4347), DTLS 1.2 (RFC 6347), the pre-RFC OpenSSL
//! version 0x0100, and recognises DTLS 1.3 (RFC 9147) unified-header
//! ciphertext records. The use_srtp extension of DTLS-SRTP (RFC 5764) is
//! decoded, and the certificate fingerprint helper produces the form SDP
//! `a=fingerprint` uses (RFC 8122), so the handshake can be checked against
//! the offer/answer.
//!
//! [`parse_dtls_datagram`] returns a borrowed view ([`DtlsDatagram`]) of
//! every record in one UDP datagram. Nothing is copied; plaintext handshake
//! messages are parsed when a record holds them whole. A message split into
//! fragments (RFC 6347 s4.2.3) is shown fragment by fragment; putting it back
//! together needs state across datagrams, which lives in
//! `analysis::dtls` ([`parse_handshake_message`] reads the result).
//!
//! Nothing here panics on any input: every length is checked against the
//! bytes present before it is used, and a record that runs past the end of
//! the datagram is kept and marked [`DtlsRecordBody::Truncated`].

use std::fmt::Write as _;

use nom::bytes::complete::take;
use nom::multi::length_data;
use nom::number::complete::{be_u16, be_u24, be_u8};
use nom::{IResult, Parser};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Record content types (RFC 5246 s6.2.1, RFC 6520, RFC 9146 s4, RFC 9147
/// s7). The registry is TLS's: TLS records use the same numbers.
pub mod content_type {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
    pub const TLS12_CID: u8 = 25;
    pub const ACK: u8 = 26;
}

/// Handshake message types (RFC 6347 s4.3.2, RFC 8446 s4, RFC 9147
/// s5.3/s9), shared with TLS like the content types.
pub mod handshake_type {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const HELLO_VERIFY_REQUEST: u8 = 3;
    pub const NEW_SESSION_TICKET: u8 = 4;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const SERVER_HELLO_DONE: u8 = 14;
    pub const CERTIFICATE_VERIFY: u8 = 15;
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    pub const FINISHED: u8 = 20;
}

/// Wire constants, named once.
mod wire {
    /// Legacy record header: type, version, epoch, 48-bit sequence, length
    /// (RFC 6347 s4.1).
    pub const RECORD_HEADER_LEN: usize = 13;

    /// RFC 9147 s4: the first byte of a unified header is 0b001CSLEE.
    pub const UNIFIED_MASK: u8 = 0b1110_0000;
    pub const UNIFIED_FIXED: u8 = 0b0010_0000;
    pub const UNIFIED_CID: u8 = 0b0001_0000;
    pub const UNIFIED_SEQ16: u8 = 0b0000_1000;
    pub const UNIFIED_LENGTH: u8 = 0b0000_0100;
    pub const UNIFIED_EPOCH: u8 = 0b0000_0011;

    // Record versions seen on the wire.
    pub const DTLS_1_0: u16 = 0xfeff;
    pub const DTLS_1_2: u16 = 0xfefd;
    pub const DTLS_1_3: u16 = 0xfefc;
    /// OpenSSL before 0.9.8f sent the TLS-style 0x0100 for DTLS.
    pub const DTLS_OPENSSL_PRE_RFC: u16 = 0x0100;

    // Extension types.
    pub const EXT_USE_SRTP: u16 = 14; // RFC 5764 s4.1.1
    pub const EXT_SUPPORTED_VERSIONS: u16 = 43; // RFC 8446 s4.2.1
    pub const EXT_CONNECTION_ID: u16 = 54; // RFC 9146 s3

    /// RFC 8446 s4.1.3: a ServerHello with this random is a
    /// HelloRetryRequest (SHA-256 of "HelloRetryRequest").
    pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
}

/// Why a datagram could not be read as DTLS at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtlsError {
    #[error("empty datagram")]
    Empty,
    /// RFC 7983 s7: DTLS first bytes are 20..=63.
    #[error("first byte {0} is outside the DTLS range 20..=63")]
    NotDtls(u8),
    #[error("datagram of {0} bytes is shorter than a DTLS record header")]
    TooShort(usize),
}

/// Every record of one UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsDatagram<'a> {
    pub records: Vec<DtlsRecord<'a>>,
    /// Set when something in the datagram did not add up (trailing bytes, a
    /// handshake fragment longer than its record...). What could be read is
    /// still in `records`.
    pub malformed: Option<&'static str>,
}

/// One record. For DTLS 1.3 unified-header records (`unified_header` is
/// `Some`), `version` is the implied 0xfefc, `epoch` holds only the two low
/// epoch bits and `sequence` the 8 or 16 low bits as sent, which are
/// encrypted (RFC 9147 s4.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsRecord<'a> {
    /// The content type; for a unified header, the whole first byte.
    pub content_type: u8,
    pub version: u16,
    pub epoch: u16,
    /// 48-bit record sequence number.
    pub sequence: u64,
    /// Length as declared in the header (or, when the header carries none,
    /// the bytes up to the end of the datagram).
    pub length: u16,
    /// The record's payload. Shorter than `length` when `Truncated`.
    pub fragment: &'a [u8],
    pub body: DtlsRecordBody<'a>,
    /// Connection ID of a tls12_cid record (RFC 9146) or a unified header
    /// with the C bit, when its length was given to
    /// [`parse_dtls_datagram_with_cid_len`].
    pub connection_id: Option<&'a [u8]>,
    /// The flag bits of a DTLS 1.3 unified header.
    pub unified_header: Option<UnifiedHeader>,
}

/// Flag bits of a DTLS 1.3 unified header (RFC 9147 s4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnifiedHeader {
    /// C: a connection ID follows the first byte.
    pub cid_present: bool,
    /// S: the sequence number is 16 bits (else 8).
    pub sequence_16bit: bool,
    /// L: a 16-bit length is present (else the record runs to the end of
    /// the datagram).
    pub length_present: bool,
    /// EE: the two low bits of the epoch.
    pub epoch_bits: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsRecordBody<'a> {
    /// Plaintext handshake (epoch 0): the fragments in this record.
    Handshake(Vec<HandshakeFragment<'a>>),
    ChangeCipherSpec,
    /// Plaintext alert (epoch 0).
    Alert {
        level: u8,
        description: u8,
    },
    /// Always encrypted; only its length is known.
    ApplicationData,
    /// Handshake, alert or change_cipher_spec under a negotiated epoch
    /// (Finished is the first such handshake message), or a tls12_cid
    /// record.
    Encrypted,
    /// DTLS 1.3 unified-header record (first byte 0b001xxxxx).
    Dtls13Ciphertext,
    /// The header says the record is longer than what the datagram holds.
    Truncated,
    Unknown,
}

/// One handshake header and the bytes of this fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeFragment<'a> {
    pub msg_type: u8,
    /// Length of the whole message.
    pub length: u32,
    pub message_seq: u16,
    pub fragment_offset: u32,
    pub fragment_length: u32,
    /// The fragment's bytes; shorter than `fragment_length` only when the
    /// record ended early (the datagram is then marked malformed).
    pub body: &'a [u8],
    /// Some when the fragment holds the whole message.
    pub message: Option<HandshakeMessage<'a>>,
}

impl HandshakeFragment<'_> {
    /// True when this fragment carries the whole message.
    pub fn is_complete(&self) -> bool {
        self.fragment_offset == 0
            && self.fragment_length == self.length
            && usize::try_from(self.length).is_ok_and(|l| l == self.body.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeMessage<'a> {
    ClientHello(ClientHello<'a>),
    ServerHello(ServerHello<'a>),
    HelloVerifyRequest {
        version: u16,
        cookie: &'a [u8],
    },
    /// DER certificates, sender's own first (RFC 5246 s7.4.2).
    Certificate {
        certificates: Vec<&'a [u8]>,
    },
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    CertificateVerify,
    ClientKeyExchange,
    Finished,
    NewSessionTicket,
    Other(u8),
    /// A known type whose body did not parse.
    Malformed {
        msg_type: u8,
        reason: &'static str,
    },
}

/// A ClientHello (RFC 6347 s4.2.1: the TLS one plus a cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    pub version: u16,
    pub random: &'a [u8],
    pub session_id: &'a [u8],
    pub cookie: &'a [u8],
    pub cipher_suites: Vec<u16>,
    pub compression_methods: &'a [u8],
    /// In wire order.
    pub extensions: Vec<Extension<'a>>,
    pub use_srtp: Option<UseSrtp<'a>>,
    /// From supported_versions (RFC 8446 s4.2.1), in the client's order.
    pub supported_versions: Vec<u16>,
    /// The CID the client wants to receive (RFC 9146 s3).
    pub connection_id: Option<&'a [u8]>,
    /// Set when the extensions did not parse cleanly; the fields above hold
    /// what did.
    pub malformed: Option<&'static str>,
}

/// A ServerHello; the chosen suite, compression and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    pub version: u16,
    pub random: &'a [u8],
    pub session_id: &'a [u8],
    pub cipher_suite: u16,
    pub compression_method: u8,
    pub extensions: Vec<Extension<'a>>,
    /// The single profile the server chose (RFC 5764 s4.1.1).
    pub use_srtp: Option<UseSrtp<'a>>,
    /// From supported_versions: the version the server selected (DTLS 1.3).
    pub selected_version: Option<u16>,
    /// The CID the server wants to receive (RFC 9146 s3).
    pub connection_id: Option<&'a [u8]>,
    pub malformed: Option<&'static str>,
}

impl ServerHello<'_> {
    /// RFC 8446 s4.1.3 / RFC 9147 s5.3: a HelloRetryRequest is a ServerHello
    /// with a fixed random.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == wire::HELLO_RETRY_REQUEST_RANDOM
    }
}

/// One hello extension, undecoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    pub ext_type: u16,
    pub data: &'a [u8],
}

/// The use_srtp extension (RFC 5764 s4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSrtp<'a> {
    /// SRTP protection profiles, e.g. 0x0001 SRTP_AES128_CM_HMAC_SHA1_80,
    /// 0x0007 SRTP_AEAD_AES_128_GCM.
    pub profiles: Vec<u16>,
    pub mki: &'a [u8],
}

impl ClientHello<'_> {
    /// Extension types in wire order.
    pub fn extension_types(&self) -> Vec<u16> {
        self.extensions.iter().map(|e| e.ext_type).collect()
    }
    /// First extension of this type.
    pub fn extension(&self, ext_type: u16) -> Option<&Extension<'_>> {
        self.extensions.iter().find(|e| e.ext_type == ext_type)
    }
}

impl ServerHello<'_> {
    /// Extension types in wire order.
    pub fn extension_types(&self) -> Vec<u16> {
        self.extensions.iter().map(|e| e.ext_type).collect()
    }
    /// First extension of this type.
    pub fn extension(&self, ext_type: u16) -> Option<&Extension<'_>> {
        self.extensions.iter().find(|e| e.ext_type == ext_type)
    }
}

// --------------------------------------------------------------------------
// Datagram and records
// --------------------------------------------------------------------------

/// Decodes every record of one UDP datagram. A DTLS 1.3 or tls12_cid record
/// with a connection ID is taken to run to the end of the datagram, since the
/// CID length is not on the wire; use [`parse_dtls_datagram_with_cid_len`]
/// when the hellos told it.
pub fn parse_dtls_datagram(input: &[u8]) -> Result<DtlsDatagram<'_>, DtlsError> {
    parse_dtls_datagram_with_cid_len(input, None)
}

/// As [`parse_dtls_datagram`], knowing the length of the connection ID the
/// receiver of this datagram asked for in its hello (RFC 9146 s3: the CID in
/// a record is the one its receiver chose).
pub fn parse_dtls_datagram_with_cid_len(
    input: &[u8],
    cid_len: Option<usize>,
) -> Result<DtlsDatagram<'_>, DtlsError> {
    let first = *input.first().ok_or(DtlsError::Empty)?;
    if !(20..=63).contains(&first) {
        return Err(DtlsError::NotDtls(first));
    }

    let mut records = Vec::new();
    let mut malformed = None;
    let mut rest = input;
    while let Some(&b) = rest.first() {
        let parsed = if b & wire::UNIFIED_MASK == wire::UNIFIED_FIXED {
            Some(unified_record(rest, cid_len))
        } else if b == content_type::TLS12_CID {
            cid_record(rest, cid_len)
        } else if (20..=31).contains(&b) {
            // Below the unified-header range: a legacy content type.
            legacy_record(rest, &mut malformed)
        } else {
            malformed = Some("trailing bytes are not a DTLS record");
            break;
        };
        let Some((record, after)) = parsed else {
            malformed = Some("trailing bytes shorter than a record header");
            break;
        };
        records.push(record);
        rest = after;
    }
    if records.is_empty() {
        return Err(DtlsError::TooShort(input.len()));
    }
    Ok(DtlsDatagram { records, malformed })
}

/// The legacy 13-byte header (RFC 6347 s4.1), read with tls-parser.
fn legacy_record<'a>(
    input: &'a [u8],
    malformed: &mut Option<&'static str>,
) -> Option<(DtlsRecord<'a>, &'a [u8])> {
    if input.len() < wire::RECORD_HEADER_LEN {
        return None;
    }
    let (after, hdr) = tls_parser::parse_dtls_record_header(input).ok()?;
    let (fragment, rest, truncated) = split_fragment(after, usize::from(hdr.length));
    let content_type = hdr.content_type.0;
    let body = if truncated {
        DtlsRecordBody::Truncated
    } else {
        record_body(content_type, hdr.epoch, fragment, malformed)
    };
    let record = DtlsRecord {
        content_type,
        version: hdr.version.0,
        epoch: hdr.epoch,
        sequence: hdr.sequence_number,
        length: hdr.length,
        fragment,
        body,
        connection_id: None,
        unified_header: None,
    };
    Some((record, rest))
}

/// Splits `len` bytes off `input`; when fewer are present, takes them all and
/// reports truncation.
fn split_fragment(input: &[u8], len: usize) -> (&[u8], &[u8], bool) {
    match input.split_at_checked(len) {
        Some((fragment, rest)) => (fragment, rest, false),
        None => (input, &[], true),
    }
}

/// Decodes a record's payload. Anything under an epoch above 0 is protected
/// (RFC 6347 s4.1: the epoch changes with each ChangeCipherSpec), so its
/// content type is all that can be told.
fn record_body<'a>(
    content_type: u8,
    epoch: u16,
    fragment: &'a [u8],
    malformed: &mut Option<&'static str>,
) -> DtlsRecordBody<'a> {
    match content_type {
        content_type::APPLICATION_DATA => DtlsRecordBody::ApplicationData,
        content_type::TLS12_CID => DtlsRecordBody::Encrypted,
        content_type::CHANGE_CIPHER_SPEC
        | content_type::ALERT
        | content_type::HANDSHAKE
        | content_type::HEARTBEAT
        | content_type::ACK
            if epoch > 0 =>
        {
            DtlsRecordBody::Encrypted
        }
        content_type::HANDSHAKE => {
            DtlsRecordBody::Handshake(handshake_fragments(fragment, malformed))
        }
        content_type::CHANGE_CIPHER_SPEC => {
            // OpenSSL's pre-RFC DTLS (0x0100) follows the byte 1 with a
            // message_seq; only the leading 1 is required here.
            if fragment.first() != Some(&1) {
                *malformed = Some("change_cipher_spec record does not start with 1");
            }
            DtlsRecordBody::ChangeCipherSpec
        }
        content_type::ALERT => match *fragment {
            [level, description] => DtlsRecordBody::Alert { level, description },
            _ => {
                *malformed = Some("plaintext alert record is not two bytes");
                DtlsRecordBody::Unknown
            }
        },
        _ => DtlsRecordBody::Unknown,
    }
}

/// A tls12_cid record (RFC 9146 s4): the CID sits between the sequence
/// number and the length.
fn cid_record(input: &[u8], cid_len: Option<usize>) -> Option<(DtlsRecord<'_>, &[u8])> {
    let (after_prefix, (version, epoch, sequence)) = cid_record_prefix(input).ok()?;
    let (connection_id, length, fragment, rest, truncated) = match cid_len {
        Some(n) => {
            let (after_cid, cid) = take_n(after_prefix, n)?;
            let (after_len, length) = u16_field(after_cid).ok()?;
            let (fragment, rest, truncated) = split_fragment(after_len, usize::from(length));
            (Some(cid), length, fragment, rest, truncated)
        }
        // Without the CID length the length field cannot be found: the
        // record is taken to fill the datagram.
        None => (
            None,
            saturating_u16(after_prefix.len()),
            after_prefix,
            &[][..],
            false,
        ),
    };
    let body = if truncated {
        DtlsRecordBody::Truncated
    } else {
        DtlsRecordBody::Encrypted
    };
    let record = DtlsRecord {
        content_type: content_type::TLS12_CID,
        version,
        epoch,
        sequence,
        length,
        fragment,
        body,
        connection_id,
        unified_header: None,
    };
    Some((record, rest))
}

/// The 11 bytes before the CID: type, version, epoch, 48-bit sequence.
fn cid_record_prefix(i: &[u8]) -> IResult<&[u8], (u16, u16, u64)> {
    let (i, _content_type) = be_u8(i)?;
    let (i, version) = be_u16(i)?;
    let (i, epoch) = be_u16(i)?;
    let (i, seq_hi) = be_u16(i)?;
    let (i, seq_lo) = nom::number::complete::be_u32(i)?;
    Ok((
        i,
        (
            version,
            epoch,
            (u64::from(seq_hi) << 32) | u64::from(seq_lo),
        ),
    ))
}

/// A DTLS 1.3 unified header record (RFC 9147 s4). Always yields a record:
/// a header cut short becomes a `Truncated` record.
fn unified_record(input: &[u8], cid_len: Option<usize>) -> (DtlsRecord<'_>, &[u8]) {
    let first = input.first().copied().unwrap_or_default();
    let after_first = input.get(1..).unwrap_or_default();
    let flags = UnifiedHeader {
        cid_present: first & wire::UNIFIED_CID != 0,
        sequence_16bit: first & wire::UNIFIED_SEQ16 != 0,
        length_present: first & wire::UNIFIED_LENGTH != 0,
        epoch_bits: first & wire::UNIFIED_EPOCH,
    };
    let mut record = DtlsRecord {
        content_type: first,
        version: wire::DTLS_1_3,
        epoch: u16::from(flags.epoch_bits),
        sequence: 0,
        length: saturating_u16(after_first.len()),
        fragment: after_first,
        body: DtlsRecordBody::Truncated,
        connection_id: None,
        unified_header: Some(flags),
    };
    let cid_len = match (flags.cid_present, cid_len) {
        (false, _) => 0,
        (true, Some(n)) => n,
        // The CID length is not on the wire: nothing past the first byte
        // can be located, and the record fills the datagram.
        (true, None) => {
            record.body = DtlsRecordBody::Dtls13Ciphertext;
            return (record, &[]);
        }
    };
    let Some((i, cid)) = take_n(after_first, cid_len) else {
        return (record, &[]);
    };
    if flags.cid_present {
        record.connection_id = Some(cid);
    }
    let seq_len = if flags.sequence_16bit { 2 } else { 1 };
    let Some((i, seq)) = take_n(i, seq_len) else {
        return (record, &[]);
    };
    record.sequence = seq.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let (fragment, rest, truncated) = if flags.length_present {
        let Ok((i, length)) = u16_field(i) else {
            record.fragment = i;
            return (record, &[]);
        };
        record.length = length;
        split_fragment(i, usize::from(length))
    } else {
        record.length = saturating_u16(i.len());
        (i, &[][..], false)
    };
    record.fragment = fragment;
    if !truncated {
        record.body = DtlsRecordBody::Dtls13Ciphertext;
    }
    (record, rest)
}

/// Longest CID tried when guessing at a unified header with the C bit.
/// RFC 9146 allows up to 255 bytes; deployed stacks use far fewer.
const MAX_GUESSED_CID_LEN: usize = 20;

/// Whether a datagram starting 0b001xxxxx is believably a DTLS 1.3 record.
/// Text protocols and DNS ids also start with bytes 32..=63, so this asks
/// for the length field (L bit) and checks it: at least 16 bytes of
/// ciphertext (RFC 9147 s4.2.3 needs 16 for record number encryption) that
/// fit the datagram. With a CID, whose length is not on the wire, some
/// length up to [`MAX_GUESSED_CID_LEN`] must make the record end exactly at
/// the end of the datagram. Records without a length field (allowed by RFC
/// 9147 s4, rare in practice) are not recognised here, though
/// [`parse_dtls_datagram`] decodes them.
fn plausible_unified_header(input: &[u8]) -> bool {
    let Some((&first, rest)) = input.split_first() else {
        return false;
    };
    if first & wire::UNIFIED_LENGTH == 0 {
        return false;
    }
    let seq_len = if first & wire::UNIFIED_SEQ16 != 0 {
        2
    } else {
        1
    };
    let length_after = |cid_len: usize| -> Option<(usize, usize)> {
        let at = cid_len + seq_len;
        let bytes = rest.get(at..at + 2)?;
        let length = bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        Some((length, rest.len() - at - 2))
    };
    if first & wire::UNIFIED_CID == 0 {
        return length_after(0).is_some_and(|(length, left)| (16..=left).contains(&length));
    }
    (1..=MAX_GUESSED_CID_LEN).any(|cid_len| {
        length_after(cid_len).is_some_and(|(length, left)| length >= 16 && length == left)
    })
}

fn take_n(i: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    i.split_at_checked(n).map(|(taken, rest)| (rest, taken))
}

fn saturating_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// RFC 7983 s7 first byte 20..=63, plus a header that holds together: a
/// known version and a length that fits, or a DTLS 1.3 unified header whose
/// length field fits the datagram.
pub fn looks_like_dtls(input: &[u8]) -> bool {
    let Some(&first) = input.first() else {
        return false;
    };
    if first & wire::UNIFIED_MASK == wire::UNIFIED_FIXED {
        return plausible_unified_header(input);
    }
    if !(content_type::CHANGE_CIPHER_SPEC..=content_type::ACK).contains(&first) {
        return false;
    }
    let Ok((after, hdr)) = tls_parser::parse_dtls_record_header(input) else {
        return false;
    };
    let known_version = matches!(
        hdr.version.0,
        wire::DTLS_1_0 | wire::DTLS_1_2 | wire::DTLS_1_3 | wire::DTLS_OPENSSL_PRE_RFC
    );
    // The tls12_cid length field sits after a CID of unknown length.
    known_version && (first == content_type::TLS12_CID || usize::from(hdr.length) <= after.len())
}

// --------------------------------------------------------------------------
// Handshake
// --------------------------------------------------------------------------

fn handshake_fragments<'a>(
    mut data: &'a [u8],
    malformed: &mut Option<&'static str>,
) -> Vec<HandshakeFragment<'a>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let Ok((after, (msg_type, length, message_seq, fragment_offset, fragment_length))) =
            handshake_header(data)
        else {
            *malformed = Some("handshake record ends inside a handshake header");
            break;
        };
        let want = usize::try_from(fragment_length).unwrap_or(usize::MAX);
        let (body, rest, short) = split_fragment(after, want);
        if short {
            *malformed = Some("handshake fragment runs past the end of its record");
        }
        let mut fragment = HandshakeFragment {
            msg_type,
            length,
            message_seq,
            fragment_offset,
            fragment_length,
            body,
            message: None,
        };
        if fragment.is_complete() {
            fragment.message = Some(parse_handshake_message(msg_type, body));
        }
        out.push(fragment);
        data = rest;
    }
    out
}

/// RFC 6347 s4.2.2 handshake header, 12 bytes: type, length,
/// message_seq, fragment_offset, fragment_length.
fn handshake_header(i: &[u8]) -> IResult<&[u8], (u8, u32, u16, u32, u32)> {
    let (i, msg_type) = be_u8(i)?;
    let (i, length) = be_u24(i)?;
    let (i, message_seq) = be_u16(i)?;
    let (i, fragment_offset) = be_u24(i)?;
    let (i, fragment_length) = be_u24(i)?;
    Ok((
        i,
        (
            msg_type,
            length,
            message_seq,
            fragment_offset,
            fragment_length,
        ),
    ))
}

/// Parses the body of a whole handshake message (without its 12-byte
/// header). Types whose content callscope does not need are recognised by
/// type only.
pub fn parse_handshake_message(msg_type: u8, body: &[u8]) -> HandshakeMessage<'_> {
    let malformed = |reason| HandshakeMessage::Malformed { msg_type, reason };
    match msg_type {
        handshake_type::CLIENT_HELLO => match client_hello(body) {
            Ok((_, ch)) => HandshakeMessage::ClientHello(ch),
            Err(_) => malformed("ClientHello shorter than its fixed fields"),
        },
        handshake_type::SERVER_HELLO => match server_hello(body) {
            Ok((_, sh)) => HandshakeMessage::ServerHello(sh),
            Err(_) => malformed("ServerHello shorter than its fixed fields"),
        },
        handshake_type::HELLO_VERIFY_REQUEST => match hello_verify_request(body) {
            Ok((_, (version, cookie))) => HandshakeMessage::HelloVerifyRequest { version, cookie },
            Err(_) => malformed("HelloVerifyRequest cookie runs past the message"),
        },
        handshake_type::CERTIFICATE => match certificate_list(body) {
            Some(certificates) => HandshakeMessage::Certificate { certificates },
            None => malformed("certificate list does not fit the message"),
        },
        handshake_type::SERVER_KEY_EXCHANGE => HandshakeMessage::ServerKeyExchange,
        handshake_type::CERTIFICATE_REQUEST => HandshakeMessage::CertificateRequest,
        handshake_type::SERVER_HELLO_DONE => HandshakeMessage::ServerHelloDone,
        handshake_type::CERTIFICATE_VERIFY => HandshakeMessage::CertificateVerify,
        handshake_type::CLIENT_KEY_EXCHANGE => HandshakeMessage::ClientKeyExchange,
        handshake_type::FINISHED => HandshakeMessage::Finished,
        handshake_type::NEW_SESSION_TICKET => HandshakeMessage::NewSessionTicket,
        other => HandshakeMessage::Other(other),
    }
}

/// RFC 6347 s4.2.1: the TLS ClientHello with a cookie after the session id.
fn client_hello(i: &[u8]) -> IResult<&[u8], ClientHello<'_>> {
    let (i, version) = be_u16(i)?;
    let (i, random) = take(32usize).parse(i)?;
    let (i, session_id) = length_data(be_u8).parse(i)?;
    let (i, cookie) = length_data(be_u8).parse(i)?;
    let (i, suites) = length_data(be_u16).parse(i)?;
    let (i, compression_methods) = length_data(be_u8).parse(i)?;
    let hello = Hellos::read(i);
    let cipher_suites = suites
        .chunks_exact(2)
        .map(|c| c.iter().fold(0u16, |a, &b| (a << 8) | u16::from(b)))
        .collect();
    let mut malformed = hello.malformed;
    if suites.len() % 2 != 0 {
        malformed = Some("cipher suite list has an odd length");
    }
    Ok((
        &[],
        ClientHello {
            version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions: hello.extensions,
            use_srtp: hello.use_srtp,
            supported_versions: hello.supported_versions,
            connection_id: hello.connection_id,
            malformed,
        },
    ))
}

fn server_hello(i: &[u8]) -> IResult<&[u8], ServerHello<'_>> {
    let (i, version) = be_u16(i)?;
    let (i, random) = take(32usize).parse(i)?;
    let (i, session_id) = length_data(be_u8).parse(i)?;
    let (i, cipher_suite) = be_u16(i)?;
    let (i, compression_method) = be_u8(i)?;
    let hello = Hellos::read(i);
    Ok((
        &[],
        ServerHello {
            version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions: hello.extensions,
            use_srtp: hello.use_srtp,
            selected_version: hello.supported_versions.first().copied(),
            connection_id: hello.connection_id,
            malformed: hello.malformed,
        },
    ))
}

fn hello_verify_request(i: &[u8]) -> IResult<&[u8], (u16, &[u8])> {
    let (i, version) = be_u16(i)?;
    let (i, cookie) = length_data(be_u8).parse(i)?;
    Ok((i, (version, cookie)))
}

/// The certificate_list of RFC 5246 s7.4.2, read with tls-parser. `None`
/// when the entries do not exactly fill the declared list.
fn certificate_list(body: &[u8]) -> Option<Vec<&[u8]>> {
    let (_, msg) = tls_parser::parse_tls_handshake_msg_certificate(body).ok()?;
    let tls_parser::TlsMessageHandshake::Certificate(contents) = msg else {
        return None;
    };
    let certificates: Vec<&[u8]> = contents.cert_chain.iter().map(|c| c.data).collect();
    // tls-parser stops quietly at an entry that overruns the list; compare
    // what it read with the declared list length to catch that.
    let (_, declared) = u24_field(body).ok()?;
    let read: usize = certificates.iter().map(|c| 3 + c.len()).sum();
    (usize::try_from(declared).ok()? == read).then_some(certificates)
}

/// What the hello extensions say.
struct Hellos<'a> {
    extensions: Vec<Extension<'a>>,
    use_srtp: Option<UseSrtp<'a>>,
    supported_versions: Vec<u16>,
    connection_id: Option<&'a [u8]>,
    malformed: Option<&'static str>,
}

impl<'a> Hellos<'a> {
    /// Reads the optional extensions block that ends a hello. Lenient: the
    /// extensions that parse are kept, and `malformed` says what did not.
    fn read(i: &'a [u8]) -> Self {
        let mut out = Hellos {
            extensions: Vec::new(),
            use_srtp: None,
            supported_versions: Vec::new(),
            connection_id: None,
            malformed: None,
        };
        // RFC 5246 s7.4.1.2: a hello may end after the compression field.
        if i.is_empty() {
            return out;
        }
        let mut block = match u16_prefixed(i) {
            Ok((_, block)) => block,
            Err(_) => {
                out.malformed = Some("extensions block runs past the message");
                i.get(2..).unwrap_or_default()
            }
        };
        while !block.is_empty() {
            let Ok((rest, (ext_type, data))) = extension(block) else {
                out.malformed = Some("extension runs past the extensions block");
                break;
            };
            let raw = block.get(..block.len() - rest.len()).unwrap_or_default();
            out.decode(ext_type, data, raw);
            out.extensions.push(Extension { ext_type, data });
            block = rest;
        }
        out
    }

    fn decode(&mut self, ext_type: u16, data: &'a [u8], raw: &'a [u8]) {
        match ext_type {
            wire::EXT_USE_SRTP => match use_srtp(data) {
                Ok((_, v)) => self.use_srtp = Some(v),
                Err(_) => self.malformed = Some("use_srtp extension is malformed"),
            },
            wire::EXT_SUPPORTED_VERSIONS => {
                match tls_parser::parse_tls_extension_supported_versions(raw) {
                    Ok((_, tls_parser::TlsExtension::SupportedVersions(v))) => {
                        self.supported_versions = v.iter().map(|v| v.0).collect();
                    }
                    _ => self.malformed = Some("supported_versions extension is malformed"),
                }
            }
            wire::EXT_CONNECTION_ID => match u8_prefixed(data) {
                Ok((_, cid)) => self.connection_id = Some(cid),
                Err(_) => self.malformed = Some("connection_id extension is malformed"),
            },
            _ => {}
        }
    }
}

fn u8_prefixed(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(be_u8).parse(i)
}

fn u16_prefixed(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(be_u16).parse(i)
}

fn u16_field(i: &[u8]) -> IResult<&[u8], u16> {
    be_u16(i)
}

fn u24_field(i: &[u8]) -> IResult<&[u8], u32> {
    be_u24(i)
}

fn extension(i: &[u8]) -> IResult<&[u8], (u16, &[u8])> {
    let (i, ext_type) = be_u16(i)?;
    let (i, data) = length_data(be_u16).parse(i)?;
    Ok((i, (ext_type, data)))
}

/// RFC 5764 s4.1.1: `SRTPProtectionProfile profiles<2..2^16-1>; opaque
/// srtp_mki<0..255>`.
fn use_srtp(i: &[u8]) -> IResult<&[u8], UseSrtp<'_>> {
    let (i, list) = length_data(be_u16).parse(i)?;
    let (i, mki) = length_data(be_u8).parse(i)?;
    let profiles = list
        .chunks_exact(2)
        .map(|c| c.iter().fold(0u16, |a, &b| (a << 8) | u16::from(b)))
        .collect();
    Ok((i, UseSrtp { profiles, mki }))
}

// --------------------------------------------------------------------------
// Certificates
// --------------------------------------------------------------------------

/// SHA-256 of a DER certificate in the SDP `a=fingerprint:sha-256` form
/// (RFC 8122 s5): uppercase hex pairs joined by colons.
pub fn certificate_sha256_fingerprint(der: &[u8]) -> String {
    fingerprint_text(&Sha256::digest(der))
}

/// The fingerprint for an SDP hash function name (RFC 8122 s5, compared
/// case-insensitively): "sha-256", "sha-384" or "sha-512". `None` for other
/// functions.
pub fn certificate_fingerprint(hash_function: &str, der: &[u8]) -> Option<String> {
    let h = hash_function.to_ascii_lowercase();
    match h.as_str() {
        "sha-256" => Some(fingerprint_text(&Sha256::digest(der))),
        "sha-384" => Some(fingerprint_text(&Sha384::digest(der))),
        "sha-512" => Some(fingerprint_text(&Sha512::digest(der))),
        _ => None,
    }
}

fn fingerprint_text(digest: &[u8]) -> String {
    let mut s = String::with_capacity(digest.len() * 3);
    for (n, b) in digest.iter().enumerate() {
        if n > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02X}");
    }
    s
}

// --------------------------------------------------------------------------
// Names
// --------------------------------------------------------------------------

/// Handshake type names as the RFCs spell the structures.
pub fn handshake_type_name(t: u8) -> &'static str {
    match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        6 => "HelloRetryRequest",
        8 => "EncryptedExtensions",
        9 => "RequestConnectionId",
        10 => "NewConnectionId",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        21 => "CertificateUrl",
        22 => "CertificateStatus",
        23 => "SupplementalData",
        24 => "KeyUpdate",
        254 => "MessageHash",
        _ => "Unknown",
    }
}

/// Alert descriptions (RFC 5246 s7.2, RFC 8446 s6).
pub fn alert_description_name(d: u8) -> &'static str {
    match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

/// Alert levels (RFC 5246 s7.2).
pub fn alert_level_name(level: u8) -> &'static str {
    match level {
        1 => "warning",
        2 => "fatal",
        _ => "unknown",
    }
}

/// Content type names; a DTLS 1.3 unified header byte (32..=63) is
/// "dtls13_ciphertext".
pub fn content_type_name(t: u8) -> &'static str {
    match t {
        content_type::CHANGE_CIPHER_SPEC => "change_cipher_spec",
        content_type::ALERT => "alert",
        content_type::HANDSHAKE => "handshake",
        content_type::APPLICATION_DATA => "application_data",
        content_type::HEARTBEAT => "heartbeat",
        content_type::TLS12_CID => "tls12_cid",
        content_type::ACK => "ack",
        32..=63 => "dtls13_ciphertext",
        _ => "unknown",
    }
}

/// Record or hello version as text, `None` for values DTLS does not use.
pub fn version_name(v: u16) -> Option<&'static str> {
    match v {
        wire::DTLS_1_0 => Some("DTLS 1.0"),
        wire::DTLS_1_2 => Some("DTLS 1.2"),
        wire::DTLS_1_3 => Some("DTLS 1.3"),
        wire::DTLS_OPENSSL_PRE_RFC => Some("DTLS 1.0 (OpenSSL pre 0.9.8f)"),
        _ => None,
    }
}

impl DtlsDatagram<'_> {
    /// Every handshake fragment of the datagram, in order.
    pub fn handshake_fragments(&self) -> impl Iterator<Item = &HandshakeFragment<'_>> {
        self.records.iter().flat_map(|r| match &r.body {
            DtlsRecordBody::Handshake(f) => f.as_slice(),
            _ => &[],
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Byte vectors are UDP payloads cut from public captures (see
    //! ../shared/captures/public/README.md; each noted with file and frame)
    //! or from callscope's own alerts capture; expected values were read off
    //! `tshark -V` on the same frames, and certificate fingerprints off
    //! `openssl x509 -inform DER -fingerprint -sha256` on the certificates
    //! tshark exports.

    use super::*;
    use proptest::prelude::*;

    /// zeek/tls__dtls1_2.pcap frames 6-10: the server's flight, its
    /// Certificate split over the five datagrams.
    pub(crate) fn certificate_flight() -> Vec<Vec<u8>> {
        [DTLS12_F6, DTLS12_F7, DTLS12_F8, DTLS12_F9, DTLS12_F10]
            .iter()
            .map(|h| unhex(h))
            .collect()
    }

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        assert!(s.len() % 2 == 0);
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// zeek/tls__webrtc-stun.pcap frame 9: DTLS 1.0 ClientHello with use_srtp
    pub(crate) const WEBRTC_F9: &str = "\
        16feff0000000000000000011c010001100000000000000110feffb509517d8e76fa20bf84d05bdd51e8cedb\
        21df8fa66b57c37a43b4a07a096f7e00000092c014c00a00390038003700360088008700860085c019003a00\
        89c00fc00500350084c013c0090033003200310030009a0099009800970045004400430042c0180034009b00\
        46c00ec004002f009600410007c012c008001600130010000dc017001bc00dc003000a00150012000f000c00\
        1a000900140011000e000b001900080006c010c006c015c00bc0010002000100ff01000054000b0004030001\
        02000a003a0038000e000d0019001c000b000c001b00180009000a001a001600170008000600070014001500\
        04000500120013000100020003000f00100011000f000101000e00050002000100";
    /// zeek/tls__webrtc-stun.pcap frame 11: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone
    pub(crate) const WEBRTC_F11: &str = "\
        16feff000000000000000000680200005c000000000000005cfeff98a9bba258a3c4945327ef47ea41eca749\
        481524a96aa2b4400acd1a4f0194ab200828c6b70198e7be06476deb418014287b0d9308058f6f61e65fecaa\
        c020c798c00a000014000b00020100000e00050002000100ff0100010016feff0000000000000001011c0b00\
        0110000100000000011000010d00010a308201063081aea0030201020204205a962e300a06082a8648ce3d04\
        0302300c310a30080603550403130161301e170d3136303531363233323135345a170d313630363136323332\
        3135345a300c310a300806035504031301613059301306072a8648ce3d020106082a8648ce3d030107034200\
        04dbdb2018cec90158a714b61f5f5d6e1409d093cb7795010d8fb2aa14a725ba46bcf473ecf20fef8bcd8715\
        053adfe90b042148b0c2d150d4006a5f1ef9d2a7f2300a06082a8648ce3d04030203470030440220374e9931\
        6cbe285597c83e5fae6a76771f647f3ec39264a0222f1fd41ee036dc022046be0053fbba37fd90562b144730\
        bc9d9d0bad14bd4959a98fad1ad96c646d6616feff0000000000000002009a0c00008e000200000000008e03\
        00174104e48368224ff18e991f44e24b9c6108ea693195ea483f04ccc9c3b5aacf16ced918f8c503f545b0a8\
        06516159d235092d3af1d87aa58f1d800ced8f8ba8e8765a00473045022100a2d3c28c307276e834458dfaf3\
        565e0eef5e94934d88996ce3f6974ded14f83002205efb21148bb2ead76fe9fa5020061ebf1f7131dcd7a6fa\
        004f5991ebff757a3216feff000000000000000300120d000006000300000000000603014002000016feff00\
        00000000000004000c0e0000000004000000000000";
    /// zeek/tls__webrtc-stun.pcap frame 14: ChangeCipherSpec, encrypted Finished
    pub(crate) const WEBRTC_F14: &str = "\
        14feff000000000000000500010116feff00010000000000000040839f896403d1c433d779d4b08645205efb\
        670150f9e045d96796a973be57ffbd863427051d729c592e0be1e0925a2869c04e1c88380dab28b9bff5eb09\
        742812";
    /// zeek/tls__dtls1_2.pcap frame 3: HelloVerifyRequest
    pub(crate) const DTLS12_F3: &str = "\
        16feff00000000000000000023030000170000000000000017feff144c281da5216e0bcdc6d35770176ee12f\
        676baa9b";
    /// zeek/tls__dtls1_2.pcap frame 6: ServerHello, Certificate fragment 0-121 of 874
    pub(crate) const DTLS12_F6: &str = "\
        16fefd00000000000000010045020000390001000000000039fefd07c5aefa1fea3e397e8a4533a9f4fd6e82\
        cd650533269d28dc7b2d62496dc49000c030000011ff01000100000b0004030001020023000016fefd000000\
        000000000200850b00036a00020000000000790003670003643082036030820248a00302010202090087aaff\
        bca26e44bf300d06092a864886f70d01010b05003045310b3009060355040613024155311330110603550408\
        0c0a536f6d652d53746174653121301f060355040a0c18496e7465726e657420576964676974732050747920\
        4c7464301e170d31";
    /// zeek/tls__dtls1_2.pcap frame 7: Certificate fragment 121-324
    pub(crate) const DTLS12_F7: &str = "\
        16fefd000000000000000300d70b00036a00020000790000cb37313133303139323832385a170d3138313133\
        303139323832385a3045310b30090603550406130241553113301106035504080c0a536f6d652d5374617465\
        3121301f060355040a0c18496e7465726e6574205769646769747320507479204c746430820122300d06092a\
        864886f70d01010105000382010f003082010a0282010100ee50a6e16ea79b348dbff15de65687024a1bf11c\
        433a91c0553f1b9ad0a540ceec5b4660b77de53f11e0ca4a5cdc67a1d0f0715f3c7a7ded8b37d3ec6b6421de\
        ece82ddcd1c68dff";
    /// zeek/tls__dtls1_2.pcap frame 8: Certificate fragment 324-527
    pub(crate) const DTLS12_F8: &str = "\
        16fefd000000000000000400d70b00036a00020001440000cbcd90b0d924c78bc50f22f9e568d08db7cd1590\
        2725a1aa7e77cd361121cae0b51debf9f57bce5722bc4bcadc2459b85dfa7ed8d22a00315b003aecc0705371\
        95c0d5fa090ce72696d194f8a96f56ba490ea12a6eef99339d12391ebc6bcbf0b004ec1afc32af73e9df3db5\
        675f929963d3c062467065b6c1963c614a903c469f5b410b2bd690296e344959f6edba861955f142c98d177e\
        3e85ba63cd0e7e52aca9d5d4f2f5989a022fd8642a23a0935340da7b54e40d01430203010001a3533051301d\
        0603551d0e041604";
    /// zeek/tls__dtls1_2.pcap frame 9: Certificate fragment 527-730
    pub(crate) const DTLS12_F9: &str = "\
        16fefd000000000000000500d70b00036a000200020f0000cb14c326eadfa5bcc189058f15e9f72e61f02742\
        e422301f0603551d23041830168014c326eadfa5bcc189058f15e9f72e61f02742e422300f0603551d130101\
        ff040530030101ff300d06092a864886f70d01010b05000382010100c506f9a39146bec0d8c26b47564be518\
        66f4e3040d85fb2ad7a82925a76ae2cb29db09ad2e79c21253db352330cba0b1f2585428b4360ef91333e3f8\
        9ee5394d2b4ba738f7c2b4f33d2fea7af50829c3c15554032d932d6569a50699fa3a69a4e21275a4e0f9d363\
        6463a8eda6ff07c0";
    /// zeek/tls__dtls1_2.pcap frame 10: Certificate fragment 730-874, ServerKeyExchange fragment 0-34
    pub(crate) const DTLS12_F10: &str = "\
        16fefd0000000000000006009c0b00036a00020002da0000905dc48fe413af1c2eaa5e9e2993c1a635ba0be1\
        1346cfb3cff7c2ba3725c11441fbf186d49339f2c63ab52845632d91aa0e12e5e9d7d90a19fa57741cd0bd2f\
        058f964730c45c2d1248e3a0c98b7e248370b7a12d8c7b21d65079cd4233a8a28c71220e5270a2adf2a76cc0\
        65eea3c91cde086cffdb87b089337713a5aa2e44e436b8dc4307ba12e8a0941ea0fd9521f316fefd00000000\
        00000007002e0c000149000300000000002203001741049e5bb8781f90c66cae6b86d7a74977bccd02963bb5\
        5631fe7d916ba91c";
    /// pion-dtls/capture-chrome-Chromium_123.0.6312.0_.pcap frame 1: Chromium ClientHello
    const CHROME_F1: &str = "\
        16feff00000000000000000090010000840000000000000084fefddefd7f1e69e381dac31a3261359ed7ab88\
        450206e792fbcc3ffcc48a16aca80400000016c02bc02fcca9cca8c009c013c00ac014009c002f0035010000\
        4400170000ff01000100000a00080006001d00170018000b0002010000230000000d00140012040308040401\
        050308050501080606010201000e0009000600010008000700";
    /// zeek/tls__dtls13-cid.pcap frame 7: DTLS 1.3 ServerHello with connection_id
    const CID_F7: &str = "\
        16fefd000000000000000100980200008c000100000000008cfefdd5e698577a166767528f402f2964eed642\
        b4860f94733aa9909db3ceccb741b5001301000064003300450017004104021b0ba929a9954d98dbcd3e0972\
        481dd7f7ad69235878a5b8ddcc279fea08d72f7a4982f6511b34aaaa01019dbc1e04f5023ade1bd9e667069a\
        68ae4baa336f002b0002fefc003600111066616e63792073657276657220434944";
    /// zeek/tls__dtls13-cid.pcap frame 15: unified header with a 16-byte CID
    pub(crate) const CID_F15: &str = "\
        3e66616e63792073657276657220434944ab010022a83cc3b4ec1ccda01593cc401b913368b7f9b59078d770\
        44f2bef3fbcd1964ab75d4";
    /// zeek/tls__dtls13-cid.pcap frame 42: unified header, epoch 3, no CID
    const CID_F42: &str = "2f9d4a0013321eaae53e37e8ff8b1fda60b120be3165acf5";
    /// zeek/tls__dtls13-wolfssl.pcap frame 2: HelloRetryRequest (DTLS 1.3 cookie exchange)
    pub(crate) const WOLF_F2: &str = "\
        16fefd00000000000000000083020000770000000000000077fefdcf21ad74e59a6111be1d8c021e65b891c2\
        a211167abb8c5e079e09e2c8a8339c00130100004f002b0002fefc002c0045004320681e0dd7766c563f4d9b\
        f447d42aaff902167f4ab5291372eacc2c1c2c697d331301bc80bef9ebf4776099aa3e8f401f0f55b75f013d\
        e850ac9c3e0d4ba452ee6095";
    /// zeek/tls__dtls13-wolfssl.pcap frame 5: unified header, epoch 2
    pub(crate) const WOLF_F5: &str =
        "2e9296001f6c98b47794e45a75b480ff204f1492eb678df551caf16d159b4c11b4967d27";
    /// zeek/tls__dtls-sequence-number-jumps.pcap frame 1: ClientHello fragment 0-27 of 81
    pub(crate) const JUMPS_F1: &str = "\
        16fefd0000000000000000002701000051000000000000001bfefdf2d120880f75811062381f06abf371f758\
        99aea4af864c6383";
    /// zeek/tls__dtls-sequence-number-jumps.pcap frame 2: fragment 27-54, record sequence 128
    pub(crate) const JUMPS_F2: &str = "\
        16fefd0000000000000080002701000051000000001b00001b0b9b3ac7a09a710000000a130113021303c02b\
        c02f0100001d002b";
    /// zeek/tls__dtls-sequence-number-jumps.pcap frame 3: fragment 54-81, record sequence 256
    pub(crate) const JUMPS_F3: &str = "\
        16fefd0000000000000100002701000051000000003600001b000504fefcfefd000a00060004001d0017000d\
        0006000408040403";
    /// zeek/tls__dtls-sequence-number-jumps.pcap frame 4: ServerHello selecting DTLS 1.3
    const JUMPS_F4: &str = "\
        16fefd0000000000000000003a0200002e000000000000002efefdf35685288b91050cf331886c7c6f5a69e7\
        c059b71e7e1b621cdc4c0e80cd1b10001301000006002b0002fefc";
    /// wireshark-2022-copy/snakeoil-dtls.pcap frame 2: HelloVerifyRequest, version 0x0100
    pub(crate) const SNAKEOIL_F2: &str = "1601000000000000000000000f030000030000000000000003010000";
    /// mercury/dtls_interleaved_client_hello.pcap frame 1: ClientHello seq 1, 0-203 of 307
    pub(crate) const MERCURY_INTERLEAVED_F1: &str = "\
        16fefd000000000000000200d70100013300010000000000cbfefd06ac4343e701fd74cac15bdb8d0fb735dc\
        a354f8e4cc1e65944f8d443a1af9b200144c281da5216e0bcdc6d35770176ee12f676baa9b00a0c030c02cc0\
        28c024c014c00a00a500a300a1009f006b006a0069006800390038003700360088008700860085c032c02ec0\
        2ac026c00fc005009d003d00350084c02fc02bc027c023c013c00900a400a200a0009e00670040003f003e00\
        33003200310030009a0099009800970045004400430042c031c02dc029c025c00ec004009c003c002f009600\
        410007c012c00800";
    /// mercury/dtls_interleaved_client_hello.pcap frame 2: ClientHello seq 0, 0-203 of 307
    pub(crate) const MERCURY_INTERLEAVED_F2: &str = "\
        16fefd000000000000000200d70100013300000000000000cbfefd06ac4343e701fd74cac15bdb8d0fb735dc\
        a354f8e4cc1e65944f8d443a1af9b200144c281da5216e0bcdc6d35770176ee12f676baa9b00a0c030c02cc0\
        28c024c014c00a00a500a300a1009f006b006a0069006800390038003700360088008700860085c032c02ec0\
        2ac026c00fc005009d003d00350084c02fc02bc027c023c013c00900a400a200a0009e00670040003f003e00\
        33003200310030009a0099009800970045004400430042c031c02dc029c025c00ec0040063ffc3ffd0ff69ff\
        befff83fed3ff7ff";
    /// mercury/dtls_interleaved_client_hello.pcap frame 3: ClientHello seq 1, 203-307
    pub(crate) const MERCURY_INTERLEAVED_F3: &str = "\
        16fefd000000000000000300740100013300010000cb0000681600130010000dc00dc003000a00ff01000055\
        000b000403000102000a001c001a00170019001c001b0018001a0016000e000d000b000c0009000a00230000\
        000d0020001e060106020603050105020503040104020403030103020303020102020203000f000101";
    /// arkime/wireshark-dtls12.pcap frame 13: Application Data
    pub(crate) const ARKIME_F13: &str = "\
        17fefd000100000000000200360001000000000002b7527932b8129945a527cdd1e3b929eadbe009be1ae718\
        cda12b497bfea3096a0a0b7be6b4adf1074574e5d6f638";
    /// arkime/wireshark-dtls12.pcap frame 16: encrypted Alert
    pub(crate) const ARKIME_F16: &str =
        "15fefd0001000000000003001200010000000000037007e07542e5429df5ee";

    /// samples/dtls-openssl-alerts.pcap (OpenSSL 3.0 s_client/s_server on
    /// loopback, made by samples/make/dtls-openssl-alerts.sh), frame 8: the client does
    /// not trust the server certificate.
    pub(crate) const ALERT_UNKNOWN_CA: &str = "15fefd000000000000000200020230";
    /// Same capture, frame 12: no shared cipher suite.
    pub(crate) const ALERT_HANDSHAKE_FAILURE: &str = "15fefd000000000000000100020228";

    pub(crate) const ALL_VECTORS: &[&str] = &[
        WEBRTC_F9,
        WEBRTC_F11,
        WEBRTC_F14,
        DTLS12_F3,
        DTLS12_F6,
        DTLS12_F7,
        DTLS12_F8,
        DTLS12_F9,
        DTLS12_F10,
        CHROME_F1,
        CID_F7,
        CID_F15,
        CID_F42,
        WOLF_F2,
        WOLF_F5,
        JUMPS_F1,
        JUMPS_F2,
        JUMPS_F3,
        JUMPS_F4,
        SNAKEOIL_F2,
        MERCURY_INTERLEAVED_F1,
        MERCURY_INTERLEAVED_F2,
        MERCURY_INTERLEAVED_F3,
        ARKIME_F13,
        ARKIME_F16,
        ALERT_UNKNOWN_CA,
        ALERT_HANDSHAKE_FAILURE,
    ];

    /// The one handshake fragment of a single-record datagram.
    pub(crate) fn only_fragment<'a>(d: &'a DtlsDatagram<'a>) -> &'a HandshakeFragment<'a> {
        assert_eq!(d.records.len(), 1);
        let DtlsRecordBody::Handshake(frags) = &d.records[0].body else {
            panic!("not a handshake record: {:?}", d.records[0].body);
        };
        assert_eq!(frags.len(), 1);
        &frags[0]
    }

    fn header(r: &DtlsRecord) -> (u8, u16, u16, u64, u16) {
        (r.content_type, r.version, r.epoch, r.sequence, r.length)
    }

    pub(crate) fn frag_header(f: &HandshakeFragment) -> (u8, u32, u16, u32, u32) {
        (
            f.msg_type,
            f.length,
            f.message_seq,
            f.fragment_offset,
            f.fragment_length,
        )
    }

    #[test]
    fn client_hello_dtls10_with_use_srtp() {
        let bytes = unhex(WEBRTC_F9);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(header(&d.records[0]), (22, 0xfeff, 0, 0, 284));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (1, 272, 0, 0, 272));
        let random = unhex("b509517d8e76fa20bf84d05bdd51e8cedb21df8fa66b57c37a43b4a07a096f7e");
        let groups = unhex(
            "0038000e000d0019001c000b000c001b00180009000a001a0016001700080006000700140015\
             0004000500120013000100020003000f00100011",
        );
        let expected = ClientHello {
            version: 0xfeff,
            random: &random,
            session_id: &[],
            cookie: &[],
            cipher_suites: vec![
                0xc014, 0xc00a, 0x0039, 0x0038, 0x0037, 0x0036, 0x0088, 0x0087, 0x0086, 0x0085,
                0xc019, 0x003a, 0x0089, 0xc00f, 0xc005, 0x0035, 0x0084, 0xc013, 0xc009, 0x0033,
                0x0032, 0x0031, 0x0030, 0x009a, 0x0099, 0x0098, 0x0097, 0x0045, 0x0044, 0x0043,
                0x0042, 0xc018, 0x0034, 0x009b, 0x0046, 0xc00e, 0xc004, 0x002f, 0x0096, 0x0041,
                0x0007, 0xc012, 0xc008, 0x0016, 0x0013, 0x0010, 0x000d, 0xc017, 0x001b, 0xc00d,
                0xc003, 0x000a, 0x0015, 0x0012, 0x000f, 0x000c, 0x001a, 0x0009, 0x0014, 0x0011,
                0x000e, 0x000b, 0x0019, 0x0008, 0x0006, 0xc010, 0xc006, 0xc015, 0xc00b, 0xc001,
                0x0002, 0x0001, 0x00ff,
            ],
            compression_methods: &[0],
            extensions: vec![
                Extension {
                    ext_type: 11,
                    data: &[0x03, 0x00, 0x01, 0x02],
                },
                Extension {
                    ext_type: 10,
                    data: &groups,
                },
                Extension {
                    ext_type: 15,
                    data: &[0x01],
                },
                Extension {
                    ext_type: 14,
                    data: &[0x00, 0x02, 0x00, 0x01, 0x00],
                },
            ],
            use_srtp: Some(UseSrtp {
                profiles: vec![0x0001],
                mki: &[],
            }),
            supported_versions: vec![],
            connection_id: None,
            malformed: None,
        };
        assert_eq!(f.message, Some(HandshakeMessage::ClientHello(expected)));
        let Some(HandshakeMessage::ClientHello(ch)) = &f.message else {
            unreachable!()
        };
        assert_eq!(ch.extension_types(), vec![11, 10, 15, 14]);
    }

    #[test]
    fn chromium_client_hello_offers_three_srtp_profiles() {
        let bytes = unhex(CHROME_F1);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(header(&d.records[0]), (22, 0xfeff, 0, 0, 144));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (1, 132, 0, 0, 132));
        let random = unhex("defd7f1e69e381dac31a3261359ed7ab88450206e792fbcc3ffcc48a16aca804");
        let sig_algs = unhex("0012040308040401050308050501080606010201");
        let expected = ClientHello {
            version: 0xfefd,
            random: &random,
            session_id: &[],
            cookie: &[],
            cipher_suites: vec![
                0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x002f,
                0x0035,
            ],
            compression_methods: &[0],
            extensions: vec![
                Extension {
                    ext_type: 23,
                    data: &[],
                },
                Extension {
                    ext_type: 0xff01,
                    data: &[0x00],
                },
                Extension {
                    ext_type: 10,
                    data: &[0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
                },
                Extension {
                    ext_type: 11,
                    data: &[0x01, 0x00],
                },
                Extension {
                    ext_type: 35,
                    data: &[],
                },
                Extension {
                    ext_type: 13,
                    data: &sig_algs,
                },
                Extension {
                    ext_type: 14,
                    data: &[0x00, 0x06, 0x00, 0x01, 0x00, 0x08, 0x00, 0x07, 0x00],
                },
            ],
            use_srtp: Some(UseSrtp {
                profiles: vec![0x0001, 0x0008, 0x0007],
                mki: &[],
            }),
            supported_versions: vec![],
            connection_id: None,
            malformed: None,
        };
        assert_eq!(f.message, Some(HandshakeMessage::ClientHello(expected)));
    }

    #[test]
    fn server_flight_in_one_datagram() {
        let bytes = unhex(WEBRTC_F11);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        let headers: Vec<_> = d.records.iter().map(header).collect();
        assert_eq!(
            headers,
            vec![
                (22, 0xfeff, 0, 0, 104),
                (22, 0xfeff, 0, 1, 284),
                (22, 0xfeff, 0, 2, 154),
                (22, 0xfeff, 0, 3, 18),
                (22, 0xfeff, 0, 4, 12),
            ]
        );
        let frags: Vec<_> = d.handshake_fragments().collect();
        let frag_headers: Vec<_> = frags.iter().map(|f| frag_header(f)).collect();
        assert_eq!(
            frag_headers,
            vec![
                (2, 92, 0, 0, 92),
                (11, 272, 1, 0, 272),
                (12, 142, 2, 0, 142),
                (13, 6, 3, 0, 6),
                (14, 0, 4, 0, 0),
            ]
        );
        let random = unhex("98a9bba258a3c4945327ef47ea41eca749481524a96aa2b4400acd1a4f0194ab");
        let session_id = unhex("0828c6b70198e7be06476deb418014287b0d9308058f6f61e65fecaac020c798");
        let expected = ServerHello {
            version: 0xfeff,
            random: &random,
            session_id: &session_id,
            cipher_suite: 0xc00a,
            compression_method: 0,
            extensions: vec![
                Extension {
                    ext_type: 11,
                    data: &[0x01, 0x00],
                },
                Extension {
                    ext_type: 14,
                    data: &[0x00, 0x02, 0x00, 0x01, 0x00],
                },
                Extension {
                    ext_type: 0xff01,
                    data: &[0x00],
                },
            ],
            use_srtp: Some(UseSrtp {
                profiles: vec![0x0001],
                mki: &[],
            }),
            selected_version: None,
            connection_id: None,
            malformed: None,
        };
        assert_eq!(
            frags[0].message,
            Some(HandshakeMessage::ServerHello(expected))
        );
        let Some(HandshakeMessage::Certificate { certificates }) = &frags[1].message else {
            panic!("{:?}", frags[1].message);
        };
        assert_eq!(certificates.len(), 1);
        assert_eq!(certificates[0].len(), 266);
        assert_eq!(
            certificate_sha256_fingerprint(certificates[0]),
            "96:81:26:88:2D:68:EB:80:B0:33:92:ED:B9:CC:E7:26:0E:EC:15:A0:4B:20:6D:DF:B5:23:14:49:B5:AA:AA:2F"
        );
        let rest: Vec<_> = frags[2..].iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            rest,
            vec![
                Some(HandshakeMessage::ServerKeyExchange),
                Some(HandshakeMessage::CertificateRequest),
                Some(HandshakeMessage::ServerHelloDone),
            ]
        );
    }

    #[test]
    fn hello_verify_request() {
        let bytes = unhex(DTLS12_F3);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(header(&d.records[0]), (22, 0xfeff, 0, 0, 35));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (3, 23, 0, 0, 23));
        let cookie = unhex("4c281da5216e0bcdc6d35770176ee12f676baa9b");
        assert_eq!(
            f.message,
            Some(HandshakeMessage::HelloVerifyRequest {
                version: 0xfeff,
                cookie: &cookie,
            })
        );
    }

    #[test]
    fn legacy_openssl_version_0100() {
        let bytes = unhex(SNAKEOIL_F2);
        assert!(looks_like_dtls(&bytes));
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(header(&d.records[0]), (22, 0x0100, 0, 0, 15));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (3, 3, 0, 0, 3));
        assert_eq!(
            f.message,
            Some(HandshakeMessage::HelloVerifyRequest {
                version: 0x0100,
                cookie: &[],
            })
        );
    }

    #[test]
    fn certificate_fragments_over_five_datagrams() {
        let frames = certificate_flight();
        let datagrams: Vec<DtlsDatagram> = frames
            .iter()
            .map(|b| parse_dtls_datagram(b).unwrap())
            .collect();
        let fragment_headers: Vec<_> = datagrams
            .iter()
            .flat_map(DtlsDatagram::handshake_fragments)
            .map(frag_header)
            .collect();
        assert_eq!(
            fragment_headers,
            vec![
                (2, 57, 1, 0, 57),
                (11, 874, 2, 0, 121),
                (11, 874, 2, 121, 203),
                (11, 874, 2, 324, 203),
                (11, 874, 2, 527, 203),
                (11, 874, 2, 730, 144),
                (12, 329, 3, 0, 34),
            ]
        );
        let record_headers: Vec<_> = datagrams
            .iter()
            .flat_map(|d| d.records.iter().map(header))
            .collect();
        assert_eq!(
            record_headers,
            vec![
                (22, 0xfefd, 0, 1, 69),
                (22, 0xfefd, 0, 2, 133),
                (22, 0xfefd, 0, 3, 215),
                (22, 0xfefd, 0, 4, 215),
                (22, 0xfefd, 0, 5, 215),
                (22, 0xfefd, 0, 6, 156),
                (22, 0xfefd, 0, 7, 46),
            ]
        );
    }

    /// Fragments with growing record sequence numbers (0, 128, 256) and
    /// the ServerHello choosing DTLS 1.3 through supported_versions.
    #[test]
    fn client_hello_fragments_and_dtls13_server_hello() {
        let frames: Vec<Vec<u8>> = [JUMPS_F1, JUMPS_F2, JUMPS_F3]
            .iter()
            .map(|h| unhex(h))
            .collect();
        let mut seqs = Vec::new();
        for b in &frames {
            let d = parse_dtls_datagram(b).unwrap();
            assert_eq!(d.malformed, None);
            seqs.push(header(&d.records[0]));
            let f = only_fragment(&d);
            assert_eq!(f.message, None);
        }
        assert_eq!(
            seqs,
            vec![
                (22, 0xfefd, 0, 0, 39),
                (22, 0xfefd, 0, 128, 39),
                (22, 0xfefd, 0, 256, 39)
            ]
        );

        let bytes = unhex(JUMPS_F4);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(header(&d.records[0]), (22, 0xfefd, 0, 0, 58));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (2, 46, 0, 0, 46));
        let random = unhex("f35685288b91050cf331886c7c6f5a69e7c059b71e7e1b621cdc4c0e80cd1b10");
        assert_eq!(
            f.message,
            Some(HandshakeMessage::ServerHello(ServerHello {
                version: 0xfefd,
                random: &random,
                session_id: &[],
                cipher_suite: 0x1301,
                compression_method: 0,
                extensions: vec![Extension {
                    ext_type: 43,
                    data: &[0xfe, 0xfc],
                }],
                use_srtp: None,
                selected_version: Some(0xfefc),
                connection_id: None,
                malformed: None,
            }))
        );
    }

    #[test]
    fn dtls13_server_hello_with_connection_id() {
        let bytes = unhex(CID_F7);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(header(&d.records[0]), (22, 0xfefd, 0, 1, 152));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (2, 140, 1, 0, 140));
        let Some(HandshakeMessage::ServerHello(sh)) = &f.message else {
            panic!("{:?}", f.message);
        };
        assert_eq!(
            (
                sh.random.to_vec(),
                sh.cipher_suite,
                sh.extension_types(),
                sh.selected_version,
                sh.connection_id,
                sh.is_hello_retry_request(),
                sh.malformed,
            ),
            (
                unhex("d5e698577a166767528f402f2964eed642b4860f94733aa9909db3ceccb741b5"),
                0x1301,
                vec![51, 43, 54],
                Some(0xfefc),
                Some(&b"fancy server CID"[..]),
                false,
                None,
            )
        );
    }

    #[test]
    fn dtls13_hello_retry_request() {
        let bytes = unhex(WOLF_F2);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(header(&d.records[0]), (22, 0xfefd, 0, 0, 131));
        let f = only_fragment(&d);
        assert_eq!(frag_header(f), (2, 119, 0, 0, 119));
        let Some(HandshakeMessage::ServerHello(sh)) = &f.message else {
            panic!("{:?}", f.message);
        };
        assert_eq!(
            (
                sh.is_hello_retry_request(),
                sh.cipher_suite,
                sh.extension_types(),
                sh.selected_version,
                sh.extension(44).map(|e| e.data.len()),
            ),
            (true, 0x1301, vec![43, 44], Some(0xfefc), Some(69))
        );
    }

    #[test]
    fn encrypted_finished_after_change_cipher_spec() {
        let bytes = unhex(WEBRTC_F14);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        let got: Vec<_> = d
            .records
            .iter()
            .map(|r| (header(r), r.body.clone(), r.fragment.len()))
            .collect();
        assert_eq!(
            got,
            vec![
                ((20, 0xfeff, 0, 5, 1), DtlsRecordBody::ChangeCipherSpec, 1),
                ((22, 0xfeff, 1, 0, 64), DtlsRecordBody::Encrypted, 64),
            ]
        );
    }

    #[test]
    fn plaintext_fatal_alerts() {
        for (hex_str, seq, description, name) in [
            (ALERT_UNKNOWN_CA, 2, 48, "unknown_ca"),
            (ALERT_HANDSHAKE_FAILURE, 1, 40, "handshake_failure"),
        ] {
            let bytes = unhex(hex_str);
            assert!(looks_like_dtls(&bytes));
            let d = parse_dtls_datagram(&bytes).unwrap();
            assert_eq!(d.malformed, None);
            assert_eq!(d.records.len(), 1);
            assert_eq!(header(&d.records[0]), (21, 0xfefd, 0, seq, 2));
            assert_eq!(
                d.records[0].body,
                DtlsRecordBody::Alert {
                    level: 2,
                    description
                }
            );
            assert_eq!(alert_description_name(description), name);
        }
        assert_eq!(alert_description_name(42), "bad_certificate");
        assert_eq!(alert_description_name(10), "unexpected_message");
    }

    #[test]
    fn application_data_and_encrypted_alert() {
        let bytes = unhex(ARKIME_F13);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.records.len(), 1);
        assert_eq!(header(&d.records[0]), (23, 0xfefd, 1, 2, 54));
        assert_eq!(d.records[0].body, DtlsRecordBody::ApplicationData);

        let bytes = unhex(ARKIME_F16);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.records.len(), 1);
        assert_eq!(header(&d.records[0]), (21, 0xfefd, 1, 3, 18));
        assert_eq!(d.records[0].body, DtlsRecordBody::Encrypted);
    }

    #[test]
    fn dtls13_unified_header_records() {
        // 0x2e = 001 0 1 1 10: no CID, 16-bit sequence, length, epoch 2.
        let bytes = unhex(WOLF_F5);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(d.records.len(), 1);
        let r = &d.records[0];
        assert_eq!(header(r), (0x2e, 0xfefc, 2, 0x9296, 31));
        assert_eq!(r.body, DtlsRecordBody::Dtls13Ciphertext);
        assert_eq!(r.fragment, &bytes[5..]);
        assert_eq!(
            r.unified_header,
            Some(UnifiedHeader {
                cid_present: false,
                sequence_16bit: true,
                length_present: true,
                epoch_bits: 2,
            })
        );
        assert_eq!(r.connection_id, None);

        let bytes = unhex(CID_F42);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(header(&d.records[0]), (0x2f, 0xfefc, 3, 0x9d4a, 19));
        assert_eq!(d.records[0].body, DtlsRecordBody::Dtls13Ciphertext);

        // 0x3e: a CID is present. Without its length, the record is only
        // recognised and runs to the end of the datagram.
        let bytes = unhex(CID_F15);
        let d = parse_dtls_datagram(&bytes).unwrap();
        assert_eq!(d.malformed, None);
        let r = &d.records[0];
        assert_eq!(header(r), (0x3e, 0xfefc, 2, 0, 54));
        assert_eq!(r.body, DtlsRecordBody::Dtls13Ciphertext);
        assert_eq!(r.connection_id, None);
        assert_eq!(
            r.unified_header,
            Some(UnifiedHeader {
                cid_present: true,
                sequence_16bit: true,
                length_present: true,
                epoch_bits: 2,
            })
        );
        // With the 16-byte CID the server chose in its ServerHello (frame 7).
        let d = parse_dtls_datagram_with_cid_len(&bytes, Some(16)).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(d.records.len(), 1);
        let r = &d.records[0];
        assert_eq!(header(r), (0x3e, 0xfefc, 2, 0xab01, 34));
        assert_eq!(r.connection_id, Some(&b"fancy server CID"[..]));
        assert_eq!(r.fragment, &bytes[21..]);
        assert_eq!(r.body, DtlsRecordBody::Dtls13Ciphertext);
    }

    #[test]
    fn truncated_last_record_is_kept() {
        let bytes = unhex(WEBRTC_F11);
        // ServerHello record (117 bytes) plus 113 bytes of the Certificate
        // record.
        let cut = &bytes[..230];
        let d = parse_dtls_datagram(cut).unwrap();
        assert_eq!(d.malformed, None);
        assert_eq!(d.records.len(), 2);
        assert!(matches!(d.records[0].body, DtlsRecordBody::Handshake(_)));
        let r = &d.records[1];
        assert_eq!(header(r), (22, 0xfeff, 0, 1, 284));
        assert_eq!(r.body, DtlsRecordBody::Truncated);
        assert_eq!(r.fragment.len(), 100);
        // A cut inside the second record's header.
        let d = parse_dtls_datagram(&bytes[..120]).unwrap();
        assert_eq!(d.records.len(), 1);
        assert_eq!(
            d.malformed,
            Some("trailing bytes shorter than a record header")
        );
    }

    #[test]
    fn rejects_what_is_not_dtls() {
        assert_eq!(parse_dtls_datagram(&[]), Err(DtlsError::Empty));
        // A STUN Binding request and an RTP packet (RFC 7983 ranges).
        assert_eq!(
            parse_dtls_datagram(&[0x00, 0x01, 0x00, 0x00]),
            Err(DtlsError::NotDtls(0))
        );
        assert_eq!(
            parse_dtls_datagram(&[0x80, 0x00, 0x00, 0x01]),
            Err(DtlsError::NotDtls(0x80))
        );
        assert_eq!(
            parse_dtls_datagram(&[22, 0xfe, 0xfd]),
            Err(DtlsError::TooShort(3))
        );
        for v in ALL_VECTORS {
            assert!(looks_like_dtls(&unhex(v)), "{v}");
        }
        assert!(!looks_like_dtls(&[]));
        assert!(!looks_like_dtls(&[0x00, 0x01, 0x00, 0x00]));
        assert!(!looks_like_dtls(&[0x80, 0x00, 0x00, 0x01]));
        // Handshake type, unknown version.
        assert!(!looks_like_dtls(&unhex("160303000000000000000000010e")));
        // Header claims more than the datagram holds.
        assert!(!looks_like_dtls(&unhex("16fefd0000000000000000ffff0e")));
        // A DNS query id 0x273b (first byte 39) whose "length" overruns.
        assert!(!looks_like_dtls(&unhex("273b01200001000000000001")));
        // Text (a MEGACO message starts with '!', 0x21) and spaces fall in
        // the unified-header range but carry no believable length.
        assert!(!looks_like_dtls(b"!/1 [192.0.2.1]:2944 T=1{C=-{AV=*}}"));
        assert!(!looks_like_dtls(b"     "));
        // A unified header without the L bit still parses.
        let no_length = [0x22u8, 0x07, 1, 2, 3];
        assert!(!looks_like_dtls(&no_length));
        let d = parse_dtls_datagram(&no_length).unwrap();
        assert_eq!(header(&d.records[0]), (0x22, 0xfefc, 2, 7, 3));
        assert_eq!(d.records[0].body, DtlsRecordBody::Dtls13Ciphertext);
    }

    #[test]
    fn fingerprint_forms() {
        // SHA-256 of the empty string, in SDP form.
        assert_eq!(
            certificate_sha256_fingerprint(b""),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
        assert_eq!(certificate_fingerprint("sha-1", b""), None);
        assert_eq!(
            certificate_fingerprint("sha-384", b"").map(|s| s.len()),
            Some(48 * 3 - 1)
        );
    }

    #[test]
    fn names() {
        assert_eq!(handshake_type_name(1), "ClientHello");
        assert_eq!(handshake_type_name(14), "ServerHelloDone");
        assert_eq!(handshake_type_name(99), "Unknown");
        assert_eq!(content_type_name(23), "application_data");
        assert_eq!(content_type_name(0x2e), "dtls13_ciphertext");
        assert_eq!(content_type_name(99), "unknown");
        assert_eq!(alert_description_name(40), "handshake_failure");
        assert_eq!(alert_description_name(255), "unknown");
    }

    /// Everything a caller may do with a datagram; none of it may panic.
    fn exercise(bytes: &[u8]) {
        let _ = looks_like_dtls(bytes);
        for cid in [None, Some(0), Some(3), Some(16)] {
            if let Ok(d) = parse_dtls_datagram_with_cid_len(bytes, cid) {
                for f in d.handshake_fragments() {
                    let _ = (f.is_complete(), parse_handshake_message(f.msg_type, f.body));
                }
            }
        }
    }

    #[test]
    fn every_truncation_of_real_datagrams() {
        for v in ALL_VECTORS {
            let bytes = unhex(v);
            for n in 0..=bytes.len() {
                exercise(&bytes[..n]);
                // Also the message body alone, cut at every point.
                for t in [1, 2, 3, 11] {
                    let _ = parse_handshake_message(t, bytes.get(25..n).unwrap_or_default());
                }
            }
        }
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            exercise(&bytes);
            let _ = certificate_sha256_fingerprint(&bytes);
            for t in [1u8, 2, 3, 11, 99] {
                let _ = parse_handshake_message(t, &bytes);
            }
        }

        #[test]
        fn dtls_shaped_bytes_never_panic(
            first in 20u8..64,
            version in prop_oneof![Just(0xfeffu16), Just(0xfefd), Just(0x0100), any::<u16>()],
            tail in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut bytes = vec![first];
            bytes.extend_from_slice(&version.to_be_bytes());
            bytes.extend_from_slice(&tail);
            exercise(&bytes);
            // Handshake records whose header lengths match random bodies.
            let mut hs = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
            hs.extend_from_slice(&(tail.len() as u16).to_be_bytes());
            hs.extend_from_slice(&tail);
            exercise(&hs);
        }
    }
}
