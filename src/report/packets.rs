//! `callscope packets`: one line per frame, in the spirit of tshark's
//! packet list, or one JSON object per frame.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::net::SocketAddr;

use serde_json::{json, Map, Value};

use crate::capture::CaptureInfo;
use crate::decode::dtls::{self, DtlsRecordBody};
use crate::decode::Pdu;
use crate::net::link_type_name;
use crate::pipeline::{DecodedFrame, PipelineStats, Transport};

use super::packet_json::PacketJson;
use super::summary::Summary;
use super::{format_epoch, format_relative};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Bound on remembered DTLS handshake fragments (for "3rd copy"): past it
/// they are all forgotten, so a copy may be counted as a first copy again.
const MAX_DTLS_KEYS: usize = 65_536;

/// State the packet list keeps across frames: how often each DTLS handshake
/// fragment was sent. Fragments are shown as each datagram holds them; the
/// analysis reassembles the messages.
#[derive(Default)]
struct DtlsNotes {
    copies: HashMap<(SocketAddr, SocketAddr, u8, u16, u32), u32>,
}

/// Prints frames as they come and the closing summary at the end.
pub struct PacketPrinter<W: Write> {
    out: W,
    format: Format,
    base_ts: Option<i64>,
    per_protocol: BTreeMap<&'static str, u64>,
    undecodable: u64,
    frames: u64,
    dtls: DtlsNotes,
    quiet: bool,
}

impl<W: Write> PacketPrinter<W> {
    pub fn new(out: W, format: Format) -> Self {
        Self {
            out,
            format,
            base_ts: None,
            per_protocol: BTreeMap::new(),
            undecodable: 0,
            frames: 0,
            dtls: DtlsNotes::default(),
            quiet: false,
        }
    }

    /// Count frames but print only the closing summary.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    pub fn frame(&mut self, f: &DecodedFrame<'_>) -> io::Result<()> {
        let base = *self.base_ts.get_or_insert(f.ts_ns);
        self.frames += 1;
        let protocol = frame_protocol(f);
        *self.per_protocol.entry(protocol).or_default() += 1;
        if protocol == "undecodable" {
            self.undecodable += 1;
        }
        if self.quiet {
            return Ok(());
        }
        let notes = self.dtls_notes(f);
        let (src, dst) = endpoints_text(f);
        match self.format {
            Format::Text => {
                let mut info = frame_info(f);
                for n in &notes {
                    info.push_str(" [");
                    info.push_str(n);
                    info.push(']');
                }
                writeln!(
                    self.out,
                    "{:>6} {:>11} {} -> {} {}",
                    f.number,
                    format_relative(f.ts_ns, base),
                    src,
                    dst,
                    info
                )
            }
            Format::Json => {
                let mut obj = frame_json(f);
                obj.insert("src".into(), json!(src));
                obj.insert("dst".into(), json!(dst));
                if !notes.is_empty() {
                    obj.insert("notes".into(), json!(notes));
                }
                serde_json::to_writer(&mut self.out, &Value::Object(obj))?;
                self.out.write_all(b"\n")
            }
        }
    }

    /// DTLS needs memory across frames: which handshake fragments were seen
    /// before (retransmissions).
    fn dtls_notes(&mut self, f: &DecodedFrame<'_>) -> Vec<String> {
        let Some((src, dst)) = f.transport.endpoints() else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        for pdu in &f.pdus {
            let dgram = match pdu {
                Pdu::Dtls(d) => d,
                other => match other.inner() {
                    Some(Pdu::Dtls(d)) => d,
                    _ => continue,
                },
            };
            if self.dtls.copies.len() > MAX_DTLS_KEYS {
                self.dtls.copies.clear();
            }
            for rec in &dgram.records {
                let DtlsRecordBody::Handshake(frags) = &rec.body else {
                    continue;
                };
                for frag in frags {
                    let key = (
                        src,
                        dst,
                        frag.msg_type,
                        frag.message_seq,
                        frag.fragment_offset,
                    );
                    let n = self.dtls.copies.entry(key).or_insert(0);
                    *n += 1;
                    if *n > 1 {
                        notes.push(format!(
                            "{} message_seq {}: {} copy",
                            dtls::handshake_type_name(frag.msg_type),
                            frag.message_seq,
                            crate::analysis::evidence::ordinal(u64::from(*n))
                        ));
                    }
                }
            }
        }
        notes
    }

    /// The closing summary: frames per protocol, undecodable frames, what
    /// reassembly did.
    pub fn finish(mut self, info: &CaptureInfo, stats: &PipelineStats) -> io::Result<W> {
        match self.format {
            Format::Text => {
                if !self.quiet {
                    writeln!(self.out)?;
                }
                let links: Vec<String> =
                    info.link_types.iter().map(|l| link_type_name(*l)).collect();
                writeln!(
                    self.out,
                    "{}: {} frames, {} bytes, link types {}",
                    info.path,
                    info.frames,
                    info.bytes,
                    links.join(", ")
                )?;
                let per: Vec<String> = self
                    .per_protocol
                    .iter()
                    .map(|(p, n)| format!("{p} {n}"))
                    .collect();
                writeln!(self.out, "frames per protocol: {}", per.join(", "))?;
                writeln!(self.out, "undecodable frames: {}", self.undecodable)?;
                writeln!(
                    self.out,
                    "reassembly: {} IP datagrams from fragments ({} dropped at the bound, {} timed out); TCP {} retransmissions, {} out of order, {} bytes given up; {} stream messages",
                    stats.fragments.reassembled,
                    stats.fragments.dropped_over_limit,
                    stats.fragments.timed_out,
                    stats.tcp.retransmissions,
                    stats.tcp.out_of_order,
                    stats.tcp.dropped_over_limit,
                    stats.streams.messages
                )?;
            }
            Format::Json => {
                let summary = json!({
                    "summary": {
                        "path": info.path,
                        "frames": info.frames,
                        "bytes": info.bytes,
                        "link_types": info.link_types.iter().map(|l| link_type_name(*l)).collect::<Vec<_>>(),
                        "per_protocol": self.per_protocol,
                        "undecodable_frames": self.undecodable,
                        "pipeline": stats,
                    }
                });
                serde_json::to_writer(&mut self.out, &summary)?;
                self.out.write_all(b"\n")?;
            }
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The protocol a frame is counted under: its first application message,
/// else its transport, else why it could not be read.
pub fn frame_protocol(f: &DecodedFrame<'_>) -> &'static str {
    if let Some(p) = f.pdus.first() {
        return p.protocol();
    }
    match &f.transport {
        Transport::Udp { .. } => "udp",
        Transport::Tcp { .. } => "tcp",
        Transport::Icmp(i) if i.v6 => "icmpv6",
        Transport::Icmp(_) => "icmp",
        Transport::FragmentHeld { .. } => "ip-fragment",
        Transport::OtherIp { .. } => "ip",
        Transport::NonIp { .. } => "other",
        Transport::UnsupportedLink { .. } | Transport::Undecodable { .. } => "undecodable",
    }
}

fn endpoints_text(f: &DecodedFrame<'_>) -> (String, String) {
    if let Some((s, d)) = f.transport.endpoints() {
        return (s.to_string(), d.to_string());
    }
    match (&f.transport, &f.ip) {
        (Transport::FragmentHeld { src, dst, .. }, _) => (src.to_string(), dst.to_string()),
        (_, Some(ip)) => (ip.src.to_string(), ip.dst.to_string()),
        _ => ("-".into(), "-".into()),
    }
}

fn pdu_summary(p: &Pdu<'_>) -> String {
    let own = match p {
        Pdu::Sip(m) => m.summary(),
        Pdu::Stun { msg, .. } => format!("STUN {}", msg.summary()),
        Pdu::ChannelData { data, .. } => data.summary(),
        Pdu::Dtls(d) => d.summary(),
        Pdu::Rtp(r) => r.summary(),
        Pdu::Rtcp(r) => r.summary(),
        Pdu::Tls(t) => t.summary(),
        Pdu::Malformed { protocol, reason } => {
            format!("{} (malformed: {reason})", protocol.to_uppercase())
        }
    };
    match p.inner() {
        Some(inner) => format!("{own} | relayed: {}", pdu_summary(inner)),
        None => own,
    }
}

/// The one-line summary of a frame.
pub fn frame_info(f: &DecodedFrame<'_>) -> String {
    let mut info = if f.pdus.is_empty() {
        transport_info(f)
    } else {
        f.pdus
            .iter()
            .map(pdu_summary)
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    if let Some(n) = f.reassembled_fragments {
        info.push_str(&format!(" [reassembled from {n} IP fragments]"));
    }
    if let Some(t) = truncation(f) {
        info.push_str(&format!(" [{t}]"));
    }
    info
}

/// Said of a frame the capture did not keep whole (snaplen): what follows
/// the cut could not be decoded.
fn truncation(f: &DecodedFrame<'_>) -> Option<String> {
    (f.caplen < f.orig_len).then(|| {
        format!(
            "frame cut by the capture's snapshot length: {} of {} bytes kept",
            f.caplen, f.orig_len
        )
    })
}

fn tcp_flags(flags: u8) -> String {
    let names = [(2, "SYN"), (16, "ACK"), (1, "FIN"), (4, "RST"), (8, "PSH")];
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    set.join(",")
}

fn transport_info(f: &DecodedFrame<'_>) -> String {
    match &f.transport {
        Transport::Udp { len, .. } => format!("UDP len={len}"),
        Transport::Tcp {
            flags,
            seq,
            ack,
            len,
            kind,
            ..
        } => format!(
            "TCP [{}] seq={seq} ack={ack} len={len} {kind:?}",
            tcp_flags(*flags)
        ),
        Transport::Icmp(i) => match &i.unreachable {
            Some(u) => format!(
                "ICMP{} destination unreachable ({:?}) for {} -> {}",
                if i.v6 { "v6" } else { "" },
                u.kind,
                u.original_src
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "?".into()),
                u.original_dst
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "?".into()),
            ),
            None => format!(
                "ICMP{} type={} code={}",
                if i.v6 { "v6" } else { "" },
                i.icmp_type,
                i.code
            ),
        },
        Transport::FragmentHeld {
            offset,
            more,
            protocol,
            ..
        } => format!(
            "IP fragment proto={protocol} offset={offset}{} (held for reassembly)",
            if *more { " MF" } else { "" }
        ),
        Transport::OtherIp { protocol } => format!("IP protocol {protocol}"),
        Transport::NonIp { ether_type } => match ether_type {
            0x0806 => "ARP".to_string(),
            0x8035 => "RARP".to_string(),
            0x88cc => "LLDP".to_string(),
            0x8863 | 0x8864 => "PPPoE (not IP)".to_string(),
            t => format!("non-IP ethertype 0x{t:04x}"),
        },
        Transport::UnsupportedLink { link_type } => {
            format!("unsupported link type {}", link_type_name(*link_type))
        }
        Transport::Undecodable { reason } => format!("undecodable: {reason}"),
    }
}

fn pdu_json(p: &Pdu<'_>) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("protocol".into(), json!(p.protocol()));
    obj.insert("info".into(), json!(pdu_summary(p)));
    let fields = match p {
        Pdu::Sip(m) => m.packet_json(),
        Pdu::Stun { msg, .. } => msg.packet_json(),
        Pdu::ChannelData { data, .. } => data.packet_json(),
        Pdu::Dtls(d) => d.packet_json(),
        Pdu::Rtp(r) => r.packet_json(),
        Pdu::Rtcp(r) => r.packet_json(),
        Pdu::Tls(t) => t.packet_json(),
        Pdu::Malformed { reason, .. } => json!({ "malformed": reason }),
    };
    obj.insert(p.protocol().into(), fields);
    if let Some(inner) = p.inner() {
        obj.insert("inner".into(), Value::Object(pdu_json(inner)));
    }
    obj
}

/// One frame decoded field by field, as `packets --format json` prints it
/// (without the notes that need the frames before it).
pub fn frame_detail(f: &DecodedFrame<'_>) -> Value {
    let (src, dst) = endpoints_text(f);
    let mut obj = frame_json(f);
    obj.insert("src".into(), json!(src));
    obj.insert("dst".into(), json!(dst));
    Value::Object(obj)
}

/// The text of the SIP messages a frame carries (start line, headers as
/// read, body), as a SIP user reads them.
pub fn sip_text(f: &DecodedFrame<'_>) -> Option<String> {
    let mut out = String::new();
    for pdu in &f.pdus {
        let Pdu::Sip(m) = pdu else { continue };
        if !out.is_empty() {
            out.push('\n');
        }
        match &m.start {
            crate::decode::sip::StartLine::Request {
                method,
                uri,
                version,
            } => out.push_str(&format!("{method} {uri} {version}\n")),
            crate::decode::sip::StartLine::Response {
                version,
                status,
                reason,
            } => out.push_str(&format!("{version} {status} {reason}\n")),
        }
        for h in &m.headers {
            out.push_str(&format!("{}: {}\n", h.name, h.value));
        }
        if !m.after_headers.is_empty() {
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(m.after_headers));
        }
    }
    (!out.is_empty()).then_some(out)
}

fn frame_json(f: &DecodedFrame<'_>) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("frame".into(), json!(f.number));
    obj.insert("ts".into(), json!(format_epoch(f.ts_ns)));
    obj.insert("len".into(), json!(f.orig_len));
    obj.insert("protocol".into(), json!(frame_protocol(f)));
    if let Some(v) = f.vlan {
        obj.insert("vlan".into(), json!(v));
    }
    match f.pdus.first() {
        Some(first) => {
            let mut p = pdu_json(first);
            obj.insert("info".into(), json!(frame_info(f)));
            p.remove("protocol");
            p.remove("info");
            obj.extend(p);
            if let Some(inner) = first.inner() {
                obj.insert("inner".into(), json!(inner.protocol()));
                obj.insert("inner_fields".into(), Value::Object(pdu_json(inner)));
            }
            if f.pdus.len() > 1 {
                let all: Vec<Value> = f.pdus.iter().map(|p| Value::Object(pdu_json(p))).collect();
                obj.insert("messages".into(), Value::Array(all));
            }
        }
        None => {
            obj.insert("info".into(), json!(transport_info(f)));
            if let Some(reason) = f.undecodable_reason() {
                obj.insert("reason".into(), json!(reason));
            }
        }
    }
    match &f.transport {
        Transport::Tcp {
            flags,
            seq,
            ack,
            len,
            ..
        } => {
            obj.insert(
                "tcp".into(),
                json!({"flags": tcp_flags(*flags), "seq": seq, "ack": ack, "len": len}),
            );
        }
        Transport::Icmp(i) => {
            let u = i.unreachable.as_ref();
            obj.insert(
                "icmp".into(),
                json!({
                    "v6": i.v6, "type": i.icmp_type, "code": i.code,
                    "unreachable": u.map(|u| format!("{:?}", u.kind)),
                    "original_src": u.and_then(|u| u.original_src).map(|a| a.to_string()),
                    "original_dst": u.and_then(|u| u.original_dst).map(|a| a.to_string()),
                }),
            );
        }
        _ => {}
    }
    if let Some(n) = f.reassembled_fragments {
        obj.insert("reassembled_fragments".into(), json!(n));
    }
    if let Some(t) = truncation(f) {
        obj.insert("truncated".into(), json!(true));
        obj.entry("reason").or_insert(json!(t));
    }
    obj
}
