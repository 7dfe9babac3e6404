//! SDP session descriptions (RFC 8866) as carried in SIP bodies, with the
//! ICE (RFC 8839) and DTLS-SRTP (RFC 8842, RFC 5763) attributes that callscope
//! needs to tie a signalled call to the STUN, DTLS and RTP flows it set up.
//!
//! The output is owned: the analyzer keeps a call's SDP long after the packet
//! buffer that carried it is gone.
//!
//! # Why a pre-pass in front of `sdp-types`
//!
//! `sdp-types` reads the RFC 8866 grammar well and already accepts what real
//! devices send in practice (LF-only line ends, a missing `t=`, `o=` or `s=`,
//! unknown line types, attributes in any order). But one bad line fails the
//! whole description: in the Wireshark fuzz capture shipped with nDPI
//! (`fuzz-2006-06-26-2594.pcap`, frames 325 and 548) a single corrupted byte in
//! one line made it reject SDPs whose media lines were intact. callscope must
//! still find the media endpoints of such a call, and count the damage, so
//! [`parse_sdp`] first drops lines that cannot be SDP at all (no `x=` shape,
//! embedded NUL or CR, junk before `v=`), then lets `sdp-types` parse the
//! rest; when it still rejects a line (a bad `c=`, a duplicate `o=`, an `m=`
//! line without formats...) that line is dropped and parsing is retried, a
//! bounded number of times. Every dropped line is counted in
//! [`SessionDescription::malformed_lines`].

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::str::FromStr;

/// Bounds on what one description may cost us. Real SDP is a few KiB; a
/// 64 KiB body (the largest SIP-over-TCP body seen in the public captures)
/// still fits.
const MAX_SDP_LEN: usize = 256 * 1024;
/// How many times a line rejected by `sdp-types` is dropped and the parse
/// retried before giving up on the description.
const MAX_RETRIES: usize = 32;

/// Why an SDP body could not be read at all. Damage to single lines is not an
/// error: it is counted in [`SessionDescription::malformed_lines`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// RFC 8866 s5.1: every description starts with `v=`; this body has none.
    #[error("no v= line: not an SDP body")]
    NoVersion,
    #[error("SDP body of {0} bytes is larger than the {MAX_SDP_LEN} bytes allowed")]
    TooLarge(usize),
    #[error("SDP body has too many malformed lines to be read")]
    TooManyMalformed,
}

/// Media direction attributes (RFC 8866 s6.7, RFC 3264 s5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

impl From<sdp_types::Direction> for Direction {
    fn from(d: sdp_types::Direction) -> Self {
        match d {
            sdp_types::Direction::SendRecv => Direction::SendRecv,
            sdp_types::Direction::SendOnly => Direction::SendOnly,
            sdp_types::Direction::RecvOnly => Direction::RecvOnly,
            sdp_types::Direction::Inactive => Direction::Inactive,
        }
    }
}

/// `a=fingerprint` (RFC 8122 s5): the hash of the certificate the peer will
/// present in the DTLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash function, lowercase, e.g. "sha-256".
    pub hash: String,
    /// Uppercase hex bytes joined by ':', e.g. "AB:CD:...".
    pub value: String,
}

/// `a=rtpmap` (RFC 8866 s6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

/// `a=candidate` (RFC 8839 s5.1; `tcptype` from RFC 6544 s4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidate {
    pub foundation: String,
    pub component: u16,
    /// As written: "udp", "UDP", "tcp".
    pub transport: String,
    pub priority: u32,
    /// An IP address or, for browsers hiding local addresses, an mDNS name.
    pub address: String,
    pub port: u16,
    /// "host", "srflx", "prflx" or "relay".
    pub typ: String,
    pub related_address: Option<String>,
    pub related_port: Option<u16>,
    pub tcptype: Option<String>,
}

/// One `m=` section with the attributes callscope uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// "audio", "video", "application", "image"...
    pub kind: String,
    /// 0 means the stream is rejected or disabled (RFC 3264 s6).
    pub port: u16,
    pub proto: String,
    pub formats: Vec<String>,
    /// This section's own `c=` (the first one when several are given).
    pub connection: Option<IpAddr>,
    pub rtpmaps: Vec<RtpMap>,
    pub direction: Option<Direction>,
    pub ice_ufrag: Option<String>,
    pub ice_pwd: Option<String>,
    pub candidates: Vec<IceCandidate>,
    pub fingerprint: Option<Fingerprint>,
    pub setup: Option<String>,
    pub rtcp_mux: bool,
    /// `a=rtcp` (RFC 3605).
    pub rtcp_port: Option<u16>,
    pub mid: Option<String>,
}

/// A session description: session-level values plus one entry per `m=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` value, fields separated by single spaces.
    pub origin: Option<String>,
    pub session_name: Option<String>,
    /// Session-level `c=` address (the `/ttl` suffix dropped).
    pub connection: Option<IpAddr>,
    pub ice_ufrag: Option<String>,
    pub ice_pwd: Option<String>,
    pub ice_lite: bool,
    /// The first `a=fingerprint` when several are offered (RFC 8122 s5).
    pub fingerprint: Option<Fingerprint>,
    pub setup: Option<String>,
    pub direction: Option<Direction>,
    pub media: Vec<MediaDescription>,
    /// Lines dropped or attributes ignored because they could not be read.
    pub malformed_lines: u32,
}

/// Parses an SDP body; tolerant of damaged lines (see the module docs).
pub fn parse_sdp(body: &[u8]) -> Result<SessionDescription, SdpError> {
    if body.len() > MAX_SDP_LEN {
        return Err(SdpError::TooLarge(body.len()));
    }
    let (mut lines, mut malformed) = prepass(body)?;

    let mut retries = 0;
    let session = loop {
        let text = lines.join("\n");
        match sdp_types::Session::parse(text.as_bytes()) {
            Ok(session) => break session,
            Err(e) => {
                let bad = error_line(&e)
                    .and_then(|n| n.checked_sub(1))
                    .filter(|&i| i > 0 && i < lines.len())
                    .ok_or(SdpError::TooManyMalformed)?;
                retries += 1;
                if retries > MAX_RETRIES {
                    return Err(SdpError::TooManyMalformed);
                }
                // A rejected m= line takes its whole section with it: its
                // attributes must not be credited to the previous stream.
                let end = if lines.get(bad).is_some_and(|l| l.starts_with("m=")) {
                    lines
                        .iter()
                        .skip(bad + 1)
                        .position(|l| l.starts_with("m="))
                        .map_or(lines.len(), |p| bad + 1 + p)
                } else {
                    bad + 1
                };
                malformed = malformed.saturating_add(count_u32(end - bad));
                lines.drain(bad..end);
            }
        }
    };

    // `sdp-types` fills in placeholders for a missing o= or s=; report them
    // as absent instead.
    let session_part = lines.iter().take_while(|l| !l.starts_with("m="));
    let (mut has_o, mut has_s) = (false, false);
    for l in session_part {
        has_o |= l.starts_with("o=");
        has_s |= l.starts_with("s=");
    }

    let mut sd = SessionDescription {
        origin: has_o.then(|| render_origin(&session.origin)),
        session_name: has_s.then(|| session.session_name.trim().to_string()),
        connection: session
            .connection
            .as_ref()
            .and_then(|c| connection_ip(&c.connection_address)),
        ice_ufrag: None,
        ice_pwd: None,
        ice_lite: false,
        fingerprint: None,
        setup: None,
        direction: None,
        media: Vec::with_capacity(session.medias.len()),
        malformed_lines: malformed,
    };

    for attr in &session.attributes {
        let (name, value) = attr_parts(attr);
        match name {
            n if n.eq_ignore_ascii_case("ice-lite") => sd.ice_lite = true,
            n if n.eq_ignore_ascii_case("ice-ufrag") => set_once(&mut sd.ice_ufrag, value),
            n if n.eq_ignore_ascii_case("ice-pwd") => set_once(&mut sd.ice_pwd, value),
            n if n.eq_ignore_ascii_case("setup") => set_once(&mut sd.setup, value),
            n if n.eq_ignore_ascii_case("fingerprint") => match parse_fingerprint(value) {
                Some(fp) => {
                    if sd.fingerprint.is_none() {
                        sd.fingerprint = Some(fp);
                    }
                }
                None => sd.malformed_lines += 1,
            },
            n => {
                if let Some(d) = direction(n) {
                    sd.direction = Some(d);
                }
            }
        }
    }

    for m in &session.medias {
        let (media, bad) = media_description(m);
        sd.malformed_lines = sd.malformed_lines.saturating_add(bad);
        sd.media.push(media);
    }
    Ok(sd)
}

impl SessionDescription {
    /// Effective (address, port) per media section: the section's `c=`, else
    /// the session's (RFC 8866 s5.7). Sections with port 0 (rejected, RFC 3264
    /// s6) or without any usable IP address are left out.
    pub fn media_endpoints(&self) -> Vec<(IpAddr, u16, &MediaDescription)> {
        self.media
            .iter()
            .filter(|m| m.port != 0)
            .filter_map(|m| m.connection.or(self.connection).map(|ip| (ip, m.port, m)))
            .collect()
    }

    /// True when the description offers ICE (credentials or candidates).
    pub fn has_ice(&self) -> bool {
        self.ice_ufrag.is_some()
            || self
                .media
                .iter()
                .any(|m| m.ice_ufrag.is_some() || !m.candidates.is_empty())
    }

    /// The ICE username fragment of a media section, falling back to the
    /// session-level one (RFC 8839 s5.4).
    pub fn ice_ufrag_for<'s>(&'s self, media: &'s MediaDescription) -> Option<&'s str> {
        media.ice_ufrag.as_deref().or(self.ice_ufrag.as_deref())
    }

    /// The DTLS fingerprint of a media section, falling back to the
    /// session-level one (RFC 8122 s5).
    pub fn fingerprint_for<'s>(&'s self, media: &'s MediaDescription) -> Option<&'s Fingerprint> {
        media.fingerprint.as_ref().or(self.fingerprint.as_ref())
    }
}

/// Splits the body into lines, drops what cannot be an SDP line at all and
/// returns the rest (starting with `v=0`) with the number dropped.
fn prepass(body: &[u8]) -> Result<(Vec<Cow<'_, str>>, u32), SdpError> {
    let mut lines: Vec<Cow<'_, str>> = Vec::new();
    let mut malformed = 0u32;
    let mut seen_version = false;
    let mut in_media = false;
    let mut seen_once: Vec<u8> = Vec::new();
    for raw in body.split(|&b| b == b'\n') {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = raw.trim_ascii();
        if line.is_empty() {
            continue;
        }
        // RFC 8866 s5: `<type>=<value>`, type one letter; NUL and CR are not
        // allowed in a value (a lone CR is how a damaged line end shows up).
        let shaped = matches!(line, [k, b'=', ..] if k.is_ascii_alphabetic())
            && !line.iter().any(|&b| b == 0 || b == b'\r');
        if !shaped {
            malformed = malformed.saturating_add(1);
            continue;
        }
        if !seen_version {
            if line.first() != Some(&b'v') {
                // Junk before the version line.
                malformed = malformed.saturating_add(1);
                continue;
            }
            seen_version = true;
            if line != b"v=0" {
                malformed = malformed.saturating_add(1);
            }
            lines.push(Cow::Borrowed("v=0"));
            continue;
        }
        // RFC 8866 s9 allows some lines once per section; `sdp-types` fails
        // the whole description on a repeat, so later copies are dropped
        // here (cheaper than a retry each).
        let key = line.first().copied().unwrap_or(b'm');
        if key == b'm' {
            in_media = true;
            seen_once.clear();
        } else {
            let once: &[u8] = if in_media { b"ik" } else { b"osiuczk" };
            if once.contains(&key) {
                if seen_once.contains(&key) {
                    malformed = malformed.saturating_add(1);
                    continue;
                }
                seen_once.push(key);
            }
        }
        // Bytes outside UTF-8 (a Latin-1 session name) are replaced, not
        // counted: the line is still readable.
        lines.push(String::from_utf8_lossy(line));
    }
    if !seen_version {
        return Err(SdpError::NoVersion);
    }
    Ok((lines, malformed))
}

/// The 1-based line number an `sdp-types` error points at.
fn error_line(e: &sdp_types::ParserError) -> Option<usize> {
    use sdp_types::ParserError as E;
    #[allow(deprecated)]
    match *e {
        E::UnexpectedLine(n, _)
        | E::InvalidLineFormat(n, _)
        | E::InvalidFieldEncoding(n, _)
        | E::InvalidFieldFormat(n, _)
        | E::MissingField(n, _)
        | E::FieldTrailingData(n, _)
        | E::InvalidVersion(n, _)
        | E::MultipleVersions(n)
        | E::MultipleOrigins(n)
        | E::MultipleSessionNames(n)
        | E::MultipleSessionDescription(n)
        | E::MultipleUris(n)
        | E::MultipleConnections(n)
        | E::MultipleTimeZones(n)
        | E::MultipleMediaTitles(n)
        | E::MultipleKeys(n)
        | E::RepeatWithoutTime(n) => Some(n),
        _ => None,
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn render_origin(o: &sdp_types::Origin) -> String {
    format!(
        "{} {} {} {} {} {}",
        o.username.as_deref().unwrap_or("-"),
        o.sess_id,
        o.sess_version,
        o.nettype,
        o.addrtype,
        o.unicast_address
    )
}

/// The IP of a `c=` connection address; RFC 8866 s5.7 allows `/ttl` and
/// `/count` suffixes for multicast, and FQDNs, which yield `None`.
fn connection_ip(address: &str) -> Option<IpAddr> {
    address.split('/').next()?.trim().parse().ok()
}

fn attr_parts(a: &sdp_types::Attribute) -> (&str, &str) {
    (a.attribute.trim(), a.value.as_deref().unwrap_or("").trim())
}

fn set_once(slot: &mut Option<String>, value: &str) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.to_string());
    }
}

fn direction(name: &str) -> Option<Direction> {
    sdp_types::Direction::from_str(name)
        .ok()
        .map(Direction::from)
}

/// Builds one media section; returns it with the number of attributes that
/// could not be read.
fn media_description(m: &sdp_types::Media) -> (MediaDescription, u32) {
    let mut bad = 0u32;
    let mut md = MediaDescription {
        kind: m.media.clone(),
        port: m.port,
        proto: m.proto.clone(),
        formats: m.fmt.split_ascii_whitespace().map(str::to_string).collect(),
        connection: m
            .connections
            .first()
            .and_then(|c| connection_ip(&c.connection_address)),
        rtpmaps: Vec::new(),
        direction: None,
        ice_ufrag: None,
        ice_pwd: None,
        candidates: Vec::new(),
        fingerprint: None,
        setup: None,
        rtcp_mux: false,
        rtcp_port: None,
        mid: None,
    };
    for attr in &m.attributes {
        let (name, value) = attr_parts(attr);
        let lower = name.to_ascii_lowercase();
        let ok = match lower.as_str() {
            "rtpmap" => parse_rtpmap(value).map(|r| md.rtpmaps.push(r)).is_some(),
            "candidate" => parse_candidate(value)
                .map(|c| md.candidates.push(c))
                .is_some(),
            "fingerprint" => parse_fingerprint(value)
                .map(|fp| {
                    if md.fingerprint.is_none() {
                        md.fingerprint = Some(fp);
                    }
                })
                .is_some(),
            "ice-ufrag" => {
                set_once(&mut md.ice_ufrag, value);
                true
            }
            "ice-pwd" => {
                set_once(&mut md.ice_pwd, value);
                true
            }
            "setup" => {
                set_once(&mut md.setup, value);
                true
            }
            "mid" => {
                set_once(&mut md.mid, value);
                true
            }
            "rtcp-mux" => {
                md.rtcp_mux = true;
                true
            }
            "rtcp" => sdp_types::Rtcp::from_str(value)
                .map(|r| md.rtcp_port = Some(r.port))
                .is_ok(),
            _ => {
                if let Some(d) = direction(&lower) {
                    md.direction = Some(d);
                }
                true
            }
        };
        if !ok {
            bad = bad.saturating_add(1);
        }
    }
    (md, bad)
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding params>]`
/// (RFC 8866 s6.6); for audio the parameter is the channel count.
fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    // Runs of spaces between payload type and encoding are seen in the wild;
    // `sdp-types` wants exactly one.
    let (pt, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    let normalized = format!("{} {}", pt, rest.trim());
    let r = sdp_types::RtpMap::from_str(&normalized).ok()?;
    Some(RtpMap {
        payload_type: r.payload_type,
        encoding: r.encoding_name,
        clock_rate: r.clock_rate,
        channels: r.encoding_params.and_then(|p| p.trim().parse().ok()),
    })
}

/// `a=fingerprint:<hash-func> <XX:XX:...>` (RFC 8122 s5). The value is
/// re-rendered in uppercase so it compares equal to a hash computed from the
/// DTLS certificate.
fn parse_fingerprint(value: &str) -> Option<Fingerprint> {
    let fp = sdp_types::Fingerprint::from_str(value).ok()?;
    if fp.fingerprint.is_empty() {
        return None;
    }
    let mut hex = String::with_capacity(fp.fingerprint.len() * 3);
    for (i, b) in fp.fingerprint.iter().enumerate() {
        if i > 0 {
            hex.push(':');
        }
        let _ = write!(hex, "{b:02X}");
    }
    Some(Fingerprint {
        hash: fp.hash_func.as_str().to_ascii_lowercase(),
        value: hex,
    })
}

/// `a=candidate` per RFC 8839 s5.1:
/// `foundation component transport priority address port typ <type>
///  [raddr <addr>] [rport <port>] *(<ext name> <ext value>)`.
///
/// Our own reader rather than `sdp_types::Candidate`: that one insists that
/// `raddr` is an IP address, but RFC 8839 allows any connection-address there
/// and browsers hiding local addresses put mDNS names in both places; it also
/// rejects runs of spaces. `tcptype` (RFC 6544 s4.5) is an extension pair.
fn parse_candidate(value: &str) -> Option<IceCandidate> {
    let mut it = value.split_ascii_whitespace();
    let foundation = it.next()?.to_string();
    let component = it.next()?.parse().ok()?;
    let transport = it.next()?.to_string();
    let priority = it.next()?.parse().ok()?;
    let address = it.next()?.to_string();
    let port = it.next()?.parse().ok()?;
    if !it.next()?.eq_ignore_ascii_case("typ") {
        return None;
    }
    let typ = it.next()?.to_string();
    let mut c = IceCandidate {
        foundation,
        component,
        transport,
        priority,
        address,
        port,
        typ,
        related_address: None,
        related_port: None,
        tcptype: None,
    };
    // Extensions come in name/value pairs; a dangling name is ignored.
    while let (Some(name), Some(val)) = (it.next(), it.next()) {
        if name.eq_ignore_ascii_case("raddr") {
            c.related_address = Some(val.to_string());
        } else if name.eq_ignore_ascii_case("rport") {
            c.related_port = Some(val.parse().ok()?);
        } else if name.eq_ignore_ascii_case("tcptype") {
            c.tcptype = Some(val.to_string());
        }
    }
    Some(c)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    // SDP bodies cut from captures (file and frame on each constant) or
    // printed by real software; expected values checked against `tshark -V`
    // on the same frames where tshark reads them (it stops at a short
    // Content-Length and on fuzzed lines, we do not).

    /// suricata-verify/sip-sdp__sdp.pcap frame 2 (200 OK), the bytes after the SIP headers: two audio streams, session- and media-level i=, c=, k= lines.
    pub(crate) const TWO_AUDIO: &[u8] = b"v=0\r\n\
o=SIPPS 105015165 105015162 IN IP4 192.168.1.2\r\n\
s=SIP call\r\n\
i=Session Description Protocol\r\n\
u=https://www.sdp.proto\r\n\
e=j.doe@example.com (Jane Doe)\r\n\
p=+1 617 555-6011 (Jane Doe)\r\n\
c=IN IP4 192.168.1.2\r\n\
b=AS:64\r\n\
t=3034423619 3042462419\r\n\
r=604800 3600 0 90000\r\n\
z=2882844526 -1h 2898848070 0\r\n\
k=prompt\r\n\
a=sendrecv\r\n\
m=audio 30000 RTP/AVP 0 8 97 2 3\r\n\
i=media info\r\n\
c=IN IP4 192.168.1.2\r\n\
k=prompt\r\n\
a=rtpmap:0 pcmu/8000\r\n\
m=audio 20000 RTP/AVP 0 8 97 2 3\r\n\
a=rtpmap:0 pcmu/8000\r\n";

    /// nDPI/fuzz-2006-06-26-2594.pcap frame 548 (Wireshark fuzz test): a NUL inside o=, a corrupted byte in the first rtpmap, media type `auDio`.
    const FUZZ_548: &[u8] = b"v=0\r\n\
o=SIPPS 24466422 24%s\x00418 IN IP4 192.168.1.2\r\n\
s=SIP call\r\n\
c=IN IP4 192.168.1.2\r\n\
t=0 0\r\n\
m=auDio 30080 RTP/AVP 0 8 97 2 3\r\n\
a=rtpmap:0 pcmu/8\xb000\r\n\
a=rtpmap:8 pcma/8000\r\n\
a=rtpmap:97 iLBC/8000\r\n\
a=rtpmap:2 G726-32/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=fmtp:97 mode=20\r\n\
a=sendrecv\r\n";

    /// nDPI/fuzz-2006-06-26-2594.pcap frame 325: a NUL inside c= and a non-numeric m= port.
    pub(crate) const FUZZ_325: &[u8] = b"v=0\r\n\
o=SIPPS 85214742 85214739 IN IP4 192.168.1.2\r\n\
s=SIP call\r\n\
c=IN IP4 192&168%s\x002\r\n\
t=0 0\r\n\
m=audio 3000E RTP/AVP 0 8 97 2 3\r\n\
a=rtpmap:0 pcmu/800|\r\n\
a=rtpmap:8 pcma/8000\r\n\
a=rtpma\x9d:97 iLBC/\xd800s\r\n\
a=rtpmap:2 G726-d2/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=fmtp:97 mode=20\r\n\
a=sendrecv\r\n";

    /// aiortc 1.16.0 offer with one audio transceiver and a TURN server on loopback (coturn), printed from `pc.localDescription.sdp`: host, relay and srflx candidates, three fingerprints.
    pub(crate) const AIORTC_OFFER: &[u8] = b"v=0\r\n\
o=- 4004261970 4004261970 IN IP4 0.0.0.0\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic:WMS *\r\n\
m=audio 41259 UDP/TLS/RTP/SAVPF 96 9 0 8\r\n\
c=IN IP4 192.0.2.2\r\n\
a=sendrecv\r\n\
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
a=mid:0\r\n\
a=msid:2342304c-a23d-465d-8690-3f87081b08aa c4b5f86d-d9a5-4a54-9433-6b7edc05f059\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=rtcp-mux\r\n\
a=ssrc:1360453885 cname:6e27bd4b-eef3-4886-98b5-a6a161fc7d33\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 41259 typ host\r\n\
a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 51537 typ host\r\n\
a=candidate:16893dfba04efb4b632c146cfc811f40 1 udp 16777215 127.0.0.1 49190 typ relay raddr 127.0.0.1 rport 38835\r\n\
a=candidate:833be0769d1cfb76ed4be8b6b6e7d10d 1 udp 1694498815 192.0.2.2 41259 typ srflx raddr 192.0.2.2 rport 41259\r\n\
a=end-of-candidates\r\n\
a=ice-ufrag:ZK54\r\n\
a=ice-pwd:W6PXTnLX4gRV6XmzTybyT6\r\n\
a=fingerprint:sha-256 2F:DC:81:B3:EE:15:58:7C:51:0C:D6:26:A7:67:5E:01:BE:41:05:49:F1:D4:C9:0B:65:D0:D8:0D:98:D0:38:F1\r\n\
a=fingerprint:sha-384 CC:67:EE:A3:72:CF:42:F2:46:9F:5A:CC:F6:72:CE:7A:87:41:6E:5F:3D:FA:63:B7:1E:44:94:32:54:28:24:76:C5:25:E1:9D:5F:4C:E7:98:79:41:0C:FE:49:2D:EE:70\r\n\
a=fingerprint:sha-512 09:FC:84:82:19:C6:DD:7D:90:AE:89:67:C7:0B:9B:B4:A6:76:96:1A:F2:95:EE:5E:FC:6A:0E:9A:DF:DF:E4:E9:32:70:7E:D4:FC:C4:4F:CD:50:B4:13:FC:C2:46:30:BE:25:45:9B:22:6C:EC:3C:18:D2:6D:FF:0F:0A:02:60:71\r\n\
a=setup:actpass\r\n";

    fn media(kind: &str, port: u16, proto: &str, formats: &[&str]) -> MediaDescription {
        MediaDescription {
            kind: kind.into(),
            port,
            proto: proto.into(),
            formats: formats.iter().map(|f| f.to_string()).collect(),
            connection: None,
            rtpmaps: vec![],
            direction: None,
            ice_ufrag: None,
            ice_pwd: None,
            candidates: vec![],
            fingerprint: None,
            setup: None,
            rtcp_mux: false,
            rtcp_port: None,
            mid: None,
        }
    }

    fn rtpmap(payload_type: u8, encoding: &str, clock_rate: u32) -> RtpMap {
        RtpMap {
            payload_type,
            encoding: encoding.into(),
            clock_rate,
            channels: None,
        }
    }

    fn candidate(
        foundation: &str,
        priority: u32,
        address: &str,
        port: u16,
        typ: &str,
        related: Option<(&str, u16)>,
    ) -> IceCandidate {
        IceCandidate {
            foundation: foundation.into(),
            component: 1,
            transport: "udp".into(),
            priority,
            address: address.into(),
            port,
            typ: typ.into(),
            related_address: related.map(|(a, _)| a.to_string()),
            related_port: related.map(|(_, p)| p),
            tcptype: None,
        }
    }

    const HOST_192: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));

    #[test]
    fn webrtc_offer() {
        let sd = parse_sdp(AIORTC_OFFER).unwrap();
        assert_eq!(
            sd,
            SessionDescription {
                origin: Some("- 4004261970 4004261970 IN IP4 0.0.0.0".into()),
                session_name: Some("-".into()),
                connection: None,
                ice_ufrag: None,
                ice_pwd: None,
                ice_lite: false,
                fingerprint: None,
                setup: None,
                direction: None,
                media: vec![MediaDescription {
                    connection: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))),
                    rtpmaps: vec![
                        RtpMap {
                            channels: Some(2),
                            ..rtpmap(96, "opus", 48000)
                        },
                        rtpmap(9, "G722", 8000),
                        rtpmap(0, "PCMU", 8000),
                        rtpmap(8, "PCMA", 8000),
                    ],
                    direction: Some(Direction::SendRecv),
                    ice_ufrag: Some("ZK54".into()),
                    ice_pwd: Some("W6PXTnLX4gRV6XmzTybyT6".into()),
                    candidates: vec![
                        candidate(
                            "f957a2332b1715da3b0ef8ba684454eb",
                            2130706431,
                            "192.0.2.2",
                            41259,
                            "host",
                            None,
                        ),
                        candidate(
                            "d0bcf3d9c29a2bc887618212a1623bfa",
                            2130706431,
                            "fd00::2",
                            51537,
                            "host",
                            None,
                        ),
                        candidate(
                            "16893dfba04efb4b632c146cfc811f40",
                            16777215,
                            "127.0.0.1",
                            49190,
                            "relay",
                            Some(("127.0.0.1", 38835)),
                        ),
                        candidate(
                            "833be0769d1cfb76ed4be8b6b6e7d10d",
                            1694498815,
                            "192.0.2.2",
                            41259,
                            "srflx",
                            Some(("192.0.2.2", 41259)),
                        ),
                    ],
                    fingerprint: Some(Fingerprint {
                        hash: "sha-256".into(),
                        value: "2F:DC:81:B3:EE:15:58:7C:51:0C:D6:26:A7:67:5E:01:\
                                BE:41:05:49:F1:D4:C9:0B:65:D0:D8:0D:98:D0:38:F1"
                            .into(),
                    }),
                    setup: Some("actpass".into()),
                    rtcp_mux: true,
                    rtcp_port: Some(9),
                    mid: Some("0".into()),
                    ..media("audio", 41259, "UDP/TLS/RTP/SAVPF", &["96", "9", "0", "8"])
                }],
                malformed_lines: 0,
            }
        );
        assert!(sd.has_ice());
        assert_eq!(sd.ice_ufrag_for(&sd.media[0]), Some("ZK54"));
        assert_eq!(
            sd.fingerprint_for(&sd.media[0]).map(|f| f.hash.as_str()),
            Some("sha-256")
        );
    }

    #[test]
    fn two_audio_streams_with_every_session_line() {
        let sd = parse_sdp(TWO_AUDIO).unwrap();
        assert_eq!(
            sd,
            SessionDescription {
                origin: Some("SIPPS 105015165 105015162 IN IP4 192.168.1.2".into()),
                session_name: Some("SIP call".into()),
                connection: Some(HOST_192),
                ice_ufrag: None,
                ice_pwd: None,
                ice_lite: false,
                fingerprint: None,
                setup: None,
                direction: Some(Direction::SendRecv),
                media: vec![
                    MediaDescription {
                        connection: Some(HOST_192),
                        rtpmaps: vec![rtpmap(0, "pcmu", 8000)],
                        ..media("audio", 30000, "RTP/AVP", &["0", "8", "97", "2", "3"])
                    },
                    MediaDescription {
                        rtpmaps: vec![rtpmap(0, "pcmu", 8000)],
                        ..media("audio", 20000, "RTP/AVP", &["0", "8", "97", "2", "3"])
                    },
                ],
                malformed_lines: 0,
            }
        );
        let endpoints: Vec<(IpAddr, u16)> = sd
            .media_endpoints()
            .iter()
            .map(|(ip, port, _)| (*ip, *port))
            .collect();
        // The second stream has no c= of its own: the session's applies.
        assert_eq!(endpoints, vec![(HOST_192, 30000), (HOST_192, 20000)]);
    }

    #[test]
    fn fuzzed_lines_are_dropped_and_counted() {
        let sd = parse_sdp(FUZZ_548).unwrap();
        // o= (NUL inside) is dropped; the rtpmap with a corrupted clock rate
        // is ignored; the stream survives.
        assert_eq!(sd.malformed_lines, 2);
        assert_eq!(sd.origin, None);
        assert_eq!(sd.session_name.as_deref(), Some("SIP call"));
        assert_eq!(sd.connection, Some(HOST_192));
        assert_eq!(
            sd.media,
            vec![MediaDescription {
                rtpmaps: vec![
                    rtpmap(8, "pcma", 8000),
                    rtpmap(97, "iLBC", 8000),
                    rtpmap(2, "G726-32", 8000),
                    rtpmap(3, "GSM", 8000),
                ],
                direction: Some(Direction::SendRecv),
                ..media("auDio", 30080, "RTP/AVP", &["0", "8", "97", "2", "3"])
            }]
        );
        // `sdp-types` alone rejects the whole description.
        assert!(sdp_types::Session::parse(FUZZ_548).is_err());

        // c= has a NUL (dropped); the m= port is "3000E", so `sdp-types`
        // rejects the line and its section (8 lines) goes with it.
        let sd = parse_sdp(FUZZ_325).unwrap();
        assert_eq!(sd.malformed_lines, 9);
        assert_eq!(sd.connection, None);
        assert!(sd.media.is_empty());
        assert_eq!(
            sd.origin.as_deref(),
            Some("SIPPS 85214742 85214739 IN IP4 192.168.1.2")
        );
    }

    /// The SDP of our SIPp loopback call (sipp_call.pcap frame 1).
    const SIPP_SDP: &str = "v=0\r\n\
        o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
        s=-\r\n\
        c=IN IP4 127.0.0.1\r\n\
        t=0 0\r\n\
        m=audio 6004 RTP/AVP 0\r\n\
        a=rtpmap:0 PCMU/8000\r\n";

    #[test]
    fn tolerates_lf_only_missing_lines_and_unknown_types() {
        let reference = parse_sdp(SIPP_SDP.as_bytes()).unwrap();
        assert_eq!(reference.malformed_lines, 0);

        // LF-only line ends, no t= line, an unknown line type, a blank line.
        let edited = SIPP_SDP
            .replace("\r\n", "\n")
            .replace("t=0 0\n", "y=unknown type\n\n");
        assert_eq!(parse_sdp(edited.as_bytes()).unwrap(), reference);

        // No o= and no s=: absent, not placeholders.
        let bare = SIPP_SDP.replace("o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n", "");
        let bare = bare.replace("s=-\r\n", "");
        let sd = parse_sdp(bare.as_bytes()).unwrap();
        assert_eq!(sd.origin, None);
        assert_eq!(sd.session_name, None);
        assert_eq!(sd.media, reference.media);

        // Junk before v= and a line without `=` are dropped and counted.
        let junky = format!("\0\0junk\r\n{SIPP_SDP}garbage line\r\n");
        let sd = parse_sdp(junky.as_bytes()).unwrap();
        assert_eq!(sd.malformed_lines, 2);
        assert_eq!(sd.media, reference.media);

        // A second session c= (which `sdp-types` rejects outright) is dropped.
        let twice = SIPP_SDP.replace("t=0 0", "c=IN IP4 10.9.9.9\r\nt=0 0");
        let sd = parse_sdp(twice.as_bytes()).unwrap();
        assert_eq!(sd.malformed_lines, 1);
        assert_eq!(sd.connection, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));

        // Many repeats cost no retries; many lines that `sdp-types` rejects
        // one by one end the attempt.
        let repeats = SIPP_SDP.replace("s=-\r\n", &"s=-\r\n".repeat(100));
        assert_eq!(parse_sdp(repeats.as_bytes()).unwrap().malformed_lines, 99);
        let bad_bandwidth = SIPP_SDP.replace("t=0 0", &"b=AS:lots\r\n".repeat(40));
        assert_eq!(
            parse_sdp(bad_bandwidth.as_bytes()),
            Err(SdpError::TooManyMalformed)
        );

        // An m= line without formats takes its section with it; the next
        // section is intact.
        let broken = format!(
            "{SIPP_SDP}m=video 6006 RTP/AVP\r\na=rtpmap:31 H261/90000\r\n{}",
            "m=audio 6008 RTP/AVP 8\r\na=recvonly\r\n"
        );
        let sd = parse_sdp(broken.as_bytes()).unwrap();
        assert_eq!(sd.malformed_lines, 2);
        assert_eq!(sd.media.len(), 2);
        assert_eq!(sd.media[1].port, 6008);
        assert_eq!(sd.media[1].direction, Some(Direction::RecvOnly));
        assert!(sd.media[0].rtpmaps.iter().all(|r| r.encoding != "H261"));
    }

    /// Hand-written from the grammar (no capture at hand has them): an
    /// RFC 6544 TCP candidate, an mDNS host candidate with an mDNS raddr
    /// as browsers send when hiding local addresses, runs of spaces, a
    /// dangling extension name, ice-lite and DTLS attributes at session
    /// level, a lowercase fingerprint, an IPv6 multicast-style c=.
    pub(crate) const CANDIDATES_SDP: &str = "v=0\n\
        o=- 1 1 IN IP6 ::1\n\
        s=-\n\
        c=IN IP6 ::1/3\n\
        a=ice-lite\n\
        a=ice-ufrag:sess\n\
        a=ice-pwd:sesspassword0123456789\n\
        a=fingerprint:SHA-1 4a:ad:b9:b1:3f:82:18:3b:54:02:12:df:3e:5d:49:6b:19:e5:7c:ab\n\
        a=setup:passive\n\
        a=inactive\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\n\
        a=candidate:1 1 TCP 2128609279 10.0.1.1 9 typ host tcptype active\n\
        a=candidate:2  1 udp 2122260223 0b7a1c2e-8f3f-4f51-9d0c-1a2b3c4d5e6f.local 50000 typ srflx raddr 6e3c.local rport 0 generation\n\
        a=candidate:bad\n\
        a=rtcp:50001\n";

    #[test]
    fn candidates_and_session_level_attributes() {
        let sd = parse_sdp(CANDIDATES_SDP.as_bytes()).unwrap();
        assert_eq!(sd.connection, Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(sd.ice_lite);
        assert_eq!(sd.ice_ufrag.as_deref(), Some("sess"));
        assert_eq!(sd.ice_pwd.as_deref(), Some("sesspassword0123456789"));
        assert_eq!(
            sd.fingerprint,
            Some(Fingerprint {
                hash: "sha-1".into(),
                value: "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB".into(),
            })
        );
        assert_eq!(sd.setup.as_deref(), Some("passive"));
        assert_eq!(sd.direction, Some(Direction::Inactive));
        assert_eq!(sd.malformed_lines, 1);
        let m = &sd.media[0];
        assert_eq!(m.rtcp_port, Some(50001));
        assert_eq!(sd.ice_ufrag_for(m), Some("sess"));
        assert_eq!(
            m.candidates,
            vec![
                IceCandidate {
                    transport: "TCP".into(),
                    tcptype: Some("active".into()),
                    ..candidate("1", 2128609279, "10.0.1.1", 9, "host", None)
                },
                candidate(
                    "2",
                    2122260223,
                    "0b7a1c2e-8f3f-4f51-9d0c-1a2b3c4d5e6f.local",
                    50000,
                    "srflx",
                    Some(("6e3c.local", 0)),
                ),
            ]
        );
    }

    #[test]
    fn rejected_stream_has_no_endpoint() {
        let sdp = SIPP_SDP.replace("m=audio 6004", "m=audio 0");
        let sd = parse_sdp(sdp.as_bytes()).unwrap();
        assert_eq!(sd.media[0].port, 0);
        assert!(sd.media_endpoints().is_empty());
    }

    #[test]
    fn not_sdp() {
        assert_eq!(parse_sdp(b""), Err(SdpError::NoVersion));
        assert_eq!(
            parse_sdp(b"<?xml version=\"1.0\"?><presence/>"),
            Err(SdpError::NoVersion)
        );
        let huge = vec![b'a'; MAX_SDP_LEN + 1];
        assert_eq!(parse_sdp(&huge), Err(SdpError::TooLarge(MAX_SDP_LEN + 1)));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(sd) = parse_sdp(&bytes) {
                let _ = sd.media_endpoints();
            }
        }

        #[test]
        fn line_soup_never_panics(lines in proptest::collection::vec(
            "[vosictbkmazr]=[ -~]{0,30}|m=(audio|video) [0-9]{1,6} [A-Z/]{1,12}( [0-9]{1,3}){0,3}|a=(candidate|rtpmap|fingerprint|rtcp):[ -~]{0,40}",
            0..40,
        )) {
            let text = format!("v=0\r\n{}", lines.join("\r\n"));
            if let Ok(sd) = parse_sdp(text.as_bytes()) {
                let _ = (sd.has_ice(), sd.media_endpoints());
            }
        }

        #[test]
        fn mutated_real_sdp_never_panics(
            which in 0usize..4,
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        ) {
            let mut sdp = [TWO_AUDIO, FUZZ_548, FUZZ_325, AIORTC_OFFER][which].to_vec();
            let len = sdp.len();
            for (at, byte) in flips {
                sdp[at.index(len)] = byte;
            }
            let end = cut.index(len + 1);
            if let Ok(sd) = parse_sdp(&sdp[..end]) {
                let _ = (sd.has_ice(), sd.media_endpoints());
            }
        }
    }
}
