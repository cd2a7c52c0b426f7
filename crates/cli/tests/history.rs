//! `portolan history` and the history a scan writes, through the real binary: import/export round trip of
//! real Nmap XML (the lab fixtures of tests/golden/diff, made by Nmap 7.93 with -sV -O --traceroute and
//! scripts), bad inputs, unusable databases, and a scan killed with SIGKILL mid-run.

#![allow(clippy::unwrap_used)]

use portolan_model::{PortState, ScanReport};
use portolan_store::{ScanStatus, Store};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_portolan")
}

/// Runs `portolan ARGS` with a time limit; the tests' own history is always explicit.
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("PORTOLAN_HISTORY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("portolan {args:?} did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/diff").join(name)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn scan_count(db: &Path) -> usize {
    rt().block_on(async {
        let s = Store::open(&db.display().to_string()).await.unwrap();
        let n = s.list(1000, 0).await.unwrap().len();
        s.close().await;
        n
    })
}

/// Everything a user reads from a report, as comparable lines.
fn facts(r: &ScanReport) -> BTreeSet<String> {
    let mut f = BTreeSet::new();
    f.insert(format!("scanner {} {} args {}", r.scanner, r.version, r.args));
    for h in &r.hosts {
        let ip = h.ip().map(|i| i.to_string()).unwrap_or_default();
        f.insert(format!("{ip} status {} {}", h.status.state.as_str(), h.status.reason));
        for a in &h.addresses {
            f.insert(format!("{ip} address {} {} {:?}", a.addr, a.kind.as_str(), a.vendor));
        }
        for n in &h.hostnames {
            f.insert(format!("{ip} name {} {}", n.name, n.kind.as_str()));
        }
        for p in &h.ports {
            let s = p.service.as_ref();
            f.insert(format!(
                "{ip} port {}/{} {} {} svc {:?} {:?} {:?} {:?} {:?} {:?}",
                p.port,
                p.protocol,
                p.state,
                p.reason,
                s.map(|s| &s.name),
                s.and_then(|s| s.product.as_ref()),
                s.and_then(|s| s.version.as_ref()),
                s.and_then(|s| s.extra_info.as_ref()),
                s.map(|s| &s.cpe),
                s.map(|s| s.method.as_str())
            ));
            for sc in &p.scripts {
                f.insert(format!("{ip} port {} script {} {:?}", p.port, sc.id, sc.output));
            }
        }
        for e in &h.extra_ports {
            f.insert(format!("{ip} extraports {} {}", e.state, e.count));
        }
        for sc in &h.host_scripts {
            f.insert(format!("{ip} hostscript {} {:?}", sc.id, sc.output));
        }
        if let Some(os) = &h.os {
            for m in &os.matches {
                f.insert(format!("{ip} os {} {}", m.name, m.accuracy));
                for c in &m.classes {
                    f.insert(format!("{ip} osclass {} {} {:?} {:?} {:?}", c.vendor, c.family, c.generation, c.device_type, c.cpe));
                }
            }
        }
        if let Some(t) = &h.trace {
            for hop in &t.hops {
                f.insert(format!("{ip} hop {} {:?} {:?}", hop.ttl, hop.addr, hop.host));
            }
        }
        f.insert(format!("{ip} distance {:?} uptime {:?}", h.distance, h.uptime.as_ref().map(|u| u.seconds)));
    }
    f
}

#[test]
fn real_nmap_xml_round_trips_through_the_history() {
    let src = fixture("scan-a.xml");
    if !src.exists() {
        eprintln!("skipped: {} missing", src.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db_s = db.display().to_string();
    let out = run(&["history", "--history", &db_s, "import", src.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("as scan 1"), "{}", text(&out.stdout));

    let original = portolan_report::xml_reader::read(&std::fs::read_to_string(&src).unwrap()).unwrap();
    // The fixture really has what the round trip is about.
    let all = facts(&original);
    for needle in [" os ", " hop ", " script banner", " hostscript ", "cpe:/"] {
        assert!(all.iter().any(|f| f.contains(needle)), "fixture lacks {needle:?}");
    }

    let xml_out = dir.path().join("out.xml");
    let out = run(&["history", "--history", &db_s, "export", "1", "-o", xml_out.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let back = portolan_report::xml_reader::read(&std::fs::read_to_string(&xml_out).unwrap()).unwrap();
    let (a, b) = (facts(&original), facts(&back));
    assert_eq!(a.difference(&b).collect::<Vec<_>>(), Vec::<&String>::new(), "lost in XML export");
    assert_eq!(b.difference(&a).collect::<Vec<_>>(), Vec::<&String>::new(), "invented by XML export");

    // JSON export is the stored report, exactly.
    let out = run(&["history", "--history", &db_s, "export", "1", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: ScanReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json, original);

    // The normalised rows serve the search.
    let out = run(&["history", "--history", &db_s, "search", "--json", "script:banner", "os:linux"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: BTreeSet<String> = original
        .hosts
        .iter()
        .filter(|h| {
            h.ports.iter().any(|p| p.scripts.iter().any(|s| s.id == "banner"))
                && h.os.as_ref().is_some_and(|o| o.matches.iter().any(|m| m.name.to_lowercase().contains("linux")))
        })
        .filter_map(|h| h.ip().map(|i| i.to_string()))
        .collect();
    let got: BTreeSet<String> = v["hosts"].as_array().unwrap().iter().map(|h| h["ip"].as_str().unwrap().to_owned()).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn search_json_lists_each_hits_services_as_the_fixture_has_them() {
    let (a, b) = (fixture("scan-a.xml"), fixture("scan-b.xml"));
    if !a.exists() || !b.exists() {
        eprintln!("skipped: lab fixtures missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db_s = dir.path().join("h.db").display().to_string();
    let out = run(&["history", "--history", &db_s, "import", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["history", "--history", &db_s, "search", "--json", "service:http"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Expected, per scan (newest first) and host: the open ports' services straight from the XML.
    let mut want = Vec::new();
    for f in [&b, &a] {
        let r = portolan_report::xml_reader::read(&std::fs::read_to_string(f).unwrap()).unwrap();
        for h in &r.hosts {
            let open: Vec<_> = h.ports.iter().filter(|p| p.state == PortState::Open).collect();
            if !open.iter().any(|p| p.service.as_ref().is_some_and(|s| s.name == "http")) {
                continue;
            }
            let svcs: Vec<String> = open
                .iter()
                .filter_map(|p| {
                    p.service.as_ref().map(|s| {
                        format!("{}/{} {} {:?} {:?} {:?}", p.port, p.protocol.as_str(), s.name, s.product, s.version, s.extra_info)
                    })
                })
                .collect();
            want.push((h.ip().map(|i| i.to_string()).unwrap_or_default(), svcs));
        }
    }
    let s = |x: &serde_json::Value| x.as_str().map(str::to_owned);
    let got: Vec<(String, Vec<String>)> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            // The older fields are still there, as before.
            assert!(h["open_ports"].is_array() && h["hostnames"].is_array() && h["scan_started"].is_i64(), "{h}");
            let svcs = h["services"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    format!(
                        "{}/{} {} {:?} {:?} {:?}",
                        x["port"],
                        x["protocol"].as_str().unwrap(),
                        x["name"].as_str().unwrap(),
                        s(&x["product"]),
                        s(&x["version"]),
                        s(&x["extra_info"])
                    )
                })
                .collect();
            (h["ip"].as_str().unwrap().to_owned(), svcs)
        })
        .collect();
    assert!(want.len() >= 2 && want.iter().any(|(_, v)| v.iter().any(|x| x.contains("SimpleHTTPServer"))), "{want:?}");
    assert_eq!(got, want);
}

#[test]
fn bad_files_are_refused_whole_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db_s = db.display().to_string();
    let p = |n: &str| dir.path().join(n);
    let good = fixture("scan-a.xml");
    let good_text = if good.exists() { std::fs::read_to_string(&good).unwrap() } else { String::new() };

    let truncated = p("truncated.xml");
    std::fs::write(&truncated, &good_text[..good_text.len() / 2]).unwrap_or(());
    let laughs = p("laughs.xml");
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 { "lol".to_owned() } else { format!("lol{}", i - 1) };
        bomb.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    bomb.push_str("]>\n<nmaprun scanner=\"nmap\" args=\"&lol9;\" start=\"1\" version=\"7.93\">\n<host><status state=\"up\" reason=\"x\" reason_ttl=\"0\"/><address addr=\"198.18.0.1\" addrtype=\"ipv4\"/><hostnames><hostname name=\"&lol9;\" type=\"PTR\"/></hostnames></host>\n</nmaprun>\n");
    std::fs::write(&laughs, &bomb).unwrap();
    let huge = p("huge-attr.xml");
    let big = "A".repeat(64 << 20);
    std::fs::write(&huge, format!("<?xml version=\"1.0\"?>\n<nmaprun scanner=\"nmap\" args=\"{big}\" start=\"1\" version=\"7.93\" xmloutputversion=\"1.05\">\n<host><status state=\"up\" reason=\"x\" reason_ttl=\"0\"/><address addr=\"198.18.0.1\" addrtype=\"ipv4\" vendor=\"{big}\"/></host>\n")).unwrap();
    let binary = p("image.png");
    std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe]).unwrap();
    let text_file = p("notes.txt");
    std::fs::write(&text_file, "Nmap scan report for 198.18.0.1\nHost is up.\n").unwrap();
    let bad_json = p("bad.json");
    std::fs::write(&bad_json, "{\n  \"scanner\": \"portolan\",\n  \"hosts\": [\n").unwrap();

    let mut cases: Vec<(&Path, &[&str])> = vec![
        (&laughs, &["laughs.xml"]),
        (&huge, &["huge-attr.xml", "line"]),
        (&binary, &["image.png", "UTF-8"]),
        (&text_file, &["notes.txt", "neither Nmap XML nor Portolan JSON"]),
        (&bad_json, &["bad.json", "line 4"]),
    ];
    if good.exists() {
        cases.push((&truncated, &["truncated.xml", "line", "column"]));
    }
    for (file, needles) in cases {
        let start = Instant::now();
        // A good file first: it must not be imported either.
        let mut args = vec!["history", "--history", db_s.as_str(), "import"];
        if good.exists() {
            args.push(good.to_str().unwrap());
        }
        args.push(file.to_str().unwrap());
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", file.display());
        assert!(!err.contains("panicked"), "{err}");
        for n in needles {
            assert!(err.contains(n), "{}: {n:?} not in {err}", file.display());
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{} took {:?}", file.display(), start.elapsed());
        if db.exists() {
            assert_eq!(scan_count(&db), 0, "{}: something was imported", file.display());
        }
    }
    // Entity declarations that nothing uses are inert: quick-xml never expands a DTD.
    let inert = p("inert-dtd.xml");
    std::fs::write(&inert, bomb.replace("args=\"&lol9;\"", "args=\"x\"").replace("name=\"&lol9;\"", "name=\"y\"")).unwrap();
    let out = run(&["history", "--history", &db_s, "import", inert.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["history", "--history", &db_s, "export", "1", "--format", "json"]);
    let r: ScanReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((r.args.as_str(), r.hosts[0].hostnames[0].name.as_str()), ("x", "y"));
}

#[test]
fn unusable_databases_warn_and_the_scan_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.db");
    let newer_s = newer.display().to_string();
    rt().block_on(async {
        let s = Store::open(&newer_s).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000000, 'future', TRUE, X'00', 1)")
            .execute(s.pool())
            .await
            .unwrap();
        s.close().await;
    });
    let before = std::fs::read(&newer).unwrap();
    let small = dir.path().join("small.json");
    std::fs::write(&small, serde_json::to_string(&ScanReport::empty("portolan")).unwrap()).unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("h.db").display().to_string();
    for (db, needle) in [(newer_s.as_str(), "newer than this Portolan knows"), (under_file.as_str(), "cannot open the history database"), ("/proc/portolan-no/h.db", "cannot open the history database")] {
        // A scan of a closed loopback port: quick, and the history problem must not stop it.
        let out = run(&["-sT", "-Pn", "-n", "-p", "1", "--history", db, "127.0.0.1"]);
        let err = text(&out.stderr);
        assert!(out.status.success(), "{db}: {err}");
        assert!(err.contains("Warning: scan history") && err.contains(needle), "{db}: {err}");
        assert!(text(&out.stdout).contains("1/tcp"), "{db}: the scan ran");
        let out = run(&["history", "--history", db, "import", small.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{db}");
        assert!(text(&out.stderr).contains(needle), "{db}: {}", text(&out.stderr));
    }
    let out = run(&["history", "--history", &newer_s, "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("newer than this Portolan knows"), "{}", text(&out.stderr));
    // Reading commands never create a history.
    let absent = dir.path().join("absent.db");
    let out = run(&["history", "--history", absent.to_str().unwrap(), "list", "--json"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), "[]");
    let out = run(&["history", "--history", absent.to_str().unwrap(), "show", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no scan history at"), "{}", text(&out.stderr));
    assert!(!absent.exists());
    assert_eq!(std::fs::read(&newer).unwrap(), before, "the newer database was not touched");
    // Usage errors are errors too.
    for args in [&["history", "frobnicate"][..], &["history", "show"], &["history", "show", "x"], &["history", "search", "colour:blue"], &["history", "prune"]] {
        let mut a = args.to_vec();
        let db = dir.path().join("u.db").display().to_string();
        a.splice(1..1, ["--history", db.as_str()]);
        let out = run(&a);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).starts_with("portolan history: "), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn a_scan_records_itself_and_the_cli_manages_the_history() {
    let dir = tempfile::tempdir().unwrap();
    // The default location honours XDG_DATA_HOME.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let out = Command::new(bin())
        .args(["-sT", "-Pn", "-n", "-p", &port, "127.0.0.1"])
        .env_remove("PORTOLAN_HISTORY")
        .env("XDG_DATA_HOME", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = dir.path().join("portolan/history.db");
    assert!(db.exists(), "default history at $XDG_DATA_HOME/portolan/history.db");
    let db_s = db.display().to_string();
    // --no-history writes nothing; PORTOLAN_HISTORY=off neither.
    let out = run(&["-sT", "-Pn", "-n", "-p", &port, "--no-history", "--history", &db_s, "127.0.0.1"]);
    assert!(out.status.success());
    assert_eq!(scan_count(&db), 1);
    let list = run(&["history", "--history", &db_s, "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v[0]["status"], "complete");
    assert_eq!(v[0]["open_ports"], 1);
    let out = run(&["history", "--history", &db_s, "search", &format!("open:{port}")]);
    assert!(text(&out.stdout).contains(&format!("{port}/tcp")), "{}", text(&out.stdout));
    let out = run(&["history", "--history", &db_s, "show", "1"]);
    assert!(text(&out.stdout).contains(&format!("{port}/tcp open")), "{}", text(&out.stdout));
    assert!(run(&["history", "--history", &db_s, "delete", "1"]).status.success());
    assert_eq!(run(&["history", "--history", &db_s, "delete", "1"]).status.code(), Some(1));
    assert_eq!(scan_count(&db), 0);
    let help = run(&["history", "--help"]);
    assert!(text(&help.stdout).contains("net:CIDR"));
}

/// Scans every loopback port slowly, kills the scanner with SIGKILL mid-run, and checks the history: sound
/// database, scan marked interrupted, holding what the stream had shown well before the kill.
#[test]
fn a_scan_killed_with_sigkill_leaves_an_interrupted_consistent_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db_s = db.display().to_string();
    let listeners: Vec<std::net::TcpListener> = (0..3).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let mut child = Command::new(bin())
        .args(["-sT", "-Pn", "-n", "-p-", "--max-rate", "2000", "--stream-json", "--history", &db_s, "127.0.0.1"])
        .env_remove("PORTOLAN_HISTORY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, serde_json::Value)>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                let _ = tx.send((Instant::now(), v));
            }
        }
    });
    let start = Instant::now();
    // Let it run 3 s; note what was shown by 1.5 s before the kill (the writer commits at least every 0.5 s).
    std::thread::sleep(Duration::from_secs(3));
    let kill_at = Instant::now();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    drop(listeners);
    let events: Vec<(Instant, serde_json::Value)> = rx.try_iter().collect();
    assert!(!events.iter().any(|(_, v)| v["event"] == "finished"), "the scan ended before the kill; make it longer");
    let port_key = |v: &serde_json::Value| (v["port"].as_u64().unwrap() as u16, v["state"].as_str().unwrap().to_owned());
    let early: BTreeSet<(u16, String)> = events
        .iter()
        .filter(|(t, v)| v["event"] == "port" && *t + Duration::from_millis(1500) <= kill_at)
        .map(|(_, v)| port_key(v))
        .collect();
    let all: BTreeSet<(u16, String)> = events.iter().filter(|(_, v)| v["event"] == "port").map(|(_, v)| port_key(v)).collect();
    assert!(early.len() > 500, "only {} ports shown in the first {:?}", early.len(), kill_at - start);

    rt().block_on(async {
        let s = Store::open(&db_s).await.unwrap();
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        let scans = s.list(10, 0).await.unwrap();
        assert_eq!(scans.len(), 1);
        assert_eq!(scans[0].status, ScanStatus::Interrupted, "dead writer's scan reads as interrupted");
        // The stream is how the app reads a scan, not part of the scan: the stored command is the user's.
        assert_eq!(scans[0].args, format!("portolan -sT -Pn -n -p- --max-rate 2000 --history {db_s} 127.0.0.1"));
        let r = s.report(scans[0].id).await.unwrap();
        assert_eq!(r.hosts.len(), 1);
        assert!(r.run_stats.is_none());
        let stored: BTreeSet<(u16, String)> = r.hosts[0].ports.iter().map(|p| (p.port, p.state.as_str().to_owned())).collect();
        let missing: Vec<_> = early.difference(&stored).take(5).collect();
        assert!(missing.is_empty(), "{} ports shown >1.5 s before the kill are not in the history, e.g. {missing:?}", early.difference(&stored).count());
        let invented: Vec<_> = stored.difference(&all).take(5).collect();
        assert!(invented.is_empty(), "history holds ports the stream never showed: {invented:?}");
        assert!(r.hosts[0].ports.iter().all(|p| p.state == PortState::Closed || p.state == PortState::Open));
        eprintln!("kill test: {} ports streamed, {} committed, {} shown >1.5 s before the kill", all.len(), stored.len(), early.len());
        s.close().await;
    });
}

/// `history list --limit N --offset M` pages through the scans, newest first (the desktop app's history view).
#[test]
fn list_pages_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db_s = db.display().to_string();
    for f in ["scan-a.xml", "scan-b.xml", "scan-c.xml"] {
        let out = run(&["history", "--history", &db_s, "import", fixture(f).to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let ids = |extra: &[&str]| -> Vec<i64> {
        let mut args = vec!["history", "--history", db_s.as_str(), "list", "--json"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect()
    };
    let all = ids(&[]);
    assert_eq!(all.len(), 3);
    assert_eq!(ids(&["--limit", "2"]), all[..2]);
    assert_eq!(ids(&["--limit", "2", "--offset", "2"]), all[2..]);
    assert!(ids(&["--offset", "3"]).is_empty());
    let out = run(&["history", "--history", &db_s, "list", "--offset", "-1"]);
    assert!(!out.status.success() && text(&out.stderr).contains("--offset"));
}
