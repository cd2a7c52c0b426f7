//! UDP (RFC 768).

use crate::checksum::{self, IpPair};
use crate::error::{WireError, be16, need, need_out};
use crate::ipv4::proto;

pub const HEADER_LEN: usize = 8;
const L: &str = "udp";

/// Checked view of a UDP datagram. `new_checked` guarantees buffer >= 8 and 8 <= length field <= buffer.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, HEADER_LEN)?;
        let len = usize::from(be16(b, 4));
        if len < HEADER_LEN || len > b.len() {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: len,
            });
        }
        Ok(UdpPacket { buffer })
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
    pub fn len(&self) -> u16 {
        be16(self.b(), 4)
    }
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 6)
    }
    pub fn payload(&self) -> &[u8] {
        &self.b()[HEADER_LEN..usize::from(self.len())]
    }
    /// True if the checksum is right, or absent (zero) over IPv4 where it is optional.
    pub fn verify_checksum(&self, pair: IpPair) -> bool {
        if self.checksum() == 0 && matches!(pair, IpPair::V4(..)) {
            return true;
        }
        checksum::upper(pair, proto::UDP, &self.b()[..usize::from(self.len())]) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    pub fn set_src_port(&mut self, v: u16) {
        self.m()[0..2].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_dst_port(&mut self, v: u16) {
        self.m()[2..4].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_len(&mut self, v: u16) {
        self.m()[4..6].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.m()[6..8].copy_from_slice(&v.to_be_bytes());
    }
    /// Computes the checksum over `len` bytes; a computed zero is sent as 0xFFFF (RFC 768).
    pub fn fill_checksum(&mut self, pair: IpPair) {
        self.set_checksum(0);
        let n = usize::from(self.len()).min(self.b().len());
        let c = checksum::upper(pair, proto::UDP, &self.b()[..n]);
        self.set_checksum(if c == 0 { 0xFFFF } else { c });
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let n = usize::from(self.len()).min(self.b().len());
        &mut self.m()[HEADER_LEN..n]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
}

impl UdpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &UdpPacket<T>) -> Result<Self, WireError> {
        Ok(UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
        })
    }
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
    /// Writes header, payload and checksum into a buffer of at least `8 + payload.len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut UdpPacket<T>,
        pair: IpPair,
        payload: &[u8],
    ) -> Result<(), WireError> {
        let total = HEADER_LEN + payload.len();
        need_out(L, p.b(), total)?;
        if total > usize::from(u16::MAX) {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: total,
            });
        }
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(total as u16);
        p.m()[HEADER_LEN..total].copy_from_slice(payload);
        p.fill_checksum(pair);
        Ok(())
    }
}
