//! No input panics a decoder. Every public decoder entry point, the link
//! and transport dissector for every link type, the whole pipeline (with
//! the packet printer and the analyzer behind it) and the capture reader
//! get: every truncation of real frames from the samples, real payloads
//! with random bytes changed, and random bytes.

mod support;

use std::io;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;

use callscope::analysis::dtls::HandshakeReassembler;
use callscope::capture::{CaptureReader, FrameBatch};
use callscope::decode::{demux, dtls, rtcp, rtp, sdp, sip, stun, tls, Pdu};
use callscope::engine::{Session, SessionOptions};
use callscope::net::{self, linktype, L4};
use callscope::report::packet_json::PacketJson;
use callscope::report::packets::{Format, PacketPrinter};
use callscope::report::summary::Summary;

use support::{all_samples, sample};

/// Link types `dissect` is given: every one it reads, some it does not.
const LINK_TYPES: [u32; 14] = [
    linktype::NULL,
    linktype::ETHERNET,
    linktype::RAW_DLT12,
    linktype::RAW_DLT14,
    linktype::RAW,
    linktype::LOOP,
    linktype::LINUX_SLL,
    linktype::IPV4,
    linktype::IPV6,
    linktype::LINUX_SLL2,
    9,
    105,
    147,
    u32::MAX,
];

/// A real frame and, when it carries UDP, where its payload lies.
#[derive(Debug, Clone)]
struct RealFrame {
    link_type: u32,
    data: Vec<u8>,
    /// (start, end, src port, dst port) of the UDP payload in `data`.
    udp: Option<(usize, usize, u16, u16)>,
    /// The same for a TCP payload.
    tcp: Option<(usize, usize, u16, u16)>,
}

impl RealFrame {
    fn payload(&self) -> Option<(&[u8], u16, u16)> {
        let (s, e, sp, dp) = self.udp?;
        Some((&self.data[s..e], sp, dp))
    }
}

/// What a frame is, for picking a varied set: the protocol the demuxer
/// sees in its UDP payload (and what that relays), or its transport.
fn frame_key(f: &RealFrame) -> String {
    if let Some((p, sp, dp)) = f.payload() {
        return match demux::decode_datagram(p, sp, dp) {
            Some(pdu) => format!(
                "udp/{}/{}",
                pdu.protocol(),
                pdu.inner().map(|i| i.protocol()).unwrap_or("-")
            ),
            None => "udp/other".into(),
        };
    }
    match net::dissect(f.link_type, &f.data).l4 {
        L4::Tcp(seg) if !seg.payload.is_empty() => "tcp/data".into(),
        L4::Tcp(_) => "tcp/empty".into(),
        L4::Icmp(_) => "icmp".into(),
        L4::Fragment(_) => "fragment".into(),
        _ => "other".into(),
    }
}

/// The first frame of each kind in each sample (a couple of hundred
/// frames in all), read without the pipeline.
fn real_frames() -> &'static [RealFrame] {
    static FRAMES: OnceLock<Vec<RealFrame>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let mut out = Vec::new();
        for path in all_samples() {
            let mut seen = std::collections::HashMap::<String, u32>::new();
            let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
            let mut batch = FrameBatch::new();
            while r.next_batch(&mut batch).unwrap_or(0) > 0 {
                for raw in batch.iter() {
                    let d = net::dissect(raw.link_type, raw.data);
                    let range = |payload: &[u8], sp: u16, dp: u16| {
                        let start = payload.as_ptr() as usize - raw.data.as_ptr() as usize;
                        Some((start, start + payload.len(), sp, dp))
                    };
                    let (udp, tcp) = match d.l4 {
                        L4::Udp {
                            src_port,
                            dst_port,
                            payload,
                        } => (range(payload, src_port, dst_port), None),
                        L4::Tcp(seg) if !seg.payload.is_empty() => {
                            (None, range(seg.payload, seg.src_port, seg.dst_port))
                        }
                        _ => (None, None),
                    };
                    let f = RealFrame {
                        link_type: raw.link_type,
                        data: raw.data.to_vec(),
                        udp,
                        tcp,
                    };
                    let n = seen.entry(frame_key(&f)).or_default();
                    *n += 1;
                    if *n == 1 {
                        out.push(f);
                    }
                }
            }
        }
        out
    })
}

/// Real UDP and TCP payloads, for mutation.
fn real_payloads() -> &'static [(Vec<u8>, u16, u16)] {
    static PAYLOADS: OnceLock<Vec<(Vec<u8>, u16, u16)>> = OnceLock::new();
    PAYLOADS.get_or_init(|| {
        real_frames()
            .iter()
            .filter_map(|f| {
                let (s, e, sp, dp) = f.udp.or(f.tcp)?;
                Some((f.data[s..e].to_vec(), sp, dp))
            })
            .collect()
    })
}

fn exercise_stun(m: &stun::StunMessage<'_>) {
    let _ = m.summary();
    let _ = m.packet_json().to_string();
    let _ = (m.username(), m.realm(), m.nonce(), m.software());
    let _ = (m.error_code(), m.data(), m.xor_peer_address());
    let _ = (m.mapped_address(), m.xor_relayed_address(), m.lifetime());
    let _ = (m.channel_number(), m.priority(), m.use_candidate());
    let _ = (m.fingerprint_valid(), m.classic_transaction_id());
    let _ = m.has_message_integrity();
    for a in &m.attributes {
        let _ = (a.kind(), a.name());
    }
}

fn exercise_dtls(d: &dtls::DtlsDatagram<'_>) {
    let _ = d.summary();
    let _ = d.packet_json().to_string();
    let mut reassembler = HandshakeReassembler::new();
    for frag in d.handshake_fragments() {
        let _ = frag.is_complete();
        let msg = dtls::parse_handshake_message(frag.msg_type, frag.body);
        let _ = msg.packet_json().to_string();
        if let dtls::HandshakeMessage::Certificate { certificates } = &msg {
            for c in certificates {
                let _ = dtls::certificate_sha256_fingerprint(c);
                let _ = dtls::certificate_fingerprint("sha-1", c);
            }
        }
        if let Some(done) = reassembler.push(frag) {
            let _ = done.message().packet_json().to_string();
        }
    }
}

fn exercise_sip(m: &sip::SipMessage<'_>) {
    let _ = m.summary();
    let _ = m.packet_json().to_string();
    let _ = (m.method(), m.uri(), m.status(), m.reason_phrase());
    let _ = (m.call_id(), m.cseq(), m.from_tag(), m.to_tag());
    let _ = (m.from_uri(), m.to_uri(), m.via_branch(), m.contact());
    let _ = (
        m.content_length(),
        m.content_type(),
        m.reason(),
        m.warning(),
    );
    let _ = m.header_values("Via").count();
    if let Some(body) = m.sdp_body() {
        exercise_sdp(body);
    }
}

fn exercise_sdp(body: &[u8]) {
    if let Ok(s) = sdp::parse_sdp(body) {
        let _ = s.summary();
        let _ = s.packet_json().to_string();
        let _ = s.has_ice();
        for (_, _, m) in s.media_endpoints() {
            let _ = (s.ice_ufrag_for(m), s.fingerprint_for(m));
        }
    }
}

fn exercise_pdu(p: &Pdu<'_>) {
    let _ = p.protocol();
    match p {
        Pdu::Sip(m) => exercise_sip(m),
        Pdu::Stun { msg, .. } => exercise_stun(msg),
        Pdu::ChannelData { data, .. } => {
            let _ = (data.truncated(), data.in_rfc8656_range());
            let _ = data.packet_json().to_string();
        }
        Pdu::Dtls(d) => exercise_dtls(d),
        Pdu::Rtp(r) => {
            let _ = r.summary();
            let _ = r.packet_json().to_string();
        }
        Pdu::Rtcp(c) => {
            let _ = (c.summary(), c.srtcp_suspected());
            let _ = c.packet_json().to_string();
        }
        Pdu::Tls(t) => {
            let _ = t.summary();
            let _ = t.packet_json().to_string();
        }
        Pdu::Malformed { .. } => {}
    }
    if let Some(inner) = p.inner() {
        exercise_pdu(inner);
    }
}

/// Every decoder entry point on one payload, with whatever it returns used.
fn exercise_payload(p: &[u8], src_port: u16, dst_port: u16) {
    if let Some(pdu) = demux::decode_datagram(p, src_port, dst_port) {
        exercise_pdu(&pdu);
    }
    exercise_pdu(&demux::decode_sip(p));
    if let Some(pdu) = demux::decode_tls(p) {
        exercise_pdu(&pdu);
    }
    let _ = stun::looks_like_stun(p);
    if let Ok(m) = stun::parse_stun(p) {
        exercise_stun(&m);
    }
    if let Ok(cd) = stun::parse_channel_data(p) {
        let _ = cd.packet_json().to_string();
    }
    if let Some(m) = stun::stream_message(p) {
        assert!(m.total_len <= p.len() && m.message.len() <= m.total_len);
    }
    let _ = stun::stream_message_len(p);
    let _ = dtls::looks_like_dtls(p);
    if let Ok(d) = dtls::parse_dtls_datagram(p) {
        exercise_dtls(&d);
    }
    for cid in [0, 4, 8] {
        if let Ok(d) = dtls::parse_dtls_datagram_with_cid_len(p, Some(cid)) {
            exercise_dtls(&d);
        }
    }
    if let Some((&t, body)) = p.split_first() {
        let _ = dtls::parse_handshake_message(t, body)
            .packet_json()
            .to_string();
    }
    let _ = sip::looks_like_sip(p);
    let _ = sip::sip_message_len(p);
    if let Ok(m) = sip::parse_sip(p) {
        exercise_sip(&m);
    }
    exercise_sdp(p);
    let _ = (rtp::looks_like_rtp_or_rtcp(p), rtp::is_rtcp(p));
    if let Ok(r) = rtp::parse_rtp(p) {
        let _ = r.summary();
        assert!(r.payload.len() <= p.len());
    }
    if let Ok(c) = rtcp::parse_rtcp(p) {
        let _ = c.summary();
        for pkt in &c.packets {
            let _ = (pkt.kind(), pkt.sender_ssrc(), pkt.summary());
        }
    }
    if let Ok(t) = tls::parse_tls_record(p) {
        let _ = t.summary();
    }
}

/// `dissect` on a frame under every link type, and `dissect_l4` on it as an
/// IP payload of every protocol it reads.
fn exercise_frame(data: &[u8]) {
    for lt in LINK_TYPES {
        let d = net::dissect(lt, data);
        if let L4::Udp { payload, .. } = d.l4 {
            let (b, p) = (data.as_ptr() as usize, payload.as_ptr() as usize);
            assert!(
                p >= b && p + payload.len() <= b + data.len(),
                "payload inside the frame"
            );
        }
    }
    let a = "10.0.0.1".parse().unwrap();
    let b = "fd00::1".parse().unwrap();
    for proto in [0u8, 1, 4, 6, 17, 41, 43, 44, 47, 58, 60, 255] {
        let _ = net::dissect_l4(proto, a, a, data);
        let _ = net::dissect_l4(proto, b, b, data);
    }
}

/// Frames through the pipeline (fragments, TCP streams), the packet
/// printer (text and JSON, with its DTLS reassembly) and the analyzer.
fn exercise_pipeline(frames: &[(u32, &[u8])], session: &mut Session) {
    let mut batch = FrameBatch::new();
    for (i, (lt, data)) in frames.iter().enumerate() {
        batch.push(
            i as u64 + 1,
            1_700_000_000_000_000_000 + i as i64,
            *lt,
            1514,
            data,
        );
    }
    let mut json = PacketPrinter::new(io::sink(), Format::Json);
    let mut text = PacketPrinter::new(io::sink(), Format::Text);
    session.feed_batch(&batch, |f, _, _| {
        json.frame(f).unwrap();
        text.frame(f).unwrap();
        for p in &f.pdus {
            exercise_pdu(p);
        }
    });
}

#[test]
fn real_frames_cover_every_decoder() {
    let kinds: std::collections::BTreeSet<String> = real_frames().iter().map(frame_key).collect();
    for k in [
        "udp/sip/-",
        "udp/stun/-",
        "udp/turn-channel/stun",
        "udp/turn-channel/dtls",
        "udp/turn-channel/rtp",
        "udp/dtls/-",
        "udp/rtp/-",
        "udp/rtcp/-",
        "tcp/data",
        "icmp",
        "fragment",
    ] {
        assert!(kinds.contains(k), "no {k} frame among {kinds:?}");
    }
}

#[test]
fn every_truncation_of_real_frames_decodes_without_panic() {
    for f in real_frames() {
        // Every cut through the frame's own link type; every link type
        // (which reads the same bytes as other headers) on every 16th.
        for cut in 0..=f.data.len() {
            let _ = net::dissect(f.link_type, &f.data[..cut]);
            if cut % 16 == 0 || cut == f.data.len() {
                exercise_frame(&f.data[..cut]);
            }
        }
        // Every cut of the UDP payload, or of the TCP payload (a SIP, STUN
        // or TLS message, or part of one), through every decoder.
        let payload = f
            .payload()
            .or_else(|| f.tcp.map(|(s, e, sp, dp)| (&f.data[s..e], sp, dp)));
        if let Some((p, sp, dp)) = payload {
            for cut in 0..=p.len() {
                exercise_payload(&p[..cut], sp, dp);
            }
        }
    }
}

#[test]
fn truncated_real_frames_through_the_pipeline() {
    // Every cut through the headers, then every 7th: each cut frame goes
    // through fragment and TCP reassembly, the application decoders, the
    // packet printer and the analyzer.
    let mut session = Session::new(SessionOptions::analyze(1));
    for f in real_frames() {
        let n = f.data.len();
        let prefixes: Vec<(u32, &[u8])> = (0..=n)
            .filter(|cut| *cut <= 96 || cut % 7 == 0 || *cut + 1 >= n)
            .map(|cut| (f.link_type, &f.data[..cut]))
            .collect();
        exercise_pipeline(&prefixes, &mut session);
    }
    session.advance_to(i64::MAX / 2);
    for c in session.calls() {
        let _ = (c.timeline(), c.record());
    }
}

/// Reads a whole capture from memory; the loop is bounded so that a reader
/// that stops making progress fails the test instead of hanging it.
fn read_all(bytes: Vec<u8>) -> Option<u64> {
    let mut r = CaptureReader::from_reader("memory", Box::new(io::Cursor::new(bytes))).ok()?;
    let mut batch = FrameBatch::new();
    for _ in 0..100_000 {
        match r.next_batch(&mut batch) {
            Ok(0) => return Some(r.info().frames),
            Ok(_) => {
                for f in batch.iter() {
                    let _ = net::dissect(f.link_type, f.data);
                }
            }
            Err(_) => return Some(r.info().frames),
        }
    }
    panic!("the capture reader made no progress");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Where the blocks of a pcap (16-byte record headers) or pcapng (length
/// at offset 4 of each block) file start, walked independently of the
/// reader under test.
fn block_starts(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut off = 0;
        while off + 8 <= bytes.len() {
            out.push(off);
            let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
            if len < 12 {
                break;
            }
            off += len;
        }
    } else {
        out.push(0);
        out.extend(support::pcap_records(bytes).iter().map(|r| r.header_start));
    }
    out
}

/// Cuts worth trying: every byte of the file header and first block, a
/// few bytes around every block start (inside its header, just after
/// it), and a stride through the rest.
fn interesting_cuts(bytes: &[u8], limit: usize) -> Vec<usize> {
    let end = bytes.len().min(limit);
    let mut cuts: Vec<usize> = (0..=end.min(160)).collect();
    for b in block_starts(bytes) {
        for d in [0, 1, 4, 7, 8, 12, 15, 16, 17, 20, 27, 28, 29] {
            cuts.push(b + d);
        }
    }
    cuts.extend((0..end).step_by(61));
    cuts.push(bytes.len());
    cuts.retain(|c| *c <= end || *c == bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn truncations_of_capture_files_read_without_panic() {
    let pcap = std::fs::read(sample("sip-register-ok.pcap")).unwrap();
    let full = read_all(pcap.clone()).unwrap();
    assert!(full > 0);
    for cut in interesting_cuts(&pcap, usize::MAX) {
        let n = read_all(pcap[..cut].to_vec());
        assert!(n.unwrap_or(0) <= full);
    }
    // pcapng: section header, interface block and the first packets.
    let ng = std::fs::read(sample("sip-call-any.pcapng")).unwrap();
    for cut in interesting_cuts(&ng, 4000) {
        let _ = read_all(ng[..cut].to_vec());
    }
    // gzip: the gzip header byte by byte, then a stride, then the trailer.
    let gz = gzip(&pcap);
    let cuts = (0..=24)
        .chain((24..gz.len()).step_by(37))
        .chain(gz.len().saturating_sub(12)..=gz.len());
    for cut in cuts {
        let n = read_all(gz[..cut].to_vec());
        assert!(n.unwrap_or(0) <= full);
    }
}

/// File bytes for the reader: a real small capture (pcap, pcapng or
/// gzip), or a valid magic number followed by random bytes.
fn capture_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pcap = std::fs::read(sample("sip-register-ok.pcap")).unwrap();
    let ng: Vec<u8> = std::fs::read(sample("sip-call-any.pcapng")).unwrap()[..4000].to_vec();
    let gz = gzip(&pcap);
    let real = prop::sample::select(vec![pcap, ng, gz]);
    let magics = prop::sample::select(vec![
        vec![0xd4u8, 0xc3, 0xb2, 0xa1],
        vec![0xa1, 0xb2, 0xc3, 0xd4],
        vec![0x4d, 0x3c, 0xb2, 0xa1],
        vec![0x0a, 0x0d, 0x0d, 0x0a],
        vec![0x1f, 0x8b],
    ]);
    prop_oneof![
        (
            real,
            prop::collection::vec((any::<Index>(), any::<u8>()), 1..16),
            any::<Index>()
        )
            .prop_map(|(mut b, muts, cut)| {
                for (i, v) in muts {
                    let at = i.index(b.len());
                    b[at] = v;
                }
                let keep = cut.index(b.len() + 1);
                b.truncate(keep);
                b
            }),
        (magics, prop::collection::vec(any::<u8>(), 0..600)).prop_map(|(mut m, tail)| {
            m.extend(tail);
            m
        }),
        prop::collection::vec(any::<u8>(), 0..600),
    ]
}

/// A real UDP payload with a few bytes changed and a random cut.
fn mutated_payload() -> impl Strategy<Value = (Vec<u8>, u16, u16)> {
    let n = real_payloads().len();
    (
        0..n,
        prop::collection::vec((any::<Index>(), any::<u8>()), 0..12),
        any::<Index>(),
    )
        .prop_map(|(i, muts, cut)| {
            let (mut p, sp, dp) = real_payloads()[i].clone();
            if !p.is_empty() {
                for (at, v) in muts {
                    let at = at.index(p.len());
                    p[at] = v;
                }
            }
            let keep = cut.index(p.len() + 1);
            p.truncate(keep);
            (p, sp, dp)
        })
}

/// A real frame with a few bytes changed and a random cut.
fn mutated_frame() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let n = real_frames().len();
    (
        0..n,
        prop::collection::vec((any::<Index>(), any::<u8>()), 0..12),
        any::<Index>(),
    )
        .prop_map(|(i, muts, cut)| {
            let f = &real_frames()[i];
            let mut d = f.data.clone();
            if !d.is_empty() {
                for (at, v) in muts {
                    let at = at.index(d.len());
                    d[at] = v;
                }
            }
            let keep = cut.index(d.len() + 1);
            d.truncate(keep);
            (f.link_type, d)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic_on_random_bytes(
        data in prop::collection::vec(any::<u8>(), 0..1600),
        src_port in any::<u16>(),
        dst_port in any::<u16>(),
    ) {
        exercise_payload(&data, src_port, dst_port);
    }

    #[test]
    fn decoders_never_panic_on_random_bytes_after_a_real_first_byte(
        first in prop::sample::select(vec![0x00u8, 0x01, 0x16, 0x15, 0x17, 0x14, 0x40, 0x4f, 0x80, 0x90, 0xa0, b'I', b'S', b'v']),
        data in prop::collection::vec(any::<u8>(), 0..1600),
    ) {
        let mut p = vec![first];
        p.extend(data);
        exercise_payload(&p, 40000, 40002);
    }

    #[test]
    fn decoders_never_panic_on_mutated_real_payloads((p, sp, dp) in mutated_payload()) {
        exercise_payload(&p, sp, dp);
    }

    #[test]
    fn dissect_never_panics_on_random_frames(data in prop::collection::vec(any::<u8>(), 0..1600)) {
        exercise_frame(&data);
    }

    #[test]
    fn pipeline_never_panics_on_mutated_real_frames(
        frames in prop::collection::vec(mutated_frame(), 1..24),
    ) {
        for (_, d) in &frames {
            exercise_frame(d);
        }
        let refs: Vec<(u32, &[u8])> = frames.iter().map(|(lt, d)| (*lt, d.as_slice())).collect();
        let mut session = Session::new(SessionOptions::analyze(1));
        exercise_pipeline(&refs, &mut session);
        for c in session.calls() {
            let _ = (c.timeline(), c.record());
        }
    }

}

proptest! {
    // Each reader allocates a 1 MiB buffer, slow to fill in a debug build.
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn capture_reader_never_panics(bytes in capture_bytes()) {
        let _ = read_all(bytes);
    }
}
