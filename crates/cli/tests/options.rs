//! The `portolan` option parser against Nmap's syntax: every option of `nmap --help` is known, each accepted
//! option lands in the right plan field, bad input gives one exact line and exit code 2, and
//! `parse(plan.to_args()) == plan` for hand-picked and randomly built plans.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portolan_cli::options::{OptionError, ParseOutcome, help_text, parse_args, table};
use portolan_model::{
    DiscoveryMode, DnsMode, PortRange, PortSelection, PortSpec, ScanPlan, ScanType, TimingTemplate,
};
use std::path::PathBuf;
use std::time::Duration;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn parse(s: &str) -> Result<ParseOutcome, OptionError> {
    parse_args(&words(s))
}

/// Parses `opts` followed by a target and expects a plan.
fn plan(opts: &str) -> ScanPlan {
    let mut args = words(opts);
    args.push("198.18.0.1".into());
    match parse_args(&args) {
        Ok(ParseOutcome::Plan(p)) => p,
        other => panic!("{opts}: expected a plan, got {other:?}"),
    }
}

fn err(s: &str) -> String {
    match parse(s) {
        Err(e) => {
            assert_eq!(e.exit_code(), 2, "{s}");
            let msg = e.to_string();
            assert!(msg.starts_with("portolan: ") && !msg.contains('\n'), "{s}: {msg:?}");
            msg
        }
        Ok(o) => panic!("{s}: expected an error, got {o:?}"),
    }
}

fn base() -> ScanPlan {
    let mut p = ScanPlan::new();
    p.targets = vec!["198.18.0.1".into()];
    p
}

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

type Edit = fn(&mut ScanPlan);

#[test]
fn each_option_sets_its_field() {
    let cases: &[(&str, Edit)] = &[
        ("", |_| {}),
        ("-sT", |p| p.scan_types = vec![ScanType::Connect]),
        ("-sU", |p| p.scan_types = vec![ScanType::Udp]),
        ("-sTU", |p| p.scan_types = vec![ScanType::Connect, ScanType::Udp]),
        ("-sUT", |p| p.scan_types = vec![ScanType::Udp, ScanType::Connect]),
        ("-sU -sT -sU", |p| p.scan_types = vec![ScanType::Udp, ScanType::Connect]),
        ("-sn", |p| p.discovery = DiscoveryMode::DiscoveryOnly),
        ("-sP", |p| p.discovery = DiscoveryMode::DiscoveryOnly),
        ("-sL", |p| p.discovery = DiscoveryMode::ListOnly),
        ("-sL -sn", |p| p.discovery = DiscoveryMode::ListOnly),
        ("-sL -Pn", |p| p.discovery = DiscoveryMode::ListOnly),
        ("-Pn", |p| p.discovery = DiscoveryMode::SkipDiscovery),
        ("-P0", |p| p.discovery = DiscoveryMode::SkipDiscovery),
        ("-PS22,80", |p| p.discovery_tcp_ports = vec![22, 80]),
        ("-PS80,22,20-21", |p| p.discovery_tcp_ports = vec![20, 21, 22, 80]),
        ("-PS", |p| p.discovery_tcp_ports = vec![80]),
        ("-sn -PS443", |p| {
            p.discovery = DiscoveryMode::DiscoveryOnly;
            p.discovery_tcp_ports = vec![443];
        }),
        ("-p 22", |p| p.ports = PortSelection::Spec(PortSpec::parse("22").unwrap())),
        ("-p22", |p| p.ports = PortSelection::Spec(PortSpec::parse("22").unwrap())),
        ("-p1-100,T:443,U:53", |p| p.ports = PortSelection::Spec(PortSpec::parse("1-100,T:443,U:53").unwrap())),
        ("-p-", |p| p.ports = PortSelection::Spec(PortSpec::parse("1-65535").unwrap())),
        ("-p -", |p| p.ports = PortSelection::Spec(PortSpec::parse("1-65535").unwrap())),
        ("-F", |p| p.ports = PortSelection::Fast),
        ("--top-ports 25", |p| p.ports = PortSelection::Top(25)),
        ("--top-ports=25", |p| p.ports = PortSelection::Top(25)),
        ("-F --top-ports 25", |p| p.ports = PortSelection::Top(25)),
        ("--exclude-ports 1-10,U:53", |p| p.exclude_ports = Some(PortSpec::parse("1-10,U:53").unwrap())),
        ("-r", |p| p.randomize_ports = false),
        ("-T0", |p| p.timing.template = TimingTemplate::Paranoid),
        ("-T4", |p| p.timing.template = TimingTemplate::Aggressive),
        ("-T 4", |p| p.timing.template = TimingTemplate::Aggressive),
        ("-Tinsane", |p| p.timing.template = TimingTemplate::Insane),
        ("-TPolite", |p| p.timing.template = TimingTemplate::Polite),
        ("-T5 -T1", |p| p.timing.template = TimingTemplate::Sneaky),
        ("-n", |p| p.dns = DnsMode::Never),
        ("-R", |p| p.dns = DnsMode::Always),
        ("-nR", |p| p.dns = DnsMode::Always),
        ("-v", |p| p.verbosity = 1),
        ("-vv", |p| p.verbosity = 2),
        ("-vvv", |p| p.verbosity = 3),
        ("-v -v", |p| p.verbosity = 2),
        ("-v3", |p| p.verbosity = 3),
        ("-v -v0", |p| p.verbosity = 0),
        ("-nv", |p| {
            p.dns = DnsMode::Never;
            p.verbosity = 1;
        }),
        ("-d", |p| p.debug = 1),
        ("-dd", |p| p.debug = 2),
        ("-d2", |p| p.debug = 2),
        ("--reason", |p| p.reason = true),
        ("--open", |p| p.open_only = true),
        ("-open", |p| p.open_only = true),
        ("--packet-trace", |p| p.packet_trace = true),
        ("--append-output", |p| p.outputs.append = true),
        ("--stream-json", |p| p.outputs.stream_json = true),
        ("-oN scan.txt", |p| p.outputs.normal = Some("scan.txt".into())),
        ("-oN -", |p| p.outputs.normal = Some("-".into())),
        ("-oX scan.xml", |p| p.outputs.xml = Some("scan.xml".into())),
        ("-oG scan.gnmap", |p| p.outputs.grepable = Some("scan.gnmap".into())),
        ("-oJ scan.json", |p| p.outputs.json = Some("scan.json".into())),
        ("-oA base", |p| p.outputs.all_base = Some("base".into())),
        ("-oN a -oN b", |p| p.outputs.normal = Some("b".into())),
        ("-oX=x.xml", |p| p.outputs.xml = Some("x.xml".into())),
        ("-iR 7", |p| p.random_targets = Some(7)),
        ("-iR 0", |p| p.random_targets = Some(0)),
        ("-iL -", |p| p.input_list = Some("-".into())),
        ("--exclude 198.18.0.5,198.18.1.0/24", |p| p.exclude = vec!["198.18.0.5".into(), "198.18.1.0/24".into()]),
        ("--exclude 198.18.0.5 --exclude 198.18.0.6", |p| p.exclude = vec!["198.18.0.6".into()]),
        ("-6", |p| {
            p.ipv6 = true;
            p.targets = vec!["::1".into()];
        }),
        ("-e lo", |p| p.interface = Some("lo".into())),
        ("-elo", |p| p.interface = Some("lo".into())),
        ("--datadir /usr/share/portolan", |p| p.datadir = Some("/usr/share/portolan".into())),
        ("--min-rate 100", |p| p.timing.min_rate = Some(100.0)),
        ("--min-rate=100", |p| p.timing.min_rate = Some(100.0)),
        ("-min-rate 100", |p| p.timing.min_rate = Some(100.0)),
        ("-min-rate=100", |p| p.timing.min_rate = Some(100.0)),
        ("--min-rate 0.5", |p| p.timing.min_rate = Some(0.5)),
        ("--max-rate 1000", |p| p.timing.max_rate = Some(1000.0)),
        ("--min-rate 5 --max-rate 5", |p| {
            p.timing.min_rate = Some(5.0);
            p.timing.max_rate = Some(5.0);
        }),
        ("--max-retries 0", |p| p.timing.max_retries = Some(0)),
        ("--host-timeout 30m", |p| p.timing.host_timeout = ms(1_800_000)),
        ("--host-timeout 0", |p| p.timing.host_timeout = ms(0)),
        ("--scan-delay 500ms", |p| p.timing.scan_delay = ms(500)),
        ("--scan-delay 0.5", |p| p.timing.scan_delay = ms(500)),
        ("--max-scan-delay 2s", |p| p.timing.max_scan_delay = ms(2000)),
        ("--min-rtt-timeout 1m", |p| p.timing.min_rtt_timeout = ms(60_000)),
        ("--max-rtt-timeout 1h", |p| p.timing.max_rtt_timeout = ms(3_600_000)),
        ("--initial-rtt-timeout 2", |p| p.timing.initial_rtt_timeout = ms(2000)),
        ("--initial-rtt-timeout 1.5ms", |p| p.timing.initial_rtt_timeout = ms(2)),
        ("--min-parallelism 3", |p| p.timing.min_parallelism = Some(3)),
        ("--max-parallelism 9", |p| p.timing.max_parallelism = Some(9)),
        ("-M9", |p| p.timing.max_parallelism = Some(9)),
        ("--min-hostgroup 0", |p| p.timing.min_hostgroup = Some(0)),
        ("--max-hostgroup 64", |p| p.timing.max_hostgroup = Some(64)),
        // Unique prefixes of long options, as getopt allows.
        ("--top 5", |p| p.ports = PortSelection::Top(5)),
        ("--max-ret 2", |p| p.timing.max_retries = Some(2)),
        ("-pack", |p| p.packet_trace = true),
    ];
    for (opts, edit) in cases {
        let mut want = base();
        edit(&mut want);
        let mut args = words(opts);
        if want.targets != ["198.18.0.1"] {
            args.extend(want.targets.iter().cloned());
        } else {
            args.push("198.18.0.1".into());
        }
        match parse_args(&args) {
            Ok(ParseOutcome::Plan(got)) => assert_eq!(got, want, "{opts}"),
            other => panic!("{opts}: {other:?}"),
        }
    }
}

#[test]
fn targets_anywhere_and_after_double_dash() {
    let p = plan("198.18.0.2 -p 22 198.18.0.3 -n");
    assert_eq!(p.targets, ["198.18.0.2", "198.18.0.3", "198.18.0.1"]);
    assert_eq!(p.dns, DnsMode::Never);
    match parse("-n -- 198.18.0.2 -p") {
        // After `--` every word is a target, so "-p" reaches the target parser.
        Ok(ParseOutcome::Plan(p)) => assert_eq!(p.targets, ["198.18.0.2", "-p"]),
        Err(OptionError::Target { target, .. }) => assert_eq!(target, "-p"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn help_and_version() {
    for s in ["-h", "--help", "-help", "-n -h", "198.18.0.1 --help", "--he", "-nh"] {
        assert_eq!(parse(s).unwrap(), ParseOutcome::Help, "{s}");
    }
    for s in ["-V", "--version", "-version", "-p 22 -V"] {
        assert_eq!(parse(s).unwrap(), ParseOutcome::Version, "{s}");
    }
    // Help stops parsing like Nmap: what follows it is never looked at.
    assert_eq!(parse("-h --no-such-option").unwrap(), ParseOutcome::Help);
    let h = help_text();
    for d in table::OPTIONS.iter().filter(|d| !d.help.is_empty()) {
        let line = h
            .lines()
            .find(|l| l.trim_start().starts_with(&d.name()))
            .unwrap_or_else(|| panic!("{} missing from help", d.name()));
        assert_eq!(line.ends_with("(not yet)"), !d.supported(), "{line}");
    }
    assert!(h.contains("HOST DISCOVERY:") && h.contains("TIMING AND PERFORMANCE:"));
}

/// Every unsupported option of Nmap is named exactly; option values are consumed, so the message names the
/// option and not its argument.
#[test]
fn version_detection_options() {
    let p = plan("-sV");
    assert!(p.service_detection);
    assert_eq!(p.version, Default::default());
    let p = plan("-sTV --version-all --version-trace --allports --versiondb /tmp/probes");
    assert!(p.service_detection && p.scan_types.contains(&ScanType::Connect));
    assert_eq!(p.version.intensity, Some(9));
    assert!(p.version.trace && p.version.all_ports);
    assert_eq!(p.version.db.as_deref(), Some(std::path::Path::new("/tmp/probes")));
    // The last intensity option wins, as in Nmap; the canonical command line parses back to the same plan.
    let p = plan("-sV --version-light --version-intensity 5");
    assert_eq!(p.version.intensity, Some(5));
    match parse_args(&p.to_args()) {
        Ok(ParseOutcome::Plan(again)) => assert_eq!(again, p),
        other => panic!("{other:?}"),
    }
    assert!(err("-sV --version-intensity 10 198.18.0.1").contains("between 0 and 9"));
    assert!(err("-sV --version-intensity x 198.18.0.1").contains("between 0 and 9"));
    let empty: Vec<String> = ["-sV", "--versiondb", "", "198.18.0.1"].map(str::to_owned).to_vec();
    assert!(parse_args(&empty).unwrap_err().to_string().contains("--versiondb"));
}

#[test]
fn os_detection_options() {
    let p = plan("-O");
    assert!(p.os_detection && p.needs_raw());
    assert_eq!(p.os, Default::default());
    let p = plan("-O2 --osscan-limit --fuzzy --max-os-tries 2");
    assert!(p.os_detection && p.os.limit && p.os.guess);
    assert_eq!(p.os.max_tries, Some(2));
    match parse_args(&p.to_args()) {
        Ok(ParseOutcome::Plan(again)) => assert_eq!(again, p),
        other => panic!("{other:?}"),
    }
    assert!(err("-O1 198.18.0.1").contains("only -O"));
    assert!(err("-O --max-os-tries 0 198.18.0.1").contains("between 1 and 50"));
}

#[test]
fn unsupported_options_are_named() {
    let cases = [
        ("-A", "-A"),
        ("-sC", "-sC"),
        ("-sI 198.18.0.9", "-sI"),
        ("--script default", "--script"),
        ("--script=default,safe", "--script"),
        ("-script vuln", "--script"),
        ("-oS kiddie.txt", "-oS"),
        ("-sSI 198.18.0.9", "-sI"),
        ("-b ftp.example", "-b"),
        ("--proxies socks4://198.18.0.9:1080", "--proxies"),
    ];
    for (s, name) in cases {
        let msg = err(&format!("{s} 198.18.0.1"));
        assert_eq!(msg, format!("portolan: option {name} is not supported yet"), "{s}");
    }
}

#[test]
fn bad_input_gives_one_exact_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing = missing.display();
    let cases: Vec<(String, String)> = vec![
        ("--foo 198.18.0.1".into(), "portolan: unrecognized option '--foo'".into()),
        ("--foo=bar 198.18.0.1".into(), "portolan: unrecognized option '--foo'".into()),
        ("-foo 198.18.0.1".into(), "portolan: unrecognized option '-foo'".into()),
        ("-sQ 198.18.0.1".into(), "portolan: unrecognized option '-sQ'".into()),
        ("-PQ 198.18.0.1".into(), "portolan: unrecognized option '-PQ'".into()),
        ("-nz 198.18.0.1".into(), "portolan: unrecognized option '-nz'".into()),
        ("-p 70000 198.18.0.1".into(), "portolan: -p: port number '70000' is out of range (0-65535)".into()),
        ("-p 10-5 198.18.0.1".into(), "portolan: -p: port range '10-5' runs backwards".into()),
        ("-p 22 -p 23 198.18.0.1".into(), "portolan: only one -p option is allowed; separate ranges with commas".into()),
        (
            "--exclude-ports 1-100000 198.18.0.1".into(),
            "portolan: --exclude-ports: port number '1-100000' is out of range (0-65535)".into(),
        ),
        ("-PS70000 198.18.0.1".into(), "portolan: -PS: port number '70000' is out of range (0-65535)".into()),
        ("-p".into(), "portolan: option '-p' requires an argument".into()),
        ("198.18.0.1 --min-rate".into(), "portolan: option '--min-rate' requires an argument".into()),
        ("198.18.0.1 -iL".into(), "portolan: option '-iL' requires an argument".into()),
        ("--open=yes 198.18.0.1".into(), "portolan: option '--open' doesn't allow an argument".into()),
        (
            "--min 5 198.18.0.1".into(),
            "portolan: option '--min' is ambiguous; possibilities: '--min-hostgroup' '--min-parallelism' \
             '--min-rtt-timeout' '--min-rate'"
                .into(),
        ),
        ("".into(), "portolan: no targets were specified".into()),
        ("-sT -p 22 -n".into(), "portolan: no targets were specified".into()),
        (format!("-iL {missing}"), format!("portolan: -iL: cannot read '{missing}': No such file or directory")),
        (
            format!("--excludefile {missing} 198.18.0.1"),
            format!("portolan: --excludefile: cannot read '{missing}': No such file or directory"),
        ),
        (
            format!("-iL {}", dir.path().display()),
            format!("portolan: -iL: cannot read '{}': Is a directory", dir.path().display()),
        ),
        (
            "-T6 198.18.0.1".into(),
            "portolan: -T: unknown timing template '6' (use 0-5 or paranoid, sneaky, polite, normal, aggressive, \
             insane)"
                .into(),
        ),
        (
            "--min-rate 100 --max-rate 10 198.18.0.1".into(),
            "portolan: --min-rate 100 must not be greater than --max-rate 10".into(),
        ),
        (
            "--min-parallelism 10 --max-parallelism 5 198.18.0.1".into(),
            "portolan: --min-parallelism 10 must not be greater than --max-parallelism 5".into(),
        ),
        (
            "--min-hostgroup 10 --max-hostgroup 5 198.18.0.1".into(),
            "portolan: --min-hostgroup 10 must not be greater than --max-hostgroup 5".into(),
        ),
        ("--min-rate 0 198.18.0.1".into(), "portolan: --min-rate: '0' is not a positive number of packets per second".into()),
        ("--max-rate nan 198.18.0.1".into(), "portolan: --max-rate: 'nan' is not a positive number of packets per second".into()),
        ("--max-retries x 198.18.0.1".into(), "portolan: --max-retries: 'x' is not a whole number".into()),
        ("--max-retries -1 198.18.0.1".into(), "portolan: --max-retries: '-1' is not a whole number".into()),
        ("--max-parallelism 0 198.18.0.1".into(), "portolan: --max-parallelism: '0' must be at least 1".into()),
        ("--top-ports 0 198.18.0.1".into(), "portolan: --top-ports: '0' must be 1 or greater".into()),
        ("-iR x".into(), "portolan: -iR: 'x' is not a whole number".into()),
        (
            "--host-timeout 5x 198.18.0.1".into(),
            "portolan: --host-timeout: invalid time '5x' (seconds, or a number with ms, s, m or h: 500ms, 2s, 1m, 1h)"
                .into(),
        ),
        ("--max-rtt-timeout 1ms 198.18.0.1".into(), "portolan: --max-rtt-timeout: '1ms' is too short (at least 5ms)".into()),
        ("--initial-rtt-timeout 0 198.18.0.1".into(), "portolan: --initial-rtt-timeout: '0' must be greater than zero".into()),
        ("-vx 198.18.0.1".into(), "portolan: -v: invalid level 'x' (use -v, -vv or -v<number>)".into()),
        ("-v300 198.18.0.1".into(), "portolan: -v: level '300' is out of range (0-255)".into()),
        (
            "-sn -p 22 198.18.0.1".into(),
            "portolan: -p cannot be used with -sn, which scans no ports".into(),
        ),
        ("-sL -F 198.18.0.1".into(), "portolan: -F cannot be used with -sL, which scans no ports".into()),
        (
            "-sL -sT 198.18.0.1".into(),
            "portolan: -sL scans no ports, so it cannot be combined with -sT".into(),
        ),
        ("-sUn 198.18.0.1".into(), "portolan: -sn scans no ports, so it cannot be combined with -sU".into()),
        (
            "-p 22 -F 198.18.0.1".into(),
            "portolan: -F cannot be combined with -p (use --top-ports N to scan the N most common ports)".into(),
        ),
        ("-p 22 --top-ports 5 198.18.0.1".into(), "portolan: option -p together with --top-ports is not supported yet".into()),
        ("-sn -Pn 198.18.0.1".into(), "portolan: option -Pn together with -sn is not supported yet".into()),
        (
            "-oNscan.txt 198.18.0.1".into(),
            "portolan: -oNscan.txt: put the file name in a separate word: -oN scan.txt".into(),
        ),
        ("-oA - 198.18.0.1".into(), "portolan: -oA writes three files, so it cannot write to standard output ('-')".into()),
        (
            "--stream-json -oX - 198.18.0.1".into(),
            "portolan: --stream-json and -oX - would both write to standard output".into(),
        ),
        ("-PEx 198.18.0.1".into(), "portolan: -PE: takes no value, but 'x' is attached".into()),
        ("-s 198.18.0.1".into(), "portolan: -s needs scan type letters, e.g. -sT or -sn".into()),
    ];
    for (input, want) in cases {
        assert_eq!(err(&input), want, "input: {input}");
    }
}

/// Needs the engine's real target parser (the stub accepts every word).
#[test]
fn bad_target_is_named() {
    let msg = err("-p 22 198.18.0.0/33");
    assert!(msg.starts_with("portolan: target '198.18.0.0/33': "), "{msg}");
    let msg = err("--exclude 198.18.0.0/33 198.18.0.1");
    assert!(msg.starts_with("portolan: target '198.18.0.0/33': "), "{msg}");
}

#[test]
fn time_values() {
    let t = |s: &str| portolan_cli::options::parse_time("--t", s);
    assert_eq!(t("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(t("2s").unwrap(), Duration::from_secs(2));
    assert_eq!(t("1m").unwrap(), Duration::from_secs(60));
    assert_eq!(t("1h").unwrap(), Duration::from_secs(3600));
    assert_eq!(t("3").unwrap(), Duration::from_secs(3));
    assert_eq!(t("0.25").unwrap(), Duration::from_millis(250));
    assert_eq!(t("0").unwrap(), Duration::ZERO);
    for bad in ["", "ms", "-1", "1.2.3", "5x", "1 s", "1e3", ".", "1d"] {
        assert!(t(bad).is_err(), "{bad:?}");
    }
    assert!(t("99999999999999h").is_err(), "absurd times are refused, not wrapped");
}

// ---------------------------------------------------------------------------------------------------------
// Every option of `nmap --help`.

/// The option spellings of Nmap 7.93's `--help`, with how each takes a value: `sep` (a separate word),
/// `att` (attached, optional), `none`. Kept here so the test means something where Nmap is not installed.
const NMAP_HELP_OPTIONS: &[(&str, &str)] = &[
    ("-iL", "sep"), ("-iR", "sep"), ("--exclude", "sep"), ("--excludefile", "sep"), ("-sL", "none"),
    ("-sn", "none"), ("-Pn", "none"), ("-PS", "att"), ("-PA", "att"), ("-PU", "att"), ("-PY", "att"),
    ("-PE", "none"), ("-PP", "none"), ("-PM", "none"), ("-PO", "att"), ("-n", "none"), ("-R", "none"),
    ("--dns-servers", "sep"), ("--system-dns", "none"), ("--traceroute", "none"), ("-sS", "none"),
    ("-sT", "none"), ("-sA", "none"), ("-sW", "none"), ("-sM", "none"), ("-sU", "none"), ("-sN", "none"),
    ("-sF", "none"), ("-sX", "none"), ("--scanflags", "sep"), ("-sI", "sep"), ("-sY", "none"), ("-sZ", "none"),
    ("-sO", "none"), ("-b", "sep"), ("-p", "sep"), ("--exclude-ports", "sep"), ("-F", "none"), ("-r", "none"),
    ("--top-ports", "sep"), ("--port-ratio", "sep"), ("-sV", "none"), ("--version-intensity", "sep"),
    ("--version-light", "none"), ("--version-all", "none"), ("--version-trace", "none"), ("-sC", "none"),
    ("--script", "sep"), ("--script-args", "sep"), ("--script-args-file", "sep"), ("--script-trace", "none"),
    ("--script-updatedb", "none"), ("--script-help", "sep"), ("-O", "none"), ("--osscan-limit", "none"),
    ("--osscan-guess", "none"), ("-T", "att"), ("--min-hostgroup", "sep"), ("--max-hostgroup", "sep"),
    ("--min-parallelism", "sep"), ("--max-parallelism", "sep"), ("--min-rtt-timeout", "sep"),
    ("--max-rtt-timeout", "sep"), ("--initial-rtt-timeout", "sep"), ("--max-retries", "sep"),
    ("--host-timeout", "sep"), ("--scan-delay", "sep"), ("--max-scan-delay", "sep"), ("--min-rate", "sep"),
    ("--max-rate", "sep"), ("-f", "none"), ("--mtu", "sep"), ("-D", "sep"), ("-S", "sep"), ("-e", "sep"),
    ("-g", "sep"), ("--source-port", "sep"), ("--proxies", "sep"), ("--data", "sep"), ("--data-string", "sep"),
    ("--data-length", "sep"), ("--ip-options", "sep"), ("--ttl", "sep"), ("--spoof-mac", "sep"),
    ("--badsum", "none"), ("-oN", "sep"), ("-oX", "sep"), ("-oS", "sep"), ("-oG", "sep"), ("-oA", "sep"),
    ("-v", "none"), ("-d", "none"), ("--reason", "none"), ("--open", "none"), ("--packet-trace", "none"),
    ("--iflist", "none"), ("--append-output", "none"), ("--resume", "sep"), ("--noninteractive", "none"),
    ("--stylesheet", "sep"), ("--webxml", "none"), ("--no-stylesheet", "none"), ("-6", "none"), ("-A", "none"),
    ("--datadir", "sep"), ("--send-eth", "none"), ("--send-ip", "none"), ("--privileged", "none"),
    ("--unprivileged", "none"), ("-V", "none"), ("-h", "none"),
];

/// The options of that list Portolan implements; the rest must say "not supported yet".
const IMPLEMENTED: &[&str] = &[
    "-iL", "-iR", "--exclude", "--excludefile", "-sL", "-sn", "-Pn", "-PS", "-n", "-R", "-sT", "-sU", "-p",
    "--exclude-ports", "-F", "-r", "--top-ports", "-T", "--min-hostgroup", "--max-hostgroup",
    "--min-parallelism", "--max-parallelism", "--min-rtt-timeout", "--max-rtt-timeout", "--initial-rtt-timeout",
    "--max-retries", "--host-timeout", "--scan-delay", "--max-scan-delay", "--min-rate", "--max-rate", "-e",
    "-oN", "-oX", "-oG", "-oA", "-v", "-d", "--reason", "--open", "--packet-trace", "--append-output", "-6",
    "--datadir", "-V", "-h",
    // Raw-packet options (issue 3).
    "-sS", "-sA", "-sW", "-sM", "-sN", "-sF", "-sX", "--scanflags", "-sY", "-sZ", "-sO", "-PA", "-PU", "-PY",
    "-PE", "-PP", "-PM", "-PO", "--traceroute", "-f", "--mtu", "-D", "-S", "-g", "--source-port", "--data",
    "--data-string", "--data-length", "--ip-options", "--ttl", "--spoof-mac", "--badsum", "--iflist",
    "--send-eth", "--send-ip", "--privileged", "--unprivileged",
    // Service and version detection (issue 6).
    "-sV", "--version-intensity", "--version-light", "--version-all", "--version-trace",
    // OS detection (issue 9).
    "-O", "--osscan-limit", "--osscan-guess",
];

/// Extracts `(spelling, how it takes a value)` from Nmap's help text: option lines are indented by two
/// spaces; the part before the first `:` outside `<>`/`[]` names options, `;` separates alternatives
/// (`-f; --mtu <val>`) and `/` abbreviates siblings (`-sS/sT`, `--min-hostgroup/max-hostgroup`).
fn extract_help_options(help: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for line in help.lines() {
        let Some(body) = line.strip_prefix("  ").filter(|b| b.starts_with('-')) else { continue };
        let mut depth = 0i32;
        let mut head = body;
        for (i, c) in body.char_indices() {
            match c {
                '<' | '[' => depth += 1,
                '>' | ']' => depth -= 1,
                ':' if depth == 0 => {
                    head = &body[..i];
                    break;
                }
                _ => {}
            }
        }
        for piece in head.split(';').map(str::trim) {
            let end = piece.find([' ', '<', '[', '=']).unwrap_or(piece.len());
            let (tok, tail) = piece.split_at(end);
            let kind = if tail.starts_with(" <") || tail.starts_with('=') {
                "sep"
            } else if tail.starts_with('<') || tail.starts_with('[') {
                "att"
            } else {
                "none"
            };
            let double = tok.starts_with("--");
            for part in tok.split('/') {
                let spelled = if part.starts_with('-') {
                    part.to_owned()
                } else if double {
                    format!("--{part}")
                } else {
                    format!("-{part}")
                };
                out.push((spelled, kind));
            }
        }
    }
    out
}

fn dummy_value(opt: &str, file: &str) -> String {
    match opt {
        "-iL" | "--excludefile" => file.to_owned(),
        "--exclude" => "198.18.0.9".into(),
        "-p" | "--exclude-ports" => "22".into(),
        "-e" => "lo".into(),
        "-oN" | "-oX" | "-oG" | "-oA" | "-oS" => "out".into(),
        "--datadir" => "/tmp".into(),
        "--mtu" => "16".into(),
        "-D" => "198.18.0.7,ME".into(),
        "-S" => "198.18.0.8".into(),
        "--data" => "0x41".into(),
        "--ip-options" => "R".into(),
        "--spoof-mac" => "0".into(),
        o if o.contains("timeout") || o.contains("delay") => "1s".into(),
        _ => "4".into(),
    }
}

fn check_help_options(list: &[(String, &str)]) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let file = file.path().display().to_string();
    for (opt, kind) in list {
        let mut args = match *kind {
            "sep" => vec![opt.clone(), dummy_value(opt, &file)],
            "att" if opt == "-T" => vec!["-T4".into()],
            _ => vec![opt.clone()],
        };
        // With -6 the target parser may insist on an IPv6 target.
        args.push(if opt == "-6" { "::1" } else { "198.18.0.1" }.into());
        let got = parse_args(&args);
        if IMPLEMENTED.contains(&opt.as_str()) {
            match (opt.as_str(), got) {
                ("-h", Ok(ParseOutcome::Help))
                | ("-V", Ok(ParseOutcome::Version))
                | ("--iflist", Ok(ParseOutcome::Iflist)) => {}
                (_, Ok(ParseOutcome::Plan(p))) => assert_ne!(p, base(), "{args:?} changed nothing"),
                (_, other) => panic!("{args:?}: {other:?}"),
            }
        } else {
            let want = format!("portolan: option {opt} is not supported yet");
            match got {
                Err(e) => {
                    // `-g` and `--source-port` are one option; the message names its canonical spelling.
                    let msg = e.to_string();
                    assert!(msg == want || (opt == "--source-port" && msg.ends_with("option -g is not supported yet")), "{args:?}: {msg}");
                }
                Ok(o) => panic!("{args:?}: accepted as {o:?}"),
            }
        }
    }
}

#[test]
fn committed_nmap_options_are_all_known() {
    let list: Vec<(String, &str)> = NMAP_HELP_OPTIONS.iter().map(|(o, k)| ((*o).to_owned(), *k)).collect();
    check_help_options(&list);
    for imp in IMPLEMENTED {
        assert!(NMAP_HELP_OPTIONS.iter().any(|(o, _)| o == imp), "{imp}");
    }
}

#[test]
fn installed_nmap_options_are_all_known() {
    let Ok(out) = std::process::Command::new("nmap").arg("--help").output() else {
        eprintln!("nmap is not installed: skipping the live --help comparison");
        return;
    };
    let help = String::from_utf8_lossy(&out.stdout);
    let found = extract_help_options(&help);
    assert!(found.len() > 90, "extraction found only {} options", found.len());
    if help.contains("Nmap 7.93 ") {
        let committed: Vec<(String, &str)> = NMAP_HELP_OPTIONS.iter().map(|(o, k)| ((*o).to_owned(), *k)).collect();
        assert_eq!(found, committed, "the committed list is what nmap 7.93 --help says");
    }
    check_help_options(&found);
}

// ---------------------------------------------------------------------------------------------------------
// Round trips.

fn round_trip(p: &ScanPlan) {
    let args = p.to_args();
    match parse_args(&args) {
        Ok(ParseOutcome::Plan(back)) => assert_eq!(&back, p, "args: {args:?}"),
        other => panic!("{args:?}: {other:?}"),
    }
}

#[test]
fn argv_plans_round_trip() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let f = file.path().display();
    let argvs = [
        "198.18.0.1".to_owned(),
        "-sT -p 22,80,443 -T4 -v 198.18.0.0/24".into(),
        "-sUT -p1-100,T:443,U:53 -r --reason --open 198.18.0.1 198.18.0.2".into(),
        "-sn -PS22,80 -n 198.18.0.0/16".into(),
        "-sL -R 198.18.0.1".into(),
        "-Pn -F -d2 -vv --packet-trace 198.18.0.1".into(),
        "--top-ports 200 -T0 --max-retries 3 --host-timeout 1h 198.18.0.1".into(),
        "-p- --min-rate 123.25 --max-rate 1000 --scan-delay 250ms --max-scan-delay 1s 198.18.0.1".into(),
        "--min-rtt-timeout 50ms --max-rtt-timeout 2s --initial-rtt-timeout 0.75 198.18.0.1".into(),
        "--min-parallelism 2 --max-parallelism 64 --min-hostgroup 8 --max-hostgroup 256 198.18.0.1".into(),
        "-oN a.nmap -oX a.xml -oG a.gnmap -oJ a.json -oA all --append-output --stream-json 198.18.0.1".into(),
        format!("-iL {f} --excludefile {f} --exclude 198.18.0.7,198.18.0.8"),
        "-iR 10 --exclude-ports 25,U:53 --datadir /opt/data -e eth0".into(),
        "-6 -sT -p 22 ::1 2001:db8::1".into(),
        "-v7 -d3 -T5 198.18.0.1".into(),
        "--history /tmp/portolan-h.db --no-history 198.18.0.1".into(),
        "--history postgres://scanner@db.example/portolan 198.18.0.1".into(),
    ];
    for a in &argvs {
        match parse(a) {
            Ok(ParseOutcome::Plan(p)) => round_trip(&p),
            other => panic!("{a}: {other:?}"),
        }
    }
}

/// SplitMix64: a fixed, dependency-free source of varied plans; the seed makes failures reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn maybe<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.coin() { Some(f(self)) } else { None }
    }
}

fn random_ranges(r: &mut Rng) -> Vec<PortRange> {
    (0..r.below(4))
        .map(|_| {
            let a = r.below(65536) as u16;
            let b = if r.coin() { a } else { a.saturating_add(r.below(3000) as u16) };
            PortRange { start: a, end: b }
        })
        .collect()
}

fn random_spec(r: &mut Rng) -> PortSpec {
    loop {
        let mut s = if r.below(3) == 0 {
            let l = random_ranges(r);
            PortSpec { tcp: l.clone(), udp: l.clone(), sctp: l }
        } else {
            PortSpec { tcp: random_ranges(r), udp: random_ranges(r), sctp: random_ranges(r) }
        };
        s.normalise();
        if !(s.tcp.is_empty() && s.udp.is_empty() && s.sctp.is_empty()) {
            return s;
        }
    }
}

fn random_plan(r: &mut Rng, file: &std::path::Path) -> ScanPlan {
    let mut p = ScanPlan::new();
    p.ipv6 = r.below(4) == 0;
    let names: &[&str] = if p.ipv6 {
        &["::1", "2001:db8::1", "2001:db8::/120", "localhost"]
    } else {
        &["198.18.0.1", "198.18.0.0/24", "198.18-19.0.1-3", "localhost"]
    };
    p.targets = (0..r.below(4)).map(|_| (*r.pick(names)).to_owned()).collect();
    p.input_list = r.maybe(|r| if r.coin() { PathBuf::from("-") } else { file.to_owned() });
    p.random_targets = r.maybe(|r| r.below(1000));
    if p.targets.is_empty() && p.input_list.is_none() && p.random_targets.is_none() {
        p.targets.push(names[0].to_owned());
    }
    if r.coin() {
        p.exclude = (0..1 + r.below(3)).map(|_| (*r.pick(names)).to_owned()).collect();
    }
    p.exclude_file = r.maybe(|_| file.to_owned());
    p.discovery = *r.pick(&[
        DiscoveryMode::Probe,
        DiscoveryMode::SkipDiscovery,
        DiscoveryMode::DiscoveryOnly,
        DiscoveryMode::ListOnly,
    ]);
    if r.coin() {
        let mut ports: Vec<u16> = (0..1 + r.below(5)).map(|_| r.below(65536) as u16).collect();
        ports.sort_unstable();
        ports.dedup();
        p.discovery_tcp_ports = ports;
    }
    if matches!(p.discovery, DiscoveryMode::Probe | DiscoveryMode::SkipDiscovery) {
        p.scan_types = match r.below(5) {
            0 => vec![],
            1 => vec![ScanType::Connect],
            2 => vec![ScanType::Udp],
            3 => vec![ScanType::Connect, ScanType::Udp],
            _ => vec![ScanType::Udp, ScanType::Connect],
        };
        p.ports = match r.below(4) {
            0 => PortSelection::Default,
            1 => PortSelection::Fast,
            2 => PortSelection::Top(1 + r.below(65535) as u32),
            _ => PortSelection::Spec(random_spec(r)),
        };
    }
    p.exclude_ports = r.maybe(random_spec);
    p.randomize_ports = r.coin();
    p.dns = *r.pick(&[DnsMode::UpHosts, DnsMode::Never, DnsMode::Always]);
    let t = &mut p.timing;
    t.template = TimingTemplate::from_level(r.below(6) as u8).unwrap();
    let dur = |r: &mut Rng, min: u64| r.maybe(|r| Duration::from_millis(min + r.below(10_000_000)));
    t.host_timeout = dur(r, 0);
    t.scan_delay = dur(r, 0);
    t.max_scan_delay = dur(r, 0);
    t.min_rtt_timeout = dur(r, 0);
    t.max_rtt_timeout = dur(r, 5);
    t.initial_rtt_timeout = dur(r, 1);
    let rates: [f64; 8] = [0.001, 0.5, 1.0, 7.25, 100.0, 1234.5678, 1e6, 3.3e9];
    let (a, b) = (*r.pick(&rates), *r.pick(&rates));
    t.min_rate = r.maybe(|_| a.min(b));
    t.max_rate = r.maybe(|_| a.max(b));
    t.max_retries = r.maybe(|r| r.next() as u32);
    let (a, b) = (1 + r.below(500) as u32, 1 + r.below(500) as u32);
    t.min_parallelism = r.maybe(|_| a.min(b));
    t.max_parallelism = r.maybe(|_| a.max(b));
    let (a, b) = (r.below(5000) as u32, 1 + r.below(5000) as u32);
    t.min_hostgroup = r.maybe(|_| a.min(b));
    t.max_hostgroup = r.maybe(|_| a.max(b));
    p.interface = r.maybe(|r| (*r.pick(&["lo", "eth0", "veth-lab0", "wlp2s0"])).to_owned());
    p.verbosity = r.below(256) as u8;
    p.debug = if r.coin() { 0 } else { r.below(256) as u8 };
    p.reason = r.coin();
    p.open_only = r.coin();
    p.packet_trace = r.coin();
    let paths = ["out", "scan results/run 1.xml", "-dash-first.txt", "/tmp/x.json", "ü.nmap"];
    let o = &mut p.outputs;
    o.normal = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    o.xml = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    o.grepable = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    o.json = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    o.all_base = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    o.stream_json = r.coin();
    o.append = r.coin();
    p.datadir = r.maybe(|r| PathBuf::from(r.pick(&paths)));
    p
}

#[test]
fn random_plans_round_trip() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut r = Rng(0x5eed_0f90_1701_a9c3);
    for _ in 0..2000 {
        let p = random_plan(&mut r, file.path());
        round_trip(&p);
    }
}

/// Arbitrary words never panic, and whatever fails fails with one `portolan: ` line and exit code 2.
#[test]
fn garbage_never_panics() {
    let pieces = [
        "-", "--", "=", "s", "P", "o", "p", "T", "v", "d", "n", "S", "U", "N", "L", "V", "X", "A", "i", "e", "ü",
        "22", "-1", "70000", ",", ":", "T:", "U:", "min-rate", "top-ports", "oA", "iL", "ms", "5", ".", " ", "198.18.0.1",
        "\n", "\t", "\u{7f}",
    ];
    let mut r = Rng(7);
    for _ in 0..20_000 {
        let args: Vec<String> = (0..r.below(5))
            .map(|_| (0..1 + r.below(4)).map(|_| *r.pick(&pieces)).collect::<String>())
            .collect();
        if let Err(e) = parse_args(&args) {
            let msg = e.to_string();
            assert!(msg.starts_with("portolan: ") && !msg.contains('\n') && e.exit_code() == 2, "{args:?}: {msg:?}");
        }
    }
}
