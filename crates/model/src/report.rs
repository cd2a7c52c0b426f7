//! [`ScanReport`]: everything one scan found, shaped after Nmap's XML (`nmaprun`) so that Nmap's own files load
//! into it without loss of the facts Portolan uses, and every writer can render it.

use crate::plan::ScanType;
use crate::port::{PortState, Protocol, Reason};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One `<scaninfo>`: a scan type over one protocol and the ports it covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HostStatus {
    pub state: HostState,
    pub reason: Reason,
    pub reason_ttl: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hostname {
    pub name: String,
    pub kind: HostnameKind,
}

/// What runs on a port. Without version detection this is the services-database guess (`method: "table"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// `ostype`, `devicetype` and `hostname` of Nmap's `<service>` (what version detection learned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// CPE names (`cpe:/a:vendor:product:version`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpe: Vec<String>,
    /// The unmatched-service fingerprint block (`servicefp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Width of the printed lines of an unmatched-service fingerprint (the first line, and "SF:" plus the rest).
pub const SERVICE_FP_LINE_WIDTH: usize = 74;

impl Service {
    /// A name looked up in the services table, as Nmap records it (`method="table" conf="3"`).
    pub fn from_table(name: &str) -> Self {
        Service { name: name.to_owned(), method: "table".into(), conf: 3, ..Default::default() }
    }
}

/// Cuts a single-line unmatched-service fingerprint (as `servicefp` holds it) into the block Nmap prints:
/// the first [`SERVICE_FP_LINE_WIDTH`] bytes, then "SF:" and up to that width again per line. The text is
/// ASCII by construction (every other byte is escaped); anything else is cut at a character boundary.
pub fn service_fingerprint_lines(single: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = single;
    let mut width = SERVICE_FP_LINE_WIDTH;
    while !rest.is_empty() {
        let mut cut = rest.len().min(width);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = cut.max(rest.chars().next().map_or(0, char::len_utf8));
        let (line, tail) = rest.split_at(cut);
        lines.push(if lines.is_empty() { line.to_owned() } else { format!("SF:{line}") });
        rest = tail;
        width = SERVICE_FP_LINE_WIDTH - 3;
    }
    lines
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PortReport {
    pub protocol: Protocol,
    pub port: u16,
    pub state: PortState,
    pub reason: Reason,
    pub reason_ttl: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<ScriptResult>,
}

/// One script's result: its id, its text output, and the structured `<elem>`/`<table>` tree when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScriptResult {
    pub id: String,
    pub output: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ScriptElement>,
}

/// A node of a script's structured output: Nmap's `<elem key=..>text</elem>` and `<table key=..>...</table>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScriptElement {
    Elem {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        value: String,
    },
    Table {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        children: Vec<ScriptElement>,
    },
}

/// What OS detection concluded about a host.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OsInfo {
    /// Ports OS detection used (`<portused state=.. proto=.. portid=..>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports_used: Vec<OsPortUsed>,
    /// Best matches first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<OsMatch>,
    /// The fingerprint text (`<osfingerprint fingerprint=..>`), when one was printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OsPortUsed {
    pub state: PortState,
    pub protocol: Protocol,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OsMatch {
    pub name: String,
    /// Percent, 0..=100.
    pub accuracy: u8,
    /// Line of the matched fingerprint in the OS database.
    #[serde(default)]
    pub line: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<OsClass>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OsClass {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    pub vendor: String,
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    pub accuracy: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpe: Vec<String>,
}

/// `--traceroute` result for one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trace {
    /// Probe used (`<trace port=.. proto=..>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    pub hops: Vec<TraceHop>,
}

/// One hop. A hop that never answered has no address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TraceHop {
    pub ttl: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<IpAddr>,
    /// Round-trip time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Uptime guess from TCP timestamps (`<uptime seconds=.. lastboot=..>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Uptime {
    pub seconds: u64,
    pub last_boot: String,
}

/// TCP initial sequence number predictability, from OS detection (`<tcpsequence index=.. difficulty=..
/// values=..>`; "TCP Sequence Prediction: Difficulty=260 (Good luck!)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TcpSequence {
    pub index: u32,
    pub difficulty: String,
    /// The observed values, comma-separated hexadecimal, as Nmap writes them.
    pub values: String,
}

/// How a host generates IP IDs or TCP timestamps, from OS detection (`<ipidsequence class=.. values=..>`,
/// `<tcptssequence class=.. values=..>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SequenceClass {
    pub class: String,
    pub values: String,
}

/// Round-trip timing for a host, in microseconds (XML `<times>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Times {
    pub srtt: u64,
    pub rttvar: u64,
    pub timeout: u64,
}

/// Ports of one state that a file summarised instead of listing (XML `<extraports>`), kept when a report was
/// read from a file so the counts survive even though the ports themselves are unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtraPorts {
    pub state: PortState,
    pub count: u32,
    /// (reason, protocol, count, compact port list)
    pub reasons: Vec<ExtraReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtraReason {
    pub reason: Reason,
    pub count: u32,
    pub protocol: Option<Protocol>,
    pub ports: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<Uptime>,
    /// Network distance in hops (`<distance value=..>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_sequence: Option<TcpSequence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_id_sequence: Option<SequenceClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_ts_sequence: Option<SequenceClass>,
    /// Host scripts (`<hostscript>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_scripts: Vec<ScriptResult>,
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
            os: None,
            uptime: None,
            distance: None,
            trace: None,
            tcp_sequence: None,
            ip_id_sequence: None,
            tcp_ts_sequence: None,
            host_scripts: Vec::new(),
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
