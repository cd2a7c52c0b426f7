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
pub mod table;

use portolan_engine::targets::TargetSpec;
use portolan_model::{DiscoveryMode, DnsMode, PortSelection, PortSpec, Protocol, ScanPlan, ScanType, TimingTemplate};
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
                self.ports = Some(parse_ports(name, value(name, v)?)?);
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
        }
        Ok(())
    }

    /// Resolves what depends on several options and checks the whole plan.
    fn finish(self) -> Result<ScanPlan, OptionError> {
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
