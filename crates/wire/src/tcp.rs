//! TCP (RFC 9293) with all options kept in wire order (order matters for OS fingerprints).

use crate::checksum::{self, IpPair};
use crate::error::{WireError, be16, be32, need, need_out};
use crate::ipv4::proto;

pub const MIN_HEADER_LEN: usize = 20;
pub const MAX_OPTIONS_LEN: usize = 40;
const L: &str = "tcp";

/// TCP flags, including NS (bit 8). Any combination is representable (`--scanflags`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    pub const ECE: TcpFlags = TcpFlags(0x040);
    pub const CWR: TcpFlags = TcpFlags(0x080);
    pub const NS: TcpFlags = TcpFlags(0x100);
    pub const NONE: TcpFlags = TcpFlags(0);

    pub fn contains(self, o: TcpFlags) -> bool {
        self.0 & o.0 == o.0
    }
    pub fn intersects(self, o: TcpFlags) -> bool {
        self.0 & o.0 != 0
    }
    pub fn bits(self) -> u16 {
        self.0
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, o: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | o.0)
    }
}

impl std::ops::BitAnd for TcpFlags {
    type Output = TcpFlags;
    fn bitand(self, o: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & o.0)
    }
}

impl std::fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nmap's --packet-trace letters.
        const N: [(u16, char); 9] = [
            (0x002, 'S'),
            (0x001, 'F'),
            (0x004, 'R'),
            (0x008, 'P'),
            (0x010, 'A'),
            (0x020, 'U'),
            (0x040, 'E'),
            (0x080, 'C'),
            (0x100, 'N'),
        ];
        for (bit, c) in N {
            if self.0 & bit != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// One decoded TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    EndOfList,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    /// Up to four (left, right) edges.
    Sack(&'a [u8]),
    Timestamp {
        tsval: u32,
        tsecr: u32,
    },
    /// Any other kind, with its data (without kind and length bytes).
    Unknown {
        kind: u8,
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// Bytes this option takes on the wire.
    pub fn wire_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(d) => 2 + d.len(),
            TcpOption::Timestamp { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    fn write(&self, out: &mut [u8]) {
        match *self {
            TcpOption::EndOfList => out[0] = 0,
            TcpOption::Nop => out[0] = 1,
            TcpOption::Mss(m) => {
                out[..2].copy_from_slice(&[2, 4]);
                out[2..4].copy_from_slice(&m.to_be_bytes());
            }
            TcpOption::WindowScale(w) => out[..3].copy_from_slice(&[3, 3, w]),
            TcpOption::SackPermitted => out[..2].copy_from_slice(&[4, 2]),
            TcpOption::Sack(d) => {
                out[0] = 5;
                out[1] = (2 + d.len()) as u8;
                out[2..2 + d.len()].copy_from_slice(d);
            }
            TcpOption::Timestamp { tsval, tsecr } => {
                out[..2].copy_from_slice(&[8, 10]);
                out[2..6].copy_from_slice(&tsval.to_be_bytes());
                out[6..10].copy_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::Unknown { kind, data } => {
                out[0] = kind;
                out[1] = (2 + data.len()) as u8;
                out[2..2 + data.len()].copy_from_slice(data);
            }
        }
    }
}

/// TCP options as raw bytes in wire order (at most 40). Fixed size, `Copy`: no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpOptions {
    bytes: [u8; MAX_OPTIONS_LEN],
    len: u8,
}

impl std::fmt::Debug for TcpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            bytes: [0; MAX_OPTIONS_LEN],
            len: 0,
        }
    }
}

impl TcpOptions {
    /// Raw option bytes as they appear on the wire (padding included).
    pub fn from_bytes(raw: &[u8]) -> Result<Self, WireError> {
        if raw.len() > MAX_OPTIONS_LEN {
            return Err(WireError::BadHeaderLength {
                layer: "tcp options",
                value: raw.len() + MIN_HEADER_LEN,
            });
        }
        let mut bytes = [0u8; MAX_OPTIONS_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(TcpOptions {
            bytes,
            len: raw.len() as u8,
        })
    }

    /// Encodes options in the given order (no implicit padding; emit pads to 4 with End-of-list).
    pub fn from_options(opts: &[TcpOption<'_>]) -> Result<Self, WireError> {
        let total: usize = opts.iter().map(TcpOption::wire_len).sum();
        let bad_len = |v: usize| WireError::BadField {
            layer: "tcp option",
            field: "length",
            value: v as u32,
        };
        if total > MAX_OPTIONS_LEN {
            return Err(WireError::BadHeaderLength {
                layer: "tcp options",
                value: total + MIN_HEADER_LEN,
            });
        }
        let mut bytes = [0u8; MAX_OPTIONS_LEN];
        let mut at = 0;
        for o in opts {
            if let TcpOption::Sack(d) | TcpOption::Unknown { data: d, .. } = o
                && d.len() > 38
            {
                return Err(bad_len(d.len()));
            }
            o.write(&mut bytes[at..]);
            at += o.wire_len();
        }
        Ok(TcpOptions {
            bytes,
            len: at as u8,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn padded_len(&self) -> usize {
        usize::from(self.len).div_ceil(4) * 4
    }
    /// Decodes in order; stops after End-of-list; yields one `Err` and stops on a malformed option.
    pub fn iter(&self) -> TcpOptionIter<'_> {
        TcpOptionIter {
            rest: self.as_bytes(),
        }
    }
    pub fn mss(&self) -> Option<u16> {
        self.iter().flatten().find_map(|o| {
            if let TcpOption::Mss(m) = o {
                Some(m)
            } else {
                None
            }
        })
    }
    pub fn window_scale(&self) -> Option<u8> {
        self.iter().flatten().find_map(|o| {
            if let TcpOption::WindowScale(m) = o {
                Some(m)
            } else {
                None
            }
        })
    }
    pub fn sack_permitted(&self) -> bool {
        self.iter().flatten().any(|o| o == TcpOption::SackPermitted)
    }
    pub fn timestamp(&self) -> Option<(u32, u32)> {
        self.iter().flatten().find_map(|o| {
            if let TcpOption::Timestamp { tsval, tsecr } = o {
                Some((tsval, tsecr))
            } else {
                None
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct TcpOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = Result<TcpOption<'a>, WireError>;
    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, tail) = self.rest.split_first()?;
        match kind {
            0 => {
                self.rest = &[];
                Some(Ok(TcpOption::EndOfList))
            }
            1 => {
                self.rest = tail;
                Some(Ok(TcpOption::Nop))
            }
            _ => {
                let bad = |v: usize| WireError::BadField {
                    layer: "tcp option",
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
                let d = &self.rest[2..len];
                self.rest = &self.rest[len..];
                let o = match (kind, d.len()) {
                    (2, 2) => TcpOption::Mss(u16::from_be_bytes([d[0], d[1]])),
                    (3, 1) => TcpOption::WindowScale(d[0]),
                    (4, 0) => TcpOption::SackPermitted,
                    (5, n) if n % 8 == 0 => TcpOption::Sack(d),
                    (8, 8) => TcpOption::Timestamp {
                        tsval: be32(d, 0),
                        tsecr: be32(d, 4),
                    },
                    (kind, _) => TcpOption::Unknown { kind, data: d },
                };
                Some(Ok(o))
            }
        }
    }
}

/// Checked view of a TCP segment. `new_checked` guarantees buffer >= 20 and 20 <= data offset*4 <= buffer.
/// The buffer must be exactly the segment (the IP payload), as the checksum covers all of it.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, MIN_HEADER_LEN)?;
        let hl = usize::from(b[12] >> 4) * 4;
        if hl < MIN_HEADER_LEN || hl > b.len() {
            return Err(WireError::BadHeaderLength {
                layer: L,
                value: hl,
            });
        }
        Ok(TcpPacket { buffer })
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        be16(self.b(), 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn seq(&self) -> u32 {
        be32(self.b(), 4)
    }
    pub fn ack(&self) -> u32 {
        be32(self.b(), 8)
    }
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[12] >> 4) * 4
    }
    /// The three reserved bits between data offset and NS.
    pub fn reserved(&self) -> u8 {
        (self.b()[12] >> 1) & 0x07
    }
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(be16(self.b(), 12) & 0x01FF)
    }
    pub fn window(&self) -> u16 {
        be16(self.b(), 14)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 16)
    }
    pub fn urgent(&self) -> u16 {
        be16(self.b(), 18)
    }
    pub fn options_raw(&self) -> &[u8] {
        &self.b()[MIN_HEADER_LEN..self.header_len()]
    }
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..]
    }
    pub fn verify_checksum(&self, pair: IpPair) -> bool {
        checksum::upper(pair, proto::TCP, self.b()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    pub fn set_src_port(&mut self, v: u16) {
        self.m()[0..2].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_dst_port(&mut self, v: u16) {
        self.m()[2..4].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_seq(&mut self, v: u32) {
        self.m()[4..8].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_ack(&mut self, v: u32) {
        self.m()[8..12].copy_from_slice(&v.to_be_bytes());
    }
    /// Sets data offset and flags together (they share two bytes); reserved bits cleared.
    pub fn set_header_len_and_flags(&mut self, header_len: usize, flags: TcpFlags) {
        let v = (((header_len / 4) as u16) << 12) | (flags.0 & 0x01FF);
        self.m()[12..14].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_window(&mut self, v: u16) {
        self.m()[14..16].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.m()[16..18].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_urgent(&mut self, v: u16) {
        self.m()[18..20].copy_from_slice(&v.to_be_bytes());
    }
    /// Computes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, pair: IpPair) {
        self.set_checksum(0);
        let c = checksum::upper(pair, proto::TCP, self.b());
        self.set_checksum(c);
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.m()[hl..]
    }
}

/// The meaning of a TCP header. The payload is passed separately to `emit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
}

impl TcpRepr {
    /// A header with the given flags, window 1024 and no options (Nmap's bare SYN shape without the MSS).
    pub fn new(src_port: u16, dst_port: u16, seq: u32, ack: u32, flags: TcpFlags) -> Self {
        TcpRepr {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window: 1024,
            urgent: 0,
            options: TcpOptions::default(),
        }
    }

    /// Reads the header; the checksum is not checked (use [`TcpPacket::verify_checksum`]).
    pub fn parse<T: AsRef<[u8]>>(p: &TcpPacket<T>) -> Result<Self, WireError> {
        Ok(TcpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq: p.seq(),
            ack: p.ack(),
            flags: p.flags(),
            window: p.window(),
            urgent: p.urgent(),
            options: TcpOptions::from_bytes(p.options_raw())?,
        })
    }

    pub fn header_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.padded_len()
    }

    /// Header length; the segment is `buffer_len() + payload.len()`.
    pub fn buffer_len(&self) -> usize {
        self.header_len()
    }

    /// Writes header, options (padded with End-of-list), payload and checksum. The buffer must be exactly
    /// `buffer_len() + payload.len()` bytes (the checksum covers the whole buffer).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut TcpPacket<T>,
        pair: IpPair,
        payload: &[u8],
    ) -> Result<(), WireError> {
        let hl = self.header_len();
        let total = hl + payload.len();
        need_out(L, p.b(), total)?;
        if p.b().len() != total {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: p.b().len(),
            });
        }
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq(self.seq);
        p.set_ack(self.ack);
        p.set_header_len_and_flags(hl, self.flags);
        p.set_window(self.window);
        p.set_urgent(self.urgent);
        let o = self.options.as_bytes();
        let b = p.m();
        b[MIN_HEADER_LEN..hl].fill(0);
        b[MIN_HEADER_LEN..MIN_HEADER_LEN + o.len()].copy_from_slice(o);
        b[hl..].copy_from_slice(payload);
        p.fill_checksum(pair);
        Ok(())
    }
}
