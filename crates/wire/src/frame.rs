//! One call from captured bytes to the fields a scan engine matches replies on: [`parse_frame`].

use crate::checksum::IpPair;
use crate::error::{WireError, be16, be32, need};
use crate::ethernet::{EthernetFrame, MacAddr, ethertype};
use crate::icmpv4::{Icmpv4Packet, types as icmp4};
use crate::ipv4::{Ipv4Packet, proto};
use crate::tcp::{TcpFlags, TcpOptions, TcpPacket};
use crate::udp::UdpPacket;
use std::net::IpAddr;

/// The capture's link type (pcap DLT). Our own enum so this crate does not depend on the capture crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// DLT_EN10MB.
    Ethernet,
    /// DLT_RAW / LINKTYPE_IPV4 / LINKTYPE_IPV6: the IP header first.
    RawIp,
    /// DLT_NULL (BSD loopback): a 4-byte address family in host byte order.
    Null,
    /// DLT_LINUX_SLL ("any" device, cooked v1): 16-byte header.
    LinuxSll,
    /// DLT_LINUX_SLL2 (cooked v2): 20-byte header.
    LinuxSll2,
}

/// IP version of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpVersion {
    V4,
    V6,
}

/// The network header's fields a reply is matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpSummary {
    pub version: IpVersion,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// IPv4 identification; for IPv6 the fragment header's identification if any, else 0.
    pub ident: u32,
    /// Upper-layer protocol (IPv6: after the extension headers).
    pub protocol: u8,
    /// IPv4 TOS / IPv6 traffic class.
    pub tos: u8,
    /// IPv6 flow label (0 for IPv4).
    pub flow_label: u32,
    /// IPv4 total length / IPv6 40 + payload length, as the header says.
    pub total_len: u32,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// Fragment offset in bytes.
    pub frag_offset: u16,
    /// IPv4 header length with options (IPv4 only; 40 plus extension headers for IPv6).
    pub header_len: usize,
    /// True if the IPv4 header checksum is right (always true for IPv6, which has none).
    pub checksum_ok: bool,
}

/// The first bytes of the transport header inside a quoted datagram: what the probe carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotedTransport {
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
        len: u16,
    },
    Icmp {
        msg_type: u8,
        code: u8,
        ident: u16,
        seq: u16,
    },
    Icmpv6 {
        msg_type: u8,
        code: u8,
        ident: u16,
        seq: u16,
    },
    Sctp {
        src_port: u16,
        dst_port: u16,
        vtag: u32,
    },
    /// Another protocol, or the quote stops before the 8 bytes needed (or is a later fragment).
    Other { protocol: u8 },
}

/// A datagram quoted in an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quoted {
    pub ip: IpSummary,
    pub transport: QuotedTransport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    /// Reserved bits (for OS detection).
    pub reserved: u8,
    pub options: TcpOptions,
    pub payload: &'a [u8],
    pub checksum_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpInfo<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub len: u16,
    pub payload: &'a [u8],
    pub checksum_ok: bool,
}

/// ICMPv4 or ICMPv6 message summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo<'a> {
    pub msg_type: u8,
    pub code: u8,
    /// Identifier and sequence for echo/timestamp/address-mask (v4) and echo (v6); else the raw bytes 4..8.
    pub ident: u16,
    pub seq: u16,
    /// The quoted datagram of an error message, if it parses (a garbage quote gives `None`).
    pub quoted: Option<Quoted>,
    /// Why the quote did not parse, for an error message whose quote is garbage.
    pub quote_error: Option<WireError>,
    /// The data after the 8-byte header.
    pub data: &'a [u8],
    pub checksum_ok: bool,
}

/// Neighbour discovery (ICMPv6 135/136) details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NdInfo {
    pub target: std::net::Ipv6Addr,
    /// Source (NS) or target (NA) link-layer address option.
    pub link_addr: Option<MacAddr>,
    /// NA flags byte (router, solicited, override in the high bits); 0 for NS.
    pub flags: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmpv6Info<'a> {
    pub icmp: IcmpInfo<'a>,
    pub nd: Option<NdInfo>,
}

/// Up to eight chunk types of an SCTP packet, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChunkTypes {
    types: [u8; 8],
    len: u8,
}

impl ChunkTypes {
    pub fn push(&mut self, t: u8) {
        if usize::from(self.len) < self.types.len() {
            self.types[usize::from(self.len)] = t;
            self.len += 1;
        }
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.types[..usize::from(self.len)]
    }
    pub fn contains(&self, t: u8) -> bool {
        self.as_slice().contains(&t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub vtag: u32,
    pub chunks: ChunkTypes,
    /// Initiate tag of an INIT or INIT-ACK first chunk (0 otherwise).
    pub init_tag: u32,
    /// ABORT's T bit (the vtag reflects the sender's own tag).
    pub abort_t_bit: bool,
    pub checksum_ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpInfo {
    pub op: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: std::net::Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: std::net::Ipv4Addr,
}

/// What follows the network header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    Tcp(TcpInfo<'a>),
    Udp(UdpInfo<'a>),
    Icmp(IcmpInfo<'a>),
    Icmpv6(Icmpv6Info<'a>),
    Sctp(SctpInfo),
    /// ARP (no IP header: `Parsed::ip` is `None`).
    Arp(ArpInfo),
    /// A non-first fragment: the transport header is elsewhere.
    Fragment {
        protocol: u8,
    },
    /// Another IP protocol (the `-sO` case) or one whose header does not parse (see `Parsed::transport_error`).
    Other {
        protocol: u8,
    },
    /// Neither IP nor ARP.
    NotIp {
        ethertype: u16,
    },
}

/// A captured frame, summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub link_src: Option<MacAddr>,
    pub link_dst: Option<MacAddr>,
    pub ip: Option<IpSummary>,
    pub transport: Transport<'a>,
    /// Set when the IP header parsed but the transport header did not (transport is then `Other`).
    pub transport_error: Option<WireError>,
}

/// Parses a captured frame. Errors are for the link or network header; a broken transport header yields
/// `Transport::Other` with `transport_error` set, so the engine can still count it against the source.
/// Checksums are reported (`checksum_ok`), never enforced.
pub fn parse_frame(link: LinkKind, data: &[u8]) -> Result<Parsed<'_>, WireError> {
    let (src, dst, et, rest) = match link {
        LinkKind::Ethernet => {
            let f = EthernetFrame::new_checked(data)?;
            let (mut et, mut at) = (f.ethertype(), crate::ethernet::HEADER_LEN);
            // 802.1Q / QinQ tags: skip at most two.
            for _ in 0..2 {
                if et != ethertype::VLAN && et != ethertype::QINQ {
                    break;
                }
                need("802.1q", data, at + 4)?;
                et = be16(data, at + 2);
                at += 4;
            }
            (Some(f.src()), Some(f.dst()), et, &data[at..])
        }
        LinkKind::RawIp => {
            need("raw ip", data, 1)?;
            let et = match data[0] >> 4 {
                4 => ethertype::IPV4,
                6 => ethertype::IPV6,
                v => {
                    return Err(WireError::BadVersion {
                        layer: "raw ip",
                        value: v,
                    });
                }
            };
            (None, None, et, data)
        }
        LinkKind::Null => {
            need("null", data, 4)?;
            let fam_le = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let fam_be = be32(data, 0);
            // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
            let et = match (fam_le, fam_be) {
                (2, _) | (_, 2) => ethertype::IPV4,
                (10 | 24 | 28 | 30, _) | (_, 10 | 24 | 28 | 30) => ethertype::IPV6,
                _ => {
                    return Err(WireError::BadField {
                        layer: "null",
                        field: "family",
                        value: fam_le,
                    });
                }
            };
            (None, None, et, &data[4..])
        }
        LinkKind::LinuxSll => {
            need("linux sll", data, 16)?;
            let alen = usize::from(be16(data, 4));
            let src = if alen == 6 {
                MacAddr::from_slice(&data[6..12])
            } else {
                None
            };
            (src, None, be16(data, 14), &data[16..])
        }
        LinkKind::LinuxSll2 => {
            need("linux sll2", data, 20)?;
            let alen = usize::from(data[11]);
            let src = if alen == 6 {
                MacAddr::from_slice(&data[12..18])
            } else {
                None
            };
            (src, None, be16(data, 0), &data[20..])
        }
    };
    parse_network(src, dst, et, rest)
}

/// Parses from the network header on, given the EtherType.
pub fn parse_network(
    link_src: Option<MacAddr>,
    link_dst: Option<MacAddr>,
    ethertype: u16,
    data: &[u8],
) -> Result<Parsed<'_>, WireError> {
    let mut out = Parsed {
        link_src,
        link_dst,
        ip: None,
        transport: Transport::NotIp { ethertype },
        transport_error: None,
    };
    match ethertype {
        ethertype::IPV4 => {
            let p = Ipv4Packet::new_checked(data)?;
            let ip = v4_summary(&p);
            out.ip = Some(ip);
            let pair = IpPair::V4(p.src(), p.dst());
            // Slice to the total length: Ethernet pads short frames.
            let payload = &data[p.header_len()..usize::from(p.total_len())];
            if p.frag_offset() != 0 {
                out.transport = Transport::Fragment {
                    protocol: ip.protocol,
                };
                return Ok(out);
            }
            match parse_transport(ip.protocol, pair, payload, p.more_frags()) {
                Ok(t) => out.transport = t,
                // A first fragment may legitimately stop inside the transport header (`-f`).
                Err(_) if p.more_frags() => {
                    out.transport = Transport::Fragment {
                        protocol: ip.protocol,
                    }
                }
                Err(e) => {
                    out.transport = Transport::Other {
                        protocol: ip.protocol,
                    };
                    out.transport_error = Some(e);
                }
            }
        }
        ethertype::IPV6 => return crate::ipv6::parse_network_v6(out, data),
        ethertype::ARP => {
            let a = crate::arp::ArpPacket::new_checked(data)?;
            out.transport = Transport::Arp(ArpInfo {
                op: a.op(),
                sender_mac: a.sender_mac(),
                sender_ip: a.sender_ip(),
                target_mac: a.target_mac(),
                target_ip: a.target_ip(),
            });
        }
        _ => {}
    }
    Ok(out)
}

pub(crate) fn v4_summary<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> IpSummary {
    IpSummary {
        version: IpVersion::V4,
        src: IpAddr::V4(p.src()),
        dst: IpAddr::V4(p.dst()),
        ttl: p.ttl(),
        ident: u32::from(p.ident()),
        protocol: p.protocol(),
        tos: p.tos(),
        flow_label: 0,
        total_len: u32::from(p.total_len()),
        dont_frag: p.dont_frag(),
        more_frags: p.more_frags(),
        frag_offset: p.frag_offset(),
        header_len: p.header_len(),
        checksum_ok: p.verify_checksum(),
    }
}

/// Parses the transport header. `fragmented`: the payload is the first of several fragments, so checksums
/// cannot be verified (reported as true).
pub(crate) fn parse_transport(
    protocol: u8,
    pair: IpPair,
    payload: &[u8],
    fragmented: bool,
) -> Result<Transport<'_>, WireError> {
    Ok(match protocol {
        proto::TCP => {
            let t = TcpPacket::new_checked(payload)?;
            Transport::Tcp(TcpInfo {
                src_port: t.src_port(),
                dst_port: t.dst_port(),
                seq: t.seq(),
                ack: t.ack(),
                flags: t.flags(),
                window: t.window(),
                urgent: t.urgent(),
                reserved: t.reserved(),
                options: TcpOptions::from_bytes(t.options_raw())?,
                payload: &payload[t.header_len()..],
                checksum_ok: fragmented || t.verify_checksum(pair),
            })
        }
        proto::UDP => {
            let u = UdpPacket::new_checked(payload)?;
            Transport::Udp(UdpInfo {
                src_port: u.src_port(),
                dst_port: u.dst_port(),
                len: u.len(),
                payload: &payload[crate::udp::HEADER_LEN..usize::from(u.len())],
                checksum_ok: fragmented || u.verify_checksum(pair),
            })
        }
        proto::ICMP if matches!(pair, IpPair::V4(..)) => {
            let i = Icmpv4Packet::new_checked(payload)?;
            let mut info = IcmpInfo {
                msg_type: i.msg_type(),
                code: i.code(),
                ident: i.ident(),
                seq: i.seq(),
                quoted: None,
                quote_error: None,
                data: &payload[crate::icmpv4::HEADER_LEN..],
                checksum_ok: fragmented || i.verify_checksum(),
            };
            if icmp4::is_error(info.msg_type) {
                match parse_quoted_v4(info.data) {
                    Ok(q) => info.quoted = Some(q),
                    Err(e) => info.quote_error = Some(e),
                }
            }
            Transport::Icmp(info)
        }
        proto::ICMPV6 if matches!(pair, IpPair::V6(..)) => {
            crate::icmpv6::parse_info(pair, payload, fragmented)?
        }
        proto::SCTP => crate::sctp::parse_info(payload, fragmented)?,
        p => Transport::Other { protocol: p },
    })
}

/// Parses a datagram quoted in an ICMPv4 error: the IPv4 header (whole) and at least 8 bytes of what follows
/// when the quote has them. The quoted total length may exceed what is quoted.
pub fn parse_quoted_v4(data: &[u8]) -> Result<Quoted, WireError> {
    let p = Ipv4Packet::new_quoted(data)?;
    let ip = v4_summary(&p);
    let transport = if p.frag_offset() != 0 {
        QuotedTransport::Other {
            protocol: ip.protocol,
        }
    } else {
        quoted_transport(ip.protocol, p.payload(), false)
    };
    Ok(Quoted { ip, transport })
}

pub(crate) fn quoted_transport(protocol: u8, t: &[u8], v6: bool) -> QuotedTransport {
    if t.len() < 8 {
        return QuotedTransport::Other { protocol };
    }
    match protocol {
        proto::TCP => QuotedTransport::Tcp {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
            seq: be32(t, 4),
        },
        proto::UDP => QuotedTransport::Udp {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
            len: be16(t, 4),
        },
        proto::ICMP if !v6 => QuotedTransport::Icmp {
            msg_type: t[0],
            code: t[1],
            ident: be16(t, 4),
            seq: be16(t, 6),
        },
        proto::ICMPV6 if v6 => QuotedTransport::Icmpv6 {
            msg_type: t[0],
            code: t[1],
            ident: be16(t, 4),
            seq: be16(t, 6),
        },
        proto::SCTP => QuotedTransport::Sctp {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
            vtag: be32(t, 4),
        },
        p => QuotedTransport::Other { protocol: p },
    }
}
