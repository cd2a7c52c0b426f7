//! Whole-packet builders for the scan engine: IP header + transport with correct checksums (or a deliberately
//! wrong transport checksum for `--badsum`), and link-layer frames for ARP and neighbour solicitation.

use crate::arp::{ArpPacket, ArpRepr, op};
use crate::checksum::IpPair;
use crate::error::WireError;
use crate::ethernet::{EthernetFrame, EthernetRepr, MacAddr, ethertype};
use crate::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use crate::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use crate::ipv4::{Ipv4Options, Ipv4Packet, Ipv4Repr, proto};
use crate::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::sctp::{SctpChunk, SctpPacket, SctpRepr, encode_chunks};
use crate::tcp::{TcpPacket, TcpRepr};
use crate::udp::{UdpPacket, UdpRepr};
use std::net::{Ipv4Addr, Ipv6Addr};

/// IPv4 header choices for a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Params {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub tos: u8,
    /// `--ip-options` (raw bytes, padded on emit).
    pub options: Ipv4Options,
    /// `--badsum`: make the transport checksum wrong (the IP header checksum stays right, as routers check it).
    pub bad_checksum: bool,
}

impl Ipv4Params {
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8, ident: u16) -> Self {
        Ipv4Params {
            src,
            dst,
            ttl,
            ident,
            dont_frag: false,
            tos: 0,
            options: Ipv4Options::default(),
            bad_checksum: false,
        }
    }
    fn pair(&self) -> IpPair {
        IpPair::V4(self.src, self.dst)
    }
}

/// IPv6 header choices for a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Params {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub bad_checksum: bool,
}

impl Ipv6Params {
    pub fn new(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8) -> Self {
        Ipv6Params {
            src,
            dst,
            hop_limit,
            traffic_class: 0,
            flow_label: 0,
            bad_checksum: false,
        }
    }
    fn pair(&self) -> IpPair {
        IpPair::V6(self.src, self.dst)
    }
}

/// A checksum value guaranteed not to verify: not the right one nor its one's-complement twin, nor UDP's
/// "no checksum" zero.
fn wrong16(c: u16) -> u16 {
    let w = c.wrapping_add(1);
    if w == 0 || w == 0xFFFF { 1 } else { w }
}

fn v4_wrap(
    ip: &Ipv4Params,
    protocol: u8,
    upper_len: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), WireError>,
) -> Result<Vec<u8>, WireError> {
    let repr = Ipv4Repr {
        tos: ip.tos,
        dont_frag: ip.dont_frag,
        options: ip.options,
        ..Ipv4Repr::new(ip.src, ip.dst, protocol, ip.ttl, ip.ident, upper_len)
    };
    let hl = repr.header_len();
    let mut buf = vec![0u8; hl + upper_len];
    repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]))?;
    fill(&mut buf[hl..])?;
    Ok(buf)
}

fn v6_wrap(
    ip: &Ipv6Params,
    next: u8,
    upper_len: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), WireError>,
) -> Result<Vec<u8>, WireError> {
    let repr = Ipv6Repr {
        src: ip.src,
        dst: ip.dst,
        next_header: next,
        hop_limit: ip.hop_limit,
        traffic_class: ip.traffic_class,
        flow_label: ip.flow_label,
        payload_len: upper_len,
    };
    let mut buf = vec![0u8; crate::ipv6::HEADER_LEN + upper_len];
    repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]))?;
    fill(&mut buf[crate::ipv6::HEADER_LEN..])?;
    Ok(buf)
}

fn tcp_fill(
    pair: IpPair,
    bad: bool,
    tcp: &TcpRepr,
    payload: &[u8],
    seg: &mut [u8],
) -> Result<(), WireError> {
    let mut p = TcpPacket::new_unchecked(seg);
    tcp.emit(&mut p, pair, payload)?;
    if bad {
        let c = p.checksum();
        p.set_checksum(wrong16(c));
    }
    Ok(())
}

fn udp_fill(
    pair: IpPair,
    bad: bool,
    udp: &UdpRepr,
    payload: &[u8],
    seg: &mut [u8],
) -> Result<(), WireError> {
    let mut p = UdpPacket::new_unchecked(seg);
    udp.emit(&mut p, pair, payload)?;
    if bad {
        let c = p.checksum();
        p.set_checksum(wrong16(c));
    }
    Ok(())
}

fn sctp_fill(bad: bool, repr: &SctpRepr<'_>, seg: &mut [u8]) -> Result<(), WireError> {
    let mut p = SctpPacket::new_unchecked(&mut *seg);
    repr.emit(&mut p)?;
    if bad {
        seg[8] ^= 0x01;
    }
    Ok(())
}

/// IPv4 + TCP.
pub fn ipv4_tcp(ip: &Ipv4Params, tcp: &TcpRepr, payload: &[u8]) -> Result<Vec<u8>, WireError> {
    v4_wrap(ip, proto::TCP, tcp.buffer_len() + payload.len(), |s| {
        tcp_fill(ip.pair(), ip.bad_checksum, tcp, payload, s)
    })
}

/// IPv4 + UDP.
pub fn ipv4_udp(
    ip: &Ipv4Params,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Result<Vec<u8>, WireError> {
    let u = UdpRepr { src_port, dst_port };
    v4_wrap(ip, proto::UDP, 8 + payload.len(), |s| {
        udp_fill(ip.pair(), ip.bad_checksum, &u, payload, s)
    })
}

/// IPv4 + ICMP (echo, timestamp, address mask, or any other message). `bad_checksum` corrupts the ICMP checksum.
pub fn ipv4_icmp(ip: &Ipv4Params, icmp: &Icmpv4Repr<'_>) -> Result<Vec<u8>, WireError> {
    v4_wrap(ip, proto::ICMP, icmp.buffer_len(), |s| {
        let mut p = Icmpv4Packet::new_unchecked(s);
        icmp.emit(&mut p)?;
        if ip.bad_checksum {
            let c = p.checksum();
            p.set_checksum(wrong16(c));
        }
        Ok(())
    })
}

/// IPv4 + SCTP with the given chunks (e.g. one INIT for `-sY`, one COOKIE-ECHO for `-sZ`).
pub fn ipv4_sctp(
    ip: &Ipv4Params,
    src_port: u16,
    dst_port: u16,
    vtag: u32,
    chunks: &[SctpChunk<'_>],
) -> Result<Vec<u8>, WireError> {
    let cb = encode_chunks(chunks)?;
    let r = SctpRepr {
        src_port,
        dst_port,
        vtag,
        chunks: &cb,
    };
    v4_wrap(ip, proto::SCTP, r.buffer_len(), |s| {
        sctp_fill(ip.bad_checksum, &r, s)
    })
}

/// IPv4 with an arbitrary protocol number and payload (`-sO`).
pub fn ipv4_raw(ip: &Ipv4Params, protocol: u8, payload: &[u8]) -> Result<Vec<u8>, WireError> {
    v4_wrap(ip, protocol, payload.len(), |s| {
        s.copy_from_slice(payload);
        Ok(())
    })
}

pub fn ipv6_tcp(ip: &Ipv6Params, tcp: &TcpRepr, payload: &[u8]) -> Result<Vec<u8>, WireError> {
    v6_wrap(ip, proto::TCP, tcp.buffer_len() + payload.len(), |s| {
        tcp_fill(ip.pair(), ip.bad_checksum, tcp, payload, s)
    })
}

pub fn ipv6_udp(
    ip: &Ipv6Params,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> Result<Vec<u8>, WireError> {
    let u = UdpRepr { src_port, dst_port };
    v6_wrap(ip, proto::UDP, 8 + payload.len(), |s| {
        udp_fill(ip.pair(), ip.bad_checksum, &u, payload, s)
    })
}

pub fn ipv6_icmp(ip: &Ipv6Params, icmp: &Icmpv6Repr<'_>) -> Result<Vec<u8>, WireError> {
    v6_wrap(ip, proto::ICMPV6, icmp.buffer_len(), |s| {
        let mut p = Icmpv6Packet::new_unchecked(&mut *s);
        icmp.emit(&mut p, ip.pair())?;
        if ip.bad_checksum {
            let c = u16::from_be_bytes([s[2], s[3]]);
            s[2..4].copy_from_slice(&wrong16(c).to_be_bytes());
        }
        Ok(())
    })
}

pub fn ipv6_sctp(
    ip: &Ipv6Params,
    src_port: u16,
    dst_port: u16,
    vtag: u32,
    chunks: &[SctpChunk<'_>],
) -> Result<Vec<u8>, WireError> {
    let cb = encode_chunks(chunks)?;
    let r = SctpRepr {
        src_port,
        dst_port,
        vtag,
        chunks: &cb,
    };
    v6_wrap(ip, proto::SCTP, r.buffer_len(), |s| {
        sctp_fill(ip.bad_checksum, &r, s)
    })
}

pub fn ipv6_raw(ip: &Ipv6Params, next_header: u8, payload: &[u8]) -> Result<Vec<u8>, WireError> {
    v6_wrap(ip, next_header, payload.len(), |s| {
        s.copy_from_slice(payload);
        Ok(())
    })
}

/// An Ethernet II frame around `payload` (no padding: the NIC or driver pads to 60 bytes).
pub fn ethernet(
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
    payload: &[u8],
) -> Result<Vec<u8>, WireError> {
    let r = EthernetRepr {
        src,
        dst,
        ethertype,
    };
    let mut buf = vec![0u8; r.buffer_len() + payload.len()];
    r.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]))?;
    buf[r.buffer_len()..].copy_from_slice(payload);
    Ok(buf)
}

/// A broadcast ARP request frame "who has `target_ip`, tell `src_ip`" (42 bytes).
pub fn arp_request(
    src_mac: MacAddr,
    src_ip: Ipv4Addr,
    target_ip: Ipv4Addr,
) -> Result<Vec<u8>, WireError> {
    let a = ArpRepr {
        op: op::REQUEST,
        sender_mac: src_mac,
        sender_ip: src_ip,
        target_mac: MacAddr::ZERO,
        target_ip,
    };
    let mut arp = [0u8; crate::arp::PACKET_LEN];
    a.emit(&mut ArpPacket::new_unchecked(&mut arp[..]))?;
    ethernet(MacAddr::BROADCAST, src_mac, ethertype::ARP, &arp)
}

/// The solicited-node multicast address of `a` (RFC 4291 2.7.1).
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, o[13], o[14], o[15],
    ])
}

/// A neighbour solicitation frame for `target` from `src_ip`/`src_mac`, to the solicited-node multicast group,
/// hop limit 255, with the source link-layer address option.
pub fn neighbor_solicit(
    src_mac: MacAddr,
    src_ip: Ipv6Addr,
    target: Ipv6Addr,
) -> Result<Vec<u8>, WireError> {
    let group = solicited_node(target);
    let ip = Ipv6Params::new(src_ip, group, 255);
    let pkt = ipv6_icmp(
        &ip,
        &Icmpv6Repr::NeighborSolicit {
            target,
            source_ll: Some(src_mac),
        },
    )?;
    ethernet(
        MacAddr::ipv6_multicast(group),
        src_mac,
        ethertype::IPV6,
        &pkt,
    )
}
