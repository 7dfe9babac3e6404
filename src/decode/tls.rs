//! TLS records on a TCP stream (RFC 8446 s5.1, RFC 5246 s6.2): only what
//! tells whether a signalling connection's handshake worked. Record headers
//! stand on tls-parser; a plaintext alert is two bytes (level, description),
//! anything longer is encrypted.

use tls_parser::parse_tls_raw_record;

use super::dtls::content_type;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsRecord {
    pub content_type: u8,
    pub version: u16,
    pub length: u16,
    /// First handshake message type when the record is a handshake in
    /// clear (ClientHello 1, ServerHello 2, ...); meaningless once
    /// encrypted.
    pub handshake_type: Option<u8>,
    /// (level, description) of an alert sent in clear.
    pub alert: Option<(u8, u8)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a TLS record")]
pub struct TlsError;

pub fn parse_tls_record(input: &[u8]) -> Result<TlsRecord, TlsError> {
    let (_, rec) = parse_tls_raw_record(input).map_err(|_| TlsError)?;
    let content_type = rec.hdr.record_type.0;
    let data = rec.data;
    Ok(TlsRecord {
        content_type,
        version: rec.hdr.version.0,
        length: rec.hdr.len,
        handshake_type: (content_type == content_type::HANDSHAKE)
            .then(|| plaintext_handshake_type(data))
            .flatten(),
        alert: match (content_type, data) {
            (content_type::ALERT, [level, desc]) => Some((*level, *desc)),
            _ => None,
        },
    })
}

/// The type of the first handshake message, if the record holds one in
/// clear: its 3-byte length must fit the record (RFC 8446 s4). After
/// ChangeCipherSpec the record is encrypted and its first byte means
/// nothing, so an inconsistent length marks it encrypted.
fn plaintext_handshake_type(data: &[u8]) -> Option<u8> {
    match data {
        [t, a, b, c, ..] => {
            let len = (usize::from(*a) << 16) | (usize::from(*b) << 8) | usize::from(*c);
            (4 + len <= data.len()).then_some(*t)
        }
        _ => None,
    }
}
