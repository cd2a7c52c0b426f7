//! Lab benchmark: `portolan -sT -p-` against `nmap -sT -p-` on one lab host (connect-basic), alternating runs
//! in the same lab so both see the same machine load. Prints each run, the medians and the ratio, and checks
//! the two found the same states (a faster wrong scan is not a win).
//!
//! Run: `cargo bench -p portolan-tests --bench connect_vs_nmap` (as root; `RUNS=5` to change the count).
#![allow(clippy::unwrap_used)]

use portolan_report::xml_reader;
use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{port_states, portolan_bin, run_limited};
use std::path::Path;
use std::time::Duration;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run the lab under `cargo bench`.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !require_root_or_skip() {
        return;
    }
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let bin = portolan_bin();
    let lab = Lab::start_named("connect-basic").unwrap();
    let target = lab.addr("target").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let limit = Duration::from_secs(600);
    let (mut t_nmap, mut t_ours) = (Vec::new(), Vec::new());
    let mut states = None;
    for i in 0..runs {
        for (name, program) in [("nmap", Path::new("nmap")), ("portolan", bin.as_path())] {
            let xml = dir.path().join(format!("{name}-{i}.xml"));
            let mut cmd = lab.command(lab.scanner(), program).unwrap();
            cmd.args(["-sT", "-p-", "-n", "-oX"]).arg(&xml).arg(&target);
            let (out, took) = run_limited(&mut cmd, limit);
            assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
            let report = xml_reader::read(&std::fs::read_to_string(&xml).unwrap()).unwrap();
            let s = port_states(&report);
            let open: Vec<u16> = s[&target].iter().filter(|(_, st)| *st == "open").map(|(p, _)| *p).collect();
            let filtered: Vec<u16> = s[&target].iter().filter(|(_, st)| *st == "filtered").map(|(p, _)| *p).collect();
            println!("run {i} {name:9} {:7.3} s  open {open:?} filtered {filtered:?}", took.as_secs_f64());
            let key = (open, filtered);
            match &states {
                None => states = Some(key),
                Some(k) => assert_eq!(k, &key, "{name} run {i} found different states"),
            }
            if name == "nmap" { t_nmap.push(took.as_secs_f64()) } else { t_ours.push(took.as_secs_f64()) }
        }
    }
    let (m_n, m_o) = (median(t_nmap), median(t_ours));
    println!("median nmap {m_n:.3} s, portolan {m_o:.3} s: portolan is {:.2}x nmap's speed (same states)", m_n / m_o);
    lab.stop().unwrap();
}
