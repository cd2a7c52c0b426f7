//! Golden comparison against a real Nmap run on loopback: listeners we start, nmap writes -oX/-oN/-oG and
//! its terminal output, our reader loads its XML, and our writers must reproduce its normal and grepable
//! output line by line (masking only product name, clock, elapsed time and latency). Every XML we write is
//! validated against Nmap's DTD and read back unchanged.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use portolan_report::{RenderOptions, fold, xml_reader};

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn opts_for(report: &portolan_model::ScanReport, extra: &[&str]) -> RenderOptions {
    RenderOptions {
        reason: extra.contains(&"--reason"),
        open_only: extra.contains(&"--open"),
        verbose: report.verbose,
        debug: report.debugging,
        osscan_guess: extra.contains(&"--osscan-guess"),
        version_scan: extra.contains(&"-sV"),
        from_nmap: report.scanner == "nmap",
    }
}

fn port_list(open: &[u16], closed: &[u16]) -> String {
    let mut all: Vec<u16> = open.iter().chain(closed).copied().collect();
    all.sort_unstable();
    all.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

/// Scans `open` listeners plus `closed` free ports with `extra` options and compares every format.
fn check(case: &str, n_open: usize, n_closed: usize, extra: &[&str]) -> Option<String> {
    if !have("nmap") {
        eprintln!("SKIP {case}: nmap is not installed");
        return None;
    }
    // One scan at a time: a port one test believes closed must not become another test's listener.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let listeners = Listeners::open(n_open);
    let closed = closed_ports(n_closed);
    let run = nmap(&port_list(&listeners.ports, &closed), extra);
    drop(listeners);

    let report = xml_reader::read(&run.xml).unwrap_or_else(|e| panic!("{case}: reading nmap's XML: {e}"));
    let opts = opts_for(&report, extra);
    let hidden = extra.contains(&"--open") && n_open == 0;
    assert_eq!(report.hosts.len(), if hidden { 0 } else { 1 }, "{case}: Nmap omits a host --open hides");
    assert_eq!(report.scanner, "nmap");

    let ours = compare_all(case, &report, &opts, &run.stdout, &run.normal, &run.grepable, &run.xml);
    let back = xml_reader::read(&ours).unwrap_or_else(|e| panic!("{case}: reading our XML: {e}\n{ours}"));
    assert_eq!(back, report, "{case}: XML round trip changed the report");
    // The same facts as an event stream, folded: every port explicit, so our own listing rule decides.
    let folded = fold(&events_from_report(&report));
    compare_all(&format!("{case} (folded)"), &folded, &opts, &run.stdout, &run.normal, &run.grepable, &run.xml);
    Some(run.stdout)
}

#[test]
fn few_ports_are_all_listed() {
    if let Some(out) = check("few", 3, 6, &[]) {
        assert!(!out.contains("Not shown"), "{out}");
    }
}

#[test]
fn many_closed_ports_are_summarised() {
    if let Some(out) = check("many-closed", 2, 30, &[]) {
        assert!(out.contains("Not shown: 30 closed tcp ports (conn-refused)"), "{out}");
    }
}

#[test]
fn verbose_raises_the_threshold() {
    if let Some(out) = check("verbose", 2, 30, &["-v"]) {
        assert!(!out.contains("Not shown"), "{out}");
    }
    check("verbose-over", 1, 55, &["-v"]);
}

#[test]
fn very_verbose_shows_reasons() {
    check("vv", 2, 60, &["-vv"]);
    check("vv-over", 1, 80, &["-vv"]);
}

#[test]
fn reason_column() {
    check("reason", 2, 8, &["--reason"]);
    check("reason-collapsed", 1, 27, &["--reason"]);
}

#[test]
fn open_only() {
    if let Some(out) = check("open", 2, 5, &["--open"]) {
        assert!(out.contains("Not shown: 5 closed tcp ports (conn-refused)"), "{out}");
    }
    if let Some(out) = check("open-none", 0, 5, &["--open"]) {
        assert!(!out.contains("Nmap scan report for"), "{out}");
    }
}

#[test]
fn all_ports_ignored() {
    if let Some(out) = check("all-ignored", 0, 30, &[]) {
        assert!(out.contains("All 30 scanned ports on 127.0.0.1 are in ignored states."), "{out}");
    }
}

#[test]
fn single_closed_port_is_singular() {
    check("one-closed", 1, 1, &["--open"]);
}

/// The listing limit, measured: 25 ports of a state are listed, 26 are summarised; 25 more per -v.
/// `-O -v`: the OS lines, uptime, distance and the sequence lines ("TCP Sequence Prediction", "IP ID Sequence
/// Generation") and their XML elements, from a real Nmap OS scan of loopback.
#[test]
fn os_detection_lines() {
    if let Some(out) = check("os-detection", 1, 1, &["-O", "-v"]) {
        assert!(out.contains("TCP Sequence Prediction: Difficulty="), "{out}");
        assert!(out.contains("IP ID Sequence Generation: "), "{out}");
    }
}

/// `-O --osscan-guess`: the guesses Nmap prints only when asked.
#[test]
fn os_detection_guesses() {
    check("os-guess", 1, 1, &["-O", "--osscan-guess"]);
}

#[test]
fn listing_limit_boundaries() {
    if let Some(out) = check("limit-25", 1, 25, &[]) {
        assert!(!out.contains("Not shown"), "{out}");
    }
    if let Some(out) = check("limit-26", 1, 26, &[]) {
        assert!(out.contains("Not shown: 26 closed"), "{out}");
    }
    if let Some(out) = check("limit-v-50", 1, 50, &["-v"]) {
        assert!(!out.contains("Not shown"), "{out}");
    }
    if let Some(out) = check("limit-v-51", 1, 51, &["-v"]) {
        assert!(out.contains("Not shown: 51 closed"), "{out}");
    }
    check("limit-vv-75", 1, 75, &["-vv"]);
    check("limit-vv-76", 1, 76, &["-vv"]);
}
