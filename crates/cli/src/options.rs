//! Nmap's command-line syntax -> a validated [`ScanPlan`].
//!
//! Two phases, as in ripgrep: [`getopt`] turns argv into raw (option, value) pairs using the table in
//! [`table`] (Nmap's `getopt_long_only` rules, so `-sTU`, `-PS22,80`, `-p-`, `-oA base`, `-min-rate 5` and
//! `--min-rate=5` all work); [`parse_args`] then applies the pairs in order to a plan and checks the result
//! as Nmap would (conflicting options, value ranges, targets, readable input files).
//!
//! Invariants: [`ScanPlan::to_args`] is inverted exactly (`parse_args(&plan.to_args())` gives back `plan`
//! for every plan this parser can produce); every error is one line starting with `portolan: ` and exits 2;
//! an option of `nmap --help` that Portolan does not implement yet is refused with
//! `portolan: option -X is not supported yet`, never reported as unknown.

mod getopt;
mod raw;
pub mod table;

use portolan_engine::targets::TargetSpec;
use portolan_model::{
    DiscoveryMode, DnsMode, PortRange, PortSelection, PortSpec, Protocol, ScanPlan, ScanType, TimingTemplate,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use table::Id;

pub use table::help_text;

/// What the command line asks for.
// Built once per process; boxing the plan would only make callers' matches noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ParseOutcome {
    /// Run this scan.
    Plan(ScanPlan),
    /// `-h` / `--help`: print [`help_text`] and exit 0.
    Help,
    /// `-V` / `--version`: print the version and exit 0.
    Version,
    /// `--iflist`: print the interfaces and routes and exit.
    Iflist,
}

/// A command line that cannot be run. `Display` is the whole message, one line, starting with `portolan: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("portolan: unrecognized option '{}'", esc(.0))]
    Unrecognized(String),
    #[error("portolan: option '{}' is ambiguous; possibilities: {candidates}", esc(.option))]
    Ambiguous { option: String, candidates: String },
    #[error("portolan: option '{}' requires an argument", esc(.0))]
    MissingArgument(String),
    #[error("portolan: option '{}' doesn't allow an argument", esc(.0))]
    UnexpectedArgument(String),
    /// A known Nmap option that Portolan does not implement yet.
    #[error("portolan: option {0} is not supported yet")]
    NotSupported(String),
    /// A value the option cannot take.
    #[error("portolan: {option}: {}", esc(.message))]
    BadValue { option: String, message: String },
    /// Options that cannot be used together, or any other whole-command-line problem.
    #[error("portolan: {}", esc(.0))]
    Invalid(String),
    #[error("portolan: no targets were specified")]
    NoTargets,
    #[error("portolan: target '{}': {}", esc(.target), esc(.message))]
    Target { target: String, message: String },
    #[error("portolan: {option}: cannot read '{}': {message}", esc(.path))]
    Unreadable { option: String, path: String, message: String },
}

/// Command-line words may hold anything (a file name with a newline); the message must stay one line.
fn esc(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

impl OptionError {
    /// The process exit status for this error (Nmap's usage errors are all the same to scripts).
    pub fn exit_code(&self) -> i32 {
        2
    }
}

fn bad(option: &str, message: impl Into<String>) -> OptionError {
    OptionError::BadValue { option: option.to_owned(), message: message.into() }
}

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<ParseOutcome, OptionError> {
    let raw = getopt::split(args)?;
    let mut b = Builder::default();
    for opt in &raw.opts {
        let Some(id) = opt.def.id else {
            return Err(OptionError::NotSupported(opt.name.clone()));
        };
        match id {
            Id::Help => return Ok(ParseOutcome::Help),
            Id::Version => return Ok(ParseOutcome::Version),
            Id::Iflist => return Ok(ParseOutcome::Iflist),
            _ => b.apply(id, &opt.name, opt.value.as_deref())?,
        }
    }
    b.plan.targets = raw.targets;
    b.finish().map(ParseOutcome::Plan)
}

/// Phase 2 state: the plan so far plus what the plan alone cannot tell (which options were given).
#[derive(Debug)]
struct Builder {
    plan: ScanPlan,
    list_scan: bool,
    ping_scan: bool,
    no_ping: bool,
    ports: Option<PortSpec>,
    fast: bool,
    top: Option<u32>,
    /// `-p` as written: with `-sO`, `-p-` means every protocol (0-255), not every port.
    ports_raw: Option<String>,
    /// `-P` probe options seen, each allowed once (as in Nmap).
    probes_seen: Vec<String>,
    /// The first of `--data`, `--data-string`, `--data-length` given: only one, once.
    data_option: Option<String>,
    /// How often `-f` was given.
    fragment: u8,
    mtu: Option<u16>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            plan: ScanPlan::new(),
            list_scan: false,
            ping_scan: false,
            no_ping: false,
            ports: None,
            fast: false,
            top: None,
            ports_raw: None,
            probes_seen: Vec::new(),
            data_option: None,
            fragment: 0,
            mtu: None,
        }
    }
}

fn value<'a>(name: &str, v: Option<&'a str>) -> Result<&'a str, OptionError> {
    v.ok_or_else(|| OptionError::MissingArgument(name.to_owned()))
}

impl Builder {
    fn apply(&mut self, id: Id, name: &str, v: Option<&str>) -> Result<(), OptionError> {
        let p = &mut self.plan;
        let t = &mut p.timing;
        match id {
            Id::Help | Id::Version => {}
            Id::InputList => p.input_list = Some(PathBuf::from(nonempty(name, value(name, v)?)?)),
            Id::RandomTargets => p.random_targets = Some(parse_u64(name, value(name, v)?)?),
            Id::Exclude => {
                // Nmap keeps only the last --exclude.
                let words: Vec<String> =
                    value(name, v)?.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect();
                if words.is_empty() {
                    return Err(bad(name, "no hosts given"));
                }
                p.exclude = words;
            }
            Id::ExcludeFile => p.exclude_file = Some(PathBuf::from(nonempty(name, value(name, v)?)?)),
            Id::ListScan => self.list_scan = true,
            Id::PingScan => self.ping_scan = true,
            Id::NoPing => self.no_ping = true,
            Id::PingSyn => {
                once_probe(&mut self.probes_seen, name)?;
                p.discovery_tcp_ports = match v {
                    // Nmap's default port for a bare -PS.
                    None => vec![80],
                    Some(list) => parse_probe_ports(name, list)?,
                };
            }
            Id::NoDns => p.dns = DnsMode::Never,
            Id::AlwaysDns => p.dns = DnsMode::Always,
            Id::ScanConnect | Id::ScanUdp => {
                let st = if id == Id::ScanConnect { ScanType::Connect } else { ScanType::Udp };
                if !p.scan_types.contains(&st) {
                    p.scan_types.push(st);
                }
            }
            Id::Ports => {
                if self.ports.is_some() {
                    return Err(OptionError::Invalid(
                        "only one -p option is allowed; separate ranges with commas".into(),
                    ));
                }
                let s = value(name, v)?;
                self.ports = Some(parse_ports(name, s)?);
                self.ports_raw = Some(s.to_owned());
            }
            Id::ExcludePorts => p.exclude_ports = Some(parse_ports(name, value(name, v)?)?),
            Id::Fast => self.fast = true,
            Id::Sequential => p.randomize_ports = false,
            Id::TopPorts => {
                let s = value(name, v)?;
                let n = parse_u32(name, s)?;
                if n == 0 {
                    return Err(bad(name, format!("'{s}' must be 1 or greater")));
                }
                self.top = Some(n);
            }
            Id::Timing => {
                let s = value(name, v)?;
                let parsed = match s.parse::<u8>() {
                    Ok(n) => TimingTemplate::from_level(n),
                    Err(_) => TimingTemplate::from_name(s),
                };
                t.template = parsed.ok_or_else(|| {
                    bad(
                        name,
                        format!(
                            "unknown timing template '{s}' (use 0-5 or paranoid, sneaky, polite, normal, aggressive, insane)"
                        ),
                    )
                })?;
            }
            Id::MinHostgroup => t.min_hostgroup = Some(parse_u32(name, value(name, v)?)?),
            Id::MaxHostgroup => t.max_hostgroup = Some(at_least_one(name, value(name, v)?)?),
            Id::MinParallelism => t.min_parallelism = Some(at_least_one(name, value(name, v)?)?),
            Id::MaxParallelism => t.max_parallelism = Some(at_least_one(name, value(name, v)?)?),
            Id::MaxRetries => t.max_retries = Some(parse_u32(name, value(name, v)?)?),
            Id::MinRttTimeout => t.min_rtt_timeout = Some(parse_time(name, value(name, v)?)?),
            Id::MaxRttTimeout => {
                let s = value(name, v)?;
                let d = parse_time(name, s)?;
                if d < Duration::from_millis(5) {
                    return Err(bad(name, format!("'{s}' is too short (at least 5ms)")));
                }
                t.max_rtt_timeout = Some(d);
            }
            Id::InitialRttTimeout => {
                let s = value(name, v)?;
                let d = parse_time(name, s)?;
                if d.is_zero() {
                    return Err(bad(name, format!("'{s}' must be greater than zero")));
                }
                t.initial_rtt_timeout = Some(d);
            }
            Id::HostTimeout => t.host_timeout = Some(parse_time(name, value(name, v)?)?),
            Id::ScanDelay => t.scan_delay = Some(parse_time(name, value(name, v)?)?),
            Id::MaxScanDelay => t.max_scan_delay = Some(parse_time(name, value(name, v)?)?),
            Id::MinRate => t.min_rate = Some(parse_rate(name, value(name, v)?)?),
            Id::MaxRate => t.max_rate = Some(parse_rate(name, value(name, v)?)?),
            Id::Interface => p.interface = Some(nonempty(name, value(name, v)?)?.to_owned()),
            Id::OutNormal => p.outputs.normal = Some(output_path(name, v)?),
            Id::OutXml => p.outputs.xml = Some(output_path(name, v)?),
            Id::OutGrepable => p.outputs.grepable = Some(output_path(name, v)?),
            Id::OutJson => p.outputs.json = Some(output_path(name, v)?),
            Id::OutAll => p.outputs.all_base = Some(output_path(name, v)?),
            Id::StreamJson => p.outputs.stream_json = true,
            Id::AppendOutput => p.outputs.append = true,
            Id::Verbose => p.verbosity = level(name, v, p.verbosity)?,
            Id::Debug => p.debug = level(name, v, p.debug)?,
            Id::Reason => p.reason = true,
            Id::Open => p.open_only = true,
            Id::PacketTrace => p.packet_trace = true,
            Id::Ipv6 => p.ipv6 = true,
            Id::Datadir => p.datadir = Some(PathBuf::from(nonempty(name, value(name, v)?)?)),
            Id::History => p.history = Some(nonempty(name, value(name, v)?)?.to_owned()),
            Id::NoHistory => p.no_history = true,
            Id::Iflist => {}
            Id::ScanRaw => {
                let st = name.strip_prefix("-s").and_then(|l| l.chars().next()).and_then(ScanType::from_letter);
                let Some(st) = st else {
                    return Err(OptionError::Invalid(format!("{name} is not a scan type")));
                };
                if !p.scan_types.contains(&st) {
                    p.scan_types.push(st);
                }
            }
            Id::ScanFlags => p.scan_flags = Some(raw::scan_flags(name, value(name, v)?)?),
            Id::PingAck | Id::PingUdp | Id::PingSctp | Id::PingProto => {
                once_probe(&mut self.probes_seen, name)?;
                let dp = &mut p.discovery_probes;
                match (id, v) {
                    // Nmap's defaults for a bare option.
                    (Id::PingAck, None) => dp.tcp_ack = vec![80],
                    (Id::PingUdp, None) => dp.udp = vec![40125],
                    (Id::PingSctp, None) => dp.sctp = vec![80],
                    (Id::PingProto, None) => dp.ip_proto = vec![1, 2, 4],
                    (Id::PingAck, Some(s)) => dp.tcp_ack = parse_probe_ports(name, s)?,
                    (Id::PingUdp, Some(s)) => dp.udp = parse_probe_ports(name, s)?,
                    (Id::PingSctp, Some(s)) => dp.sctp = parse_probe_ports(name, s)?,
                    (_, Some(s)) => dp.ip_proto = raw::protocol_list(name, s)?,
                    (_, None) => {}
                }
            }
            Id::PingEcho => p.discovery_probes.icmp_echo = true,
            Id::PingTimestamp => p.discovery_probes.icmp_timestamp = true,
            Id::PingMask => p.discovery_probes.icmp_mask = true,
            Id::PingArp => p.discovery_probes.arp = true,
            Id::DisableArpPing => p.disable_arp_ping = true,
            Id::Traceroute => p.traceroute = true,
            Id::ScanVersion => p.service_detection = true,
            Id::VersionIntensity => {
                let s = value(name, v)?;
                match s.parse::<u8>() {
                    Ok(n) if n <= 9 => p.version.intensity = Some(n),
                    _ => return Err(bad(name, format!("'{s}' is not an intensity between 0 and 9"))),
                }
            }
            Id::VersionLight => p.version.intensity = Some(2),
            Id::VersionAll => p.version.intensity = Some(9),
            Id::VersionTrace => p.version.trace = true,
            Id::VersionDb => p.version.db = Some(PathBuf::from(nonempty(name, value(name, v)?)?)),
            Id::AllPorts => p.version.all_ports = true,
            Id::OsDetect => match v {
                // Nmap's -O takes an optional generation number; only the second generation exists now.
                None | Some("2") => p.os_detection = true,
                Some(other) => return Err(bad(name, format!("'{other}': only -O (second-generation OS detection) exists"))),
            },
            Id::OsscanLimit => p.os.limit = true,
            Id::OsscanGuess => p.os.guess = true,
            Id::MaxOsTries => {
                let s = value(name, v)?;
                match s.parse::<u32>() {
                    Ok(n) if (1..=50).contains(&n) => p.os.max_tries = Some(n),
                    _ => return Err(bad(name, format!("'{s}' is not a number of tries between 1 and 50"))),
                }
            }
            Id::Fragment => self.fragment = self.fragment.saturating_add(1),
            Id::Mtu => self.mtu = Some(raw::mtu(name, value(name, v)?)?),
            Id::Decoys => p.evasion.decoys = raw::decoys(name, value(name, v)?)?,
            Id::SourceAddr => p.evasion.source_addr = Some(raw::source_addr(name, value(name, v)?)?),
            Id::SourcePort => {
                let s = value(name, v)?;
                let port = raw::number_upto(name, s, 65_535, "a port number")?;
                p.evasion.source_port = u16::try_from(port).ok();
            }
            Id::Data | Id::DataString | Id::DataLength => {
                if let Some(first) = &self.data_option {
                    return Err(OptionError::Invalid(format!(
                        "{name} after {first}: only one of --data, --data-string and --data-length, once"
                    )));
                }
                self.data_option = Some(name.to_owned());
                let s = value(name, v)?;
                match id {
                    Id::Data => p.evasion.data = raw::hex_data(name, s)?,
                    Id::DataString => p.evasion.data = raw::payload_fits(name, s.as_bytes().to_vec())?,
                    _ => {
                        p.evasion.data_length =
                            Some(raw::number_upto(name, s, raw::MAX_DATA_LENGTH, "a number of bytes")?);
                    }
                }
            }
            Id::IpOptions => {
                let s = value(name, v)?;
                let bytes = raw::ip_options(name, s)?;
                p.evasion.ip_options = bytes.as_ref().map(|_| s.to_owned());
                p.evasion.ip_options_bytes = bytes.unwrap_or_default();
            }
            Id::Ttl => {
                let n = raw::number_upto(name, value(name, v)?, 255, "a number")?;
                p.evasion.ttl = u8::try_from(n).ok();
            }
            Id::SpoofMac => p.evasion.spoof_mac = Some(raw::spoof_mac(name, value(name, v)?)?),
            Id::Badsum => p.evasion.badsum = true,
            Id::SendEth => p.send_eth = Some(true),
            Id::SendIp => p.send_eth = Some(false),
            Id::Privileged => p.privileged = Some(true),
            Id::Unprivileged => p.privileged = Some(false),
        }
        Ok(())
    }

    /// Resolves what depends on several options and checks the whole plan.
    fn finish(mut self) -> Result<ScanPlan, OptionError> {
        let mut plan = self.plan;
        let no_port_scan = if self.list_scan {
            Some("-sL")
        } else if self.ping_scan {
            Some("-sn")
        } else {
            None
        };
        plan.discovery = if self.list_scan {
            // A list scan sends nothing, so -Pn has nothing to skip.
            DiscoveryMode::ListOnly
        } else if self.ping_scan && self.no_ping {
            return Err(OptionError::NotSupported("-Pn together with -sn".into()));
        } else if self.ping_scan {
            DiscoveryMode::DiscoveryOnly
        } else if self.no_ping {
            DiscoveryMode::SkipDiscovery
        } else {
            DiscoveryMode::Probe
        };
        if let Some(mode) = no_port_scan {
            if let Some(st) = plan.scan_types.first() {
                return Err(OptionError::Invalid(format!(
                    "{mode} scans no ports, so it cannot be combined with -s{}",
                    st.letter()
                )));
            }
            let port_opt = if self.ports.is_some() {
                Some("-p")
            } else if self.fast {
                Some("-F")
            } else if self.top.is_some() {
                Some("--top-ports")
            } else {
                None
            };
            if let Some(o) = port_opt {
                return Err(OptionError::Invalid(format!("{o} cannot be used with {mode}, which scans no ports")));
            }
        }
        plan.evasion.fragment_mtu = match (self.fragment, self.mtu) {
            (0, m) => m,
            (_, Some(_)) => {
                return Err(OptionError::Invalid("-f and --mtu both set the fragment size: use one of them".into()));
            }
            (n @ 1..=2, None) => Some(u16::from(n) * 8),
            (_, None) => {
                return Err(OptionError::Invalid(
                    "-f can be given at most twice (-f: 8 bytes per fragment, -ff: 16); use --mtu for other sizes".into(),
                ));
            }
        };
        if plan.scan_types.contains(&ScanType::IpProtocol) && self.ports_raw.as_deref().map(str::trim) == Some("-") {
            // Every protocol, as Nmap reads `-sO -p-`.
            let all = vec![PortRange { start: 0, end: 255 }];
            self.ports = Some(PortSpec { tcp: all.clone(), udp: all.clone(), sctp: all });
        }
        check_scan_types(&plan, self.ports.as_ref())?;
        check_raw_options(&plan)?;
        plan.ports = match (self.ports, self.fast, self.top) {
            (Some(_), true, _) => {
                return Err(OptionError::Invalid(
                    "-F cannot be combined with -p (use --top-ports N to scan the N most common ports)".into(),
                ));
            }
            (Some(_), false, Some(_)) => {
                return Err(OptionError::NotSupported("-p together with --top-ports".into()));
            }
            (Some(spec), false, None) => PortSelection::Spec(spec),
            // --top-ports says how few, so it wins over -F as in Nmap.
            (None, _, Some(n)) => PortSelection::Top(n),
            (None, true, None) => PortSelection::Fast,
            (None, false, None) => PortSelection::Default,
        };

        let t = &plan.timing;
        in_order("--min-rate", t.min_rate, "--max-rate", t.max_rate)?;
        in_order("--min-parallelism", t.min_parallelism, "--max-parallelism", t.max_parallelism)?;
        in_order("--min-hostgroup", t.min_hostgroup, "--max-hostgroup", t.max_hostgroup)?;

        let o = &plan.outputs;
        let stdout = |p: &Option<PathBuf>| p.as_deref() == Some(Path::new("-"));
        if stdout(&o.all_base) {
            return Err(OptionError::Invalid("-oA writes three files, so it cannot write to standard output ('-')".into()));
        }
        if o.stream_json {
            for (flag, p) in [("-oN", &o.normal), ("-oX", &o.xml), ("-oG", &o.grepable), ("-oJ", &o.json)] {
                if stdout(p) {
                    return Err(OptionError::Invalid(format!(
                        "--stream-json and {flag} - would both write to standard output"
                    )));
                }
            }
        }

        if plan.targets.is_empty() && plan.input_list.is_none() && plan.random_targets.is_none() {
            return Err(OptionError::NoTargets);
        }
        for word in plan.targets.iter().chain(plan.exclude.iter()) {
            TargetSpec::parse(word, plan.ipv6)
                .map_err(|e| OptionError::Target { target: word.clone(), message: e.to_string() })?;
        }
        if let Some(f) = plan.input_list.as_ref().filter(|f| f.as_os_str() != "-") {
            check_readable("-iL", f)?;
        }
        if let Some(f) = &plan.exclude_file {
            check_readable("--excludefile", f)?;
        }
        Ok(plan)
    }
}

/// `-P` probe options may each be given once: two lists would leave it unclear which one was meant.
fn once_probe(seen: &mut Vec<String>, name: &str) -> Result<(), OptionError> {
    if seen.iter().any(|s| s == name) {
        return Err(OptionError::Invalid(format!("only one {name} option is allowed; combine its lists with commas")));
    }
    seen.push(name.to_owned());
    Ok(())
}

const TCP_SCANS: [ScanType; 8] = [
    ScanType::Connect,
    ScanType::Syn,
    ScanType::Ack,
    ScanType::Window,
    ScanType::Maimon,
    ScanType::Null,
    ScanType::Fin,
    ScanType::Xmas,
];

fn is_raw_tcp(t: ScanType) -> bool {
    t != ScanType::Connect && TCP_SCANS.contains(&t)
}

/// Nmap's rules on combining scan types: one TCP scan type at a time (it decides what a port's state is),
/// which UDP and SCTP scans may join; `-sO` alone, its port list being IP protocol numbers.
fn check_scan_types(plan: &ScanPlan, ports: Option<&PortSpec>) -> Result<(), OptionError> {
    let tcp: Vec<String> =
        plan.scan_types.iter().filter(|t| TCP_SCANS.contains(t)).map(|t| format!("-s{}", t.letter())).collect();
    if tcp.len() > 1 {
        return Err(OptionError::Invalid(format!(
            "more than one type of TCP scan ({}): choose only one of -sS, -sT, -sA, -sW, -sM, -sN, -sF and -sX",
            tcp.join(", ")
        )));
    }
    if plan.scan_types.contains(&ScanType::IpProtocol) {
        if let Some(other) = plan.scan_types.iter().find(|t| **t != ScanType::IpProtocol) {
            return Err(OptionError::Invalid(format!(
                "the IP protocol scan (-sO) must be used alone, not with -s{}",
                other.letter()
            )));
        }
        for (opt, spec) in [("-p", ports), ("--exclude-ports", plan.exclude_ports.as_ref())] {
            let Some(spec) = spec else { continue };
            let shown = spec.render();
            if !(spec.tcp == spec.udp && spec.udp == spec.sctp) {
                return Err(bad(opt, format!("'{shown}': with -sO give IP protocol numbers 0-255, without T:, U: or S:")));
            }
            if spec.tcp.iter().any(|r| r.end > 255) {
                return Err(bad(opt, format!("'{shown}': with -sO the numbers are IP protocols, which must be between 0 and 255")));
            }
        }
    }
    if plan.scan_flags.is_some() {
        let no_ports = matches!(plan.discovery, DiscoveryMode::DiscoveryOnly | DiscoveryMode::ListOnly);
        if no_ports {
            let mode = if plan.discovery == DiscoveryMode::ListOnly { "-sL" } else { "-sn" };
            return Err(OptionError::Invalid(format!("--scanflags sets the flags of a port scan, but {mode} scans no ports")));
        }
        if !plan.scan_types.is_empty() && !plan.scan_types.iter().any(|t| is_raw_tcp(*t)) {
            return Err(OptionError::Invalid(
                "--scanflags needs a raw TCP scan type to read the replies by (-sS, -sA, -sW, -sM, -sN, -sF or -sX), \
                 or none for SYN scan rules"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Checks of the packet-forging options against the rest of the plan.
fn check_raw_options(plan: &ScanPlan) -> Result<(), OptionError> {
    let e = &plan.evasion;
    let family = |opt: &str, what: &str, ip: std::net::IpAddr| -> Result<(), OptionError> {
        match (ip.is_ipv6(), plan.ipv6) {
            (true, false) => Err(bad(opt, format!("{what} '{ip}' is an IPv6 address, which needs -6"))),
            (false, true) => Err(bad(opt, format!("{what} '{ip}' is an IPv4 address, but -6 scans over IPv6"))),
            _ => Ok(()),
        }
    };
    if let Some(ip) = e.source_addr {
        family("-S", "source address", ip)?;
    }
    for d in &e.decoys {
        if let Ok(ip) = d.parse::<std::net::IpAddr>() {
            family("-D", "decoy", ip)?;
        }
    }
    if plan.ipv6 && e.ip_options.is_some() {
        return Err(OptionError::Invalid("--ip-options are IPv4 header options; they cannot be used with -6".into()));
    }
    if e.fragment_mtu.is_some() {
        // Fragments split the TCP header (or the ICMP timestamp/mask body); other probes gain nothing.
        let dp = &plan.discovery_probes;
        let ok = match plan.discovery {
            DiscoveryMode::ListOnly => false,
            DiscoveryMode::DiscoveryOnly => {
                !plan.discovery_tcp_ports.is_empty() || !dp.tcp_ack.is_empty() || dp.icmp_timestamp || dp.icmp_mask
            }
            _ => plan.scan_types.is_empty() || plan.scan_types.iter().any(|t| is_raw_tcp(*t)),
        };
        if !ok {
            return Err(OptionError::Invalid(
                "-f/--mtu fragments only raw TCP scans (-sS, -sA, -sW, -sM, -sN, -sF, -sX) and TCP, ICMP timestamp \
                 or netmask discovery probes"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn in_order<T: PartialOrd + std::fmt::Display>(
    lo_name: &str,
    lo: Option<T>,
    hi_name: &str,
    hi: Option<T>,
) -> Result<(), OptionError> {
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo > hi => Err(OptionError::Invalid(format!(
            "{lo_name} {lo} must not be greater than {hi_name} {hi}"
        ))),
        _ => Ok(()),
    }
}

fn nonempty<'a>(name: &str, s: &'a str) -> Result<&'a str, OptionError> {
    if s.is_empty() {
        return Err(bad(name, "empty value"));
    }
    Ok(s)
}

fn output_path(name: &str, v: Option<&str>) -> Result<PathBuf, OptionError> {
    Ok(PathBuf::from(nonempty(name, value(name, v)?)?))
}

fn parse_ports(name: &str, s: &str) -> Result<PortSpec, OptionError> {
    PortSpec::parse(s).map_err(|e| bad(name, e.to_string()))
}

/// `-PS` takes a plain port list (no `T:`/`U:` prefixes: the probe type says the protocol).
fn parse_probe_ports(name: &str, s: &str) -> Result<Vec<u16>, OptionError> {
    if s.contains(':') {
        return Err(bad(name, format!("protocol prefixes are not allowed in '{s}'")));
    }
    let spec = parse_ports(name, s)?;
    Ok(spec.ports(Protocol::Tcp).collect())
}

fn parse_u64(name: &str, s: &str) -> Result<u64, OptionError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(name, format!("'{s}' is not a whole number")));
    }
    s.parse::<u64>().map_err(|_| bad(name, format!("'{s}' is too large")))
}

fn parse_u32(name: &str, s: &str) -> Result<u32, OptionError> {
    let n = parse_u64(name, s)?;
    u32::try_from(n).map_err(|_| bad(name, format!("'{s}' is too large")))
}

fn at_least_one(name: &str, s: &str) -> Result<u32, OptionError> {
    let n = parse_u32(name, s)?;
    if n == 0 {
        return Err(bad(name, format!("'{s}' must be at least 1")));
    }
    Ok(n)
}

fn parse_rate(name: &str, s: &str) -> Result<f64, OptionError> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(bad(name, format!("'{s}' is not a positive number of packets per second"))),
    }
}

/// Nmap's `<time>`: a decimal number of seconds, or with a unit `ms`, `s`, `m`, `h`. Kept in whole
/// milliseconds, as Nmap does, so the value renders back exactly.
pub fn parse_time(name: &str, s: &str) -> Result<Duration, OptionError> {
    let err = || bad(name, format!("invalid time '{s}' (seconds, or a number with ms, s, m or h: 500ms, 2s, 1m, 1h)"));
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult = match unit {
        "" | "s" => 1000.0,
        "ms" => 1.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(err()),
    };
    if num.is_empty() || num == "." {
        return Err(err());
    }
    let n: f64 = num.parse().map_err(|_| err())?;
    let ms = (n * mult).round();
    // Beyond a million years nothing is meaningful, and the cast below must not saturate silently.
    if !ms.is_finite() || ms > 3.2e16 {
        return Err(bad(name, format!("time '{s}' is too long")));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// `-v`, `-vv`, `-v3` (and the same for `-d`): each bare letter adds one, a number sets the level.
fn level(name: &str, v: Option<&str>, current: u8) -> Result<u8, OptionError> {
    let letter = name.trim_start_matches('-');
    match v {
        None => Ok(current.saturating_add(1)),
        Some(s) if !s.is_empty() && s.trim_start_matches(letter).is_empty() => {
            let n = u8::try_from(s.len() + 1).unwrap_or(u8::MAX);
            Ok(current.saturating_add(n))
        }
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u8>()
            .map_err(|_| bad(name, format!("level '{s}' is out of range (0-255)"))),
        Some(s) => Err(bad(name, format!("invalid level '{s}' (use {name}, {name}{letter} or {name}<number>)"))),
    }
}

fn check_readable(option: &str, path: &Path) -> Result<(), OptionError> {
    let err = |message: String| OptionError::Unreadable {
        option: option.to_owned(),
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(io_message(&e)))?;
    match file.metadata() {
        Ok(m) if m.is_dir() => Err(err("Is a directory".into())),
        Ok(_) => Ok(()),
        Err(e) => Err(err(io_message(&e))),
    }
}

/// The OS's words for an I/O error without Rust's " (os error N)" suffix.
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    }
}
