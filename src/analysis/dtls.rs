//! DTLS associations (RFC 6347, RFC 5764 DTLS-SRTP): one per pair of
//! transport addresses. Flights and retransmissions (the same message_seq
//! sent again), roles (the client sends the ClientHello), completion (both
//! sides' ChangeCipherSpec, or encrypted records both ways), alerts, and
//! the certificates' SHA-256 fingerprints for comparison with SDP.

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::dtls::{
    self, content_type, handshake_type, DtlsDatagram, DtlsRecordBody, HandshakeMessage,
    HandshakeReassembler,
};

use super::evidence::Bounded;
use super::ice::Leg;

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
}

impl AlertSeen {
    pub fn is_fatal(&self) -> bool {
        self.level == Some(2)
    }

    pub fn text(&self) -> String {
        match (self.level, self.description) {
            (Some(l), Some(d)) => format!(
                "a {} alert {} ({d})",
                if l == 2 { "fatal" } else { "warning" },
                dtls::alert_description_name(d)
            ),
            _ => "an encrypted alert".to_string(),
        }
    }
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

    pub fn has(&self, a: SocketAddr, b: SocketAddr) -> bool {
        (self.client == a && self.server == b) || (self.client == b && self.server == a)
    }
}

#[derive(Debug, Default)]
pub struct DtlsTracker {
    pub associations: HashMap<(SocketAddr, SocketAddr), DtlsAssociation>,
    pub dropped: u64,
    /// Parts, pairs, SDPs and transactions created: what can change
    /// which call a part belongs to (see [`super::Analyzer::structure`]).
    pub created: u64,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
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

    /// Gives the key of the association the datagram was counted in.
    pub fn on_datagram(
        &mut self,
        d: &DtlsDatagram<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
    ) -> Option<(SocketAddr, SocketAddr)> {
        let k = key(src, dst);
        self.take_datagram(d, frame, ts, src, dst, leg);
        self.associations.contains_key(&k).then_some(k)
    }

    fn take_datagram(
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
            self.created += 1;
            self.associations.insert(
                k,
                DtlsAssociation {
                    client: src,
                    server: dst,
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
            self.created += 1;
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
                        let noted =
                            match &f.message {
                                Some(m) => noted(m),
                                None => a.reassembly[usize::from(!from_client)].push(f).and_then(
                                    |done| {
                                        noted(&dtls::parse_handshake_message(
                                            done.msg_type,
                                            &done.body,
                                        ))
                                    },
                                ),
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
                    a.alerts.push(AlertSeen {
                        from_client,
                        level: Some(*level),
                        description: Some(*description),
                        frame,
                        ts,
                    });
                }
                DtlsRecordBody::ApplicationData => dir.app_data += 1,
                DtlsRecordBody::Encrypted => {
                    if rec.content_type == content_type::HANDSHAKE {
                        // Encrypted handshake after CCS: the Finished.
                        dir.encrypted_handshake.get_or_insert((frame, ts));
                    } else if rec.content_type == content_type::ALERT {
                        a.alerts.push(AlertSeen {
                            from_client,
                            level: None,
                            description: None,
                            frame,
                            ts,
                        });
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
            a.client_hellos = a.client_hellos_by_leg[0].max(a.client_hellos_by_leg[1]);
            a.client_hello_frames.push((frame, ts));
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
