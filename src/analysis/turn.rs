//! TURN allocations (RFC 8656): keyed by the client's transport address and
//! the server's. Each Allocate attempt is followed to its answer (401
//! challenge, 438 stale nonce, success with the relayed address, or another
//! error); permissions and channel bindings are remembered so that relayed
//! traffic (Send/Data indications, ChannelData) can be given its real
//! endpoints: the relayed address and the peer.

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::stun::{method, StunClass, StunMessage};

use super::evidence::Bounded;

const MAX_ATTEMPTS: usize = 32;
const MAX_PEERS: usize = 64;
const MAX_ALLOCATIONS: usize = 100_000;
/// CreatePermission, ChannelBind and Refresh requests kept per allocation
/// for its timeline; past it they are counted (`requests.dropped()`) and
/// the timeline says how many it leaves out.
const MAX_REQUESTS: usize = 64;

pub type AllocationKey = (SocketAddr, SocketAddr);

/// A TURN request (Allocate, CreatePermission, ChannelBind, Refresh) and
/// its answer.
#[derive(Debug, Clone)]
pub struct TurnRequest {
    pub method: u16,
    pub transaction_id: [u8; 12],
    pub frame: u64,
    pub ts: i64,
    pub transmissions: u32,
    /// Sent with MESSAGE-INTEGRITY (after a 401 challenge).
    pub with_credentials: bool,
    /// XOR-PEER-ADDRESS (CreatePermission, ChannelBind).
    pub peer: Option<SocketAddr>,
    pub channel: Option<u16>,
    /// LIFETIME asked for (Refresh: 0 releases the allocation).
    pub lifetime: Option<u32>,
    /// None: no answer. Some(None): success. Some(Some(code)): error.
    pub outcome: Option<Option<u16>>,
    pub reason: String,
    pub response_frame: Option<u64>,
    pub response_ts: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Allocation {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub tcp: bool,
    pub first_ts: i64,
    pub last_ts: i64,
    /// Allocate requests (the attempts to get the allocation).
    pub attempts: Bounded<TurnRequest>,
    pub relayed: Option<SocketAddr>,
    pub mapped: Option<SocketAddr>,
    /// USERNAME and REALM of the last Allocate with credentials.
    pub username: Option<String>,
    pub realm: Option<String>,
    pub success: Option<(u64, i64)>,
    pub permissions: Bounded<SocketAddr>,
    pub channels: HashMap<u16, SocketAddr>,
    pub refreshes: u32,
    /// Every request but Allocate, in order, with its answer.
    pub requests: Bounded<TurnRequest>,
    pub other_errors: Bounded<(u16, u16, String, u64)>,
    pub send_indications: u64,
    pub data_indications: u64,
    pub channel_data_out: u64,
    pub channel_data_in: u64,
    /// The first and the last relayed packet (ChannelData or indication).
    pub relayed_span: Option<((u64, i64), u64)>,
    pending_channel: HashMap<[u8; 12], (u16, SocketAddr)>,
}

impl Allocation {
    pub fn succeeded(&self) -> bool {
        self.success.is_some()
    }

    fn note_relayed(&mut self, frame: u64, ts: i64) {
        match &mut self.relayed_span {
            Some((_, last)) => *last = frame,
            None => self.relayed_span = Some(((frame, ts), frame)),
        }
    }

    pub fn relayed_packets(&self) -> u64 {
        self.send_indications + self.data_indications + self.channel_data_out + self.channel_data_in
    }
}

/// Counts a transmission of a request, or notes a new one.
fn note_request(list: &mut Bounded<TurnRequest>, msg: &StunMessage<'_>, frame: u64, ts: i64) {
    let tid = msg.transaction_id;
    if let Some(r) = list
        .items_mut()
        .iter_mut()
        .find(|r| r.transaction_id == tid)
    {
        r.transmissions += 1;
        return;
    }
    list.push(TurnRequest {
        method: msg.method,
        transaction_id: tid,
        frame,
        ts,
        transmissions: 1,
        with_credentials: msg.has_message_integrity(),
        peer: msg.xor_peer_address(),
        channel: channel_number(msg),
        lifetime: msg.lifetime(),
        outcome: None,
        reason: String::new(),
        response_frame: None,
        response_ts: None,
    });
}

#[derive(Debug, Default)]
pub struct TurnTracker {
    pub allocations: HashMap<AllocationKey, Allocation>,
    /// Transaction id -> allocation, for responses.
    txns: HashMap<[u8; 12], (AllocationKey, u16)>,
    /// Relayed address -> allocation, to find a relayed path from the
    /// peer's side.
    by_relayed: HashMap<SocketAddr, AllocationKey>,
    by_client: HashMap<SocketAddr, Vec<AllocationKey>>,
    pub dropped: u64,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
}

impl TurnTracker {
    pub fn get(&self, key: &AllocationKey) -> Option<&Allocation> {
        self.allocations.get(key)
    }

    /// Forgets allocations whose call was finalised.
    pub fn release(&mut self, keys: &[AllocationKey]) {
        if keys.is_empty() {
            return;
        }
        for k in keys {
            if let Some(a) = self.allocations.remove(k) {
                if let Some(r) = a.relayed {
                    if self.by_relayed.get(&r) == Some(k) {
                        self.by_relayed.remove(&r);
                    }
                }
                if let Some(v) = self.by_client.get_mut(&a.client) {
                    v.retain(|x| x != k);
                    if v.is_empty() {
                        self.by_client.remove(&a.client);
                    }
                }
            }
        }
        self.txns.retain(|_, (k, _)| !keys.contains(k));
    }

    pub fn is_server(&self, addr: SocketAddr) -> bool {
        self.allocations.keys().any(|(_, s)| *s == addr)
    }

    /// A TURN method message (not Binding). `src`/`dst` are the outer
    /// transport addresses.
    pub fn on_message(
        &mut self,
        msg: &StunMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: bool,
    ) {
        match msg.class {
            StunClass::Request => self.on_request(msg, frame, ts, src, dst, tcp),
            StunClass::SuccessResponse | StunClass::ErrorResponse => {
                self.on_response(msg, frame, ts)
            }
            StunClass::Indication => {
                let key = match msg.method {
                    method::SEND => (src, dst),
                    method::DATA => (dst, src),
                    _ => return,
                };
                if let Some(a) = self.allocations.get_mut(&key) {
                    a.last_ts = ts;
                    a.note_relayed(frame, ts);
                    if msg.method == method::SEND {
                        a.send_indications += 1;
                    } else {
                        a.data_indications += 1;
                    }
                }
            }
        }
    }

    fn allocation(
        &mut self,
        client: SocketAddr,
        server: SocketAddr,
        ts: i64,
        tcp: bool,
    ) -> Option<&mut Allocation> {
        if !self.allocations.contains_key(&(client, server))
            && self.allocations.len() >= MAX_ALLOCATIONS
        {
            self.dropped += 1;
            return None;
        }
        if !self.allocations.contains_key(&(client, server)) {
            self.touched
                .touch(super::FrameOwner::Allocation((client, server)));
            self.by_client
                .entry(client)
                .or_default()
                .push((client, server));
        }
        Some(
            self.allocations
                .entry((client, server))
                .or_insert_with(|| Allocation {
                    client,
                    server,
                    tcp,
                    first_ts: ts,
                    last_ts: ts,
                    attempts: Bounded::new(MAX_ATTEMPTS),
                    relayed: None,
                    mapped: None,
                    username: None,
                    realm: None,
                    success: None,
                    permissions: Bounded::new(MAX_PEERS),
                    channels: HashMap::default(),
                    refreshes: 0,
                    requests: Bounded::new(MAX_REQUESTS),
                    other_errors: Bounded::new(MAX_ATTEMPTS),
                    send_indications: 0,
                    data_indications: 0,
                    channel_data_out: 0,
                    channel_data_in: 0,
                    relayed_span: None,
                    pending_channel: HashMap::default(),
                }),
        )
    }

    fn on_request(
        &mut self,
        msg: &StunMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: bool,
    ) {
        let method = msg.method;
        // Only allocations that begin with an Allocate are created; a
        // Refresh of an allocation made before the capture started also
        // makes one, so its traffic is still understood.
        let tid = msg.transaction_id;
        let Some(a) = self.allocation(src, dst, ts, tcp) else {
            return;
        };
        a.last_ts = ts;
        match method {
            method::ALLOCATE => {
                if msg.has_message_integrity() {
                    if let Some(u) = msg.username() {
                        a.username = Some(String::from_utf8_lossy(u).into_owned());
                    }
                    if let Some(r) = msg.realm() {
                        a.realm = Some(String::from_utf8_lossy(r).into_owned());
                    }
                }
                note_request(&mut a.attempts, msg, frame, ts);
            }
            method::REFRESH => {
                note_request(&mut a.requests, msg, frame, ts);
                a.refreshes += 1;
            }
            method::CREATE_PERMISSION => {
                note_request(&mut a.requests, msg, frame, ts);
                if let Some(peer) = msg.xor_peer_address() {
                    if !a.permissions.items().contains(&peer) {
                        a.permissions.push(peer);
                    }
                }
            }
            method::CHANNEL_BIND => {
                note_request(&mut a.requests, msg, frame, ts);
                if let (Some(ch), Some(peer)) = (channel_number(msg), msg.xor_peer_address()) {
                    if a.pending_channel.len() < MAX_PEERS {
                        a.pending_channel.insert(tid, (ch, peer));
                    }
                }
            }
            _ => {}
        }
        self.txns.insert(tid, ((src, dst), method));
    }

    fn on_response(&mut self, msg: &StunMessage<'_>, frame: u64, ts: i64) {
        let Some(&(key, method)) = self.txns.get(&msg.transaction_id) else {
            return;
        };
        let Some(a) = self.allocations.get_mut(&key) else {
            return;
        };
        a.last_ts = ts;
        let success = msg.class == StunClass::SuccessResponse;
        let (code, reason) = super::stun_error(msg);
        let list = if method == method::ALLOCATE {
            &mut a.attempts
        } else {
            &mut a.requests
        };
        if let Some(r) = list
            .items_mut()
            .iter_mut()
            .find(|r| r.transaction_id == msg.transaction_id && r.outcome.is_none())
        {
            // An error response with no ERROR-CODE is still an error (seen
            // in the field); code 0 marks it.
            r.outcome = Some(if success {
                None
            } else {
                Some(code.unwrap_or(0))
            });
            r.reason = reason.clone();
            r.response_frame = Some(frame);
            r.response_ts = Some(ts);
        }
        match method {
            method::ALLOCATE if success => {
                a.success.get_or_insert((frame, ts));
                if let Some(r) = msg.xor_relayed_address() {
                    self.touched.touch(super::FrameOwner::Allocation(key));
                    // A new relayed address replaces the old one.
                    if let Some(old) = a.relayed.replace(r) {
                        if old != r && self.by_relayed.get(&old) == Some(&key) {
                            self.by_relayed.remove(&old);
                        }
                    }
                    self.by_relayed.insert(r, key);
                }
                a.mapped = msg.xor_mapped_address().or(a.mapped);
            }
            // An Allocate error is the attempt's outcome, noted above.
            method::ALLOCATE => {}
            method::CHANNEL_BIND if success => {
                if let Some((ch, peer)) = a.pending_channel.remove(&msg.transaction_id) {
                    a.channels.insert(ch, peer);
                    // A channel binding installs a permission for its peer
                    // too (RFC 8656 s12).
                    if !a.permissions.items().contains(&peer) {
                        a.permissions.push(peer);
                    }
                }
            }
            _ if !success => {
                a.other_errors
                    .push((method, code.unwrap_or(0), reason, frame));
            }
            _ => {}
        }
    }

    /// ChannelData from `src` to `dst`: counts it and gives the relayed
    /// path's endpoints (relayed-or-client address, peer), oriented as the
    /// data flows.
    /// A ChannelData message: counted on its allocation, whose key comes
    /// back with the relayed path's endpoints when the channel is bound.
    pub fn on_channel_data(
        &mut self,
        channel: u16,
        src: SocketAddr,
        dst: SocketAddr,
        frame: u64,
        ts: i64,
    ) -> Option<(AllocationKey, Option<(SocketAddr, SocketAddr)>)> {
        if let Some(a) = self.allocations.get_mut(&(src, dst)) {
            a.channel_data_out += 1;
            a.note_relayed(frame, ts);
            let path = a
                .channels
                .get(&channel)
                .map(|peer| (a.relayed.unwrap_or(a.client), *peer));
            return Some(((src, dst), path));
        }
        if let Some(a) = self.allocations.get_mut(&(dst, src)) {
            a.channel_data_in += 1;
            a.note_relayed(frame, ts);
            let path = a
                .channels
                .get(&channel)
                .map(|peer| (*peer, a.relayed.unwrap_or(a.client)));
            return Some(((dst, src), path));
        }
        None
    }

    /// The allocation a TURN message belongs to: a response by its
    /// transaction, anything else by its 5-tuple.
    pub fn owner_of(
        &self,
        msg: &StunMessage<'_>,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Option<AllocationKey> {
        if let Some((key, _)) = self.txns.get(&msg.transaction_id) {
            if self.allocations.contains_key(key) {
                return Some(*key);
            }
        }
        self.pair_key(src, dst)
    }

    /// The allocation between a client and its server, either way round.
    pub fn pair_key(&self, src: SocketAddr, dst: SocketAddr) -> Option<AllocationKey> {
        [(src, dst), (dst, src)]
            .into_iter()
            .find(|k| self.allocations.contains_key(k))
    }

    /// The relayed path's endpoints for a Send (client to server) or Data
    /// (server to client) indication whose peer is `peer`.
    pub fn indication_endpoints(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        peer: SocketAddr,
    ) -> Option<(SocketAddr, SocketAddr)> {
        if let Some(a) = self.allocations.get(&(src, dst)) {
            return Some((a.relayed.unwrap_or(a.client), peer));
        }
        if let Some(a) = self.allocations.get(&(dst, src)) {
            return Some((peer, a.relayed.unwrap_or(a.client)));
        }
        None
    }

    /// The allocations whose relayed address or client address is `addr`,
    /// oldest first (a client often asks several servers or ports from one
    /// socket; all of them belong to the same candidate gathering).
    pub fn owning(&self, addr: SocketAddr) -> Vec<&Allocation> {
        let mut found: Vec<&Allocation> = Vec::new();
        if let Some(a) = self
            .by_relayed
            .get(&addr)
            .and_then(|k| self.allocations.get(k))
        {
            found.push(a);
        }
        for k in self.by_client.get(&addr).into_iter().flatten() {
            if let Some(a) = self.allocations.get(k) {
                if !found
                    .iter()
                    .any(|f| f.client == a.client && f.server == a.server)
                {
                    found.push(a);
                }
            }
        }
        found.sort_by_key(|a| (a.first_ts, a.server));
        found
    }
}

fn channel_number(msg: &StunMessage<'_>) -> Option<u16> {
    msg.attributes.iter().find_map(|a| match a {
        crate::decode::stun::StunAttribute::ChannelNumber(c) => Some(*c),
        _ => None,
    })
}
