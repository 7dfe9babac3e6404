//! SIP transactions and dialogs (RFC 3261 s17, s12). A retransmitted
//! request is one request sent several times; responses are matched to
//! their transaction by the top Via branch and the CSeq method; dialogs
//! are grouped by Call-ID (forked responses carry different To tags).

use foldhash::HashMap;
use std::net::SocketAddr;

use crate::decode::sdp::SessionDescription;
use crate::decode::sip::{SipMessage, StartLine};

use super::evidence::{ordinal, Bounded};

/// Per dialog: transactions kept (a long call with many re-INVITEs or
/// OPTIONS pings keeps its first ones), SDP bodies kept, frames kept per
/// transaction. Beyond these only counters grow.
const MAX_TRANSACTIONS: usize = 64;
const MAX_SDPS: usize = 8;
const MAX_FRAMES: usize = 16;
/// Dialogs kept in all; past it new Call-IDs are counted, not tracked.
const MAX_DIALOGS: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    Invite,
    Register,
    /// OPTIONS, MESSAGE, SUBSCRIBE... not judged as calls.
    Other,
}

#[derive(Debug, Clone)]
pub struct SipResponse {
    pub status: u16,
    pub reason: String,
    pub frame: u64,
    pub ts: i64,
    pub to_tag: Option<String>,
    /// The same response seen again (retransmitted by the server).
    pub copies: u32,
    /// The frames of those copies (the first is `frame`); allocates
    /// nothing while there are none.
    pub copy_frames: Bounded<u64>,
    pub warning: Option<String>,
    pub reason_header: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SipTransaction {
    pub method: String,
    pub cseq: u32,
    pub branch: String,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub frames: Bounded<u64>,
    pub sent: u32,
    pub first_ts: i64,
    pub last_ts: i64,
    /// The request carried Authorization or Proxy-Authorization.
    pub with_credentials: bool,
    pub responses: Vec<SipResponse>,
    pub transport: SipTransport,
}

/// What carried a SIP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
    /// WebSocket (RFC 7118) on a TCP connection.
    WebSocket,
    /// TLS, decrypted with a key log.
    Tls,
    /// WebSocket over TLS, decrypted with a key log.
    SecureWebSocket,
}

impl SipTransport {
    /// As the JSON report and Via headers spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SipTransport::Udp => "udp",
            SipTransport::Tcp => "tcp",
            SipTransport::WebSocket => "ws",
            SipTransport::Tls => "tls",
            SipTransport::SecureWebSocket => "wss",
        }
    }

    /// Retransmitted by the transport, not by SIP (RFC 3261 s17.1.1.2).
    pub fn is_reliable(self) -> bool {
        self != SipTransport::Udp
    }
}

impl SipTransaction {
    pub fn final_response(&self) -> Option<&SipResponse> {
        self.responses.iter().find(|r| r.status >= 200)
    }

    pub fn provisional(&self) -> impl Iterator<Item = &SipResponse> {
        self.responses.iter().filter(|r| r.status < 200)
    }
}

#[derive(Debug, Clone)]
pub struct SdpSeen {
    pub frame: u64,
    pub ts: i64,
    /// Sent by the side that sent the first request of the dialog.
    pub from_caller: bool,
    pub sdp: SessionDescription,
}

#[derive(Debug, Clone)]
pub struct SipDialog {
    pub call_id: String,
    pub kind: DialogKind,
    pub method: String,
    pub from: String,
    pub to: String,
    pub caller: SocketAddr,
    pub callee: SocketAddr,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub transactions: Bounded<SipTransaction>,
    pub sdps: Bounded<SdpSeen>,
    pub messages: u64,
    /// Every address:port the dialog's messages used, in order seen.
    pub addresses: Vec<SocketAddr>,
    /// Transaction key -> index in `transactions`: kept with the dialog,
    /// so it goes when the dialog does.
    txn_index: HashMap<(String, String), usize>,
}

impl SipDialog {
    /// A Call-ID whose first method is not one of a dialog already under
    /// way (ACK, BYE, CANCEL, PRACK, UPDATE, INFO of a call that began
    /// before the capture): a request of its own, such as OPTIONS,
    /// MESSAGE, SUBSCRIBE or a method no RFC defines.
    pub fn out_of_dialog(&self) -> bool {
        !matches!(
            self.method.as_str(),
            "ACK" | "BYE" | "CANCEL" | "PRACK" | "UPDATE" | "INFO"
        )
    }

    /// The transactions of one method, in order.
    pub fn transactions_of<'a, 'm>(
        &'a self,
        method: &'m str,
    ) -> impl Iterator<Item = &'a SipTransaction> + use<'a, 'm> {
        self.transactions
            .items()
            .iter()
            .filter(move |t| t.method == method)
    }

    /// The transactions of the dialog's own method (INVITE, REGISTER...),
    /// in order.
    pub fn main_transactions(&self) -> impl Iterator<Item = &SipTransaction> {
        self.transactions_of(&self.method)
    }

    /// The first transaction of `method`.
    pub fn transaction(&self, method: &str) -> Option<&SipTransaction> {
        self.transactions_of(method).next()
    }

    /// The first transaction of the main method that got a 2xx.
    pub fn accepted(&self) -> Option<(&SipTransaction, &SipResponse)> {
        self.main_transactions().find_map(|t| {
            t.responses
                .iter()
                .find(|r| (200..300).contains(&r.status))
                .map(|r| (t, r))
        })
    }

    pub fn offer(&self) -> Option<&SdpSeen> {
        self.sdps.items().iter().find(|s| s.from_caller)
    }

    pub fn answer(&self) -> Option<&SdpSeen> {
        self.sdps.items().iter().find(|s| !s.from_caller)
    }
}

#[derive(Debug, Default)]
pub struct SipTracker {
    dialogs: HashMap<String, SipDialog>,
    /// Parts created or changed in a way that can move them between
    /// calls (see [`super::TouchLog`]).
    pub touched: super::TouchLog,
    pub untracked_dialogs: u64,
    pub messages_without_call_id: u64,
}

/// ACK to a 2xx is its own transaction; ACK to a non-2xx and CANCEL share
/// the INVITE's branch but are matched by their own method (RFC 3261
/// s17.2.3, s9.1).
fn txn_key(branch: &str, method: &str, call_id: &str, cseq: u32) -> (String, String) {
    if branch.starts_with("z9hG4bK") {
        (branch.to_string(), method.to_string())
    } else {
        // RFC 2543 peers: no magic cookie; fall back to Call-ID and CSeq.
        (format!("{call_id}/{cseq}"), method.to_string())
    }
}

impl SipTracker {
    pub fn dialogs(&self) -> impl Iterator<Item = &SipDialog> {
        self.dialogs.values()
    }

    pub fn dialog(&self, call_id: &str) -> Option<&SipDialog> {
        self.dialogs.get(call_id)
    }

    pub fn len(&self) -> usize {
        self.dialogs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dialogs.is_empty()
    }

    /// Forgets a dialog (its call was finalised).
    pub fn release(&mut self, call_id: &str) -> Option<SipDialog> {
        self.dialogs.remove(call_id)
    }

    /// Takes one SIP message seen from `src` to `dst`.
    pub fn on_message(
        &mut self,
        msg: &SipMessage<'_>,
        frame: u64,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        transport: SipTransport,
    ) {
        let Some(call_id) = msg.call_id().map(str::to_string) else {
            self.messages_without_call_id += 1;
            return;
        };
        let Some((cseq, cseq_method)) = msg.cseq() else {
            self.messages_without_call_id += 1;
            return;
        };
        let cseq_method = cseq_method.to_string();
        let branch = msg.via_branch().unwrap_or("").to_string();
        if !self.dialogs.contains_key(&call_id) {
            // A dialog starts with a request; a stray response (capture
            // started late) still makes one, with the roles reversed.
            if self.dialogs.len() >= MAX_DIALOGS {
                self.untracked_dialogs += 1;
                return;
            }
            let (caller, callee) = match msg.start {
                StartLine::Request { .. } => (src, dst),
                StartLine::Response { .. } => (dst, src),
            };
            let kind = match cseq_method.as_str() {
                "INVITE" => DialogKind::Invite,
                "REGISTER" => DialogKind::Register,
                _ => DialogKind::Other,
            };
            self.touched
                .touch(super::FrameOwner::Dialog(call_id.to_string()));
            self.dialogs.insert(
                call_id.clone(),
                SipDialog {
                    call_id: call_id.clone(),
                    kind,
                    method: cseq_method.clone(),
                    from: msg.from_uri().unwrap_or("").to_string(),
                    to: msg.to_uri().unwrap_or("").to_string(),
                    caller,
                    callee,
                    first_frame: frame,
                    first_ts: ts,
                    last_ts: ts,
                    transactions: Bounded::new(MAX_TRANSACTIONS),
                    sdps: Bounded::new(MAX_SDPS),
                    messages: 0,
                    addresses: Vec::new(),
                    txn_index: HashMap::default(),
                },
            );
        }
        let Some(dialog) = self.dialogs.get_mut(&call_id) else {
            return;
        };
        dialog.messages += 1;
        // After a BYE the dialog's last message bounds its media window
        // (calls.rs), so moving it can change which media it owns.
        if ts > dialog.last_ts && dialog.transaction("BYE").is_some() {
            self.touched
                .touch(super::FrameOwner::Dialog(call_id.to_string()));
        }
        dialog.last_ts = dialog.last_ts.max(ts);
        for a in [src, dst] {
            if !dialog.addresses.contains(&a) && dialog.addresses.len() < 8 {
                dialog.addresses.push(a);
            }
        }
        // A Call-ID that carried an OPTIONS or a REGISTER and then carries
        // an INVITE is a call (some clients and test tools reuse one
        // Call-ID for all they do): the INVITE's parties name it, and the
        // registration stays among its transactions.
        if dialog.kind != DialogKind::Invite && cseq_method == "INVITE" {
            self.touched
                .touch(super::FrameOwner::Dialog(call_id.to_string()));
            dialog.kind = DialogKind::Invite;
            dialog.method = cseq_method.clone();
            if let StartLine::Request { .. } = msg.start {
                dialog.from = msg.from_uri().unwrap_or("").to_string();
                dialog.to = msg.to_uri().unwrap_or("").to_string();
                dialog.caller = src;
                dialog.callee = dst;
            }
        }
        if let Some(sdp) = msg.sdp() {
            self.touched
                .touch(super::FrameOwner::Dialog(call_id.to_string()));
            dialog.sdps.push(SdpSeen {
                frame,
                ts,
                from_caller: src == dialog.caller
                    || (src.ip() == dialog.caller.ip() && dst != dialog.caller),
                sdp: sdp.clone(),
            });
        }
        let key = txn_key(&branch, &cseq_method, &call_id, cseq);
        match &msg.start {
            StartLine::Request { method, .. } => {
                let with_credentials = msg.header("Authorization").is_some()
                    || msg.header("Proxy-Authorization").is_some();
                if let Some(&i) = dialog.txn_index.get(&key) {
                    if let Some(t) = dialog.transactions.items_mut().get_mut(i) {
                        t.sent += 1;
                        t.last_ts = ts;
                        t.frames.push(frame);
                        return;
                    }
                }
                let txn = SipTransaction {
                    method: method.to_string(),
                    cseq,
                    branch,
                    src,
                    dst,
                    frames: {
                        let mut b = Bounded::new(MAX_FRAMES);
                        b.push(frame);
                        b
                    },
                    sent: 1,
                    first_ts: ts,
                    last_ts: ts,
                    with_credentials,
                    responses: Vec::new(),
                    transport,
                };
                if dialog.transactions.len() < MAX_TRANSACTIONS {
                    dialog.txn_index.insert(key, dialog.transactions.len());
                }
                self.touched
                    .touch(super::FrameOwner::Dialog(call_id.to_string()));
                dialog.transactions.push(txn);
            }
            StartLine::Response { status, reason, .. } => {
                let idx = match dialog.txn_index.get(&key) {
                    Some(&i) => i,
                    None => {
                        // The request was not captured: keep the response in
                        // a transaction of its own so the outcome is known.
                        if dialog.transactions.len() >= MAX_TRANSACTIONS {
                            return;
                        }
                        let txn = SipTransaction {
                            method: cseq_method.clone(),
                            cseq,
                            branch,
                            src: dst,
                            dst: src,
                            frames: Bounded::new(MAX_FRAMES),
                            sent: 0,
                            first_ts: ts,
                            last_ts: ts,
                            with_credentials: false,
                            responses: Vec::new(),
                            transport,
                        };
                        let i = dialog.transactions.len();
                        dialog.txn_index.insert(key, i);
                        self.touched
                            .touch(super::FrameOwner::Dialog(call_id.to_string()));
                        dialog.transactions.push(txn);
                        i
                    }
                };
                let Some(t) = dialog.transactions.items_mut().get_mut(idx) else {
                    return;
                };
                let to_tag = msg.to_tag().map(str::to_string);
                if let Some(r) = t
                    .responses
                    .iter_mut()
                    .find(|r| r.status == *status && r.to_tag == to_tag)
                {
                    r.copies += 1;
                    r.copy_frames.push(frame);
                    return;
                }
                if t.responses.len() < MAX_FRAMES {
                    t.responses.push(SipResponse {
                        status: *status,
                        reason: reason.to_string(),
                        frame,
                        ts,
                        to_tag,
                        copies: 1,
                        copy_frames: Bounded::new(MAX_FRAMES),
                        warning: msg.warning().map(str::to_string),
                        reason_header: msg.reason().map(str::to_string),
                    });
                }
            }
        }
    }
}

/// "INVITE sent 7 times" style text for evidence.
pub fn transmissions_text(t: &SipTransaction) -> String {
    if t.sent <= 1 {
        format!("{} sent once", t.method)
    } else {
        format!(
            "{} sent {} times ({} transmission last)",
            t.method,
            t.sent,
            ordinal(t.sent as u64)
        )
    }
}
