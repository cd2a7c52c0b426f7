//! Builders and parse_frame agree; checksums verify; --badsum checksums do not.

use portolan_wire::build::*;
use portolan_wire::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const A: Ipv4Addr = Ipv4Addr::new(198, 18, 250, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 251, 2);

fn v6(s: &str) -> Ipv6Addr {
    s.parse().expect("literal")
}

#[test]
fn tcp_syn_with_options_round_trip() {
    let opts = TcpOptions::from_options(&[
        TcpOption::Mss(1460),
        TcpOption::SackPermitted,
        TcpOption::Timestamp {
            tsval: 0xdeadbeef,
            tsecr: 0,
        },
        TcpOption::Nop,
        TcpOption::WindowScale(10),
    ])
    .expect("fits");
    let tcp = TcpRepr {
        window: 64240,
        options: opts,
        ..TcpRepr::new(40000, 22, 0x1234_5678, 0, TcpFlags::SYN)
    };
    let mut ip = Ipv4Params::new(A, B, 64, 4242);
    ip.dont_frag = true;
    let pkt = ipv4_tcp(&ip, &tcp, b"").expect("build");
    assert_eq!(pkt.len(), 20 + 20 + 20);
    let p = parse_frame(LinkKind::RawIp, &pkt).expect("parse");
    let s = p.ip.expect("ip");
    assert_eq!(
        (s.src, s.dst, s.ttl, s.ident, s.protocol),
        (IpAddr::V4(A), IpAddr::V4(B), 64, 4242, 6)
    );
    assert!(s.dont_frag && s.checksum_ok);
    let Transport::Tcp(t) = p.transport else {
        panic!("not tcp: {:?}", p.transport)
    };
    assert_eq!(
        (t.src_port, t.dst_port, t.seq, t.flags, t.window),
        (40000, 22, 0x1234_5678, TcpFlags::SYN, 64240)
    );
    assert!(t.checksum_ok);
    assert_eq!(t.options.mss(), Some(1460));
    assert_eq!(t.options.window_scale(), Some(10));
    assert!(t.options.sack_permitted());
    assert_eq!(t.options.timestamp(), Some((0xdeadbeef, 0)));
    // View -> Repr -> emit gives identical bytes.
    let ipv = Ipv4Packet::new_checked(&pkt[..]).expect("ip view");
    let tv = TcpPacket::new_checked(ipv.payload()).expect("tcp view");
    let r = TcpRepr::parse(&tv).expect("repr");
    assert_eq!(r, tcp);
    let again = ipv4_tcp(&ip, &r, tv.payload()).expect("rebuild");
    assert_eq!(again, pkt);

    ip.bad_checksum = true;
    let bad = ipv4_tcp(&ip, &tcp, b"").expect("build");
    let p = parse_frame(LinkKind::RawIp, &bad).expect("parse");
    let Transport::Tcp(t) = p.transport else {
        panic!()
    };
    assert!(!t.checksum_ok);
    assert!(
        p.ip.expect("ip").checksum_ok,
        "--badsum leaves the IP checksum right"
    );
}

#[test]
fn udp_icmp_sctp_v4_and_v6() {
    let ip = Ipv4Params::new(A, B, 37, 7);
    let u = ipv4_udp(&ip, 5353, 53, b"hello").expect("udp");
    let p = parse_frame(LinkKind::RawIp, &u).expect("parse");
    let Transport::Udp(x) = p.transport else {
        panic!()
    };
    assert_eq!(
        (x.src_port, x.dst_port, x.len, x.payload, x.checksum_ok),
        (5353, 53, 13, &b"hello"[..], true)
    );

    let ts = Icmpv4Repr::TimestampRequest {
        ident: 9,
        seq: 3,
        originate: 1,
        receive: 0,
        transmit: 0,
    };
    let pk = ipv4_icmp(&ip, &ts).expect("icmp");
    let p = parse_frame(LinkKind::RawIp, &pk).expect("parse");
    let Transport::Icmp(i) = p.transport else {
        panic!()
    };
    assert_eq!(
        (i.msg_type, i.ident, i.seq, i.checksum_ok),
        (13, 9, 3, true)
    );

    let init = SctpChunk::Init {
        initiate_tag: 0xabcdef01,
        a_rwnd: 65535,
        outbound_streams: 10,
        inbound_streams: 2048,
        initial_tsn: 77,
        params: &[],
    };
    let s = ipv4_sctp(&ip, 1000, 80, 0, &[init]).expect("sctp");
    let p = parse_frame(LinkKind::RawIp, &s).expect("parse");
    let Transport::Sctp(x) = p.transport else {
        panic!()
    };
    assert_eq!(
        (x.src_port, x.dst_port, x.vtag, x.init_tag, x.checksum_ok),
        (1000, 80, 0, 0xabcdef01, true)
    );
    assert_eq!(x.chunks.as_slice(), &[1]);

    let ip6 = Ipv6Params::new(v6("2001:db8:250::1"), v6("2001:db8:251::2"), 64);
    let e = ipv6_icmp(
        &ip6,
        &Icmpv6Repr::EchoRequest {
            ident: 5,
            seq: 6,
            data: b"abc",
        },
    )
    .expect("icmp6");
    let p = parse_frame(LinkKind::RawIp, &e).expect("parse");
    let Transport::Icmpv6(x) = p.transport else {
        panic!()
    };
    assert_eq!(
        (
            x.icmp.msg_type,
            x.icmp.ident,
            x.icmp.seq,
            x.icmp.checksum_ok
        ),
        (128, 5, 6, true)
    );
    let t6 = ipv6_tcp(&ip6, &TcpRepr::new(1, 2, 3, 0, TcpFlags::SYN), b"").expect("tcp6");
    let p = parse_frame(LinkKind::RawIp, &t6).expect("parse");
    let Transport::Tcp(x) = p.transport else {
        panic!()
    };
    assert!(x.checksum_ok);
    assert_eq!(p.ip.expect("ip").version, IpVersion::V6);
}
