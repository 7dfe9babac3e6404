//! DTLS associations (RFC 6347, RFC 5764 DTLS-SRTP): one per pair of
//! transport addresses. Flights and retransmissions (the same message_seq
//! sent again), roles (the client sends the ClientHello), completion (both
//! sides' ChangeCipherSpec, or encrypted records both ways), alerts, and
//! the certificates' SHA-256 fingerprints for comparison with SDP.
//! Handshake messages split over datagrams are put back together here
//! ([`HandshakeReassembler`], one per direction of an association), once.

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::dtls::{
    self, content_type, handshake_type, parse_handshake_message, DtlsDatagram, DtlsRecordBody,
    HandshakeFragment, HandshakeMessage,
};

use super::evidence::Bounded;
use super::ice::Leg;
use super::unordered as key;

const MAX_ALERTS: usize = 8;
const MAX_FRAMES: usize = 16;
const MAX_ASSOCIATIONS: usize = 100_000;

#[derive(Debug, Clone)]
pub struct AlertSeen {
    pub from_client: bool,
    /// None when the alert was encrypted (after ChangeCipherSpec).
    pub level: Option<u8>,
    pub description: Option<u8>,
    pub frame: u64,
    pub ts: i64,
    /// The record's epoch and sequence number, and the leg it was seen
    /// on: through a TURN relay one alert shows on both legs with the same
    /// record number, and is one alert.
    record: (u16, u64),
    leg: Leg,
}

impl AlertSeen {
    pub fn is_fatal(&self) -> bool {
        self.level == Some(2)
    }

    pub fn text(&self) -> String {
        match (self.level, self.description) {
            (Some(l), Some(d)) => format!("a {}", alert_text(l, d)),
            _ => "an encrypted alert".to_string(),
        }
    }
}

/// A TLS or DTLS alert in clear, as evidence and timelines name it:
/// `fatal alert bad_certificate (42)`.
pub fn alert_text(level: u8, description: u8) -> String {
    format!(
        "{} alert {} ({description})",
        if level == 2 { "fatal" } else { "warning" },
        dtls::alert_description_name(description)
    )
}

#[derive(Debug, Clone, Default)]
pub struct Direction {
    pub records: u64,
    pub first_frame: Option<u64>,
    pub ccs: Option<(u64, i64)>,
    pub encrypted_handshake: Option<(u64, i64)>,
    pub app_data: u64,
    pub certificate_fingerprint: Option<String>,
    /// The frame that completed the certificate (the last of its
    /// fragments).
    pub certificate_frame: Option<(u64, i64)>,
    /// Handshake messages sent again (a flight retransmitted), and the last.
    pub retransmissions: u32,
    pub last_retransmission: Option<(u64, i64)>,
}

#[derive(Debug)]
pub struct DtlsAssociation {
    /// The side that sent the first ClientHello (or, when the capture
    /// missed it, the first side seen).
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The first sender and its peer: what the association is named by,
    /// so that its name does not change when a later ClientHello shows the
    /// roles were the other way round.
    pub first_seen: (SocketAddr, SocketAddr),
    /// Seen carried through TURN (on the client's leg).
    pub relayed: bool,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub client_hello_frames: Bounded<(u64, i64)>,
    /// ClientHello transmissions on the busiest leg.
    pub client_hellos: u32,
    client_hellos_by_leg: [u32; 2],
    pub hello_verify_requests: u32,
    pub hello_verify: Option<(u64, i64)>,
    pub server_hello: Option<(u64, i64)>,
    pub from_client: Direction,
    pub from_server: Direction,
    pub alerts: Bounded<AlertSeen>,
    pub version: Option<u16>,
    pub srtp_profile: Option<u16>,
    /// When the handshake last moved forward: a handshake message or a
    /// ChangeCipherSpec seen for the first time (retransmissions do not
    /// count). A capture that ends right after progress may have cut off a
    /// handshake that was about to finish.
    pub last_progress_ts: i64,
    /// (leg, from the client, type, message_seq, fragment offset): a
    /// message seen again on the same leg is resent; on the other leg of a
    /// relayed path it is the same send, relayed.
    seen_messages: Vec<(Leg, bool, u8, u16, u32)>,
    reassembly: [HandshakeReassembler; 2],
}

impl DtlsAssociation {
    pub fn complete(&self) -> bool {
        let ccs = self.from_client.ccs.is_some() && self.from_server.ccs.is_some();
        let data = self.from_client.app_data > 0 && self.from_server.app_data > 0;
        ccs || data
    }

    pub fn completed_at(&self) -> Option<(u64, i64)> {
        if !self.complete() {
            return None;
        }
        [self.from_client.ccs, self.from_server.ccs]
            .into_iter()
            .flatten()
            .max_by_key(|c| c.1)
    }

    pub fn fatal_alert(&self) -> Option<&AlertSeen> {
        self.alerts.items().iter().find(|a| a.is_fatal())
    }

    /// The key the tracker holds it by: its two addresses in one order.
    pub fn key(&self) -> (SocketAddr, SocketAddr) {
        key(self.client, self.server)
    }

    pub fn has(&self, a: SocketAddr, b: SocketAddr) -> bool {
        (self.client == a && self.server == b) || (self.client == b && self.server == a)
    }
}

/// Keeps an alert unless it is the relayed copy of one already kept (same
/// sender and record number, seen on the other leg).
fn push_alert(alerts: &mut Bounded<AlertSeen>, alert: AlertSeen) {
    let copy = alerts.items().iter().any(|a| {
        a.from_client == alert.from_client && a.record == alert.record && a.leg != alert.leg
    });
    if !copy {
        alerts.push(alert);
    }
}

#[derive(Debug, Default)]
pub struct DtlsTracker {
    pub associations: HashMap<(SocketAddr, SocketAddr), DtlsAssociation>,
    pub dropped: u64,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
}

impl DtlsTracker {
    pub fn get(&self, a: SocketAddr, b: SocketAddr) -> Option<&DtlsAssociation> {
        self.associations.get(&key(a, b))
    }

    /// Forgets associations whose call was finalised.
    pub fn release(&mut self, keys: &[(SocketAddr, SocketAddr)]) {
        for k in keys {
            self.associations.remove(k);
        }
    }

    pub fn on_datagram(
        &mut self,
        d: &DtlsDatagram<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
    ) {
        let k = key(src, dst);
        if !self.associations.contains_key(&k) {
            if self.associations.len() >= MAX_ASSOCIATIONS {
                self.dropped += 1;
                return;
            }
            self.touched.touch(super::FrameOwner::Association(k));
            self.associations.insert(
                k,
                DtlsAssociation {
                    client: src,
                    server: dst,
                    first_seen: (src, dst),
                    relayed: leg == Leg::Relayed,
                    first_frame: frame,
                    first_ts: ts,
                    last_ts: ts,
                    client_hello_frames: Bounded::new(MAX_FRAMES),
                    client_hellos: 0,
                    client_hellos_by_leg: [0; 2],
                    hello_verify_requests: 0,
                    hello_verify: None,
                    server_hello: None,
                    from_client: Direction::default(),
                    from_server: Direction::default(),
                    alerts: Bounded::new(MAX_ALERTS),
                    version: None,
                    srtp_profile: None,
                    last_progress_ts: ts,
                    seen_messages: Vec::new(),
                    reassembly: [HandshakeReassembler::new(), HandshakeReassembler::new()],
                },
            );
        }
        let Some(a) = self.associations.get_mut(&k) else {
            return;
        };
        // Like an RTP stream, an association back from a silence longer than
        // a call window's slack may now reach into a window (calls.rs).
        if ts - a.last_ts > super::calls::MEDIA_WINDOW_SLACK_NS {
            self.touched.touch(super::FrameOwner::Association(k));
        }
        a.last_ts = ts;
        a.relayed |= leg == Leg::Relayed;
        // The first ClientHello decides the roles, even if the server
        // spoke first in the capture.
        let sends_client_hello = d.records.iter().any(|r| match &r.body {
            DtlsRecordBody::Handshake(f) => {
                f.iter().any(|h| h.msg_type == handshake_type::CLIENT_HELLO)
            }
            _ => false,
        });
        if sends_client_hello && a.client_hellos == 0 && a.client != src {
            self.touched.touch(super::FrameOwner::Association(k));
            std::mem::swap(&mut a.client, &mut a.server);
            std::mem::swap(&mut a.from_client, &mut a.from_server);
        }
        let from_client = src == a.client;
        let mut client_hello_here = false;
        // A datagram that repeats handshake messages already seen from
        // this side is a retransmitted flight (counted once per datagram).
        let mut flight_resent = false;
        for rec in &d.records {
            let dir = if from_client {
                &mut a.from_client
            } else {
                &mut a.from_server
            };
            dir.records += 1;
            dir.first_frame.get_or_insert(frame);
            match &rec.body {
                DtlsRecordBody::Handshake(frags) => {
                    for f in frags {
                        let noted = match &f.message {
                            Some(m) => noted(m),
                            None => a.reassembly[usize::from(!from_client)]
                                .push(f)
                                .and_then(|done| noted(&done.message())),
                        };
                        let id = (
                            leg,
                            from_client,
                            f.msg_type,
                            f.message_seq,
                            f.fragment_offset,
                        );
                        if a.seen_messages.contains(&id) {
                            if f.msg_type != handshake_type::CLIENT_HELLO {
                                flight_resent = true;
                            }
                        } else if a.seen_messages.len() < 64 {
                            a.seen_messages.push(id);
                            a.last_progress_ts = ts;
                        }
                        match f.msg_type {
                            handshake_type::CLIENT_HELLO if f.fragment_offset == 0 => {
                                client_hello_here = true
                            }
                            handshake_type::SERVER_HELLO => {
                                a.server_hello.get_or_insert((frame, ts));
                            }
                            handshake_type::HELLO_VERIFY_REQUEST => {
                                a.hello_verify_requests += 1;
                                a.hello_verify.get_or_insert((frame, ts));
                            }
                            _ => {}
                        }
                        match noted {
                            Some(Noted::ServerVersion(v, p)) => {
                                a.version = Some(v);
                                a.srtp_profile = p.or(a.srtp_profile);
                            }
                            Some(Noted::CertificateFingerprint(fp)) => {
                                let dir = if from_client {
                                    &mut a.from_client
                                } else {
                                    &mut a.from_server
                                };
                                if dir.certificate_fingerprint.is_none() {
                                    dir.certificate_fingerprint = Some(fp);
                                    dir.certificate_frame = Some((frame, ts));
                                }
                            }
                            None => {}
                        }
                    }
                }
                DtlsRecordBody::ChangeCipherSpec if dir.ccs.is_none() => {
                    dir.ccs = Some((frame, ts));
                    a.last_progress_ts = ts;
                }
                DtlsRecordBody::Alert { level, description } => {
                    push_alert(
                        &mut a.alerts,
                        AlertSeen {
                            from_client,
                            level: Some(*level),
                            description: Some(*description),
                            frame,
                            ts,
                            record: (rec.epoch, rec.sequence),
                            leg,
                        },
                    );
                }
                DtlsRecordBody::ApplicationData => dir.app_data += 1,
                DtlsRecordBody::Encrypted => {
                    if rec.content_type == content_type::HANDSHAKE {
                        // Encrypted handshake after CCS: the Finished.
                        dir.encrypted_handshake.get_or_insert((frame, ts));
                    } else if rec.content_type == content_type::ALERT {
                        push_alert(
                            &mut a.alerts,
                            AlertSeen {
                                from_client,
                                level: None,
                                description: None,
                                frame,
                                ts,
                                record: (rec.epoch, rec.sequence),
                                leg,
                            },
                        );
                    }
                }
                DtlsRecordBody::Dtls13Ciphertext => dir.app_data += 1,
                _ => {}
            }
        }
        if flight_resent {
            let dir = if from_client {
                &mut a.from_client
            } else {
                &mut a.from_server
            };
            dir.retransmissions += 1;
            dir.last_retransmission = Some((frame, ts));
        }
        if client_hello_here {
            let l = usize::from(leg == Leg::Relayed);
            a.client_hellos_by_leg[l] += 1;
            let sent = a.client_hellos_by_leg[0].max(a.client_hellos_by_leg[1]);
            // A ClientHello seen again on the other leg of a relay is the
            // same transmission: its first sighting is the one listed.
            if sent > a.client_hellos {
                a.client_hello_frames.push((frame, ts));
            }
            a.client_hellos = sent;
        }
    }
}

/// What the association keeps of a handshake message: the parts that
/// matter for a verdict.
enum Noted {
    ServerVersion(u16, Option<u16>),
    CertificateFingerprint(String),
}

fn noted(m: &HandshakeMessage<'_>) -> Option<Noted> {
    match m {
        HandshakeMessage::ServerHello(sh) => Some(Noted::ServerVersion(
            // DTLS 1.3 keeps 0xfefd in the version field and says the real
            // one in supported_versions.
            sh.selected_version.unwrap_or(sh.version),
            sh.use_srtp
                .as_ref()
                .and_then(|p| p.profiles.first().copied()),
        )),
        HandshakeMessage::Certificate { certificates } => certificates
            .first()
            .map(|c| Noted::CertificateFingerprint(dtls::certificate_sha256_fingerprint(c))),
        _ => None,
    }
}

/// Largest handshake message the reassembler accepts.
pub const MAX_REASSEMBLED_MESSAGE: u32 = 64 * 1024;
/// Most messages the reassembler keeps in progress at once.
pub const MAX_MESSAGES_IN_PROGRESS: usize = 16;

/// A handshake message put back together from its fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassembledMessage {
    pub msg_type: u8,
    pub message_seq: u16,
    pub body: Vec<u8>,
}

impl ReassembledMessage {
    /// Parses the reassembled body.
    pub fn message(&self) -> HandshakeMessage<'_> {
        parse_handshake_message(self.msg_type, &self.body)
    }
}

/// Puts fragmented handshake messages back together (RFC 6347 s4.2.3).
/// One per direction of one association: message_seq restarts in each.
///
/// Fragments are keyed by (message_seq, msg_type); they may arrive out of
/// order, overlap or repeat. A message is returned once every byte has
/// arrived, and again if a retransmission completes it again. Bounded:
/// messages over [`MAX_REASSEMBLED_MESSAGE`] are refused, and beyond
/// [`MAX_MESSAGES_IN_PROGRESS`] the least recently fed message is dropped;
/// [`HandshakeReassembler::dropped`] counts both, with fragments that do not
/// fit their message.
#[derive(Debug, Default, Clone)]
pub struct HandshakeReassembler {
    in_progress: Vec<Partial>,
    dropped: u64,
    clock: u64,
}

#[derive(Debug, Clone)]
struct Partial {
    msg_type: u8,
    message_seq: u16,
    length: u32,
    buf: Vec<u8>,
    /// Byte ranges received, sorted and disjoint.
    covered: Vec<(u32, u32)>,
    last_fed: u64,
}

impl HandshakeReassembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fragments refused and partial messages given up so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Messages waiting for more fragments.
    pub fn in_progress(&self) -> usize {
        self.in_progress.len()
    }

    /// Adds one fragment; returns the message if this completed it.
    pub fn push(&mut self, frag: &HandshakeFragment) -> Option<ReassembledMessage> {
        if frag.length > MAX_REASSEMBLED_MESSAGE {
            self.dropped += 1;
            return None;
        }
        // Use the bytes actually present: a fragment cut by the end of its
        // record still carries good bytes from its offset.
        let n = u32::try_from(frag.body.len())
            .unwrap_or(u32::MAX)
            .min(frag.fragment_length);
        let start = frag.fragment_offset;
        let Some(end) = start.checked_add(n).filter(|&e| e <= frag.length) else {
            self.dropped += 1;
            return None;
        };
        let bytes = frag.body.get(..n as usize)?;
        let key = (frag.message_seq, frag.msg_type);
        let pos = self
            .in_progress
            .iter()
            .position(|p| (p.message_seq, p.msg_type) == key);

        if start == 0 && end == frag.length {
            // Whole message in one fragment: done, whatever was pending.
            if let Some(pos) = pos {
                self.in_progress.swap_remove(pos);
            }
            return Some(ReassembledMessage {
                msg_type: frag.msg_type,
                message_seq: frag.message_seq,
                body: bytes.to_vec(),
            });
        }
        if n == 0 {
            return None;
        }

        self.clock += 1;
        let pos = match pos {
            Some(pos) if self.in_progress.get(pos).map(|p| p.length) == Some(frag.length) => pos,
            Some(pos) => {
                // RFC 6347 s4.2.3 makes every fragment of a message carry
                // the same length; a different one means a new message under
                // a reused key (a restarted handshake), which replaces the
                // old.
                self.in_progress.swap_remove(pos);
                self.dropped += 1;
                self.start_partial(frag)
            }
            None => self.start_partial(frag),
        };
        let clock = self.clock;
        let partial = self.in_progress.get_mut(pos)?;
        partial.last_fed = clock;
        partial
            .buf
            .get_mut(start as usize..end as usize)?
            .copy_from_slice(bytes);
        add_range(&mut partial.covered, start, end);
        if partial.covered.as_slice() == [(0, partial.length)] {
            let done = self.in_progress.swap_remove(pos);
            return Some(ReassembledMessage {
                msg_type: done.msg_type,
                message_seq: done.message_seq,
                body: done.buf,
            });
        }
        None
    }

    /// Starts a partial message, evicting the least recently fed one when
    /// full. Returns its index.
    fn start_partial(&mut self, frag: &HandshakeFragment) -> usize {
        if self.in_progress.len() >= MAX_MESSAGES_IN_PROGRESS {
            if let Some(oldest) = self
                .in_progress
                .iter()
                .enumerate()
                .min_by_key(|(_, p)| p.last_fed)
                .map(|(i, _)| i)
            {
                self.in_progress.swap_remove(oldest);
                self.dropped += 1;
            }
        }
        self.in_progress.push(Partial {
            msg_type: frag.msg_type,
            message_seq: frag.message_seq,
            length: frag.length,
            buf: vec![0; frag.length as usize],
            covered: Vec::new(),
            last_fed: self.clock,
        });
        self.in_progress.len() - 1
    }
}

/// Inserts [start, end) into sorted disjoint ranges, merging overlapping and
/// touching ones.
fn add_range(ranges: &mut Vec<(u32, u32)>, start: u32, end: u32) {
    let (mut s, mut e) = (start, end);
    ranges.retain(|&(a, b)| {
        if b < s || a > e {
            true
        } else {
            s = s.min(a);
            e = e.max(b);
            false
        }
    });
    let at = ranges.partition_point(|&(a, _)| a < s);
    ranges.insert(at, (s, e));
}

#[cfg(test)]
mod tests {
    //! The reassembler on the decoder's byte vectors (cut from public
    //! captures, see `decode::dtls`'s tests).

    use super::*;
    use crate::decode::dtls::tests::{
        certificate_flight, frag_header, only_fragment, unhex, ALL_VECTORS, JUMPS_F1, JUMPS_F2,
        JUMPS_F3, MERCURY_INTERLEAVED_F1, MERCURY_INTERLEAVED_F2, MERCURY_INTERLEAVED_F3,
    };
    use crate::decode::dtls::{
        certificate_fingerprint, certificate_sha256_fingerprint, parse_dtls_datagram,
        parse_dtls_datagram_with_cid_len,
    };
    use proptest::prelude::*;

    const DTLS12_CERT_SHA256: &str = "6F:54:46:A5:B2:3F:4E:73:92:5D:E5:E6:62:9C:09:B1:C6:1E:D6:65:37:D6:D8:A7:81:87:50:C9:CD:0A:67:D7";

    /// zeek/tls__dtls1_2.pcap: the server's Certificate over five datagrams.
    #[test]
    fn certificate_reassembled_from_five_datagrams() {
        let frames = certificate_flight();
        let datagrams: Vec<DtlsDatagram> = frames
            .iter()
            .map(|b| parse_dtls_datagram(b).unwrap())
            .collect();
        let mut r = HandshakeReassembler::new();
        let mut done = Vec::new();
        for d in &datagrams {
            for f in d.handshake_fragments() {
                done.extend(r.push(f));
            }
        }
        // ServerHello (whole) and Certificate; ServerKeyExchange is pending.
        assert_eq!(
            done.iter()
                .map(|m| (m.msg_type, m.message_seq, m.body.len()))
                .collect::<Vec<_>>(),
            vec![(2, 1, 57), (11, 2, 874)]
        );
        assert_eq!(r.in_progress(), 1);
        assert_eq!(r.dropped(), 0);
        let HandshakeMessage::Certificate { certificates } = done[1].message() else {
            panic!("{:?}", done[1].message());
        };
        assert_eq!(certificates.len(), 1);
        assert_eq!(certificates[0].len(), 868);
        assert_eq!(
            certificate_sha256_fingerprint(certificates[0]),
            DTLS12_CERT_SHA256
        );
        assert_eq!(
            certificate_fingerprint("SHA-256", certificates[0]).as_deref(),
            Some(DTLS12_CERT_SHA256)
        );
    }

    /// RFC 6347 s4.2.3: fragments may arrive in any order, repeat, and
    /// overlap. The same Certificate, fed shuffled, with duplicates and with
    /// re-cut overlapping fragments, comes out identical.
    #[test]
    fn reassembly_with_reordering_duplicates_and_overlap() {
        let frames = certificate_flight();
        let datagrams: Vec<DtlsDatagram> = frames
            .iter()
            .map(|b| parse_dtls_datagram(b).unwrap())
            .collect();
        let cert_frags: Vec<&HandshakeFragment> = datagrams
            .iter()
            .flat_map(DtlsDatagram::handshake_fragments)
            .filter(|f| f.msg_type == 11)
            .collect();
        assert_eq!(cert_frags.len(), 5);
        let mut straight = HandshakeReassembler::new();
        let whole = cert_frags
            .iter()
            .find_map(|f| straight.push(f))
            .expect("complete");

        // Overlapping fragments re-cut from the real message bytes.
        let recut = |start: usize, end: usize| HandshakeFragment {
            msg_type: 11,
            length: 874,
            message_seq: 2,
            fragment_offset: start as u32,
            fragment_length: (end - start) as u32,
            body: &whole.body[start..end],
            message: None,
        };
        let a = recut(100, 400);
        let b = recut(300, 800);
        let order: Vec<&HandshakeFragment> = vec![
            cert_frags[3],
            cert_frags[1],
            cert_frags[1],
            &a,
            &b,
            cert_frags[4],
            cert_frags[4],
        ];
        let mut r = HandshakeReassembler::new();
        for f in &order {
            assert_eq!(r.push(f), None);
        }
        assert_eq!(r.in_progress(), 1);
        let done = r
            .push(cert_frags[0])
            .expect("complete after the first bytes");
        assert_eq!(done, whole);
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.dropped(), 0);
        // A retransmitted fragment after completion starts a new copy.
        assert_eq!(r.push(cert_frags[2]), None);
        assert_eq!(r.in_progress(), 1);
    }

    /// zeek/tls__dtls-sequence-number-jumps.pcap: a ClientHello in three
    /// fragments.
    #[test]
    fn client_hello_in_three_fragments() {
        let frames: Vec<Vec<u8>> = [JUMPS_F1, JUMPS_F2, JUMPS_F3]
            .iter()
            .map(|h| unhex(h))
            .collect();
        let mut r = HandshakeReassembler::new();
        let mut done = Vec::new();
        for b in &frames {
            let d = parse_dtls_datagram(b).unwrap();
            assert_eq!(d.malformed, None);
            let f = only_fragment(&d);
            assert_eq!(f.message, None);
            done.extend(r.push(f));
        }
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].msg_type, done[0].message_seq), (1, 0));
        let HandshakeMessage::ClientHello(ch) = done[0].message() else {
            panic!("{:?}", done[0].message());
        };
        assert_eq!(
            (
                ch.version,
                ch.random.to_vec(),
                ch.cipher_suites.clone(),
                ch.extension_types(),
                ch.supported_versions.clone(),
                ch.malformed,
            ),
            (
                0xfefd,
                unhex("f2d120880f75811062381f06abf371f75899aea4af864c63830b9b3ac7a09a71"),
                vec![0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f],
                vec![43, 10, 13],
                vec![0xfefc, 0xfefd],
                None,
            )
        );
    }

    #[test]
    fn interleaved_client_hellos_reassemble_separately() {
        let frames: Vec<Vec<u8>> = [
            MERCURY_INTERLEAVED_F1,
            MERCURY_INTERLEAVED_F2,
            MERCURY_INTERLEAVED_F3,
        ]
        .iter()
        .map(|h| unhex(h))
        .collect();
        let mut r = HandshakeReassembler::new();
        let mut out = Vec::new();
        let mut headers = Vec::new();
        for b in &frames {
            let d = parse_dtls_datagram(b).unwrap();
            assert_eq!(d.malformed, None);
            let f = only_fragment(&d);
            headers.push(frag_header(f));
            out.push(r.push(f));
        }
        assert_eq!(
            headers,
            vec![
                (1, 307, 1, 0, 203),
                (1, 307, 0, 0, 203),
                (1, 307, 1, 203, 104)
            ]
        );
        assert_eq!(out[0], None);
        assert_eq!(out[1], None);
        let done = out[2].as_ref().expect("message_seq 1 complete");
        assert_eq!(
            (done.msg_type, done.message_seq, done.body.len()),
            (1, 1, 307)
        );
        let HandshakeMessage::ClientHello(ch) = done.message() else {
            panic!()
        };
        assert_eq!(ch.malformed, None);
        assert_eq!(ch.cookie.len(), 20);
        // The message_seq 0 copy never completes.
        assert_eq!(r.in_progress(), 1);
    }

    #[test]
    fn reassembler_bounds() {
        let body = [0u8; 10];
        let frag = |seq: u16, length: u32| HandshakeFragment {
            msg_type: 11,
            length,
            message_seq: seq,
            fragment_offset: 0,
            fragment_length: 10,
            body: &body,
            message: None,
        };
        let mut r = HandshakeReassembler::new();
        assert_eq!(r.push(&frag(0, MAX_REASSEMBLED_MESSAGE + 1)), None);
        assert_eq!(r.dropped(), 1);
        assert_eq!(r.in_progress(), 0);
        for seq in 0..MAX_MESSAGES_IN_PROGRESS as u16 {
            assert_eq!(r.push(&frag(seq, 100)), None);
        }
        assert_eq!(r.in_progress(), MAX_MESSAGES_IN_PROGRESS);
        assert_eq!(r.dropped(), 1);
        // One more evicts the least recently fed (message_seq 0).
        assert_eq!(r.push(&frag(100, 100)), None);
        assert_eq!(r.in_progress(), MAX_MESSAGES_IN_PROGRESS);
        assert_eq!(r.dropped(), 2);
        // A fragment past the end of its message is refused.
        let past = HandshakeFragment {
            fragment_offset: 95,
            ..frag(1, 100)
        };
        assert_eq!(r.push(&past), None);
        assert_eq!(r.dropped(), 3);
        // Same key, different total length: the new message replaces.
        assert_eq!(r.push(&frag(1, 200)), None);
        assert_eq!(r.dropped(), 4);
        assert_eq!(r.in_progress(), MAX_MESSAGES_IN_PROGRESS);
    }

    /// Every cut of every real datagram, fed to one reassembler per cut:
    /// no panic, and what comes out parses.
    #[test]
    fn every_truncation_of_real_datagrams() {
        for v in ALL_VECTORS {
            let bytes = unhex(v);
            for n in 0..=bytes.len() {
                for cid in [None, Some(0), Some(3), Some(16)] {
                    if let Ok(d) = parse_dtls_datagram_with_cid_len(&bytes[..n], cid) {
                        let mut r = HandshakeReassembler::new();
                        for f in d.handshake_fragments() {
                            if let Some(m) = r.push(f) {
                                let _ = m.message();
                            }
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn reassembler_fed_random_fragments(
            frags in proptest::collection::vec(
                (0u8..3, 0u16..20, 0u32..70_000, 0u32..70_000, 0u32..70_000,
                 proptest::collection::vec(any::<u8>(), 0..200)),
                0..80,
            )
        ) {
            let mut r = HandshakeReassembler::new();
            for (msg_type, message_seq, length, fragment_offset, fragment_length, body) in &frags {
                let f = HandshakeFragment {
                    msg_type: *msg_type,
                    length: *length,
                    message_seq: *message_seq,
                    fragment_offset: *fragment_offset,
                    fragment_length: *fragment_length,
                    body,
                    message: None,
                };
                if let Some(m) = r.push(&f) {
                    prop_assert_eq!(m.body.len() as u32, *length);
                }
                prop_assert!(r.in_progress() <= MAX_MESSAGES_IN_PROGRESS);
            }
        }

        /// Any cut of a real message into fragments, fed in any order with
        /// repeats, gives back the message.
        #[test]
        fn reassembler_recovers_any_fragmentation(
            cuts in proptest::collection::vec(0usize..874, 0..12),
            order in proptest::collection::vec(0usize..100, 1..40),
        ) {
            let frames = certificate_flight();
            let datagrams: Vec<DtlsDatagram> =
                frames.iter().map(|b| parse_dtls_datagram(b).unwrap()).collect();
            let mut whole = None;
            let mut r0 = HandshakeReassembler::new();
            for f in datagrams.iter().flat_map(DtlsDatagram::handshake_fragments) {
                if let Some(m) = r0.push(f) {
                    if m.msg_type == 11 { whole = Some(m); }
                }
            }
            let whole = whole.unwrap();
            let mut points = cuts.clone();
            points.extend([0, 874]);
            points.sort_unstable();
            points.dedup();
            let pieces: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let make = |(s, e): (usize, usize)| HandshakeFragment {
                msg_type: 11, length: 874, message_seq: 2,
                fragment_offset: s as u32, fragment_length: (e - s) as u32,
                body: &whole.body[s..e], message: None,
            };
            let mut r = HandshakeReassembler::new();
            let mut got = None;
            // Feed in the given order (with repeats), then everything once
            // more to be sure every piece was seen.
            for i in order.iter().map(|i| i % pieces.len()).chain(0..pieces.len()) {
                if let Some(m) = r.push(&make(pieces[i])) {
                    got = Some(m);
                    break;
                }
            }
            prop_assert_eq!(got.as_ref(), Some(&whole));
        }
    }
}
