//! Golden files: Nmap 7.93's own outputs (-oX, -oN, -oG and the terminal) from scans of loopback and of a
//! network namespace in 198.18.0.0/15, kept under tests/golden/report because they need root, nftables and
//! tarpit listeners to reproduce (filtered ports with two reasons, down hosts, -vv). Our reader loads the
//! XML and our writers must reproduce the other outputs line by line; every XML we write must be valid.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use portolan_report::{RenderOptions, fold, xml_reader};
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/report")
}

fn check(case: &str) -> portolan_model::ScanReport {
    let dir = golden_dir();
    let read = |ext: &str| {
        std::fs::read_to_string(dir.join(format!("{case}.{ext}")))
            .unwrap_or_else(|e| panic!("golden file {case}.{ext}: {e}"))
    };
    let report = xml_reader::read(&read("xml")).unwrap_or_else(|e| panic!("{case}: {e}"));
    let opts = RenderOptions::for_report(&report);
    let (stdout, nmap_n, nmap_g, nmap_x) = (read("stdout"), read("nmap"), read("gnmap"), read("xml"));
    let ours = compare_all(case, &report, &opts, &stdout, &nmap_n, &nmap_g, &nmap_x);
    assert_eq!(xml_reader::read(&ours).unwrap(), report, "{case}: XML round trip");
    // The same facts as an event stream, folded: every port explicit, so our own listing rule decides.
    let folded = fold(&events_from_report(&report));
    compare_all(&format!("{case} (folded)"), &folded, &opts, &stdout, &nmap_n, &nmap_g, &nmap_x);
    report
}

#[test]
fn filtered_with_two_reasons_and_closed() {
    let r = check("mixed");
    let h = &r.hosts[0];
    assert_eq!(h.extra_ports.len(), 2);
    assert_eq!(h.extra_ports[0].reasons.len(), 2, "host-unreach and no-response");
}

#[test]
fn mixed_states_listed_with_reasons() {
    check("mixed-reason");
}

#[test]
fn open_only_with_filtered_ports() {
    check("open-filtered");
}

#[test]
fn down_hosts_at_verbose() {
    let r = check("down-verbose");
    assert_eq!(r.hosts.len(), 3);
    assert_eq!(r.hosts.iter().filter(|h| h.is_up()).count(), 1);
}

#[test]
fn single_down_host_note() {
    let r = check("down-quiet");
    assert!(r.hosts.is_empty(), "Nmap leaves down hosts out of XML below -v");
}

#[test]
fn very_verbose_mixed() {
    check("vv-mixed");
}

#[test]
fn equal_counts_put_closed_before_filtered() {
    check("tie");
}

/// `-sV` with two services that answer but match nothing (banners made up for the test) and one that
/// matches: the VERSION column, "?" after the guessed names and the fingerprint block. Recorded with
/// `nmap -sV --version-intensity 2 -p 7001,7002,7003,8080 127.0.0.1` in a namespace of its own, with Python
/// listeners sending the banners on 7001 and 7003 and `python3 -m http.server` on 8080.
#[test]
fn version_scan_with_unrecognized_services() {
    let r = check("sv-unrecognized");
    let fps = r.hosts[0].ports.iter().filter(|p| p.service.as_ref().is_some_and(|s| s.fingerprint.is_some())).count();
    assert_eq!(fps, 2);
}
