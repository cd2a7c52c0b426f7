//! ICMPv6 (RFC 4443) and neighbour discovery solicitation/advertisement (RFC 4861).

use crate::checksum::{self, IpPair};
use crate::error::{WireError, be16, be32, need, need_out};
use crate::ethernet::MacAddr;
use crate::frame::{IcmpInfo, Icmpv6Info, NdInfo, Transport};
use crate::ipv4::proto;
use std::net::Ipv6Addr;

pub const HEADER_LEN: usize = 8;
const L: &str = "icmpv6";
/// NS/NA fixed part: 8-byte header + 16-byte target.
pub const ND_LEN: usize = 24;

pub mod types {
    pub const DST_UNREACHABLE: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const PARAM_PROBLEM: u8 = 4;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const ROUTER_SOLICIT: u8 = 133;
    pub const ROUTER_ADVERT: u8 = 134;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;

    /// Error messages (types below 128) quote the offending packet.
    pub fn is_error(t: u8) -> bool {
        t < 128
    }
}

/// NA flag bits (in the first byte after the checksum).
pub mod na_flags {
    pub const ROUTER: u8 = 0x80;
    pub const SOLICITED: u8 = 0x40;
    pub const OVERRIDE: u8 = 0x20;
}

/// Checked view of an ICMPv6 message: 8 bytes at least, 24 for NS/NA. The buffer is exactly the message.
#[derive(Debug, Clone)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Icmpv6Packet { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, HEADER_LEN)?;
        if matches!(b[0], types::NEIGHBOR_SOLICIT | types::NEIGHBOR_ADVERT) {
            need(L, b, ND_LEN)?;
        }
        Ok(Icmpv6Packet { buffer })
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn msg_type(&self) -> u8 {
        self.b()[0]
    }
    pub fn code(&self) -> u8 {
        self.b()[1]
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4)
    }
    pub fn seq(&self) -> u16 {
        be16(self.b(), 6)
    }
    /// MTU of packet-too-big, pointer of parameter problem.
    pub fn word(&self) -> u32 {
        be32(self.b(), 4)
    }
    pub fn rest_of_header(&self) -> [u8; 4] {
        let b = self.b();
        [b[4], b[5], b[6], b[7]]
    }
    pub fn data(&self) -> &[u8] {
        &self.b()[HEADER_LEN..]
    }
    /// NS/NA target (only meaningful for those types; zero otherwise and for short messages).
    pub fn nd_target(&self) -> Ipv6Addr {
        let b = self.b();
        let mut a = [0u8; 16];
        if b.len() >= ND_LEN {
            a.copy_from_slice(&b[8..24]);
        }
        Ipv6Addr::from(a)
    }
    /// NS/NA options (after the target).
    pub fn nd_options(&self) -> &[u8] {
        self.b().get(ND_LEN..).unwrap_or(&[])
    }
    pub fn verify_checksum(&self, pair: IpPair) -> bool {
        checksum::upper(pair, proto::ICMPV6, self.b()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    pub fn set_header(&mut self, t: u8, code: u8, rest: [u8; 4]) {
        let b = self.buffer.as_mut();
        b[0] = t;
        b[1] = code;
        b[4..8].copy_from_slice(&rest);
    }
    pub fn fill_checksum(&mut self, pair: IpPair) {
        self.buffer.as_mut()[2..4].fill(0);
        let c = checksum::upper(pair, proto::ICMPV6, self.b());
        self.buffer.as_mut()[2..4].copy_from_slice(&c.to_be_bytes());
    }
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// Finds the first source (1) or target (2) link-layer address option holding a 6-byte MAC. A zero-length
/// option (invalid, and a loop hazard) ends the walk.
pub fn nd_link_addr(opts: &[u8], kind: u8) -> Option<MacAddr> {
    let mut at = 0;
    while at + 2 <= opts.len() {
        let len = usize::from(opts[at + 1]) * 8;
        if len == 0 || at + len > opts.len() {
            return None;
        }
        if opts[at] == kind && len >= 8 {
            return MacAddr::from_slice(&opts[at + 2..at + 8]);
        }
        at += len;
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr<'a> {
    EchoRequest {
        ident: u16,
        seq: u16,
        data: &'a [u8],
    },
    EchoReply {
        ident: u16,
        seq: u16,
        data: &'a [u8],
    },
    DstUnreachable {
        code: u8,
        quoted: &'a [u8],
    },
    PacketTooBig {
        mtu: u32,
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: u8,
        quoted: &'a [u8],
    },
    ParamProblem {
        code: u8,
        pointer: u32,
        quoted: &'a [u8],
    },
    /// `source_ll`: the source link-layer address option (omitted from DAD probes).
    NeighborSolicit {
        target: Ipv6Addr,
        source_ll: Option<MacAddr>,
    },
    NeighborAdvert {
        flags: u8,
        target: Ipv6Addr,
        target_ll: Option<MacAddr>,
    },
    Other {
        msg_type: u8,
        code: u8,
        rest: [u8; 4],
        data: &'a [u8],
    },
}

impl<'a> Icmpv6Repr<'a> {
    /// Reads the message; the checksum is not checked (use [`Icmpv6Packet::verify_checksum`]).
    pub fn parse(p: &Icmpv6Packet<&'a [u8]>) -> Result<Self, WireError> {
        let b: &'a [u8] = p.buffer;
        let d = &b[HEADER_LEN..];
        let code = p.code();
        Ok(match p.msg_type() {
            types::ECHO_REQUEST => Icmpv6Repr::EchoRequest {
                ident: p.ident(),
                seq: p.seq(),
                data: d,
            },
            types::ECHO_REPLY => Icmpv6Repr::EchoReply {
                ident: p.ident(),
                seq: p.seq(),
                data: d,
            },
            types::DST_UNREACHABLE => Icmpv6Repr::DstUnreachable { code, quoted: d },
            types::PACKET_TOO_BIG => Icmpv6Repr::PacketTooBig {
                mtu: p.word(),
                quoted: d,
            },
            types::TIME_EXCEEDED => Icmpv6Repr::TimeExceeded { code, quoted: d },
            types::PARAM_PROBLEM => Icmpv6Repr::ParamProblem {
                code,
                pointer: p.word(),
                quoted: d,
            },
            types::NEIGHBOR_SOLICIT => Icmpv6Repr::NeighborSolicit {
                target: p.nd_target(),
                source_ll: nd_link_addr(p.nd_options(), 1),
            },
            types::NEIGHBOR_ADVERT => Icmpv6Repr::NeighborAdvert {
                flags: b[4],
                target: p.nd_target(),
                target_ll: nd_link_addr(p.nd_options(), 2),
            },
            t => Icmpv6Repr::Other {
                msg_type: t,
                code,
                rest: p.rest_of_header(),
                data: d,
            },
        })
    }

    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::EchoRequest { data, .. } | Icmpv6Repr::EchoReply { data, .. } => {
                HEADER_LEN + data.len()
            }
            Icmpv6Repr::DstUnreachable { quoted, .. }
            | Icmpv6Repr::PacketTooBig { quoted, .. }
            | Icmpv6Repr::TimeExceeded { quoted, .. }
            | Icmpv6Repr::ParamProblem { quoted, .. } => HEADER_LEN + quoted.len(),
            Icmpv6Repr::NeighborSolicit { source_ll: l, .. }
            | Icmpv6Repr::NeighborAdvert { target_ll: l, .. } => {
                ND_LEN + if l.is_some() { 8 } else { 0 }
            }
            Icmpv6Repr::Other { data, .. } => HEADER_LEN + data.len(),
        }
    }

    /// Writes the message and checksum; the buffer must be exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Icmpv6Packet<T>,
        pair: IpPair,
    ) -> Result<(), WireError> {
        let n = self.buffer_len();
        need_out(L, p.b(), n)?;
        if p.b().len() != n {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: p.b().len(),
            });
        }
        let idseq = |i: u16, s: u16| {
            let (a, b) = (i.to_be_bytes(), s.to_be_bytes());
            [a[0], a[1], b[0], b[1]]
        };
        let nd = |p: &mut Icmpv6Packet<T>, target: Ipv6Addr, ll: Option<MacAddr>, kind: u8| {
            let d = p.data_mut();
            d[..16].copy_from_slice(&target.octets());
            if let Some(m) = ll {
                d[16] = kind;
                d[17] = 1;
                d[18..24].copy_from_slice(&m.0);
            }
        };
        match *self {
            Icmpv6Repr::EchoRequest { ident, seq, data }
            | Icmpv6Repr::EchoReply { ident, seq, data } => {
                let t = if matches!(self, Icmpv6Repr::EchoRequest { .. }) {
                    types::ECHO_REQUEST
                } else {
                    types::ECHO_REPLY
                };
                p.set_header(t, 0, idseq(ident, seq));
                p.data_mut().copy_from_slice(data);
            }
            Icmpv6Repr::DstUnreachable { code, quoted } => {
                p.set_header(types::DST_UNREACHABLE, code, [0; 4]);
                p.data_mut().copy_from_slice(quoted);
            }
            Icmpv6Repr::PacketTooBig { mtu, quoted } => {
                p.set_header(types::PACKET_TOO_BIG, 0, mtu.to_be_bytes());
                p.data_mut().copy_from_slice(quoted);
            }
            Icmpv6Repr::TimeExceeded { code, quoted } => {
                p.set_header(types::TIME_EXCEEDED, code, [0; 4]);
                p.data_mut().copy_from_slice(quoted);
            }
            Icmpv6Repr::ParamProblem {
                code,
                pointer,
                quoted,
            } => {
                p.set_header(types::PARAM_PROBLEM, code, pointer.to_be_bytes());
                p.data_mut().copy_from_slice(quoted);
            }
            Icmpv6Repr::NeighborSolicit { target, source_ll } => {
                p.set_header(types::NEIGHBOR_SOLICIT, 0, [0; 4]);
                nd(p, target, source_ll, 1);
            }
            Icmpv6Repr::NeighborAdvert {
                flags,
                target,
                target_ll,
            } => {
                p.set_header(types::NEIGHBOR_ADVERT, 0, [flags, 0, 0, 0]);
                nd(p, target, target_ll, 2);
            }
            Icmpv6Repr::Other {
                msg_type,
                code,
                rest,
                data,
            } => {
                p.set_header(msg_type, code, rest);
                p.data_mut().copy_from_slice(data);
            }
        }
        p.fill_checksum(pair);
        Ok(())
    }
}

pub(crate) fn parse_info(
    pair: IpPair,
    payload: &[u8],
    fragmented: bool,
) -> Result<Transport<'_>, WireError> {
    let i = Icmpv6Packet::new_checked(payload)?;
    let mut icmp = IcmpInfo {
        msg_type: i.msg_type(),
        code: i.code(),
        ident: i.ident(),
        seq: i.seq(),
        quoted: None,
        quote_error: None,
        data: &payload[HEADER_LEN..],
        checksum_ok: fragmented || i.verify_checksum(pair),
    };
    if types::is_error(icmp.msg_type) {
        match crate::ipv6::parse_quoted_v6(icmp.data) {
            Ok(q) => icmp.quoted = Some(q),
            Err(e) => icmp.quote_error = Some(e),
        }
    }
    let nd = match icmp.msg_type {
        types::NEIGHBOR_SOLICIT => Some(NdInfo {
            target: i.nd_target(),
            link_addr: nd_link_addr(i.nd_options(), 1),
            flags: 0,
        }),
        types::NEIGHBOR_ADVERT => Some(NdInfo {
            target: i.nd_target(),
            link_addr: nd_link_addr(i.nd_options(), 2),
            flags: payload[4],
        }),
        _ => None,
    };
    Ok(Transport::Icmpv6(Icmpv6Info { icmp, nd }))
}
