//! `--traceroute` in the lab against Nmap, same run: three targets four hops away behind the same three
//! routers (tests/scenarios/chain.toml). Every target's hop addresses must equal Nmap's, and equal the
//! topology the scenario built.
#![allow(clippy::unwrap_used)]

use portolan_report::xml_reader;
use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{portolan_bin, run_limited};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

type Paths = BTreeMap<String, Vec<(u8, Option<String>)>>;

fn paths(xml: &Path) -> Paths {
    let report = xml_reader::read(&std::fs::read_to_string(xml).unwrap()).unwrap();
    report
        .hosts
        .iter()
        .map(|h| {
            let hops = h
                .trace
                .as_ref()
                .map(|t| t.hops.iter().map(|x| (x.ttl, x.addr.map(|a| a.to_string()))).collect())
                .unwrap_or_default();
            (h.ip().unwrap().to_string(), hops)
        })
        .collect()
}

#[test]
fn traceroute_four_hops_matches_nmap_and_the_lab() {
    if !require_root_or_skip() {
        return;
    }
    let bin = portolan_bin();
    let lab = Lab::start_named("chain").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets = ["198.18.3.2", "198.18.4.2", "198.18.5.2"];
    let run = |program: &Path, xml: &Path| {
        let mut cmd = lab.command(lab.scanner(), program).unwrap();
        cmd.args(["--traceroute", "-p", "22,23", "-n", "-oX"]).arg(xml).args(targets);
        if program == bin.as_path() {
            cmd.arg("--no-history");
        }
        let (out, _) = run_limited(&mut cmd, Duration::from_secs(120));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ours_xml = dir.path().join("ours.xml");
    let nmap_xml = dir.path().join("nmap.xml");
    let normal = run(&bin, &ours_xml);
    run(Path::new("nmap"), &nmap_xml);
    let (ours, theirs) = (paths(&ours_xml), paths(&nmap_xml));
    assert_eq!(ours, theirs, "hops differ from nmap's");
    for t in targets {
        let want: Vec<(u8, Option<String>)> = [(1, "198.18.0.254"), (2, "198.18.1.2"), (3, "198.18.2.2"), (4, t)]
            .into_iter()
            .map(|(ttl, a)| (ttl, Some(a.to_owned())))
            .collect();
        assert_eq!(ours[t], want, "{t}: not the lab's topology");
    }
    // The later hosts share the routers: printed the way Nmap prints a shared path.
    assert_eq!(normal.matches("Hops 1-3 are the same as for").count(), 2, "{normal}");
    lab.stop().unwrap();
}
