//! What `callscope packets` and the library do with captures that are cut,
//! not captures at all, compressed, piped, or hold frames the decoder cannot
//! read. Bad inputs are built in the test by editing a real sample's bytes.
//! Exit status 2 means the capture could not be read (wholly or in part).

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use callscope::capture::{CaptureErrorKind, CaptureFormat, CaptureReader, FrameBatch};
use callscope::decode::Pdu;
use callscope::engine::decode_file;
use callscope::net::linktype;
use callscope::pipeline::Transport;

use support::{pcap_records, sample};

/// Writes `bytes` to a fresh file under the test's temp directory.
fn temp_file(name: &str, bytes: &[u8]) -> String {
    let path = format!(
        "{}/bad-input-{}-{name}",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id()
    );
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fn callscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscope"))
        .args(args)
        .output()
        .expect("run callscope")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The per-frame lines of `packets --format json` output (the summary,
/// last, excluded).
fn frame_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| !l.starts_with("{\"summary\""))
        .collect()
}

fn summary(out: &str) -> serde_json::Value {
    let line = out
        .lines()
        .find(|l| l.starts_with("{\"summary\""))
        .expect("a summary line");
    serde_json::from_str::<serde_json::Value>(line).unwrap()["summary"].clone()
}

#[test]
fn truncated_file_prints_the_frames_before_the_cut_and_exits_2() {
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let recs = pcap_records(&bytes);
    // Cut in the middle of frame 10's data, then in the middle of frame
    // 10's record header: both stop at the byte where frame 10's record
    // starts, after nine whole frames.
    let r = recs[9];
    let full = callscope(&["packets", "--format", "json", &sample("sip-call-rtp.pcap")]);
    let full_out = stdout(&full);
    for (what, cut) in [
        ("data", r.data_start + (r.data_end - r.data_start) / 2),
        ("header", r.header_start + 7),
    ] {
        let path = temp_file(&format!("cut-in-{what}.pcap"), &bytes[..cut]);
        let out = callscope(&["packets", "--format", "json", &path]);
        assert_eq!(out.status.code(), Some(2), "cut in {what}");
        let lines = stdout(&out);
        assert_eq!(frame_lines(&lines), frame_lines(&full_out)[..9].to_vec());
        assert_eq!(summary(&lines)["frames"], 9);
        assert_eq!(
            stderr(&out),
            format!(
                "callscope: {path}: capture cut short in the middle of a frame; \
                 the frames before it were read (at byte {})\n",
                r.header_start
            ),
            "cut in {what}"
        );

        // The library: nine frames, then the error as a late error.
        let mut numbers = Vec::new();
        let outcome = decode_file(&path, 1, |f| numbers.push(f.number)).unwrap();
        assert_eq!(numbers, (1..=9).collect::<Vec<u64>>());
        let e = outcome.late_error.expect("late error");
        assert_eq!(e.kind, CaptureErrorKind::Truncated);
        assert_eq!(e.offset, r.header_start as u64);
        assert_eq!(e.path, path);
    }
}

#[test]
fn truncated_pcapng_stops_at_the_cut_block() {
    // Walk the blocks (type, then total length at offset 4) and cut the
    // 15th in its middle: the 13 packet blocks after the section header and
    // the interface description are read, the offset is the cut block's.
    let bytes = std::fs::read(sample("sip-call-any.pcapng")).unwrap();
    let mut starts = Vec::new();
    let mut off = 0;
    while off + 8 <= bytes.len() {
        starts.push(off);
        off += u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
    }
    let cut_block = starts[15];
    let path = temp_file("cut.pcapng", &bytes[..cut_block + 30]);
    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(summary(&stdout(&out))["frames"], 13);
    assert_eq!(
        stderr(&out),
        format!(
            "callscope: {path}: capture cut short in the middle of a frame; \
             the frames before it were read (at byte {cut_block})\n"
        )
    );
}

#[test]
fn cut_file_header_is_an_error_with_no_frames() {
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let path = temp_file("cut-file-header.pcap", &bytes[..20]);
    let out = callscope(&["packets", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("callscope: {path}: capture cut short inside its file header (at byte 0)\n")
    );
    // A file header and nothing else is a valid, empty capture.
    let path = temp_file("file-header-only.pcap", &bytes[..24]);
    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary(&stdout(&out))["frames"], 0);
}

#[test]
fn file_that_is_not_a_capture_exits_2_with_one_line() {
    let path = temp_file(
        "not-a-capture.txt",
        b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\n\r\n",
    );
    let out = callscope(&["packets", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "callscope: {path}: not a pcap or pcapng capture (unknown magic number) (at byte 0)\n"
        )
    );
    let e = decode_file(&path, 1, |_| {}).unwrap_err();
    assert_eq!(e.kind, CaptureErrorKind::NotACapture);
    assert_eq!((e.path.as_str(), e.offset), (path.as_str(), 0));
}

#[test]
fn empty_file_exits_2_with_one_line() {
    let path = temp_file("empty.pcap", b"");
    let out = callscope(&["packets", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("callscope: {path}: empty file, not a capture\n")
    );
    // Three bytes: the offset says how far the reader got.
    let path = temp_file("three-bytes.pcap", &[0xd4, 0xc3, 0xb2]);
    let e = decode_file(&path, 1, |_| {}).unwrap_err();
    assert_eq!((e.kind, e.offset), (CaptureErrorKind::NotACapture, 3));
}

#[test]
fn missing_file_exits_2_naming_it() {
    let path = format!("{}/no-such-capture.pcap", env!("CARGO_TARGET_TMPDIR"));
    let out = callscope(&["packets", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("callscope: {path}: cannot open: "))
            && err.ends_with(")\n")
            && !err.contains("at byte"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn gzip_compressed_sample_reads_like_the_plain_one() {
    for name in [
        "sip-call-rtp.pcap",
        "sip-call-any.pcapng",
        "sip-call-tcp.pcap",
    ] {
        let plain = sample(name);
        let bytes = std::fs::read(&plain).unwrap();
        let gz = temp_file(&format!("{name}.gz"), &gzip(&bytes));
        let a = callscope(&["packets", "--format", "json", &plain]);
        let b = callscope(&["packets", "--format", "json", &gz]);
        assert_eq!(b.status.code(), Some(0), "{name}: {}", stderr(&b));
        assert_eq!(frame_lines(&stdout(&a)), frame_lines(&stdout(&b)), "{name}");
        let (sa, sb) = (summary(&stdout(&a)), summary(&stdout(&b)));
        assert_eq!(sa["frames"], sb["frames"]);
        assert_eq!(sa["bytes"], sb["bytes"]);
        assert_eq!(sa["per_protocol"], sb["per_protocol"]);

        let r = CaptureReader::open(&gz).unwrap();
        assert!(r.info().gzip, "{name}");
    }
}

#[test]
fn gzip_sample_cut_in_its_trailer_keeps_every_frame_and_exits_2() {
    // The deflate stream is whole; only the CRC/size trailer is missing.
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let gz = gzip(&bytes);
    let path = temp_file("cut-trailer.pcap.gz", &gz[..gz.len() - 3]);
    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(2));
    let records = pcap_records(&bytes).len();
    assert_eq!(frame_lines(&stdout(&out)).len(), records);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("callscope: {path}: read error")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
/// Half of the compressed file inflates to about half of the capture: its
/// whole frames are read, then the cut is reported.
fn gzip_sample_cut_short_keeps_the_frames_before_the_cut() {
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let gz = gzip(&bytes);
    let path = temp_file("cut-half.pcap.gz", &gz[..gz.len() / 2]);
    let mut frames = 0;
    let outcome = decode_file(&path, 1, |_| frames += 1).expect("frames before the cut");
    assert!(frames > 0);
    assert!(outcome.late_error.is_some());
}

#[test]
fn capture_on_standard_input() {
    let name = sample("sip-call-tcp.pcap");
    let bytes = std::fs::read(&name).unwrap();
    for (what, input) in [("plain", bytes.clone()), ("gzip", gzip(&bytes))] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callscope"))
            .args(["packets", "--format", "json", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        let from_file = callscope(&["packets", "--format", "json", &name]);
        assert_eq!(
            frame_lines(&stdout(&out)),
            frame_lines(&stdout(&from_file)),
            "{what}"
        );
        let s = summary(&stdout(&out));
        assert_eq!(s["path"], "-");
        assert_eq!(s["frames"], summary(&stdout(&from_file))["frames"]);
    }

    // The library reads any byte source the same way.
    let records = pcap_records(&bytes).len();
    let mut r =
        CaptureReader::from_reader("memory", Box::new(std::io::Cursor::new(bytes))).unwrap();
    let mut batch = FrameBatch::new();
    let mut n = 0;
    while r.next_batch(&mut batch).unwrap() > 0 {
        n += batch.len();
    }
    assert_eq!(n, records);
    assert_eq!(r.info().format, Some(CaptureFormat::Pcap));
}

/// A classic little-endian microsecond pcap header with this link type.
fn pcap_header(link_type: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65_535u32.to_le_bytes());
    h.extend_from_slice(&link_type.to_le_bytes());
    h
}

fn pcap_record(ts_sec: u32, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&ts_sec.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(&orig_len.to_le_bytes());
    r.extend_from_slice(data);
    r
}

#[test]
fn unsupported_link_type_is_counted_as_undecodable() {
    // LINKTYPE 147 is the first of the "reserved for private use" DLTs.
    let mut bytes = pcap_header(147);
    bytes.extend(pcap_record(
        1_700_000_000,
        b"\x00\x01\x02\x03\x04\x05\x06\x07",
        8,
    ));
    let path = temp_file("linktype-147.pcap", &bytes);

    let mut seen = Vec::new();
    let outcome = decode_file(&path, 1, |f| {
        seen.push((
            f.number,
            f.link_type,
            f.undecodable_reason(),
            matches!(f.transport, Transport::UnsupportedLink { link_type: 147 }),
            f.pdus.len(),
        ))
    })
    .unwrap();
    assert_eq!(seen, vec![(1, 147, Some("unsupported link type"), true, 0)]);
    assert_eq!(outcome.info.link_types, vec![147]);
    assert!(outcome.late_error.is_none());

    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let frame: serde_json::Value = serde_json::from_str(frame_lines(&text)[0]).unwrap();
    assert_eq!(frame["protocol"], "undecodable");
    assert_eq!(frame["reason"], "unsupported link type");
    assert_eq!(frame["info"], "unsupported link type LINKTYPE_147");
    let s = summary(&text);
    assert_eq!(s["undecodable_frames"], 1);
    assert_eq!(s["link_types"], serde_json::json!(["LINKTYPE_147"]));
}

/// sip-call-rtp.pcap with its first frame (the INVITE, 724 bytes) replaced
/// by three edited copies: zero bytes captured, 10 bytes (cut inside the
/// Ethernet header), 50 bytes (cut 8 bytes into the SIP text), each keeping
/// the original length on the wire; then the rest of the file unchanged.
fn cut_frames_capture() -> (String, Vec<u8>) {
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let recs = pcap_records(&bytes);
    let first = &bytes[recs[0].data_start..recs[0].data_end];
    assert_eq!(first.len(), 724);
    let mut out = bytes[..24].to_vec();
    for caplen in [0, 10, 50] {
        let mut rec = bytes[recs[0].header_start..recs[0].data_start].to_vec();
        rec[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        out.extend_from_slice(&rec);
        out.extend_from_slice(&first[..caplen]);
    }
    out.extend_from_slice(&bytes[recs[1].header_start..]);
    (temp_file("cut-frames.pcap", &out), bytes)
}

#[test]
fn zero_length_and_snaplen_cut_frames_are_kept_with_a_reason() {
    let (path, original) = cut_frames_capture();
    let total = pcap_records(&original).len() as u64 + 2;
    let (src, dst): (SocketAddr, SocketAddr) = (
        "10.201.1.1:5060".parse().unwrap(),
        "10.201.1.2:5060".parse().unwrap(),
    );

    let mut n = 0u64;
    let outcome = decode_file(&path, 1, |f| {
        n += 1;
        match f.number {
            1 => {
                assert_eq!((f.caplen, f.orig_len), (0, 724));
                assert_eq!(f.undecodable_reason(), Some("zero-length frame"));
                assert!(f.pdus.is_empty());
            }
            2 => {
                assert_eq!((f.caplen, f.orig_len), (10, 724));
                assert_eq!(f.undecodable_reason(), Some("truncated ethernet header"));
                assert!(f.pdus.is_empty());
            }
            3 => {
                // IP and UDP headers are whole; the IP header's length says
                // more than was captured.
                assert_eq!((f.caplen, f.orig_len), (50, 724));
                let ip = f.ip.expect("IP header read");
                assert!(ip.truncated);
                assert!(
                    matches!(f.transport, Transport::Udp { src: s, dst: d, len: 8 } if s == src && d == dst),
                    "{:?}",
                    f.transport
                );
                assert!(f.pdus.is_empty(), "8 bytes of SIP are not a message");
                assert_eq!(f.undecodable_reason(), None);
            }
            4 => {
                // The file goes on as before: the 100 Trying.
                assert!(!f.ip.unwrap().truncated);
                match f.pdus.as_slice() {
                    [Pdu::Sip(m)] => assert_eq!(m.status(), Some(100)),
                    other => panic!("{other:?}"),
                }
            }
            _ => {}
        }
    })
    .unwrap();
    assert_eq!(n, total);
    assert_eq!(outcome.info.frames, total);
    assert!(outcome.late_error.is_none());

    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines = frame_lines(&text);
    assert_eq!(lines.len() as u64, total);
    let f1: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let f2: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(
        (&f1["protocol"], &f1["reason"]),
        (&"undecodable".into(), &"zero-length frame".into())
    );
    assert_eq!(
        (&f2["protocol"], &f2["reason"]),
        (&"undecodable".into(), &"truncated ethernet header".into())
    );
    assert_eq!(summary(&text)["undecodable_frames"], 2);
}

#[test]
fn snaplen_cut_frame_is_flagged_in_the_packet_list() {
    let (path, _) = cut_frames_capture();
    let out = callscope(&["packets", "--format", "json", &path]);
    let text = stdout(&out);
    let third = frame_lines(&text)[2];
    assert!(third.contains("truncated"), "{third}");
}

#[test]
fn pcapng_with_two_link_types_reads_both_interfaces() {
    // samples/pcapng-two-link-types.pcapng was made with
    //   mergecap -F pcapng -w samples/pcapng-two-link-types.pcapng \
    //       samples/sip-call-rtp.pcap samples/sip-call-any.pcapng
    // one section, two interfaces: 0 Ethernet, 1 LINUX_SLL2 (checked with
    // `capinfos` and `tshark -T fields -e frame.interface_id -e frame.encap_type`).
    let path = sample("pcapng-two-link-types.pcapng");
    let mut per_link = std::collections::BTreeMap::<u32, (u64, u64, u64)>::new();
    let outcome = decode_file(&path, 1, |f| {
        let e = per_link.entry(f.link_type).or_default();
        e.0 += 1;
        e.1 += f.pdus.iter().filter(|p| matches!(p, Pdu::Sip(_))).count() as u64;
        e.2 += f.pdus.iter().filter(|p| matches!(p, Pdu::Rtp(_))).count() as u64;
        assert_eq!(f.undecodable_reason(), None, "frame {}", f.number);
    })
    .unwrap();
    assert!(outcome.late_error.is_none());
    assert_eq!(outcome.info.format, Some(CaptureFormat::Pcapng));
    assert_eq!(
        per_link.into_iter().collect::<Vec<_>>(),
        vec![
            (linktype::ETHERNET, (257, 7, 250)),
            (linktype::LINUX_SLL2, (257, 7, 250)),
        ]
    );
    assert_eq!(outcome.info.frames, 514);

    let out = callscope(&["packets", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&stdout(&out));
    assert_eq!(s["frames"], 514);
    assert_eq!(s["undecodable_frames"], 0);
}

#[test]
fn pcapng_sections_concatenated_restart_interface_numbering() {
    // Two whole pcapng files back to back are one file of two sections
    // (pcapng spec s4.1); interface 0 of the second section is its own.
    let one = sample("sip-call-any.pcapng");
    let count_sip = |path: &str| {
        let mut sip = 0;
        let outcome = decode_file(path, 2, |f| {
            assert_eq!(f.link_type, linktype::LINUX_SLL2);
            sip += f.pdus.iter().filter(|p| matches!(p, Pdu::Sip(_))).count();
        })
        .unwrap();
        assert!(outcome.late_error.is_none());
        assert_eq!(outcome.info.orphan_frames, 0);
        (outcome.info.frames, sip)
    };
    let (frames, sip) = count_sip(&one);
    assert_eq!((frames, sip), (257, 7));
    let a = std::fs::read(&one).unwrap();
    let mut bytes = a.clone();
    bytes.extend_from_slice(&a);
    let path = temp_file("two-sections.pcapng", &bytes);
    assert_eq!(count_sip(&path), (2 * frames, 2 * sip));
}

/// Yields at most 7 bytes per read, as a slow pipe might.
struct Trickle(std::io::Cursor<Vec<u8>>);

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(7);
        self.0.read(&mut buf[..n])
    }
}

/// Every frame's bytes as the reader hands them out, in order.
fn frames_read(mut r: CaptureReader) -> Vec<Vec<u8>> {
    let mut batch = FrameBatch::new();
    let mut out = Vec::new();
    while r.next_batch(&mut batch).unwrap() > 0 {
        out.extend(batch.iter().map(|f| f.data.to_vec()));
    }
    out
}

#[test]
fn frames_cut_by_the_end_of_a_read_buffer_are_read_whole() {
    // 6.6 MB: records straddle the ends of the 1 MiB read buffer.
    let bytes = std::fs::read(sample("sip-load-one-port.pcap")).unwrap();
    let want: Vec<Vec<u8>> = pcap_records(&bytes)
        .iter()
        .map(|r| bytes[r.data_start..r.data_end].to_vec())
        .collect();
    assert_eq!(want.len(), 25_348); // capinfos -c
    let path = sample("sip-load-one-port.pcap");
    assert_eq!(frames_read(CaptureReader::open(&path).unwrap()), want);
    let slow = Box::new(Trickle(std::io::Cursor::new(bytes.clone())));
    assert_eq!(
        frames_read(CaptureReader::from_reader("slow", slow).unwrap()),
        want
    );
}

#[test]
fn a_record_larger_than_the_read_buffer_is_read_up_to_the_block_bound() {
    // The first frame of a real capture, its record lengthened with the
    // bytes that follow it in the file repeated: 1.5 MiB is read whole
    // (the buffer grows), 40 MiB is past the 32 MiB bound and named.
    let bytes = std::fs::read(sample("sip-call-rtp.pcap")).unwrap();
    let recs = pcap_records(&bytes);
    for (size, readable) in [(3 << 19, true), (40 << 20, false)] {
        let mut file = bytes[..24].to_vec();
        let mut header = bytes[recs[0].header_start..recs[0].data_start].to_vec();
        header[8..12].copy_from_slice(&(size as u32).to_le_bytes());
        header[12..16].copy_from_slice(&(size as u32).to_le_bytes());
        file.extend_from_slice(&header);
        let data: Vec<u8> = bytes[recs[0].data_start..]
            .iter()
            .cycle()
            .take(size)
            .copied()
            .collect();
        file.extend_from_slice(&data);
        file.extend_from_slice(&bytes[recs[1].header_start..]);
        let path = temp_file(&format!("long-record-{size}.pcap"), &file);
        let out = callscope(&["packets", "--format", "json", &path]);
        if readable {
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert_eq!(summary(&stdout(&out))["frames"], recs.len());
            let frames = frames_read(CaptureReader::open(&path).unwrap());
            assert_eq!(frames[0], data);
            assert_eq!(frames[1], bytes[recs[1].data_start..recs[1].data_end]);
        } else {
            assert_eq!(out.status.code(), Some(2));
            assert_eq!(
                stderr(&out),
                format!(
                    "callscope: {path}: malformed capture block: a block is larger than 32 MiB (at byte 24)\n"
                )
            );
        }
    }
}
