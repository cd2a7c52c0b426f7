//! Lab benchmark of the raw-packet engine against Nmap (and masscan for the sweep), each comparison run side
//! by side in one lab so both tools see the same machine load. Prints every run, the medians and the ratios,
//! and checks that the tools found the same things (a faster wrong scan is not a win).
//!
//! Run (as root): `cargo bench -p portolan-tests --bench raw_vs_nmap`
//! `PARTS=syn,impaired,sweep` picks the parts (default: all); `RUNS=3` the repetitions.
//! - syn: `portolan -sS -p-` vs `nmap -sS -p- -T4` on one lab host (connect-basic).
//! - impaired: `-sS -p 1-10000` behind the link emulator (impaired: ~50 ms round trip, 2% loss each way)
//!   vs `nmap -T4`; every open port must be found.
//! - sweep: `-sn` of 198.19.0.0/16 answered by one namespace (sweep) vs `nmap -sn -T4` and `masscan --ping`.
#![allow(clippy::unwrap_used)]

use portolan_report::xml_reader;
use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{port_states, portolan_bin, run_limited};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Run {
    secs: f64,
    open: Vec<u16>,
    filtered: Vec<u16>,
    up: usize,
}

fn scan(lab: &Lab, program: &Path, args: &[&str], xml: &Path, target: &str) -> Run {
    let mut cmd = lab.command(lab.scanner(), program).unwrap();
    cmd.args(args).arg("-n").arg("-oX").arg(xml).arg(target);
    if program.ends_with("portolan") {
        cmd.arg("--no-history");
    }
    let (out, took) = run_limited(&mut cmd, Duration::from_secs(900));
    assert!(out.status.success(), "{} failed: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    let report = xml_reader::read(&std::fs::read_to_string(xml).unwrap()).unwrap();
    let up = report.hosts.iter().filter(|h| h.is_up()).count();
    let s = port_states(&report);
    let (open, filtered) = match s.get(target) {
        Some(m) => (
            m.iter().filter(|(_, st)| *st == "open").map(|(p, _)| *p).collect(),
            m.iter().filter(|(_, st)| *st == "filtered").map(|(p, _)| *p).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    Run { secs: took.as_secs_f64(), open, filtered, up }
}

fn part_ports(scenario: &str, ports: &str, nmap_extra: &[&str], runs: usize, dir: &Path, expect_open: &[u16]) {
    let bin = portolan_bin();
    let lab = Lab::start_named(scenario).unwrap();
    let target = lab.addr("target").unwrap().to_string();
    let (mut t_nmap, mut t_ours) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let mut nmap_args = vec!["-sS", "-p", ports];
        nmap_args.extend_from_slice(nmap_extra);
        let n = scan(&lab, Path::new("nmap"), &nmap_args, &dir.join(format!("{scenario}-nmap-{i}.xml")), &target);
        let o = scan(&lab, &bin, &["-sS", "-p", ports], &dir.join(format!("{scenario}-ours-{i}.xml")), &target);
        println!(
            "{scenario} run {i}: nmap {:7.3} s open {:?} filtered {:?} | portolan {:7.3} s open {:?} filtered {:?}",
            n.secs, n.open, n.filtered, o.secs, o.open, o.filtered
        );
        assert_eq!(o.open, expect_open, "portolan missed or invented an open port");
        if n.open != expect_open {
            println!("  (nmap missed open ports this run: {:?})", n.open);
        }
        if scenario == "connect-basic" {
            assert_eq!((&o.open, &o.filtered), (&n.open, &n.filtered), "states differ from nmap's");
        }
        t_nmap.push(n.secs);
        t_ours.push(o.secs);
    }
    let (m_n, m_o) = (median(t_nmap), median(t_ours));
    println!("{scenario}: median nmap {m_n:.3} s, portolan {m_o:.3} s: portolan takes {:.2}x nmap's time ({:.2}x faster)", m_o / m_n, m_n / m_o);
    lab.stop().unwrap();
}

fn part_sweep(runs: usize, dir: &Path) {
    let bin = portolan_bin();
    let lab = Lab::start_named("sweep").unwrap();
    let net = "198.19.0.0/16";
    // masscan has no routing table of its own here: it needs the next hop's MAC.
    let _ = lab.exec(lab.scanner(), &["ping", "-c", "1", "-W", "1", "198.18.0.2"]);
    let neigh = lab.exec(lab.scanner(), &["ip", "neigh", "show", "198.18.0.2"]).unwrap();
    let neigh = String::from_utf8_lossy(&neigh.stdout).to_string();
    let router_mac = neigh.split_whitespace().skip_while(|w| *w != "lladdr").nth(1).map(str::to_owned);
    let (mut t_nmap, mut t_ours, mut t_mass) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let n = scan(&lab, Path::new("nmap"), &["-sn", "-T4"], &dir.join(format!("sweep-nmap-{i}.xml")), net);
        let o = scan(&lab, &bin, &["-sn"], &dir.join(format!("sweep-ours-{i}.xml")), net);
        println!("sweep run {i}: nmap {:7.3} s {} up | portolan {:7.3} s {} up", n.secs, n.up, o.secs, o.up);
        assert_eq!(o.up, 65_280, "198.19.0.0/16 minus the dropped /24");
        t_nmap.push(n.secs);
        t_ours.push(o.secs);
        if let Some(mac) = &router_mac
            && Command::new("masscan").arg("--version").output().is_ok()
        {
            let mut cmd = lab.command(lab.scanner(), "masscan").unwrap();
            cmd.args([net, "--ping", "--rate", "100000", "--wait", "2", "--adapter", "eth0", "--router-mac", mac]);
            let (out, took) = run_limited(&mut cmd, Duration::from_secs(600));
            let found = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("Discovered")).count();
            println!("sweep run {i}: masscan --rate 100000 {:7.3} s {found} up", took.as_secs_f64());
            t_mass.push(took.as_secs_f64());
        }
    }
    let (m_n, m_o) = (median(t_nmap), median(t_ours));
    println!("sweep: median nmap {m_n:.3} s, portolan {m_o:.3} s: {:.2}x faster than nmap", m_n / m_o);
    if !t_mass.is_empty() {
        let m_m = median(t_mass);
        println!("sweep: median masscan {m_m:.3} s: portolan takes {:.2}x masscan's time", m_o / m_m);
    }
    lab.stop().unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let parts = std::env::var("PARTS").unwrap_or_else(|_| "syn,impaired,sweep".into());
    let dir = tempfile::tempdir().unwrap();
    if parts.contains("syn") {
        part_ports("connect-basic", "-", &["-T4"], runs, dir.path(), &[22, 80, 443, 8080]);
    }
    if parts.contains("impaired") {
        part_ports("impaired", "1-10000", &["-T4"], runs, dir.path(), &[22, 80, 443, 8080]);
    }
    if parts.contains("sweep") {
        part_sweep(runs, dir.path());
    }
}
