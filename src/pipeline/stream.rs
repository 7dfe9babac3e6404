//! Message framing on reassembled TCP byte streams: SIP by Content-Length
//! (RFC 3261 s18.3), STUN/TURN and ChannelData by their length fields
//! (RFC 8489 s6.2.2, RFC 8656 s12.5), TLS by record length (so that alerts
//! on a SIP-over-TLS connection are seen).

use foldhash::HashMap;

use crate::decode::dtls::content_type;
use crate::decode::{sip, stun};

/// Bounds of the framer. At a bound the stream's partial message is
/// dropped (counted) and framing starts again on the next bytes.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// A SIP message larger than this is not reassembled (real INVITEs are
    /// a few KiB; the largest test capture holds a 64 KiB body).
    pub max_message: usize,
    pub max_streams: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            max_message: 256 * 1024,
            max_streams: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    /// Not enough bytes yet to tell.
    #[default]
    Unknown,
    Sip,
    Stun,
    Tls,
    Other,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StreamStats {
    pub messages: u64,
    /// Bytes thrown away: a message over the size bound, or bytes after a
    /// gap that could not be framed.
    pub bytes_dropped: u64,
    pub resyncs: u64,
    pub streams_evicted: u64,
}

#[derive(Debug, Default)]
struct StreamState {
    kind: StreamKind,
    buf: Vec<u8>,
    last_use: u64,
}

/// Per-direction framing state of every TCP connection.
#[derive(Debug)]
pub struct StreamFramer {
    limits: StreamLimits,
    streams: HashMap<(u64, u8), StreamState>,
    clock: u64,
    stats: StreamStats,
}

/// TLS record header: type, version (2), length (2). RFC 8446 s5.1.
const TLS_HEADER: usize = 5;

impl StreamFramer {
    pub fn new(limits: StreamLimits) -> Self {
        Self {
            limits,
            streams: HashMap::default(),
            clock: 0,
            stats: StreamStats::default(),
        }
    }

    pub fn stats(&self) -> StreamStats {
        self.stats.clone()
    }

    /// Takes the bytes that became contiguous in one direction and appends
    /// every complete message to `out`. Returns what the stream carries.
    pub fn push(
        &mut self,
        stream_id: u64,
        direction: u8,
        data: &[u8],
        gap_skipped: u32,
        out: &mut Vec<Vec<u8>>,
    ) -> StreamKind {
        self.clock += 1;
        if !self.streams.contains_key(&(stream_id, direction))
            && self.streams.len() >= self.limits.max_streams
        {
            self.evict_oldest();
        }
        let limits = self.limits;
        let stats = &mut self.stats;
        let st = self.streams.entry((stream_id, direction)).or_default();
        st.last_use = self.clock;
        if gap_skipped > 0 {
            // Bytes are missing: whatever was half-framed is lost.
            stats.bytes_dropped += st.buf.len() as u64;
            stats.resyncs += 1;
            st.buf.clear();
            if st.kind != StreamKind::Other {
                st.kind = StreamKind::Unknown;
            }
        }
        if data.is_empty() || st.kind == StreamKind::Other {
            return st.kind;
        }
        if st.buf.len() + data.len() > limits.max_message {
            stats.bytes_dropped += (st.buf.len() + data.len()) as u64;
            stats.resyncs += 1;
            st.buf.clear();
            st.kind = StreamKind::Unknown;
            return st.kind;
        }
        st.buf.extend_from_slice(data);
        if st.kind == StreamKind::Unknown {
            st.kind = detect(&st.buf);
        }
        let mut used = 0;
        loop {
            let rest = &st.buf[used..];
            if rest.is_empty() {
                break;
            }
            let len = match st.kind {
                StreamKind::Sip => match sip::sip_message_len(rest) {
                    sip::SipFraming::Complete(n) => Some(n),
                    sip::SipFraming::NeedMore => None,
                    sip::SipFraming::Invalid => {
                        stats.resyncs += 1;
                        stats.bytes_dropped += rest.len() as u64;
                        used = st.buf.len();
                        st.kind = StreamKind::Unknown;
                        break;
                    }
                },
                StreamKind::Stun => match stun::stream_message(rest) {
                    Some(m) if m.total_len > 0 && m.total_len <= rest.len() => {
                        // Hand on the message without its RFC 4571 prefix
                        // or TCP padding.
                        out.push(m.message.to_vec());
                        stats.messages += 1;
                        used += m.total_len;
                        continue;
                    }
                    Some(_) => None,
                    None if could_be_stun(rest) => None,
                    None => {
                        st.kind = StreamKind::Other;
                        used = st.buf.len();
                        break;
                    }
                },
                StreamKind::Tls => tls_record_len(rest),
                StreamKind::Unknown | StreamKind::Other => break,
            };
            let Some(n) = len.filter(|n| *n > 0 && *n <= rest.len()) else {
                break;
            };
            let msg = &rest[..n];
            match st.kind {
                StreamKind::Sip => {
                    // Keep-alive CRLFs before a message are not part of it.
                    let start = msg.iter().position(|b| *b != b'\r' && *b != b'\n');
                    if let Some(start) = start {
                        out.push(msg[start..].to_vec());
                        stats.messages += 1;
                    }
                }
                // Application data is encrypted: its length is all we could
                // use, so it is not copied.
                StreamKind::Tls if msg.first() == Some(&23) => {}
                _ => {
                    out.push(msg.to_vec());
                    stats.messages += 1;
                }
            }
            used += n;
        }
        st.buf.drain(..used.min(st.buf.len()));
        if st.kind == StreamKind::Other {
            st.buf.clear();
        }
        st.kind
    }

    fn evict_oldest(&mut self) {
        if let Some(key) = self
            .streams
            .iter()
            .min_by_key(|(_, s)| s.last_use)
            .map(|(k, _)| *k)
        {
            self.streams.remove(&key);
            self.stats.streams_evicted += 1;
        }
    }
}

/// Tells what a stream carries from its first bytes.
fn detect(buf: &[u8]) -> StreamKind {
    let trimmed = match buf.iter().position(|b| *b != b'\r' && *b != b'\n') {
        Some(i) => &buf[i..],
        None => return StreamKind::Unknown,
    };
    if sip::looks_like_sip(trimmed) {
        return StreamKind::Sip;
    }
    if trimmed.len() < TLS_HEADER {
        return StreamKind::Unknown;
    }
    if (content_type::CHANGE_CIPHER_SPEC..=content_type::APPLICATION_DATA).contains(&trimmed[0])
        && trimmed[1] == 3
    {
        return StreamKind::Tls;
    }
    if stun::stream_message_len(trimmed).is_some() {
        return StreamKind::Stun;
    }
    if trimmed.len() < stun::HEADER_LEN && could_be_stun(trimmed) {
        return StreamKind::Unknown;
    }
    // A SIP start line may not have arrived whole yet.
    if trimmed.len() < 64 && trimmed[0].is_ascii_uppercase() && !trimmed.contains(&b'\n') {
        return StreamKind::Unknown;
    }
    StreamKind::Other
}

/// STUN starts with 0b00, ChannelData with 0b01 (RFC 7983), a RFC 4571
/// length prefix with a small number.
fn could_be_stun(buf: &[u8]) -> bool {
    matches!(buf.first(), Some(0..=3) | Some(64..=79))
}

fn tls_record_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < TLS_HEADER {
        return None;
    }
    let len = u16::from_be_bytes([buf[3], buf[4]]) as usize;
    Some(TLS_HEADER + len)
}
