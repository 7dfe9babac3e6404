//! A call's members: the keys of its parts, which stay valid from one
//! read to the next while no part is created or released, so a changed
//! call can be rebuilt and judged alone.

use std::net::SocketAddr;

use super::calls::{endpoints_of, sdp_facts, AssembledCall, CallKind, CallParts};
use super::ice::SessionKey;
use super::rtp::StreamKey;
use super::turn::AllocationKey;
use super::Analyzer;

/// The keys of a call's parts: what stays valid from one read to the next
/// while the parts it names live.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallMembers {
    pub dialog: Option<String>,
    pub connection: Option<(SocketAddr, SocketAddr)>,
    pub unreachables: Vec<u64>,
    pub sessions: Vec<SessionKey>,
    pub queries: Vec<(SocketAddr, SocketAddr)>,
    pub allocations: Vec<AllocationKey>,
    pub associations: Vec<(SocketAddr, SocketAddr)>,
    pub streams: Vec<StreamKey>,
}

impl CallParts<'_> {
    /// How many parts the call has.
    pub fn part_count(&self) -> usize {
        usize::from(self.dialog.is_some())
            + usize::from(self.connection.is_some())
            + self.unreachables.len()
            + self.sessions.len()
            + self.server_queries.len()
            + self.allocations.len()
            + self.associations.len()
            + self.streams.len()
    }

    pub fn members(&self) -> CallMembers {
        CallMembers {
            dialog: self.dialog.map(|d| d.call_id.clone()),
            connection: self.connection.map(|c| (c.client, c.server)),
            unreachables: self.unreachables.iter().map(|u| u.frame).collect(),
            sessions: self.sessions.iter().map(|s| s.key).collect(),
            queries: self
                .server_queries
                .iter()
                .map(|q| (q.client, q.server))
                .collect(),
            allocations: self
                .allocations
                .iter()
                .map(|a| (a.client, a.server))
                .collect(),
            associations: self.associations.iter().map(|a| a.key()).collect(),
            streams: self.streams.iter().map(|s| s.key).collect(),
        }
    }
}

/// The latest activity of any part named, as the trackers have it now.
pub fn last_activity(an: &Analyzer, m: &CallMembers) -> i64 {
    let mut t = i64::MIN;
    let mut take = |x: i64| t = t.max(x);
    if let Some(d) = m.dialog.as_deref().and_then(|id| an.sip.dialog(id)) {
        take(d.last_ts);
    }
    if let Some(c) = m.connection.and_then(|k| an.transport.connections.get(&k)) {
        take(c.last_ts);
    }
    m.sessions
        .iter()
        .filter_map(|k| an.ice.session(*k))
        .for_each(|s| take(s.last_ts));
    m.queries
        .iter()
        .filter_map(|k| an.ice.server_queries.get(k))
        .for_each(|q| take(q.last_ts));
    m.allocations
        .iter()
        .filter_map(|k| an.turn.get(k))
        .for_each(|a| take(a.last_ts));
    m.associations
        .iter()
        .filter_map(|k| an.dtls.associations.get(k))
        .for_each(|a| take(a.last_ts));
    m.streams
        .iter()
        .filter_map(|k| an.rtp.get(k))
        .for_each(|s| take(s.last_ts));
    t
}

/// A call rebuilt from its members, as [`super::calls::assemble`] would build it while
/// no part was created or released since (same parts, same order).
pub fn rebuild<'a>(
    an: &'a Analyzer,
    id: &str,
    kind: CallKind,
    m: &CallMembers,
) -> AssembledCall<'a> {
    let mut p = CallParts::default();
    if let Some(d) = m.dialog.as_deref().and_then(|id| an.sip.dialog(id)) {
        p.dialog = Some(d);
        sdp_facts(d, &mut p);
    }
    p.connection = m.connection.and_then(|k| an.transport.connections.get(&k));
    p.unreachables = m
        .unreachables
        .iter()
        .filter_map(|f| an.transport.unreachables.iter().find(|u| u.frame == *f))
        .collect();
    p.sessions = m
        .sessions
        .iter()
        .filter_map(|k| an.ice.session(*k))
        .collect();
    p.server_queries = m
        .queries
        .iter()
        .filter_map(|k| an.ice.server_queries.get(k))
        .collect();
    p.allocations = m
        .allocations
        .iter()
        .filter_map(|k| an.turn.get(k))
        .collect();
    p.associations = m
        .associations
        .iter()
        .filter_map(|k| an.dtls.associations.get(k))
        .collect();
    p.streams = m.streams.iter().filter_map(|k| an.rtp.get(k)).collect();
    AssembledCall {
        id: id.to_string(),
        kind,
        start_ts: p.start_ts(),
        end_ts: p.end_ts(),
        endpoints: endpoints_of(&p),
        parts: p,
    }
}
