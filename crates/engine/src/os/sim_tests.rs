//! The try loop over a scripted network with a virtual clock: a target stack that answers the probes with
//! real packets (built with `portolan-wire`), or falls silent, so matching, retransmission and the time
//! bounds are tested without a lab.

use super::*;
use portolan_netio::Received;
use portolan_wire::build::{self, Ipv4Params};
use portolan_wire::{Icmpv4Repr, LinkKind, TcpFlags, TcpOption, TcpOptions, TcpRepr, Transport, parse_frame};
use std::collections::VecDeque;
use std::time::Instant;

const US: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const THEM: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

/// A Linux-like target: SYN/ACK with MSS/SACK/TS/WS from port 22, RST from the others, echo replies with
/// incrementing IDs, port unreachable for UDP. Silent after `silent_after` sends.
struct FakeNet {
    now: Instant,
    queue: VecDeque<(Instant, Vec<u8>)>,
    rtt: Duration,
    sends: usize,
    silent_after: usize,
    isn: u32,
    icmp_id: u16,
}

impl FakeNet {
    fn new(silent_after: usize) -> FakeNet {
        FakeNet {
            now: Instant::now(),
            queue: VecDeque::new(),
            rtt: Duration::from_millis(2),
            sends: 0,
            silent_after,
            isn: 1_000_000,
            icmp_id: 500,
        }
    }

    fn answer(&mut self, d: &[u8]) -> Option<Vec<u8>> {
        let f = parse_frame(LinkKind::RawIp, d).ok()?;
        let ip = f.ip?;
        match f.transport {
            Transport::Tcp(t) => {
                let (flags, seq, ack, window, opts) = if t.dst_port == 22 && t.flags == TcpFlags::SYN {
                    // ISNs from a 1 MHz-ish counter: GCD and ISR are predictable.
                    self.isn = self.isn.wrapping_add(100_000);
                    let o = TcpOptions::from_options(&[
                        TcpOption::Mss(1460),
                        TcpOption::SackPermitted,
                        TcpOption::Timestamp { tsval: 1000 + self.sends as u32 * 100, tsecr: 0xFFFF_FFFF },
                        TcpOption::Nop,
                        TcpOption::WindowScale(7),
                    ])
                    .ok()?;
                    (TcpFlags::SYN | TcpFlags::ACK, self.isn, t.seq.wrapping_add(1), 65160, o)
                } else if t.flags.contains(TcpFlags::ACK) {
                    (TcpFlags::RST, t.ack, 0, 0, TcpOptions::default())
                } else if t.dst_port != 22 {
                    (TcpFlags::RST | TcpFlags::ACK, 0, t.seq.wrapping_add(1), 0, TcpOptions::default())
                } else {
                    return None;
                };
                let mut r = TcpRepr::new(t.dst_port, t.src_port, seq, ack, flags);
                r.window = window;
                r.options = opts;
                let mut p = Ipv4Params::new(THEM, US, 64, 0);
                p.dont_frag = true;
                build::ipv4_tcp(&p, &r, &[]).ok()
            }
            Transport::Icmp(i) if i.msg_type == 8 => {
                self.icmp_id += 1;
                let p = Ipv4Params::new(THEM, US, 64, self.icmp_id);
                let mut d = build::ipv4_icmp(&p, &Icmpv4Repr::EchoReply { ident: i.ident, seq: i.seq, data: i.data }).ok()?;
                let mut icmp = portolan_wire::Icmpv4Packet::new_unchecked(&mut d[20..]);
                icmp.set_code(i.code);
                icmp.fill_checksum();
                Some(d)
            }
            Transport::Udp(_) => {
                self.icmp_id += 1;
                let p = Ipv4Params::new(THEM, US, 64, self.icmp_id);
                let _ = ip;
                build::ipv4_icmp(&p, &Icmpv4Repr::DstUnreachable { code: 3, next_hop_mtu: 0, quoted: d }).ok()
            }
            _ => None,
        }
    }
}

impl PacketIo for FakeNet {
    fn now(&self) -> Instant {
        self.now
    }
    fn send_ip(&mut self, d: &[u8]) -> Result<(), NetError> {
        self.sends += 1;
        if self.sends <= self.silent_after
            && let Some(r) = self.answer(d)
        {
            self.queue.push_back((self.now + self.rtt, r));
        }
        Ok(())
    }
    fn send_frame(&mut self, _: &[u8]) -> Result<(), NetError> {
        Ok(())
    }
    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Received>, NetError> {
        if let Some((t, _)) = self.queue.front()
            && *t <= deadline
        {
            let (t, data) = self.queue.pop_front().unwrap_or((deadline, Vec::new()));
            self.now = self.now.max(t);
            return Ok(Some(Received { time: t, link: LinkType::RawIp, data }));
        }
        self.now = self.now.max(deadline);
        Ok(None)
    }
}

fn target() -> OsProbeTarget {
    OsProbeTarget {
        addr: THEM,
        src: US,
        interface: "eth0".into(),
        loopback: false,
        direct: true,
        mac: None,
        open_tcp_port: Some(22),
        closed_tcp_port: Some(23),
        closed_udp_port: Some(40_000),
        rtt_hint: Some(Duration::from_millis(2)),
    }
}

#[test]
fn a_scripted_stack_gives_every_line() {
    let mut net = FakeNet::new(usize::MAX);
    let o = fingerprint_with_io(&mut net, LinkType::RawIp, &target(), &OsProbeOptions::default()).unwrap();
    let fp = o.fingerprint.to_flat_text();
    assert!(fp.contains("SEQ(SP=0%GCD=186A0%ISR="), "{fp}");
    assert!(fp.contains("TI=Z%CI=Z%II=I%TS=A)"), "1000 Hz timestamps: {fp}");
    assert!(fp.contains("OPS(O1=M5B4ST11NW7%"), "{fp}");
    assert!(fp.contains("T1(R=Y%DF=Y%T=40%S=O%A=S+%F=AS%RD=0%Q=)"), "{fp}");
    assert!(fp.contains("ECN(R=N)"), "this stack ignores SYNs with other flags: {fp}");
    assert!(fp.contains("T2(R=N)T3(R=N)T4(R=Y"), "{fp}");
    assert!(fp.contains("T5(R=Y%DF=Y%T=40%W=0%S=Z%A=S+%F=AR%O=%RD=0%Q=)"), "{fp}");
    assert!(fp.contains("U1(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G)"), "{fp}");
    assert!(fp.contains("IE(R=Y%DFI=N%T=40%CD=S)"), "{fp}");
    assert!(o.good_conditions && o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(o.tries, 1, "no database: one try");
    let used: Vec<(u16, PortState)> = o.ports_used.iter().map(|p| (p.port, p.state)).collect();
    assert_eq!(used, [(22, PortState::Open), (23, PortState::Closed), (40_000, PortState::Closed)]);
    let EventBody::OsDetected { os, distance, tcp_sequence, .. } = o.event_body(THEM.into(), None) else { panic!() };
    assert_eq!((distance, os.fingerprint.as_deref()), (Some(1), Some(o.fingerprint.to_nmap_text().as_str())));
    assert_eq!(tcp_sequence.map(|t| (t.index, t.difficulty)), Some((0, "Trivial joke".to_string())));
    assert_eq!((o.distance, o.distance_method), (Some(1), Some(DistanceMethod::Direct)));
    // 16 probes and three more copies of each unanswered one (ECN, T2, T3).
    assert_eq!((o.packets_sent, o.packets_received), (25, 13));
    // SEQ 0.5 s, ten more 25 ms apart, then the silent ones' three 100 ms waits plus the last.
    assert!(o.elapsed < Duration::from_millis(1300), "{:?}", o.elapsed);
}

#[test]
fn a_silent_target_ends_in_bounded_time() {
    let mut net = FakeNet::new(0);
    let t = OsProbeTarget { rtt_hint: None, ..target() };
    let o = fingerprint_with_io(&mut net, LinkType::RawIp, &t, &OsProbeOptions::default()).unwrap();
    assert_eq!((o.packets_received, o.tries), (0, 1));
    assert!(o.warnings.iter().any(|w| w.contains("no reply to any")), "{:?}", o.warnings);
    // Ten non-SEQ probes, four copies each, 1 s initial timeout: about 4.75 s of virtual time.
    assert!(o.elapsed <= Duration::from_secs(6), "{:?}", o.elapsed);
    assert_eq!(o.packets_sent, 6 + 10 * 4);
    assert!(o.fingerprint.to_flat_text().contains("T1(R=N)"));
}

#[test]
fn a_target_that_falls_silent_midway() {
    let mut net = FakeNet::new(3);
    let o = fingerprint_with_io(&mut net, LinkType::RawIp, &target(), &OsProbeOptions::default()).unwrap();
    assert_eq!(o.fingerprint.test("WIN").map(|t| t.attrs.len()), Some(3));
    assert!(o.warnings.iter().any(|w| w.contains("only 3 of the 6 SEQ probes")), "{:?}", o.warnings);
    assert!(o.warnings.iter().any(|w| w.contains("T5-T7")), "{:?}", o.warnings);
    assert!(!o.good_conditions);
}
