//! Comparing two report files and searching services, through the real `portolan` binary (PORTOLAN_BIN) and
//! the lab fixtures of tests/golden/diff (real Nmap 7.93 scans: port 8080 of 198.18.1.2 opens between A and B).

use portolan_desktop::ErrorCode;
use portolan_desktop::history::{self, History};
use std::path::PathBuf;

fn bin() -> PathBuf {
    let p = std::env::var_os("PORTOLAN_BIN")
        .map(PathBuf::from)
        .expect("set PORTOLAN_BIN to a built portolan binary (cargo build -p portolan-cli)");
    assert!(p.is_file(), "PORTOLAN_BIN={} is not a file", p.display());
    p
}

fn fixture(name: &str) -> String {
    format!("{}/../tests/golden/diff/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn two_files_compare_as_portolan_diff_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.db").display().to_string();
    let h = History { bin: &bin(), location: Some(&db) };
    let c = history::compare_files(h, &fixture("scan-a.xml"), &fixture("scan-b.xml")).await.expect("compare");
    let hosts = c.json["hosts"].as_array().expect("hosts");
    let web = hosts.iter().find(|x| x["id"].as_str().is_some_and(|id| id.contains("198.18.1.2"))).expect("web host");
    let changes = web["changes"].as_array().expect("changes");
    assert!(
        changes.iter().any(|x| x["kind"] == "port_state" && x["port"] == 8080 && x["from"] == "closed" && x["to"] == "open"),
        "{changes:?}"
    );
    assert!(c.text.contains("8080/tcp"), "{}", c.text);
    assert!(!std::path::Path::new(&db).exists(), "comparing files touches no history");
    let missing = dir.path().join("nope.xml").display().to_string();
    let e = history::compare_files(h, &fixture("scan-a.xml"), &missing).await.expect_err("missing file");
    assert_eq!(e.code, ErrorCode::Usage);
    assert!(e.message.contains("nope.xml"), "{}", e.message);
    // A number is not taken for a scan id here.
    let e = history::compare_files(h, "1", "2").await.expect_err("ids are not files");
    assert_eq!(e.code, ErrorCode::Usage);
}

#[tokio::test]
async fn search_hits_decode_with_their_services() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.db").display().to_string();
    let h = History { bin: &bin(), location: Some(&db) };
    history::import(h, &[fixture("scan-a.xml")]).await.expect("import");
    let r = history::search(h, "service:http", 50).await.expect("search");
    let web = r.hosts.iter().find(|x| x.ip.as_deref() == Some("198.18.1.2")).expect("198.18.1.2 runs http");
    let http = web.services.iter().find(|s| s.port == 80).expect("port 80");
    assert_eq!((http.name.as_str(), http.product.as_deref(), http.version.as_deref()), ("http", Some("SimpleHTTPServer"), Some("0.6")));
    assert!(web.services.iter().all(|s| web.open_ports.contains(&format!("{}/{}", s.port, s.protocol))));
}
