//! Malformed input: every truncation of every captured frame, broken length fields, garbage quotes, and a
//! seeded stream of mutated/random inputs through every parser (the stable twin of the cargo-fuzz target).

mod common;

use common::{ALL, capture, net_offset};
use portolan_wire::*;

#[test]
fn every_truncation_of_every_captured_frame_is_handled() {
    for name in ALL {
        let c = capture(name);
        let off = net_offset(c.link);
        for pkt in &c.packets {
            let full = parse_frame(c.link, pkt).expect("full frame parses");
            for n in 0..pkt.len() {
                let cut = &pkt[..n];
                portolan_wire::fuzzing::exercise(cut);
                match parse_frame(c.link, cut) {
                    // A frame cut inside the link or network header, or before the IP total length, is an error.
                    Err(_) => {}
                    Ok(p) => {
                        // Only the link padding may be cut (veth frames have none, so the IP end is the frame end).
                        assert!(
                            full.ip.is_none()
                                || n >= off + full.ip.map_or(0, |i| i.total_len as usize),
                            "{name}: cut at {n} of {} parsed as {p:?}",
                            pkt.len()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bad_length_fields_are_named() {
    let c = capture("tcp4");
    let syn = c
        .packets
        .iter()
        .find(|p| {
            matches!(
                parse_frame(c.link, p).map(|x| x.transport),
                Ok(Transport::Tcp(_))
            )
        })
        .expect("a tcp frame");
    let ip = &syn[14..];
    let mut x = ip.to_vec();
    x[0] = 0x44; // IHL 16 bytes
    assert!(matches!(
        Ipv4Packet::new_checked(&x[..]),
        Err(WireError::BadHeaderLength { value: 16, .. })
    ));
    let mut x = ip.to_vec();
    x[0] = 0x65;
    assert!(matches!(
        Ipv4Packet::new_checked(&x[..]),
        Err(WireError::BadVersion { value: 6, .. })
    ));
    let mut x = ip.to_vec();
    x[2..4].copy_from_slice(&10u16.to_be_bytes());
    assert!(matches!(
        Ipv4Packet::new_checked(&x[..]),
        Err(WireError::BadTotalLength { value: 10, .. })
    ));
    let mut x = ip.to_vec();
    x[2..4].copy_from_slice(&2000u16.to_be_bytes());
    assert!(matches!(
        Ipv4Packet::new_checked(&x[..]),
        Err(WireError::Truncated { need: 2000, .. })
    ));
    // TCP data offset past the segment: the IP header is fine, the transport error is reported.
    let mut x = ip.to_vec();
    x[20 + 12] = 0xF0;
    let p = parse_frame(LinkKind::RawIp, &x).expect("ip ok");
    assert!(matches!(p.transport, Transport::Other { protocol: 6 }));
    assert!(matches!(
        p.transport_error,
        Some(WireError::BadHeaderLength {
            layer: "tcp",
            value: 60
        })
    ));
    let msg = p.transport_error.expect("error").to_string();
    assert!(msg.contains("tcp") && msg.contains("60"), "{msg}");
    // UDP length larger than the datagram.
    let u = capture("udp4");
    let udp = u
        .packets
        .iter()
        .find(|p| {
            matches!(
                parse_frame(u.link, p).map(|x| x.transport),
                Ok(Transport::Udp(_))
            )
        })
        .expect("a udp frame");
    let mut x = udp[14..].to_vec();
    x[24..26].copy_from_slice(&0xFFFFu16.to_be_bytes());
    let p = parse_frame(LinkKind::RawIp, &x).expect("ip ok");
    assert!(matches!(
        p.transport_error,
        Some(WireError::BadTotalLength {
            layer: "udp",
            value: 65535
        })
    ));
}

#[test]
fn garbage_quotes_are_reported_not_matched() {
    let c = capture("udp4");
    let err = c
        .packets
        .iter()
        .find(|p| matches!(parse_frame(c.link, p).map(|x| x.transport), Ok(Transport::Icmp(i)) if i.msg_type == 3))
        .expect("a port unreachable");
    let ip = &err[14..];
    // Quote starts at 20 (outer IP) + 8 (ICMP header).
    for (at, val, what) in [
        (28, 0x55u8, "version"),
        (28, 0x42, "ihl"),
        (30, 0x00, "total length"),
    ] {
        let mut x = ip.to_vec();
        x[at] = val;
        if what == "total length" {
            x[at + 1] = 4;
        }
        let p = parse_frame(LinkKind::RawIp, &x).expect("outer ok");
        let Transport::Icmp(i) = p.transport else {
            panic!("{what}")
        };
        assert!(
            i.quoted.is_none() && i.quote_error.is_some(),
            "{what}: {i:?}"
        );
        assert!(!i.checksum_ok, "the outer ICMP checksum no longer matches");
    }
    // A quote cut to the IP header only: the IP summary is there, the transport is unknown.
    let mut x = ip[..20 + 8 + 20].to_vec();
    x[2..4].copy_from_slice(&48u16.to_be_bytes());
    let p = parse_frame(LinkKind::RawIp, &x).expect("outer ok");
    let Transport::Icmp(i) = p.transport else {
        panic!()
    };
    let q = i.quoted.expect("quote with header only");
    assert!(matches!(
        q.transport,
        QuotedTransport::Other { protocol: 17 }
    ));
}

/// xorshift64*: deterministic, seeded, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn seeded_mutations_through_every_parser() {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for name in ALL {
        let c = capture(name);
        for p in &c.packets {
            seeds.push(p.clone());
            seeds.push(p[net_offset(c.link)..].to_vec());
        }
    }
    let mut rng = Rng(0x5eed_0f90_4701_a2c3);
    let iterations = 300_000;
    let mut buf = Vec::with_capacity(2048);
    let mut parsed_ok = 0usize;
    for _ in 0..iterations {
        buf.clear();
        if rng.below(8) == 0 {
            let n = rng.below(128);
            buf.extend((0..n).map(|_| rng.next() as u8));
        } else {
            buf.extend_from_slice(&seeds[rng.below(seeds.len())]);
            // 1-8 mutations: byte flips, length-field-like 16-bit writes, truncation, insertion.
            for _ in 0..1 + rng.below(8) {
                if buf.is_empty() {
                    break;
                }
                let at = rng.below(buf.len());
                match rng.below(5) {
                    0 => buf[at] ^= 1 << rng.below(8),
                    1 => buf[at] = rng.next() as u8,
                    2 => {
                        let v = [0u8, 1, 4, 5, 8, 0x0F, 0x40, 0x45, 0x60, 0x7F, 0x80, 0xFF]
                            [rng.below(12)];
                        buf[at] = v;
                        if at + 1 < buf.len() {
                            buf[at + 1] = rng.next() as u8;
                        }
                    }
                    3 => buf.truncate(at),
                    _ => buf.insert(at, rng.next() as u8),
                }
            }
        }
        portolan_wire::fuzzing::exercise(&buf);
        for link in [LinkKind::Ethernet, LinkKind::RawIp] {
            if parse_frame(link, &buf).is_ok() {
                parsed_ok += 1;
            }
        }
    }
    // The mutations must leave many inputs parseable, or the test only exercises the first length check.
    assert!(parsed_ok > iterations / 4, "only {parsed_ok} parsed");
}
