//! [`ScanReport`]: everything one scan found, shaped after Nmap's XML (`nmaprun`) so that Nmap's own files load
//! into it without loss of the facts Portolan uses, and every writer can render it.

use crate::plan::ScanType;
use crate::port::{PortState, Protocol, Reason};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One `<scaninfo>`: a scan type over one protocol and the ports it covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanInfo {
    /// Nmap's XML name (`connect`, `syn`, ...); kept as a string so unknown types from other files survive.
    pub scan_type: String,
    pub protocol: Protocol,
    pub num_services: u32,
    /// Port list in Nmap's compact form (`1-1000,8080`).
    pub services: String,
}

impl ScanInfo {
    pub fn scan_type_enum(&self) -> Option<ScanType> {
        [
            ScanType::Connect,
            ScanType::Syn,
            ScanType::Ack,
            ScanType::Window,
            ScanType::Maimon,
            ScanType::Null,
            ScanType::Fin,
            ScanType::Xmas,
            ScanType::Udp,
            ScanType::SctpInit,
            ScanType::SctpCookieEcho,
            ScanType::IpProtocol,
        ]
        .into_iter()
        .find(|t| t.xml_name() == self.scan_type)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostState {
    Up,
    Down,
    Unknown,
}

impl HostState {
    pub fn as_str(self) -> &'static str {
        match self {
            HostState::Up => "up",
            HostState::Down => "down",
            HostState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStatus {
    pub state: HostState,
    pub reason: Reason,
    pub reason_ttl: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressKind {
    Ipv4,
    Ipv6,
    Mac,
}

impl AddressKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::Ipv4 => "ipv4",
            AddressKind::Ipv6 => "ipv6",
            AddressKind::Mac => "mac",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub addr: String,
    pub kind: AddressKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

impl Address {
    pub fn ip(ip: IpAddr) -> Self {
        Address {
            addr: ip.to_string(),
            kind: if ip.is_ipv4() { AddressKind::Ipv4 } else { AddressKind::Ipv6 },
            vendor: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostnameKind {
    /// Given on the command line.
    #[serde(rename = "user")]
    User,
    /// Found by reverse DNS.
    #[serde(rename = "PTR")]
    Ptr,
}

impl HostnameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HostnameKind::User => "user",
            HostnameKind::Ptr => "PTR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hostname {
    pub name: String,
    pub kind: HostnameKind,
}

/// What runs on a port. Without version detection this is the services-database guess (`method: "table"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// `table` (from the services database) or `probed`.
    pub method: String,
    pub conf: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<String>,
}

impl Service {
    /// A name looked up in the services table, as Nmap records it (`method="table" conf="3"`).
    pub fn from_table(name: &str) -> Self {
        Service { name: name.to_owned(), method: "table".into(), conf: 3, ..Default::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortReport {
    pub protocol: Protocol,
    pub port: u16,
    pub state: PortState,
    pub reason: Reason,
    pub reason_ttl: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
}

/// Round-trip timing for a host, in microseconds (XML `<times>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Times {
    pub srtt: u64,
    pub rttvar: u64,
    pub timeout: u64,
}

/// Ports of one state that a file summarised instead of listing (XML `<extraports>`), kept when a report was
/// read from a file so the counts survive even though the ports themselves are unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraPorts {
    pub state: PortState,
    pub count: u32,
    /// (reason, protocol, count, compact port list)
    pub reasons: Vec<ExtraReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraReason {
    pub reason: Reason,
    pub count: u32,
    pub protocol: Option<Protocol>,
    pub ports: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostReport {
    /// Unix seconds.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub status: HostStatus,
    pub addresses: Vec<Address>,
    pub hostnames: Vec<Hostname>,
    /// Every port the scan determined, in ascending (protocol, port) order. When read from a file, only the
    /// ports the file listed; the rest are in `extra_ports`.
    pub ports: Vec<PortReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_ports: Vec<ExtraPorts>,
    /// Seconds between the first probe and the reply that showed the host up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Times>,
    /// Set when `--host-timeout` cut the host short.
    #[serde(default)]
    pub timed_out: bool,
}

impl HostReport {
    pub fn new(ip: IpAddr, status: HostStatus) -> Self {
        HostReport {
            start_time: None,
            end_time: None,
            status,
            addresses: vec![Address::ip(ip)],
            hostnames: Vec::new(),
            ports: Vec::new(),
            extra_ports: Vec::new(),
            latency: None,
            times: None,
            timed_out: false,
        }
    }

    /// The first IP address, which is how Nmap names the host.
    pub fn ip(&self) -> Option<IpAddr> {
        self.addresses.iter().filter(|a| a.kind != AddressKind::Mac).find_map(|a| a.addr.parse().ok())
    }

    pub fn is_up(&self) -> bool {
        self.status.state == HostState::Up
    }

    /// Counts of every state, including ports summarised in `extra_ports`.
    pub fn state_count(&self, state: PortState) -> u32 {
        let listed = self.ports.iter().filter(|p| p.state == state).count() as u32;
        listed + self.extra_ports.iter().filter(|e| e.state == state).map(|e| e.count).sum::<u32>()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Unix seconds.
    pub finished: i64,
    pub elapsed: f64,
    pub summary: String,
    /// `success` or `error`.
    pub exit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    pub hosts_up: u32,
    pub hosts_down: u32,
    pub hosts_total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// `portolan`, or `nmap` for a file Nmap wrote.
    pub scanner: String,
    pub version: String,
    /// The command line, as one string.
    pub args: String,
    /// Unix seconds.
    pub start: i64,
    pub scan_info: Vec<ScanInfo>,
    pub verbose: u8,
    pub debugging: u8,
    pub hosts: Vec<HostReport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `None` while a scan is still running or when it was interrupted.
    pub run_stats: Option<RunStats>,
}

impl ScanReport {
    /// A report with nothing in it yet, for folds and readers to fill.
    pub fn empty(scanner: &str) -> Self {
        ScanReport {
            scanner: scanner.to_owned(),
            version: String::new(),
            args: String::new(),
            start: 0,
            scan_info: Vec::new(),
            verbose: 0,
            debugging: 0,
            hosts: Vec::new(),
            warnings: Vec::new(),
            run_stats: None,
        }
    }

    pub fn host(&self, ip: IpAddr) -> Option<&HostReport> {
        self.hosts.iter().find(|h| h.ip() == Some(ip))
    }
}
