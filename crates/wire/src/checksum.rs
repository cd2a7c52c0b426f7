//! Internet checksum (RFC 1071), pseudo headers, and CRC32c for SCTP (RFC 4960 appendix B).

use std::net::{Ipv4Addr, Ipv6Addr};

/// One's-complement sum of `data` folded into 32 bits, not complemented; combine with [`fold`].
pub fn sum(data: &[u8]) -> u32 {
    let mut acc: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
        // Fold early so a 64 KiB+ buffer can never overflow the accumulator.
        if acc > 0xFFFF_0000 {
            acc = (acc & 0xFFFF) + (acc >> 16);
        }
    }
    if let [b] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*b) << 8);
    }
    acc
}

/// Folds a partial sum to 16 bits and complements it: the value to store in a checksum field.
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// RFC 1071 checksum of `data` (IPv4 header, ICMPv4).
pub fn checksum(data: &[u8]) -> u16 {
    fold(sum(data))
}

/// Pseudo-header partial sum for TCP/UDP over IPv4.
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> u32 {
    let mut acc = sum(&src.octets()) + sum(&dst.octets());
    acc += u32::from(proto);
    acc += (len as u32) & 0xFFFF;
    acc += (len as u32) >> 16;
    acc
}

/// Pseudo-header partial sum for upper layers over IPv6 (RFC 8200 8.1).
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: usize) -> u32 {
    let mut acc = sum(&src.octets()) + sum(&dst.octets());
    acc += u32::from(next_header);
    acc += (len as u32) & 0xFFFF;
    acc += (len as u32) >> 16;
    acc
}

/// Source and destination of the enclosing IP header, for upper-layer pseudo headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPair {
    V4(Ipv4Addr, Ipv4Addr),
    V6(Ipv6Addr, Ipv6Addr),
}

impl IpPair {
    pub fn pseudo(&self, proto: u8, len: usize) -> u32 {
        match *self {
            IpPair::V4(s, d) => pseudo_v4(s, d, proto, len),
            IpPair::V6(s, d) => pseudo_v6(s, d, proto, len),
        }
    }
}

/// Upper-layer checksum of `segment` with the checksum field already zeroed (or in place, to verify: 0 = good).
pub fn upper(pair: IpPair, proto: u8, segment: &[u8]) -> u16 {
    fold(pair.pseudo(proto, segment.len()) + sum(segment))
}

const fn crc32c_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0x82F6_3B78 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32C: [u32; 256] = crc32c_table();

/// CRC32c (Castagnoli) as SCTP uses it; the result goes on the wire little-endian (RFC 4960 B).
pub fn crc32c(data: &[u8]) -> u32 {
    !crc32c_update(!0, data)
}

/// Raw CRC32c register update (no initial/final inversion), to checksum discontiguous pieces.
pub fn crc32c_update(mut c: u32, data: &[u8]) -> u32 {
    for &b in data {
        c = CRC32C[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard CRC-32C check value of "123456789".
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example bytes: sum 0xddf2, checksum is its complement.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&d), !0xddf2);
        assert_eq!(checksum(&[0xff]), !0xff00);
    }
}
