//! The helper process against the real `portolan` binary on loopback: parsing, a scan relayed in order, a
//! cancelled scan reported as interrupted, a missing binary. Needs `PORTOLAN_BIN` (a built
//! `cargo build -p portolan-cli`).

use portolan_desktop::ErrorCode;
use portolan_desktop::helper::{self, Registry, ScanMessage};
use portolan_model::{EventBody, PortState};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    let p = std::env::var_os("PORTOLAN_BIN")
        .map(PathBuf::from)
        .expect("set PORTOLAN_BIN to a built portolan binary (cargo build -p portolan-cli)");
    assert!(p.is_file(), "PORTOLAN_BIN={} is not a file", p.display());
    p
}

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// Collects a scan's messages; `exit()` waits (bounded) for the exit message.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<ScanMessage>>>);

impl Sink {
    fn push(&self) -> impl Fn(ScanMessage) + Send + 'static {
        let s = self.0.clone();
        move |m| s.lock().expect("sink").push(m)
    }
    fn messages(&self) -> Vec<ScanMessage> {
        self.0.lock().expect("sink").clone()
    }
    async fn wait_exit(&self, limit: Duration) -> Vec<ScanMessage> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let m = self.messages();
            if matches!(m.last(), Some(ScanMessage::Exit { .. })) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no exit message within {limit:?}; got {} messages", self.messages().len());
    }
}

#[tokio::test]
async fn parse_only_answers_plans_and_usage_errors() {
    let ok = helper::parse_plan(&bin(), &args("-T4 -F 127.0.0.1")).await.expect("valid command");
    assert_eq!(ok.command_line, args("-F -T4 127.0.0.1"));
    assert_eq!(ok.plan.targets, vec!["127.0.0.1".to_owned()]);
    assert!(ok.blocked.is_none() && ok.notices.is_empty(), "{ok:?}");
    let udp = helper::parse_plan(&bin(), &args("--unprivileged -sU -p 53 127.0.0.1")).await.expect("valid command");
    assert!(udp.blocked.as_deref().is_some_and(|b| b.contains("-sU needs raw-packet privileges")), "{udp:?}");
    let syn = helper::parse_plan(&bin(), &args("--unprivileged -sS -p 53 127.0.0.1")).await.expect("valid command");
    assert!(syn.blocked.is_none() && syn.notices[0].contains("falling back to a connect scan"), "{syn:?}");
    let err = helper::parse_plan(&bin(), &args("-p 99999 127.0.0.1")).await.expect_err("bad port");
    assert_eq!(err.code, ErrorCode::Usage);
    assert!(err.message.contains("99999"), "{}", err.message);
    let missing = helper::parse_plan(&PathBuf::from("/nonexistent/portolan"), &[]).await.expect_err("no binary");
    assert_eq!(missing.code, ErrorCode::HelperMissing);
    assert!(missing.message.contains("/nonexistent/portolan"));
    // The JSON the UI receives: {code, message}.
    assert_eq!(serde_json::to_value(&err).expect("json")["code"], "usage");
}

#[tokio::test]
async fn a_scan_is_relayed_in_order_and_ends_with_one_exit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let reg = Registry::new(bin());
    let sink = Sink::default();
    let cmd = format!("-sT -Pn -p {port},{} 127.0.0.1", port.wrapping_add(1).max(1));
    let id = reg.start(&args(&cmd), sink.push()).expect("start");
    assert!(id.starts_with("scan-"));
    let msgs = sink.wait_exit(Duration::from_secs(60)).await;
    let events: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            ScanMessage::Event { event } => Some(event),
            ScanMessage::Exit { .. } => None,
        })
        .collect();
    assert!(matches!(events.first().map(|e| &e.body), Some(EventBody::ScanStarted { .. })));
    assert!(matches!(events.last().map(|e| &e.body), Some(EventBody::Finished { .. })));
    assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1), "events out of order");
    assert!(events.iter().any(|e| matches!(&e.body,
        EventBody::Port { port: p, state: PortState::Open, .. } if *p == port)));
    let exits = msgs.iter().filter(|m| matches!(m, ScanMessage::Exit { .. })).count();
    assert_eq!(exits, 1);
    let Some(ScanMessage::Exit { exit }) = msgs.last() else { unreachable!() };
    assert_eq!(exit.code, Some(0), "stderr: {}", exit.stderr);
    assert!(!exit.interrupted);
    assert_eq!(reg.running(), 0);
    assert_eq!(reg.cancel(&id).expect_err("gone").code, ErrorCode::NoSuchScan);
    drop(listener);
}

#[tokio::test]
async fn a_cancelled_scan_is_interrupted_and_stops_within_the_grace_period() {
    let reg = Registry::new(bin());
    let sink = Sink::default();
    // Every TCP port at 50 packets per second would take over 20 minutes.
    let id = reg.start(&args("-sT -Pn -p- --max-rate 50 127.0.0.1"), sink.push()).expect("start");
    let t0 = Instant::now();
    while sink.messages().is_empty() && t0.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!sink.messages().is_empty(), "the scan never started");
    let t = Instant::now();
    reg.cancel(&id).expect("cancel");
    let msgs = sink.wait_exit(helper::GRACE + Duration::from_secs(10)).await;
    let Some(ScanMessage::Exit { exit }) = msgs.last() else { unreachable!() };
    assert!(exit.interrupted);
    assert!(t.elapsed() < helper::GRACE + Duration::from_secs(5), "took {:?}", t.elapsed());
    assert_eq!(reg.running(), 0);
}

#[test]
fn the_channel_messages_have_the_shape_the_ui_expects() {
    let exit = helper::ScanExit { code: None, signal: Some(15), interrupted: true, stderr: String::new() };
    let v = serde_json::to_value(ScanMessage::Exit { exit }).expect("json");
    assert_eq!(v["kind"], "exit");
    assert_eq!(v["exit"]["signal"], 15);
    assert_eq!(v["exit"]["interrupted"], true);
}

#[tokio::test]
async fn a_saved_xml_opens_and_saves_in_every_format() {
    use portolan_desktop::files::{self, SaveFormat, XmlSource};
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let xml = dir.path().join("scan.xml");
    let status = tokio::process::Command::new(bin())
        .args(args(&format!("-sT -Pn -p {port} -oX {} 127.0.0.1", xml.display())))
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .expect("run portolan");
    assert!(status.success());
    let report = files::open_xml(&XmlSource::Path { path: xml.display().to_string() }).expect("open");
    let host = report.hosts.first().expect("one host");
    assert!(host.ports.iter().any(|p| p.port == port && p.state == PortState::Open));
    for (fmt, needle) in [
        (SaveFormat::Normal, format!("{port}/tcp open")),
        (SaveFormat::Xml, format!("portid=\"{port}\"")),
        (SaveFormat::Json, format!("\"port\": {port}")),
        (SaveFormat::Csv, format!(",up,tcp,{port},open,")),
        (SaveFormat::Html, format!("<td>{port}/tcp</td><td class=\"open\">open</td>")),
        (SaveFormat::Markdown, format!("| {port}/tcp | open |")),
    ] {
        let out = dir.path().join("out");
        files::save_report(&report, fmt, &out.display().to_string()).expect("save");
        let text = std::fs::read_to_string(&out).expect("read back");
        assert!(text.contains(&needle), "{fmt:?}: {needle} not in\n{text}");
    }
    // Opened in parts: the header and the first hosts at once (one host: nothing left for later).
    let open = files::OpenReports::default();
    let b = open.begin(&XmlSource::Path { path: xml.display().to_string() }).expect("begin");
    assert_eq!((b.id, b.total_hosts, &b.hosts), (0, 1, &report.hosts));
    assert!(open.begin(&XmlSource::Text { text: "<nmaprun><host>".into() }).is_err());
    let bad = files::open_xml(&XmlSource::Text { text: "<nmaprun><host>".into() }).expect_err("truncated");
    assert_eq!(bad.code, ErrorCode::BadFile);
    let missing = files::open_xml(&XmlSource::Path { path: "/nonexistent/x.xml".into() }).expect_err("missing");
    assert!(missing.message.contains("/nonexistent/x.xml"));
    drop(listener);
}

/// The helper processes this test process started whose command line holds `needle`, found through /proc
/// (their parent is us; other tests run helpers at the same time).
fn our_helpers(needle: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if rest.split_whitespace().nth(1) == Some(me.as_str()) && stat.contains("(portolan)") && cmdline.contains(needle) {
            out.push(pid);
        }
    }
    out
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_helper_killed_from_outside_leaves_an_interrupted_scan_with_what_it_found() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let reg = Registry::new(bin());
    let sink = Sink::default();
    // The listener's port first (-r scans in order from the lowest), then a slow tail to kill it in.
    let cmd = format!("-sT -Pn -r -p {port},{}-65535 --max-rate 50 127.0.0.1", port.saturating_add(1));
    reg.start(&args(&cmd), sink.push()).expect("start");
    let t0 = Instant::now();
    let has_open = |m: &[ScanMessage]| {
        m.iter().any(|m| matches!(m, ScanMessage::Event { event } if matches!(&event.body,
            EventBody::Port { port: p, state: PortState::Open, .. } if *p == port)))
    };
    while !has_open(&sink.messages()) && t0.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(has_open(&sink.messages()), "the open port was never streamed");
    let pids = our_helpers(&cmd);
    assert_eq!(pids.len(), 1, "one helper running: {pids:?}");
    let st = std::process::Command::new("kill").args(["-KILL", &pids[0].to_string()]).status().expect("kill");
    assert!(st.success());
    let msgs = sink.wait_exit(Duration::from_secs(10)).await;
    let Some(ScanMessage::Exit { exit }) = msgs.last() else { unreachable!() };
    assert!(exit.interrupted, "{exit:?}");
    assert_eq!(exit.signal, Some(9));
    assert!(has_open(&msgs), "what was found before the kill is kept");
    assert!(!msgs.iter().any(|m| matches!(m, ScanMessage::Event { event } if matches!(event.body, EventBody::Finished { .. }))));
    assert_eq!(reg.running(), 0);
    drop(listener);
}

/// `portolan -sT` of one loopback port, recorded in the history at `db`.
async fn scan_into_history(db: &str, port: u16) {
    let st = tokio::process::Command::new(bin())
        .args(args(&format!("-sT -Pn -p {port} --history {db} 127.0.0.1")))
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .expect("scan");
    assert!(st.success());
}

/// The history commands against the real binary and a history of the test's own: scans the helper ran
/// are listed (paged), found by a search, opened, imported and deleted; errors carry the CLI's message.
#[tokio::test]
async fn the_history_through_the_helper() {
    use portolan_desktop::history::{self, History};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.db").display().to_string();
    let h = History { bin: &bin(), location: Some(&db) };
    assert!(history::list(h, 10, 0).await.expect("empty list").is_empty(), "reading creates nothing");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let port = listener.local_addr().expect("addr").port();
    for _ in 0..2 {
        scan_into_history(&db, port).await;
    }
    let all = history::list(h, 10, 0).await.expect("list");
    assert_eq!(all.len(), 2);
    assert!(all[0].id > all[1].id, "newest first");
    assert_eq!(all[0].open_ports, 1);
    assert_eq!(history::list(h, 1, 1).await.expect("page 2"), all[1..]);
    let found = history::search(h, &format!("open:{port} host:127.0.0.1"), 50).await.expect("search");
    assert_eq!(found.hosts.len(), 2);
    assert!(found.hosts.iter().all(|x| x.open_ports == vec![format!("{port}/tcp")]));
    let none = history::search(h, "-host:127.0.0.1", 50).await.expect("negated search");
    assert!(none.hosts.is_empty());
    let bad = history::search(h, "open:notaport", 50).await.expect_err("bad query");
    assert_eq!(bad.code, ErrorCode::History);
    assert!(bad.message.contains("notaport"), "{}", bad.message);
    let report = history::open(h, all[0].id).await.expect("open");
    assert!(report.hosts[0].ports.iter().any(|p| p.port == port && p.state == PortState::Open));
    // Export the scan as XML with the CLI, import it back: a third scan.
    let xml = dir.path().join("scan.xml");
    let st = tokio::process::Command::new(bin())
        .args(["history", "--history", &db, "export", &all[0].id.to_string(), "-o"])
        .arg(&xml)
        .status()
        .await
        .expect("export");
    assert!(st.success());
    let msg = history::import(h, &[xml.display().to_string()]).await.expect("import");
    assert!(msg.contains("imported"), "{msg}");
    assert_eq!(history::list(h, 10, 0).await.expect("list").len(), 3);
    // Compare the two scans of the history: the same ports, so no port change (the reverse name of 127.0.0.1
    // may differ between runs here: /etc/hosts names it twice); a port closed since: that change.
    let same = history::compare(h, &all[1].id.to_string(), &all[0].id.to_string()).await.expect("compare");
    let port_changes = |v: &serde_json::Value| -> usize {
        v["hosts"].as_array().map_or(0, |hs| {
            hs.iter().flat_map(|x| x["changes"].as_array().cloned().unwrap_or_default()).filter(|c| c["kind"] == "port_state").count()
        })
    };
    assert_eq!(port_changes(&same.json), 0, "{}", same.json);
    drop(listener);
    scan_into_history(&db, port).await;
    let newest = history::list(h, 1, 0).await.expect("list")[0].id;
    let diff = history::compare(h, &all[0].id.to_string(), &newest.to_string()).await.expect("compare");
    let changes = diff.json["hosts"][0]["changes"].as_array().expect("changes").clone();
    assert!(changes.iter().any(|c| c["kind"] == "port_state" && c["port"] == port && c["from"] == "open" && c["to"] == "closed"), "{changes:?}");
    assert!(diff.text.contains(&format!("{port}/tcp")), "{}", diff.text);
    let bad = history::compare(h, "999999", &newest.to_string()).await.expect_err("no such scan");
    assert_eq!(bad.code, ErrorCode::History);
    history::delete(h, all[1].id).await.expect("delete");
    let left: Vec<i64> = history::list(h, 10, 0).await.expect("list").iter().map(|s| s.id).collect();
    assert!(!left.contains(&all[1].id) && left.len() == 3, "{left:?}");
    let gone = history::open(h, all[1].id).await.expect_err("deleted");
    assert_eq!(gone.code, ErrorCode::History);
}

/// The Map tab's layout: the real lab scan (crates/topology/tests/fixtures) gives its routers, the shared
/// router once, the silent hop, and edges that all join known nodes.
#[test]
fn a_lab_scan_is_laid_out_for_the_map() {
    use portolan_desktop::files::{self, XmlSource};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/topology/tests/fixtures/map-portolan.xml");
    let report = files::open_xml(&XmlSource::Path { path: path.into() }).expect("fixture");
    let view = files::map_view(&report, portolan_topology::LayoutKind::Radial);
    assert_eq!((view.nodes.len(), view.edges.len()), (11, 10));
    assert_eq!(view.nodes.iter().filter(|n| n.kind == portolan_topology::NodeKind::Unknown).count(), 1);
    let ids: std::collections::HashSet<&str> = view.nodes.iter().map(|n| n.id.as_str()).collect();
    assert!(view.edges.iter().all(|e| ids.contains(e.source.as_str()) && ids.contains(e.target.as_str())));
    assert_eq!(files::map_view(&report, portolan_topology::LayoutKind::Radial), view, "deterministic");
}
