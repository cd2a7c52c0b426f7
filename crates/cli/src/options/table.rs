//! The table of every option `portolan` knows, in Nmap's spelling. It is the single source of truth: the
//! argv scanner ([`super::getopt`]) matches words against it, the help text is generated from it, and an
//! entry without an [`Id`] is an option that is recognised but "not supported yet".

use std::sync::OnceLock;

/// What an option expects after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A flag.
    None,
    /// A value: attached (`-p22`, `--min-rate=5`) or the next word (`-p 22`, `--min-rate 5`).
    Required,
    /// A value that can only be attached (`-v2`, `-O2`, `-PS22,80`); absent otherwise.
    Optional,
}

/// One way of writing an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `--name`, or `-name` (Nmap parses with `getopt_long_only`); unique prefixes are accepted.
    Long(&'static str),
    /// Nmap's long options that are shown with a single dash: `-oN`, `-iL`.
    Dash1(&'static str),
    /// `-c`; single-letter options can be clustered (`-nvr`).
    Short(char),
    /// `-s<c>`: one letter of a scan-type cluster (`-sTU` is `-sT` and `-sU`).
    Scan(char),
    /// `-P<c>[value]`: a host-discovery probe (`-PS22,80`).
    Ping(char),
}

impl Spelling {
    /// How the option is written in messages and in the help text.
    pub fn display(self) -> String {
        match self {
            Spelling::Long(n) => format!("--{n}"),
            Spelling::Dash1(n) => format!("-{n}"),
            Spelling::Short(c) => format!("-{c}"),
            Spelling::Scan(c) => format!("-s{c}"),
            Spelling::Ping(c) => format!("-P{c}"),
        }
    }
}

/// The options that map into a [`portolan_model::ScanPlan`] (or end parsing, like `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Id {
    InputList,
    RandomTargets,
    Exclude,
    ExcludeFile,
    ListScan,
    PingScan,
    NoPing,
    PingSyn,
    NoDns,
    AlwaysDns,
    ScanConnect,
    ScanUdp,
    Ports,
    ExcludePorts,
    Fast,
    Sequential,
    TopPorts,
    Timing,
    MinHostgroup,
    MaxHostgroup,
    MinParallelism,
    MaxParallelism,
    MinRttTimeout,
    MaxRttTimeout,
    InitialRttTimeout,
    MaxRetries,
    HostTimeout,
    ScanDelay,
    MaxScanDelay,
    MinRate,
    MaxRate,
    Interface,
    OutNormal,
    OutXml,
    OutGrepable,
    OutAll,
    OutJson,
    StreamJson,
    Verbose,
    Debug,
    Reason,
    Open,
    PacketTrace,
    AppendOutput,
    Ipv6,
    Datadir,
    History,
    NoHistory,
    Version,
    Help,
    /// `-sS -sA -sW -sM -sN -sF -sX -sY -sZ -sO`: the scan type is the letter of the option's name.
    ScanRaw,
    ScanFlags,
    PingAck,
    PingUdp,
    PingSctp,
    PingEcho,
    PingTimestamp,
    PingMask,
    PingProto,
    PingArp,
    DisableArpPing,
    Traceroute,
    Fragment,
    Mtu,
    Decoys,
    SourceAddr,
    SourcePort,
    Data,
    DataString,
    DataLength,
    IpOptions,
    Ttl,
    SpoofMac,
    Badsum,
    SendEth,
    SendIp,
    Privileged,
    Unprivileged,
    Iflist,
    ScanVersion,
    VersionIntensity,
    VersionLight,
    VersionAll,
    VersionTrace,
    VersionDb,
    AllPorts,
    OsDetect,
    OsscanLimit,
    OsscanGuess,
    MaxOsTries,
}

/// The sections of the help text, in Nmap's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Target,
    Discovery,
    Techniques,
    Ports,
    Version,
    Scripts,
    Os,
    Timing,
    Evasion,
    Output,
    Misc,
}

impl Section {
    const ALL: [Section; 11] = [
        Section::Target,
        Section::Discovery,
        Section::Techniques,
        Section::Ports,
        Section::Version,
        Section::Scripts,
        Section::Os,
        Section::Timing,
        Section::Evasion,
        Section::Output,
        Section::Misc,
    ];

    fn title(self) -> &'static str {
        match self {
            Section::Target => "TARGET SPECIFICATION",
            Section::Discovery => "HOST DISCOVERY",
            Section::Techniques => "SCAN TECHNIQUES",
            Section::Ports => "PORT SPECIFICATION AND SCAN ORDER",
            Section::Version => "SERVICE/VERSION DETECTION",
            Section::Scripts => "SCRIPT SCAN",
            Section::Os => "OS DETECTION",
            Section::Timing => "TIMING AND PERFORMANCE",
            Section::Evasion => "FIREWALL/IDS EVASION AND SPOOFING",
            Section::Output => "OUTPUT",
            Section::Misc => "MISC",
        }
    }
}

/// One option.
#[derive(Debug)]
pub struct OptDef {
    /// `None`: recognised, but rejected with "not supported yet".
    pub id: Option<Id>,
    /// The first spelling is the canonical one (used in messages).
    pub spellings: &'static [Spelling],
    pub arg: Arg,
    /// The value's name in the help text (`<port ranges>`); empty for flags.
    pub metavar: &'static str,
    pub section: Section,
    /// One line of help; empty for aliases kept out of the help text.
    pub help: &'static str,
}

impl OptDef {
    pub fn supported(&self) -> bool {
        self.id.is_some()
    }
    /// The canonical spelling, as messages name the option.
    pub fn name(&self) -> String {
        self.spellings.first().map_or_else(String::new, |s| s.display())
    }
}

use Arg::{None as Flag, Optional as Opt, Required as Req};
use Spelling::{Dash1, Long, Ping, Scan, Short};

const fn yes(
    id: Id,
    spellings: &'static [Spelling],
    arg: Arg,
    metavar: &'static str,
    section: Section,
    help: &'static str,
) -> OptDef {
    OptDef { id: Some(id), spellings, arg, metavar, section, help }
}

const fn later(
    spellings: &'static [Spelling],
    arg: Arg,
    metavar: &'static str,
    section: Section,
    help: &'static str,
) -> OptDef {
    OptDef { id: None, spellings, arg, metavar, section, help }
}

use Section as S;

/// Every option, in help-text order.
#[rustfmt::skip]
pub static OPTIONS: &[OptDef] = &[
    // TARGET SPECIFICATION
    yes(Id::InputList, &[Dash1("iL")], Req, "<file>", S::Target, "Read targets from a file ('-' for standard input)"),
    yes(Id::RandomTargets, &[Dash1("iR")], Req, "<count>", S::Target, "Pick random Internet targets (0: no limit)"),
    yes(Id::Exclude, &[Long("exclude")], Req, "<host1[,host2],...>", S::Target, "Leave these hosts or networks out"),
    yes(Id::ExcludeFile, &[Long("excludefile")], Req, "<file>", S::Target, "Leave out the hosts listed in a file"),
    // HOST DISCOVERY
    yes(Id::ListScan, &[Scan('L')], Flag, "", S::Discovery, "List scan: print the targets, send them nothing"),
    yes(Id::PingScan, &[Scan('n'), Scan('P')], Flag, "", S::Discovery, "Find which hosts are up, scan no ports"),
    yes(Id::NoPing, &[Ping('n'), Ping('0'), Ping('N')], Flag, "", S::Discovery, "Skip host discovery: treat every host as up"),
    yes(Id::PingSyn, &[Ping('S')], Opt, "[portlist]", S::Discovery, "TCP discovery probes to these ports (default 80)"),
    yes(Id::PingAck, &[Ping('A')], Opt, "[portlist]", S::Discovery, "TCP ACK discovery probes to these ports (default 80)"),
    yes(Id::PingUdp, &[Ping('U')], Opt, "[portlist]", S::Discovery, "UDP discovery probes to these ports (default 40125)"),
    yes(Id::PingSctp, &[Ping('Y')], Opt, "[portlist]", S::Discovery, "SCTP INIT discovery probes to these ports (default 80)"),
    yes(Id::PingEcho, &[Ping('E')], Flag, "", S::Discovery, "ICMP echo request discovery probes"),
    yes(Id::PingTimestamp, &[Ping('P')], Flag, "", S::Discovery, "ICMP timestamp request discovery probes"),
    yes(Id::PingMask, &[Ping('M')], Flag, "", S::Discovery, "ICMP netmask request discovery probes"),
    yes(Id::PingProto, &[Ping('O')], Opt, "[protocol list]", S::Discovery, "IP protocol discovery probes (protocols 0-255, default 1,2,4)"),
    yes(Id::PingArp, &[Ping('R')], Flag, "", S::Discovery, "ARP (IPv6: neighbour) discovery on the local network"),
    yes(Id::NoDns, &[Short('n')], Flag, "", S::Discovery, "Never resolve addresses to names"),
    yes(Id::AlwaysDns, &[Short('R')], Flag, "", S::Discovery, "Resolve names of every target, up or down"),
    later(&[Long("dns-servers")], Req, "<serv1[,serv2],...>", S::Discovery, "Use these DNS servers"),
    later(&[Long("system-dns")], Flag, "", S::Discovery, "Resolve names through the operating system"),
    yes(Id::Traceroute, &[Long("traceroute")], Flag, "", S::Discovery, "Trace the path to each host"),
    yes(Id::DisableArpPing, &[Long("disable-arp-ping")], Flag, "", S::Discovery, "No ARP/neighbour discovery, even on the local network"),
    // SCAN TECHNIQUES
    yes(Id::ScanConnect, &[Scan('T')], Flag, "", S::Techniques, "TCP connect scan through the operating system"),
    yes(Id::ScanRaw, &[Scan('S')], Flag, "", S::Techniques, "TCP SYN scan (raw packets; the default with privileges)"),
    yes(Id::ScanRaw, &[Scan('A')], Flag, "", S::Techniques, "TCP ACK scan: filtered or unfiltered"),
    yes(Id::ScanRaw, &[Scan('W')], Flag, "", S::Techniques, "TCP window scan: ACK scan that reads the RST window"),
    yes(Id::ScanRaw, &[Scan('M')], Flag, "", S::Techniques, "TCP Maimon scan (FIN/ACK probes)"),
    yes(Id::ScanUdp, &[Scan('U')], Flag, "", S::Techniques, "UDP scan"),
    yes(Id::ScanRaw, &[Scan('N')], Flag, "", S::Techniques, "TCP null scan (no flags set)"),
    yes(Id::ScanRaw, &[Scan('F')], Flag, "", S::Techniques, "TCP FIN scan"),
    yes(Id::ScanRaw, &[Scan('X')], Flag, "", S::Techniques, "TCP Xmas scan (FIN, PSH and URG)"),
    yes(Id::ScanFlags, &[Long("scanflags")], Req, "<flags>", S::Techniques, "TCP flags of the raw TCP scan: a number (9, 0x29) or names (URGACKPSHRSTSYNFIN)"),
    later(&[Scan('I')], Req, "<zombie host[:probeport]>", S::Techniques, "Idle scan through a zombie host"),
    yes(Id::ScanRaw, &[Scan('Y')], Flag, "", S::Techniques, "SCTP INIT scan"),
    yes(Id::ScanRaw, &[Scan('Z')], Flag, "", S::Techniques, "SCTP COOKIE-ECHO scan"),
    yes(Id::ScanRaw, &[Scan('O')], Flag, "", S::Techniques, "IP protocol scan: -p lists protocol numbers 0-255; use it alone"),
    later(&[Short('b')], Req, "<FTP relay host>", S::Techniques, "FTP bounce scan"),
    // PORT SPECIFICATION AND SCAN ORDER
    yes(Id::Ports, &[Short('p')], Req, "<port ranges>", S::Ports, "Scan these ports: -p22; -p1-1024; -p-; -pU:53,T:21-25,80"),
    yes(Id::ExcludePorts, &[Long("exclude-ports")], Req, "<port ranges>", S::Ports, "Leave these ports out"),
    yes(Id::Fast, &[Short('F')], Flag, "", S::Ports, "Fast: the 100 most common ports instead of 1,000"),
    yes(Id::Sequential, &[Short('r')], Flag, "", S::Ports, "Scan ports in order instead of shuffled"),
    yes(Id::TopPorts, &[Long("top-ports")], Req, "<number>", S::Ports, "Scan the <number> most common ports"),
    later(&[Long("port-ratio")], Req, "<ratio>", S::Ports, "Scan ports more common than <ratio>"),
    yes(Id::AllPorts, &[Long("allports")], Flag, "", S::Ports, "Version-probe every open port, even those the probe database excludes"),
    // SERVICE/VERSION DETECTION
    yes(Id::ScanVersion, &[Scan('V'), Scan('R')], Flag, "", S::Version, "Find out which service and version listens on open ports"),
    yes(Id::VersionIntensity, &[Long("version-intensity")], Req, "<level>", S::Version, "Probe intensity from 0 (light) to 9 (all)"),
    yes(Id::VersionLight, &[Long("version-light")], Flag, "", S::Version, "Intensity 2: the likeliest probes only"),
    yes(Id::VersionAll, &[Long("version-all")], Flag, "", S::Version, "Intensity 9: every probe"),
    yes(Id::VersionTrace, &[Long("version-trace")], Flag, "", S::Version, "Show what version detection does"),
    yes(Id::VersionDb, &[Long("versiondb")], Req, "<file>", S::Version, "Probe database to use (Nmap's nmap-service-probes format)"),
    // SCRIPT SCAN
    later(&[Scan('C')], Flag, "", S::Scripts, "The default scripts (--script=default)"),
    later(&[Long("script")], Req, "<scripts>", S::Scripts, "Run scripts: files, directories or categories, comma separated"),
    later(&[Long("script-args")], Req, "<n1=v1,[n2=v2,...]>", S::Scripts, "Arguments for the scripts"),
    later(&[Long("script-args-file")], Req, "<file>", S::Scripts, "Script arguments from a file"),
    later(&[Long("script-trace")], Flag, "", S::Scripts, "Show what scripts send and receive"),
    later(&[Long("script-updatedb")], Flag, "", S::Scripts, "Rebuild the script database"),
    later(&[Long("script-help")], Req, "<scripts>", S::Scripts, "Describe scripts"),
    later(&[Long("script-timeout")], Req, "<time>", S::Scripts, ""),
    // OS DETECTION
    yes(Id::OsDetect, &[Short('O')], Opt, "", S::Os, "Find out the operating system (raw packets)"),
    yes(Id::OsscanLimit, &[Long("osscan-limit")], Flag, "", S::Os, "Only guess the OS of promising hosts (an open and a closed port)"),
    yes(Id::OsscanGuess, &[Long("osscan-guess"), Long("fuzzy")], Flag, "", S::Os, "Guess the OS more boldly: print close matches too"),
    yes(Id::MaxOsTries, &[Long("max-os-tries")], Req, "<number>", S::Os, "Tries of OS detection against one host (default 5)"),
    // TIMING AND PERFORMANCE
    yes(Id::Timing, &[Short('T')], Req, "<0-5>", S::Timing, "Timing template: 0-5 or paranoid|sneaky|polite|normal|aggressive|insane"),
    yes(Id::MinHostgroup, &[Long("min-hostgroup")], Req, "<size>", S::Timing, "Scan at least this many hosts at once"),
    yes(Id::MaxHostgroup, &[Long("max-hostgroup")], Req, "<size>", S::Timing, "Scan at most this many hosts at once"),
    yes(Id::MinParallelism, &[Long("min-parallelism")], Req, "<probes>", S::Timing, "Keep at least this many probes in flight"),
    yes(Id::MaxParallelism, &[Long("max-parallelism"), Short('M')], Req, "<probes>", S::Timing, "Keep at most this many probes in flight"),
    yes(Id::MinRttTimeout, &[Long("min-rtt-timeout")], Req, "<time>", S::Timing, "Lower bound of the probe timeout"),
    yes(Id::MaxRttTimeout, &[Long("max-rtt-timeout")], Req, "<time>", S::Timing, "Upper bound of the probe timeout (at least 5ms)"),
    yes(Id::InitialRttTimeout, &[Long("initial-rtt-timeout")], Req, "<time>", S::Timing, "Probe timeout before any reply is timed"),
    yes(Id::MaxRetries, &[Long("max-retries")], Req, "<tries>", S::Timing, "Resend a port probe at most this often"),
    yes(Id::HostTimeout, &[Long("host-timeout")], Req, "<time>", S::Timing, "Give up on a host after this long (0: never)"),
    yes(Id::ScanDelay, &[Long("scan-delay")], Req, "<time>", S::Timing, "Wait at least this long between probes"),
    yes(Id::MaxScanDelay, &[Long("max-scan-delay")], Req, "<time>", S::Timing, "Never wait longer than this between probes"),
    yes(Id::MinRate, &[Long("min-rate")], Req, "<number>", S::Timing, "Send at least <number> packets per second"),
    yes(Id::MaxRate, &[Long("max-rate")], Req, "<number>", S::Timing, "Send at most <number> packets per second"),
    later(&[Long("defeat-rst-ratelimit")], Flag, "", S::Timing, ""),
    later(&[Long("defeat-icmp-ratelimit")], Flag, "", S::Timing, ""),
    later(&[Long("stats-every")], Req, "<time>", S::Timing, ""),
    // FIREWALL/IDS EVASION AND SPOOFING
    yes(Id::Fragment, &[Short('f')], Flag, "", S::Evasion, "Fragment raw TCP probes: 8 bytes per fragment, -ff 16"),
    yes(Id::Mtu, &[Long("mtu")], Req, "<val>", S::Evasion, "Fragment with this many bytes per fragment (a multiple of 8)"),
    yes(Id::Decoys, &[Short('D')], Req, "<decoy1,decoy2[,ME],...>", S::Evasion, "Hide the scan among decoys (addresses, names, ME, RND, RND:<n>)"),
    yes(Id::SourceAddr, &[Short('S')], Req, "<IP address>", S::Evasion, "Spoof the source address"),
    yes(Id::Interface, &[Short('e')], Req, "<iface>", S::Evasion, "Send through this network interface"),
    yes(Id::SourcePort, &[Short('g'), Long("source-port")], Req, "<portnum>", S::Evasion, "Send from this source port"),
    later(&[Long("proxies")], Req, "<url1,[url2],...>", S::Evasion, "Connect through HTTP/SOCKS4 proxies"),
    yes(Id::Data, &[Long("data")], Req, "<hex string>", S::Evasion, "Append these bytes to probes: 0xdeadbeef or \\xde\\xad\\xbe\\xef"),
    yes(Id::DataString, &[Long("data-string")], Req, "<string>", S::Evasion, "Append this text to probes"),
    yes(Id::DataLength, &[Long("data-length")], Req, "<num>", S::Evasion, "Append this many random bytes to probes (0-65435)"),
    yes(Id::IpOptions, &[Long("ip-options")], Req, "<options>", S::Evasion, "Send IP options: R, T, U, \"L <addr>...\", \"S <addr>...\" or hex \\x01\\x07..."),
    yes(Id::Ttl, &[Long("ttl")], Req, "<val>", S::Evasion, "Set the IP time-to-live (0-255)"),
    yes(Id::SpoofMac, &[Long("spoof-mac")], Req, "<mac address/prefix/vendor name>", S::Evasion, "Spoof the MAC address (0: random)"),
    yes(Id::Badsum, &[Long("badsum")], Flag, "", S::Evasion, "Send packets with a wrong TCP/UDP/SCTP checksum"),
    // OUTPUT
    yes(Id::OutNormal, &[Dash1("oN")], Req, "<file>", S::Output, "Normal output to a file ('-': standard output)"),
    yes(Id::OutXml, &[Dash1("oX")], Req, "<file>", S::Output, "XML output to a file"),
    later(&[Dash1("oS")], Req, "<file>", S::Output, "Script-kiddie output to a file"),
    yes(Id::OutGrepable, &[Dash1("oG"), Dash1("oM")], Req, "<file>", S::Output, "Grepable output to a file"),
    yes(Id::OutJson, &[Dash1("oJ")], Req, "<file>", S::Output, "JSON report to a file"),
    yes(Id::OutAll, &[Dash1("oA")], Req, "<basename>", S::Output, "Normal, XML and grepable output: <basename>.nmap, .xml, .gnmap"),
    yes(Id::StreamJson, &[Long("stream-json")], Flag, "", S::Output, "Write one JSON event per line to standard output"),
    yes(Id::Verbose, &[Short('v')], Opt, "", S::Output, "More verbose (-vv or -v<level> for more)"),
    yes(Id::Debug, &[Short('d')], Opt, "", S::Output, "More debugging output (-dd or -d<level> for more)"),
    yes(Id::Reason, &[Long("reason")], Flag, "", S::Output, "Say why each port is in its state"),
    yes(Id::Open, &[Long("open")], Flag, "", S::Output, "Show only open (or possibly open) ports"),
    yes(Id::PacketTrace, &[Long("packet-trace")], Flag, "", S::Output, "Show every probe sent and reply received"),
    yes(Id::Iflist, &[Long("iflist")], Flag, "", S::Output, "Print the interfaces and routes and exit"),
    yes(Id::AppendOutput, &[Long("append-output")], Flag, "", S::Output, "Append to output files instead of overwriting them"),
    yes(Id::History, &[Long("history")], Req, "<path|URL>", S::Output, "Record the scan in this history (SQLite file or postgres://...; default $PORTOLAN_HISTORY or the user's data directory)"),
    yes(Id::NoHistory, &[Long("no-history")], Flag, "", S::Output, "Do not record this scan in the history"),
    later(&[Long("resume")], Req, "<file>", S::Output, "Resume an interrupted scan"),
    later(&[Long("noninteractive")], Flag, "", S::Output, "Ignore the keyboard while scanning"),
    later(&[Long("stylesheet")], Req, "<path/URL>", S::Output, "XSL stylesheet named in the XML output"),
    later(&[Long("webxml")], Flag, "", S::Output, "Name the stylesheet on nmap.org in the XML output"),
    later(&[Long("no-stylesheet")], Flag, "", S::Output, "Name no stylesheet in the XML output"),
    // MISC
    yes(Id::Ipv6, &[Short('6')], Flag, "", S::Misc, "Scan over IPv6"),
    later(&[Short('A')], Flag, "", S::Misc, "OS and version detection, default scripts and traceroute"),
    yes(Id::Datadir, &[Long("datadir")], Req, "<dirname>", S::Misc, "Read data files (services, probes...) from this directory"),
    yes(Id::SendEth, &[Long("send-eth")], Flag, "", S::Misc, "Send raw Ethernet frames"),
    yes(Id::SendIp, &[Long("send-ip")], Flag, "", S::Misc, "Send raw IP packets"),
    yes(Id::Privileged, &[Long("privileged")], Flag, "", S::Misc, "Assume raw-packet privileges"),
    yes(Id::Unprivileged, &[Long("unprivileged")], Flag, "", S::Misc, "Act as if without raw-packet privileges (connect scan)"),
    yes(Id::Version, &[Short('V'), Long("version")], Flag, "", S::Misc, "Print the version and exit"),
    yes(Id::Help, &[Short('h'), Long("help")], Flag, "", S::Misc, "Print this help and exit"),
];

/// The options with a long name (either dash count) and that name.
pub fn long_names() -> impl Iterator<Item = (&'static str, &'static OptDef)> {
    OPTIONS.iter().flat_map(|d| {
        d.spellings.iter().filter_map(move |s| match s {
            Spelling::Long(n) | Spelling::Dash1(n) => Some((*n, d)),
            _ => None,
        })
    })
}

pub fn find(spelling: Spelling) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|d| d.spellings.contains(&spelling))
}

/// Single letters that start a short option: the table's `Short`s plus the clusters `-s`, `-P` and the
/// `-o` prefix of the output options.
pub fn is_short_letter(c: char) -> bool {
    matches!(c, 's' | 'P' | 'o') || find(Spelling::Short(c)).is_some()
}

/// Portolan's `--help`, generated from [`OPTIONS`].
pub fn help_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(render_help)
}

fn render_help() -> String {
    let mut out = String::new();
    out.push_str(concat!("Portolan ", env!("CARGO_PKG_VERSION"), ": a network mapper with Nmap's options\n"));
    out.push_str("Usage: portolan [Scan Type(s)] [Options] {target specification}\n");
    out.push_str("Options marked (not yet) are recognised but refused in this version.\n");
    for section in Section::ALL {
        out.push_str(section.title());
        out.push_str(":\n");
        if section == Section::Target {
            out.push_str("  Targets are host names, addresses, networks (CIDR) and octet ranges:\n");
            out.push_str("  Ex: localhost, 198.18.0.1, 198.18.0.0/24, 198.18.0-3.1-254, ::1\n");
        }
        if section == Section::Timing {
            out.push_str("  <time> is in seconds unless it ends in ms, s, m or h (e.g. 500ms, 30m).\n");
        }
        for d in OPTIONS.iter().filter(|d| d.section == section && !d.help.is_empty()) {
            // Old aliases (-sP, -P0, -oM, -M) keep working but are not advertised; long twins are.
            let names: Vec<String> = d
                .spellings
                .iter()
                .enumerate()
                .filter(|(i, s)| *i == 0 || matches!(s, Spelling::Long(_)))
                .map(|(_, s)| s.display())
                .collect();
            let mut head = names.join("/");
            if !d.metavar.is_empty() {
                if d.arg != Arg::Optional {
                    head.push(' ');
                }
                head.push_str(d.metavar);
            }
            let mark = if d.supported() { "" } else { " (not yet)" };
            out.push_str(&format!("  {head}: {}{mark}\n", d.help));
        }
    }
    out.push_str("EXAMPLES:\n");
    out.push_str("  portolan -v -sT -p 22,80,443 198.18.0.0/24\n");
    out.push_str("  portolan -sn -n 198.18.0.0/16\n");
    out.push_str("  portolan -p- -T4 --open -oA scan localhost\n");
    out
}
