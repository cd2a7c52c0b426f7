//! The 16 probes of Nmap's second-generation OS detection, as the Nmap book lists them and as `nmap -O
//! --packet-trace` sends them (checked with tcpdump in the lab): six SYNs with varied options and windows
//! (SEQ/OPS/WIN/T1), two ICMP echoes (IE), an ECN SYN, T2–T7, and a UDP datagram to a closed port (U1).
//! Every probe is an IPv4 datagram built with `portolan-wire`'s builders, with a random IP ID (U1's is fixed)
//! and a random TTL.

use portolan_wire::build::{self, Ipv4Params};
use portolan_wire::{Icmpv4Packet, Icmpv4Repr, IpPair, TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr, WireError};
use std::net::Ipv4Addr;

/// ICMP codes of the two echo requests (the first one's is deliberately non-zero).
pub const IE_CODES: [u8; 2] = [9, 0];
/// The DF bit of the two echo requests.
pub const IE_DF: [bool; 2] = [true, false];
const IE_TOS: [u8; 2] = [0, 4];
const IE_SEQ: u16 = 295;
const IE_DATA: [usize; 2] = [120, 150];
/// U1's IP ID, which RID compares the returned one with.
pub const U1_IP_ID: u16 = 0x1042;
/// U1's payload: 300 bytes of 'C'.
pub const U1_PAYLOAD_BYTE: u8 = b'C';
const U1_PAYLOAD_LEN: usize = 300;
/// U1's IP total length (20 + 8 + 300), which RIPL compares the returned one with.
pub const U1_IP_LEN: u16 = 328;
/// ECN probe's urgent pointer (set without URG).
const ECN_URGENT: u16 = 0xF7F5;
const TS_PROBE: TcpOption<'static> = TcpOption::Timestamp { tsval: 0xFFFF_FFFF, tsecr: 0 };

/// One probe of a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// SEQ probe 0..=5 (the first one's reply is T1).
    Seq(u8),
    /// ICMP echo 0 or 1.
    Ie(u8),
    U1,
    Ecn,
    /// T2..=T7.
    T(u8),
}

impl Probe {
    /// Every probe that goes to the open port.
    pub fn needs_open(self) -> bool {
        matches!(self, Probe::Seq(_) | Probe::Ecn | Probe::T(2..=4))
    }
}

/// The per-try numbers probes and replies are matched on.
#[derive(Debug, Clone, Copy)]
pub struct TryPlan {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub open: Option<u16>,
    pub closed: u16,
    pub closed_udp: u16,
    /// TCP source ports are `base_port + n` (see [`TryPlan::sport`]).
    pub base_port: u16,
    pub u1_sport: u16,
    pub seq_base: u32,
    pub ack: u32,
    pub ie_ident: u16,
}

impl TryPlan {
    pub fn random(src: Ipv4Addr, dst: Ipv4Addr, open: Option<u16>, closed: u16, closed_udp: u16) -> TryPlan {
        TryPlan {
            src,
            dst,
            open,
            closed,
            closed_udp,
            // Room for the 13 TCP probes above 33000 without wrapping.
            base_port: 33_000 + rand::random::<u16>() % 30_000,
            u1_sport: 33_000 + rand::random::<u16>() % 30_000,
            seq_base: rand::random(),
            ack: rand::random::<u32>() | 1,
            ie_ident: rand::random::<u16>() & 0xFFFE,
        }
    }

    /// The TCP source port of a TCP probe: SEQ 0..5, ECN 6, T2..T7 at 7..12.
    pub fn sport(&self, p: Probe) -> Option<u16> {
        let n = match p {
            Probe::Seq(i) => u16::from(i),
            Probe::Ecn => 6,
            Probe::T(k) => 5 + u16::from(k),
            Probe::Ie(_) | Probe::U1 => return None,
        };
        Some(self.base_port.wrapping_add(n))
    }

    /// Which TCP probe a reply to local port `dport` answers.
    pub fn tcp_probe_for(&self, dport: u16) -> Option<Probe> {
        let n = dport.wrapping_sub(self.base_port);
        match n {
            0..=5 => Some(Probe::Seq(n as u8)),
            6 => Some(Probe::Ecn),
            7..=12 => Some(Probe::T((n - 5) as u8)),
            _ => None,
        }
    }

    /// Sequence and acknowledgment numbers of a TCP probe.
    pub fn seq_ack(&self, p: Probe) -> (u32, u32) {
        match p {
            Probe::Seq(i) => (self.seq_base.wrapping_add(u32::from(i)), self.ack),
            Probe::Ecn => (self.seq_base, 0),
            _ => (self.seq_base, self.ack),
        }
    }
}

/// Options, window and flags of each TCP probe (the book's table; T7 alone scales its window by 15).
fn tcp_shape(p: Probe) -> Option<(Vec<TcpOption<'static>>, u16, TcpFlags, bool)> {
    use TcpOption::{EndOfList as L, Mss, Nop as N, SackPermitted as S, WindowScale as W};
    let t_opts = |ws: u8| vec![W(ws), N, Mss(265), TS_PROBE, S];
    let syn = TcpFlags::SYN;
    Some(match p {
        Probe::Seq(0) => (vec![W(10), N, Mss(1460), TS_PROBE, S], 1, syn, false),
        Probe::Seq(1) => (vec![Mss(1400), W(0), S, TS_PROBE, L], 63, syn, false),
        Probe::Seq(2) => (vec![TS_PROBE, N, N, W(5), N, Mss(640)], 4, syn, false),
        Probe::Seq(3) => (vec![S, TS_PROBE, W(10), L], 4, syn, false),
        Probe::Seq(4) => (vec![Mss(536), S, TS_PROBE, W(10), L], 16, syn, false),
        Probe::Seq(5) => (vec![Mss(265), S, TS_PROBE], 512, syn, false),
        Probe::Ecn => (vec![W(10), N, Mss(1460), S, N, N], 3, syn | TcpFlags::ECE | TcpFlags::CWR, false),
        Probe::T(2) => (t_opts(10), 128, TcpFlags::NONE, true),
        Probe::T(3) => (t_opts(10), 256, syn | TcpFlags::FIN | TcpFlags::URG | TcpFlags::PSH, false),
        Probe::T(4) => (t_opts(10), 1024, TcpFlags::ACK, true),
        Probe::T(5) => (t_opts(10), 31337, syn, false),
        Probe::T(6) => (t_opts(10), 32768, TcpFlags::ACK, true),
        Probe::T(7) => (t_opts(15), 65535, TcpFlags::FIN | TcpFlags::PSH | TcpFlags::URG, false),
        _ => return None,
    })
}

/// Builds one probe as an IPv4 datagram. `ttl` and `ident` are the caller's (random per send).
pub fn build(plan: &TryPlan, p: Probe, ttl: u8, ident: u16) -> Result<Vec<u8>, WireError> {
    let mut ip = Ipv4Params::new(plan.src, plan.dst, ttl, ident);
    match p {
        Probe::Ie(i) => {
            let i = usize::from(i.min(1));
            ip.dont_frag = IE_DF[i];
            ip.tos = IE_TOS[i];
            let data = vec![0u8; IE_DATA[i]];
            let off = u16::from(i == 1);
            let repr = Icmpv4Repr::EchoRequest {
                ident: plan.ie_ident.wrapping_add(off),
                seq: IE_SEQ + off,
                data: &data,
            };
            let mut d = build::ipv4_icmp(&ip, &repr)?;
            let mut icmp = Icmpv4Packet::new_unchecked(&mut d[20..]);
            icmp.set_code(IE_CODES[i]);
            icmp.fill_checksum();
            Ok(d)
        }
        Probe::U1 => {
            ip.ident = U1_IP_ID;
            build::ipv4_udp(&ip, plan.u1_sport, plan.closed_udp, &[U1_PAYLOAD_BYTE; U1_PAYLOAD_LEN])
        }
        tcp => {
            let (opts, window, flags, df) = tcp_shape(tcp).ok_or(WireError::BadField {
                layer: "os probe",
                field: "kind",
                value: 0,
            })?;
            let dport = if tcp.needs_open() { plan.open.unwrap_or(plan.closed) } else { plan.closed };
            let (seq, ack) = plan.seq_ack(tcp);
            let sport = plan.sport(tcp).unwrap_or(plan.base_port);
            let mut t = TcpRepr::new(sport, dport, seq, ack, flags);
            t.window = window;
            t.options = TcpOptions::from_options(&opts)?;
            ip.dont_frag = df;
            if tcp == Probe::Ecn {
                t.urgent = ECN_URGENT;
            }
            let mut d = build::ipv4_tcp(&ip, &t, &[])?;
            if tcp == Probe::Ecn {
                // The reserved bit just above CWR is set too; the wire builder has no field for it.
                d[20 + 12] |= 0x08;
                TcpPacket::new_unchecked(&mut d[20..]).fill_checksum(IpPair::V4(plan.src, plan.dst));
            }
            Ok(d)
        }
    }
}

/// The UDP checksum carried by a built U1 datagram (RUCK compares the returned one with it).
pub fn udp_checksum_of(datagram: &[u8]) -> u16 {
    datagram.get(26..28).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

/// Probes in the order they leave within a try: the six SEQ probes 100 ms apart, then the others.
pub fn order(open: bool) -> Vec<Probe> {
    let mut v: Vec<Probe> = Vec::new();
    if open {
        v.extend((0..6).map(Probe::Seq));
    }
    v.extend([Probe::Ie(0), Probe::Ie(1), Probe::U1]);
    if open {
        v.extend([Probe::Ecn, Probe::T(2), Probe::T(3), Probe::T(4)]);
    }
    v.extend([Probe::T(5), Probe::T(6), Probe::T(7)]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_wire::{LinkKind, Transport, parse_frame};

    fn plan() -> TryPlan {
        let mut p = TryPlan::random(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2), Some(22), 23, 40000);
        p.base_port = 50000;
        p
    }

    #[test]
    fn probes_have_the_book_shapes_and_valid_checksums() {
        let p = plan();
        for probe in order(true) {
            let d = build(&p, probe, 50, 7).unwrap();
            let f = parse_frame(LinkKind::RawIp, &d).unwrap();
            let ip = f.ip.unwrap();
            match (probe, f.transport) {
                (Probe::Seq(0), Transport::Tcp(t)) => {
                    assert_eq!(t.window, 1);
                    assert_eq!(t.options.as_bytes(), [3, 3, 10, 1, 2, 4, 5, 180, 8, 10, 255, 255, 255, 255, 0, 0, 0, 0, 4, 2]);
                    assert!(t.checksum_ok && !ip.dont_frag);
                }
                (Probe::Ecn, Transport::Tcp(t)) => {
                    assert_eq!((t.window, t.urgent, t.reserved, t.ack), (3, 0xF7F5, 4, 0));
                    assert_eq!(t.flags, TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR);
                    assert!(t.checksum_ok, "checksum redone after the reserved bit");
                }
                (Probe::T(7), Transport::Tcp(t)) => {
                    assert_eq!((t.window, t.dst_port, t.src_port), (65535, 23, 50012));
                    assert_eq!(t.options.window_scale(), Some(15));
                }
                (Probe::T(k), Transport::Tcp(t)) => {
                    assert_eq!(ip.dont_frag, k % 2 == 0, "T{k} DF");
                    assert_eq!(p.tcp_probe_for(t.src_port), Some(probe));
                }
                (Probe::Seq(_), Transport::Tcp(t)) => assert_eq!(p.tcp_probe_for(t.src_port), Some(probe)),
                (Probe::Ie(i), Transport::Icmp(c)) => {
                    assert_eq!(c.code, IE_CODES[usize::from(i)]);
                    assert!(c.checksum_ok);
                    assert_eq!(ip.total_len, if i == 0 { 148 } else { 178 });
                    assert_eq!(ip.dont_frag, i == 0);
                }
                (Probe::U1, Transport::Udp(u)) => {
                    assert_eq!((ip.total_len, ip.ident), (328, 0x1042));
                    assert!(u.checksum_ok && u.payload.iter().all(|&b| b == b'C'));
                }
                (probe, t) => panic!("{probe:?} built as {t:?}"),
            }
        }
    }
}
