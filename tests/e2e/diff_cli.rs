//! `portolan diff` as users run it: on real Nmap scans of the lab (tests/golden/diff), on Portolan's own
//! XML and JSON, on two Portolan scans of loopback with a port opened in between, and on bad input.
#![allow(clippy::unwrap_used)]

use portolan_report::{json, xml, xml_reader, RenderOptions};
use portolan_tests::{portolan_bin, run_limited};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/diff").join(name)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let (out, _) = run_limited(Command::new(portolan_bin()).args(args), Duration::from_secs(60));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn nmap_scans_of_the_lab_in_three_formats() {
    let (a, b) = (fixture("scan-a.xml"), fixture("scan-b.xml"));
    let (code, text, err) = run(&["diff", s(&a), s(&b)]);
    assert_eq!(code, 1, "{err}");
    for line in [
        "-8080/tcp closed http-proxy",
        "-198.18.1.3:",
        "-198.18.2.3, 02:00:00:00:0A:01:",
        "+198.18.2.3, 02:00:00:00:0B:02:",
        "-|_ banner: SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1",
        "+|_ banner: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("+8080/tcp open") && l.contains("SimpleHTTPServer")), "{text}");

    let (code, x, _) = run(&["diff", "--xml", s(&a), s(&b)]);
    assert_eq!(code, 1);
    assert!(x.starts_with("<?xml") && x.contains("<nmapdiff version=\"1\">"), "{x}");
    let mut r = quick_xml::Reader::from_str(&x);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("our --xml is not well-formed: {e}\n{x}"),
        }
    }

    let (code, j, _) = run(&["diff", "--json", s(&a), s(&b)]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let gone = v["hosts"].as_array().unwrap().iter().find(|h| h["id"] == "198.18.1.3").unwrap();
    assert_eq!(gone["changes"][0]["kind"], "host_disappeared");

    let (code, out, _) = run(&["diff", "-v", s(&a), s(&a)]);
    assert_eq!(code, 0, "a scan equals itself");
    assert!(out.contains(" 198.18.1.3:") && out.contains(" Host is up."), "-v shows unchanged hosts\n{out}");
    let (code, out, _) = run(&["diff", s(&a), s(&a)]);
    assert_eq!((code, out.as_str()), (0, ""));
}

/// Our XML and our JSON of a scan load back as the same scan: diff against Nmap's file says "equal".
#[test]
fn portolan_xml_and_json_operands() {
    let dir = tempfile::tempdir().unwrap();
    let nmap_b = fixture("scan-b.xml");
    let report = xml_reader::read(&std::fs::read_to_string(&nmap_b).unwrap()).unwrap();
    let ours_xml = dir.path().join("ours.xml");
    let ours_json = dir.path().join("ours.json");
    let opts = RenderOptions { verbose: report.verbose, ..Default::default() };
    std::fs::write(&ours_xml, xml::render(&report, &opts)).unwrap();
    std::fs::write(&ours_json, json::render(&report).unwrap()).unwrap();
    for (x, y) in [(&nmap_b, &ours_xml), (&nmap_b, &ours_json), (&ours_json, &ours_xml)] {
        let (code, out, err) = run(&["diff", s(x), s(y)]);
        assert_eq!(code, 0, "{} vs {}: {out}{err}", x.display(), y.display());
    }
    let (code, out, _) = run(&["diff", s(&fixture("scan-a.xml")), s(&ours_json)]);
    assert_eq!(code, 1);
    assert!(out.contains("+8080/tcp open"), "{out}");
}

/// Two real Portolan scans of loopback; a listener opens between them.
#[test]
fn two_portolan_scans_with_a_port_opened_between() {
    let dir = tempfile::tempdir().unwrap();
    let keep = TcpListener::bind("127.0.0.1:0").unwrap();
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let (p1, p2) = (keep.local_addr().unwrap().port(), probe.local_addr().unwrap().port());
    drop(probe);
    let ports = format!("{p1},{p2}");
    let scan = |name: &str| {
        let path = dir.path().join(name);
        let (code, _, err) = run(&["-sT", "-n", "-Pn", "-p", &ports, "-oX", s(&path), "127.0.0.1"]);
        assert_eq!(code, 0, "{err}");
        path
    };
    let before = scan("before.xml");
    let reopened = TcpListener::bind(("127.0.0.1", p2));
    let Ok(_reopened) = reopened else {
        eprintln!("SKIP: port {p2} was taken by someone else between the scans");
        return;
    };
    let after = scan("after.xml");
    let (code, out, err) = run(&["diff", s(&before), s(&after)]);
    assert_eq!(code, 1, "{out}{err}");
    let (code, j, _) = run(&["diff", "--json", s(&before), s(&after)]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    let changes = v["hosts"][0]["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["kind"] == "port_state" && c["port"] == p2 && c["from"] == "closed" && c["to"] == "open"),
        "{j}"
    );
    assert!(!changes.iter().any(|c| c["port"] == p1), "the port open in both scans did not change: {j}");
    drop(keep);
}

#[test]
fn bad_input_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.xml");
    std::fs::write(&broken, "<nmaprun>\n<host><status state=\"up\"/>\n<ports><port protocol=\"tcp\" portid=\"x\"/>").unwrap();
    let a = fixture("scan-a.xml");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["diff", s(&a)], "need exactly two scans".into()),
        (vec!["diff", "--bogus", s(&a), s(&a)], "unknown option '--bogus'".into()),
        (vec!["diff", s(&a), "/nonexistent/b.xml"], "/nonexistent/b.xml".into()),
        (vec!["diff", s(&a), s(&broken)], format!("{}: XML error at line 3", broken.display())),
        (vec!["diff", "12", "15"], "no scan history at".into()),
        (vec!["diff", "--history"], "--history needs a value".into()),
    ];
    let nowhere = dir.path().join("no-history.db");
    for (args, needle) in cases {
        let (out, _) = run_limited(
            Command::new(portolan_bin()).args(&args).env("PORTOLAN_HISTORY", &nowhere),
            Duration::from_secs(60),
        );
        let (code, out, err) = (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(&needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
    assert!(!nowhere.exists(), "diffing scan ids must not create a history");
    let (code, out, _) = run(&["diff", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: portolan diff"));
}

/// Scan ids of the history: imported with `portolan history import`, diffed by id, the same output as the
/// files give.
#[test]
fn history_ids_as_operands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let (a, b) = (fixture("scan-a.xml"), fixture("scan-b.xml"));
    let (code, out, err) = run(&["history", "--history", s(&db), "import", s(&a), s(&b)]);
    assert_eq!(code, 0, "{out}{err}");
    let ids: Vec<String> = out
        .lines()
        .filter_map(|l| l.split(" as scan ").nth(1))
        .map(|t| t.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{out}");
    let (code, by_file, _) = run(&["diff", s(&a), s(&b)]);
    assert_eq!(code, 1);
    let (code, by_id, err) = run(&["diff", "--history", s(&db), &ids[0], &ids[1]]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(by_id, by_file);
    let (code, mixed, _) = run(&["diff", "--history", s(&db), &ids[0], s(&b)]);
    assert_eq!((code, mixed.as_str()), (1, by_file.as_str()));
    let (code, _, err) = run(&["diff", "--history", s(&db), &ids[0], "999"]);
    assert_eq!(code, 2);
    assert!(err.contains("999"), "{err}");
}
