//! The calls as they stand, kept up to date part by part: when parts are
//! created, changed or released, only the calls those parts can join or
//! leave are assembled again, so keeping the calls current costs in
//! proportion to what changed, not to every call in progress.
//!
//! Correctness rests on one property: assembling a *region* of parts gives
//! the calls that assembling everything gives for those parts, as long as
//! the region is closed under claiming. A part's links say where it can
//! claim others and where others can claim it (an SDP's media address and
//! the RTP streams on it, a ufrag and the ICE sessions that use it, ...);
//! the region of a change is every part reachable through those links
//! from the parts touched, with every part of every call they belong to.
//! Facts that do not move a part from one call to another (a connection's
//! ICMP errors, whether an address is a TURN server) are read from the
//! trackers by the assembly itself; when such a fact appears, the parts
//! that read it are added to the region.

use std::net::SocketAddr;

use foldhash::{HashMap, HashSet};

use super::calls::{assemble_in, sdp_facts, AssembledCall, CallKind, CallParts, PartScope};
use super::members::CallMembers;
use super::sip::DialogKind;
use super::{unordered, Analyzer, FrameOwner, Touched};

/// Where parts meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LinkKey {
    /// A media address: SDP endpoints and candidates, candidate pairs,
    /// RTP streams, DTLS associations, TURN clients and relayed addresses,
    /// STUN-server query clients.
    Addr(SocketAddr),
    /// An ICE username fragment, in SDP and in checks.
    Ufrag(String),
    /// Both ends of RTP that no call claimed: one call per pair.
    RtpPair(SocketAddr, SocketAddr),
    /// A TCP connection (client, server) a dialog's transactions used.
    Connection(SocketAddr, SocketAddr),
    /// Datagrams from one address to another, for the ICMP errors about
    /// them (read, not claimed).
    Flow(SocketAddr, SocketAddr),
    /// A STUN or TURN server address (read, not claimed).
    Server(SocketAddr),
}

/// A part's links as of the last time it was looked at.
#[derive(Debug, Default, Clone, PartialEq)]
struct PartLinks {
    /// Keys where this part claims parts that are on offer there.
    claims: Vec<LinkKey>,
    /// Keys where this part can be claimed.
    offers: Vec<LinkKey>,
    /// Facts this part's call reads when assembled.
    reads: Vec<LinkKey>,
    /// Facts this part provides to the parts that read them: followed
    /// only from a part just touched, since readers that were assembled
    /// before already read what an untouched part provides.
    provides: Vec<LinkKey>,
}

/// The links of a part as it is in the trackers now; `None` when the part
/// is gone.
fn links_of(an: &Analyzer, part: &FrameOwner) -> Option<PartLinks> {
    let mut l = PartLinks::default();
    match part {
        FrameOwner::Dialog(id) => {
            let d = an.sip.dialog(id)?;
            if d.kind == DialogKind::Other {
                return Some(l);
            }
            let mut p = CallParts::default();
            sdp_facts(d, &mut p);
            l.claims
                .extend(p.sdp_ufrags.iter().map(|u| LinkKey::Ufrag(u.clone())));
            l.claims
                .extend(p.sdp_media.iter().map(|m| LinkKey::Addr(m.endpoint)));
            l.claims
                .extend(p.sdp_candidates.iter().map(|(_, a, _)| LinkKey::Addr(*a)));
            for t in d.transactions.items() {
                l.reads.push(LinkKey::Flow(t.src, t.dst));
                l.reads.push(LinkKey::Flow(t.dst, t.src));
                if t.transport.is_reliable() {
                    for k in [
                        LinkKey::Connection(t.src, t.dst),
                        LinkKey::Connection(t.dst, t.src),
                    ] {
                        l.claims.push(k.clone());
                        l.reads.push(k);
                    }
                }
            }
        }
        FrameOwner::Connection(k) => {
            let c = an.transport.connections.get(k)?;
            // Only a connection that can be a call of its own competes;
            // otherwise dialogs read it and every dialog gets it.
            if c.failed_before_sip() {
                l.offers.push(LinkKey::Connection(k.0, k.1));
            }
            l.provides.push(LinkKey::Connection(k.0, k.1));
        }
        FrameOwner::Unreachable(frame) => {
            let u = an
                .transport
                .unreachables
                .iter()
                .find(|u| u.frame == *frame)?;
            l.provides
                .push(LinkKey::Flow(u.original_src, u.original_dst));
        }
        FrameOwner::Session(k) => {
            let s = an.ice.session(*k)?;
            for u in &s.ufrags {
                l.claims.push(LinkKey::Ufrag(u.clone()));
                l.offers.push(LinkKey::Ufrag(u.clone()));
            }
            for p in s.pairs.items() {
                l.claims.push(LinkKey::Addr(p.local));
                l.claims.push(LinkKey::Addr(p.remote));
            }
        }
        FrameOwner::Query(k) => {
            let q = an.ice.server_queries.get(k)?;
            l.offers.push(LinkKey::Addr(q.client));
            l.reads.push(LinkKey::Server(q.server));
        }
        FrameOwner::Allocation(k) => {
            let a = an.turn.get(k)?;
            l.offers.push(LinkKey::Addr(a.client));
            l.offers.extend(a.relayed.map(LinkKey::Addr));
            // Its call takes the queries its client sent.
            l.claims.push(LinkKey::Addr(a.client));
            l.reads.push(LinkKey::Flow(a.client, a.server));
            l.provides.push(LinkKey::Server(a.server));
        }
        FrameOwner::Association(k) => {
            let a = an.dtls.associations.get(k)?;
            for addr in [a.client, a.server] {
                l.offers.push(LinkKey::Addr(addr));
                l.claims.push(LinkKey::Addr(addr));
            }
        }
        FrameOwner::Stream(k) => {
            an.rtp.get(k)?;
            l.offers.push(LinkKey::Addr(k.src));
            l.offers.push(LinkKey::Addr(k.dst));
            let (a, b) = unordered(k.src, k.dst);
            l.offers.push(LinkKey::RtpPair(a, b));
            l.claims.push(LinkKey::RtpPair(a, b));
        }
        FrameOwner::Rtcp(_) => return None,
    }
    for v in [&mut l.claims, &mut l.offers, &mut l.reads, &mut l.provides] {
        dedup(v);
    }
    Some(l)
}

fn dedup(v: &mut Vec<LinkKey>) {
    let mut seen: HashSet<LinkKey> = HashSet::default();
    v.retain(|k| seen.insert(k.clone()));
}

/// Every part the trackers hold.
fn all_parts(an: &Analyzer) -> Vec<FrameOwner> {
    let mut v: Vec<FrameOwner> = Vec::new();
    v.extend(
        an.sip
            .dialogs()
            .map(|d| FrameOwner::Dialog(d.call_id.clone())),
    );
    v.extend(
        an.transport
            .connections
            .keys()
            .map(|k| FrameOwner::Connection(*k)),
    );
    v.extend(
        an.transport
            .unreachables
            .iter()
            .map(|u| FrameOwner::Unreachable(u.frame)),
    );
    v.extend(an.ice.sessions.keys().map(|k| FrameOwner::Session(*k)));
    v.extend(an.ice.server_queries.keys().map(|k| FrameOwner::Query(*k)));
    v.extend(
        an.turn
            .allocations
            .keys()
            .map(|k| FrameOwner::Allocation(*k)),
    );
    v.extend(
        an.dtls
            .associations
            .keys()
            .map(|k| FrameOwner::Association(*k)),
    );
    v.extend(an.rtp.streams().map(|s| FrameOwner::Stream(s.key)));
    v
}

/// A call in the book.
#[derive(Debug, Clone)]
pub struct BookCall {
    pub id: String,
    pub kind: CallKind,
    pub members: CallMembers,
    parts: Vec<FrameOwner>,
}

fn parts_of(m: &CallMembers) -> Vec<FrameOwner> {
    let mut v = Vec::new();
    v.extend(m.dialog.iter().map(|d| FrameOwner::Dialog(d.clone())));
    v.extend(m.connection.map(FrameOwner::Connection));
    v.extend(m.unreachables.iter().map(|f| FrameOwner::Unreachable(*f)));
    v.extend(m.sessions.iter().map(|k| FrameOwner::Session(*k)));
    v.extend(m.queries.iter().map(|k| FrameOwner::Query(*k)));
    v.extend(m.allocations.iter().map(|k| FrameOwner::Allocation(*k)));
    v.extend(m.associations.iter().map(|k| FrameOwner::Association(*k)));
    v.extend(m.streams.iter().map(|k| FrameOwner::Stream(*k)));
    v
}

/// What a [`CallBook::sync`] changed.
#[derive(Debug, Default)]
pub struct BookChange<'a> {
    /// The calls assembled again (new ones among them), by start.
    pub assembled: Vec<AssembledCall<'a>>,
    /// Ids of calls that were in the book and are no longer (their parts
    /// went to another call, or were released).
    pub gone: Vec<String>,
    /// Every call was assembled again (first sync, a touch log that
    /// overflowed, or a region that covered most calls).
    pub whole: bool,
}

/// Regions larger than this share of the parts are assembled whole: one
/// pass over everything is then cheaper than a scoped one.
const WHOLE_SHARE: usize = 2;

/// The calls in progress, by id, with the links of their parts.
#[derive(Debug, Default)]
pub struct CallBook {
    calls: HashMap<String, BookCall>,
    /// The calls each part is in (more than one for a connection or an
    /// ICMP error that several dialogs read).
    part_calls: HashMap<FrameOwner, Vec<String>>,
    links: HashMap<FrameOwner, PartLinks>,
    claimers: HashMap<LinkKey, HashSet<FrameOwner>>,
    offered: HashMap<LinkKey, HashSet<FrameOwner>>,
    readers: HashMap<LinkKey, HashSet<FrameOwner>>,
    providers: HashMap<LinkKey, HashSet<FrameOwner>>,
    started: bool,
    /// Syncs that assembled everything, and those that assembled a region.
    pub whole_syncs: u64,
    pub region_syncs: u64,
}

impl CallBook {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn calls(&self) -> impl Iterator<Item = &BookCall> {
        self.calls.values()
    }

    pub fn get(&self, id: &str) -> Option<&BookCall> {
        self.calls.get(id)
    }

    /// The ids of the calls a part is in.
    pub fn calls_of(&self, part: &FrameOwner) -> &[String] {
        self.part_calls.get(part).map_or(&[], Vec::as_slice)
    }

    /// Brings the book up to date with the parts touched since the last
    /// sync (from [`Analyzer::take_touched`]).
    pub fn sync<'a>(&mut self, an: &'a Analyzer, touched: Touched) -> BookChange<'a> {
        if !self.started || touched.overflowed {
            return self.rebuild(an);
        }
        if touched.parts.is_empty() {
            return BookChange::default();
        }
        let limit = self.links.len() / WHOLE_SHARE + 64;
        let Some(region) = self.region(an, touched.parts, limit) else {
            return self.rebuild(an);
        };
        self.region_syncs += 1;
        let mut gone: HashSet<String> = HashSet::default();
        for p in &region {
            if let Some(ids) = self.part_calls.get(p) {
                gone.extend(ids.iter().cloned());
            }
        }
        for id in &gone {
            self.remove(id);
        }
        for p in &region {
            self.unlink(p);
            if let Some(l) = links_of(an, p) {
                self.link(p.clone(), l);
            }
        }
        let scope = PartScope::of(&region);
        let assembled = assemble_in(an, Some(&scope));
        for c in &assembled {
            gone.remove(&c.id);
            self.insert(c);
        }
        let mut gone: Vec<String> = gone.into_iter().collect();
        gone.sort_unstable();
        BookChange {
            assembled,
            gone,
            whole: false,
        }
    }

    /// Takes a finalised call out: its parts were released, and the next
    /// sync unlinks them (they are in the touch log).
    pub fn forget(&mut self, id: &str) {
        self.remove(id);
    }

    fn remove(&mut self, id: &str) -> Option<BookCall> {
        let call = self.calls.remove(id)?;
        for p in &call.parts {
            if let Some(ids) = self.part_calls.get_mut(p) {
                ids.retain(|x| x != id);
                if ids.is_empty() {
                    self.part_calls.remove(p);
                }
            }
        }
        Some(call)
    }

    fn rebuild<'a>(&mut self, an: &'a Analyzer) -> BookChange<'a> {
        let gone: Vec<String> = self.calls.keys().cloned().collect();
        *self = Self {
            started: true,
            whole_syncs: self.whole_syncs + 1,
            region_syncs: self.region_syncs,
            ..Self::default()
        };
        for p in all_parts(an) {
            if let Some(l) = links_of(an, &p) {
                self.link(p, l);
            }
        }
        let assembled = super::calls::assemble(an);
        for c in &assembled {
            self.insert(c);
        }
        let ids: HashSet<&str> = assembled.iter().map(|c| c.id.as_str()).collect();
        let gone = gone
            .into_iter()
            .filter(|g| !ids.contains(g.as_str()))
            .collect();
        BookChange {
            assembled,
            gone,
            whole: true,
        }
    }

    fn insert(&mut self, c: &AssembledCall<'_>) {
        let members = c.parts.members();
        let parts = parts_of(&members);
        for p in &parts {
            self.part_calls
                .entry(p.clone())
                .or_default()
                .push(c.id.clone());
        }
        self.calls.insert(
            c.id.clone(),
            BookCall {
                id: c.id.clone(),
                kind: c.kind,
                members,
                parts,
            },
        );
    }

    fn link(&mut self, p: FrameOwner, l: PartLinks) {
        for (keys, index) in [
            (&l.claims, &mut self.claimers),
            (&l.offers, &mut self.offered),
            (&l.reads, &mut self.readers),
            (&l.provides, &mut self.providers),
        ] {
            for k in keys {
                index.entry(k.clone()).or_default().insert(p.clone());
            }
        }
        self.links.insert(p, l);
    }

    fn unlink(&mut self, p: &FrameOwner) {
        let Some(l) = self.links.remove(p) else {
            return;
        };
        for (keys, index) in [
            (&l.claims, &mut self.claimers),
            (&l.offers, &mut self.offered),
            (&l.reads, &mut self.readers),
            (&l.provides, &mut self.providers),
        ] {
            for k in keys {
                if let Some(set) = index.get_mut(k) {
                    set.remove(p);
                    if set.is_empty() {
                        index.remove(k);
                    }
                }
            }
        }
    }

    /// The parts reachable from `seeds` (see the module's comment), or
    /// `None` past `limit` parts.
    fn region(
        &self,
        an: &Analyzer,
        seeds: Vec<FrameOwner>,
        limit: usize,
    ) -> Option<HashSet<FrameOwner>> {
        let mut region: HashSet<FrameOwner> = HashSet::default();
        let seeds: HashSet<FrameOwner> = seeds.into_iter().collect();
        let mut queue: Vec<FrameOwner> = seeds.iter().cloned().collect();
        while let Some(p) = queue.pop() {
            if region.contains(&p) {
                continue;
            }
            if region.len() >= limit {
                return None;
            }
            // Its links as last indexed, and as they are now: a part that
            // changed may have left some and joined others.
            let now = links_of(an, &p);
            for l in self.links.get(&p).into_iter().chain(now.as_ref()) {
                for k in &l.claims {
                    queue.extend(self.offered.get(k).into_iter().flatten().cloned());
                }
                for k in &l.offers {
                    queue.extend(self.claimers.get(k).into_iter().flatten().cloned());
                }
                if !seeds.contains(&p) {
                    continue;
                }
                for k in &l.provides {
                    // Whether an address is a TURN server changes only with
                    // its first allocation and its last: while an allocation
                    // to it that did not change stands, its readers keep
                    // what they read.
                    if let LinkKey::Server(s) = k {
                        if an
                            .turn
                            .allocations
                            .keys()
                            .any(|a| a.1 == *s && !seeds.contains(&FrameOwner::Allocation(*a)))
                        {
                            continue;
                        }
                    }
                    queue.extend(self.readers.get(k).into_iter().flatten().cloned());
                }
            }
            for id in self.part_calls.get(&p).into_iter().flatten() {
                if let Some(c) = self.calls.get(id) {
                    queue.extend(c.parts.iter().cloned());
                }
            }
            region.insert(p);
        }
        Some(region)
    }
}
