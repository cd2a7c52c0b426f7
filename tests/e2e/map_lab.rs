//! `portolan map` on a real `--traceroute` scan of a multi-router lab (tests/scenarios/map.toml): several
//! subnets, a router shared by two targets, targets at equal distance through different routers, and a silent
//! router (nftables drops the ICMP time-exceeded it would send). The map's edges must equal the topology the
//! lab built, for Portolan's scan and for Nmap's in the same lab; the SVG must be well-formed and carry every
//! label. The SVG of the Portolan scan is kept at target/topology/map-lab.svg for review.
#![allow(clippy::unwrap_used)]

use portolan_testkit::{Lab, require_root_or_skip};
use portolan_tests::{portolan_bin, run_limited};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

type Edges = BTreeSet<(String, String)>;

/// The lab's topology, from the addresses the lab gave each namespace (a router answers traceroute from the
/// address facing the scanner: its first link). The silent router r4 shows as one unknown hop between r3
/// and r5.
fn real_edges(lab: &Lab) -> Edges {
    let a = |ns: &str| lab.addr(ns).unwrap().to_string();
    let silent = format!("*{}>{}#1/1", a("r3"), a("r5"));
    [
        ("localhost".to_owned(), a("r1")),
        (a("r1"), a("r2")),
        (a("r1"), a("r3")),
        (a("r2"), a("t1")),
        (a("r2"), a("t2")),
        (a("r3"), a("t3")),
        (a("r3"), silent.clone()),
        (silent, a("r5")),
        (a("r5"), a("t4")),
        (a("r5"), a("t5")),
    ]
    .into_iter()
    .collect()
}

fn target_dir() -> PathBuf {
    // target/<profile>/deps/<test binary>
    std::env::current_exe().unwrap().ancestors().nth(3).unwrap().to_path_buf()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// Runs `portolan map` on a scan file; returns the map's JSON view and the SVG text.
fn map(xml: &Path, svg: &Path) -> (serde_json::Value, String) {
    let json = svg.with_extension("json");
    let mut cmd = Command::new(portolan_bin());
    cmd.arg("map").arg(xml).arg("-o").arg(svg).arg("--json").arg(&json);
    let (out, _) = run_limited(&mut cmd, Duration::from_secs(60));
    assert!(out.status.success(), "portolan map: {}", String::from_utf8_lossy(&out.stderr));
    let view: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (view, std::fs::read_to_string(svg).unwrap())
}

fn edges(view: &serde_json::Value) -> Edges {
    view["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["source"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
        .collect()
}

fn check_svg(view: &serde_json::Value, svg_path: &Path, svg: &str) {
    let lint = Command::new("xmllint").arg("--noout").arg(svg_path).output().unwrap();
    assert!(lint.status.success(), "SVG not well-formed: {}", String::from_utf8_lossy(&lint.stderr));
    let mut reader = quick_xml::Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut texts = BTreeSet::new();
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Text(t) => {
                texts.insert(t.unescape().unwrap().into_owned());
            }
            _ => {}
        }
    }
    for n in view["nodes"].as_array().unwrap() {
        let label = n["label"].as_str().unwrap();
        assert!(texts.contains(label), "label {label} not drawn");
        assert!(svg.contains(&format!(">{}</text>", escape(label))), "label {label} not escaped as text");
    }
}

fn scan(lab: &Lab, program: &Path, targets: &[String], xml: &Path) {
    let mut cmd = lab.command(lab.scanner(), program).unwrap();
    cmd.args(["--traceroute", "-p", "22,80,443", "-n", "-oX"]).arg(xml).args(targets);
    if program == portolan_bin().as_path() {
        cmd.arg("--no-history");
    }
    let (out, _) = run_limited(&mut cmd, Duration::from_secs(120));
    assert!(out.status.success(), "{program:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Map of a scan whose targets are listed from the far end of the lab first.
#[test]
fn map_of_a_traceroute_scan_equals_the_lab_topology() {
    if !require_root_or_skip() {
        return;
    }
    let bin = portolan_bin();
    let lab = Lab::start_named("map").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut targets: Vec<String> = ["t1", "t2", "t3", "t4", "t5"].iter().map(|t| lab.addr(t).unwrap().to_string()).collect();
    targets.reverse();
    let want = real_edges(&lab);

    let ours_xml = dir.path().join("ours.xml");
    scan(&lab, &bin, &targets, &ours_xml);
    let out_dir = target_dir().join("topology");
    std::fs::create_dir_all(&out_dir).unwrap();
    let svg_path = out_dir.join("map-lab.svg");
    let (view, svg) = map(&ours_xml, &svg_path);
    assert_eq!(edges(&view), want, "portolan's map is not the lab's topology");
    check_svg(&view, &svg_path, &svg);
    // Open ports as the lab's services listen (t1: 22 80; t2: 22; t3: 22 80 443; t4: none; t5: 22 80 443).
    let open: BTreeMap<String, u64> = view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "host")
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n["open_ports"].as_u64().unwrap()))
        .collect();
    let want_open: BTreeMap<String, u64> =
        [("t1", 2), ("t2", 1), ("t3", 3), ("t4", 0), ("t5", 3)].iter().map(|(t, n)| (lab.addr(t).unwrap().to_string(), *n)).collect();
    assert_eq!(open, want_open);
    // Rings: the hop counts of the lab (3 for t1-t3 through two different routers, 5 behind the silent one).
    for n in view["nodes"].as_array().unwrap() {
        assert_eq!(n["ring"], n["hops"], "{}", n["id"]);
    }

    // Nmap in the same lab draws the same map.
    let nmap_xml = dir.path().join("nmap.xml");
    scan(&lab, Path::new("nmap"), &targets, &nmap_xml);
    let (nview, nsvg) = map(&nmap_xml, &dir.path().join("nmap.svg"));
    assert_eq!(edges(&nview), want, "nmap's map is not the lab's topology");
    check_svg(&nview, &dir.path().join("nmap.svg"), &nsvg);
    lab.stop().unwrap();
}

/// The same scan with the targets in address order. Portolan's traceroute hop cache then gives the last
/// target the path of the first (crates/engine/src/raw/trace.rs copies the hops below a cache hit from the
/// gateway's first host, not from the cache entry's owner); this test fails until that is fixed.
#[test]
fn map_of_a_traceroute_scan_in_address_order_equals_the_lab_topology() {
    if !require_root_or_skip() {
        return;
    }
    let bin = portolan_bin();
    let lab = Lab::start_named("map").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<String> = ["t1", "t2", "t3", "t4", "t5"].iter().map(|t| lab.addr(t).unwrap().to_string()).collect();
    let xml = dir.path().join("ours.xml");
    scan(&lab, &bin, &targets, &xml);
    let (view, _) = map(&xml, &dir.path().join("ours.svg"));
    assert_eq!(edges(&view), real_edges(&lab), "portolan's map is not the lab's topology");
    lab.stop().unwrap();
}

/// Bad input ends with status 2 and a message naming what and where; no panic. Needs no lab.
#[test]
fn map_refuses_bad_input_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.xml");
    std::fs::write(&truncated, "<?xml version=\"1.0\"?>\n<nmaprun scanner=\"nmap\">\n<host><status state=\"up\"").unwrap();
    let binary = dir.path().join("binary.xml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x3c]).unwrap();
    let missing = dir.path().join("missing.xml");
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/topology/tests/fixtures/map-nmap.xml");
    let unwritable = dir.path().join("no/such/dir/map.svg");
    let cases: Vec<(Vec<std::ffi::OsString>, String)> = vec![
        (vec![truncated.clone().into()], format!("{}: XML error at line 3", truncated.display())),
        (vec![binary.clone().into()], format!("{}: not UTF-8", binary.display())),
        (vec![missing.clone().into()], format!("{}: cannot read", missing.display())),
        (vec!["--layout".into(), "spiral".into(), good.clone().into()], "unknown layout 'spiral'".into()),
        (vec!["--bogus".into(), good.clone().into()], "unknown option '--bogus'".into()),
        (vec![], "no scan file given".into()),
        (vec![good.clone().into(), "-o".into(), unwritable.clone().into()], format!("{}: cannot write", unwritable.display())),
    ];
    for (args, want) in cases {
        let mut cmd = Command::new(portolan_bin());
        cmd.arg("map").args(&args);
        let (out, _) = run_limited(&mut cmd, Duration::from_secs(30));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&want), "{args:?}: wanted {want:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Two scans merge into one map; '-' writes to standard output.
    let mut cmd = Command::new(portolan_bin());
    cmd.arg("map").arg(&good).arg(&good).args(["-o", "-", "--layout", "force"]);
    let (out, _) = run_limited(&mut cmd, Duration::from_secs(30));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches(r#"<g class="node "#).count(), 11, "merged scans of one network: 11 nodes");
}
