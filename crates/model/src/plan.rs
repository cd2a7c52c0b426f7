//! [`ScanPlan`]: a validated description of one scan, built by the CLI from argv and by the desktop app from a
//! profile, and rendered back to the canonical `portolan` command line with [`ScanPlan::to_args`].

use crate::port::PortSpec;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What a scan of ports does on the wire (`-sX` letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ScanType {
    /// `-sT`: full TCP connect through the operating system.
    Connect,
    /// `-sS`
    Syn,
    /// `-sA`
    Ack,
    /// `-sW`
    Window,
    /// `-sM`
    Maimon,
    /// `-sN`
    Null,
    /// `-sF`
    Fin,
    /// `-sX`
    Xmas,
    /// `-sU`
    Udp,
    /// `-sY`
    SctpInit,
    /// `-sZ`
    SctpCookieEcho,
    /// `-sO`
    IpProtocol,
}

impl ScanType {
    /// The letter after `-s`.
    pub fn letter(self) -> char {
        match self {
            ScanType::Connect => 'T',
            ScanType::Syn => 'S',
            ScanType::Ack => 'A',
            ScanType::Window => 'W',
            ScanType::Maimon => 'M',
            ScanType::Null => 'N',
            ScanType::Fin => 'F',
            ScanType::Xmas => 'X',
            ScanType::Udp => 'U',
            ScanType::SctpInit => 'Y',
            ScanType::SctpCookieEcho => 'Z',
            ScanType::IpProtocol => 'O',
        }
    }

    pub fn from_letter(c: char) -> Option<ScanType> {
        Some(match c {
            'T' => ScanType::Connect,
            'S' => ScanType::Syn,
            'A' => ScanType::Ack,
            'W' => ScanType::Window,
            'M' => ScanType::Maimon,
            'N' => ScanType::Null,
            'F' => ScanType::Fin,
            'X' => ScanType::Xmas,
            'U' => ScanType::Udp,
            'Y' => ScanType::SctpInit,
            'Z' => ScanType::SctpCookieEcho,
            'O' => ScanType::IpProtocol,
            _ => return None,
        })
    }

    /// The name Nmap writes in XML `<scaninfo type=...>`.
    pub fn xml_name(self) -> &'static str {
        match self {
            ScanType::Connect => "connect",
            ScanType::Syn => "syn",
            ScanType::Ack => "ack",
            ScanType::Window => "window",
            ScanType::Maimon => "maimon",
            ScanType::Null => "null",
            ScanType::Fin => "fin",
            ScanType::Xmas => "xmas",
            ScanType::Udp => "udp",
            ScanType::SctpInit => "sctpinit",
            ScanType::SctpCookieEcho => "sctpcookieecho",
            ScanType::IpProtocol => "ipproto",
        }
    }
}

/// How hosts are found before their ports are scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum DiscoveryMode {
    /// Probe each host first (unprivileged: TCP connect to the discovery ports).
    #[default]
    Probe,
    /// `-Pn`: treat every host as up.
    SkipDiscovery,
    /// `-sn`: discover hosts, scan no ports.
    DiscoveryOnly,
    /// `-sL`: list targets (and their names), send nothing to them.
    ListOnly,
}

/// When to resolve addresses to names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum DnsMode {
    /// Up hosts only (Nmap's default).
    #[default]
    UpHosts,
    /// `-n`
    Never,
    /// `-R`: every target, up or down.
    Always,
}

/// Which ports to scan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum PortSelection {
    /// The 1,000 most frequent ports of each scanned protocol.
    #[default]
    Default,
    /// `-F`: the 100 most frequent.
    Fast,
    /// `--top-ports N`
    Top(u32),
    /// `-p ...`
    Spec(PortSpec),
}

/// Timing templates `-T0` .. `-T5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum TimingTemplate {
    Paranoid,
    Sneaky,
    Polite,
    #[default]
    Normal,
    Aggressive,
    Insane,
}

impl TimingTemplate {
    pub fn from_level(n: u8) -> Option<Self> {
        Some(match n {
            0 => TimingTemplate::Paranoid,
            1 => TimingTemplate::Sneaky,
            2 => TimingTemplate::Polite,
            3 => TimingTemplate::Normal,
            4 => TimingTemplate::Aggressive,
            5 => TimingTemplate::Insane,
            _ => return None,
        })
    }
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "paranoid" => TimingTemplate::Paranoid,
            "sneaky" => TimingTemplate::Sneaky,
            "polite" => TimingTemplate::Polite,
            "normal" => TimingTemplate::Normal,
            "aggressive" => TimingTemplate::Aggressive,
            "insane" => TimingTemplate::Insane,
            _ => return None,
        })
    }
    pub fn level(self) -> u8 {
        self as u8
    }
}

/// Timing limits. `None` means "what the template says"; [`Timing::effective`] resolves them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Timing {
    pub template: TimingTemplate,
    pub min_rate: Option<f64>,
    pub max_rate: Option<f64>,
    pub max_retries: Option<u32>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub host_timeout: Option<Duration>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub scan_delay: Option<Duration>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub max_scan_delay: Option<Duration>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub min_rtt_timeout: Option<Duration>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub max_rtt_timeout: Option<Duration>,
    #[serde(with = "opt_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>"))]
    pub initial_rtt_timeout: Option<Duration>,
    pub min_parallelism: Option<u32>,
    pub max_parallelism: Option<u32>,
    pub min_hostgroup: Option<u32>,
    pub max_hostgroup: Option<u32>,
}

/// Timing with every limit decided.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveTiming {
    pub min_rate: Option<f64>,
    pub max_rate: Option<f64>,
    pub max_retries: u32,
    pub host_timeout: Option<Duration>,
    pub scan_delay: Duration,
    pub max_scan_delay: Duration,
    pub min_rtt_timeout: Duration,
    pub max_rtt_timeout: Duration,
    pub initial_rtt_timeout: Duration,
    pub min_parallelism: u32,
    /// `None`: no limit beyond what the congestion control and file descriptors allow.
    pub max_parallelism: Option<u32>,
}

impl Timing {
    /// The limits the template sets (values from Nmap's reference guide, "Timing templates"), overridden by
    /// explicit options.
    pub fn effective(&self) -> EffectiveTiming {
        let ms = Duration::from_millis;
        let mut t = EffectiveTiming {
            min_rate: None,
            max_rate: None,
            max_retries: 10,
            host_timeout: None,
            scan_delay: Duration::ZERO,
            max_scan_delay: ms(1000),
            min_rtt_timeout: ms(100),
            max_rtt_timeout: ms(10_000),
            initial_rtt_timeout: ms(1000),
            min_parallelism: 1,
            max_parallelism: None,
        };
        match self.template {
            TimingTemplate::Paranoid => {
                t.scan_delay = ms(300_000);
                t.initial_rtt_timeout = ms(300_000);
                t.max_parallelism = Some(1);
            }
            TimingTemplate::Sneaky => {
                t.scan_delay = ms(15_000);
                t.initial_rtt_timeout = ms(15_000);
                t.max_parallelism = Some(1);
            }
            TimingTemplate::Polite => {
                t.scan_delay = ms(400);
                t.max_parallelism = Some(1);
            }
            TimingTemplate::Normal => {}
            TimingTemplate::Aggressive => {
                t.min_rtt_timeout = ms(100);
                t.max_rtt_timeout = ms(1250);
                t.initial_rtt_timeout = ms(500);
                t.max_retries = 6;
                t.max_scan_delay = ms(10);
            }
            TimingTemplate::Insane => {
                t.min_rtt_timeout = ms(50);
                t.max_rtt_timeout = ms(300);
                t.initial_rtt_timeout = ms(250);
                t.max_retries = 2;
                t.host_timeout = Some(ms(900_000));
                t.max_scan_delay = ms(5);
            }
        }
        if let Some(v) = self.min_rate {
            t.min_rate = Some(v);
        }
        if let Some(v) = self.max_rate {
            t.max_rate = Some(v);
        }
        if let Some(v) = self.max_retries {
            t.max_retries = v;
        }
        if self.host_timeout.is_some() {
            t.host_timeout = self.host_timeout.filter(|d| !d.is_zero());
        }
        if let Some(v) = self.scan_delay {
            t.scan_delay = v;
            t.max_scan_delay = t.max_scan_delay.max(v);
        }
        if let Some(v) = self.max_scan_delay {
            t.max_scan_delay = v;
        }
        if let Some(v) = self.min_rtt_timeout {
            t.min_rtt_timeout = v;
        }
        if let Some(v) = self.max_rtt_timeout {
            t.max_rtt_timeout = v;
        }
        if let Some(v) = self.initial_rtt_timeout {
            t.initial_rtt_timeout = v;
        }
        if let Some(v) = self.min_parallelism {
            t.min_parallelism = v;
        }
        if let Some(v) = self.max_parallelism {
            t.max_parallelism = Some(v);
        }
        t
    }
}

/// Where results go.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Outputs {
    pub normal: Option<PathBuf>,
    pub xml: Option<PathBuf>,
    pub grepable: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// `-oA BASE`, kept as given so the command line renders back the same way.
    pub all_base: Option<PathBuf>,
    /// `--stream-json`: one event per line on stdout instead of the normal output.
    pub stream_json: bool,
    pub append: bool,
}

impl Outputs {
    pub fn normal_path(&self) -> Option<PathBuf> {
        self.normal.clone().or_else(|| self.all_base.as_ref().map(|b| with_ext(b, "nmap")))
    }
    pub fn xml_path(&self) -> Option<PathBuf> {
        self.xml.clone().or_else(|| self.all_base.as_ref().map(|b| with_ext(b, "xml")))
    }
    pub fn grepable_path(&self) -> Option<PathBuf> {
        self.grepable.clone().or_else(|| self.all_base.as_ref().map(|b| with_ext(b, "gnmap")))
    }
}

fn with_ext(base: &std::path::Path, ext: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// TCP header flags by name, most significant bit first: the order `--scanflags` is rendered in.
pub const TCP_FLAG_NAMES: [(&str, u8); 8] = [
    ("CWR", 0x80),
    ("ECE", 0x40),
    ("URG", 0x20),
    ("ACK", 0x10),
    ("PSH", 0x08),
    ("RST", 0x04),
    ("SYN", 0x02),
    ("FIN", 0x01),
];

/// `flags` as mashed-together names (`URGPSHFIN`), or `0` when none is set; `--scanflags` reads both.
pub fn tcp_flags_text(flags: u8) -> String {
    if flags == 0 {
        return "0".to_owned();
    }
    TCP_FLAG_NAMES.iter().filter(|(_, bit)| flags & bit != 0).map(|(n, _)| *n).collect()
}

/// Raw host-discovery probes other than `-PS` (which stays in [`ScanPlan::discovery_tcp_ports`]). A bare
/// option is stored with Nmap's default filled in (`-PA` = port 80, `-PU` = 40125, `-PY` = 80, `-PO` =
/// protocols 1, 2 and 4), so an empty list always means "not asked for".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct DiscoveryProbes {
    /// `-PA`: TCP ACK probes to these ports.
    pub tcp_ack: Vec<u16>,
    /// `-PU`: UDP probes to these ports.
    pub udp: Vec<u16>,
    /// `-PY`: SCTP INIT probes to these ports.
    pub sctp: Vec<u16>,
    /// `-PE`
    pub icmp_echo: bool,
    /// `-PP`
    pub icmp_timestamp: bool,
    /// `-PM`
    pub icmp_mask: bool,
    /// `-PO`: bare IP packets with these protocol numbers.
    pub ip_proto: Vec<u8>,
    /// `-PR`: ARP (IPv6: neighbour discovery) on the local link.
    pub arp: bool,
}

impl DiscoveryProbes {
    /// No probe was chosen (the engine then uses Nmap's default set).
    pub fn is_empty(&self) -> bool {
        *self == DiscoveryProbes::default()
    }
}

/// Firewall/IDS evasion and spoofing (`-f`, `-D`, `-S`, `-g`, `--data*`, `--ip-options`, `--ttl`,
/// `--spoof-mac`, `--badsum`). Every value is validated by the parser; the engine applies them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Evasion {
    /// Bytes of payload per IP fragment: `-f` = 8, `-ff` = 16, `--mtu N` (a multiple of 8).
    pub fragment_mtu: Option<u16>,
    /// `-D`, as given: addresses, names, `ME` (at most once) and `RND` / `RND:n`.
    pub decoys: Vec<String>,
    /// `-S`
    pub source_addr: Option<IpAddr>,
    /// `-g` / `--source-port`
    pub source_port: Option<u16>,
    /// Payload appended to probes: the decoded bytes of `--data` or `--data-string`.
    pub data: Vec<u8>,
    /// `--data-length N`: append N random bytes (the engine draws them).
    pub data_length: Option<u32>,
    /// `--ip-options` as the user wrote it (validated).
    pub ip_options: Option<String>,
    /// The same options encoded, ready for the IPv4 header (a multiple of 4 bytes, at most 40).
    pub ip_options_bytes: Vec<u8>,
    /// `--ttl`
    pub ttl: Option<u8>,
    /// `--spoof-mac`, as given: `0` (random), a MAC address or prefix in hex, or a vendor name.
    pub spoof_mac: Option<String>,
    /// `--badsum`: send TCP/UDP/SCTP with a wrong checksum.
    pub badsum: bool,
}

/// Service and version detection (`-sV`) and its options.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionDetection {
    /// `--version-intensity` 0-9 (`--version-light` is 2, `--version-all` 9); `None` means Nmap's 7.
    #[serde(default)]
    pub intensity: Option<u8>,
    /// `--version-trace`: print what version detection sends and matches.
    #[serde(default)]
    pub trace: bool,
    /// `--allports`: also probe the ports the probe database excludes (printers' raw ports by default).
    #[serde(default)]
    pub all_ports: bool,
    /// `--versiondb FILE`: this probe database instead of Portolan's own (`--datadir` reads Nmap's
    /// `nmap-service-probes` from that directory).
    #[serde(default)]
    pub db: Option<PathBuf>,
}

/// OS detection (`-O`) options.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OsDetection {
    /// `--osscan-limit`: only hosts with at least one open and one closed TCP port.
    #[serde(default)]
    pub limit: bool,
    /// `--osscan-guess` / `--fuzzy`: print close guesses too.
    #[serde(default)]
    pub guess: bool,
    /// `--max-os-tries`; `None` means Nmap's 5.
    #[serde(default)]
    pub max_tries: Option<u32>,
}

/// One scan, fully described. Construct it through the CLI parser (or the app's profile editor) and check it
/// with the parser's validation; the engine trusts it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScanPlan {
    /// Target specifications as the user wrote them (addresses, CIDR, octet ranges, names).
    pub targets: Vec<String>,
    /// `-iL FILE` (`-` for standard input).
    pub input_list: Option<PathBuf>,
    /// `-iR N`
    pub random_targets: Option<u64>,
    pub exclude: Vec<String>,
    pub exclude_file: Option<PathBuf>,
    pub ipv6: bool,
    pub scan_types: Vec<ScanType>,
    pub discovery: DiscoveryMode,
    /// `-PS` ports for unprivileged/TCP discovery; empty means the default (80 and 443).
    pub discovery_tcp_ports: Vec<u16>,
    pub ports: PortSelection,
    /// `--exclude-ports`
    pub exclude_ports: Option<PortSpec>,
    /// `false` with `-r`.
    pub randomize_ports: bool,
    pub service_detection: bool,
    /// Options of `-sV`; ignored without it.
    #[serde(default)]
    pub version: VersionDetection,
    /// `-O`
    #[serde(default)]
    pub os_detection: bool,
    /// Options of `-O`; ignored without it.
    #[serde(default)]
    pub os: OsDetection,
    pub dns: DnsMode,
    pub timing: Timing,
    pub interface: Option<String>,
    pub verbosity: u8,
    pub debug: u8,
    pub reason: bool,
    pub open_only: bool,
    pub packet_trace: bool,
    pub outputs: Outputs,
    pub datadir: Option<PathBuf>,
    /// `--scanflags`: the TCP flags of the raw TCP scan (SYN scan's rules when no TCP scan type is given).
    #[serde(default)]
    pub scan_flags: Option<u8>,
    /// `-PA -PU -PY -PE -PP -PM -PO -PR`.
    #[serde(default)]
    pub discovery_probes: DiscoveryProbes,
    /// `--disable-arp-ping`
    #[serde(default)]
    pub disable_arp_ping: bool,
    /// `--traceroute`
    #[serde(default)]
    pub traceroute: bool,
    #[serde(default)]
    pub evasion: Evasion,
    /// `Some(true)`: `--send-eth`; `Some(false)`: `--send-ip`; `None`: the engine chooses.
    #[serde(default)]
    pub send_eth: Option<bool>,
    /// `Some(true)`: `--privileged`; `Some(false)`: `--unprivileged`; `None`: detect.
    #[serde(default)]
    pub privileged: Option<bool>,
    /// `--history URL`: the scan history to write to (a SQLite path/URL or `postgres://...`); `None` means
    /// `$PORTOLAN_HISTORY`, else the platform default.
    #[serde(default)]
    pub history: Option<String>,
    /// `--no-history`: do not record this scan.
    #[serde(default)]
    pub no_history: bool,
}

impl ScanPlan {
    /// A plan with Nmap's defaults (random port order, reverse DNS for up hosts, T3).
    pub fn new() -> Self {
        ScanPlan { randomize_ports: true, ..Default::default() }
    }

    /// The scan types to run, with the default filled in (`-sT` without privileges).
    pub fn effective_scan_types(&self) -> Vec<ScanType> {
        if self.scan_types.is_empty() && !matches!(self.discovery, DiscoveryMode::DiscoveryOnly | DiscoveryMode::ListOnly) {
            vec![ScanType::Connect]
        } else {
            self.scan_types.clone()
        }
    }

    /// Whether the plan asks for something only raw packets can do: a scan type other than `-sT`,
    /// `--scanflags`, a discovery probe other than `-PS` (which has an unprivileged connect form),
    /// `--traceroute`, `-O`, or packet forging that `connect()` cannot do (`-f`/`--mtu`, `-D`, `--ip-options`,
    /// `--badsum`, `--spoof-mac`, `--send-eth`). An empty scan-type list does not count: without privileges
    /// it means `-sT`, as in Nmap.
    pub fn needs_raw(&self) -> bool {
        let e = &self.evasion;
        self.scan_types.iter().any(|t| *t != ScanType::Connect)
            || self.scan_flags.is_some()
            || !self.discovery_probes.is_empty()
            || self.traceroute
            || self.os_detection
            || e.fragment_mtu.is_some()
            || !e.decoys.is_empty()
            || e.ip_options.is_some()
            || e.badsum
            || e.spoof_mac.is_some()
            || self.send_eth == Some(true)
    }

    /// Renders the plan as the canonical `portolan` argument list (without the program name). Parsing the
    /// result gives back an equal plan; this is what the desktop app shows as "the command".
    pub fn to_args(&self) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        let push = |a: &mut Vec<String>, s: &str| a.push(s.to_owned());
        let ms = |d: &Duration| format!("{}ms", d.as_millis());
        match self.discovery {
            DiscoveryMode::Probe => {}
            DiscoveryMode::SkipDiscovery => push(&mut a, "-Pn"),
            DiscoveryMode::DiscoveryOnly => push(&mut a, "-sn"),
            DiscoveryMode::ListOnly => push(&mut a, "-sL"),
        }
        if !self.discovery_tcp_ports.is_empty() {
            let list: Vec<String> = self.discovery_tcp_ports.iter().map(u16::to_string).collect();
            a.push(format!("-PS{}", list.join(",")));
        }
        let dp = &self.discovery_probes;
        for (letter, ports) in [('A', &dp.tcp_ack), ('U', &dp.udp), ('Y', &dp.sctp)] {
            if !ports.is_empty() {
                a.push(format!("-P{letter}{}", compact(ports.iter().map(|&p| u32::from(p)))));
            }
        }
        for (on, flag) in [(dp.icmp_echo, "-PE"), (dp.icmp_timestamp, "-PP"), (dp.icmp_mask, "-PM")] {
            if on {
                push(&mut a, flag);
            }
        }
        if !dp.ip_proto.is_empty() {
            a.push(format!("-PO{}", compact(dp.ip_proto.iter().map(|&p| u32::from(p)))));
        }
        if dp.arp {
            push(&mut a, "-PR");
        }
        if self.disable_arp_ping {
            push(&mut a, "--disable-arp-ping");
        }
        if self.traceroute {
            push(&mut a, "--traceroute");
        }
        for st in &self.scan_types {
            a.push(format!("-s{}", st.letter()));
        }
        if let Some(f) = self.scan_flags {
            push(&mut a, "--scanflags");
            a.push(tcp_flags_text(f));
        }
        if self.service_detection {
            push(&mut a, "-sV");
            let v = &self.version;
            if let Some(i) = v.intensity {
                push(&mut a, "--version-intensity");
                a.push(i.to_string());
            }
            if v.trace {
                push(&mut a, "--version-trace");
            }
            if v.all_ports {
                push(&mut a, "--allports");
            }
            if let Some(db) = &v.db {
                push(&mut a, "--versiondb");
                a.push(db.display().to_string());
            }
        }
        if self.os_detection {
            push(&mut a, "-O");
            if self.os.limit {
                push(&mut a, "--osscan-limit");
            }
            if self.os.guess {
                push(&mut a, "--osscan-guess");
            }
            if let Some(n) = self.os.max_tries {
                push(&mut a, "--max-os-tries");
                a.push(n.to_string());
            }
        }
        match &self.ports {
            PortSelection::Default => {}
            PortSelection::Fast => push(&mut a, "-F"),
            PortSelection::Top(n) => {
                push(&mut a, "--top-ports");
                a.push(n.to_string());
            }
            PortSelection::Spec(spec) => {
                push(&mut a, "-p");
                a.push(spec.render());
            }
        }
        if let Some(ex) = &self.exclude_ports {
            push(&mut a, "--exclude-ports");
            a.push(ex.render());
        }
        if !self.randomize_ports {
            push(&mut a, "-r");
        }
        let t = &self.timing;
        if t.template != TimingTemplate::Normal {
            a.push(format!("-T{}", t.template.level()));
        }
        let opt_ms = [
            ("--host-timeout", &t.host_timeout),
            ("--scan-delay", &t.scan_delay),
            ("--max-scan-delay", &t.max_scan_delay),
            ("--min-rtt-timeout", &t.min_rtt_timeout),
            ("--max-rtt-timeout", &t.max_rtt_timeout),
            ("--initial-rtt-timeout", &t.initial_rtt_timeout),
        ];
        for (name, v) in opt_ms {
            if let Some(d) = v {
                push(&mut a, name);
                a.push(ms(d));
            }
        }
        let opt_num = [
            ("--max-retries", t.max_retries),
            ("--min-parallelism", t.min_parallelism),
            ("--max-parallelism", t.max_parallelism),
            ("--min-hostgroup", t.min_hostgroup),
            ("--max-hostgroup", t.max_hostgroup),
        ];
        for (name, v) in opt_num {
            if let Some(n) = v {
                push(&mut a, name);
                a.push(n.to_string());
            }
        }
        for (name, v) in [("--min-rate", t.min_rate), ("--max-rate", t.max_rate)] {
            if let Some(r) = v {
                push(&mut a, name);
                a.push(r.to_string());
            }
        }
        match self.dns {
            DnsMode::UpHosts => {}
            DnsMode::Never => push(&mut a, "-n"),
            DnsMode::Always => push(&mut a, "-R"),
        }
        if self.ipv6 {
            push(&mut a, "-6");
        }
        if let Some(i) = &self.interface {
            push(&mut a, "-e");
            a.push(i.clone());
        }
        let e = &self.evasion;
        match e.fragment_mtu {
            None => {}
            Some(8) => push(&mut a, "-f"),
            Some(16) => push(&mut a, "-ff"),
            Some(n) => {
                push(&mut a, "--mtu");
                a.push(n.to_string());
            }
        }
        if !e.decoys.is_empty() {
            push(&mut a, "-D");
            a.push(e.decoys.join(","));
        }
        if let Some(ip) = e.source_addr {
            push(&mut a, "-S");
            a.push(ip.to_string());
        }
        if let Some(port) = e.source_port {
            push(&mut a, "-g");
            a.push(port.to_string());
        }
        if !e.data.is_empty() {
            push(&mut a, "--data");
            a.push(format!("0x{}", e.data.iter().map(|b| format!("{b:02x}")).collect::<String>()));
        }
        if let Some(n) = e.data_length {
            push(&mut a, "--data-length");
            a.push(n.to_string());
        }
        if let Some(o) = &e.ip_options {
            push(&mut a, "--ip-options");
            a.push(o.clone());
        }
        if let Some(t) = e.ttl {
            push(&mut a, "--ttl");
            a.push(t.to_string());
        }
        if let Some(m) = &e.spoof_mac {
            push(&mut a, "--spoof-mac");
            a.push(m.clone());
        }
        if e.badsum {
            push(&mut a, "--badsum");
        }
        match self.send_eth {
            None => {}
            Some(true) => push(&mut a, "--send-eth"),
            Some(false) => push(&mut a, "--send-ip"),
        }
        match self.privileged {
            None => {}
            Some(true) => push(&mut a, "--privileged"),
            Some(false) => push(&mut a, "--unprivileged"),
        }
        match self.verbosity {
            0 => {}
            1 => push(&mut a, "-v"),
            n => a.push(format!("-v{n}")),
        }
        match self.debug {
            0 => {}
            1 => push(&mut a, "-d"),
            n => a.push(format!("-d{n}")),
        }
        if self.reason {
            push(&mut a, "--reason");
        }
        if self.open_only {
            push(&mut a, "--open");
        }
        if self.packet_trace {
            push(&mut a, "--packet-trace");
        }
        let o = &self.outputs;
        for (flag, p) in [("-oN", &o.normal), ("-oX", &o.xml), ("-oG", &o.grepable), ("-oJ", &o.json), ("-oA", &o.all_base)] {
            if let Some(p) = p {
                push(&mut a, flag);
                a.push(p.display().to_string());
            }
        }
        if o.append {
            push(&mut a, "--append-output");
        }
        if o.stream_json {
            push(&mut a, "--stream-json");
        }
        if let Some(d) = &self.datadir {
            push(&mut a, "--datadir");
            a.push(d.display().to_string());
        }
        if let Some(h) = &self.history {
            push(&mut a, "--history");
            a.push(h.clone());
        }
        if self.no_history {
            push(&mut a, "--no-history");
        }
        if let Some(f) = &self.input_list {
            push(&mut a, "-iL");
            a.push(f.display().to_string());
        }
        if let Some(n) = self.random_targets {
            push(&mut a, "-iR");
            a.push(n.to_string());
        }
        if !self.exclude.is_empty() {
            push(&mut a, "--exclude");
            a.push(self.exclude.join(","));
        }
        if let Some(f) = &self.exclude_file {
            push(&mut a, "--excludefile");
            a.push(f.display().to_string());
        }
        a.extend(self.targets.iter().cloned());
        a
    }
}

/// Sorted numbers as Nmap's compact list (`1-3,7`).
fn compact(nums: impl Iterator<Item = u32>) -> String {
    let mut v: Vec<u32> = nums.collect();
    v.sort_unstable();
    v.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

/// Durations as integer milliseconds in JSON, so the TypeScript side sees plain numbers.
mod opt_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_set_nmap_limits() {
        let t4 = Timing { template: TimingTemplate::Aggressive, ..Default::default() }.effective();
        assert_eq!(t4.max_rtt_timeout, Duration::from_millis(1250));
        assert_eq!(t4.initial_rtt_timeout, Duration::from_millis(500));
        assert_eq!(t4.max_retries, 6);
        let t5 = Timing { template: TimingTemplate::Insane, max_retries: Some(4), ..Default::default() }.effective();
        assert_eq!(t5.max_retries, 4, "explicit options override the template");
        assert_eq!(t5.host_timeout, Some(Duration::from_secs(900)));
        let t2 = Timing { template: TimingTemplate::Polite, ..Default::default() }.effective();
        assert_eq!(t2.scan_delay, Duration::from_millis(400));
    }

    #[test]
    fn oa_derives_three_files() {
        let o = Outputs { all_base: Some("scan".into()), ..Default::default() };
        assert_eq!(o.normal_path().unwrap(), PathBuf::from("scan.nmap"));
        assert_eq!(o.xml_path().unwrap(), PathBuf::from("scan.xml"));
        assert_eq!(o.grepable_path().unwrap(), PathBuf::from("scan.gnmap"));
    }

    #[test]
    fn plan_serialises_to_json_and_back() {
        let mut p = ScanPlan::new();
        p.targets = vec!["198.18.0.1".into()];
        p.timing.host_timeout = Some(Duration::from_millis(1500));
        let j = serde_json::to_string(&p).unwrap();
        let back: ScanPlan = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn needs_raw_follows_the_chosen_techniques() {
        let mut p = ScanPlan::new();
        assert!(!p.needs_raw(), "no scan type: -sT without privileges");
        p.scan_types = vec![ScanType::Connect];
        assert!(!p.needs_raw());
        p.discovery_tcp_ports = vec![22];
        assert!(!p.needs_raw(), "-PS has a connect form");
        p.evasion.ttl = Some(9);
        p.evasion.source_port = Some(53);
        assert!(!p.needs_raw(), "sockets can set a TTL and bind a port");
        for edit in [
            |p: &mut ScanPlan| p.scan_types.push(ScanType::Udp),
            |p: &mut ScanPlan| p.scan_types = vec![ScanType::Syn],
            |p: &mut ScanPlan| p.scan_flags = Some(2),
            |p: &mut ScanPlan| p.discovery_probes.icmp_echo = true,
            |p: &mut ScanPlan| p.discovery_probes.arp = true,
            |p: &mut ScanPlan| p.discovery_probes.udp = vec![53],
            |p: &mut ScanPlan| p.traceroute = true,
            |p: &mut ScanPlan| p.evasion.fragment_mtu = Some(8),
            |p: &mut ScanPlan| p.evasion.decoys = vec!["RND".into()],
            |p: &mut ScanPlan| p.evasion.badsum = true,
            |p: &mut ScanPlan| p.send_eth = Some(true),
        ] {
            let mut q = p.clone();
            edit(&mut q);
            assert!(q.needs_raw(), "{q:?}");
        }
        let mut q = p.clone();
        q.send_eth = Some(false);
        assert!(!q.needs_raw());
    }

    #[test]
    fn raw_fields_render_as_options() {
        let mut p = ScanPlan::new();
        p.scan_types = vec![ScanType::Fin];
        p.scan_flags = Some(0x29);
        p.discovery_probes.tcp_ack = vec![22, 80, 81, 82];
        p.discovery_probes.ip_proto = vec![1, 2, 4];
        p.discovery_probes.icmp_timestamp = true;
        p.evasion.fragment_mtu = Some(16);
        p.evasion.data = vec![0xde, 0xad];
        p.evasion.source_addr = Some("198.18.0.9".parse().unwrap());
        p.privileged = Some(false);
        p.targets = vec!["198.18.0.1".into()];
        let a = p.to_args().join(" ");
        assert_eq!(
            a,
            "-PA22,80-82 -PP -PO1-2,4 -sF --scanflags URGPSHFIN -ff -S 198.18.0.9 --data 0xdead --unprivileged 198.18.0.1"
        );
        assert_eq!(tcp_flags_text(0), "0");
        assert_eq!(tcp_flags_text(0xff), "CWRECEURGACKPSHRSTSYNFIN");
    }

    #[test]
    fn plans_without_the_raw_fields_still_load() {
        // A plan saved before these fields existed (a desktop profile, a stored scan).
        let mut j = serde_json::to_value(ScanPlan::new()).unwrap();
        let obj = j.as_object_mut().unwrap();
        for k in ["scan_flags", "discovery_probes", "disable_arp_ping", "traceroute", "evasion", "send_eth", "privileged"] {
            obj.remove(k).unwrap();
        }
        let back: ScanPlan = serde_json::from_value(j).unwrap();
        assert_eq!(back, ScanPlan::new());
        let partial: Evasion = serde_json::from_str(r#"{"ttl": 5}"#).unwrap();
        assert_eq!(partial, Evasion { ttl: Some(5), ..Default::default() });
    }
}
