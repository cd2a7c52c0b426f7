//! The real [`ProbeCodec`]: probes built with `portolan-wire`, replies matched back through the fields they
//! carry. Tries are told apart by the source port (`base + try`) unless `-g` fixes it; TCP sequence numbers
//! carry a per-scan cookie so the scan can recognise its own probes when it captures them (loopback).

use super::classify::{self, Response, Unreach};
use super::{Answer, AnswerKind, Outgoing, Probe, ProbeCodec, RawHost};
use portolan_netio::{LinkType, Received};
use portolan_wire::build::{self, Ipv4Params, Ipv6Params};
use portolan_wire::{
    Icmpv4Repr, Icmpv6Repr, LinkKind, MacAddr, QuotedTransport, SctpChunk, TcpFlags, TcpOption, TcpOptions,
    TcpRepr, Transport, parse_frame,
};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// How many tries the source-port encoding can tell apart.
const TRY_SPAN: u16 = 64;

/// Probe-shaping options (the evasion and payload options of the plan).
#[derive(Debug, Clone, Default)]
pub struct Shaping {
    /// `-g`: every probe from this port (tries are then told apart by sequence number only).
    pub source_port: Option<u16>,
    /// `--ttl`
    pub ttl: Option<u8>,
    /// `--data`, `--data-string`, `--data-length`: appended to every probe.
    pub data: Vec<u8>,
    /// `--badsum`
    pub bad_checksum: bool,
    /// UDP payloads by destination port (the payload database); `data` wins when set.
    pub udp_payloads: HashMap<u16, Vec<u8>>,
    /// `--ip-options`, encoded (IPv4 only).
    pub ip_options: Vec<u8>,
    /// `-f` / `--mtu`: payload bytes per IPv4 fragment.
    pub fragment_mtu: Option<u16>,
    /// `-D`: decoy source addresses, in sending order; `None` marks where the real probe goes.
    pub decoys: Vec<Option<IpAddr>>,
    /// `--send-eth` / `--spoof-mac`: frame IP probes ourselves (to the next hop's MAC when it is known).
    pub send_eth: bool,
    /// `--spoof-mac`: the source MAC of every frame (ARP requests included).
    pub spoof_mac: Option<[u8; 6]>,
}

#[derive(Debug)]
pub struct WireCodec {
    link: LinkKind,
    base_port: u16,
    shaping: Shaping,
    cookie: u32,
    icmp_id: u16,
    ip_id: u16,
    /// What was asked of each (protocol, port): a reply names only the port.
    tcp: HashMap<u16, Probe>,
    udp: HashMap<u16, Probe>,
    sctp: HashMap<u16, Probe>,
    protos: HashSet<u8>,
    our_addrs: HashSet<IpAddr>,
}

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
const PROTO_SCTP: u8 = 132;

impl WireCodec {
    pub fn new(link: LinkType, probes: &[Probe], hosts: &[RawHost], shaping: Shaping) -> Self {
        let base_port = 33_000 + (rand::random::<u16>() % 26_000);
        let (mut tcp, mut udp, mut sctp, mut protos) = (HashMap::new(), HashMap::new(), HashMap::new(), HashSet::new());
        for &p in probes {
            match p {
                Probe::Tcp { port, .. } => {
                    tcp.insert(port, p);
                }
                Probe::Udp { port } => {
                    udp.insert(port, p);
                }
                Probe::SctpInit { port } | Probe::SctpCookieEcho { port } => {
                    sctp.insert(port, p);
                }
                Probe::IpProto { proto } => {
                    protos.insert(proto);
                }
                _ => {}
            }
        }
        WireCodec {
            link: match link {
                LinkType::Ethernet => LinkKind::Ethernet,
                LinkType::RawIp => LinkKind::RawIp,
                LinkType::Null => LinkKind::Null,
                LinkType::LinuxSll => LinkKind::LinuxSll,
            },
            base_port,
            shaping,
            cookie: rand::random(),
            icmp_id: rand::random(),
            ip_id: rand::random(),
            tcp,
            udp,
            sctp,
            protos,
            our_addrs: hosts.iter().map(|h| h.src).collect(),
        }
    }

    fn sport(&self, try_no: u8) -> u16 {
        self.shaping.source_port.unwrap_or(self.base_port + u16::from(try_no) % TRY_SPAN)
    }

    /// The try a reply to our port `dport` answers, when the port tells.
    fn try_of(&self, dport: u16) -> Option<u8> {
        if self.shaping.source_port.is_some() {
            return None;
        }
        let d = dport.wrapping_sub(self.base_port);
        (d < TRY_SPAN).then_some(d as u8)
    }

    fn ours(&self, dport: u16) -> bool {
        match self.shaping.source_port {
            Some(p) => dport == p,
            None => dport.wrapping_sub(self.base_port) < TRY_SPAN,
        }
    }

    fn seq_for(&self, dst: IpAddr, port: u16, try_no: u8) -> u32 {
        // A keyed mix of the destination: a stray reply is unlikely to carry it by chance.
        let mut h = self.cookie ^ u32::from(port).rotate_left(16);
        match dst {
            IpAddr::V4(a) => h ^= u32::from(a),
            IpAddr::V6(a) => h ^= a.segments().iter().fold(0u32, |x, s| x.rotate_left(5) ^ u32::from(*s)),
        }
        h.wrapping_mul(0x9E37_79B1).wrapping_add(u32::from(try_no))
    }

    fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }

    fn payload_for_udp(&self, port: u16) -> &[u8] {
        if !self.shaping.data.is_empty() {
            return &self.shaping.data;
        }
        self.shaping.udp_payloads.get(&port).map_or(&[], Vec::as_slice)
    }

    fn build_ip(&mut self, t: &RawHost, probe: Probe, try_no: u8) -> Option<Vec<u8>> {
        let ttl = self.shaping.ttl.unwrap_or(64);
        let sport = self.sport(try_no);
        let ident = self.next_ip_id();
        let data = self.shaping.data.clone();
        let tcp_repr = |flags: u8, port: u16, this: &Self| {
            let seq = this.seq_for(t.ip, port, try_no);
            let ack = if flags & classify::ACK != 0 { seq ^ 0x5A5A_5A5A } else { 0 };
            let mut r = TcpRepr::new(sport, port, seq, ack, TcpFlags(u16::from(flags)));
            if flags & classify::SYN != 0 {
                // Most stacks answer a SYN without options too, but an MSS is what every real SYN carries.
                if let Ok(o) = TcpOptions::from_options(&[TcpOption::Mss(1460)]) {
                    r.options = o;
                }
            }
            r
        };
        let built = match (t.src, t.ip) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let mut ip = Ipv4Params::new(src, dst, ttl, ident);
                ip.bad_checksum = self.shaping.bad_checksum;
                if !self.shaping.ip_options.is_empty()
                    && let Ok(o) = portolan_wire::Ipv4Options::new(&self.shaping.ip_options)
                {
                    ip.options = o;
                }
                match probe {
                    Probe::Tcp { port, flags } => build::ipv4_tcp(&ip, &tcp_repr(flags, port, self), &data),
                    Probe::Udp { port } => build::ipv4_udp(&ip, sport, port, self.payload_for_udp(port)),
                    Probe::SctpInit { port } => build::ipv4_sctp(&ip, sport, port, 0, &[self.sctp_init(t, port, try_no)]),
                    Probe::SctpCookieEcho { port } => build::ipv4_sctp(
                        &ip,
                        sport,
                        port,
                        self.seq_for(t.ip, port, try_no),
                        &[SctpChunk::CookieEcho { cookie: &[0, 0, 0, 0] }],
                    ),
                    Probe::IcmpEcho => build::ipv4_icmp(
                        &ip,
                        &Icmpv4Repr::EchoRequest { ident: self.icmp_id, seq: u16::from(try_no), data: &data },
                    ),
                    Probe::IcmpTimestamp => build::ipv4_icmp(
                        &ip,
                        &Icmpv4Repr::TimestampRequest {
                            ident: self.icmp_id,
                            seq: u16::from(try_no),
                            originate: 0,
                            receive: 0,
                            transmit: 0,
                        },
                    ),
                    Probe::IcmpAddressMask => build::ipv4_icmp(
                        &ip,
                        &Icmpv4Repr::AddressMaskRequest {
                            ident: self.icmp_id,
                            seq: u16::from(try_no),
                            mask: std::net::Ipv4Addr::UNSPECIFIED,
                        },
                    ),
                    Probe::IpProto { proto } => match proto {
                        PROTO_TCP => build::ipv4_tcp(&ip, &tcp_repr(classify::ACK, 80, self), &data),
                        PROTO_UDP => build::ipv4_udp(&ip, sport, 40_125, &data),
                        PROTO_ICMP => build::ipv4_icmp(
                            &ip,
                            &Icmpv4Repr::EchoRequest { ident: self.icmp_id, seq: u16::from(try_no), data: &data },
                        ),
                        PROTO_SCTP => build::ipv4_sctp(&ip, sport, 80, 0, &[self.sctp_init(t, 80, try_no)]),
                        p => build::ipv4_raw(&ip, p, &data),
                    },
                    Probe::Neighbour => return None,
                }
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let mut ip = Ipv6Params::new(src, dst, ttl);
                ip.bad_checksum = self.shaping.bad_checksum;
                match probe {
                    Probe::Tcp { port, flags } => build::ipv6_tcp(&ip, &tcp_repr(flags, port, self), &data),
                    Probe::Udp { port } => build::ipv6_udp(&ip, sport, port, self.payload_for_udp(port)),
                    Probe::SctpInit { port } => build::ipv6_sctp(&ip, sport, port, 0, &[self.sctp_init(t, port, try_no)]),
                    Probe::SctpCookieEcho { port } => build::ipv6_sctp(
                        &ip,
                        sport,
                        port,
                        self.seq_for(t.ip, port, try_no),
                        &[SctpChunk::CookieEcho { cookie: &[0, 0, 0, 0] }],
                    ),
                    Probe::IcmpEcho | Probe::IcmpTimestamp | Probe::IcmpAddressMask => build::ipv6_icmp(
                        &ip,
                        &Icmpv6Repr::EchoRequest { ident: self.icmp_id, seq: u16::from(try_no), data: &data },
                    ),
                    Probe::IpProto { proto } => match proto {
                        PROTO_TCP => build::ipv6_tcp(&ip, &tcp_repr(classify::ACK, 80, self), &data),
                        PROTO_UDP => build::ipv6_udp(&ip, sport, 40_125, &data),
                        PROTO_ICMPV6 => build::ipv6_icmp(
                            &ip,
                            &Icmpv6Repr::EchoRequest { ident: self.icmp_id, seq: u16::from(try_no), data: &data },
                        ),
                        p => build::ipv6_raw(&ip, p, &data),
                    },
                    Probe::Neighbour => return None,
                }
            }
            _ => return None,
        };
        built.ok()
    }

    /// The datagrams of one try: the probe, its decoy copies and fragments.
    fn build_datagrams(&mut self, target: &RawHost, probe: Probe, try_no: u8) -> Outgoing {
        // Building only fails for impossible combinations (checked when the plan is made); an empty datagram
        // is then refused by the socket and the try times out like a lost one.
        let real = self.build_ip(target, probe, try_no).unwrap_or_default();
        if self.shaping.decoys.is_empty() && self.shaping.fragment_mtu.is_none() {
            return Outgoing::Ip(real);
        }

        let mut copies: Vec<Vec<u8>> = Vec::new();
        let order: Vec<Option<IpAddr>> =
            if self.shaping.decoys.is_empty() { vec![None] } else { self.shaping.decoys.clone() };
        for slot in order {
            match slot {
                None => copies.push(real.clone()),
                Some(decoy) if decoy.is_ipv4() == target.ip.is_ipv4() => {
                    let mut fake = target.clone();
                    fake.src = decoy;
                    copies.extend(self.build_ip(&fake, probe, try_no));
                }
                Some(_) => {}
            }
        }
        if let Some(mtu) = self.shaping.fragment_mtu {
            copies = copies
                .into_iter()
                .flat_map(|d| {
                    if d.first().is_some_and(|b| b >> 4 == 4) {
                        portolan_wire::fragment(&d, usize::from(mtu)).unwrap_or_else(|_| vec![d])
                    } else {
                        vec![d]
                    }
                })
                .collect();
        }
        Outgoing::Many(copies)
    }

    fn sctp_init(&self, t: &RawHost, port: u16, try_no: u8) -> SctpChunk<'static> {
        SctpChunk::Init {
            initiate_tag: self.seq_for(t.ip, port, try_no),
            a_rwnd: 32_768,
            outbound_streams: 10,
            inbound_streams: 2048,
            initial_tsn: self.cookie,
            params: &[],
        }
    }

    fn quoted_probe(&self, q: &QuotedTransport) -> Option<(Probe, Option<u8>)> {
        match *q {
            QuotedTransport::Tcp { src_port, dst_port, .. } if self.ours(src_port) => {
                let p = self.tcp.get(&dst_port).copied().or_else(|| self.protos.contains(&PROTO_TCP).then_some(Probe::IpProto { proto: PROTO_TCP }))?;
                Some((p, self.try_of(src_port)))
            }
            QuotedTransport::Udp { src_port, dst_port, .. } if self.ours(src_port) => {
                let p = self.udp.get(&dst_port).copied().or_else(|| self.protos.contains(&PROTO_UDP).then_some(Probe::IpProto { proto: PROTO_UDP }))?;
                Some((p, self.try_of(src_port)))
            }
            QuotedTransport::Sctp { src_port, dst_port, .. } if self.ours(src_port) => {
                let p = self.sctp.get(&dst_port).copied().or_else(|| self.protos.contains(&PROTO_SCTP).then_some(Probe::IpProto { proto: PROTO_SCTP }))?;
                Some((p, self.try_of(src_port)))
            }
            QuotedTransport::Icmp { msg_type, ident, seq, .. } if ident == self.icmp_id => {
                let p = match msg_type {
                    8 => Probe::IcmpEcho,
                    13 => Probe::IcmpTimestamp,
                    17 => Probe::IcmpAddressMask,
                    _ => return None,
                };
                let p = if self.protos.contains(&PROTO_ICMP) { Probe::IpProto { proto: PROTO_ICMP } } else { p };
                Some((p, u8::try_from(seq).ok()))
            }
            QuotedTransport::Icmpv6 { msg_type: 128, ident, seq, .. } if ident == self.icmp_id => {
                let p = if self.protos.contains(&PROTO_ICMPV6) { Probe::IpProto { proto: PROTO_ICMPV6 } } else { Probe::IcmpEcho };
                Some((p, u8::try_from(seq).ok()))
            }
            QuotedTransport::Other { protocol } if self.protos.contains(&protocol) => {
                Some((Probe::IpProto { proto: protocol }, None))
            }
            _ => None,
        }
    }
}

impl ProbeCodec for WireCodec {
    fn build(&mut self, target: &RawHost, probe: Probe, try_no: u8) -> Outgoing {
        if probe == Probe::Neighbour {
            let src_mac = MacAddr(self.shaping.spoof_mac.or(target.src_mac).unwrap_or([0; 6]));
            let frame = match (target.src, target.ip) {
                (IpAddr::V4(s), IpAddr::V4(d)) => build::arp_request(src_mac, s, d),
                (IpAddr::V6(s), IpAddr::V6(d)) => build::neighbor_solicit(src_mac, s, d),
                _ => return Outgoing::Frame(Vec::new()),
            };
            return Outgoing::Frame(frame.unwrap_or_default());
        }
        let out = self.build_datagrams(target, probe, try_no);
        let (Some(dst), true) = (target.next_hop_mac, self.shaping.send_eth) else { return out };
        let Some(src) = self.shaping.spoof_mac.or(target.src_mac) else { return out };
        let datagrams = match out {
            Outgoing::Ip(d) => vec![d],
            Outgoing::Many(v) => v,
            other => return other,
        };
        Outgoing::Frames(
            datagrams
                .into_iter()
                .filter_map(|d| {
                    let ethertype = if d.first().is_some_and(|b| b >> 4 == 6) { 0x86dd } else { 0x0800 };
                    build::ethernet(MacAddr(dst), MacAddr(src), ethertype, &d).ok()
                })
                .collect(),
        )
    }

    fn decode(&mut self, rx: &Received) -> Option<Answer> {
        let p = parse_frame(self.link, &rx.data).ok()?;
        let mac = p.link_src.map(|m| m.0);
        if let Transport::Arp(a) = p.transport {
            // Only replies (op 2) from the address asked about.
            if a.op != 2 {
                return None;
            }
            return Some(Answer {
                target: IpAddr::V4(a.sender_ip),
                probe: Probe::Neighbour,
                try_no: None,
                kind: AnswerKind::Neighbour,
                ttl: 0,
                via: None,
                mac: Some(a.sender_mac.0),
            });
        }
        let ip = p.ip?;
        let answer = |target: IpAddr, probe: Probe, try_no: Option<u8>, kind: AnswerKind| {
            Some(Answer {
                target,
                probe,
                try_no,
                kind,
                ttl: ip.ttl,
                via: (target != ip.src).then_some(ip.src),
                mac,
            })
        };
        match p.transport {
            Transport::Tcp(t) => {
                if !self.ours(t.dst_port) {
                    return None;
                }
                let flags = (t.flags.0 & 0xff) as u8;
                // Our own probe, captured on its way out (loopback): it carries our cookie.
                if t.seq == self.seq_for(ip.dst, t.dst_port, self.try_of(t.src_port).unwrap_or(0))
                    && self.our_addrs.contains(&ip.src)
                    && flags & classify::ACK == 0
                    && flags & classify::RST == 0
                    && flags & classify::SYN != 0
                {
                    return None;
                }
                let probe = self
                    .tcp
                    .get(&t.src_port)
                    .copied()
                    .or_else(|| self.protos.contains(&PROTO_TCP).then_some(Probe::IpProto { proto: PROTO_TCP }))?;
                let kind = match probe {
                    Probe::IpProto { .. } => AnswerKind::Port(Response::ProtocolReply),
                    _ => AnswerKind::Port(Response::Tcp { flags, window: t.window }),
                };
                answer(ip.src, probe, self.try_of(t.dst_port), kind)
            }
            Transport::Udp(u) => {
                if !self.ours(u.dst_port) || (self.ours(u.src_port) && self.our_addrs.contains(&ip.src)) {
                    return None;
                }
                let probe = self
                    .udp
                    .get(&u.src_port)
                    .copied()
                    .or_else(|| self.protos.contains(&PROTO_UDP).then_some(Probe::IpProto { proto: PROTO_UDP }))?;
                let kind = match probe {
                    Probe::IpProto { .. } => AnswerKind::Port(Response::ProtocolReply),
                    _ => AnswerKind::Port(Response::Udp),
                };
                answer(ip.src, probe, self.try_of(u.dst_port), kind)
            }
            Transport::Sctp(s) => {
                if !self.ours(s.dst_port) {
                    return None;
                }
                let probe = self.sctp.get(&s.src_port).copied().or_else(|| {
                    self.protos.contains(&PROTO_SCTP).then_some(Probe::IpProto { proto: PROTO_SCTP })
                })?;
                let first = s.chunks.as_slice().first().copied();
                let resp = match first {
                    Some(portolan_wire::sctp::chunk::INIT_ACK) => Response::SctpInitAck,
                    Some(portolan_wire::sctp::chunk::ABORT) => Response::SctpAbort,
                    Some(portolan_wire::sctp::chunk::INIT) => return None, // our own probe
                    _ => Response::SctpOther,
                };
                let kind = match probe {
                    Probe::IpProto { .. } => AnswerKind::Port(Response::ProtocolReply),
                    _ => AnswerKind::Port(resp),
                };
                answer(ip.src, probe, self.try_of(s.dst_port), kind)
            }
            Transport::Icmp(i) => match i.msg_type {
                0 | 14 | 18 if i.ident == self.icmp_id => {
                    let (probe, kind) = match i.msg_type {
                        0 if self.protos.contains(&PROTO_ICMP) => {
                            (Probe::IpProto { proto: PROTO_ICMP }, AnswerKind::Port(Response::EchoReply))
                        }
                        0 => (Probe::IcmpEcho, AnswerKind::EchoReply),
                        14 => (Probe::IcmpTimestamp, AnswerKind::TimestampReply),
                        _ => (Probe::IcmpAddressMask, AnswerKind::AddressMaskReply),
                    };
                    answer(ip.src, probe, u8::try_from(i.seq).ok(), kind)
                }
                3 => {
                    let q = i.quoted?;
                    let (probe, try_no) = self.quoted_probe(&q.transport)?;
                    let unreach = Unreach::from_icmpv4(i.code);
                    answer(q.ip.dst, probe, try_no, AnswerKind::Port(Response::Unreachable(unreach)))
                }
                _ => None,
            },
            Transport::Icmpv6(i6) => {
                let i = i6.icmp;
                match i.msg_type {
                    129 if i.ident == self.icmp_id => {
                        let (probe, kind) = if self.protos.contains(&PROTO_ICMPV6) {
                            (Probe::IpProto { proto: PROTO_ICMPV6 }, AnswerKind::Port(Response::ProtocolReply))
                        } else {
                            (Probe::IcmpEcho, AnswerKind::EchoReply)
                        };
                        answer(ip.src, probe, u8::try_from(i.seq).ok(), kind)
                    }
                    136 => {
                        let nd = i6.nd?;
                        Some(Answer {
                            target: IpAddr::V6(nd.target),
                            probe: Probe::Neighbour,
                            try_no: None,
                            kind: AnswerKind::Neighbour,
                            // Nmap reports no TTL for a neighbour reply, as for ARP.
                            ttl: 0,
                            via: None,
                            mac: nd.link_addr.map(|m| m.0).or(mac),
                        })
                    }
                    1 => {
                        let q = i.quoted?;
                        let (probe, try_no) = self.quoted_probe(&q.transport)?;
                        let unreach = Unreach::from_icmpv6(i.code);
                        answer(q.ip.dst, probe, try_no, AnswerKind::Port(Response::Unreachable(unreach)))
                    }
                    _ => None,
                }
            }
            Transport::Other { protocol } if self.protos.contains(&protocol) && !self.our_addrs.contains(&ip.src) => {
                answer(ip.src, Probe::IpProto { proto: protocol }, None, AnswerKind::Port(Response::ProtocolReply))
            }
            _ => None,
        }
    }

    fn capture_filter(&self, hosts: &[RawHost]) -> String {
        capture_filter(hosts)
    }
}

/// Everything addressed to the scan's source addresses, plus ARP (whose replies carry no IP header).
pub fn capture_filter(hosts: &[RawHost]) -> String {
    let mut srcs: Vec<String> = hosts.iter().map(|h| h.src.to_string()).collect();
    srcs.sort();
    srcs.dedup();
    let dst = srcs.iter().map(|s| format!("dst host {s}")).collect::<Vec<_>>().join(" or ");
    if dst.is_empty() { "arp".into() } else { format!("arp or ({dst})") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portolan_wire::{IpVersion, parse_network};

    fn host() -> RawHost {
        RawHost {
            ip: "198.18.0.2".parse().unwrap(),
            src: "198.18.0.1".parse().unwrap(),
            src_mac: None,
            next_hop_mac: None,
            rtt_hint: None,
        }
    }

    fn datagrams(o: Outgoing) -> Vec<Vec<u8>> {
        match o {
            Outgoing::Ip(d) => vec![d],
            Outgoing::Many(v) => v,
            Outgoing::Frame(_) | Outgoing::Frames(_) => panic!("an IP probe came out as a frame"),
        }
    }

    #[test]
    fn probes_carry_the_shaping_options() {
        let probe = Probe::Tcp { port: 80, flags: classify::SYN };
        let shaping = Shaping { source_port: Some(53), ttl: Some(7), data: b"hello".to_vec(), ..Shaping::default() };
        let mut c = WireCodec::new(LinkType::RawIp, &[probe], &[host()], shaping);
        let d = datagrams(c.build(&host(), probe, 2)).remove(0);
        let p = parse_network(None, None, 0x0800, &d).unwrap();
        let ip = p.ip.unwrap();
        assert_eq!(ip.ttl, 7);
        let Transport::Tcp(t) = p.transport else { panic!("not TCP") };
        assert_eq!((t.src_port, t.dst_port), (53, 80), "-g fixes the source port");
        assert_eq!(t.payload, b"hello");
        assert!(t.checksum_ok);
    }

    #[test]
    fn fragments_and_decoys() {
        let probe = Probe::Tcp { port: 443, flags: classify::SYN };
        let decoy: IpAddr = "198.18.9.9".parse().unwrap();
        let shaping = Shaping { fragment_mtu: Some(8), decoys: vec![Some(decoy), None], ..Shaping::default() };
        let mut c = WireCodec::new(LinkType::RawIp, &[probe], &[host()], shaping);
        let all = datagrams(c.build(&host(), probe, 0));
        // A 24-byte TCP header (with MSS) in 8-byte fragments: 3 per copy, decoy first.
        assert_eq!(all.len(), 6, "{} datagrams", all.len());
        let srcs: Vec<IpAddr> = all
            .iter()
            .map(|d| parse_network(None, None, 0x0800, d).unwrap().ip.unwrap().src)
            .collect();
        assert_eq!(srcs[..3], [decoy; 3]);
        assert_eq!(srcs[3..], [host().src; 3]);
        for d in &all {
            let ip = parse_network(None, None, 0x0800, d).unwrap().ip.unwrap();
            assert_eq!(ip.version, IpVersion::V4);
            assert!(ip.more_frags || ip.frag_offset > 0, "every piece is a fragment");
        }
    }

    #[test]
    fn send_eth_frames_the_probe_with_the_spoofed_mac() {
        let probe = Probe::Tcp { port: 80, flags: classify::SYN };
        let spoof = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
        let shaping = Shaping { send_eth: true, spoof_mac: Some(spoof), ..Shaping::default() };
        let mut h = host();
        h.src_mac = Some([0x02, 0, 0, 0, 0, 1]);
        h.next_hop_mac = Some([0x02, 0, 0, 0, 0, 2]);
        let mut c = WireCodec::new(LinkType::Ethernet, &[probe], &[h.clone()], shaping);
        let Outgoing::Frames(frames) = c.build(&h, probe, 0) else { panic!("not framed") };
        assert_eq!(frames.len(), 1);
        let p = parse_frame(LinkKind::Ethernet, &frames[0]).unwrap();
        assert_eq!(p.link_src.unwrap().0, spoof);
        assert_eq!(p.link_dst.unwrap().0, [0x02, 0, 0, 0, 0, 2]);
        assert!(matches!(p.transport, Transport::Tcp(_)));
        // Without a known next-hop MAC the probe goes through the IP layer instead.
        h.next_hop_mac = None;
        assert!(matches!(c.build(&h, probe, 0), Outgoing::Ip(_)));
    }

    #[test]
    fn replies_are_matched_to_their_probe_and_try() {
        let probe = Probe::Tcp { port: 22, flags: classify::SYN };
        let mut c = WireCodec::new(LinkType::RawIp, &[probe], &[host()], Shaping::default());
        let sent = datagrams(c.build(&host(), probe, 1)).remove(0);
        let p = parse_network(None, None, 0x0800, &sent).unwrap();
        let Transport::Tcp(t) = p.transport else { panic!() };
        // The target's SYN/ACK back to our source port.
        let mut synack = TcpRepr::new(22, t.src_port, 999, t.seq.wrapping_add(1), TcpFlags(0x12));
        synack.window = 64240;
        let ip = Ipv4Params::new("198.18.0.2".parse().unwrap(), "198.18.0.1".parse().unwrap(), 63, 1);
        let reply = build::ipv4_tcp(&ip, &synack, &[]).unwrap();
        let rx = Received { time: std::time::Instant::now(), link: LinkType::RawIp, data: reply };
        let a = c.decode(&rx).expect("our reply");
        assert_eq!(a.probe, probe);
        assert_eq!(a.try_no, Some(1));
        assert_eq!(a.ttl, 63);
        assert_eq!(a.kind, AnswerKind::Port(Response::Tcp { flags: 0x12, window: 64240 }));
        // Our own probe, seen on the way out (loopback), is not an answer.
        let own = Received { time: std::time::Instant::now(), link: LinkType::RawIp, data: sent };
        assert!(c.decode(&own).is_none());
        // Garbage is ignored, never a panic.
        for n in 0..60 {
            let junk = Received { time: std::time::Instant::now(), link: LinkType::RawIp, data: vec![0x45; n] };
            let _ = c.decode(&junk);
        }
    }
}
