//! End to end in the lab: `portolan -sT` and `nmap -sT` scan the same target in the same run, from a scanner
//! namespace with no route out, and must agree.
#![allow(clippy::unwrap_used)]

use portolan_model::ScanReport;
use portolan_report::xml_reader;
use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{port_states, portolan_bin, run_limited};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(180);
/// Every special port of connect-basic plus enough closed ones that Nmap summarises them.
const PORTS: &str = "1-200,443,444,3306,8080";

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

fn xmllint_valid(path: &Path) {
    if !have("xmllint") || !Path::new("/usr/share/nmap/nmap.dtd").exists() {
        eprintln!("note: xmllint or nmap.dtd missing; DTD validation skipped");
        return;
    }
    let out = Command::new("xmllint")
        .args(["--noout", "--dtdvalid", "/usr/share/nmap/nmap.dtd"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{} is not valid against nmap.dtd:\n{}", path.display(), String::from_utf8_lossy(&out.stderr));
}

fn read_report(path: &Path) -> ScanReport {
    let text = std::fs::read_to_string(path).unwrap();
    xml_reader::read(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a scanner inside the lab's scanner namespace and checks it exited 0.
fn scan(lab: &Lab, program: &Path, args: &[&str]) -> String {
    let mut cmd = lab.command(lab.scanner(), program).unwrap();
    cmd.args(args);
    let (out, _) = run_limited(&mut cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{} {:?} failed: {}\n{}", program.display(), args, stdout, String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Lines that legitimately differ between the two programs: product names and times in the header and
/// footer, latency, and the MAC line Nmap prints because root Nmap discovers by ARP.
fn comparable_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            !(l.starts_with("Starting ")
                || l.starts_with("# ")
                || l.starts_with("Nmap done")
                || l.starts_with("Portolan done")
                || l.starts_with("MAC Address:"))
        })
        .map(|l| match l.find(" (") {
            Some(i) if l.starts_with("Host is up") => l[..i].to_owned(),
            _ => l.to_owned(),
        })
        .map(|l| l.replace("Host is up, received arp-response", "Host is up").replace("Host is up, received syn-ack", "Host is up"))
        .collect()
}

#[test]
fn connect_scan_matches_nmap_states_outputs_and_reader() {
    if !require_root_or_skip() {
        return;
    }
    if !have("nmap") {
        panic!("nmap is required for this comparison (CI installs it)");
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    let target = lab.addr("target").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();

    // Same run, same target, both scanners.
    let nmap_stdout = scan(&lab, Path::new("nmap"), &["-sT", "-n", "-p", PORTS, "-oX", &p("nmap.xml"), &target]);
    let ours_stdout = scan(&lab, &portolan_bin(), &[
        "-sT", "-n", "-p", PORTS, "-oX", &p("ours.xml"), "-oN", &p("ours.nmap"), "-oG", &p("ours.gnmap"),
        "-oJ", &p("ours.json"), &target,
    ]);

    // 1. Exactly the same states for every port.
    let nmap_report = read_report(&dir.path().join("nmap.xml"));
    let ours_report = read_report(&dir.path().join("ours.xml"));
    let (theirs, ours) = (port_states(&nmap_report), port_states(&ours_report));
    assert_eq!(ours, theirs, "port states differ from nmap's");
    // And they are the real states of connect-basic, not merely equal.
    let states = &ours[&target];
    for port in [22, 80, 443, 8080] {
        assert_eq!(states[&port], "open", "port {port}");
    }
    for port in [81, 113, 444, 3306] {
        assert_eq!(states[&port], "filtered", "port {port}");
    }
    assert_eq!(states[&23], "closed");
    assert_eq!(states.len(), 204);

    // 2. Every XML we wrote is valid against Nmap's DTD, and so is the one our writer makes of Nmap's report.
    xmllint_valid(&dir.path().join("ours.xml"));
    let rewritten = dir.path().join("nmap-rewritten.xml");
    std::fs::write(&rewritten, portolan_report::xml::render(&nmap_report, &Default::default())).unwrap();
    xmllint_valid(&rewritten);
    assert_eq!(port_states(&read_report(&rewritten)), theirs, "Nmap's facts survive our reader and writer");

    // 3. Nmap's XML, read by our reader, gives the same host facts as our own scan.
    let (h_n, h_o) = (&nmap_report.hosts[0], &ours_report.hosts[0]);
    assert_eq!(h_n.status.state, h_o.status.state);
    assert_eq!(h_n.ip(), h_o.ip());
    assert_eq!(nmap_report.scan_info.len(), 1);
    assert_eq!(nmap_report.scan_info[0].scan_type, ours_report.scan_info[0].scan_type);
    assert_eq!(nmap_report.scan_info[0].num_services, ours_report.scan_info[0].num_services);
    let reasons = |r: &ScanReport| -> Vec<(u16, String)> {
        r.hosts[0].ports.iter().map(|p| (p.port, p.reason.as_str().to_owned())).collect()
    };
    assert_eq!(reasons(&ours_report), reasons(&nmap_report), "listed ports carry Nmap's reasons");

    // 4. Normal output lines up with Nmap's. Service names come from the services table, so this comparison
    //    uses Nmap's table (opt-in --datadir, as a user would).
    let ours_nmapdb = scan(&lab, &portolan_bin(), &["-sT", "-n", "-p", PORTS, "--datadir", "/usr/share/nmap", &target]);
    assert_eq!(comparable_lines(&ours_nmapdb), comparable_lines(&nmap_stdout), "normal output layout differs");
    // Without --datadir the layout is the same apart from service names.
    assert_eq!(comparable_lines(&ours_stdout).len(), comparable_lines(&nmap_stdout).len());
    assert!(ours_stdout.contains("Not shown: 196 closed tcp ports (conn-refused)"), "{ours_stdout}");

    // 5. The other formats exist and agree with the XML.
    let json: ScanReport = serde_json::from_str(&std::fs::read_to_string(p("ours.json")).unwrap()).unwrap();
    assert_eq!(port_states(&json)[&target].len(), 204, "-oJ lists every port");
    let gnmap = std::fs::read_to_string(p("ours.gnmap")).unwrap();
    assert!(gnmap.contains("22/open/tcp//ssh///"), "{gnmap}");
    assert!(gnmap.contains("Ignored State: closed (196)"), "{gnmap}");
    lab.stop().unwrap();
}

#[test]
fn discovery_list_and_stream_json_in_the_lab() {
    if !require_root_or_skip() {
        return;
    }
    let lab = Lab::start_named("connect-basic").unwrap();
    let target = lab.addr("target").unwrap().to_string();
    // 198.18.0.9 is on the lab's /24 but nobody has it: ARP fails, the host is down.
    let out = scan(&lab, &portolan_bin(), &["-sn", "-n", "-oX", "-", &target, "198.18.0.9"]);
    let r = xml_reader::read(&out).unwrap();
    let status: Vec<(String, String)> =
        r.hosts.iter().map(|h| (h.ip().unwrap().to_string(), h.status.state.as_str().to_owned())).collect();
    assert!(status.contains(&(target.clone(), "up".into())), "{status:?}");
    assert!(r.hosts.iter().all(|h| h.ports.is_empty()), "-sn scans no ports");
    let run = r.run_stats.unwrap();
    assert_eq!((run.hosts_up, run.hosts_down, run.hosts_total), (1, 1, 2));

    // --stream-json: one event per line, in order, first ScanStarted, last Finished; the fold of the lines is
    // the -oJ report.
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json").display().to_string();
    let out = scan(&lab, &portolan_bin(), &["-sT", "-Pn", "-n", "-p", "20-25,81,113", "--stream-json", "-oJ", &json_path, &target]);
    let events: Vec<portolan_model::ScanEvent> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(matches!(events.first().unwrap().body, portolan_model::EventBody::ScanStarted { .. }));
    assert!(matches!(events.last().unwrap().body, portolan_model::EventBody::Finished { .. }));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
    }
    let folded = portolan_report::fold(&events);
    let file: ScanReport = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(port_states(&folded), port_states(&file));
    assert_eq!(port_states(&folded)[&target][&22], "open");
    assert_eq!(port_states(&folded)[&target][&113], "filtered");
    assert_eq!(port_states(&folded)[&target][&81], "filtered");

    // --host-timeout: a host with filtered ports outlives 100 ms; both scanners skip it with the same lines.
    let args = ["-sT", "-Pn", "-n", "-p", "22,81,444,3306", "--host-timeout", "100ms", "--datadir", "/usr/share/nmap"];
    let ours = scan(&lab, &portolan_bin(), &[&args[..], &[&target]].concat());
    assert!(ours.contains(&format!("Skipping host {target} due to host timeout")), "{ours}");
    assert!(!ours.contains("PORT"), "no port table for a timed-out host: {ours}");
    if have("nmap") {
        let theirs = scan(&lab, Path::new("nmap"), &[&args[..], &[&target]].concat());
        assert_eq!(comparable_lines(&ours), comparable_lines(&theirs));
    }

    // -sL sends nothing and lists every target.
    let out = scan(&lab, &portolan_bin(), &["-sL", "-n", "198.18.0.0/30"]);
    assert_eq!(out.lines().filter(|l| l.starts_with("Nmap scan report for")).count(), 4, "{out}");
}

#[test]
fn impaired_link_gives_nmaps_states() {
    if !require_root_or_skip() {
        return;
    }
    if !have("nmap") {
        panic!("nmap is required for this comparison (CI installs it)");
    }
    // 20 ms +- 5 ms each way and 2% loss each way: retransmissions and RTT-based timeouts are exercised.
    let lab = Lab::start_named("impaired").unwrap();
    let target = lab.addr("target").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let ports = "1-100,443,444,3306,8080";
    scan(&lab, Path::new("nmap"), &["-sT", "-n", "-Pn", "-p", ports, "-oX", &p("nmap.xml"), &target]);
    scan(&lab, &portolan_bin(), &["-sT", "-n", "-Pn", "-p", ports, "-oX", &p("ours.xml"), &target]);
    let theirs = port_states(&read_report(&dir.path().join("nmap.xml")));
    let ours = port_states(&read_report(&dir.path().join("ours.xml")));
    assert_eq!(ours, theirs);
    assert_eq!(ours[&target][&22], "open");
    assert_eq!(ours[&target][&81], "filtered");
}

/// Many hosts: one namespace answers for 198.19.0.0/16 and 198.19.255.0/24 is dead. A discovery sweep and a
/// multi-host connect scan must find what Nmap finds.
#[test]
fn sweep_and_multi_host_scan_match_nmap() {
    if !require_root_or_skip() {
        return;
    }
    if !have("nmap") {
        panic!("nmap is required for this comparison (CI installs it)");
    }
    let lab = Lab::start_named("sweep").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    let up_hosts = |path: &str| -> Vec<String> {
        let r = read_report(Path::new(path));
        r.hosts.iter().filter(|h| h.is_up()).map(|h| h.ip().unwrap().to_string()).collect()
    };

    let range = "198.19.254.0/23";
    let t = std::time::Instant::now();
    scan(&lab, Path::new("nmap"), &["-sn", "-n", "-oX", &p("nmap-sn.xml"), range]);
    let t_nmap = t.elapsed();
    let t = std::time::Instant::now();
    scan(&lab, &portolan_bin(), &["-sn", "-n", "-oX", &p("ours-sn.xml"), range]);
    let t_ours = t.elapsed();
    eprintln!("-sn {range}: nmap {t_nmap:?}, portolan {t_ours:?}");
    let (theirs, ours) = (up_hosts(&p("nmap-sn.xml")), up_hosts(&p("ours-sn.xml")));
    assert_eq!(ours.len(), 256, "198.19.254.0/24 up, 198.19.255.0/24 dead");
    assert_eq!(ours, theirs);
    let stats = read_report(Path::new(&p("ours-sn.xml"))).run_stats.unwrap();
    assert_eq!((stats.hosts_up, stats.hosts_down, stats.hosts_total), (256, 256, 512));

    // A connect scan of 64 hosts at once.
    let range = "198.19.10.0/26";
    let args = ["-sT", "-n", "-p", "79-81,443"];
    scan(&lab, Path::new("nmap"), &[&args[..], &["-oX", &p("nmap-st.xml"), range]].concat());
    scan(&lab, &portolan_bin(), &[&args[..], &["-oX", &p("ours-st.xml"), range]].concat());
    let theirs = port_states(&read_report(Path::new(&p("nmap-st.xml"))));
    let ours = port_states(&read_report(Path::new(&p("ours-st.xml"))));
    assert_eq!(ours.len(), 64);
    assert_eq!(ours, theirs);
    assert!(ours.values().all(|m| m[&80] == "open" && m[&81] == "closed"));
}
