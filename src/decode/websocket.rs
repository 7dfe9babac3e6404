//! WebSocket (RFC 6455) as SIP uses it (RFC 7118): the HTTP upgrade that
//! opens a connection, and the frame header that follows. Pure functions
//! over bytes; the stream framer (`pipeline::stream`) keeps the state of a
//! connection, unmasks and joins fragments.
//!
//! The HTTP header is read by `httparse`. The frame header is read here:
//! it is 2 to 14 bytes (s5.2), and the WebSocket crates read it only
//! inside their own connection types, which want to own a socket and
//! bring a random generator and an HTTP stack with them.

/// A frame's opcode (RFC 6455 s5.2, s11.8).
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// The most header fields an upgrade is read with; browsers send about 15.
const MAX_HTTP_HEADERS: usize = 64;

/// A frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsFrameHeader {
    pub fin: bool,
    pub opcode: u8,
    /// The key that masks the payload: every frame from a client has one
    /// (s5.3), no frame from a server does.
    pub mask: Option<[u8; 4]>,
    /// Bytes of the header, and of the payload after it.
    pub header_len: usize,
    pub payload_len: u64,
}

impl WsFrameHeader {
    /// A control frame (close, ping, pong) never carries a SIP message.
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// What the start of a buffer says about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsFraming {
    Frame(WsFrameHeader),
    /// The header is not complete yet.
    NeedMore,
    /// Not a frame header: reserved bits set (no extension is negotiated
    /// for SIP), an unknown opcode, a fragmented or oversized control
    /// frame, or a length with its top bit set (s5.2).
    Invalid(&'static str),
}

/// Reads the frame header at the start of `buf` (RFC 6455 s5.2).
pub fn frame_header(buf: &[u8]) -> WsFraming {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return WsFraming::NeedMore;
    };
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if b0 & 0x70 != 0 {
        return WsFraming::Invalid("reserved bits set");
    }
    if !matches!(opcode, 0x0..=0x2 | 0x8..=0xA) {
        return WsFraming::Invalid("unknown opcode");
    }
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut header_len) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return WsFraming::NeedMore,
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                let n = u64::from_be_bytes(a);
                if n >> 63 != 0 {
                    return WsFraming::Invalid("length with its top bit set");
                }
                (n, 10)
            }
            None => return WsFraming::NeedMore,
        },
        n => (u64::from(n), 2),
    };
    // s5.5: control frames are short and never fragmented.
    if opcode & 0x8 != 0 && (!fin || payload_len > 125) {
        return WsFraming::Invalid("fragmented or long control frame");
    }
    let mask = if masked {
        match buf.get(header_len..header_len + 4) {
            Some(k) => {
                header_len += 4;
                Some([k[0], k[1], k[2], k[3]])
            }
            None => return WsFraming::NeedMore,
        }
    } else {
        None
    };
    WsFraming::Frame(WsFrameHeader {
        fin,
        opcode,
        mask,
        header_len,
        payload_len,
    })
}

/// Unmasks (or masks: the same XOR, s5.3) `data`, which starts `offset`
/// bytes into its frame's payload.
pub fn unmask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

/// An HTTP request or response that opens a WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUpgrade {
    /// The request (client to server), or the response.
    pub request: bool,
    /// The response's status (101 when the server switched protocols).
    pub status: Option<u16>,
    /// `Upgrade: websocket` is present.
    pub websocket: bool,
    /// `Sec-WebSocket-Protocol` names `sip` (RFC 7118 s4.1).
    pub sip: bool,
    /// Bytes of the HTTP header, up to and including the empty line.
    pub len: usize,
}

/// What the start of a stream says about an HTTP upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpgradeParse {
    Upgrade(WsUpgrade),
    NeedMore,
    NotHttp,
}

/// Whether `buf` starts like an HTTP request or response (a few bytes may
/// be enough to tell it is not).
pub fn could_be_http(buf: &[u8]) -> bool {
    let n = buf.len().min(5);
    buf[..n] == b"GET /"[..n] || buf[..n] == b"HTTP/"[..n]
}

/// Reads the HTTP header at the start of a stream, a request if it starts
/// with `GET`, else a response.
pub fn upgrade(buf: &[u8]) -> UpgradeParse {
    if !could_be_http(buf) {
        return UpgradeParse::NotHttp;
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HTTP_HEADERS];
    let request = buf.first() == Some(&b'G');
    let (parsed, status) = if request {
        let mut req = httparse::Request::new(&mut headers);
        (req.parse(buf), None)
    } else {
        let mut resp = httparse::Response::new(&mut headers);
        let r = resp.parse(buf);
        (r, resp.code)
    };
    let len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return UpgradeParse::NeedMore,
        Err(_) => return UpgradeParse::NotHttp,
    };
    let has_token = |name: &str, token: &str| {
        headers
            .iter()
            .take_while(|h| !h.name.is_empty())
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| h.value.split(|b| *b == b','))
            .any(|v| v.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    };
    UpgradeParse::Upgrade(WsUpgrade {
        request,
        status,
        websocket: has_token("upgrade", "websocket"),
        sip: has_token("sec-websocket-protocol", "sip"),
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Headers of samples/sip-ws.pcap (kamailio and Python's websockets),
    // as tshark reads them: frame 8 (client REGISTER, masked text, 357
    // bytes), 13 (server 403, text, 327 bytes), 24 and 29 (the first and
    // last fragment of an INVITE), 344 (server close, 16 bytes).
    #[test]
    fn headers_from_the_sample() {
        let frame = |fin, opcode, mask, header_len, payload_len| {
            WsFraming::Frame(WsFrameHeader {
                fin,
                opcode,
                mask,
                header_len,
                payload_len,
            })
        };
        let key8 = Some([0xc4, 0xcc, 0xa4, 0xa1]);
        assert_eq!(
            frame_header(&[0x81, 0xfe, 0x01, 0x65, 0xc4, 0xcc, 0xa4, 0xa1, 0x96]),
            frame(true, opcode::TEXT, key8, 8, 357)
        );
        assert_eq!(
            frame_header(&[0x81, 0x7e, 0x01, 0x47, 0x53]),
            frame(true, opcode::TEXT, None, 4, 327)
        );
        assert_eq!(
            frame_header(&[0x01, 0xfe, 0x00, 0xb8, 0x97, 0x9b, 0x1b, 0xb2]),
            frame(false, opcode::TEXT, Some([0x97, 0x9b, 0x1b, 0xb2]), 8, 184)
        );
        assert_eq!(
            frame_header(&[0x80, 0x80, 0x7a, 0xc5, 0x7b, 0x58]),
            frame(
                true,
                opcode::CONTINUATION,
                Some([0x7a, 0xc5, 0x7b, 0x58]),
                6,
                0
            )
        );
        let close = frame(true, opcode::CLOSE, None, 2, 16);
        assert_eq!(frame_header(&[0x88, 0x10, 0x03, 0xe8]), close);
        let WsFraming::Frame(h) = close else {
            unreachable!()
        };
        assert!(h.is_control());
        assert_eq!(frame_header(&[0x81, 0xfe, 0x01]), WsFraming::NeedMore);
        assert_eq!(
            frame_header(&[0x81, 0xfe, 0x01, 0x65, 0xc4]),
            WsFraming::NeedMore
        );
    }

    #[test]
    fn what_is_not_a_frame() {
        assert!(matches!(frame_header(&[0xc1, 0x05]), WsFraming::Invalid(_)));
        assert!(matches!(frame_header(&[0x83, 0x05]), WsFraming::Invalid(_)));
        assert!(matches!(frame_header(&[0x09, 0x05]), WsFraming::Invalid(_)));
        assert!(matches!(
            frame_header(&[0x89, 0x7e, 0, 200]),
            WsFraming::Invalid(_)
        ));
        let mut huge = vec![0x82, 0x7f];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(frame_header(&huge), WsFraming::Invalid(_)));
    }

    #[test]
    fn masking_twice_gives_the_bytes_back() {
        let key = [1, 2, 3, 4];
        let mut data = *b"INVITE sip:bob";
        let (a, b) = data.split_at_mut(5);
        unmask(a, key, 0);
        unmask(b, key, 5);
        unmask(&mut data, key, 0);
        assert_eq!(&data, b"INVITE sip:bob");
    }

    #[test]
    fn an_upgrade_to_sip() {
        let req = b"GET / HTTP/1.1\r\nHost: 10.201.1.2:8080\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Protocol: sip\r\n\r\n\x81";
        let UpgradeParse::Upgrade(u) = upgrade(req) else {
            panic!("not read")
        };
        assert!(u.request && u.websocket && u.sip);
        assert_eq!(u.len, req.len() - 1);
        let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n\
Connection: upgrade\r\nSec-WebSocket-Protocol: chat, SIP\r\n\r\n";
        let UpgradeParse::Upgrade(u) = upgrade(resp) else {
            panic!("not read")
        };
        assert_eq!(
            (u.request, u.status, u.websocket, u.sip),
            (false, Some(101), true, true)
        );
        assert_eq!(upgrade(&resp[..40]), UpgradeParse::NeedMore);
        assert_eq!(
            upgrade(b"INVITE sip:bob SIP/2.0\r\n"),
            UpgradeParse::NotHttp
        );
        let plain = b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
        let UpgradeParse::Upgrade(u) = upgrade(plain) else {
            panic!("not read")
        };
        assert!(!u.websocket && !u.sip);
    }
}
