//! A minimal reader for the classic pcap files in `tests/captures` (our own test code; no capture library).
#![allow(dead_code)]

use portolan_wire::LinkKind;
use std::path::PathBuf;

pub struct Capture {
    pub name: String,
    pub link: LinkKind,
    pub packets: Vec<Vec<u8>>,
}

pub fn capture(name: &str) -> Capture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures")
        .join(format!("{name}.pcap"));
    let b = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() >= 24, "{name}: short pcap");
    let magic = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let le = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => true,
        0xd4c3b2a1 | 0x4d3cb2a1 => false,
        m => panic!("{name}: not a pcap file (magic {m:#x})"),
    };
    let u32at = |at: usize| {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let link = match u32at(20) {
        1 => LinkKind::Ethernet,
        101 | 228 | 229 => LinkKind::RawIp,
        0 => LinkKind::Null,
        113 => LinkKind::LinuxSll,
        276 => LinkKind::LinuxSll2,
        l => panic!("{name}: link type {l}"),
    };
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let incl = u32at(at + 8) as usize;
        let start = at + 16;
        assert!(start + incl <= b.len(), "{name}: record past end");
        packets.push(b[start..start + incl].to_vec());
        at = start + incl;
    }
    Capture {
        name: name.to_string(),
        link,
        packets,
    }
}

pub const ALL: [&str; 8] = [
    "icmp4", "tcp4", "udp4", "sctp4", "disc4", "ip6", "sll", "sll2",
];

/// Offset of the network header for a link kind (no VLAN tags in our captures).
pub fn net_offset(link: LinkKind) -> usize {
    match link {
        LinkKind::Ethernet => 14,
        LinkKind::RawIp => 0,
        LinkKind::Null => 4,
        LinkKind::LinuxSll => 16,
        LinkKind::LinuxSll2 => 20,
    }
}
