//! `dissect` on random input: it must never panic, and whatever slices it
//! returns must lie inside the frame.

use proptest::prelude::*;

use super::*;

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
    linktype::NFLOG,
    9,
    147,
    u32::MAX,
];

/// A link header that leads to IP (or to a tag or tunnel in front of it),
/// so random bytes after it reach the deeper layers.
fn link_prefix() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let ether_types = prop::sample::select(vec![
        0x0800u16, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x8864, 0x0806, 0x0001, 0x8847, 0x8848,
    ]);
    prop_oneof![
        ether_types.clone().prop_map(|et| {
            let mut h = vec![0u8; 12];
            h.extend_from_slice(&et.to_be_bytes());
            (linktype::ETHERNET, h)
        }),
        (
            ether_types.clone(),
            prop::sample::select(vec![1u16, 772, 778, 824, 0xfffe])
        )
            .prop_map(|(et, hatype)| {
                let mut h = vec![0u8; 16];
                h[2..4].copy_from_slice(&hatype.to_be_bytes());
                h[14..16].copy_from_slice(&et.to_be_bytes());
                (linktype::LINUX_SLL, h)
            }),
        ether_types.prop_map(|et| {
            let mut h = vec![0u8; 20];
            h[..2].copy_from_slice(&et.to_be_bytes());
            (linktype::LINUX_SLL2, h)
        }),
        prop::sample::select(vec![2u32, 24, 28, 30])
            .prop_map(|af| (linktype::NULL, af.to_le_bytes().to_vec())),
        Just((linktype::RAW, Vec::new())),
    ]
}

/// An IPv4 or IPv6 header with plausible lengths and a protocol that leads
/// somewhere (tunnels, extension headers, fragments, transports).
fn ip_header() -> impl Strategy<Value = Vec<u8>> {
    let protocols =
        prop::sample::select(vec![0u8, 1, 4, 6, 17, 41, 43, 44, 47, 51, 58, 60, 59, 132]);
    prop_oneof![
        (
            5u8..16,
            // 0 makes the frame length count (a length below the header is
            // read laxly), so fragments are not all cut.
            prop_oneof![Just(0u16), any::<u16>()],
            // Mostly whole packets, so tunnels and transports are reached.
            prop_oneof![Just(0u16), Just(0x4000), Just(0x2000), any::<u16>()],
            protocols.clone(),
            any::<[u8; 8]>(),
        )
            .prop_map(|(ihl, total, frag, protocol, addrs)| {
                let mut h = vec![0x40 | ihl, 0];
                h.extend_from_slice(&total.to_be_bytes());
                h.extend_from_slice(&[0, 1]);
                h.extend_from_slice(&frag.to_be_bytes());
                h.extend_from_slice(&[64, protocol, 0, 0]);
                h.extend_from_slice(&addrs);
                h.resize(usize::from(ihl) * 4, 0);
                h
            }),
        (any::<u16>(), protocols, any::<[u8; 32]>()).prop_map(|(len, protocol, addrs)| {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&len.to_be_bytes());
            h.extend_from_slice(&[protocol, 64]);
            h.extend_from_slice(&addrs);
            h
        }),
    ]
}

fn inside(frame: &[u8], part: &[u8]) -> bool {
    let start = frame.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    part.is_empty() || (p >= start && p + part.len() <= start + frame.len())
}

fn check(frame: &[u8], d: &Dissected<'_>) -> Result<(), TestCaseError> {
    match &d.l4 {
        L4::Udp { payload, .. } => prop_assert!(inside(frame, payload)),
        L4::Tcp(seg) => prop_assert!(inside(frame, seg.payload)),
        L4::Fragment(f) => prop_assert!(inside(frame, f.payload)),
        _ => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_any_link_type(
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let d = dissect(link_type, &data);
        check(&data, &d)?;
    }

    #[test]
    fn random_bytes_behind_valid_headers(
        (link_type, link) in link_prefix(),
        ip in ip_header(),
        inner in proptest::option::of(ip_header()),
        tail in proptest::collection::vec(any::<u8>(), 0..120),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut frame = link;
        frame.extend_from_slice(&ip);
        if let Some(inner) = inner {
            frame.extend_from_slice(&inner);
        }
        frame.extend_from_slice(&tail);
        // Also every cut of the frame, as a snap length would make it.
        let cut = cut.index(frame.len() + 1);
        for data in [&frame[..], &frame[..cut]] {
            let d = dissect(link_type, data);
            check(data, &d)?;
            if let (Some(ip), L4::Fragment(f)) = (d.ip, &d.l4) {
                prop_assert_eq!((ip.src, ip.dst, ip.protocol), (f.src, f.dst, f.protocol));
                let _ = dissect_l4(f.protocol, f.src, f.dst, f.payload);
            }
        }
    }

    /// The direct reading of a plain IPv4 header agrees with etherparse's
    /// on every header it takes, cut or whole, with any lengths and flags.
    #[test]
    fn plain_ipv4_reads_as_etherparse_does(
        total in prop_oneof![Just(None), any::<u16>().prop_map(Some)],
        frag in prop_oneof![Just(0u16), Just(0x4000), Just(0x2000), any::<u16>()],
        protocol in prop::sample::select(vec![1u8, 4, 6, 17, 41, 47, 132]),
        addrs in any::<[u8; 8]>(),
        tail in proptest::collection::vec(any::<u8>(), 0..120),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut frame = vec![0x45, 0];
        let total = total.unwrap_or((20 + tail.len()) as u16);
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&[0, 1]);
        frame.extend_from_slice(&frag.to_be_bytes());
        frame.extend_from_slice(&[64, protocol, 0, 0]);
        frame.extend_from_slice(&addrs);
        frame.extend_from_slice(&tail);
        let cut = cut.index(frame.len() + 1);
        for data in [&frame[..], &frame[..cut]] {
            prop_assert_eq!(ip::dissect_ip(data, 0), ip::dissect_ip_lax(data, 0));
        }
    }

    /// VXLAN, Geneve and GTP-U over UDP, and ERSPAN over GRE, with random
    /// tunnel headers, sometimes followed by an inner frame that leads on.
    #[test]
    fn random_bytes_inside_tunnels(
        tunnel in 0usize..5,
        header in proptest::collection::vec(any::<u8>(), 0..24),
        valid_flags in any::<bool>(),
        inner in proptest::option::of(ip_header()),
        tail in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let mut body = Vec::new();
        let mut header = header;
        let protocol = match tunnel {
            0..=2 => {
                let port: u16 = [4789, 6081, 2152][tunnel];
                if valid_flags && !header.is_empty() {
                    header[0] = [0x08, 0x00, 0x30][tunnel];
                }
                body.extend_from_slice(&[0xc0, 0x00]);
                body.extend_from_slice(&port.to_be_bytes());
                body.extend_from_slice(&[0, 0, 0, 0]);
                17u8
            }
            _ => {
                let (flags, proto): (u16, u16) = if tunnel == 3 { (0x1000, 0x88be) } else { (0x1000, 0x22eb) };
                body.extend_from_slice(&flags.to_be_bytes());
                body.extend_from_slice(&proto.to_be_bytes());
                body.extend_from_slice(&[0, 0, 0, 1]);
                47u8
            }
        };
        body.extend_from_slice(&header);
        if let Some(inner) = inner {
            body.extend_from_slice(&[0u8; 12]);
            body.extend_from_slice(&[0x08, 0x00]);
            body.extend_from_slice(&inner);
        }
        body.extend_from_slice(&tail);
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0x40, 0, 64, protocol, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&body);
        let d = dissect(linktype::ETHERNET, &frame);
        check(&frame, &d)?;
    }
}
