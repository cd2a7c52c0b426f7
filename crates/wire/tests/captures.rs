//! Tests over real bytes captured in a namespace lab (see captures/README.md): every frame parses, checksums
//! agree with the kernel's, Repr round trips reproduce the bytes, quoted datagrams expose what the probe carried,
//! and our builders reproduce packets that nmap and the kernel sent.

mod common;

use common::{ALL, Capture, capture, net_offset};
use portolan_wire::build::*;
use portolan_wire::*;
use std::net::IpAddr;

fn parsed<'a>(c: &Capture, pkt: &'a [u8]) -> Parsed<'a> {
    parse_frame(c.link, pkt).unwrap_or_else(|e| panic!("{}: {e} in {pkt:02x?}", c.name))
}

fn ip_of<'a>(c: &Capture, pkt: &'a [u8]) -> &'a [u8] {
    &pkt[net_offset(c.link)..]
}

fn is_badsum_probe(p: &Parsed<'_>) -> bool {
    // The one packet made with `nmap --badsum --ip-options R`: a SYN to port 23 carrying IP options.
    matches!(p.transport, Transport::Tcp(t) if t.dst_port == 23)
        && p.ip.is_some_and(|i| i.header_len > 20)
}

#[test]
fn every_captured_frame_parses_and_checksums_match_the_kernel() {
    let mut total = 0;
    let mut bad = 0;
    for name in ALL {
        let c = capture(name);
        assert!(!c.packets.is_empty(), "{name} is empty");
        for pkt in &c.packets {
            let p = parsed(&c, pkt);
            total += 1;
            assert!(
                p.transport_error.is_none(),
                "{name}: {:?}",
                p.transport_error
            );
            if let Some(ip) = p.ip {
                assert!(ip.checksum_ok, "{name}: ip checksum");
            }
            let ok = match p.transport {
                Transport::Tcp(t) => t.checksum_ok,
                Transport::Udp(u) => u.checksum_ok,
                Transport::Icmp(i) => i.checksum_ok,
                Transport::Icmpv6(i) => i.icmp.checksum_ok,
                Transport::Sctp(s) => s.checksum_ok,
                _ => true,
            };
            if !ok {
                assert!(
                    is_badsum_probe(&p),
                    "{name}: unexpected bad checksum in {p:?}"
                );
                bad += 1;
            }
        }
    }
    assert!(total > 90, "only {total} frames");
    assert_eq!(bad, 1, "exactly the --badsum probe has a wrong checksum");
}

/// Parses each header to its Repr, emits it, and compares with the captured bytes.
#[test]
fn repr_round_trips_reproduce_captured_bytes() {
    let mut counts = [0usize; 8];
    for name in ALL {
        let c = capture(name);
        for pkt in &c.packets {
            let p = parsed(&c, pkt);
            if c.link == LinkKind::Ethernet {
                let f = EthernetFrame::new_checked(&pkt[..]).expect("eth");
                let r = EthernetRepr::parse(&f).expect("eth repr");
                let mut out = [0u8; 14];
                r.emit(&mut EthernetFrame::new_unchecked(&mut out[..]))
                    .expect("emit");
                assert_eq!(&out, &pkt[..14]);
                counts[0] += 1;
            }
            let net = ip_of(&c, pkt);
            if let Transport::Arp(_) = p.transport {
                let a = ArpPacket::new_checked(net).expect("arp");
                let r = ArpRepr::parse(&a).expect("arp repr");
                let mut out = [0u8; 28];
                r.emit(&mut ArpPacket::new_unchecked(&mut out[..]))
                    .expect("emit");
                assert_eq!(&out, &net[..28]);
                counts[1] += 1;
                continue;
            }
            let Some(ip) = p.ip else { continue };
            let (pair, upper) = match ip.version {
                IpVersion::V4 => {
                    let v = Ipv4Packet::new_checked(net).expect("v4");
                    let r = Ipv4Repr::parse(&v).expect("v4 repr");
                    let mut out = vec![0u8; r.header_len()];
                    r.emit(&mut Ipv4Packet::new_unchecked(&mut out[..]))
                        .expect("emit");
                    assert_eq!(&out[..], &net[..v.header_len()], "{name}: ipv4 header");
                    counts[2] += 1;
                    (
                        IpPair::V4(v.src(), v.dst()),
                        &net[v.header_len()..usize::from(v.total_len())],
                    )
                }
                IpVersion::V6 => {
                    let v = Ipv6Packet::new_checked(net).expect("v6");
                    let r = Ipv6Repr::parse(&v).expect("v6 repr");
                    let mut out = [0u8; 40];
                    r.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]))
                        .expect("emit");
                    assert_eq!(&out[..], &net[..40], "{name}: ipv6 header");
                    counts[3] += 1;
                    (
                        IpPair::V6(v.src(), v.dst()),
                        &net[ip.header_len..40 + usize::from(v.payload_len())],
                    )
                }
            };
            if ip.more_frags || ip.frag_offset != 0 {
                continue; // the checksum covers the whole datagram, not this fragment
            }
            match p.transport {
                Transport::Tcp(_) if !is_badsum_probe(&p) => {
                    let t = TcpPacket::new_checked(upper).expect("tcp");
                    let r = TcpRepr::parse(&t).expect("tcp repr");
                    let mut out = vec![0u8; upper.len()];
                    r.emit(
                        &mut TcpPacket::new_unchecked(&mut out[..]),
                        pair,
                        t.payload(),
                    )
                    .expect("emit");
                    assert_eq!(out, upper, "{name}: tcp");
                    counts[4] += 1;
                }
                Transport::Udp(_) => {
                    let u = UdpPacket::new_checked(upper).expect("udp");
                    let r = UdpRepr::parse(&u).expect("udp repr");
                    let mut out = vec![0u8; upper.len()];
                    r.emit(
                        &mut UdpPacket::new_unchecked(&mut out[..]),
                        pair,
                        u.payload(),
                    )
                    .expect("emit");
                    assert_eq!(out, upper, "{name}: udp");
                    counts[5] += 1;
                }
                Transport::Icmp(_) => {
                    let i = Icmpv4Packet::new_checked(upper).expect("icmp");
                    let r = Icmpv4Repr::parse(&i).expect("icmp repr");
                    let mut out = vec![0u8; r.buffer_len()];
                    r.emit(&mut Icmpv4Packet::new_unchecked(&mut out[..]))
                        .expect("emit");
                    assert_eq!(out, upper, "{name}: icmp {r:?}");
                    counts[6] += 1;
                }
                Transport::Icmpv6(_) => {
                    let i = Icmpv6Packet::new_checked(upper).expect("icmp6");
                    let r = Icmpv6Repr::parse(&i).expect("icmp6 repr");
                    // Router solicitations are `Other` and round-trip whole; NS/NA carry exactly one option here.
                    let mut out = vec![0u8; r.buffer_len()];
                    r.emit(&mut Icmpv6Packet::new_unchecked(&mut out[..]), pair)
                        .expect("emit");
                    assert_eq!(out, upper, "{name}: icmp6 {r:?}");
                    counts[7] += 1;
                }
                Transport::Sctp(_) => {
                    let s = SctpPacket::new_checked(upper).expect("sctp");
                    let r = SctpRepr::parse(&s).expect("sctp repr");
                    let mut out = vec![0u8; r.buffer_len()];
                    r.emit(&mut SctpPacket::new_unchecked(&mut out[..]))
                        .expect("emit");
                    assert_eq!(out, upper, "{name}: sctp");
                }
                _ => {}
            }
        }
    }
    assert!(
        counts.iter().all(|&n| n > 0),
        "each kind round-tripped at least once: {counts:?}"
    );
}

/// Every ICMP error in the captures quotes a probe that is itself in the capture; the quote must expose exactly
/// the probe's addresses, IP id, protocol, ports, TCP seq, ICMP id/seq, SCTP vtag.
#[test]
fn quoted_datagrams_match_the_probes_they_answer() {
    let mut matched = 0;
    for name in ALL {
        let c = capture(name);
        let frames: Vec<Parsed<'_>> = c.packets.iter().map(|p| parsed(&c, p)).collect();
        for f in &frames {
            let icmp = match f.transport {
                Transport::Icmp(i) => i,
                Transport::Icmpv6(i) => i.icmp,
                _ => continue,
            };
            let is_err = match f.transport {
                Transport::Icmp(_) => portolan_wire::icmpv4::types::is_error(icmp.msg_type),
                _ => portolan_wire::icmpv6::types::is_error(icmp.msg_type),
            };
            if !is_err {
                continue;
            }
            let q = icmp
                .quoted
                .unwrap_or_else(|| panic!("{name}: error without quote: {:?}", icmp.quote_error));
            // The probe: same src/dst/protocol and (v4) IP id; TTL may differ by the hops taken.
            let probe = frames
                .iter()
                .find(|p| {
                    p.ip.is_some_and(|i| {
                        i.src == q.ip.src
                            && i.dst == q.ip.dst
                            && i.protocol == q.ip.protocol
                            && i.ident == q.ip.ident
                    }) && match (p.transport, q.transport) {
                        (
                            Transport::Tcp(t),
                            QuotedTransport::Tcp {
                                src_port,
                                dst_port,
                                seq,
                            },
                        ) => (t.src_port, t.dst_port, t.seq) == (src_port, dst_port, seq),
                        (
                            Transport::Udp(u),
                            QuotedTransport::Udp {
                                src_port,
                                dst_port,
                                len,
                            },
                        ) => (u.src_port, u.dst_port, u.len) == (src_port, dst_port, len),
                        (
                            Transport::Icmp(i),
                            QuotedTransport::Icmp {
                                msg_type,
                                ident,
                                seq,
                                ..
                            },
                        ) => (i.msg_type, i.ident, i.seq) == (msg_type, ident, seq),
                        (
                            Transport::Icmpv6(i),
                            QuotedTransport::Icmpv6 {
                                msg_type,
                                ident,
                                seq,
                                ..
                            },
                        ) => (i.icmp.msg_type, i.icmp.ident, i.icmp.seq) == (msg_type, ident, seq),
                        (
                            Transport::Sctp(s),
                            QuotedTransport::Sctp {
                                src_port,
                                dst_port,
                                vtag,
                            },
                        ) => (s.src_port, s.dst_port, s.vtag) == (src_port, dst_port, vtag),
                        (
                            Transport::Other { protocol },
                            QuotedTransport::Other { protocol: qp },
                        ) => protocol == qp,
                        _ => false,
                    }
                })
                .unwrap_or_else(|| panic!("{name}: no probe for quote {q:?}"));
            let (pi, qi) = (probe.ip.expect("ip"), q.ip);
            assert!(qi.ttl <= pi.ttl, "quoted TTL is the probe's after hops");
            matched += 1;
        }
    }
    // time exceeded (icmp, tcp), port unreachable (udp x3), protocol unreachable (sctp x3, 250), v6: time
    // exceeded, port unreachable x2, parameter problem (sctp).
    assert!(matched >= 12, "only {matched} quotes matched");
}

#[test]
fn fragments_and_ip_options() {
    let c = capture("icmp4");
    let frames: Vec<Parsed<'_>> = c.packets.iter().map(|p| parsed(&c, p)).collect();
    let firsts = frames
        .iter()
        .filter(|f| f.ip.is_some_and(|i| i.more_frags && i.frag_offset == 0))
        .count();
    let later: Vec<_> = frames
        .iter()
        .filter(|f| matches!(f.transport, Transport::Fragment { protocol: 1 }))
        .collect();
    assert_eq!(
        firsts, 2,
        "echo request and reply each start a fragment train"
    );
    assert_eq!(later.len(), 4);
    let first = frames
        .iter()
        .find(|f| f.ip.is_some_and(|i| i.more_frags && i.frag_offset == 0))
        .expect("first");
    assert!(
        matches!(first.transport, Transport::Icmp(i) if i.msg_type == 8),
        "first fragment carries the ICMP header"
    );

    // Record route (ping -R): option 7 with pointer and nine slots.
    let rr = c
        .packets
        .iter()
        .find_map(|p| {
            let v = Ipv4Packet::new_checked(ip_of(&c, p)).ok()?;
            (v.header_len() > 20).then(|| Ipv4Repr::parse(&v).expect("repr"))
        })
        .expect("a packet with options");
    let opts: Vec<_> = rr
        .options
        .iter()
        .collect::<Result<_, _>>()
        .expect("options parse");
    let (t, data) = opts.iter().find(|(t, _)| *t == 7).expect("record route");
    assert_eq!((*t, data.len()), (7, 37));

    // nmap -f sent its SYN as three 8-byte fragments; fragmenting the reassembled datagram with our helper must
    // reproduce nmap's fragments byte for byte.
    let d = capture("disc4");
    let frags: Vec<&[u8]> = d
        .packets
        .iter()
        .map(|p| ip_of(&d, p))
        .filter(|n| {
            Ipv4Packet::new_checked(*n).is_ok_and(|v| v.more_frags() || v.frag_offset() != 0)
        })
        .collect();
    assert_eq!(frags.len(), 3);
    let v0 = Ipv4Packet::new_checked(frags[0]).expect("frag");
    let mut payload = Vec::new();
    for f in &frags {
        payload.extend_from_slice(Ipv4Packet::new_checked(*f).expect("frag").payload());
    }
    let whole_repr = Ipv4Repr {
        more_frags: false,
        payload_len: payload.len(),
        ..Ipv4Repr::parse(&v0).expect("repr")
    };
    let mut whole = vec![0u8; 20 + payload.len()];
    whole_repr
        .emit(&mut Ipv4Packet::new_unchecked(&mut whole[..]))
        .expect("emit");
    whole[20..].copy_from_slice(&payload);
    // The reassembled SYN has a valid TCP checksum: the fragments were real.
    let v = Ipv4Packet::new_checked(&whole[..]).expect("whole");
    assert!(
        TcpPacket::new_checked(v.payload())
            .expect("tcp")
            .verify_checksum(IpPair::V4(v.src(), v.dst()))
    );
    let ours = fragment(&whole, 8).expect("fragment");
    assert_eq!(ours.len(), 3);
    for (a, b) in ours.iter().zip(&frags) {
        assert_eq!(&a[..], *b, "fragment differs from nmap's");
    }
}

#[test]
fn ipv6_fragments_and_neighbour_discovery() {
    let c = capture("ip6");
    let frames: Vec<Parsed<'_>> = c.packets.iter().map(|p| parsed(&c, p)).collect();
    let first = frames
        .iter()
        .find(|f| f.ip.is_some_and(|i| i.more_frags))
        .expect("first v6 fragment");
    let fi = first.ip.expect("ip");
    assert!(fi.ident != 0 && fi.header_len == 48 && fi.protocol == 58);
    assert!(matches!(first.transport, Transport::Icmpv6(i) if i.icmp.msg_type == 128));
    let second = frames
        .iter()
        .find(|f| {
            f.ip.is_some_and(|i| i.ident == fi.ident && i.frag_offset != 0)
        })
        .expect("second fragment");
    assert!(matches!(
        second.transport,
        Transport::Fragment { protocol: 58 }
    ));

    let mut ns = 0;
    let mut na = 0;
    for f in &frames {
        let Transport::Icmpv6(i) = f.transport else {
            continue;
        };
        let Some(nd) = i.nd else { continue };
        // The link-layer address option names the frame's own sender.
        assert_eq!(nd.link_addr, f.link_src, "{nd:?}");
        if i.icmp.msg_type == 135 {
            ns += 1;
        } else {
            assert_eq!(nd.flags & 0xE0, 0xE0, "router, solicited, override");
            na += 1;
        }
    }
    assert!(ns >= 1 && na >= 1);
}

/// Builders reproduce what nmap and the kernel actually sent, from the fields read out of the capture.
#[test]
fn builders_reproduce_captured_probes() {
    let mut checked = [0usize; 9];
    for name in ["tcp4", "udp4", "sctp4", "disc4", "ip6", "icmp4"] {
        let c = capture(name);
        for pkt in &c.packets {
            let p = parsed(&c, pkt);
            let net = ip_of(&c, pkt);
            let Some(ip) = p.ip else {
                if let Transport::Arp(a) = p.transport
                    && a.op == 1
                {
                    let ours = arp_request(a.sender_mac, a.sender_ip, a.target_ip).expect("arp");
                    assert_eq!(ours, *pkt, "arp request");
                    checked[0] += 1;
                }
                continue;
            };
            if ip.more_frags || ip.frag_offset != 0 || is_badsum_probe(&p) {
                continue;
            }
            let built = match (ip.src, ip.dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    let v = Ipv4Packet::new_checked(net).expect("v4");
                    let mut prm = Ipv4Params::new(s, d, ip.ttl, v.ident());
                    prm.dont_frag = ip.dont_frag;
                    prm.tos = ip.tos;
                    prm.options = Ipv4Options::new(v.options()).expect("opts");
                    let upper = v.payload();
                    match p.transport {
                        Transport::Tcp(t) => {
                            checked[1] += 1;
                            let tv = TcpPacket::new_checked(upper).expect("tcp");
                            ipv4_tcp(&prm, &TcpRepr::parse(&tv).expect("repr"), t.payload)
                        }
                        Transport::Udp(u) => {
                            checked[2] += 1;
                            ipv4_udp(&prm, u.src_port, u.dst_port, u.payload)
                        }
                        Transport::Icmp(_) => {
                            checked[3] += 1;
                            let iv = Icmpv4Packet::new_checked(upper).expect("icmp");
                            ipv4_icmp(&prm, &Icmpv4Repr::parse(&iv).expect("repr"))
                        }
                        Transport::Sctp(s) => {
                            checked[4] += 1;
                            let sv = SctpPacket::new_checked(upper).expect("sctp");
                            let r = SctpRepr::parse(&sv).expect("repr");
                            let chunks: Vec<_> =
                                r.chunks().collect::<Result<_, _>>().expect("chunks");
                            ipv4_sctp(&prm, s.src_port, s.dst_port, s.vtag, &chunks)
                        }
                        Transport::Other { protocol } => {
                            checked[5] += 1;
                            ipv4_raw(&prm, protocol, upper)
                        }
                        _ => continue,
                    }
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    let v = Ipv6Packet::new_checked(net).expect("v6");
                    let mut prm = Ipv6Params::new(s, d, ip.ttl);
                    prm.traffic_class = ip.tos;
                    prm.flow_label = ip.flow_label;
                    let upper = v.payload();
                    match p.transport {
                        Transport::Tcp(t) => {
                            checked[6] += 1;
                            let tv = TcpPacket::new_checked(upper).expect("tcp");
                            ipv6_tcp(&prm, &TcpRepr::parse(&tv).expect("repr"), t.payload)
                        }
                        Transport::Udp(u) => {
                            checked[6] += 1;
                            ipv6_udp(&prm, u.src_port, u.dst_port, u.payload)
                        }
                        Transport::Sctp(s) => {
                            checked[6] += 1;
                            let sv = SctpPacket::new_checked(upper).expect("sctp");
                            let r = SctpRepr::parse(&sv).expect("repr");
                            let chunks: Vec<_> =
                                r.chunks().collect::<Result<_, _>>().expect("chunks");
                            ipv6_sctp(&prm, s.src_port, s.dst_port, s.vtag, &chunks)
                        }
                        Transport::Icmpv6(i) => {
                            if i.icmp.msg_type == 135
                                && let (Some(nd), Some(src)) = (i.nd, p.link_src)
                                && d == solicited_node(nd.target)
                            {
                                let ours = neighbor_solicit(src, s, nd.target).expect("ns");
                                assert_eq!(ours, *pkt, "neighbour solicitation frame");
                                checked[7] += 1;
                            }
                            checked[8] += 1;
                            let iv = Icmpv6Packet::new_checked(upper).expect("icmp6");
                            ipv6_icmp(&prm, &Icmpv6Repr::parse(&iv).expect("repr"))
                        }
                        _ => continue,
                    }
                }
                _ => unreachable!(),
            }
            .expect("build");
            assert_eq!(
                built,
                &net[..usize::try_from(ip.total_len).expect("len")],
                "{name}: {p:?}"
            );
        }
    }
    assert!(
        checked.iter().all(|&n| n > 0),
        "every builder compared at least once: {checked:?}"
    );
}

#[test]
fn linux_cooked_captures_give_the_link_source() {
    for name in ["sll", "sll2"] {
        let c = capture(name);
        let mut with_mac = 0;
        for pkt in &c.packets {
            let p = parsed(&c, pkt);
            if p.link_src.is_some() {
                with_mac += 1;
            }
        }
        assert!(with_mac > 0, "{name}: no link source addresses");
    }
}

#[test]
fn the_same_ip_bytes_parse_identically_under_every_link_kind() {
    let c = capture("tcp4");
    for pkt in &c.packets {
        let net = ip_of(&c, pkt);
        let eth = parse_frame(LinkKind::Ethernet, pkt).expect("eth");
        if eth.ip.is_none() {
            continue;
        }
        let raw = parse_frame(LinkKind::RawIp, net).expect("raw");
        let family: u32 = if net[0] >> 4 == 4 { 2 } else { 10 };
        let mut null = family.to_le_bytes().to_vec();
        null.extend_from_slice(net);
        let nul = parse_frame(LinkKind::Null, &null).expect("null");
        assert_eq!((raw.ip, raw.transport), (eth.ip, eth.transport));
        assert_eq!((nul.ip, nul.transport), (eth.ip, eth.transport));
        assert_eq!(raw.link_src, None);
    }
}

/// The kernel fragmented `ping -6 -s 2000` into 1448 + 560 bytes; reassembling and fragmenting again with the
/// kernel's identification must give the kernel's fragments byte for byte.
#[test]
fn ipv6_fragment_helper_matches_the_kernel() {
    let c = capture("ip6");
    let mut trains: std::collections::BTreeMap<u32, Vec<&[u8]>> = Default::default();
    for pkt in &c.packets {
        let p = parsed(&c, pkt);
        if let Some(ip) = p.ip
            && ip.version == IpVersion::V6
            && (ip.more_frags || ip.frag_offset != 0)
        {
            trains.entry(ip.ident).or_default().push(ip_of(&c, pkt));
        }
    }
    assert_eq!(trains.len(), 2, "request and reply");
    for (ident, frags) in trains {
        let first = Ipv6Packet::new_checked(frags[0]).expect("v6");
        let mut body = Vec::new();
        for f in &frags {
            body.extend_from_slice(&Ipv6Packet::new_checked(*f).expect("v6").payload()[8..]);
        }
        let next = first.payload()[0];
        let mut whole = frags[0][..40].to_vec();
        whole[4..6].copy_from_slice(&(body.len() as u16).to_be_bytes());
        whole[6] = next;
        whole.extend_from_slice(&body);
        let p = parse_frame(LinkKind::RawIp, &whole).expect("reassembled");
        assert!(
            matches!(p.transport, Transport::Icmpv6(i) if i.icmp.checksum_ok),
            "reassembled echo is intact"
        );
        let step = Ipv6Packet::new_checked(frags[0])
            .expect("v6")
            .payload()
            .len()
            - 8;
        let ours = fragment_v6(&whole, step, ident).expect("fragment");
        assert_eq!(ours.len(), frags.len());
        for (a, b) in ours.iter().zip(&frags) {
            assert_eq!(&a[..], *b);
        }
    }
}
