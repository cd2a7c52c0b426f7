//! ARP for IPv4 over Ethernet (RFC 826). Other hardware/protocol types are rejected by `new_checked`.

use crate::error::{WireError, be16, need, need_out};
use crate::ethernet::MacAddr;
use std::net::Ipv4Addr;

pub const PACKET_LEN: usize = 28;
const L: &str = "arp";

pub mod op {
    pub const REQUEST: u16 = 1;
    pub const REPLY: u16 = 2;
}

/// Checked view of an Ethernet/IPv4 ARP packet: `new_checked` guarantees 28 bytes, htype 1, ptype 0x0800,
/// hlen 6, plen 4.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, 8)?;
        let bad = |field, value| {
            Err(WireError::BadField {
                layer: L,
                field,
                value,
            })
        };
        if be16(b, 0) != 1 {
            return bad("hardware type", u32::from(be16(b, 0)));
        }
        if be16(b, 2) != 0x0800 {
            return bad("protocol type", u32::from(be16(b, 2)));
        }
        if b[4] != 6 {
            return bad("hardware length", u32::from(b[4]));
        }
        if b[5] != 4 {
            return bad("protocol length", u32::from(b[5]));
        }
        need(L, b, PACKET_LEN)?;
        Ok(ArpPacket { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    pub fn op(&self) -> u16 {
        be16(self.b(), 6)
    }
    pub fn sender_mac(&self) -> MacAddr {
        MacAddr::from_slice(&self.b()[8..14]).unwrap_or_default()
    }
    pub fn sender_ip(&self) -> Ipv4Addr {
        let b = self.b();
        Ipv4Addr::new(b[14], b[15], b[16], b[17])
    }
    pub fn target_mac(&self) -> MacAddr {
        MacAddr::from_slice(&self.b()[18..24]).unwrap_or_default()
    }
    pub fn target_ip(&self) -> Ipv4Addr {
        let b = self.b();
        Ipv4Addr::new(b[24], b[25], b[26], b[27])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Writes every field (hardware/protocol types and lengths fixed to Ethernet/IPv4).
    pub fn set_all(&mut self, op: u16, smac: MacAddr, sip: Ipv4Addr, tmac: MacAddr, tip: Ipv4Addr) {
        let b = self.buffer.as_mut();
        b[0..8].copy_from_slice(&[0, 1, 8, 0, 6, 4, (op >> 8) as u8, op as u8]);
        b[8..14].copy_from_slice(&smac.0);
        b[14..18].copy_from_slice(&sip.octets());
        b[18..24].copy_from_slice(&tmac.0);
        b[24..28].copy_from_slice(&tip.octets());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    pub op: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Result<Self, WireError> {
        Ok(ArpRepr {
            op: p.op(),
            sender_mac: p.sender_mac(),
            sender_ip: p.sender_ip(),
            target_mac: p.target_mac(),
            target_ip: p.target_ip(),
        })
    }
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut ArpPacket<T>,
    ) -> Result<(), WireError> {
        need_out(L, p.b(), PACKET_LEN)?;
        p.set_all(
            self.op,
            self.sender_mac,
            self.sender_ip,
            self.target_mac,
            self.target_ip,
        );
        Ok(())
    }
}
