//! Messages the lab kernel cannot produce (no SCTP stack) or link framings it does not use, built with our
//! emitters from the RFC layouts and parsed back.

use portolan_wire::build::*;
use portolan_wire::sctp::chunk;
use portolan_wire::*;
use std::net::{IpAddr, Ipv4Addr};

const A: Ipv4Addr = Ipv4Addr::new(198, 18, 250, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 251, 2);

#[test]
fn sctp_init_ack_and_abort() {
    // INIT-ACK with a State Cookie parameter (type 7, length 4 + 8) as a listening stack would answer -sY.
    let params = [0x00, 0x07, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8];
    let ack = SctpChunk::InitAck {
        initiate_tag: 0x0102_0304,
        a_rwnd: 106_496,
        outbound_streams: 10,
        inbound_streams: 10,
        initial_tsn: 99,
        params: &params,
    };
    let ip = Ipv4Params::new(B, A, 64, 0);
    let pkt = ipv4_sctp(&ip, 80, 40000, 0xdead_beef, &[ack]).expect("build");
    let p = parse_frame(LinkKind::RawIp, &pkt).expect("parse");
    let Transport::Sctp(s) = p.transport else {
        panic!("{p:?}")
    };
    assert_eq!(
        (s.vtag, s.init_tag, s.chunks.as_slice(), s.checksum_ok),
        (0xdead_beef, 0x0102_0304, &[chunk::INIT_ACK][..], true)
    );
    let v = SctpPacket::new_checked(&pkt[20..]).expect("view");
    let chunks: Vec<_> = v.chunks().collect::<Result<_, _>>().expect("chunks");
    assert_eq!(chunks, vec![ack]);

    // ABORT with the T bit (reflected tag) and a cause, then a COOKIE-ACK bundled after it.
    let abort = SctpChunk::Abort {
        t_bit: true,
        causes: &[0, 1, 0, 4],
    };
    let pkt = ipv4_sctp(&ip, 80, 40000, 7, &[abort, SctpChunk::CookieAck]).expect("build");
    let p = parse_frame(LinkKind::RawIp, &pkt).expect("parse");
    let Transport::Sctp(s) = p.transport else {
        panic!()
    };
    assert!(s.abort_t_bit && s.checksum_ok);
    assert_eq!(s.chunks.as_slice(), &[chunk::ABORT, chunk::COOKIE_ACK]);

    // A flipped bit anywhere breaks CRC32c; --badsum does too.
    let mut bad = pkt.clone();
    bad[40] ^= 0x10;
    let Transport::Sctp(s) = parse_frame(LinkKind::RawIp, &bad).expect("parse").transport else {
        panic!()
    };
    assert!(!s.checksum_ok);
    let ip_bad = Ipv4Params {
        bad_checksum: true,
        ..ip
    };
    let pkt = ipv4_sctp(&ip_bad, 80, 40000, 7, &[abort]).expect("build");
    let Transport::Sctp(s) = parse_frame(LinkKind::RawIp, &pkt).expect("parse").transport else {
        panic!()
    };
    assert!(!s.checksum_ok);

    // A chunk whose length runs past the packet: the repr parse says so; the summary keeps the header.
    let mut broken = ipv4_sctp(&ip, 80, 40000, 7, &[abort]).expect("build");
    broken[20 + 12 + 3] = 200;
    let v = SctpPacket::new_checked(&broken[20..]).expect("header ok");
    assert!(matches!(
        SctpRepr::parse(&v),
        Err(WireError::BadTotalLength {
            layer: "sctp chunk",
            value: 200
        })
    ));
    assert!(matches!(
        parse_frame(LinkKind::RawIp, &broken)
            .expect("parse")
            .transport,
        Transport::Sctp(_)
    ));
}

#[test]
fn link_framings() {
    let pkt = ipv4_udp(&Ipv4Params::new(A, B, 64, 1), 1, 2, b"x").expect("build");
    let mac = MacAddr([2, 0, 0, 0, 0, 1]);
    // 802.1Q tagged Ethernet.
    let mut vlan = vec![0xff; 6];
    vlan.extend_from_slice(&mac.0);
    vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    vlan.extend_from_slice(&pkt);
    let p = parse_frame(LinkKind::Ethernet, &vlan).expect("vlan");
    assert_eq!(p.link_src, Some(mac));
    assert!(matches!(p.transport, Transport::Udp(u) if u.dst_port == 2 && u.checksum_ok));
    // A tag cut short.
    assert!(parse_frame(LinkKind::Ethernet, &vlan[..16]).is_err());
    // BSD loopback, family in big-endian (as some writers do) and little-endian.
    for fam in [[0, 0, 0, 2], [2, 0, 0, 0]] {
        let mut n = fam.to_vec();
        n.extend_from_slice(&pkt);
        assert_eq!(
            parse_frame(LinkKind::Null, &n)
                .expect("null")
                .ip
                .map(|i| i.src),
            Some(IpAddr::V4(A))
        );
    }
    assert!(matches!(
        parse_frame(LinkKind::Null, &[7, 0, 0, 0, 0x45]),
        Err(WireError::BadField {
            layer: "null",
            field: "family",
            value: 7
        })
    ));
    // Raw IP with a version that is neither 4 nor 6.
    assert!(matches!(
        parse_frame(LinkKind::RawIp, &[0x55; 40]),
        Err(WireError::BadVersion { value: 5, .. })
    ));
    // Ethernet padding after a short IP datagram is ignored (the IP total length rules).
    let mut padded = ethernet(MacAddr::BROADCAST, mac, 0x0800, &pkt).expect("eth");
    padded.resize(60, 0);
    let p = parse_frame(LinkKind::Ethernet, &padded).expect("padded");
    assert!(matches!(p.transport, Transport::Udp(u) if u.payload == b"x" && u.checksum_ok));
    // Non-IP EtherType.
    let lldp = ethernet(MacAddr::BROADCAST, mac, 0x88cc, &[0; 10]).expect("eth");
    assert!(matches!(
        parse_frame(LinkKind::Ethernet, &lldp)
            .expect("lldp")
            .transport,
        Transport::NotIp { ethertype: 0x88cc }
    ));
}

#[test]
fn tcp_options_and_flags() {
    let opts = [
        TcpOption::WindowScale(10),
        TcpOption::Nop,
        TcpOption::Mss(1460),
        TcpOption::Timestamp {
            tsval: 0xFFFF_FFFF,
            tsecr: 0,
        },
        TcpOption::SackPermitted,
    ];
    let o = TcpOptions::from_options(&opts).expect("fits");
    let back: Vec<_> = o.iter().collect::<Result<_, _>>().expect("decode");
    assert_eq!(back, opts, "order kept (OS detection depends on it)");
    assert_eq!(o.padded_len(), 20);
    assert!(
        TcpOptions::from_options(&[TcpOption::Timestamp { tsval: 0, tsecr: 0 }; 5]).is_err(),
        "50 bytes > 40"
    );
    // Malformed option lengths: zero, past the end.
    for raw in [&[2u8, 0, 5, 0][..], &[2, 9, 0, 0], &[8]] {
        let o = TcpOptions::from_bytes(raw).expect("raw");
        assert!(o.iter().any(|r| r.is_err()), "{raw:?}");
        assert_eq!(o.mss(), None);
    }
    assert_eq!(format!("{:?}", TcpFlags::SYN | TcpFlags::ACK), "SA");
    assert_eq!(format!("{:?}", TcpFlags(0x1FF)), "SFRPAUECN");
    // --scanflags: every flag bit survives a build/parse round trip.
    for bits in [0u16, 0x029, 0x1FF, 0x0C2] {
        let pkt = ipv4_tcp(
            &Ipv4Params::new(A, B, 64, 1),
            &TcpRepr::new(1, 2, 3, 4, TcpFlags(bits)),
            b"",
        )
        .expect("b");
        let Transport::Tcp(t) = parse_frame(LinkKind::RawIp, &pkt).expect("p").transport else {
            panic!()
        };
        assert_eq!(t.flags, TcpFlags(bits));
    }
}

#[test]
fn ipv4_options_fragment_copy_rule_and_emit_errors() {
    // Loose source route (copied, 0x83) and record route (not copied, 7): later fragments keep only the first.
    let lsrr = [0x83, 7, 4, 198, 18, 251, 254];
    let rr = [7, 7, 4, 0, 0, 0, 0];
    let mut raw = lsrr.to_vec();
    raw.extend_from_slice(&rr);
    let ip = Ipv4Params {
        options: Ipv4Options::new(&raw).expect("opts"),
        ..Ipv4Params::new(A, B, 64, 77)
    };
    let pkt = ipv4_udp(&ip, 1, 2, &[0xAB; 40]).expect("build");
    let frags = fragment(&pkt, 16).expect("fragment");
    assert_eq!(frags.len(), 3, "48 bytes in 16-byte pieces");
    let o0 = Ipv4Repr::parse(&Ipv4Packet::new_checked(&frags[0][..]).expect("f0"))
        .expect("r0")
        .options;
    let o1 = Ipv4Repr::parse(&Ipv4Packet::new_checked(&frags[1][..]).expect("f1"))
        .expect("r1")
        .options;
    assert_eq!(o0.iter().count(), 2);
    let later: Vec<_> = o1.iter().collect::<Result<_, _>>().expect("later");
    assert_eq!(later, vec![(0x83, &lsrr[2..])]);
    assert!(Ipv4Options::new(&[1; 41]).is_err());
    // emit into a buffer that is too small says so.
    let r = TcpRepr::new(1, 2, 3, 4, TcpFlags::SYN);
    let mut small = [0u8; 10];
    assert!(matches!(
        r.emit(
            &mut TcpPacket::new_unchecked(&mut small[..]),
            IpPair::V4(A, B),
            b""
        ),
        Err(WireError::BufferTooSmall {
            layer: "tcp",
            need: 20,
            ..
        })
    ));
    assert_eq!(
        "02:00:5e:10:00:01".parse::<MacAddr>().expect("mac"),
        MacAddr([2, 0, 0x5e, 0x10, 0, 1])
    );
    assert!("02:00:5e:10:00".parse::<MacAddr>().is_err());
}

#[test]
fn ipv6_extension_headers_are_walked_and_kept_unfragmentable() {
    let s: std::net::Ipv6Addr = "2001:db8:250::1".parse().expect("addr");
    let d: std::net::Ipv6Addr = "2001:db8:251::2".parse().expect("addr");
    let tcp = TcpRepr::new(40000, 22, 99, 0, TcpFlags::SYN);
    let mut seg = vec![0u8; tcp.buffer_len()];
    tcp.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        IpPair::V6(s, d),
        b"",
    )
    .expect("tcp");
    // hop-by-hop (PadN) -> destination options (PadN) -> routing (type 0 header, no segments left) -> TCP
    let mut payload = vec![
        60, 0, 1, 4, 0, 0, 0, 0, 43, 0, 1, 4, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
    ];
    payload.extend_from_slice(&seg);
    let pkt = ipv6_raw(&Ipv6Params::new(s, d, 64), 0, &payload).expect("build");
    let p = parse_frame(LinkKind::RawIp, &pkt).expect("parse");
    let ip = p.ip.expect("ip");
    assert_eq!((ip.protocol, ip.header_len), (6, 64));
    assert!(matches!(p.transport, Transport::Tcp(t) if t.seq == 99 && t.checksum_ok));

    // Quoted in an ICMPv6 error (cut after 8 bytes of TCP), the quote walks the same headers.
    let quote = &pkt[..64 + 8];
    let err = ipv6_icmp(
        &Ipv6Params::new(d, s, 64),
        &Icmpv6Repr::DstUnreachable {
            code: 1,
            quoted: quote,
        },
    )
    .expect("b");
    let Transport::Icmpv6(i) = parse_frame(LinkKind::RawIp, &err).expect("parse").transport else {
        panic!()
    };
    let q = i.icmp.quoted.expect("quote");
    assert_eq!(
        q.transport,
        QuotedTransport::Tcp {
            src_port: 40000,
            dst_port: 22,
            seq: 99
        }
    );
    assert_eq!((q.ip.src, q.ip.dst), (IpAddr::V6(s), IpAddr::V6(d)));

    // Fragmenting keeps hop-by-hop in every fragment and puts the fragment header after it; the first fragment
    // still walks to the TCP header only when it is whole, the rest are fragments.
    let frags = fragment_v6(&pkt, 16, 0xabcd).expect("fragment");
    assert_eq!(
        frags.len(),
        3,
        "16 + 20 bytes of fragmentable part in 16-byte pieces"
    );
    for (n, f) in frags.iter().enumerate() {
        assert_eq!(
            (f[6], f[40]),
            (0, 44),
            "hop-by-hop first, pointing at the fragment header"
        );
        let p = parse_frame(LinkKind::RawIp, f).expect("fragment parses");
        let ip = p.ip.expect("ip");
        assert_eq!(ip.ident, 0xabcd);
        assert_eq!(usize::from(ip.frag_offset), n * 16);
    }
    // A header chain longer than the walker's bound is refused, not looped over.
    let mut long = Vec::new();
    for _ in 0..20 {
        long.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    }
    let pkt = ipv6_raw(&Ipv6Params::new(s, d, 64), 60, &long).expect("build");
    assert!(matches!(
        parse_frame(LinkKind::RawIp, &pkt),
        Err(WireError::BadField {
            field: "extension header count",
            ..
        })
    ));
}
