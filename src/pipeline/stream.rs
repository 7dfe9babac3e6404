//! Message framing on reassembled TCP byte streams: SIP by Content-Length
//! (RFC 3261 s18.3), STUN/TURN and ChannelData by their length fields
//! (RFC 8489 s6.2.2, RFC 8656 s12.5), TLS by record length (so that alerts
//! on a SIP-over-TLS connection are seen), and SIP over WebSocket (RFC 7118)
//! by its HTTP upgrade and frames (RFC 6455 s5), unmasked and joined from
//! fragments into one SIP message each.

use foldhash::HashMap;

use crate::decode::dtls::content_type;
use crate::decode::websocket::{self, opcode, UpgradeParse, WsFraming};

use super::tls_session::TlsConnection;
use crate::decode::keylog::KeyLog;
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
    /// SIP over WebSocket: an HTTP upgrade naming the `sip` subprotocol,
    /// then frames.
    #[serde(rename = "websocket")]
    WebSocket,
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
    /// TLS connections by what became of their decryption ("decrypted",
    /// "no key", ...), those forgotten at a bound included.
    pub tls_connections: std::collections::BTreeMap<&'static str, u64>,
}

#[derive(Debug, Default)]
struct StreamState {
    kind: StreamKind,
    buf: Vec<u8>,
    last_use: u64,
    /// Set once the stream is known to be a WebSocket.
    ws: Option<Box<WsState>>,
}

/// One direction of a WebSocket connection.
#[derive(Debug, Default)]
struct WsState {
    /// The HTTP upgrade was read: frames follow.
    open: bool,
    /// The data message being joined from fragments (RFC 6455 s5.4).
    message: Vec<u8>,
    in_message: bool,
    /// Whether this direction's frames are masked (a client's are, s5.3):
    /// learnt from the first frame, and checked when looking for a frame
    /// after lost bytes.
    masked: Option<bool>,
    /// Bytes were lost: the next delivery must start with a plausible frame
    /// header, or it is dropped.
    lost_sync: bool,
}

/// The longest HTTP upgrade header read (browsers send well under 2 KiB).
const MAX_HTTP_HEADER: usize = 16 * 1024;

/// Per-direction framing state of every TCP connection.
#[derive(Debug)]
pub struct StreamFramer {
    limits: StreamLimits,
    streams: HashMap<(u64, u8), StreamState>,
    clock: u64,
    stats: StreamStats,
    /// TLS connections by stream, with their keys and what their
    /// decrypted data carries; at most `max_streams`, the least recently
    /// used forgotten first.
    tls: HashMap<u64, Box<TlsConnection>>,
    keys: KeyLog,
    /// Decrypted messages at the end of `out` after the last push.
    last_decrypted: usize,
    /// Whether TLS is decrypted at all (not inside decrypted TLS).
    decrypts: bool,
}

/// TLS record header: type, version (2), length (2). RFC 8446 s5.1.
const TLS_HEADER: usize = 5;

impl StreamFramer {
    pub fn new(limits: StreamLimits) -> Self {
        Self::with_keys(limits, KeyLog::default())
    }

    /// A framer that decrypts TLS with `keys` (NSS key log secrets).
    pub fn with_keys(limits: StreamLimits, keys: KeyLog) -> Self {
        Self {
            limits,
            streams: HashMap::default(),
            clock: 0,
            stats: StreamStats::default(),
            tls: HashMap::default(),
            keys,
            last_decrypted: 0,
            decrypts: true,
        }
    }

    /// The framer of what decrypted TLS carries: it reads SIP or
    /// WebSocket, and never TLS inside TLS.
    pub(super) fn inner(max_message: usize) -> Self {
        Self {
            decrypts: false,
            ..Self::new(StreamLimits {
                max_message,
                max_streams: 2,
            })
        }
    }

    pub fn stats(&self) -> StreamStats {
        let mut stats = self.stats.clone();
        for c in self.tls.values().filter(|c| c.carried_data()) {
            *stats.tls_connections.entry(c.outcome_name()).or_default() += 1;
            stats.bytes_dropped += c.inner_bytes_dropped();
        }
        stats
    }

    /// Secrets met in the capture (a pcapng Decryption Secrets Block):
    /// they open the connections whose handshake comes after them.
    pub fn add_secrets(&mut self, key_log_text: &[u8]) {
        self.keys.add_text(key_log_text);
    }

    /// What a direction of a stream carries so far.
    pub fn kind_of(&self, stream_id: u64, direction: u8) -> StreamKind {
        self.streams
            .get(&(stream_id, direction))
            .map_or(StreamKind::Unknown, |s| s.kind)
    }

    /// What decrypted TLS on a stream carries in one direction, when
    /// records were decrypted.
    pub fn decrypted_kind(&self, stream_id: u64, direction: u8) -> Option<StreamKind> {
        self.tls
            .get(&stream_id)
            .filter(|c| c.opened_any)
            .map(|c| c.inner_kind(direction))
    }

    /// How many of the messages the last push appended are decrypted
    /// application data (SIP), after the TLS records.
    pub fn last_decrypted(&self) -> usize {
        self.last_decrypted
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
        self.last_decrypted = 0;
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
            match st.ws.as_deref_mut() {
                // Frames have no marker to find again: the next delivery
                // is tried as the start of one.
                Some(ws) if ws.open => ws.lose_sync(stats),
                _ if st.kind != StreamKind::Other => {
                    st.kind = StreamKind::Unknown;
                    st.ws = None;
                }
                _ => {}
            }
        }
        if data.is_empty() || st.kind == StreamKind::Other {
            return st.kind;
        }
        if st.buf.len() + data.len() > limits.max_message {
            stats.bytes_dropped += (st.buf.len() + data.len()) as u64;
            stats.resyncs += 1;
            st.buf.clear();
            match st.ws.as_deref_mut() {
                Some(ws) if ws.open => ws.lose_sync(stats),
                _ => {
                    st.kind = StreamKind::Unknown;
                    st.ws = None;
                }
            }
            return st.kind;
        }
        st.buf.extend_from_slice(data);
        if st.kind == StreamKind::Unknown {
            st.kind = detect(&st.buf);
        }
        if st.kind == StreamKind::WebSocket {
            let ws = st.ws.get_or_insert_with(Box::default);
            let used = ws.frame(&st.buf, limits.max_message, stats, out);
            st.buf.drain(..used.min(st.buf.len()));
            if !ws.open && used == usize::MAX {
                // Not an upgrade to SIP after all.
                st.kind = StreamKind::Other;
                st.ws = None;
                st.buf.clear();
            }
            return st.kind;
        }
        let mut used = 0;
        let mut decrypted = Vec::new();
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
                StreamKind::Unknown | StreamKind::Other | StreamKind::WebSocket => break,
            };
            let Some(n) = len.filter(|n| *n > 0 && *n <= rest.len()) else {
                break;
            };
            let msg = &rest[..n];
            let mut first_app_data = false;
            if st.kind == StreamKind::Tls && self.decrypts {
                let conn = tls_connection(&mut self.tls, stats, stream_id, self.clock, limits);
                conn.on_record(direction, msg, &self.keys, &mut decrypted);
                first_app_data = conn.first_app_data(direction);
            }
            match st.kind {
                StreamKind::Sip => {
                    // Keep-alive CRLFs before a message are not part of it.
                    let start = msg.iter().position(|b| *b != b'\r' && *b != b'\n');
                    if let Some(start) = start {
                        out.push(msg[start..].to_vec());
                        stats.messages += 1;
                    }
                }
                // Application data is encrypted: only the first record each
                // way is handed on, which says that the handshake completed
                // (data flowed both ways); the rest are not copied.
                StreamKind::Tls if msg.first() == Some(&23) && !first_app_data => {}
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
        let kind = st.kind;
        self.last_decrypted = decrypted.len();
        out.append(&mut decrypted);
        kind
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
    if websocket::could_be_http(buf) {
        return match websocket::upgrade(buf) {
            UpgradeParse::Upgrade(u) if u.websocket && u.sip => StreamKind::WebSocket,
            UpgradeParse::NeedMore if buf.len() < MAX_HTTP_HEADER => StreamKind::Unknown,
            _ => StreamKind::Other,
        };
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

/// The TLS state of a stream, made on its first record; at the bound the
/// least recently used is forgotten (its outcome still counted).
fn tls_connection<'a>(
    tls: &'a mut HashMap<u64, Box<TlsConnection>>,
    stats: &mut StreamStats,
    stream_id: u64,
    clock: u64,
    limits: StreamLimits,
) -> &'a mut TlsConnection {
    if !tls.contains_key(&stream_id) && tls.len() >= limits.max_streams {
        if let Some(key) = tls.iter().min_by_key(|(_, c)| c.last_use).map(|(k, _)| *k) {
            if let Some(old) = tls.remove(&key).filter(|c| c.carried_data()) {
                *stats.tls_connections.entry(old.outcome_name()).or_default() += 1;
                stats.bytes_dropped += old.inner_bytes_dropped();
            }
            stats.streams_evicted += 1;
        }
    }
    let conn = tls
        .entry(stream_id)
        .or_insert_with(|| Box::new(TlsConnection::new(limits.max_message)));
    conn.last_use = clock;
    conn
}

impl WsState {
    fn lose_sync(&mut self, stats: &mut StreamStats) {
        stats.bytes_dropped += self.message.len() as u64;
        self.message.clear();
        self.in_message = false;
        self.lost_sync = true;
    }

    /// Reads the upgrade, then every whole frame at the start of `buf`,
    /// appending each SIP message completed to `out`. Returns the bytes
    /// used, or `usize::MAX` when the stream is not a WebSocket after all.
    fn frame(
        &mut self,
        buf: &[u8],
        max_message: usize,
        stats: &mut StreamStats,
        out: &mut Vec<Vec<u8>>,
    ) -> usize {
        let mut used = 0;
        if !self.open {
            match websocket::upgrade(buf) {
                UpgradeParse::Upgrade(u) if u.websocket && u.sip => {
                    self.open = true;
                    used = u.len;
                }
                UpgradeParse::NeedMore if buf.len() < MAX_HTTP_HEADER => return 0,
                _ => return usize::MAX,
            }
        }
        loop {
            if self.lost_sync {
                // Bytes were lost: frames start again at the first place
                // where whole, plausible frames follow one another.
                match self.find_frame(&buf[used..], max_message) {
                    Some(skip) => {
                        if skip > 0 {
                            stats.bytes_dropped += skip as u64;
                            stats.resyncs += 1;
                        }
                        used += skip;
                    }
                    None => {
                        stats.bytes_dropped += (buf.len() - used) as u64;
                        stats.resyncs += 1;
                        return buf.len();
                    }
                }
            }
            let rest = &buf[used..];
            if rest.is_empty() {
                break;
            }
            let h = match websocket::frame_header(rest) {
                WsFraming::Frame(h) => h,
                WsFraming::NeedMore => break,
                WsFraming::Invalid(_) => {
                    // Not a frame where one must start: drop what is here
                    // and look for one again.
                    stats.bytes_dropped += rest.len() as u64;
                    stats.resyncs += 1;
                    self.lose_sync(stats);
                    return buf.len();
                }
            };
            self.lost_sync = false;
            self.masked = Some(h.mask.is_some());
            let total = h.header_len as u64 + h.payload_len;
            if total > rest.len() as u64 {
                // The push's bound on buffered bytes applies while it comes.
                break;
            }
            let payload = &rest[h.header_len..total as usize];
            used += total as usize;
            match h.opcode {
                opcode::TEXT | opcode::BINARY | opcode::CONTINUATION => {
                    let continues = h.opcode == opcode::CONTINUATION;
                    if continues != self.in_message {
                        // A continuation with no message begun, or a new
                        // message before the last one ended (s5.4): what
                        // was begun cannot be completed.
                        stats.bytes_dropped += (self.message.len() + payload.len()) as u64;
                        stats.resyncs += 1;
                        self.message.clear();
                        self.in_message = false;
                        if continues {
                            continue;
                        }
                    }
                    if self.message.len() + payload.len() > max_message {
                        stats.bytes_dropped += (self.message.len() + payload.len()) as u64;
                        stats.resyncs += 1;
                        self.message.clear();
                        self.in_message = !h.fin;
                        continue;
                    }
                    let start = self.message.len();
                    self.message.extend_from_slice(payload);
                    if let Some(key) = h.mask {
                        websocket::unmask(&mut self.message[start..], key, 0);
                    }
                    self.in_message = !h.fin;
                    if h.fin {
                        // A message of line ends alone is a keep-alive
                        // (RFC 7118 s6 lets either side send one).
                        let mut message = std::mem::take(&mut self.message);
                        if let Some(start) = message.iter().position(|b| *b != b'\r' && *b != b'\n')
                        {
                            message.drain(..start);
                            out.push(message);
                            stats.messages += 1;
                        }
                    }
                }
                // Close, ping and pong carry no SIP.
                _ => {}
            }
        }
        used
    }

    /// Where the first plausible frame in `data` starts: at its start (a
    /// segment usually starts a frame) a plausible header is enough; further
    /// in, the frame must end within `data`, followed by its end or by
    /// another plausible header. Bytes from the middle of a message rarely
    /// pass.
    fn find_frame(&self, data: &[u8], max_message: usize) -> Option<usize> {
        match websocket::frame_header(data) {
            WsFraming::NeedMore => return Some(0),
            WsFraming::Frame(h) if self.plausible(&h, data, max_message) => return Some(0),
            _ => {}
        }
        // Frames are looked for within the first 64 KiB: a segment holds less.
        (1..data.len().min(64 * 1024)).find(|&at| {
            let rest = &data[at..];
            let WsFraming::Frame(h) = websocket::frame_header(rest) else {
                return false;
            };
            let end = h.header_len as u64 + h.payload_len;
            if !self.plausible(&h, rest, max_message) || end > rest.len() as u64 {
                return false;
            }
            let after = &rest[end as usize..];
            match websocket::frame_header(after) {
                _ if after.is_empty() => true,
                WsFraming::Frame(next) => self.plausible(&next, after, max_message),
                WsFraming::NeedMore => true,
                WsFraming::Invalid(_) => false,
            }
        })
    }

    /// After lost bytes, a frame header is believed only if it looks like
    /// this direction's frames (a data or close frame, masked as before,
    /// within the bound) and a data frame's first byte, unmasked, can
    /// start a SIP message. Bytes from the middle of a frame rarely pass
    /// all of these; one that does is found out at the next header.
    fn plausible(&self, h: &websocket::WsFrameHeader, rest: &[u8], max_message: usize) -> bool {
        let first = rest.get(h.header_len).map(|b| match h.mask {
            Some(key) => b ^ key[0],
            None => *b,
        });
        matches!(h.opcode, opcode::TEXT | opcode::BINARY | opcode::CLOSE)
            && self.masked.is_none_or(|m| m == h.mask.is_some())
            && h.payload_len <= max_message as u64
            && (h.opcode == opcode::CLOSE
                || first.is_none_or(|b| b.is_ascii_uppercase() || b == b'\r' || b == b'\n'))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, FrameBatch};
    use crate::net::{self, L4};
    use proptest::prelude::*;

    /// The TCP payloads of samples/sip-ws.pcap, segment by segment, client
    /// to server (`true`) or back. The capture has no loss or reordering.
    fn sample_segments() -> Vec<(bool, Vec<u8>)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/sip-ws.pcap");
        let mut r = CaptureReader::open(path).unwrap();
        let mut batch = FrameBatch::new();
        let mut out = Vec::new();
        while r.next_batch(&mut batch).unwrap() > 0 {
            for raw in batch.iter() {
                if let L4::Tcp(seg) = net::dissect(raw.link_type, raw.data).l4 {
                    if !seg.payload.is_empty() {
                        out.push((seg.dst_port == 8080, seg.payload.to_vec()));
                    }
                }
            }
        }
        out
    }

    fn first_lines(messages: &[Vec<u8>]) -> Vec<String> {
        messages
            .iter()
            .map(|m| {
                let line = m.split(|b| *b == b'\r').next().unwrap();
                String::from_utf8_lossy(line).into_owned()
            })
            .collect()
    }

    /// Pushes one direction's bytes in pieces of `chunk` bytes.
    fn frame_in_chunks(bytes: &[u8], chunk: usize) -> (Vec<Vec<u8>>, StreamKind) {
        let mut framer = StreamFramer::new(StreamLimits::default());
        let mut out = Vec::new();
        let mut kind = StreamKind::Unknown;
        for piece in bytes.chunks(chunk) {
            kind = framer.push(1, 0, piece, 0, &mut out);
        }
        (out, kind)
    }

    // The messages tshark shows on the connection (-Y sip), with the
    // INVITE it leaves in four fragments (frames 24 to 29) joined.
    const CLIENT_MESSAGES: [&str; 7] = [
        "REGISTER sip:callscope.test SIP/2.0",
        "REGISTER sip:callscope.test SIP/2.0",
        "INVITE sip:carol@callscope.test SIP/2.0",
        "ACK sip:carol@callscope.test SIP/2.0",
        "INVITE sip:bob@callscope.test SIP/2.0",
        "ACK sip:bob@10.201.2.3:5060;transport=UDP SIP/2.0",
        "BYE sip:bob@10.201.2.3:5060;transport=UDP SIP/2.0",
    ];
    const SERVER_MESSAGES: [&str; 9] = [
        "SIP/2.0 401 Unauthorized",
        "SIP/2.0 403 Forbidden",
        "SIP/2.0 100 trying -- your call is important to us",
        "SIP/2.0 180 Ringing",
        "SIP/2.0 603 Decline",
        "SIP/2.0 100 trying -- your call is important to us",
        "SIP/2.0 180 Ringing",
        "SIP/2.0 200 OK",
        "SIP/2.0 200 OK",
    ];

    #[test]
    fn sip_over_websocket_in_any_cut_of_the_stream() {
        let segments = sample_segments();
        for (client, expected) in [(true, &CLIENT_MESSAGES[..]), (false, &SERVER_MESSAGES[..])] {
            let bytes: Vec<u8> = segments
                .iter()
                .filter(|(c, _)| *c == client)
                .flat_map(|(_, p)| p.iter().copied())
                .collect();
            for chunk in [1, 2, 3, 7, 64, 100, 333, 536, bytes.len()] {
                let (out, kind) = frame_in_chunks(&bytes, chunk);
                assert_eq!(kind, StreamKind::WebSocket, "chunk {chunk}");
                assert_eq!(
                    first_lines(&out),
                    expected,
                    "client {client}, chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn after_lost_bytes_framing_resumes_at_the_next_frame() {
        // Segment 10 of the capture (the first 524 bytes of the second
        // REGISTER's frame) lost: its last 33 bytes (frame 11) are not a
        // frame, and are dropped; the INVITE after them is read.
        let client: Vec<Vec<u8>> = sample_segments()
            .into_iter()
            .filter(|(c, _)| *c)
            .map(|(_, p)| p)
            .collect();
        assert_eq!(client[2].len(), 524);
        assert_eq!(client[3].len(), 33);
        let mut framer = StreamFramer::new(StreamLimits::default());
        let mut out = Vec::new();
        for (i, seg) in client.iter().enumerate() {
            match i {
                2 => continue,
                3 => framer.push(1, 0, seg, 524, &mut out),
                _ => framer.push(1, 0, seg, 0, &mut out),
            };
        }
        let mut expected = CLIENT_MESSAGES.to_vec();
        expected.remove(1);
        assert_eq!(first_lines(&out), expected);
        let stats = framer.stats();
        assert_eq!((stats.bytes_dropped, stats.resyncs), (33, 2));
    }

    #[test]
    fn a_websocket_for_another_protocol_is_not_read() {
        let upgrade = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
        let mut bytes = upgrade.to_vec();
        // A text frame, unmasked for brevity, holding a SIP request line.
        bytes.extend_from_slice(&[0x81, 0x1a]);
        bytes.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"[..26].as_ref());
        let (out, kind) = frame_in_chunks(&bytes, bytes.len());
        assert_eq!((out.len(), kind), (0, StreamKind::Other));
    }

    proptest! {
        /// The real upgrade and frames, cut anywhere, with bytes changed:
        /// no panic, and nothing buffered beyond the bound.
        #[test]
        fn mutated_websocket_streams_stay_bounded(
            chunk in 1usize..700,
            changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            gap_at in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes: Vec<u8> = sample_segments()
                .into_iter()
                .filter(|(c, _)| *c)
                .flat_map(|(_, p)| p)
                .collect();
            for (i, b) in changes {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            let limits = StreamLimits { max_message: 2048, max_streams: 4 };
            let mut framer = StreamFramer::new(limits);
            let mut out = Vec::new();
            let gap = gap_at.map(|g| g.index(bytes.len() / chunk + 1));
            for (i, piece) in bytes.chunks(chunk).enumerate() {
                framer.push(1, 0, piece, u32::from(gap == Some(i)), &mut out);
                let st = &framer.streams[&(1, 0)];
                prop_assert!(st.buf.len() <= limits.max_message);
                prop_assert!(st.ws.as_ref().is_none_or(|w| w.message.len() <= limits.max_message));
            }
            prop_assert!(out.iter().all(|m| m.len() <= limits.max_message));
        }
    }
}
