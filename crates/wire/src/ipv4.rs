//! IPv4 (RFC 791): header, options, fragments.

use crate::checksum;
use crate::error::{WireError, be16, need, need_out};
use std::net::Ipv4Addr;

pub const MIN_HEADER_LEN: usize = 20;
pub const MAX_OPTIONS_LEN: usize = 40;
const L: &str = "ipv4";

pub mod proto {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IGMP: u8 = 2;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6_ROUTE: u8 = 43;
    pub const IPV6_FRAG: u8 = 44;
    pub const ICMPV6: u8 = 58;
    pub const IPV6_NONXT: u8 = 59;
    pub const IPV6_OPTS: u8 = 60;
    pub const SCTP: u8 = 132;
}

/// Checked view of an IPv4 datagram. `new_checked` guarantees: buffer >= 20, version 4, 20 <= IHL*4 <= total
/// length <= buffer length; so every accessor is in bounds. [`Ipv4Packet::new_quoted`] relaxes the last bound for
/// datagrams quoted (cut short) inside ICMP errors.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_quoted(buffer)?;
        let b = p.buffer.as_ref();
        if usize::from(p.total_len()) > b.len() {
            return Err(WireError::Truncated {
                layer: L,
                have: b.len(),
                need: usize::from(p.total_len()),
            });
        }
        Ok(p)
    }

    /// Like `new_checked` but the payload may be shorter than the total length says (a quoted datagram, or a
    /// capture cut by the snap length). The full header must be present.
    pub fn new_quoted(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, MIN_HEADER_LEN)?;
        let v = b[0] >> 4;
        if v != 4 {
            return Err(WireError::BadVersion { layer: L, value: v });
        }
        let hl = usize::from(b[0] & 0x0F) * 4;
        if hl < MIN_HEADER_LEN {
            return Err(WireError::BadHeaderLength {
                layer: L,
                value: hl,
            });
        }
        need(L, b, hl)?;
        let tl = usize::from(be16(b, 2));
        if tl < hl {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: tl,
            });
        }
        Ok(Ipv4Packet { buffer })
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn version(&self) -> u8 {
        self.b()[0] >> 4
    }
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[0] & 0x0F) * 4
    }
    pub fn tos(&self) -> u8 {
        self.b()[1]
    }
    pub fn total_len(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4)
    }
    pub fn reserved_flag(&self) -> bool {
        self.b()[6] & 0x80 != 0
    }
    pub fn dont_frag(&self) -> bool {
        self.b()[6] & 0x40 != 0
    }
    pub fn more_frags(&self) -> bool {
        self.b()[6] & 0x20 != 0
    }
    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.b(), 6) & 0x1FFF) << 3
    }
    pub fn ttl(&self) -> u8 {
        self.b()[8]
    }
    pub fn protocol(&self) -> u8 {
        self.b()[9]
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 10)
    }
    pub fn src(&self) -> Ipv4Addr {
        let b = self.b();
        Ipv4Addr::new(b[12], b[13], b[14], b[15])
    }
    pub fn dst(&self) -> Ipv4Addr {
        let b = self.b();
        Ipv4Addr::new(b[16], b[17], b[18], b[19])
    }
    pub fn options(&self) -> &[u8] {
        &self.b()[MIN_HEADER_LEN..self.header_len()]
    }
    /// The payload up to the total length (or to the buffer's end for a quoted/truncated datagram).
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        let end = usize::from(self.total_len()).min(b.len());
        &b[self.header_len()..end]
    }
    /// True if the payload is complete (total length fits the buffer).
    pub fn is_complete(&self) -> bool {
        usize::from(self.total_len()) <= self.b().len()
    }
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(&self.b()[..self.header_len()]) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    pub fn set_version_and_header_len(&mut self, header_len: usize) {
        self.m()[0] = 0x40 | ((header_len / 4) as u8 & 0x0F);
    }
    pub fn set_tos(&mut self, v: u8) {
        self.m()[1] = v;
    }
    pub fn set_total_len(&mut self, v: u16) {
        self.m()[2..4].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_ident(&mut self, v: u16) {
        self.m()[4..6].copy_from_slice(&v.to_be_bytes());
    }
    /// Sets DF, MF and the offset (bytes, must be a multiple of 8).
    pub fn set_frag(&mut self, dont_frag: bool, more_frags: bool, offset_bytes: u16) {
        let mut v = (offset_bytes >> 3) & 0x1FFF;
        if dont_frag {
            v |= 0x4000;
        }
        if more_frags {
            v |= 0x2000;
        }
        self.m()[6..8].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_ttl(&mut self, v: u8) {
        self.m()[8] = v;
    }
    pub fn set_protocol(&mut self, v: u8) {
        self.m()[9] = v;
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.m()[10..12].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_src(&mut self, a: Ipv4Addr) {
        self.m()[12..16].copy_from_slice(&a.octets());
    }
    pub fn set_dst(&mut self, a: Ipv4Addr) {
        self.m()[16..20].copy_from_slice(&a.octets());
    }
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hl = self.header_len();
        let c = checksum::checksum(&self.buffer.as_ref()[..hl]);
        self.set_checksum(c);
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let end = usize::from(self.total_len()).min(self.buffer.as_ref().len());
        &mut self.m()[hl..end]
    }
}

/// IPv4 options as raw bytes (at most 40, padded to a multiple of 4 on emit). Fixed size: no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Options {
    bytes: [u8; MAX_OPTIONS_LEN],
    len: u8,
}

impl std::fmt::Debug for Ipv4Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ipv4Options({:02x?})", self.as_bytes())
    }
}

impl Default for Ipv4Options {
    fn default() -> Self {
        Ipv4Options {
            bytes: [0; MAX_OPTIONS_LEN],
            len: 0,
        }
    }
}

impl Ipv4Options {
    pub fn new(raw: &[u8]) -> Result<Self, WireError> {
        if raw.len() > MAX_OPTIONS_LEN {
            return Err(WireError::BadHeaderLength {
                layer: "ipv4 options",
                value: raw.len() + MIN_HEADER_LEN,
            });
        }
        let mut bytes = [0u8; MAX_OPTIONS_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(Ipv4Options {
            bytes,
            len: raw.len() as u8,
        })
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Length on the wire: padded with End-of-list bytes to a multiple of 4.
    pub fn padded_len(&self) -> usize {
        usize::from(self.len).div_ceil(4) * 4
    }
    /// Iterates (type, data) pairs; stops at End-of-list; yields `Err` once on a malformed option.
    pub fn iter(&self) -> Ipv4OptionIter<'_> {
        Ipv4OptionIter {
            rest: self.as_bytes(),
        }
    }
}

/// Iterator over IPv4 options: `(option type, option data without type/length)`.
#[derive(Debug, Clone)]
pub struct Ipv4OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Ipv4OptionIter<'a> {
    type Item = Result<(u8, &'a [u8]), WireError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&t, tail) = self.rest.split_first()?;
            match t {
                0 => {
                    self.rest = &[];
                    return None;
                }
                1 => self.rest = tail,
                _ => {
                    let bad = |v: usize| WireError::BadField {
                        layer: "ipv4 option",
                        field: "length",
                        value: v as u32,
                    };
                    let Some(&len) = tail.first() else {
                        self.rest = &[];
                        return Some(Err(bad(0)));
                    };
                    let len = usize::from(len);
                    if len < 2 || len > self.rest.len() {
                        self.rest = &[];
                        return Some(Err(bad(len)));
                    }
                    let data = &self.rest[2..len];
                    self.rest = &self.rest[len..];
                    return Some(Ok((t, data)));
                }
            }
        }
    }
}

/// The meaning of an IPv4 header. `payload_len` is the length of what follows the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    pub ident: u16,
    pub tos: u8,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// Fragment offset in bytes (multiple of 8).
    pub frag_offset: u16,
    pub options: Ipv4Options,
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// A plain header: no options, not fragmented.
    pub fn new(
        src: Ipv4Addr,
        dst: Ipv4Addr,
        protocol: u8,
        ttl: u8,
        ident: u16,
        payload_len: usize,
    ) -> Self {
        Ipv4Repr {
            src,
            dst,
            protocol,
            ttl,
            ident,
            tos: 0,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
            options: Ipv4Options::default(),
            payload_len,
        }
    }

    /// Reads the header. The checksum is not checked (see [`Ipv4Packet::verify_checksum`]); `payload_len` is what
    /// the total length says, which may exceed the buffer for a view made with `new_quoted`.
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Result<Self, WireError> {
        Ok(Ipv4Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            ident: p.ident(),
            tos: p.tos(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
            options: Ipv4Options::new(p.options())?,
            payload_len: usize::from(p.total_len()) - p.header_len(),
        })
    }

    pub fn header_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.padded_len()
    }

    pub fn buffer_len(&self) -> usize {
        self.header_len()
    }

    /// Writes the header (and its checksum) at the start of the packet buffer; the payload is left untouched.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Ipv4Packet<T>,
    ) -> Result<(), WireError> {
        let hl = self.header_len();
        need_out(L, p.buffer.as_ref(), hl)?;
        let total = hl + self.payload_len;
        if total > usize::from(u16::MAX) {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: total,
            });
        }
        p.set_version_and_header_len(hl);
        p.set_tos(self.tos);
        p.set_total_len(total as u16);
        p.set_ident(self.ident);
        p.set_frag(self.dont_frag, self.more_frags, self.frag_offset);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src(self.src);
        p.set_dst(self.dst);
        let opt = p.m();
        opt[MIN_HEADER_LEN..hl].fill(0);
        opt[MIN_HEADER_LEN..MIN_HEADER_LEN + self.options.as_bytes().len()]
            .copy_from_slice(self.options.as_bytes());
        p.fill_checksum();
        Ok(())
    }
}

/// Splits a complete IPv4 datagram into fragments carrying at most `frag_payload` bytes each (rounded down to a
/// multiple of 8, at least 8) — what `-f` (8) and `--mtu N` do. Options are copied into later fragments only if
/// their copy bit is set (RFC 791). A datagram that fits is returned whole. DF is cleared on every fragment.
pub fn fragment(datagram: &[u8], frag_payload: usize) -> Result<Vec<Vec<u8>>, WireError> {
    let p = Ipv4Packet::new_checked(datagram)?;
    let repr = Ipv4Repr::parse(&p)?;
    let payload = p.payload();
    let step = (frag_payload / 8 * 8).max(8);
    if payload.len() <= step {
        return Ok(vec![datagram[..usize::from(p.total_len())].to_vec()]);
    }
    let mut later_opts = [0u8; MAX_OPTIONS_LEN];
    let mut n = 0;
    for opt in repr.options.iter() {
        let Ok((t, data)) = opt else { break };
        if t & 0x80 != 0 && n + 2 + data.len() <= MAX_OPTIONS_LEN {
            later_opts[n] = t;
            later_opts[n + 1] = (data.len() + 2) as u8;
            later_opts[n + 2..n + 2 + data.len()].copy_from_slice(data);
            n += 2 + data.len();
        }
    }
    let later = Ipv4Options::new(&later_opts[..n])?;
    let base = usize::from(repr.frag_offset);
    let mut out = Vec::with_capacity(payload.len().div_ceil(step));
    for (i, chunk) in payload.chunks(step).enumerate() {
        let off = base + i * step;
        if off > 0xFFF8 {
            return Err(WireError::BadField {
                layer: L,
                field: "fragment offset",
                value: off as u32,
            });
        }
        let last = (i + 1) * step >= payload.len();
        let r = Ipv4Repr {
            dont_frag: false,
            more_frags: !last || repr.more_frags,
            frag_offset: off as u16,
            options: if i == 0 { repr.options } else { later },
            payload_len: chunk.len(),
            ..repr
        };
        let mut buf = vec![0u8; r.header_len() + chunk.len()];
        let mut fp = Ipv4Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut fp)?;
        fp.payload_mut().copy_from_slice(chunk);
        out.push(buf);
    }
    Ok(out)
}
