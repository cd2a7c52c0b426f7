//! # portolan-wire
//!
//! Packets as two views (smoltcp style): a checked `XxxPacket<T: AsRef<[u8]>>` over bytes and an `XxxRepr` with
//! `parse`/`emit`/`buffer_len`, for Ethernet, ARP, IPv4 (options, fragments), IPv6 (extension headers), ICMPv4,
//! ICMPv6 (errors, echo, neighbour discovery), TCP (all options), UDP and SCTP; checksums (RFC 1071, CRC32c).
//! [`frame::parse_frame`] summarises a captured frame into the fields a scan engine matches replies on, including
//! the datagram quoted in ICMP errors; [`build`] makes whole probes.
//!
//! Invariants: no I/O; views never allocate; every parser is total: `new_checked` validates the lengths that
//! the accessors rely on, so no accessor of a checked view panics, and malformed input is a [`WireError`], never a
//! panic (fuzzed, see `fuzz/`). Parsing reports checksums (`verify_checksum`, `checksum_ok`) but never rejects
//! on them: the engine counts bad ones. Setters and `emit` require a buffer of `buffer_len()` bytes and say so
//! with `WireError::BufferTooSmall` otherwise.
//!
//! ```
//! use portolan_wire::build::{Ipv4Params, ipv4_tcp};
//! use portolan_wire::{LinkKind, TcpFlags, TcpRepr, Transport, parse_frame};
//! use std::net::Ipv4Addr;
//!
//! let ip = Ipv4Params::new(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2), 64, 1);
//! let syn = ipv4_tcp(&ip, &TcpRepr::new(40000, 22, 7, 0, TcpFlags::SYN), b"")?;
//! let parsed = parse_frame(LinkKind::RawIp, &syn)?;
//! let Transport::Tcp(t) = parsed.transport else { unreachable!() };
//! assert_eq!((t.dst_port, t.seq, t.flags, t.checksum_ok), (22, 7, TcpFlags::SYN, true));
//! # Ok::<(), portolan_wire::WireError>(())
//! ```

pub mod arp;
pub mod build;
pub mod checksum;
mod error;
pub mod ethernet;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod icmpv4;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod sctp;
pub mod tcp;
pub mod udp;

pub use arp::{ArpPacket, ArpRepr};
pub use checksum::IpPair;
pub use error::WireError;
pub use ethernet::{EthernetFrame, EthernetRepr, MacAddr};
pub use frame::{
    ArpInfo, ChunkTypes, IcmpInfo, Icmpv6Info, IpSummary, IpVersion, LinkKind, NdInfo, Parsed,
    Quoted, QuotedTransport, SctpInfo, TcpInfo, Transport, UdpInfo, parse_frame, parse_network,
};
pub use icmpv4::{Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Packet, Icmpv6Repr};
pub use ipv4::{Ipv4Options, Ipv4Packet, Ipv4Repr, fragment};
pub use ipv6::{Ipv6Packet, Ipv6Repr, fragment_v6};
pub use sctp::{SctpChunk, SctpPacket, SctpRepr};
pub use tcp::{TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};
