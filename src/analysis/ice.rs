//! STUN transactions, ICE sessions and STUN-server queries (RFC 8489,
//! RFC 8445, RFC 7675 consent freshness).
//!
//! An ICE connectivity check is a Binding request whose USERNAME is
//! `receiver-ufrag:sender-ufrag` (RFC 8445 s7.2.2), so both directions of
//! one session share the unordered ufrag pair: that pair is the session key.
//! A Binding request without USERNAME goes to a STUN server (server-reflexive
//! candidate gathering).

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::stun::{method, StunClass, StunMessage};

use super::evidence::Bounded;

const MAX_PAIRS: usize = 64;
const MAX_ERRORS: usize = 16;
const MAX_TRANSACTIONS: usize = 1_000_000;
const MAX_SESSIONS: usize = 100_000;

/// How a STUN message reached us: straight, or inside TURN (then the
/// addresses are the virtual ones: relayed address and peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    Direct,
    Relayed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey(pub u64);

#[derive(Debug, Clone)]
pub struct StunResponse {
    pub success: bool,
    pub code: Option<u16>,
    pub reason: String,
    pub frame: u64,
    pub ts: i64,
}

#[derive(Debug, Clone)]
pub enum TxnRole {
    Check { session: SessionKey, pair: usize },
    ServerQuery { key: (SocketAddr, SocketAddr) },
    Turn,
    Other,
}

#[derive(Debug, Clone)]
pub struct StunTransaction {
    pub method: u16,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    /// Transmissions per leg: a message seen on both legs of a relayed path
    /// is one transmission, not a retransmission.
    pub sent_direct: u32,
    pub sent_relayed: u32,
    pub role: TxnRole,
    pub response: Option<StunResponse>,
    pub with_integrity: bool,
}

impl StunTransaction {
    pub fn transmissions(&self) -> u32 {
        self.sent_direct.max(self.sent_relayed)
    }
}

#[derive(Debug, Clone)]
pub struct CandidatePair {
    /// The side that sent the checks.
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub relayed: bool,
    pub checks: u32,
    pub transmissions: u32,
    pub successes: u32,
    pub errors: u32,
    pub nominated: bool,
    pub first_check: (u64, i64),
    pub last_check_ts: i64,
    pub last_check_frame: u64,
    pub first_success: Option<(u64, i64)>,
    pub last_success: Option<(u64, i64)>,
    /// Checks on this pair first sent after its last success and still
    /// unanswered, the first of them and the last transmission: consent
    /// lost (RFC 7675) shows as a run of these on a pair that worked.
    pub unanswered_since_success: u32,
    pub first_unanswered_after_success: Option<(u64, i64)>,
    pub last_unanswered_ts: i64,
    /// Round-trip times of answered checks that were sent once (Karn's
    /// rule: a retransmitted check's answer cannot be matched to one send).
    pub rtt_sum_ns: i64,
    pub rtt_samples: u32,
}

impl CandidatePair {
    /// Mean round-trip time of its checks, in milliseconds.
    pub fn rtt_ms(&self) -> Option<f64> {
        (self.rtt_samples > 0).then(|| self.rtt_sum_ns as f64 / f64::from(self.rtt_samples) / 1e6)
    }
}

#[derive(Debug, Clone)]
pub struct IceSession {
    pub key: SessionKey,
    pub ufrags: [String; 2],
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub pairs: Bounded<CandidatePair>,
    /// Check transactions, and their transmissions with retransmissions.
    pub checks: u32,
    pub transmissions: u32,
    pub answered: u32,
    pub errors: Bounded<(u16, String, u64, i64)>,
    pub last_success: Option<(u64, i64)>,
}

impl IceSession {
    /// The pair that carries media: nominated and answered, else the one
    /// answered last.
    pub fn selected_pair(&self) -> Option<&CandidatePair> {
        let ok = self.pairs.items().iter().filter(|p| p.successes > 0);
        ok.clone()
            .filter(|p| p.nominated)
            .max_by_key(|p| p.last_success.map(|s| s.1))
            .or_else(|| ok.max_by_key(|p| p.last_success.map(|s| s.1)))
    }

    /// The first answered check of the session.
    pub fn first_success(&self) -> Option<(u64, i64)> {
        self.pairs
            .items()
            .iter()
            .filter_map(|p| p.first_success)
            .min_by_key(|x| x.1)
    }

    pub fn has(&self, ufrag: &str) -> bool {
        self.ufrags.iter().any(|u| u == ufrag)
    }
}

#[derive(Debug, Clone)]
pub struct ServerQuery {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub requests: u32,
    pub transmissions: u32,
    pub successes: u32,
    pub errors: u32,
    pub first: (u64, i64),
    pub last_ts: i64,
    pub mapped: Option<SocketAddr>,
}

#[derive(Debug, Default)]
pub struct IceTracker {
    pub transactions: HashMap<[u8; 12], StunTransaction>,
    pub sessions: HashMap<SessionKey, IceSession>,
    ufrag_keys: HashMap<(String, String), SessionKey>,
    pub server_queries: HashMap<(SocketAddr, SocketAddr), ServerQuery>,
    next_key: u64,
    pub dropped_transactions: u64,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
}

/// Splits a USERNAME `a:b` (RFC 8445 s7.2.2); TURN usernames have no colon
/// pairing meaning and are not checks.
fn split_username(u: &[u8]) -> Option<(String, String)> {
    let s = std::str::from_utf8(u).ok()?;
    let (a, b) = s.split_once(':')?;
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some((a.to_string(), b.to_string()))
}

/// How long a STUN transaction is kept after its last message: past the
/// longest retransmission schedule (RFC 8489 s6.2.1: Rc = 7 transmissions,
/// about 39.5 s at the default RTO), no retransmission or response can
/// still come. What a transaction taught is kept in its pair or query.
pub const TRANSACTION_KEEP_NS: i64 = 64_000_000_000;

impl IceTracker {
    pub fn session(&self, key: SessionKey) -> Option<&IceSession> {
        self.sessions.get(&key)
    }

    /// Forgets transactions whose last message is older than
    /// [`TRANSACTION_KEEP_NS`] before `now`, so a long session's checks
    /// (consent every few seconds for hours) do not pile up.
    pub fn prune_transactions(&mut self, now: i64) {
        self.transactions
            .retain(|_, t| now.saturating_sub(t.last_ts) < TRANSACTION_KEEP_NS);
    }

    /// Forgets sessions and server queries whose call was finalised, and
    /// their transactions.
    pub fn release(&mut self, sessions: &[SessionKey], queries: &[(SocketAddr, SocketAddr)]) {
        if sessions.is_empty() && queries.is_empty() {
            return;
        }
        for k in sessions {
            if let Some(s) = self.sessions.remove(k) {
                let [a, b] = s.ufrags;
                self.ufrag_keys.remove(&super::unordered(a, b));
            }
        }
        for q in queries {
            self.server_queries.remove(q);
        }
        self.transactions.retain(|_, t| match &t.role {
            TxnRole::Check { session, .. } => !sessions.contains(session),
            TxnRole::ServerQuery { key } => !queries.contains(key),
            _ => true,
        });
    }

    /// A Binding message (request or response). Returns the transaction
    /// it belongs to when there is one.
    pub fn on_binding(
        &mut self,
        msg: &StunMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
    ) {
        if msg.method != method::BINDING {
            return;
        }
        match msg.class {
            StunClass::Request => self.on_request(msg, frame, ts, src, dst, leg),
            StunClass::SuccessResponse | StunClass::ErrorResponse => {
                self.on_response(msg, frame, ts)
            }
            StunClass::Indication => {}
        }
    }

    fn on_request(
        &mut self,
        msg: &StunMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
    ) {
        if let Some(t) = self.transactions.get_mut(&msg.transaction_id) {
            let before = t.transmissions();
            match leg {
                Leg::Direct => t.sent_direct += 1,
                Leg::Relayed => t.sent_relayed += 1,
            }
            let n = t.transmissions();
            // The same request seen on the other leg of a relay is the
            // same transmission: the pair's last check stays the frame
            // that first showed it.
            let new_transmission = n > before;
            t.last_ts = ts;
            if let TxnRole::Check { session, pair } = t.role {
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.last_ts = ts;
                    s.transmissions += 1;
                    if let Some(p) = s.pairs.items_mut().get_mut(pair) {
                        p.transmissions = p.transmissions.max(n);
                        if new_transmission {
                            p.last_check_ts = ts;
                            p.last_check_frame = frame;
                            if p.last_success.is_some() && t.response.is_none() {
                                p.last_unanswered_ts = ts;
                            }
                        }
                    }
                }
            }
            if let TxnRole::ServerQuery { key } = t.role {
                if let Some(q) = self.server_queries.get_mut(&key) {
                    q.transmissions += 1;
                    q.last_ts = ts;
                }
            }
            return;
        }
        if self.transactions.len() >= MAX_TRANSACTIONS {
            self.dropped_transactions += 1;
            return;
        }
        let role = match msg.username().and_then(split_username) {
            Some((receiver, sender)) => self.check(msg, frame, ts, src, dst, leg, receiver, sender),
            None => {
                let key = (src, dst);
                if !self.server_queries.contains_key(&key) {
                    self.touched.touch(super::FrameOwner::Query(key));
                }
                let q = self.server_queries.entry(key).or_insert(ServerQuery {
                    client: src,
                    server: dst,
                    requests: 0,
                    transmissions: 0,
                    successes: 0,
                    errors: 0,
                    first: (frame, ts),
                    last_ts: ts,
                    mapped: None,
                });
                q.requests += 1;
                q.transmissions += 1;
                q.last_ts = ts;
                TxnRole::ServerQuery { key }
            }
        };
        self.transactions.insert(
            msg.transaction_id,
            StunTransaction {
                method: msg.method,
                src,
                dst,
                first_frame: frame,
                first_ts: ts,
                last_ts: ts,
                sent_direct: u32::from(leg == Leg::Direct),
                sent_relayed: u32::from(leg == Leg::Relayed),
                role,
                response: None,
                with_integrity: msg.has_message_integrity(),
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &mut self,
        msg: &StunMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        leg: Leg,
        receiver: String,
        sender: String,
    ) -> TxnRole {
        let pair_key = super::unordered(receiver.clone(), sender.clone());
        let key = match self.ufrag_keys.get(&pair_key) {
            Some(k) => *k,
            None => {
                if self.sessions.len() >= MAX_SESSIONS {
                    return TxnRole::Other;
                }
                let k = SessionKey(self.next_key);
                self.next_key += 1;
                self.ufrag_keys.insert(pair_key.clone(), k);
                self.touched.touch(super::FrameOwner::Session(k));
                self.sessions.insert(
                    k,
                    IceSession {
                        key: k,
                        ufrags: [sender.clone(), receiver.clone()],
                        first_frame: frame,
                        first_ts: ts,
                        last_ts: ts,
                        pairs: Bounded::new(MAX_PAIRS),
                        checks: 0,
                        transmissions: 0,
                        answered: 0,
                        errors: Bounded::new(MAX_ERRORS),
                        last_success: None,
                    },
                );
                k
            }
        };
        let Some(s) = self.sessions.get_mut(&key) else {
            return TxnRole::Other;
        };
        s.last_ts = ts;
        s.checks += 1;
        s.transmissions += 1;
        let idx = match s
            .pairs
            .items()
            .iter()
            .position(|p| p.local == src && p.remote == dst)
        {
            Some(i) => i,
            None => {
                if s.pairs.len() >= MAX_PAIRS {
                    return TxnRole::Other;
                }
                self.touched.touch(super::FrameOwner::Session(key));
                s.pairs.push(CandidatePair {
                    local: src,
                    remote: dst,
                    relayed: leg == Leg::Relayed,
                    checks: 0,
                    transmissions: 0,
                    successes: 0,
                    errors: 0,
                    nominated: false,
                    first_check: (frame, ts),
                    last_check_ts: ts,
                    last_check_frame: frame,
                    first_success: None,
                    last_success: None,
                    unanswered_since_success: 0,
                    first_unanswered_after_success: None,
                    last_unanswered_ts: 0,
                    rtt_sum_ns: 0,
                    rtt_samples: 0,
                });
                s.pairs.len() - 1
            }
        };
        if let Some(p) = s.pairs.items_mut().get_mut(idx) {
            p.checks += 1;
            p.transmissions = p.transmissions.max(1);
            p.last_check_ts = ts;
            p.last_check_frame = frame;
            if msg.use_candidate() {
                p.nominated = true;
            }
            if p.last_success.is_some() {
                p.unanswered_since_success += 1;
                p.first_unanswered_after_success.get_or_insert((frame, ts));
                p.last_unanswered_ts = ts;
            }
        }
        TxnRole::Check {
            session: key,
            pair: idx,
        }
    }

    fn on_response(&mut self, msg: &StunMessage<'_>, frame: u64, ts: i64) {
        let Some(t) = self.transactions.get_mut(&msg.transaction_id) else {
            return;
        };
        if t.response.is_some() {
            return;
        }
        let success = msg.class == StunClass::SuccessResponse;
        let (code, reason) = super::stun_error(msg);
        let rtt = (t.transmissions() == 1).then(|| ts - t.first_ts);
        t.response = Some(StunResponse {
            success,
            code,
            reason: reason.clone(),
            frame,
            ts,
        });
        match t.role.clone() {
            TxnRole::Check { session, pair } => {
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.last_ts = ts;
                    if success {
                        s.answered += 1;
                        s.last_success = Some((frame, ts));
                    } else {
                        s.errors.push((code.unwrap_or(0), reason, frame, ts));
                    }
                    if let Some(p) = s.pairs.items_mut().get_mut(pair) {
                        if success {
                            p.successes += 1;
                            p.first_success.get_or_insert((frame, ts));
                            p.last_success = Some((frame, ts));
                            p.unanswered_since_success = 0;
                            p.first_unanswered_after_success = None;
                            if let Some(rtt) = rtt.filter(|r| *r >= 0) {
                                p.rtt_sum_ns += rtt;
                                p.rtt_samples += 1;
                            }
                        } else {
                            p.errors += 1;
                        }
                    }
                }
            }
            TxnRole::ServerQuery { key } => {
                if let Some(q) = self.server_queries.get_mut(&key) {
                    if success {
                        if q.successes == 0 {
                            self.touched.touch(super::FrameOwner::Query(key));
                        }
                        q.successes += 1;
                        q.mapped = msg.xor_mapped_address().or(q.mapped);
                    } else {
                        q.errors += 1;
                    }
                }
            }
            TxnRole::Turn | TxnRole::Other => {}
        }
    }
}
