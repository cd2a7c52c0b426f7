//! The IP protocol scan (`-sO`) against Nmap in the same run: every protocol's state and reason must be
//! equal. Names are compared only with `--datadir` pointing at Nmap's data (without it they come from the
//! system's /etc/protocols, whose words differ from IANA's keywords for some numbers).
//!
//! One measured exception: for protocol 1 (ICMP) Nmap 7.93's reason varies from run to run: "echo-reply",
//! "proto-unreach" or "unknown-response" (all three seen here, same lab, same command). Portolan always
//! gives "echo-reply", the reply to the echo request it sent; Nmap is only required to say "open".
#![allow(clippy::unwrap_used)]

use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{portolan_bin, run_limited};
use std::path::Path;
use std::time::Duration;

/// (protocol, state, name, reason) rows of the PROTOCOL table, and the "Not shown" line.
fn table(normal: &str) -> Vec<Vec<String>> {
    normal
        .lines()
        .filter(|l| l.starts_with("Not shown") || l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn ip_protocol_scan_matches_nmap() {
    if !require_root_or_skip() {
        return;
    }
    let bin = portolan_bin();
    let lab = Lab::start_named("ipproto").unwrap();
    let target = lab.addr("target").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let run = |program: &Path, gnmap: &Path| {
        let mut cmd = lab.command(lab.scanner(), program).unwrap();
        cmd.args(["-sO", "-p", "0-20,41,47,50,103,132,136", "--reason", "-n", "-oG"]).arg(gnmap).arg(&target);
        if program == bin.as_path() {
            // Nmap's protocol names, read as a user opting in would (Debian's nmap-common).
            cmd.args(["--datadir", "/usr/share/nmap"]);
        }
        if program == bin.as_path() {
            cmd.arg("--no-history");
        }
        let (out, _) = run_limited(&mut cmd, Duration::from_secs(200));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (g_ours, g_nmap) = (dir.path().join("ours.gnmap"), dir.path().join("nmap.gnmap"));
    let ours = run(&bin, &g_ours);
    let theirs = run(Path::new("nmap"), &g_nmap);
    let (mut a, mut b) = (table(&ours), table(&theirs));
    for rows in [&mut a, &mut b] {
        for r in rows.iter_mut().filter(|r| r[0] == "1") {
            assert_eq!(r[1], "open", "ICMP is open: {r:?}");
            r.truncate(3);
        }
    }
    assert!(ours.lines().any(|l| l.starts_with("1 ") && l.contains("echo-reply")), "{ours}");
    assert_eq!(a, b, "ours:\n{ours}\nnmap:\n{theirs}");
    let protocols = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .find_map(|l| l.split("Protocols: ").nth(1).map(str::to_owned))
            .unwrap()
    };
    assert_eq!(protocols(&g_ours), protocols(&g_nmap), "grepable Protocols: lines differ");
    lab.stop().unwrap();
}
