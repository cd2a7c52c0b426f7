//! # portolan-netio
//!
//! The platform edge of the raw-packet engine: sending raw IP datagrams and link-layer frames, capturing
//! replies, and knowing the machine (interfaces, routes, source addresses, neighbour MACs, privileges).
//! Everything above this crate sees one trait, [`PacketIo`], so the engine's logic runs unchanged against a
//! scripted network in tests and against real kernels in the lab.
//!
//! Invariants: time is the caller's (`recv_until` takes a deadline and returns at or before it); received
//! bytes are handed over unparsed (parsing happens in the engine, off the capture thread); nothing here
//! decides what to send.
//!
//! Pieces:
//! - [`LiveIo`]: one pcap capture per interface (immediate mode, 16 MiB buffer, snaplen 1600, the caller's
//!   BPF filter, replaceable with [`LiveIo::set_filter`]) read by a thread that only copies frames into a
//!   bounded channel (drops counted in [`CaptureStats`]); raw IPv4 (IP_HDRINCL) and IPv6 (IPPROTO_RAW)
//!   sockets bound to the interface for `send_ip`; a second, filter-nothing pcap handle for `send_frame`.
//! - [`Machine`] / [`route_to`] / [`neighbour_mac`] / [`iflist`]: interfaces, routes and neighbours
//!   (rtnetlink on Linux, answered for the calling thread's network namespace), route and source
//!   selection with `-e`/`-S`, Nmap's `--iflist` tables.
//! - [`raw_privileges`]: root / CAP_NET_RAW / CAP_NET_ADMIN, and [`privilege::fix_hint`].
//!
//! Platforms: Linux is built and tested (in lab namespaces, `tests/netio_lab.rs`). macOS would use the
//! same pcap and raw-socket code; its interface/route/neighbour readers (`getifaddrs`, `sysctl
//! NET_RT_DUMP`) are not written and return [`NetError::Unsupported`]. Windows (Npcap) has no raw IP
//! send: `send_ip` returns `Unsupported` there until frames are built for it; capture works through pcap.
//! This crate contains no `unsafe` code of its own.

#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::net::IpAddr;
use std::time::Instant;

#[cfg(target_os = "linux")]
mod linux;
mod live;
pub mod machine;
pub mod privilege;

pub use live::{CaptureStats, LiveConfig, LiveIo};
pub use machine::{
    IfAddr, IfKind, Interface, Mac, Machine, NeighState, Neighbour, Route, RouteEntry, RouteKind, RouteOverrides,
    iflist, interfaces, kernel_source_for, neighbour_mac, neighbours, render_iflist, route_to, routes,
    select_route,
};
#[cfg(target_os = "linux")]
pub use machine::kernel_route_get;
pub use privilege::{Privileges, raw_privileges};

/// How a received frame begins, so the engine knows where the network header starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// 14-byte Ethernet header (Linux veth and loopback both capture this way).
    Ethernet,
    /// The frame starts with the IP header.
    RawIp,
    /// BSD loopback: a 4-byte address-family word, then IP.
    Null,
    /// Linux "cooked" capture (the `any` device), 16 bytes.
    LinuxSll,
}

/// One captured frame with the moment it was seen.
#[derive(Debug, Clone)]
pub struct Received {
    pub time: Instant,
    pub link: LinkType,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("raw-packet access needs root or CAP_NET_RAW/CAP_NET_ADMIN: {0}")]
    NoPrivilege(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("capture: {0}")]
    Capture(String),
    #[error("{0}")]
    Other(String),
    #[error("no such interface: {0} (see --iflist)")]
    NoSuchInterface(String),
    #[error("no route to {0}")]
    NoRoute(IpAddr),
    #[error("interface {interface} has no address usable as a source for {dst} (use -S)")]
    NoSourceAddress { interface: String, dst: IpAddr },
    #[error("not a sendable datagram: {0}")]
    BadDatagram(String),
    /// The kernel's send queue is full (ENOBUFS/EAGAIN): back off and retry.
    #[error("send queue full: {0}")]
    SendBusy(std::io::Error),
    #[error("not supported on this platform: {0}")]
    Unsupported(&'static str),
}

/// The seam between the engine and the network. Implemented by the real capture+raw-socket pair here and by
/// scripted networks in tests (which advance a virtual clock in `recv_until`).
pub trait PacketIo {
    /// The current time on this network's clock.
    fn now(&self) -> Instant;
    /// Send one IP datagram, header included (IPv4 or IPv6, as its version nibble says).
    fn send_ip(&mut self, datagram: &[u8]) -> Result<(), NetError>;
    /// Send one complete link-layer frame (ARP, ND, `--send-eth`, `--spoof-mac`).
    fn send_frame(&mut self, frame: &[u8]) -> Result<(), NetError>;
    /// The next captured frame, or `None` once `deadline` has passed with nothing captured.
    fn recv_until(&mut self, deadline: Instant) -> Result<Option<Received>, NetError>;
}
