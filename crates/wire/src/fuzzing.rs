//! Runs one input through every parser and checks round-trip properties. Shared by the `cargo fuzz` target
//! (`fuzz/`) and the seeded stable test, so both exercise the same surface. Panics only when a property fails
//! (that is the bug report); a parser error is a normal outcome.

use crate::checksum::IpPair;
use crate::frame::LinkKind;
use crate::*;
use std::net::{Ipv4Addr, Ipv6Addr};

const LINKS: [LinkKind; 5] = [
    LinkKind::Ethernet,
    LinkKind::RawIp,
    LinkKind::Null,
    LinkKind::LinuxSll,
    LinkKind::LinuxSll2,
];
const V4: IpPair = IpPair::V4(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2));
const V6: IpPair = IpPair::V6(
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
);

/// Exercises every parser on `data`. Panics if a round-trip property fails.
pub fn exercise(data: &[u8]) {
    for link in LINKS {
        if let Ok(p) = frame::parse_frame(link, data) {
            touch_parsed(&p);
        }
    }
    let _ = frame::parse_quoted_v4(data);
    let _ = ipv6::parse_quoted_v6(data);
    for next in [0u8, 43, 44, 51, 60, 6] {
        if let Ok(w) = ipv6::walk_extension_headers(next, data) {
            assert!(w.offset <= data.len(), "walk offset past buffer");
        }
    }
    ethernet_props(data);
    arp_props(data);
    ipv4_props(data);
    ipv6_props(data);
    tcp_props(data);
    udp_props(data);
    icmpv4_props(data);
    icmpv6_props(data);
    sctp_props(data);
}

fn touch_parsed(p: &Parsed<'_>) {
    match p.transport {
        Transport::Tcp(t) => {
            for o in t.options.iter() {
                let _ = o;
            }
        }
        Transport::Icmp(i) | Transport::Icmpv6(Icmpv6Info { icmp: i, .. }) => {
            if let Some(q) = i.quoted {
                let _ = q.transport;
            }
        }
        _ => {}
    }
}

fn ethernet_props(data: &[u8]) {
    let Ok(f) = EthernetFrame::new_checked(data) else {
        return;
    };
    let Ok(r) = EthernetRepr::parse(&f) else {
        return;
    };
    let mut out = [0u8; 14];
    r.emit(&mut EthernetFrame::new_unchecked(&mut out[..]))
        .expect("ethernet emit");
    assert_eq!(&out[..], &data[..14], "ethernet round trip");
}

fn arp_props(data: &[u8]) {
    let Ok(p) = ArpPacket::new_checked(data) else {
        return;
    };
    let Ok(r) = ArpRepr::parse(&p) else { return };
    let mut out = [0u8; 28];
    r.emit(&mut ArpPacket::new_unchecked(&mut out[..]))
        .expect("arp emit");
    assert_eq!(&out[..], &data[..28], "arp round trip");
}

fn ipv4_props(data: &[u8]) {
    for quoted in [false, true] {
        let p = if quoted {
            Ipv4Packet::new_quoted(data)
        } else {
            Ipv4Packet::new_checked(data)
        };
        let Ok(p) = p else { continue };
        let _ = (p.payload(), p.verify_checksum(), p.options());
        for o in Ipv4Options::new(p.options())
            .expect("checked view options fit")
            .iter()
        {
            let _ = o;
        }
        let Ok(r) = Ipv4Repr::parse(&p) else { continue };
        let mut out = vec![0u8; r.header_len()];
        r.emit(&mut Ipv4Packet::new_unchecked(&mut out[..]))
            .expect("ipv4 emit");
        let back = Ipv4Packet::new_quoted(&out[..]).expect("emitted ipv4 parses");
        assert!(back.verify_checksum(), "emitted ipv4 checksum");
        assert_eq!(
            Ipv4Repr::parse(&back).expect("reparse"),
            r,
            "ipv4 repr round trip"
        );
        if !quoted {
            fragment_props(&data[..usize::from(p.total_len())], &p);
        }
    }
}

fn fragment_props<T: AsRef<[u8]>>(datagram: &[u8], p: &Ipv4Packet<T>) {
    for size in [8usize, 16, 24, 1480] {
        let Ok(frags) = ipv4::fragment(datagram, size) else {
            continue;
        };
        let mut joined = Vec::new();
        let mut expect_off = usize::from(p.frag_offset());
        for f in &frags {
            let fp = Ipv4Packet::new_checked(&f[..]).expect("fragment parses");
            // A datagram that fits comes back as it was, checksum and all.
            assert!(
                frags.len() == 1 || fp.verify_checksum(),
                "fragment checksum"
            );
            assert_eq!(
                usize::from(fp.frag_offset()),
                expect_off,
                "fragment offsets contiguous"
            );
            expect_off += fp.payload().len();
            joined.extend_from_slice(fp.payload());
        }
        assert_eq!(joined, p.payload(), "fragments reassemble to the payload");
    }
}

fn ipv6_props(data: &[u8]) {
    let Ok(p) = Ipv6Packet::new_checked(data) else {
        return;
    };
    let Ok(r) = Ipv6Repr::parse(&p) else { return };
    let mut out = [0u8; 40];
    r.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]))
        .expect("ipv6 emit");
    assert_eq!(&out[..], &data[..40], "ipv6 header round trip");
    let _ = ipv6::walk_extension_headers(p.next_header(), p.payload());
    for size in [8usize, 64, 1448] {
        let Ok(frags) = ipv6::fragment_v6(data, size, 0x1234_5678) else {
            continue;
        };
        if frags.len() == 1 {
            continue;
        }
        // Each fragment parses. Without hop-by-hop/routing headers the fragment header sits right after the
        // fixed header, and the bodies rejoin to the whole payload.
        let simple = !matches!(p.next_header(), 0 | 43);
        let mut joined = Vec::new();
        for f in &frags {
            let fp = Ipv6Packet::new_checked(&f[..]).expect("fragment parses");
            if simple {
                assert_eq!(fp.next_header(), 44, "fragment header first");
                let fh = &fp.payload()[..8];
                assert_eq!(fh[0], p.next_header(), "original next header kept");
                assert_eq!(
                    usize::from(u16::from_be_bytes([fh[2], fh[3]]) & 0xFFF8),
                    joined.len(),
                    "offsets"
                );
                joined.extend_from_slice(&fp.payload()[8..]);
            }
        }
        if simple {
            assert_eq!(&joined[..], p.payload(), "v6 fragments reassemble");
        }
    }
}

fn tcp_props(data: &[u8]) {
    let Ok(p) = TcpPacket::new_checked(data) else {
        return;
    };
    let _ = (p.verify_checksum(V4), p.verify_checksum(V6));
    let Ok(r) = TcpRepr::parse(&p) else { return };
    for o in r.options.iter() {
        let _ = o;
    }
    let _ = (
        r.options.mss(),
        r.options.timestamp(),
        r.options.window_scale(),
        r.options.sack_permitted(),
    );
    for pair in [V4, V6] {
        let mut out = vec![0u8; r.buffer_len() + p.payload().len()];
        r.emit(
            &mut TcpPacket::new_unchecked(&mut out[..]),
            pair,
            p.payload(),
        )
        .expect("tcp emit");
        let back = TcpPacket::new_checked(&out[..]).expect("emitted tcp parses");
        assert!(back.verify_checksum(pair), "emitted tcp checksum");
        assert_eq!(
            TcpRepr::parse(&back).expect("reparse"),
            r,
            "tcp repr round trip"
        );
        assert_eq!(back.payload(), p.payload());
    }
}

fn udp_props(data: &[u8]) {
    let Ok(p) = UdpPacket::new_checked(data) else {
        return;
    };
    let Ok(r) = UdpRepr::parse(&p) else { return };
    for pair in [V4, V6] {
        let mut out = vec![0u8; 8 + p.payload().len()];
        r.emit(
            &mut UdpPacket::new_unchecked(&mut out[..]),
            pair,
            p.payload(),
        )
        .expect("udp emit");
        let back = UdpPacket::new_checked(&out[..]).expect("emitted udp parses");
        assert!(back.verify_checksum(pair), "emitted udp checksum");
        assert_eq!(back.payload(), p.payload());
    }
}

fn icmpv4_props(data: &[u8]) {
    let Ok(p) = Icmpv4Packet::new_checked(data) else {
        return;
    };
    let _ = p.verify_checksum();
    let Ok(r) = Icmpv4Repr::parse(&p) else { return };
    let mut out = vec![0u8; r.buffer_len()];
    r.emit(&mut Icmpv4Packet::new_unchecked(&mut out[..]))
        .expect("icmpv4 emit");
    let back = Icmpv4Packet::new_checked(&out[..]).expect("emitted icmpv4 parses");
    assert!(back.verify_checksum(), "emitted icmpv4 checksum");
    assert_eq!(
        Icmpv4Repr::parse(&back).expect("reparse"),
        r,
        "icmpv4 repr round trip"
    );
}

fn icmpv6_props(data: &[u8]) {
    let Ok(p) = Icmpv6Packet::new_checked(data) else {
        return;
    };
    let Ok(r) = Icmpv6Repr::parse(&p) else { return };
    let mut out = vec![0u8; r.buffer_len()];
    r.emit(&mut Icmpv6Packet::new_unchecked(&mut out[..]), V6)
        .expect("icmpv6 emit");
    let back = Icmpv6Packet::new_checked(&out[..]).expect("emitted icmpv6 parses");
    assert!(back.verify_checksum(V6), "emitted icmpv6 checksum");
    assert_eq!(
        Icmpv6Repr::parse(&back).expect("reparse"),
        r,
        "icmpv6 repr round trip"
    );
}

fn sctp_props(data: &[u8]) {
    let Ok(p) = SctpPacket::new_checked(data) else {
        return;
    };
    let _ = p.verify_checksum();
    for c in p.chunks() {
        let _ = c;
    }
    let Ok(r) = SctpRepr::parse(&p) else { return };
    let mut out = vec![0u8; r.buffer_len()];
    r.emit(&mut SctpPacket::new_unchecked(&mut out[..]))
        .expect("sctp emit");
    let back = SctpPacket::new_checked(&out[..]).expect("emitted sctp parses");
    assert!(back.verify_checksum(), "emitted sctp checksum");
    assert_eq!(
        SctpRepr::parse(&back).expect("reparse"),
        r,
        "sctp repr round trip"
    );
    // Chunks re-encoded from their parsed form parse back to the same chunks.
    let chunks: Vec<SctpChunk<'_>> = r.chunks().map_while(Result::ok).collect();
    if let Ok(enc) = sctp::encode_chunks(&chunks) {
        let again = SctpRepr { chunks: &enc, ..r };
        let back: Vec<SctpChunk<'_>> = again.chunks().map_while(Result::ok).collect();
        assert_eq!(back, chunks, "sctp chunk re-encoding");
    }
}
