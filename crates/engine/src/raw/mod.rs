//! The raw-packet engine: probes built byte by byte, sent through [`PacketIo`], replies matched back to the
//! probe they answer. Used for the privileged scans (`-sS -sA -sW -sM -sN -sF -sX -sU -sY -sZ -sO`) and the
//! privileged host discovery (ARP, ICMP, TCP/UDP/SCTP pings).
//!
//! The scheduler ([`sched`]) knows nothing of packet layouts: a [`ProbeCodec`] builds the bytes of a probe
//! and says which probe a captured frame answers. Time comes from the `PacketIo` (`now`, `recv_until`), so the
//! same code runs against a scripted network with a virtual clock in tests and against real kernels.

pub mod classify;
pub mod codec;
pub mod sched;
pub mod trace;

use portolan_model::{PortState, Protocol};
use portolan_netio::Received;
use std::net::IpAddr;
use std::time::Duration;

pub use classify::{Response, Unreach};
pub use sched::{RawConfig, RawHost, Work, run};

/// One probe: what is sent and to which port. The scheduler keeps at most one outstanding try per probe and
/// host; a reply is matched back to it through [`ProbeCodec::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    Tcp { port: u16, flags: u8 },
    Udp { port: u16 },
    SctpInit { port: u16 },
    SctpCookieEcho { port: u16 },
    /// `-sO` / `-PO`: an IP datagram of this protocol number.
    IpProto { proto: u8 },
    IcmpEcho,
    IcmpTimestamp,
    IcmpAddressMask,
    /// ARP request (IPv4) or neighbour solicitation (IPv6) on the local link.
    Neighbour,
}

impl Probe {
    /// The port (or protocol number for `-sO`) this probe's result belongs to.
    pub fn port(self) -> u16 {
        match self {
            Probe::Tcp { port, .. } | Probe::Udp { port } | Probe::SctpInit { port } | Probe::SctpCookieEcho { port } => {
                port
            }
            Probe::IpProto { proto } => u16::from(proto),
            _ => 0,
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            Probe::Udp { .. } => Protocol::Udp,
            Probe::SctpInit { .. } | Probe::SctpCookieEcho { .. } => Protocol::Sctp,
            _ => Protocol::Tcp,
        }
    }
}

/// Bytes to put on the wire for one try of a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// An IP datagram, header included.
    Ip(Vec<u8>),
    /// A link-layer frame (ARP, ND, `--send-eth`).
    Frame(Vec<u8>),
    /// Several IP datagrams for one try: fragments (`-f`, `--mtu`) and decoy copies (`-D`), in sending order.
    Many(Vec<Vec<u8>>),
    /// IP datagrams framed for the link (`--send-eth`, `--spoof-mac`), in sending order.
    Frames(Vec<Vec<u8>>),
}

/// What a captured frame says about one of our probes.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The probed address (for ICMP errors: the quoted destination, not the router that sent the error).
    pub target: IpAddr,
    pub probe: Probe,
    /// Which try it answers, when the reply carries it (source port, sequence number, ICMP sequence).
    pub try_no: Option<u8>,
    pub kind: AnswerKind,
    /// TTL (hop limit) of the reply as received.
    pub ttl: u8,
    /// Where the reply came from, when not the target itself (a router's ICMP error).
    pub via: Option<IpAddr>,
    pub mac: Option<[u8; 6]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// A reply that decides a port (or shows a host alive in discovery).
    Port(Response),
    EchoReply,
    TimestampReply,
    AddressMaskReply,
    /// ARP reply or neighbour advertisement.
    Neighbour,
}

impl AnswerKind {
    /// Nmap's reason for a host found up by this reply.
    pub fn host_reason(self, v6: bool) -> &'static str {
        match self {
            AnswerKind::EchoReply => "echo-reply",
            AnswerKind::TimestampReply => "timestamp-reply",
            AnswerKind::AddressMaskReply => "addressmask-reply",
            AnswerKind::Neighbour => {
                if v6 { "nd-response" } else { "arp-response" }
            }
            AnswerKind::Port(Response::Tcp { flags, .. }) if flags & classify::SYN != 0 => "syn-ack",
            AnswerKind::Port(Response::Tcp { .. }) => "reset",
            AnswerKind::Port(Response::Udp) => "udp-response",
            AnswerKind::Port(Response::SctpInitAck) => "init-ack",
            AnswerKind::Port(Response::SctpAbort) => "abort",
            AnswerKind::Port(Response::Unreachable(u)) => u.reason(),
            AnswerKind::Port(_) => "proto-response",
        }
    }
}

/// Builds probes and recognises replies. The real one is [`codec::WireCodec`].
pub trait ProbeCodec {
    fn build(&mut self, target: &RawHost, probe: Probe, try_no: u8) -> Outgoing;
    fn decode(&mut self, rx: &Received) -> Option<Answer>;
    /// A filter expression (pcap syntax) that lets through every reply to this scan and little else.
    fn capture_filter(&self, hosts: &[RawHost]) -> String;
}

/// Results of a raw run, in the order they were established.
#[derive(Debug, Clone, PartialEq)]
pub enum RawFact {
    Port { host: usize, protocol: Protocol, port: u16, state: PortState, reason: &'static str, ttl: u8 },
    HostUp { host: usize, reason: &'static str, ttl: u8, latency: Duration, mac: Option<[u8; 6]> },
    HostDown { host: usize },
    HostTimedOut { host: usize },
    HostDone { host: usize, times: HostTimes },
    Progress { done: u64, total: u64 },
    /// Said when verbose (Nmap's "Increasing send delay ..." lines).
    Note(String),
    Warning(String),
    Trace(String),
}

/// A host's round-trip estimates when it finished (XML `<times>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTimes {
    pub srtt: Option<Duration>,
    pub rttvar: Duration,
    pub timeout: Duration,
}

/// Counters a run keeps about what it saw, for `-d` and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawStats {
    pub sent: u64,
    pub retransmitted: u64,
    pub captured: u64,
    /// Frames that were not answers to this scan (or malformed ones): counted and ignored.
    pub unmatched: u64,
    pub late_or_duplicate: u64,
    /// Local send failures (no buffer space, no route); the try then times out like a lost probe.
    pub send_errors: u64,
    pub delay_boosts: u64,
    /// Tries resent early because a later try had already been answered.
    pub fast_retransmits: u64,
}

#[cfg(test)]
mod sim;
#[cfg(test)]
mod sim_tests;
