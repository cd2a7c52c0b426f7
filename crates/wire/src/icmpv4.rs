//! ICMPv4 (RFC 792, 950): echo, timestamp, address mask, and errors that quote the offending datagram.

use crate::checksum;
use crate::error::{WireError, be16, be32, need, need_out};
use std::net::Ipv4Addr;

pub const HEADER_LEN: usize = 8;
const L: &str = "icmpv4";

pub mod types {
    pub const ECHO_REPLY: u8 = 0;
    pub const DST_UNREACHABLE: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAM_PROBLEM: u8 = 12;
    pub const TIMESTAMP_REQUEST: u8 = 13;
    pub const TIMESTAMP_REPLY: u8 = 14;
    pub const ADDR_MASK_REQUEST: u8 = 17;
    pub const ADDR_MASK_REPLY: u8 = 18;

    /// True for the types whose data is a quoted datagram.
    pub fn is_error(t: u8) -> bool {
        matches!(
            t,
            DST_UNREACHABLE | SOURCE_QUENCH | REDIRECT | TIME_EXCEEDED | PARAM_PROBLEM
        )
    }
}

/// Checked view of an ICMPv4 message: `new_checked` guarantees at least the 8-byte header, and for timestamp
/// (20 bytes) and address-mask (12 bytes) messages their full length.
#[derive(Debug, Clone)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Icmpv4Packet { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, HEADER_LEN)?;
        let min = match b[0] {
            types::TIMESTAMP_REQUEST | types::TIMESTAMP_REPLY => 20,
            types::ADDR_MASK_REQUEST | types::ADDR_MASK_REPLY => 12,
            _ => HEADER_LEN,
        };
        need(L, b, min)?;
        Ok(Icmpv4Packet { buffer })
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
    /// Identifier (echo, timestamp, address mask).
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4)
    }
    /// Sequence number (echo, timestamp, address mask).
    pub fn seq(&self) -> u16 {
        be16(self.b(), 6)
    }
    /// The four bytes after the checksum, whatever they mean for this type.
    pub fn rest_of_header(&self) -> [u8; 4] {
        let b = self.b();
        [b[4], b[5], b[6], b[7]]
    }
    /// Next-hop MTU of "fragmentation needed" (type 3 code 4).
    pub fn next_hop_mtu(&self) -> u16 {
        be16(self.b(), 6)
    }
    /// Pointer of a parameter problem.
    pub fn pointer(&self) -> u8 {
        self.b()[4]
    }
    /// Gateway of a redirect.
    pub fn gateway(&self) -> Ipv4Addr {
        let b = self.b();
        Ipv4Addr::new(b[4], b[5], b[6], b[7])
    }
    /// Everything after the 8-byte header (echo data, the quoted datagram of an error, timestamps...).
    pub fn data(&self) -> &[u8] {
        &self.b()[HEADER_LEN..]
    }
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(self.b()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    pub fn set_msg_type(&mut self, v: u8) {
        self.m()[0] = v;
    }
    pub fn set_code(&mut self, v: u8) {
        self.m()[1] = v;
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.m()[2..4].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_rest_of_header(&mut self, v: [u8; 4]) {
        self.m()[4..8].copy_from_slice(&v);
    }
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.b());
        self.set_checksum(c);
    }
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.m()[HEADER_LEN..]
    }
}

/// The meaning of an ICMPv4 message. Borrowed data (echo payload, quoted datagram) points into the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv4Repr<'a> {
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
    TimestampRequest {
        ident: u16,
        seq: u16,
        originate: u32,
        receive: u32,
        transmit: u32,
    },
    TimestampReply {
        ident: u16,
        seq: u16,
        originate: u32,
        receive: u32,
        transmit: u32,
    },
    AddressMaskRequest {
        ident: u16,
        seq: u16,
        mask: Ipv4Addr,
    },
    AddressMaskReply {
        ident: u16,
        seq: u16,
        mask: Ipv4Addr,
    },
    /// Type 3; `next_hop_mtu` is meaningful for code 4.
    DstUnreachable {
        code: u8,
        next_hop_mtu: u16,
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: u8,
        quoted: &'a [u8],
    },
    ParamProblem {
        code: u8,
        pointer: u8,
        quoted: &'a [u8],
    },
    Redirect {
        code: u8,
        gateway: Ipv4Addr,
        quoted: &'a [u8],
    },
    SourceQuench {
        quoted: &'a [u8],
    },
    Other {
        msg_type: u8,
        code: u8,
        rest: [u8; 4],
        data: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Reads the message; the checksum is not checked (use [`Icmpv4Packet::verify_checksum`]).
    pub fn parse(p: &Icmpv4Packet<&'a [u8]>) -> Result<Self, WireError> {
        let code = p.code();
        let d: &'a [u8] = &p.buffer[HEADER_LEN..];
        let (id, sq) = (p.ident(), p.seq());
        Ok(match p.msg_type() {
            types::ECHO_REQUEST => Icmpv4Repr::EchoRequest {
                ident: id,
                seq: sq,
                data: d,
            },
            types::ECHO_REPLY => Icmpv4Repr::EchoReply {
                ident: id,
                seq: sq,
                data: d,
            },
            t @ (types::TIMESTAMP_REQUEST | types::TIMESTAMP_REPLY) => {
                let (originate, receive, transmit) = (be32(d, 0), be32(d, 4), be32(d, 8));
                if t == types::TIMESTAMP_REQUEST {
                    Icmpv4Repr::TimestampRequest {
                        ident: id,
                        seq: sq,
                        originate,
                        receive,
                        transmit,
                    }
                } else {
                    Icmpv4Repr::TimestampReply {
                        ident: id,
                        seq: sq,
                        originate,
                        receive,
                        transmit,
                    }
                }
            }
            t @ (types::ADDR_MASK_REQUEST | types::ADDR_MASK_REPLY) => {
                let mask = Ipv4Addr::new(d[0], d[1], d[2], d[3]);
                if t == types::ADDR_MASK_REQUEST {
                    Icmpv4Repr::AddressMaskRequest {
                        ident: id,
                        seq: sq,
                        mask,
                    }
                } else {
                    Icmpv4Repr::AddressMaskReply {
                        ident: id,
                        seq: sq,
                        mask,
                    }
                }
            }
            types::DST_UNREACHABLE => Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu: p.next_hop_mtu(),
                quoted: d,
            },
            types::TIME_EXCEEDED => Icmpv4Repr::TimeExceeded { code, quoted: d },
            types::PARAM_PROBLEM => Icmpv4Repr::ParamProblem {
                code,
                pointer: p.pointer(),
                quoted: d,
            },
            types::REDIRECT => Icmpv4Repr::Redirect {
                code,
                gateway: p.gateway(),
                quoted: d,
            },
            types::SOURCE_QUENCH => Icmpv4Repr::SourceQuench { quoted: d },
            t => Icmpv4Repr::Other {
                msg_type: t,
                code,
                rest: p.rest_of_header(),
                data: d,
            },
        })
    }

    fn parts(&self) -> (u8, u8, [u8; 4], usize) {
        let idseq = |i: u16, s: u16| {
            let (a, b) = (i.to_be_bytes(), s.to_be_bytes());
            [a[0], a[1], b[0], b[1]]
        };
        match *self {
            Icmpv4Repr::EchoRequest { ident, seq, data } => {
                (types::ECHO_REQUEST, 0, idseq(ident, seq), data.len())
            }
            Icmpv4Repr::EchoReply { ident, seq, data } => {
                (types::ECHO_REPLY, 0, idseq(ident, seq), data.len())
            }
            Icmpv4Repr::TimestampRequest { ident, seq, .. } => {
                (types::TIMESTAMP_REQUEST, 0, idseq(ident, seq), 12)
            }
            Icmpv4Repr::TimestampReply { ident, seq, .. } => {
                (types::TIMESTAMP_REPLY, 0, idseq(ident, seq), 12)
            }
            Icmpv4Repr::AddressMaskRequest { ident, seq, .. } => {
                (types::ADDR_MASK_REQUEST, 0, idseq(ident, seq), 4)
            }
            Icmpv4Repr::AddressMaskReply { ident, seq, .. } => {
                (types::ADDR_MASK_REPLY, 0, idseq(ident, seq), 4)
            }
            Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu,
                quoted,
            } => (
                types::DST_UNREACHABLE,
                code,
                idseq(0, next_hop_mtu),
                quoted.len(),
            ),
            Icmpv4Repr::TimeExceeded { code, quoted } => {
                (types::TIME_EXCEEDED, code, [0; 4], quoted.len())
            }
            Icmpv4Repr::ParamProblem {
                code,
                pointer,
                quoted,
            } => (types::PARAM_PROBLEM, code, [pointer, 0, 0, 0], quoted.len()),
            Icmpv4Repr::Redirect {
                code,
                gateway,
                quoted,
            } => (types::REDIRECT, code, gateway.octets(), quoted.len()),
            Icmpv4Repr::SourceQuench { quoted } => (types::SOURCE_QUENCH, 0, [0; 4], quoted.len()),
            Icmpv4Repr::Other {
                msg_type,
                code,
                rest,
                data,
            } => (msg_type, code, rest, data.len()),
        }
    }

    /// Total message length (header + data).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.parts().3
    }

    /// Writes the message and its checksum; the buffer must be exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Icmpv4Packet<T>,
    ) -> Result<(), WireError> {
        let (t, code, rest, _) = self.parts();
        let n = self.buffer_len();
        need_out(L, p.b(), n)?;
        if p.b().len() != n {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: p.b().len(),
            });
        }
        p.set_msg_type(t);
        p.set_code(code);
        p.set_rest_of_header(rest);
        let d = p.data_mut();
        match *self {
            Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => {
                d.copy_from_slice(data)
            }
            Icmpv4Repr::TimestampRequest {
                originate,
                receive,
                transmit,
                ..
            }
            | Icmpv4Repr::TimestampReply {
                originate,
                receive,
                transmit,
                ..
            } => {
                d[0..4].copy_from_slice(&originate.to_be_bytes());
                d[4..8].copy_from_slice(&receive.to_be_bytes());
                d[8..12].copy_from_slice(&transmit.to_be_bytes());
            }
            Icmpv4Repr::AddressMaskRequest { mask, .. }
            | Icmpv4Repr::AddressMaskReply { mask, .. } => d.copy_from_slice(&mask.octets()),
            Icmpv4Repr::DstUnreachable { quoted, .. }
            | Icmpv4Repr::TimeExceeded { quoted, .. }
            | Icmpv4Repr::ParamProblem { quoted, .. }
            | Icmpv4Repr::Redirect { quoted, .. }
            | Icmpv4Repr::SourceQuench { quoted } => d.copy_from_slice(quoted),
            Icmpv4Repr::Other { data, .. } => d.copy_from_slice(data),
        }
        p.fill_checksum();
        Ok(())
    }
}
