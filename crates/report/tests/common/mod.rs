//! Helpers for the report tests: loopback listeners, bounded runs of nmap and xmllint, and the comparison of
//! Nmap's text output with ours line by line, masking only what legitimately differs.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// Open TCP ports on 127.0.0.1 (ephemeral, so tests never collide with other listeners), accepting and
/// closing connections until dropped or 120 s have passed.
pub struct Listeners {
    pub ports: Vec<u16>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listeners {
    pub fn open(n: usize) -> Listeners {
        let socks: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
        let ports = socks.iter().map(|s| s.local_addr().unwrap().port()).collect();
        for s in &socks {
            s.set_nonblocking(true).unwrap();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                for s in &socks {
                    while let Ok((c, _)) = s.accept() {
                        drop(c);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Listeners { ports, stop, thread: Some(thread) }
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Ports that are closed right now: bound to learn a free number, then released.
pub fn closed_ports(n: usize) -> Vec<u16> {
    for _ in 0..5 {
        let socks: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
        let mut ports: Vec<u16> = socks.iter().map(|s| s.local_addr().unwrap().port()).collect();
        drop(socks);
        ports.sort_unstable();
        // Make sure nothing grabbed one in between.
        if ports.iter().all(|p| TcpStream::connect(("127.0.0.1", *p)).is_err()) {
            return ports;
        }
    }
    panic!("could not find {n} closed loopback ports");
}

/// Runs a command with a deadline; returns stdout.
pub fn run(cmd: &str, args: &[String], cwd: &Path, limit: Duration) -> String {
    let mut child = Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            assert!(status.success(), "{cmd} {args:?} failed: {status}\n{err}");
            return out;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd} {args:?} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct NmapRun {
    pub stdout: String,
    pub xml: String,
    pub normal: String,
    pub grepable: String,
    pub dir: tempfile::TempDir,
}

/// `nmap -sT -n -Pn -p PORTS <extra> -oX -oN -oG 127.0.0.1`, files in a fresh temp dir.
pub fn nmap(ports: &str, extra: &[&str]) -> NmapRun {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = ["-sT", "-n", "-Pn", "-p", ports].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["-oX", "out.xml", "-oN", "out.nmap", "-oG", "out.gnmap", "127.0.0.1"].iter().map(|s| s.to_string()));
    let stdout = run("nmap", &args, dir.path(), Duration::from_secs(60));
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    NmapRun { stdout, xml: read("out.xml"), normal: read("out.nmap"), grepable: read("out.gnmap"), dir }
}

/// Validates a document against Nmap's DTD; returns false (after saying why) when xmllint or the DTD is
/// missing.
pub fn xmllint_valid(xml: &str) {
    let dtd = Path::new("/usr/share/nmap/nmap.dtd");
    if !have("xmllint") || !dtd.exists() {
        eprintln!("SKIP DTD validation: xmllint or /usr/share/nmap/nmap.dtd missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--dtdvalid", dtd.to_str().unwrap(), f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint rejected the document:\n{}\n--- document ---\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mask_number_before(line: &str, marker: &str) -> String {
    // "... scanned in 0.02 seconds" -> "... scanned in N seconds"
    match line.find(marker) {
        Some(i) => {
            let head = &line[..i];
            let cut = head.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
            format!("{cut}N{}", &line[i..])
        }
        None => line.to_owned(),
    }
}

/// What may legitimately differ between Nmap's output and ours: the product name and clock in headers and
/// footers, elapsed seconds, the measured latency, and lines that the CLI (not the writer) prints at -v.
pub fn normalise(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        // Progress lines the CLI prints at -v; the report writers do not produce them.
        const PROGRESS: [&str; 7] = [
            "Read data files from:",
            "Initiating ",
            "Scanning ",
            "Discovered open port ",
            "Completed ",
            "           Raw packets sent:",
            "Retrying OS detection ",
        ];
        if PROGRESS.iter().any(|p| line.starts_with(p)) {
            continue;
        }
        let l = if line.starts_with("# Nmap ") && line.contains(" scan initiated ")
            || line.starts_with("# Portolan ") && line.contains(" scan initiated ")
        {
            let args = line.split_once(" as: ").map(|x| x.1).unwrap_or("");
            format!("#HEADER as: {}", args.split_once(' ').map(|x| x.1).unwrap_or(""))
        } else if line.starts_with("# Nmap done at ") || line.starts_with("# Portolan done at ") {
            let tail = line.split_once(" -- ").map(|x| x.1).unwrap_or("");
            format!("#FOOTER -- {}", mask_number_before(tail, " seconds"))
        } else if line.starts_with("Starting Nmap ") || line.starts_with("Starting Portolan ") {
            "STARTING".to_owned()
        } else if line.starts_with("Nmap done: ") || line.starts_with("Portolan done: ") {
            format!("DONE: {}", mask_number_before(line.split_once(": ").map(|x| x.1).unwrap_or(""), " seconds"))
        } else if line.starts_with("Host is up") {
            match (line.find(" ("), line.find("s latency)")) {
                (Some(a), Some(_)) => format!("{} (Ns latency).", &line[..a]),
                _ => line.to_owned(),
            }
        } else {
            line.to_owned()
        };
        out.push(l);
    }
    out
}

pub fn assert_same_lines(what: &str, nmap: &str, ours: &str) {
    let (a, b) = (normalise(nmap), normalise(ours));
    if a != b {
        let mut msg = format!("{what}: our output differs from Nmap's\n");
        for i in 0..a.len().max(b.len()) {
            let (x, y) = (a.get(i).map(String::as_str).unwrap_or("<none>"), b.get(i).map(String::as_str).unwrap_or("<none>"));
            msg.push_str(&format!("{} nmap: {x:?}\n  ours: {y:?}\n", if x == y { ' ' } else { '!' }));
        }
        panic!("{msg}");
    }
}

/// Parses Nmap's compact port list ("1-21,23-45").
pub fn expand_ports(list: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for item in list.split(',').filter(|s| !s.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()),
            None => out.push(item.parse().unwrap()),
        }
    }
    out
}

/// The event stream an engine would have emitted for the facts in `r`, with every summarised port
/// (`<extraports>` with its port list) turned back into a Port event. Folding it must give a report that
/// renders exactly as Nmap rendered the scan: this is what exercises the fold and the listing thresholds.
pub fn events_from_report(r: &portolan_model::ScanReport) -> Vec<portolan_model::ScanEvent> {
    use portolan_model::{EventBody, ScanEvent};
    let mut bodies: Vec<(i64, EventBody)> = vec![(
        r.start * 1000,
        EventBody::ScanStarted {
            scanner: r.scanner.clone(),
            version: r.version.clone(),
            args: r.args.clone(),
            scan_info: r.scan_info.clone(),
            verbose: r.verbose,
            debugging: r.debugging,
            targets_total: None,
        },
    )];
    for h in &r.hosts {
        let addr = h.ip().unwrap();
        let t0 = h.start_time.unwrap_or(r.start) * 1000;
        bodies.push((
            t0,
            EventBody::HostStatus {
                addr,
                status: h.status.clone(),
                latency: h.latency,
                hostnames: h.hostnames.clone(),
            },
        ));
        if !h.is_up() {
            continue;
        }
        bodies.push((t0, EventBody::HostScanStarted { addr }));
        let mut ports: Vec<portolan_model::PortReport> = h.ports.clone();
        for e in &h.extra_ports {
            for reason in &e.reasons {
                for port in expand_ports(reason.ports.as_deref().unwrap()) {
                    ports.push(portolan_model::PortReport {
                        protocol: reason.protocol.unwrap(),
                        port,
                        state: e.state,
                        reason: reason.reason.clone(),
                        reason_ttl: 0,
                        service: None,
                        scripts: Vec::new(),
                    });
                }
            }
        }
        // Engines report ports in the order they learn them, not sorted.
        ports.reverse();
        for p in ports {
            bodies.push((
                t0,
                EventBody::Port {
                    addr,
                    protocol: p.protocol,
                    port: p.port,
                    state: p.state,
                    reason: p.reason,
                    reason_ttl: p.reason_ttl,
                    service: p.service,
                },
            ));
        }
        if h.os.is_some() || h.tcp_sequence.is_some() {
            bodies.push((
                t0,
                EventBody::OsDetected {
                    addr,
                    os: h.os.clone().unwrap_or_default(),
                    uptime: h.uptime.clone(),
                    distance: h.distance,
                    tcp_sequence: h.tcp_sequence.clone(),
                    ip_id_sequence: h.ip_id_sequence.clone(),
                    tcp_ts_sequence: h.tcp_ts_sequence.clone(),
                },
            ));
        }
        bodies.push((
            h.end_time.unwrap_or(r.start) * 1000,
            EventBody::HostFinished { addr, times: h.times, timed_out: h.timed_out },
        ));
    }
    if let Some(rs) = &r.run_stats {
        bodies.push((
            rs.finished * 1000,
            EventBody::Finished {
                elapsed: rs.elapsed,
                hosts_up: rs.hosts_up,
                hosts_down: rs.hosts_down,
                hosts_total: rs.hosts_total,
                error: rs.error_msg.clone(),
            },
        ));
    }
    bodies.into_iter().enumerate().map(|(i, (t, body))| ScanEvent { seq: i as u64, time_ms: t, body }).collect()
}

/// Renders `report` with every writer and compares with Nmap's outputs; returns our XML.
pub fn compare_all(
    case: &str,
    report: &portolan_model::ScanReport,
    opts: &portolan_report::RenderOptions,
    stdout: &str,
    normal_file: &str,
    grepable_file: &str,
    nmap_xml: &str,
) -> String {
    use portolan_report::{grepable, normal, xml};
    assert_same_lines(&format!("{case} (terminal)"), stdout, &normal::render(report, opts));
    assert_same_lines(&format!("{case} (-oN)"), normal_file, &normal::render_file(report, opts));
    assert_same_lines(&format!("{case} (-oG)"), grepable_file, &grepable::render(report, opts));
    let ours = xml::render(report, opts);
    xmllint_valid(&ours);
    // Our XML of the same facts is Nmap's XML, apart from the stylesheet and comment lines and Nmap's
    // <task...> progress elements.
    let keep = |l: &&str| !l.starts_with("<?xml-stylesheet") && !l.starts_with("<!-- ") && !l.starts_with("<task");
    let a: Vec<&str> = nmap_xml.lines().filter(keep).collect();
    let b: Vec<&str> = ours.lines().filter(keep).collect();
    assert_eq!(a, b, "{case}: XML differs from Nmap's");
    ours
}
