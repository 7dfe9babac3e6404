//! Signalling transport: TCP connection attempts (SYN, SYN-ACK, RST), the
//! TLS handshake on a SIP-over-TLS connection, and ICMP destination
//! unreachable messages, which prove a port is closed or a host is gone.

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::dtls::{content_type, handshake_type};
use crate::decode::tls::TlsRecord;
use crate::net::{IcmpInfo, UnreachableKind};

use super::evidence::Bounded;

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const MAX_CONNECTIONS: usize = 100_000;
const MAX_UNREACHABLES: usize = 10_000;

/// Ports where a TCP connection is taken for SIP signalling even before a
/// SIP message is seen on it (RFC 3261 s18.1: 5060, and 5061 for TLS).
pub const SIP_PORTS: [u16; 4] = [5060, 5061, 5080, 5081];

/// (frame, time, (level, description) when in clear, sent by the server)
pub type TlsAlertSeen = (u64, i64, Option<(u8, u8)>, bool);

#[derive(Debug, Clone)]
pub struct TlsOnConnection {
    pub client_hello: Option<(u64, i64)>,
    pub server_hello: Option<(u64, i64)>,
    pub alert: Option<TlsAlertSeen>,
    pub app_data: [u64; 2],
}

#[derive(Debug, Clone)]
pub struct TcpConnection {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub syns: Bounded<(u64, i64)>,
    /// The SYN-ACK; on a connection picked up mid-stream, the first
    /// segment seen, which counts as established.
    pub syn_ack: Option<(u64, i64)>,
    /// Tracked from a segment after the handshake (see `syn_ack`).
    pub picked_up: bool,
    /// (frame, ts, sent by the server)
    pub rst: Option<(u64, i64, bool)>,
    pub first_ts: i64,
    pub last_ts: i64,
    pub sip_messages: u64,
    /// The Call-ID of the first SIP message the connection carried: the
    /// dialog it was opened for. A connection that carries many dialogs
    /// (a trunk, a browser's WebSocket) starts only that one's call.
    pub first_call_id: Option<String>,
    pub tls: Option<TlsOnConnection>,
}

impl TcpConnection {
    pub fn established(&self) -> bool {
        self.syn_ack.is_some()
    }

    /// A connection that failed before any SIP crossed it: a call of its
    /// own when no dialog claims it.
    pub fn failed_before_sip(&self) -> bool {
        self.sip_messages == 0
            && (!self.established()
                || self
                    .tls
                    .as_ref()
                    .is_some_and(|t| t.alert.is_some() || t.server_hello.is_none())
                || self.rst.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct UnreachableSeen {
    pub frame: u64,
    pub ts: i64,
    pub kind: UnreachableKind,
    pub original_src: SocketAddr,
    pub original_dst: SocketAddr,
    pub reporter: std::net::IpAddr,
}

#[derive(Debug, Default)]
pub struct TransportTracker {
    pub connections: HashMap<(SocketAddr, SocketAddr), TcpConnection>,
    pub unreachables: Vec<UnreachableSeen>,
    pub dropped: u64,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
}

impl TransportTracker {
    fn conn_mut(&mut self, a: SocketAddr, b: SocketAddr) -> Option<&mut TcpConnection> {
        if self.connections.contains_key(&(a, b)) {
            return self.connections.get_mut(&(a, b));
        }
        self.connections.get_mut(&(b, a))
    }

    /// The key (client, server) of the tracked connection between `a` and
    /// `b`, either way round.
    pub fn connection_key(&self, a: SocketAddr, b: SocketAddr) -> Option<(SocketAddr, SocketAddr)> {
        [(a, b), (b, a)]
            .into_iter()
            .find(|k| self.connections.contains_key(k))
    }

    /// One TCP segment. Connections are tracked when they go to a SIP port
    /// or carry SIP.
    #[allow(clippy::too_many_arguments)]
    pub fn on_tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        flags: u8,
        frame: u64,
        ts: i64,
        carries_sip: bool,
    ) {
        let is_syn = flags & SYN != 0 && flags & ACK == 0;
        if is_syn
            && !self.connections.contains_key(&(src, dst))
            && (SIP_PORTS.contains(&dst.port()) || carries_sip)
        {
            if self.connections.len() >= MAX_CONNECTIONS {
                self.dropped += 1;
                return;
            }
            self.touched
                .touch(super::FrameOwner::Connection((src, dst)));
            self.connections.insert(
                (src, dst),
                TcpConnection {
                    client: src,
                    server: dst,
                    syns: Bounded::new(16),
                    picked_up: false,
                    syn_ack: None,
                    rst: None,
                    first_ts: ts,
                    last_ts: ts,
                    sip_messages: 0,
                    first_call_id: None,
                    tls: None,
                },
            );
        }
        if carries_sip
            && self.conn_mut(src, dst).is_none()
            && self.connections.len() < MAX_CONNECTIONS
        {
            // Picked up mid-stream: the SYN was before the capture, or on
            // a port not known for SIP (a WebSocket's HTTP upgrade is the
            // first sign of SIP).
            self.touched
                .touch(super::FrameOwner::Connection((src, dst)));
            self.connections.insert(
                (src, dst),
                TcpConnection {
                    client: src,
                    server: dst,
                    syns: Bounded::new(16),
                    picked_up: true,
                    syn_ack: Some((frame, ts)),
                    rst: None,
                    first_ts: ts,
                    last_ts: ts,
                    sip_messages: 0,
                    first_call_id: None,
                    tls: None,
                },
            );
        }
        let Some(c) = self.conn_mut(src, dst) else {
            return;
        };
        let was = c.failed_before_sip();
        c.last_ts = ts;
        let from_server = src == c.server;
        if is_syn && !from_server {
            c.syns.push((frame, ts));
        }
        if flags & SYN != 0 && flags & ACK != 0 && from_server {
            c.syn_ack.get_or_insert((frame, ts));
        }
        if flags & RST != 0 && c.rst.is_none() {
            c.rst = Some((frame, ts, from_server));
        }
        if carries_sip {
            c.sip_messages += 1;
        }
        // Whether the connection is a failure of its own can change.
        if c.failed_before_sip() != was {
            let key = (c.client, c.server);
            self.touched.touch(super::FrameOwner::Connection(key));
        }
    }

    /// Notes the Call-ID of a SIP message carried between `src` and `dst`.
    pub fn on_sip_message(&mut self, src: SocketAddr, dst: SocketAddr, call_id: &str) {
        if let Some(c) = self.conn_mut(src, dst) {
            if c.first_call_id.is_none() {
                c.first_call_id = Some(call_id.to_string());
            }
        }
    }

    pub fn on_tls(
        &mut self,
        rec: &TlsRecord,
        src: SocketAddr,
        dst: SocketAddr,
        frame: u64,
        ts: i64,
    ) {
        let Some(c) = self.conn_mut(src, dst) else {
            return;
        };
        let was = c.failed_before_sip();
        let from_server = src == c.server;
        let tls = c.tls.get_or_insert(TlsOnConnection {
            client_hello: None,
            server_hello: None,
            alert: None,
            app_data: [0; 2],
        });
        match (rec.content_type, rec.handshake_type) {
            (content_type::HANDSHAKE, Some(handshake_type::CLIENT_HELLO)) if !from_server => {
                tls.client_hello.get_or_insert((frame, ts));
            }
            (content_type::HANDSHAKE, Some(handshake_type::SERVER_HELLO)) if from_server => {
                tls.server_hello.get_or_insert((frame, ts));
            }
            (content_type::ALERT, _) if tls.alert.is_none() => {
                tls.alert = Some((frame, ts, rec.alert, from_server));
            }
            (content_type::APPLICATION_DATA, _) => tls.app_data[usize::from(from_server)] += 1,
            _ => {}
        }
        if c.failed_before_sip() != was {
            let key = (c.client, c.server);
            self.touched.touch(super::FrameOwner::Connection(key));
        }
    }

    /// Whether the ICMP error was kept.
    pub fn on_icmp(
        &mut self,
        info: &IcmpInfo,
        reporter: std::net::IpAddr,
        frame: u64,
        ts: i64,
    ) -> bool {
        let Some(u) = &info.unreachable else {
            return false;
        };
        let (Some(src), Some(dst)) = (u.original_src, u.original_dst) else {
            return false;
        };
        if self.unreachables.len() < MAX_UNREACHABLES {
            self.touched.touch(super::FrameOwner::Unreachable(frame));
            self.unreachables.push(UnreachableSeen {
                frame,
                ts,
                kind: u.kind,
                original_src: src,
                original_dst: dst,
                reporter,
            });
            return true;
        }
        false
    }

    /// Forgets connections and ICMP errors whose call was finalised.
    pub fn release(&mut self, connections: &[(SocketAddr, SocketAddr)], unreachables: &[u64]) {
        for k in connections {
            self.connections.remove(k);
        }
        if !unreachables.is_empty() {
            self.unreachables
                .retain(|u| !unreachables.contains(&u.frame));
        }
    }

    /// ICMP errors about datagrams sent from `src` to `dst`.
    pub fn unreachable_for(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> impl Iterator<Item = &UnreachableSeen> {
        self.unreachables
            .iter()
            .filter(move |u| u.original_src == src && u.original_dst == dst)
    }
}
