//! Dissection and reassembly of real frames. Expected values were read with
//! tshark (`tshark -r FILE -V -Y frame.number==N`). Public captures are read
//! from the shared corpus when it is present; the small captures made for
//! these tests are in `testdata/` (see its README).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::test_pcap::{frame, public, read};
use super::*;

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse::<Ipv6Addr>().unwrap())
}

fn ip(src: IpAddr, dst: IpAddr, protocol: u8, ttl: u8) -> Option<IpInfo> {
    Some(IpInfo {
        src,
        dst,
        protocol,
        ttl,
        truncated: false,
    })
}

fn dissect_frame(frames: &[test_pcap::Frame], number: usize) -> Dissected<'_> {
    let f = frame(frames, number);
    dissect(f.link_type, &f.data)
}

#[test]
fn link_type_names() {
    assert_eq!(link_type_name(linktype::ETHERNET), "EN10MB");
    assert_eq!(link_type_name(linktype::NULL), "NULL");
    assert_eq!(link_type_name(linktype::RAW), "RAW");
    assert_eq!(link_type_name(linktype::LOOP), "LOOP");
    assert_eq!(link_type_name(linktype::LINUX_SLL), "LINUX_SLL");
    assert_eq!(link_type_name(linktype::LINUX_SLL2), "LINUX_SLL2");
    assert_eq!(link_type_name(linktype::IPV4), "IPV4");
    assert_eq!(link_type_name(linktype::IPV6), "IPV6");
    assert_eq!(link_type_name(147), "LINKTYPE_147");
}

#[test]
fn empty_and_unsupported() {
    assert_eq!(
        dissect(linktype::ETHERNET, &[]),
        Dissected {
            vlan: None,
            ip: None,
            l4: L4::Undecodable {
                reason: "zero-length frame"
            }
        }
    );
    assert_eq!(
        dissect(147, &[1, 2, 3]).l4,
        L4::UnsupportedLink { link_type: 147 }
    );
    assert_eq!(
        dissect(linktype::ETHERNET, &[0; 13]).l4,
        L4::Undecodable {
            reason: "truncated ethernet header"
        }
    );
    assert_eq!(
        dissect(linktype::LINUX_SLL2, &[0x08, 0x00, 0, 0]).l4,
        L4::Undecodable {
            reason: "truncated linux cooked v2 header"
        }
    );
}

/// testdata/sll2_udp.pcap frame 1: LINUX_SLL2, ARPHRD_LOOPBACK (772),
/// 127.0.0.1:44482 -> 127.0.0.1:5099, "callscope sll2 probe 0".
#[test]
fn linux_sll2_udp() {
    let frames = read(include_bytes!("testdata/sll2_udp.pcap"));
    assert_eq!(frames.len(), 5);
    let f = frame(&frames, 1);
    assert_eq!(f.link_type, linktype::LINUX_SLL2);
    let lo = v4(127, 0, 0, 1);
    assert_eq!(
        dissect(f.link_type, &f.data),
        Dissected {
            vlan: None,
            ip: ip(lo, lo, 17, 64),
            l4: L4::Udp {
                src_port: 44482,
                dst_port: 5099,
                payload: b"callscope sll2 probe 0",
            },
        }
    );
}

/// A frame cut by the snap length keeps what it holds.
#[test]
fn snaplen_truncated_udp() {
    let frames = read(include_bytes!("testdata/sll2_udp.pcap"));
    let f = frame(&frames, 2);
    let cut = &f.data[..20 + 20 + 8 + 5];
    let lo = v4(127, 0, 0, 1);
    assert_eq!(
        dissect(linktype::LINUX_SLL2, cut),
        Dissected {
            vlan: None,
            ip: Some(IpInfo {
                src: lo,
                dst: lo,
                protocol: 17,
                ttl: 64,
                truncated: true
            }),
            l4: L4::Udp {
                src_port: 44482,
                dst_port: 5099,
                payload: b"calls",
            },
        }
    );
    // Cut inside the UDP header, then inside the IP header.
    assert_eq!(
        dissect(linktype::LINUX_SLL2, &f.data[..20 + 20 + 4]).l4,
        L4::Undecodable {
            reason: "truncated udp header"
        }
    );
    assert_eq!(
        dissect(linktype::LINUX_SLL2, &f.data[..30]),
        Dissected {
            vlan: None,
            ip: None,
            l4: L4::Undecodable {
                reason: "truncated ip header"
            }
        }
    );
}

/// sngrep/ipv6frag.pcap: Linux SLL v1 + IPv6. Frames 1 and 2 are the two
/// fragments (id 0xb0647780, offsets 0 and 181*8) of a 1699-byte UDP
/// datagram 15060 -> 5062 carrying an INVITE; frame 3 is whole.
#[test]
fn linux_sll_ipv6_fragments() {
    let Some(frames) = public("sngrep/ipv6frag.pcap") else {
        return;
    };
    let a = v6("fd17:625c:f037:2:a00:27ff:feb9:1521");
    let b = v6("fd17:625c:f037:2:a00:27ff:feb9:3519");
    let f1 = frame(&frames, 1);
    let f2 = frame(&frames, 2);
    let first = IpFragment {
        src: a,
        dst: b,
        id: 0xb064_7780,
        protocol: 17,
        offset: 0,
        more: true,
        payload: &f1.data[64..],
    };
    let second = IpFragment {
        offset: 1448,
        more: false,
        payload: &f2.data[64..],
        ..first
    };
    assert_eq!(
        dissect(f1.link_type, &f1.data),
        Dissected {
            vlan: None,
            ip: ip(a, b, 17, 64),
            l4: L4::Fragment(first)
        }
    );
    assert_eq!(dissect(f2.link_type, &f2.data).l4, L4::Fragment(second));
    assert_eq!(first.payload.len(), 1448);
    assert_eq!(second.payload.len(), 251);

    let mut r = FragmentReassembler::new(FragmentLimits::default());
    assert_eq!(r.push(&first, 0), None);
    let d = r.push(&second, 1).unwrap();
    assert_eq!((d.src, d.dst, d.protocol, d.fragments), (a, b, 17, 2));
    assert_eq!(d.data.len(), 1699);
    let udp_payload = match dissect_l4(d.protocol, d.src, d.dst, &d.data) {
        L4::Udp {
            src_port: 15060,
            dst_port: 5062,
            payload,
        } => payload.to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(udp_payload.len(), 1691);
    assert!(udp_payload.starts_with(b"INVITE sip:08019200028@[fd17:625"));
    assert_eq!(
        r.stats(),
        FragmentStats {
            reassembled: 1,
            ..FragmentStats::default()
        }
    );

    assert_eq!(
        dissect_frame(&frames, 3),
        Dissected {
            vlan: None,
            ip: ip(b, a, 17, 64),
            l4: L4::Udp {
                src_port: 5062,
                dst_port: 15060,
                payload: &frame(&frames, 3).data[64..],
            }
        }
    );
}

/// testdata/ipv4_frag.pcap: a 1400-byte UDP payload split into three IPv4
/// fragments (id 0x5ed7, offsets 0, 69*8, 138*8), reassembled in every
/// arrival order.
#[test]
fn ipv4_fragments_any_order() {
    let frames = read(include_bytes!("testdata/ipv4_frag.pcap"));
    let a = v4(10, 77, 0, 1);
    let b = v4(10, 77, 0, 2);
    let frags: Vec<IpFragment<'_>> = frames
        .iter()
        .map(|f| match dissect(f.link_type, &f.data) {
            Dissected {
                vlan: None,
                ip: Some(info),
                l4: L4::Fragment(frag),
            } => {
                assert_eq!(info, ip(a, b, 17, 64).unwrap());
                frag
            }
            other => panic!("{other:?}"),
        })
        .collect();
    let base = IpFragment {
        src: a,
        dst: b,
        id: 0x5ed7,
        protocol: 17,
        offset: 0,
        more: true,
        payload: &frames[0].data[34..],
    };
    assert_eq!(frags[0], base);
    assert_eq!(
        frags[1],
        IpFragment {
            offset: 552,
            payload: &frames[1].data[34..],
            ..base
        }
    );
    assert_eq!(
        frags[2],
        IpFragment {
            offset: 1104,
            more: false,
            payload: &frames[2].data[34..],
            ..base
        }
    );
    let body: Vec<u8> = (0..50)
        .flat_map(|i| format!("callscope fragment line {i:04}\r\n").into_bytes())
        .take(1400)
        .collect();
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
        let mut r = FragmentReassembler::new(FragmentLimits::default());
        let mut out = None;
        for (n, &i) in order.iter().enumerate() {
            out = r.push(&frags[i], n as i64);
            assert_eq!(out.is_some(), n == 2, "order {order:?}");
        }
        let d = out.unwrap();
        assert_eq!(d.fragments, 3);
        assert_eq!(
            dissect_l4(d.protocol, d.src, d.dst, &d.data),
            L4::Udp {
                src_port: 52275,
                dst_port: 5060,
                payload: &body
            }
        );
    }
}

/// nDPI/fuzz-2006-06-26-2594.pcap: fuzzed fragment bits. Frame 46 claims
/// offset 7680*8 and holds 20 bytes; frame 81 announces 43690 bytes in a
/// 106-byte frame, so it is a cut fragment and is not handed on.
#[test]
fn fuzzed_ipv4_fragment_bits() {
    let Some(frames) = public("nDPI/fuzz-2006-06-26-2594.pcap") else {
        return;
    };
    let f46 = frame(&frames, 46);
    assert_eq!(
        dissect(f46.link_type, &f46.data),
        Dissected {
            vlan: None,
            ip: ip(v4(192, 168, 1, 2), v4(147, 234, 1, 253), 6, 128),
            l4: L4::Fragment(IpFragment {
                src: v4(192, 168, 1, 2),
                dst: v4(147, 234, 1, 253),
                id: 0x69ad,
                protocol: 6,
                offset: 61440,
                more: false,
                payload: &f46.data[34..54],
            })
        }
    );
    let aa = v4(170, 170, 170, 170);
    assert_eq!(
        dissect_frame(&frames, 81),
        Dissected {
            vlan: None,
            ip: Some(IpInfo {
                src: aa,
                dst: aa,
                protocol: 170,
                ttl: 170,
                truncated: true
            }),
            l4: L4::Undecodable {
                reason: "truncated ip fragment"
            }
        }
    );
    // The whole file goes through without a panic, and every fragment it
    // yields goes through the reassembler.
    let mut r = FragmentReassembler::new(FragmentLimits::default());
    for f in &frames {
        if let L4::Fragment(frag) = dissect(f.link_type, &f.data).l4 {
            let _ = r.push(&frag, f.ts_ns);
        }
    }
}

/// arkime/stun.pcap: 802.1Q. Frame 1 VLAN 300 UDP 16948 -> 3478; frame 4
/// VLAN 100 SYN-ACK 3478 -> 64379; frame 6 untagged.
#[test]
fn vlan_tagged() {
    let Some(frames) = public("arkime/stun.pcap") else {
        return;
    };
    assert_eq!(
        dissect_frame(&frames, 1),
        Dissected {
            vlan: Some(300),
            ip: ip(v4(10, 0, 0, 1), v4(10, 0, 0, 2), 17, 127),
            l4: L4::Udp {
                src_port: 16948,
                dst_port: 3478,
                payload: &frame(&frames, 1).data[46..],
            }
        }
    );
    assert_eq!(
        dissect_frame(&frames, 4),
        Dissected {
            vlan: Some(100),
            ip: ip(v4(10, 0, 0, 5), v4(10, 0, 0, 6), 6, 55),
            l4: L4::Tcp(TcpSegment {
                src_port: 3478,
                dst_port: 64379,
                seq: 2_599_293_801,
                ack: 363_317_648,
                flags: tcp_flags::SYN | tcp_flags::ACK,
                window: 29200,
                payload: &[],
            })
        }
    );
    assert_eq!(dissect_frame(&frames, 6).vlan, None);
}

/// rtpproxy/DLT_NULL.a.rtp.pcap: BSD loopback, family 2 (frame 1, IPv4) and
/// 28 (frame 2, IPv6), both little-endian.
#[test]
fn bsd_loopback_null() {
    let Some(frames) = public("rtpproxy/DLT_NULL.a.rtp.pcap") else {
        return;
    };
    assert_eq!(frame(&frames, 1).link_type, linktype::NULL);
    assert_eq!(
        dissect_frame(&frames, 1),
        Dissected {
            vlan: None,
            ip: ip(v4(127, 0, 0, 1), v4(127, 0, 0, 1), 17, 64),
            l4: L4::Udp {
                src_port: 12002,
                dst_port: 12344,
                payload: &frame(&frames, 1).data[32..],
            }
        }
    );
    let lo6 = v6("::1");
    assert_eq!(
        dissect_frame(&frames, 2),
        Dissected {
            vlan: None,
            ip: ip(lo6, lo6, 17, 64),
            l4: L4::Udp {
                src_port: 12002,
                dst_port: 12344,
                payload: &frame(&frames, 2).data[52..],
            }
        }
    );
    // The same header in network byte order is what LOOP (108) carries, and
    // a big-endian writer's NULL header.
    let mut big = frame(&frames, 2).data.clone();
    big[..4].copy_from_slice(&28u32.to_be_bytes());
    assert_eq!(dissect(linktype::LOOP, &big).ip, ip(lo6, lo6, 17, 64));
    assert_eq!(dissect(linktype::NULL, &big).ip, ip(lo6, lo6, 17, 64));
    big[..4].copy_from_slice(&99u32.to_be_bytes());
    assert_eq!(
        dissect(linktype::NULL, &big).l4,
        L4::Undecodable {
            reason: "unknown loopback address family"
        }
    );
}

/// zeek/sip__sip-long-request-response-paths.pcap: LINKTYPE_IPV4 (228),
/// a 9571-byte UDP datagram 50600 -> 5060 in one frame.
#[test]
fn raw_ipv4_linktype_228() {
    let Some(frames) = public("zeek/sip__sip-long-request-response-paths.pcap") else {
        return;
    };
    let f = frame(&frames, 1);
    assert_eq!(f.link_type, linktype::IPV4);
    let d = dissect(f.link_type, &f.data);
    assert_eq!(
        d,
        Dissected {
            vlan: None,
            ip: ip(v4(192, 0, 2, 10), v4(198, 51, 100, 20), 17, 64),
            l4: L4::Udp {
                src_port: 50600,
                dst_port: 5060,
                payload: &f.data[28..],
            }
        }
    );
    assert_eq!(f.data.len() - 28, 9563);
}

/// wireshark-2022-copy/sip.pcapng: pcapng, LINKTYPE_RAW (101).
#[test]
fn raw_ip_linktype_101() {
    let Some(frames) = public("wireshark-2022-copy/sip.pcapng") else {
        return;
    };
    let f = frame(&frames, 1);
    assert_eq!(f.link_type, linktype::RAW);
    assert_eq!(
        dissect(f.link_type, &f.data),
        Dissected {
            vlan: None,
            ip: ip(v4(10, 102, 130, 150), v4(10, 102, 130, 185), 17, 64),
            l4: L4::Udp {
                src_port: 5060,
                dst_port: 5060,
                payload: &f.data[28..],
            }
        }
    );
    assert_eq!(f.data.len() - 28, 336);
    // Raw IP under the BSD DLT numbers reads the same.
    for lt in [linktype::RAW_DLT12, linktype::RAW_DLT14] {
        assert_eq!(dissect(lt, &f.data), dissect(f.link_type, &f.data));
    }
}

/// sngrep/ipip.pcap frame 2: outer 10.15.196.229 -> 10.15.194.19 (TTL 7,
/// protocol 4), inner 10.15.193.31 -> 10.15.197.103 (TTL 62) TCP
/// 33093 -> 5090 with 621 bytes.
#[test]
fn ip_in_ip() {
    let Some(frames) = public("sngrep/ipip.pcap") else {
        return;
    };
    let f = frame(&frames, 2);
    assert_eq!(
        dissect(f.link_type, &f.data),
        Dissected {
            vlan: None,
            ip: ip(v4(10, 15, 193, 31), v4(10, 15, 197, 103), 6, 62),
            l4: L4::Tcp(TcpSegment {
                src_port: 33093,
                dst_port: 5090,
                seq: 658_869_884,
                ack: 2_107_542_191,
                flags: tcp_flags::PSH | tcp_flags::ACK,
                window: 36,
                payload: &f.data[86..],
            })
        }
    );
    assert_eq!(f.data.len() - 86, 621);
}

/// nDPI/gre_sip.pcapng. Frame 1: QinQ (155, 1), PPPoE session, IPv4, PPTP
/// enhanced GRE, PPP, IPv4 212.83.179.0 -> 192.200.144.148 UDP 5097 -> 5060
/// (412 bytes). Frame 2: VLAN 142, GRE, PPP, 192.168.103.40 ->
/// 192.168.10.210 UDP 5060 -> 5060 (869 bytes).
#[test]
fn qinq_pppoe_gre_ppp() {
    let Some(frames) = public("nDPI/gre_sip.pcapng") else {
        return;
    };
    let f1 = frame(&frames, 1);
    assert_eq!(
        dissect(f1.link_type, &f1.data),
        Dissected {
            vlan: Some(155),
            ip: ip(v4(212, 83, 179, 0), v4(192, 200, 144, 148), 17, 52),
            l4: L4::Udp {
                src_port: 5097,
                dst_port: 5060,
                payload: &f1.data[94..],
            }
        }
    );
    assert_eq!(f1.data.len() - 94, 412);
    let f2 = frame(&frames, 2);
    assert_eq!(
        dissect(f2.link_type, &f2.data),
        Dissected {
            vlan: Some(142),
            ip: ip(v4(192, 168, 103, 40), v4(192, 168, 10, 210), 17, 63),
            l4: L4::Udp {
                src_port: 5060,
                dst_port: 5060,
                payload: &f2.data[86..],
            }
        }
    );
    assert_eq!(f2.data.len() - 86, 869);
}

/// PcapPlusPlus/sip_reqs.pcap frame 2: PPPoE session 0x18e5, IPv4
/// 178.45.73.241 -> 213.192.59.75 UDP 1032 -> 5060 (361 bytes).
#[test]
fn pppoe_session() {
    let Some(frames) = public("PcapPlusPlus/sip_reqs.pcap") else {
        return;
    };
    let f = frame(&frames, 2);
    assert_eq!(
        dissect(f.link_type, &f.data),
        Dissected {
            vlan: None,
            ip: ip(v4(178, 45, 73, 241), v4(213, 192, 59, 75), 17, 64),
            l4: L4::Udp {
                src_port: 1032,
                dst_port: 5060,
                payload: &f.data[50..],
            }
        }
    );
    assert_eq!(f.data.len() - 50, 361);
}

/// ipfixprobe/sip.pcap frame 7: ICMP type 3 code 10 (host administratively
/// prohibited) from 195.113.172.39 quoting UDP 147.32.77.113:5060 ->
/// 195.113.172.39:5061.
#[test]
fn icmp_admin_prohibited() {
    let Some(frames) = public("ipfixprobe/sip.pcap") else {
        return;
    };
    assert_eq!(
        dissect_frame(&frames, 7),
        Dissected {
            vlan: None,
            ip: ip(v4(195, 113, 172, 39), v4(147, 32, 77, 113), 1, 59),
            l4: L4::Icmp(IcmpInfo {
                v6: false,
                icmp_type: 3,
                code: 10,
                unreachable: Some(Unreachable {
                    kind: UnreachableKind::AdminProhibited,
                    original_src: Some(SocketAddr::new(v4(147, 32, 77, 113), 5060)),
                    original_dst: Some(SocketAddr::new(v4(195, 113, 172, 39), 5061)),
                    original_protocol: Some(17),
                }),
            })
        }
    );
}

/// rtpproxy/srtp1.o.rtp.pcap frame 243: ICMP port unreachable quoting UDP
/// 192.168.1.59:21594 -> 192.168.1.60:2240.
#[test]
fn icmp_port_unreachable_v4() {
    let Some(frames) = public("rtpproxy/srtp1.o.rtp.pcap") else {
        return;
    };
    assert_eq!(
        dissect_frame(&frames, 243).l4,
        L4::Icmp(IcmpInfo {
            v6: false,
            icmp_type: 3,
            code: 3,
            unreachable: Some(Unreachable {
                kind: UnreachableKind::Port,
                original_src: Some(SocketAddr::new(v4(192, 168, 1, 59), 21594)),
                original_dst: Some(SocketAddr::new(v4(192, 168, 1, 60), 2240)),
                original_protocol: Some(17),
            }),
        })
    );
}

/// testdata/icmp_unreachable.pcap: frame 2 is the ICMPv6 port unreachable
/// (type 1 code 4) for [::1]:45826 -> [::1]:5098; frame 4 the ICMPv4 one
/// (type 3 code 3) for 127.0.0.1:53954 -> 127.0.0.1:5098.
#[test]
fn icmp_port_unreachable_both_versions() {
    let frames = read(include_bytes!("testdata/icmp_unreachable.pcap"));
    let lo6 = v6("::1");
    assert_eq!(
        dissect_frame(&frames, 2),
        Dissected {
            vlan: None,
            ip: ip(lo6, lo6, 58, 64),
            l4: L4::Icmp(IcmpInfo {
                v6: true,
                icmp_type: 1,
                code: 4,
                unreachable: Some(Unreachable {
                    kind: UnreachableKind::Port,
                    original_src: Some(SocketAddr::new(lo6, 45826)),
                    original_dst: Some(SocketAddr::new(lo6, 5098)),
                    original_protocol: Some(17),
                }),
            })
        }
    );
    let lo = v4(127, 0, 0, 1);
    assert_eq!(
        dissect_frame(&frames, 4).l4,
        L4::Icmp(IcmpInfo {
            v6: false,
            icmp_type: 3,
            code: 3,
            unreachable: Some(Unreachable {
                kind: UnreachableKind::Port,
                original_src: Some(SocketAddr::new(lo, 53954)),
                original_dst: Some(SocketAddr::new(lo, 5098)),
                original_protocol: Some(17),
            }),
        })
    );
}

/// Runs a whole capture's TCP segments through a reassembler; returns the
/// kinds in frame order and the bytes delivered per direction.
fn reassemble_tcp(
    frames: &[test_pcap::Frame],
    order: &[usize],
) -> (Vec<SegmentKind>, [Vec<u8>; 2], TcpReassembler) {
    let mut r = TcpReassembler::new(TcpLimits::default());
    let mut kinds = Vec::new();
    let mut streams = [Vec::new(), Vec::new()];
    for &i in order {
        let f = &frames[i];
        let d = dissect(f.link_type, &f.data);
        let (Some(info), L4::Tcp(seg)) = (d.ip, d.l4) else {
            panic!("frame {} is not TCP", i + 1);
        };
        let out = r.push(
            SocketAddr::new(info.src, seg.src_port),
            SocketAddr::new(info.dst, seg.dst_port),
            &seg,
            f.ts_ns,
        );
        assert_eq!(out.gap_skipped, 0);
        assert_eq!(out.stream_id, 1);
        kinds.push(out.kind);
        streams[usize::from(out.direction)].extend_from_slice(&out.data);
    }
    (kinds, streams, r)
}

/// suricata-verify/sip-body-large.pcap: NULL link, an INVITE of 65793 bytes
/// (64 KiB body) in five segments (frames 5-9), a 207-byte answer (frame
/// 11), FINs in frames 13 and 15.
#[test]
fn tcp_large_body_in_order_and_shuffled() {
    use SegmentKind::*;
    let Some(frames) = public("suricata-verify/sip-body-large.pcap") else {
        return;
    };
    let in_order: Vec<usize> = (0..frames.len()).collect();
    let (kinds, streams, r) = reassemble_tcp(&frames, &in_order);
    assert_eq!(
        kinds,
        [Syn, SynAck, Ack, Ack, Data, Data, Data, Data, Data, Ack, Data, Ack, Fin, Ack, Fin, Ack]
    );
    let mut client = Vec::new();
    for n in 5..=9 {
        let f = frame(&frames, n);
        client.extend_from_slice(&f.data[4 + 20 + 32..]);
    }
    assert_eq!(client.len(), 65793);
    assert!(client.starts_with(b"INVITE "));
    assert_eq!(streams[0], client);
    assert_eq!(streams[1], frame(&frames, 11).data[4 + 20 + 32..]);
    assert_eq!(streams[1].len(), 207);
    assert_eq!(
        r.stats(),
        TcpStats {
            flows: 1,
            ..TcpStats::default()
        }
    );

    // Frames 5..9 arrive 9, 7, 5, 8, 6, with frame 7 twice: the same bytes
    // come out, with the middle segments held meanwhile.
    let shuffled = [0, 1, 2, 3, 8, 6, 6, 4, 7, 5, 9, 10, 11, 12, 13, 14, 15];
    let (kinds, streams, r) = reassemble_tcp(&frames, &shuffled);
    assert_eq!(
        kinds,
        [
            Syn,
            SynAck,
            Ack,
            Ack,
            OutOfOrder,
            OutOfOrder,
            Retransmission,
            Data,
            OutOfOrder,
            Data,
            Ack,
            Data,
            Ack,
            Fin,
            Ack,
            Fin,
            Ack
        ]
    );
    assert_eq!(streams[0], client);
    assert_eq!(
        r.stats(),
        TcpStats {
            flows: 1,
            retransmissions: 1,
            out_of_order: 3,
            ..TcpStats::default()
        }
    );
    assert_eq!(r.buffered_bytes(), 0);
}

/// suricata-verify/sip-tcp-method__sip-tcp.pcap: REGISTER over TCP in two
/// segments (400 + 185 bytes), 200 OK (491 bytes), FIN from the client.
#[test]
fn tcp_register() {
    use SegmentKind::*;
    let Some(frames) = public("suricata-verify/sip-tcp-method__sip-tcp.pcap") else {
        return;
    };
    let order: Vec<usize> = (0..frames.len()).collect();
    let (kinds, streams, _) = reassemble_tcp(&frames, &order);
    assert_eq!(
        kinds,
        [Syn, SynAck, Ack, Data, Ack, Data, Ack, Data, Ack, Fin, Ack]
    );
    assert_eq!(streams[0].len(), 585);
    assert!(streams[0].starts_with(b"REGISTER "));
    assert_eq!(streams[1].len(), 491);
    assert!(streams[1].starts_with(b"SIP/2.0 200"));
}
