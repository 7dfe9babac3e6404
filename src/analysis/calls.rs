//! Calls: the SIP dialog (if any) and the ICE sessions, TURN allocations,
//! DTLS associations and RTP streams that belong to it.
//!
//! Joins: an ICE session belongs to the SIP call whose SDP carries one of
//! its ufrags; RTP streams and DTLS associations belong to a call through
//! the SDP's media endpoints or through a candidate pair of its ICE
//! session; a TURN allocation through the addresses its client used in
//! checks or the relayed address offered as a candidate. What no SIP call
//! claims stands on its own: an ICE session is a `webrtc` call, then DTLS
//! associations, TURN allocations, failed STUN-server queries, failed SIP
//! connections and lone RTP streams.
//!
//! Why this file is past 800 lines: `assemble_in` is one pass whose order
//! decides who owns what (SIP dialogs first, then ICE sessions, then what
//! is left), with one ledger of claimed parts threaded through every join;
//! spread over several files that order would be harder to follow. Which
//! dialog owns a stream on shared media addresses is decided apart, in
//! `sip_media`.

use foldhash::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::decode::sdp::Direction;

use super::dtls::DtlsAssociation;
use super::ice::{IceSession, ServerQuery, SessionKey};
use super::rtp::{RtpStream, StreamKey};
use super::sip::{DialogKind, SipDialog};
use super::transport::{TcpConnection, UnreachableSeen};
use super::turn::{Allocation, AllocationKey};
use super::{sip_media, unordered, Analyzer, FrameOwner};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallKind {
    SipCall,
    SipRegistration,
    /// A TCP/TLS connection to a SIP port that failed before any SIP
    /// message could be seen.
    SipConnection,
    Webrtc,
    TurnAllocation,
    /// STUN-server queries (server-reflexive gathering) that got no answer.
    StunGathering,
    /// A DTLS association with no ICE or SIP seen around it.
    DtlsSession,
    /// RTP with no signalling seen.
    RtpSession,
    /// A SIP request outside any call or registration (OPTIONS, MESSAGE,
    /// SUBSCRIBE, a method no RFC defines...): judged by its answer.
    SipRequest,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::SipCall => "sip-call",
            CallKind::SipRegistration => "sip-registration",
            CallKind::SipConnection => "sip-connection",
            CallKind::Webrtc => "webrtc",
            CallKind::TurnAllocation => "turn-allocation",
            CallKind::StunGathering => "stun-gathering",
            CallKind::DtlsSession => "dtls-session",
            CallKind::RtpSession => "rtp-session",
            CallKind::SipRequest => "sip-request",
        }
    }
}

/// A media endpoint an SDP announced.
#[derive(Debug, Clone)]
pub struct SdpMedia {
    pub from_caller: bool,
    pub endpoint: SocketAddr,
    pub direction: Direction,
    pub kind: String,
    pub frame: u64,
    pub ts: i64,
    /// The SDP it came in carried ICE (a ufrag, session or media level).
    pub ice: bool,
}

/// Everything that belongs to one call, borrowed from the trackers.
#[derive(Debug, Default)]
pub struct CallParts<'a> {
    pub dialog: Option<&'a SipDialog>,
    pub connection: Option<&'a TcpConnection>,
    pub unreachables: Vec<&'a UnreachableSeen>,
    pub sessions: Vec<&'a IceSession>,
    pub server_queries: Vec<&'a ServerQuery>,
    pub allocations: Vec<&'a Allocation>,
    pub associations: Vec<&'a DtlsAssociation>,
    pub streams: Vec<&'a RtpStream>,
    pub sdp_media: Vec<SdpMedia>,
    pub sdp_ufrags: Vec<String>,
    /// (from the caller, hash, value) of every `a=fingerprint`.
    pub sdp_fingerprints: Vec<(bool, String, String)>,
    /// (type, address, offered by the caller) of every ICE candidate.
    pub sdp_candidates: Vec<(String, SocketAddr, bool)>,
}

impl CallParts<'_> {
    pub fn ice_offered(&self) -> bool {
        !self.sdp_ufrags.is_empty()
    }

    /// ICE was offered and the other side did not decline it: no SDP of
    /// the side that did not offer it came without ICE. An answer without
    /// ICE attributes means the answerer does not do ICE (RFC 8839
    /// s4.4.3.1; a plain SIP phone or PBX), and media then flows to the
    /// addresses in the SDP, with no connectivity checks. An offer not
    /// answered yet still expects ICE.
    pub fn ice_agreed(&self) -> bool {
        if !self.ice_offered() {
            return false;
        }
        let side_ice = |caller: bool| {
            self.sdp_media
                .iter()
                .filter(|m| m.from_caller == caller)
                .map(|m| m.ice)
                .reduce(|a, b| a || b)
        };
        // None: that side sent no SDP (yet).
        !matches!(side_ice(true), Some(false)) && !matches!(side_ice(false), Some(false))
    }

    pub fn dtls_offered(&self) -> bool {
        !self.sdp_fingerprints.is_empty()
    }

    /// Whether the call's TCP connection was opened for it: no dialog, or
    /// the dialog of the connection's first SIP message. A connection that
    /// carries many dialogs (a trunk, a browser's WebSocket) starts, and
    /// shows its handshake in, only that one call.
    pub fn connection_opened_for_call(&self) -> bool {
        match (
            self.dialog,
            self.connection.and_then(|c| c.first_call_id.as_ref()),
        ) {
            (Some(d), Some(first)) => d.call_id == *first,
            _ => true,
        }
    }

    pub fn start_ts(&self) -> i64 {
        let mut t = i64::MAX;
        let mut take = |x: i64| t = t.min(x);
        if let Some(d) = self.dialog {
            take(d.first_ts);
        }
        if let Some(c) = self.connection {
            if self.connection_opened_for_call() {
                take(c.first_ts);
            }
        }
        self.sessions.iter().for_each(|s| take(s.first_ts));
        self.server_queries.iter().for_each(|q| take(q.first.1));
        self.allocations.iter().for_each(|a| take(a.first_ts));
        self.associations.iter().for_each(|a| take(a.first_ts));
        self.streams.iter().for_each(|s| take(s.first_ts));
        if t == i64::MAX {
            0
        } else {
            t
        }
    }

    pub fn end_ts(&self) -> i64 {
        let mut t = i64::MIN;
        let mut take = |x: i64| t = t.max(x);
        if let Some(d) = self.dialog {
            take(d.last_ts);
        }
        if let Some(c) = self.connection {
            take(c.last_ts);
        }
        self.sessions.iter().for_each(|s| take(s.last_ts));
        self.server_queries.iter().for_each(|q| take(q.last_ts));
        self.allocations.iter().for_each(|a| take(a.last_ts));
        self.associations.iter().for_each(|a| take(a.last_ts));
        self.streams.iter().for_each(|s| take(s.last_ts));
        if t == i64::MIN {
            self.start_ts()
        } else {
            t
        }
    }
}

/// The parts an assembly may use: all of them, or a region that is closed
/// under claiming (see [`super::book`]), so the calls built from it are
/// the calls a whole assembly would build from the same parts.
#[derive(Debug, Default)]
pub struct PartScope {
    pub dialogs: HashSet<String>,
    pub connections: HashSet<(SocketAddr, SocketAddr)>,
    pub sessions: HashSet<SessionKey>,
    pub queries: HashSet<(SocketAddr, SocketAddr)>,
    pub allocations: HashSet<AllocationKey>,
    pub associations: HashSet<(SocketAddr, SocketAddr)>,
    pub streams: HashSet<StreamKey>,
}

impl PartScope {
    pub fn of<'p>(parts: impl IntoIterator<Item = &'p FrameOwner>) -> Self {
        let mut s = Self::default();
        for p in parts {
            match p {
                FrameOwner::Dialog(id) => {
                    s.dialogs.insert(id.clone());
                }
                FrameOwner::Connection(k) => {
                    s.connections.insert(*k);
                }
                FrameOwner::Session(k) => {
                    s.sessions.insert(*k);
                }
                FrameOwner::Query(k) => {
                    s.queries.insert(*k);
                }
                FrameOwner::Allocation(k) => {
                    s.allocations.insert(*k);
                }
                FrameOwner::Association(k) => {
                    s.associations.insert(*k);
                }
                FrameOwner::Stream(k) => {
                    s.streams.insert(*k);
                }
                FrameOwner::Unreachable(_) | FrameOwner::Rtcp(_) => {}
            }
        }
        s
    }
}

/// Whether a part is within the scope (everything is, without one).
fn within<K: std::hash::Hash + Eq>(
    scope: Option<&PartScope>,
    set: impl Fn(&PartScope) -> &HashSet<K>,
    key: &K,
) -> bool {
    scope.is_none_or(|s| set(s).contains(key))
}

struct Indexes {
    streams_by_addr: HashMap<SocketAddr, Vec<StreamKey>>,
    /// Streams by (source, destination): the exact join, O(1) however many
    /// calls share one media address (a media server's single port).
    streams_by_pair: HashMap<(SocketAddr, SocketAddr), Vec<StreamKey>>,
    assoc_by_addr: HashMap<SocketAddr, Vec<(SocketAddr, SocketAddr)>>,
    sessions_by_ufrag: HashMap<String, Vec<SessionKey>>,
    /// STUN-server queries by their client's address.
    queries_by_client: HashMap<SocketAddr, Vec<(SocketAddr, SocketAddr)>>,
}

fn build_indexes(an: &Analyzer, scope: Option<&PartScope>) -> Indexes {
    let mut streams_by_addr: HashMap<SocketAddr, Vec<StreamKey>> = HashMap::default();
    let mut streams_by_pair: HashMap<(SocketAddr, SocketAddr), Vec<StreamKey>> = HashMap::default();
    for k in an
        .rtp
        .streams()
        .map(|s| &s.key)
        .filter(|k| within(scope, |s| &s.streams, *k))
    {
        streams_by_addr.entry(k.src).or_default().push(*k);
        streams_by_addr.entry(k.dst).or_default().push(*k);
        streams_by_pair.entry((k.src, k.dst)).or_default().push(*k);
    }
    // Deterministic claims whatever the hash order.
    for v in streams_by_addr
        .values_mut()
        .chain(streams_by_pair.values_mut())
    {
        v.sort_by_key(|k| (k.src, k.dst, k.ssrc, k.epoch));
    }
    let mut assoc_by_addr: HashMap<SocketAddr, Vec<(SocketAddr, SocketAddr)>> = HashMap::default();
    for k in an
        .dtls
        .associations
        .keys()
        .filter(|k| within(scope, |s| &s.associations, *k))
    {
        assoc_by_addr.entry(k.0).or_default().push(*k);
        assoc_by_addr.entry(k.1).or_default().push(*k);
    }
    let mut sessions_by_ufrag: HashMap<String, Vec<SessionKey>> = HashMap::default();
    for s in an
        .ice
        .sessions
        .values()
        .filter(|s| within(scope, |sc| &sc.sessions, &s.key))
    {
        for u in &s.ufrags {
            sessions_by_ufrag.entry(u.clone()).or_default().push(s.key);
        }
    }
    // The same claims whatever the hash order, and whatever parts a scope
    // left out.
    sessions_by_ufrag
        .values_mut()
        .for_each(|v| v.sort_unstable_by_key(|k| k.0));
    assoc_by_addr.values_mut().for_each(|v| v.sort_unstable());
    let mut queries_by_client: HashMap<SocketAddr, Vec<(SocketAddr, SocketAddr)>> =
        HashMap::default();
    for k in an
        .ice
        .server_queries
        .keys()
        .filter(|k| within(scope, |s| &s.queries, *k))
    {
        queries_by_client.entry(k.0).or_default().push(*k);
    }
    Indexes {
        streams_by_addr,
        streams_by_pair,
        assoc_by_addr,
        sessions_by_ufrag,
        queries_by_client,
    }
}

#[derive(Default)]
struct Used {
    sessions: HashSet<SessionKey>,
    allocations: HashSet<AllocationKey>,
    associations: HashSet<(SocketAddr, SocketAddr)>,
    streams: HashSet<StreamKey>,
    queries: HashSet<(SocketAddr, SocketAddr)>,
    connections: HashSet<(SocketAddr, SocketAddr)>,
}

/// Builds every call, borrowing from the trackers, ordered by start time.
pub fn assemble(an: &Analyzer) -> Vec<AssembledCall<'_>> {
    assemble_in(an, None)
}

/// Builds the calls made of the parts in `scope` (every part without
/// one), ordered by start time. A scope closed under claiming gives the
/// calls a whole assembly gives for those parts.
pub fn assemble_in<'a>(an: &'a Analyzer, scope: Option<&PartScope>) -> Vec<AssembledCall<'a>> {
    let idx = build_indexes(an, scope);
    let mut used = Used::default();
    let mut parts_list: Vec<(String, CallKind, CallParts<'_>)> = Vec::new();

    // SIP dialogs first: they claim what their SDP describes.
    let mut dialogs: Vec<&SipDialog> = an
        .sip
        .dialogs()
        .filter(|d| d.kind != DialogKind::Other || d.out_of_dialog())
        .filter(|d| scope.is_none_or(|s| s.dialogs.contains(&d.call_id)))
        .collect();
    dialogs.sort_by(|a, b| (a.first_ts, &a.call_id).cmp(&(b.first_ts, &b.call_id)));
    let mut dialog_parts: Vec<CallParts<'_>> = Vec::with_capacity(dialogs.len());
    let mut sdp_endpoints: Vec<Vec<SocketAddr>> = Vec::with_capacity(dialogs.len());
    for d in &dialogs {
        let mut p = CallParts {
            dialog: Some(*d),
            ..CallParts::default()
        };
        sdp_facts(d, &mut p);
        let mut eps: Vec<SocketAddr> = p.sdp_media.iter().map(|m| m.endpoint).collect();
        eps.sort_unstable();
        eps.dedup();
        sdp_endpoints.push(eps);
        dialog_parts.push(p);
    }
    // Calls that share media addresses: each stream to the call (or the
    // legs of one conversation) whose media it is.
    let media = sip_media::assign(an, &dialogs, &sdp_endpoints, &idx.streams_by_pair);
    for (i, (d, mut p)) in dialogs.iter().copied().zip(dialog_parts).enumerate() {
        // Signalling transport: the TCP connection and ICMP errors, for
        // requests and for responses.
        for t in d.transactions.items() {
            let errors = an
                .transport
                .unreachable_for(t.src, t.dst)
                .chain(an.transport.unreachable_for(t.dst, t.src));
            for u in errors {
                if !p.unreachables.iter().any(|x| x.frame == u.frame) {
                    p.unreachables.push(u);
                }
            }
            if t.transport.is_reliable() && p.connection.is_none() {
                for key in [(t.src, t.dst), (t.dst, t.src)] {
                    if let Some(c) = an.transport.connections.get(&key) {
                        p.connection = Some(c);
                        used.connections.insert(key);
                    }
                }
            }
        }
        for u in p.sdp_ufrags.clone() {
            for k in idx.sessions_by_ufrag.get(&u).into_iter().flatten() {
                if used.sessions.insert(*k) {
                    if let Some(s) = an.ice.session(*k) {
                        p.sessions.push(s);
                    }
                }
            }
        }
        attach_media(
            an,
            &idx,
            scope,
            &mut used,
            &mut p,
            &sdp_endpoints[i],
            SdpStreams {
                streams: &media.per_dialog[i],
                owners: Some(&media.owners),
            },
        );
        let kind = match d.kind {
            DialogKind::Register => CallKind::SipRegistration,
            DialogKind::Invite => CallKind::SipCall,
            DialogKind::Other => CallKind::SipRequest,
        };
        parts_list.push((format!("sip:{}", d.call_id), kind, p));
    }

    // NAT: SIP calls whose media came from other addresses than announced.
    for (_, kind, p) in parts_list.iter_mut() {
        if *kind == CallKind::SipCall && p.streams.is_empty() {
            if let Some(d) = p.dialog {
                attach_media_loose(an, &idx, &mut used, p, call_window(d));
            }
        }
    }

    // ICE sessions with no signalling seen: WebRTC calls.
    let mut sessions: Vec<&IceSession> = an
        .ice
        .sessions
        .values()
        .filter(|s| !used.sessions.contains(&s.key))
        .filter(|s| within(scope, |sc| &sc.sessions, &s.key))
        .collect();
    sessions.sort_by_key(|s| (s.first_ts, s.first_frame));
    for s in sessions {
        if !used.sessions.insert(s.key) {
            continue;
        }
        // Sessions that share a ufrag are one call seen with two ufrag
        // pairs: typically one side's ufrag was altered in transit, so
        // the other side's checks name a ufrag the first never sent.
        let mut members = vec![s];
        for u in &s.ufrags {
            for k in idx.sessions_by_ufrag.get(u).into_iter().flatten() {
                if used.sessions.insert(*k) {
                    if let Some(other) = an.ice.session(*k) {
                        members.push(other);
                    }
                }
            }
        }
        let mut p = CallParts {
            sessions: members,
            ..CallParts::default()
        };
        attach_media(
            an,
            &idx,
            scope,
            &mut used,
            &mut p,
            &[],
            SdpStreams::default(),
        );
        parts_list.push((id::ice(s), CallKind::Webrtc, p));
    }

    // DTLS associations that nothing claimed.
    let mut assocs: Vec<&DtlsAssociation> = an
        .dtls
        .associations
        .iter()
        .filter(|(k, _)| !used.associations.contains(*k))
        .filter(|(k, _)| within(scope, |s| &s.associations, *k))
        .map(|(_, a)| a)
        .collect();
    assocs.sort_by_key(|a| (a.first_ts, a.first_frame));
    for a in assocs {
        used.associations.insert(a.key());
        let mut p = CallParts {
            associations: vec![a],
            ..CallParts::default()
        };
        attach_streams_between(an, &idx, &mut used, &mut p, a.client, a.server);
        parts_list.push((id::dtls(a), CallKind::DtlsSession, p));
    }

    // TURN allocations that no session used.
    let mut allocs: Vec<&Allocation> = an
        .turn
        .allocations
        .iter()
        .filter(|(k, _)| !used.allocations.contains(*k))
        .filter(|(k, _)| within(scope, |s| &s.allocations, *k))
        .map(|(_, a)| a)
        .collect();
    allocs.sort_by_key(|a| (a.first_ts, a.client));
    for a in allocs {
        used.allocations.insert((a.client, a.server));
        let p = CallParts {
            allocations: vec![a],
            unreachables: an.transport.unreachable_for(a.client, a.server).collect(),
            ..CallParts::default()
        };
        parts_list.push((id::turn(a), CallKind::TurnAllocation, p));
    }

    // STUN-server queries that got no answer and belong to nothing.
    let mut queries: Vec<&ServerQuery> = an
        .ice
        .server_queries
        .iter()
        .filter(|(k, q)| {
            !used.queries.contains(*k)
                && within(scope, |s| &s.queries, *k)
                && q.successes == 0
                && !an.turn.is_server(q.server)
        })
        .map(|(_, q)| q)
        .collect();
    queries.sort_by_key(|q| (q.first.1, q.first.0));
    for q in queries {
        let p = CallParts {
            server_queries: vec![q],
            ..CallParts::default()
        };
        parts_list.push((id::stun(q), CallKind::StunGathering, p));
    }

    // SIP connections that failed before SIP could be seen on them.
    let mut conns: Vec<&TcpConnection> = an
        .transport
        .connections
        .iter()
        .filter(|(k, c)| {
            !used.connections.contains(*k)
                && within(scope, |s| &s.connections, *k)
                && c.failed_before_sip()
        })
        .map(|(_, c)| c)
        .collect();
    conns.sort_by_key(|c| (c.first_ts, c.client));
    for c in conns {
        let p = CallParts {
            connection: Some(c),
            ..CallParts::default()
        };
        parts_list.push((id::tcp(c), CallKind::SipConnection, p));
    }

    // RTP nobody claimed, grouped by the pair of addresses.
    let mut groups: HashMap<(SocketAddr, SocketAddr), Vec<&RtpStream>> = HashMap::default();
    for s in an.rtp.streams() {
        if used.streams.contains(&s.key) || !within(scope, |sc| &sc.streams, &s.key) {
            continue;
        }
        groups
            .entry(unordered(s.key.src, s.key.dst))
            .or_default()
            .push(s);
    }
    for ((a, b), mut streams) in groups {
        streams.sort_by_key(|s| (s.first_ts, s.first_frame));
        let p = CallParts {
            streams,
            ..CallParts::default()
        };
        parts_list.push((id::rtp(a, b), CallKind::RtpSession, p));
    }

    let mut calls: Vec<AssembledCall<'_>> = parts_list
        .into_iter()
        .map(|(id, kind, p)| AssembledCall {
            id,
            kind,
            start_ts: p.start_ts(),
            end_ts: p.end_ts(),
            endpoints: endpoints_of(&p),
            parts: p,
        })
        .collect();
    calls.sort_by(|a, b| (a.start_ts, &a.id).cmp(&(b.start_ts, &b.id)));
    calls
}

/// A call as correlation found it: its identity and the parts that belong
/// to it, borrowed from the trackers. Judging it is the verdict layer's job.
#[derive(Debug)]
pub struct AssembledCall<'a> {
    /// Stable for the same call however often calls are read: built from
    /// what keys the call (`sip:` Call-ID, `ice:` ufrags, `rtp:` addresses...).
    pub id: String,
    pub kind: CallKind,
    pub start_ts: i64,
    pub end_ts: i64,
    pub endpoints: Vec<SocketAddr>,
    pub parts: CallParts<'a>,
}

/// Call ids, by the part a call is built from: the same functions name a
/// part standing alone as a call and recognise it inside another call.
mod id {
    use std::net::SocketAddr;

    use super::{Allocation, DtlsAssociation, IceSession, ServerQuery, TcpConnection};

    pub fn ice(s: &IceSession) -> String {
        let mut u = s.ufrags.clone();
        u.sort();
        format!("ice:{}", u.join(":"))
    }

    pub fn dtls(a: &DtlsAssociation) -> String {
        format!("dtls:{}-{}", a.first_seen.0, a.first_seen.1)
    }

    pub fn turn(a: &Allocation) -> String {
        format!("turn:{}-{}", a.client, a.server)
    }

    pub fn stun(q: &ServerQuery) -> String {
        format!("stun:{}-{}", q.client, q.server)
    }

    pub fn tcp(c: &TcpConnection) -> String {
        format!("tcp:{}-{}", c.client, c.server)
    }

    /// RTP between two addresses, given in [`super::unordered`] order.
    pub fn rtp(a: SocketAddr, b: SocketAddr) -> String {
        format!("rtp:{a}-{b}")
    }
}

impl CallParts<'_> {
    /// The ids each part of the call would have as a call of its own: how
    /// a call read earlier is recognised inside the one that took it.
    pub fn standalone_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.sessions.iter().map(|s| id::ice(s)).collect();
        v.extend(self.associations.iter().map(|a| id::dtls(a)));
        v.extend(self.allocations.iter().map(|a| id::turn(a)));
        v.extend(self.server_queries.iter().map(|q| id::stun(q)));
        v.extend(self.connection.map(id::tcp));
        for s in &self.streams {
            let (a, b) = unordered(s.key.src, s.key.dst);
            v.push(id::rtp(a, b));
        }
        v
    }
}

/// Idle time after which nothing but new traffic can change a call's
/// verdict: longer than every timer the verdicts wait for (SIP Timer B,
/// 32 s; STUN's last retransmission, about 39.5 s; DTLS's 60 s flight
/// timer is cut short by its retransmission count).
pub const IDLE_FINISHED_NS: i64 = 64_000_000_000;
/// A call that ended (BYE answered, or a final refusal) is kept this long
/// after its last packet: for trailing media and retransmitted responses
/// (Timer H waits 32 s for the ACK of a refusal).
pub const ENDED_GRACE_NS: i64 = 34_000_000_000;
/// An answered call with no BYE may be on hold with no media at all, and a
/// registration refreshes under one Call-ID: kept for an hour of silence
/// before they are finalised as they stand.
pub const ESTABLISHED_IDLE_NS: i64 = 3_600_000_000_000;

impl AssembledCall<'_> {
    /// Whether the call is over as of capture time `now`: ended and past
    /// its grace period, or idle past every timer. A finished call can be
    /// judged once and forgotten.
    pub fn finished(&self, now: i64) -> bool {
        let idle = now.saturating_sub(self.end_ts);
        // A registration refreshes itself under one Call-ID (RFC 3261
        // s10.2.4), often every few minutes: one binding over time.
        if self.kind == CallKind::SipRegistration {
            return idle > ESTABLISHED_IDLE_NS;
        }
        let Some(d) = self.parts.dialog.filter(|_| self.kind == CallKind::SipCall) else {
            return idle > IDLE_FINISHED_NS;
        };
        if self.ended() {
            idle > ENDED_GRACE_NS
        } else if d.accepted().is_some() {
            idle > ESTABLISHED_IDLE_NS
        } else {
            idle > IDLE_FINISHED_NS
        }
    }

    /// A SIP call that signalling ended: its BYE was answered, or it was
    /// refused. Its verdict no longer depends on the time.
    pub fn ended(&self) -> bool {
        let Some(d) = self.parts.dialog.filter(|_| self.kind == CallKind::SipCall) else {
            return false;
        };
        let bye_answered = d
            .transactions_of("BYE")
            .any(|t| t.final_response().is_some());
        let last_main = d.main_transactions().last();
        // A challenge (401, 407) is usually answered with credentials in
        // the same Call-ID: not an end.
        let refused = last_main
            .and_then(|t| t.final_response())
            .is_some_and(|r| r.status >= 300 && r.status != 401 && r.status != 407);
        bye_answered || refused
    }
}

impl CallParts<'_> {
    /// What owns the frames of this call: the key of every part, and the
    /// RTCP flows beside its RTP streams (on the same ports, or on the
    /// next ports up, RFC 3550 s11).
    pub fn frame_owners(&self) -> Vec<FrameOwner> {
        let mut v = Vec::new();
        if let Some(d) = self.dialog {
            v.push(FrameOwner::Dialog(d.call_id.clone()));
        }
        if let Some(c) = self.connection {
            v.push(FrameOwner::Connection((c.client, c.server)));
        }
        v.extend(
            self.unreachables
                .iter()
                .map(|u| FrameOwner::Unreachable(u.frame)),
        );
        v.extend(self.sessions.iter().map(|s| FrameOwner::Session(s.key)));
        v.extend(
            self.server_queries
                .iter()
                .map(|q| FrameOwner::Query((q.client, q.server))),
        );
        v.extend(
            self.allocations
                .iter()
                .map(|a| FrameOwner::Allocation((a.client, a.server))),
        );
        v.extend(
            self.associations
                .iter()
                .map(|a| FrameOwner::Association(a.key())),
        );
        let mut rtcp: Vec<(SocketAddr, SocketAddr)> = Vec::new();
        for s in &self.streams {
            v.push(FrameOwner::Stream(s.key));
            let (a, b) = (s.key.src, s.key.dst);
            let up = |x: SocketAddr| SocketAddr::new(x.ip(), x.port().wrapping_add(1));
            for flow in [(a, b), (b, a), (up(a), up(b)), (up(b), up(a))] {
                if !rtcp.contains(&flow) {
                    rtcp.push(flow);
                }
            }
        }
        v.extend(rtcp.into_iter().map(FrameOwner::Rtcp));
        v
    }

    /// How many frames belong to the call (as `export` writes them).
    pub fn frame_count(&self, an: &Analyzer) -> u64 {
        self.frame_owners().iter().map(|o| an.frames_of(o)).sum()
    }
}

/// What the dialog's SDP bodies say: media endpoints, ICE ufrags and
/// candidates, DTLS fingerprints.
pub(super) fn sdp_facts<'a>(d: &'a SipDialog, p: &mut CallParts<'a>) {
    for s in d.sdps.items() {
        let sdp = &s.sdp;
        let ice = sdp.ice_ufrag.is_some() || sdp.media.iter().any(|m| m.ice_ufrag.is_some());
        for (ip, port, m) in sdp.media_endpoints() {
            p.sdp_media.push(SdpMedia {
                from_caller: s.from_caller,
                endpoint: SocketAddr::new(ip, port),
                direction: m.direction.or(sdp.direction).unwrap_or(Direction::SendRecv),
                kind: m.kind.clone(),
                frame: s.frame,
                ts: s.ts,
                ice,
            });
        }
        let mut ufrags: Vec<&String> = sdp.ice_ufrag.iter().collect();
        let mut fps = sdp.fingerprint.iter().collect::<Vec<_>>();
        for m in &sdp.media {
            ufrags.extend(m.ice_ufrag.iter());
            fps.extend(m.fingerprint.iter());
            for c in &m.candidates {
                if let Ok(ip) = c.address.parse::<IpAddr>() {
                    p.sdp_candidates.push((
                        c.typ.clone(),
                        SocketAddr::new(ip, c.port),
                        s.from_caller,
                    ));
                }
            }
        }
        for u in ufrags {
            if !p.sdp_ufrags.contains(u) {
                p.sdp_ufrags.push(u.clone());
            }
        }
        for f in fps {
            p.sdp_fingerprints
                .push((s.from_caller, f.hash.clone(), f.value.clone()));
        }
    }
}

/// The RTP streams [`sip_media::assign`] gave a dialog, and how many
/// dialogs each of them went to.
#[derive(Default, Clone, Copy)]
struct SdpStreams<'s, 'a> {
    streams: &'s [&'a RtpStream],
    owners: Option<&'s HashMap<StreamKey, u32>>,
}

/// Claims, for a call, the ICE-related and media parts reachable from its
/// sessions' candidate pairs and from its SDP endpoints.
fn attach_media<'a>(
    an: &'a Analyzer,
    idx: &Indexes,
    scope: Option<&PartScope>,
    used: &mut Used,
    p: &mut CallParts<'a>,
    sdp_endpoints: &[SocketAddr],
    sdp_streams: SdpStreams<'_, 'a>,
) {
    let mut addrs: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut locals: Vec<SocketAddr> = Vec::new();
    for s in &p.sessions {
        for pair in s.pairs.items() {
            addrs.push((pair.local, pair.remote));
            locals.push(pair.local);
            locals.push(pair.remote);
        }
    }
    for (a, b) in addrs {
        attach_streams_between(an, idx, used, p, a, b);
        let key = unordered(a, b);
        if let Some(assoc) = an.dtls.associations.get(&key) {
            if within(scope, |s| &s.associations, &key) && used.associations.insert(key) {
                p.associations.push(assoc);
            }
        }
    }
    // Media between two addresses the SDP announced, during the call. A
    // stream given to the legs of one conversation goes to each of them.
    for s in sdp_streams.streams {
        let shared = sdp_streams
            .owners
            .and_then(|o| o.get(&s.key))
            .is_some_and(|n| *n > 1);
        if (used.streams.insert(s.key) || shared) && !p.streams.iter().any(|x| x.key == s.key) {
            p.streams.push(s);
        }
    }
    for a in sdp_endpoints {
        for b in sdp_endpoints {
            if a < b {
                if let Some(assoc) = an.dtls.associations.get(&(*a, *b)) {
                    if within(scope, |s| &s.associations, &(*a, *b))
                        && used.associations.insert((*a, *b))
                    {
                        p.associations.push(assoc);
                    }
                }
            }
        }
    }
    // TURN: allocations whose client or relayed address took part in the
    // checks, or whose relayed address the SDP offered.
    let mut turn_addrs = locals.clone();
    turn_addrs.extend(
        p.sdp_candidates
            .iter()
            .filter(|(t, _, _)| t == "relay")
            .map(|(_, a, _)| *a),
    );
    for addr in turn_addrs {
        for a in an.turn.owning(addr) {
            let key = (a.client, a.server);
            if within(scope, |s| &s.allocations, &key) && used.allocations.insert(key) {
                p.allocations.push(a);
            }
        }
    }
    for a in &p.allocations {
        for u in an.transport.unreachable_for(a.client, a.server) {
            if !p.unreachables.iter().any(|x| x.frame == u.frame) {
                p.unreachables.push(u);
            }
        }
    }
    // STUN servers queried from the addresses the session used.
    let clients: HashSet<SocketAddr> = locals
        .iter()
        .copied()
        .chain(p.allocations.iter().map(|a| a.client))
        .chain(p.sdp_candidates.iter().map(|(_, a, _)| *a))
        .collect();
    let mut qs: Vec<(SocketAddr, SocketAddr)> = clients
        .iter()
        .flat_map(|c| idx.queries_by_client.get(c).into_iter().flatten())
        .copied()
        .collect();
    qs.sort_unstable();
    for k in qs {
        let Some(q) = an.ice.server_queries.get(&k) else {
            continue;
        };
        if !an.turn.is_server(q.server) && used.queries.insert(k) {
            p.server_queries.push(q);
        }
    }
    p.streams.sort_by_key(|s| (s.first_ts, s.first_frame));
}

/// Second pass for SIP calls left without media: media that reaches one
/// of the SDP's addresses (the other side is behind a NAT, so its address
/// is not the one it announced), during the call.
fn attach_media_loose<'a>(
    an: &'a Analyzer,
    idx: &Indexes,
    used: &mut Used,
    p: &mut CallParts<'a>,
    window: (i64, i64),
) {
    let endpoints: Vec<SocketAddr> = p.sdp_media.iter().map(|m| m.endpoint).collect();
    for ep in &endpoints {
        for k in idx.streams_by_addr.get(ep).into_iter().flatten() {
            claim_stream(an, used, p, k, window);
        }
        for k in idx.assoc_by_addr.get(ep).into_iter().flatten() {
            let Some(a) = an.dtls.associations.get(k) else {
                continue;
            };
            if a.last_ts >= window.0 && a.first_ts <= window.1 && used.associations.insert(*k) {
                p.associations.push(a);
            }
        }
    }
    p.streams.sort_by_key(|s| (s.first_ts, s.first_frame));
}

fn claim_stream<'a>(
    an: &'a Analyzer,
    used: &mut Used,
    p: &mut CallParts<'a>,
    k: &StreamKey,
    window: (i64, i64),
) {
    let Some(s) = an.rtp.get(k) else {
        return;
    };
    if s.last_ts >= window.0 && s.first_ts <= window.1 && used.streams.insert(*k) {
        p.streams.push(s);
    }
}

/// How far before its first message and after its last a SIP call's window
/// reaches. Trackers touch media that moves across it (a stream quiet for
/// longer may have left or entered a window while silent).
pub const MEDIA_WINDOW_SLACK_NS: i64 = 5_000_000_000;

/// When a SIP call can carry media: from its first message until a little
/// after its BYE, or to the end of the capture if it never ended.
fn call_window(d: &SipDialog) -> (i64, i64) {
    let end = match d.transaction("BYE") {
        Some(_) => d.last_ts.saturating_add(MEDIA_WINDOW_SLACK_NS),
        None => i64::MAX,
    };
    (d.first_ts.saturating_sub(MEDIA_WINDOW_SLACK_NS), end)
}

fn attach_streams_between<'a>(
    an: &'a Analyzer,
    idx: &Indexes,
    used: &mut Used,
    p: &mut CallParts<'a>,
    a: SocketAddr,
    b: SocketAddr,
) {
    for key in [(a, b), (b, a)] {
        for k in idx.streams_by_pair.get(&key).into_iter().flatten() {
            claim_stream(an, used, p, k, (i64::MIN, i64::MAX));
        }
    }
}

pub(super) fn endpoints_of(p: &CallParts<'_>) -> Vec<SocketAddr> {
    let mut v = Vec::new();
    if let Some(d) = p.dialog {
        v.push(d.caller);
        v.push(d.callee);
    } else if let Some(c) = p.connection {
        v.push(c.client);
        v.push(c.server);
    } else if let Some(s) = p.sessions.first() {
        if let Some(pair) = s.selected_pair().or_else(|| s.pairs.items().first()) {
            v.push(pair.local);
            v.push(pair.remote);
        }
    } else if let Some(a) = p.associations.first() {
        v.push(a.client);
        v.push(a.server);
    } else if let Some(a) = p.allocations.first() {
        v.push(a.client);
        v.push(a.server);
    } else if let Some(q) = p.server_queries.first() {
        v.push(q.client);
        v.push(q.server);
    } else if let Some(s) = p.streams.first() {
        v.push(s.key.src);
        v.push(s.key.dst);
    }
    v
}
