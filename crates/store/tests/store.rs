//! The store's behaviour on real databases: SQLite always, PostgreSQL when `PORTOLAN_TEST_PG_URL` is set
//! (CI sets it; `tools/pg-test-server` starts a throwaway server locally).

#![allow(clippy::unwrap_used)]

mod common;

use common::{backends, bulk_report, rich_report};
use portolan_model::*;
use portolan_store::{Import, NewScan, Prune, ScanStatus, Store, StoreError};
use sqlx::Executor;

fn import(r: &ScanReport) -> Import {
    Import { report: r.clone(), source: "nmap-xml".into(), file: Some("lab.xml".into()) }
}

#[tokio::test]
async fn import_reloads_the_exact_report_and_lists_it() {
    for b in backends().await {
        let s = b.open().await;
        let r = rich_report(1_764_000_000, "nmap -sV -O --traceroute --script banner 198.18.1.0/24");
        let ids = s.import(&[import(&r)]).await.unwrap();
        assert_eq!(ids.len(), 1, "{}", b.name);
        let back = s.report(ids[0]).await.unwrap();
        assert_eq!(back, r, "{}: exact reload", b.name);
        let list = s.list(10, 0).await.unwrap();
        assert_eq!(list.len(), 1);
        let l = &list[0];
        assert_eq!((l.status, l.hosts_up, l.hosts_down, l.hosts_total, l.open_ports), (ScanStatus::Complete, 2, 1, 3, 3), "{}", b.name);
        assert_eq!(l.source_file.as_deref(), Some("lab.xml"));
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn live_writer_commits_prefixes_and_finish_swaps_in_the_report() {
    for b in backends().await {
        let s = b.open().await;
        let mut w = s.begin_scan(NewScan { scanner: "portolan".into(), version: "0.1.0".into(), args: "portolan -sT 198.18.0.1-2".into(), profile: Some("quick".into()), started: 1_764_000_000 }).await.unwrap();
        let id = w.id();
        let a: std::net::IpAddr = "198.18.0.1".parse().unwrap();
        let mut seq = 0;
        let mut ev = |body: EventBody| {
            seq += 1;
            ScanEvent { seq, time_ms: 1_764_000_000_000 + seq as i64, body }
        };
        let up = HostStatus { state: HostState::Up, reason: Reason::new("syn-ack"), reason_ttl: 0 };
        w.apply(&ev(EventBody::HostStatus { addr: a, status: up, latency: Some(0.001), hostnames: vec![] })).await.unwrap();
        w.apply(&ev(EventBody::HostScanStarted { addr: a })).await.unwrap();
        let svc = Service::from_table("ssh");
        w.apply(&ev(EventBody::Port { addr: a, protocol: Protocol::Tcp, port: 22, state: PortState::Open, reason: Reason::new("syn-ack"), reason_ttl: 0, service: Some(svc.clone()) })).await.unwrap();
        w.apply(&ev(EventBody::Port { addr: a, protocol: Protocol::Tcp, port: 25, state: PortState::Closed, reason: Reason::new("conn-refused"), reason_ttl: 0, service: None })).await.unwrap();
        // Nothing is due yet (no host finished, < 0.5 s): an explicit commit makes the prefix visible.
        w.commit().await.unwrap();
        let mid = s.report(id).await.unwrap();
        assert_eq!(mid.hosts.len(), 1, "{}", b.name);
        assert_eq!(mid.hosts[0].ports.len(), 2);
        assert_eq!(mid.hosts[0].ports[0].service.as_ref().map(|s| s.name.as_str()), Some("ssh"));
        assert_eq!(s.scan(id).await.unwrap().status, ScanStatus::Running, "our own writer is alive");
        // A later event changes a port's state; a name arrives; the host finishes -> committed at once.
        w.apply(&ev(EventBody::Port { addr: a, protocol: Protocol::Tcp, port: 25, state: PortState::Open, reason: Reason::new("syn-ack"), reason_ttl: 0, service: Some(Service::from_table("smtp")) })).await.unwrap();
        w.apply(&ev(EventBody::Hostnames { addr: a, hostnames: vec![Hostname { name: "one.lab".into(), kind: HostnameKind::Ptr }] })).await.unwrap();
        w.apply(&ev(EventBody::HostFinished { addr: a, times: None, timed_out: false })).await.unwrap();
        let mid = s.report(id).await.unwrap();
        let h = &mid.hosts[0];
        assert_eq!(h.ports.iter().map(|p| (p.port, p.state)).collect::<Vec<_>>(), vec![(22, PortState::Open), (25, PortState::Open)], "{}", b.name);
        assert_eq!(h.ports[1].service.as_ref().unwrap().name, "smtp");
        assert_eq!(h.hostnames.len(), 1);
        assert!(h.end_time.is_some());
        assert_eq!(s.search("service:smtp", 10).await.unwrap().hosts.len(), 1, "searchable while running");

        let mut fin = rich_report(1_764_000_000, "portolan -sT 198.18.0.1-2");
        fin.scanner = "portolan".into();
        w.finish(&fin, ScanStatus::Complete).await.unwrap();
        assert_eq!(s.report(id).await.unwrap(), fin);
        let sum = s.scan(id).await.unwrap();
        assert_eq!((sum.status, sum.profile.as_deref(), sum.hosts_up), (ScanStatus::Complete, Some("quick"), 2));
        assert_eq!(s.search("service:smtp", 10).await.unwrap().hosts.len(), 0, "live rows were replaced");
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn a_running_scan_whose_writer_died_reads_as_interrupted() {
    for b in backends().await {
        let s = b.open().await;
        let w = s.begin_scan(NewScan { args: "portolan x".into(), started: 1, ..Default::default() }).await.unwrap();
        let id = w.id();
        // Pretend the writer was a process that has since exited.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        child.wait().unwrap();
        sqlx::query("UPDATE scans SET writer_pid = $1 WHERE id = $2").bind(pid).bind(id).execute(s.pool()).await.unwrap();
        assert_eq!(s.scan(id).await.unwrap().status, ScanStatus::Interrupted, "{}", b.name);
        // The reader recorded it.
        let st: (String,) = sqlx::query_as("SELECT status FROM scans WHERE id = $1").bind(id).fetch_one(s.pool()).await.unwrap();
        assert_eq!(st.0, "interrupted");
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn an_import_is_all_or_nothing() {
    for b in backends().await {
        let s = b.open().await;
        // The database refuses one host of the second report.
        let trap = if b.name == "sqlite" {
            "CREATE TRIGGER trap BEFORE INSERT ON hosts WHEN NEW.ip = '198.18.1.20' BEGIN SELECT RAISE(ABORT, 'trap'); END"
        } else {
            "ALTER TABLE hosts ADD CONSTRAINT trap CHECK (ip <> '198.18.1.20')"
        };
        s.pool().execute(trap).await.unwrap();
        let ok = bulk_report(3, 10);
        let bad = rich_report(20, "nmap bad");
        let err = s.import(&[import(&ok), import(&bad)]).await.unwrap_err();
        assert!(matches!(err, StoreError::Db(_)), "{}: {err}", b.name);
        assert!(s.list(10, 0).await.unwrap().is_empty(), "{}: nothing half-imported", b.name);
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM hosts").fetch_one(s.pool()).await.unwrap();
        assert_eq!(n.0, 0);
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_alone() {
    for b in backends().await {
        let s = b.open().await;
        s.import(&[import(&bulk_report(2, 5))]).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (29991231000000, 'from the future', TRUE, $1, 1)",
        )
        .bind(vec![0u8; 48])
        .execute(s.pool())
        .await
        .unwrap();
        s.close().await;
        let err = Store::open(&b.url).await.unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::NewerSchema { found: 29991231000000, .. }), "{}: {msg}", b.name);
        assert!(msg.contains("newer than this Portolan knows"), "{msg}");
        b.teardown().await;
    }
}

#[tokio::test]
async fn unwritable_locations_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    // Root ignores permission bits, so use places no one can create files in.
    for bad in [file.join("history.db").display().to_string(), "/proc/portolan-test/history.db".into()] {
        let err = Store::open(&bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("cannot open the history database"), "{err}");
    }
    // A read-only SQLite URL on a database that does not exist yet.
    let ro = format!("sqlite://{}?mode=ro", dir.path().join("absent.db").display());
    assert!(matches!(Store::open(&ro).await.unwrap_err(), StoreError::Open { .. }));
    // Not a database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let err = Store::open(&junk.display().to_string()).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. } | StoreError::Migrate { .. }), "{err}");
    assert_eq!(std::fs::read(&junk).unwrap(), vec![b'x'; 4096], "left untouched");
}

#[tokio::test]
async fn search_language_on_real_rows() {
    for b in backends().await {
        let s = b.open().await;
        let old = rich_report(1_700_000_000, "nmap -sV -O 198.18.1.0/24"); // 2023-11-14
        let mut new = bulk_report(40, 1_760_000_000); // 2025-10-09
        new.hosts[0].ports[0].scripts.push(ScriptResult { id: "banner".into(), output: "SSH-2.0-OpenSSH_9.0 100%_sure".into(), elements: vec![] });
        let ids = s.import(&[import(&old), import(&new)]).await.unwrap();
        let (old_id, new_id) = (ids[0], ids[1]);
        let q = |text: &'static str| {
            let s = s.clone();
            async move {
                let r = s.search(text, 1000).await.unwrap_or_else(|e| panic!("{text}: {e}"));
                let mut ips: Vec<String> = r.hosts.iter().filter_map(|h| h.ip.clone()).collect();
                ips.sort();
                (ips, r.scans.iter().map(|s| s.id).collect::<Vec<_>>())
            }
        };
        let n = b.name;
        assert_eq!(q("service:ssh").await.0.len(), 21, "{n}: 1 rich + 20 bulk");
        assert_eq!(q("service:ssh product:openssh net:198.18.1.0/24").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("open:23").await.0, vec!["198.18.1.20"], "{n}");
        assert_eq!(q("filtered:3389").await.0, vec!["198.18.1.20"], "{n}");
        assert_eq!(q("closed:443 net:198.18.1.0/24").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("port:udp/53").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("open:udp/53").await.0.len(), 0, "{n}: open|filtered is not open");
        assert_eq!(q("os:linux").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("os:\"general purpose\"").await.0, vec!["198.18.1.10"], "{n}: class text");
        assert_eq!(q("script:banner").await.0.len(), 2, "{n}");
        assert_eq!(q("script:banner:100%_sure").await.0, vec!["198.18.0.0"], "{n}: % and _ are literal");
        assert_eq!(q("script:*:samba").await.0, vec!["198.18.1.10"], "{n}: host script");
        assert_eq!(q("host:web").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("host:2001:db8::5").await.0, vec!["2001:db8::5"], "{n}");
        assert_eq!(q("net:2001:db8::/32").await.0, vec!["2001:db8::5"], "{n}");
        assert_eq!(q("version:2.4").await.0, vec!["198.18.1.10"], "{n}");
        assert_eq!(q("service:http*").await.0.len(), 21, "{n}: wildcard");
        assert_eq!(q("apache").await.0, vec!["198.18.1.10"], "{n}: free word");
        assert_eq!(q("h7.bulk").await.0, vec!["198.18.0.7"], "{n}: free word in names");
        let (ips, scans) = q("target:198.18.1.0/24").await;
        assert_eq!((ips.len(), scans), (3, vec![old_id]), "{n}");
        assert_eq!(q("after:2024-01-01").await.1, vec![new_id], "{n}");
        assert_eq!(q("before:2024-01-01").await.1, vec![old_id], "{n}");
        assert_eq!(q("-service:ssh net:198.18.0.0/26").await.0.len(), 20, "{n}: negation");
        assert_eq!(q("!os:linux after:2020-01-01 before:2024-01-01").await.0, vec!["198.18.1.20", "2001:db8::5"], "{n}");
        assert_eq!(q("service:ssh").await.1, vec![new_id, old_id], "{n}: scans newest first");
        assert_eq!(q("product:\"x' OR '1'='1\"").await.0.len(), 0, "{n}: injection is just text");
        let r = s.search("service:ssh", 5).await.unwrap();
        assert!(r.truncated && r.hosts.len() == 5);
        let hit = s.search("host:198.18.1.10", 5).await.unwrap().hosts.remove(0);
        assert_eq!(hit.open_ports, vec!["22/tcp", "80/tcp"]);
        assert_eq!(hit.hostnames, vec!["web.lab.example"]);
        assert!(s.search("colour:blue", 5).await.is_err());
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn search_hits_carry_the_services_of_their_open_ports() {
    for b in backends().await {
        let s = b.open().await;
        let n = b.name;
        let mut old = rich_report(1_700_000_000, "nmap -sV 198.18.1.10");
        old.hosts.truncate(1);
        let mut new = rich_report(1_760_000_000, "nmap -sV 198.18.1.10");
        new.hosts.truncate(1);
        // Between the scans Apache was upgraded and port 80 became unknown-but-open without a service row.
        if let Some(svc) = new.hosts[0].ports[1].service.as_mut() {
            svc.version = Some("2.4.63".into());
        }
        new.hosts[0].ports.push(PortReport {
            protocol: Protocol::Tcp,
            port: 8443,
            state: PortState::Open,
            reason: Reason::new("syn-ack"),
            reason_ttl: 64,
            service: None,
            scripts: Vec::new(),
        });
        s.import(&[import(&old), import(&new)]).await.unwrap();
        let r = s.search("service:http", 10).await.unwrap();
        assert_eq!(r.hosts.len(), 2, "{n}");
        let newest = &r.hosts[0];
        assert_eq!(newest.scan_started, 1_760_000_000, "{n}: newest first");
        assert_eq!(newest.open_ports, vec!["22/tcp", "80/tcp", "8443/tcp"], "{n}");
        let svc: Vec<String> = newest
            .services
            .iter()
            .map(|v| format!("{}/{} {} {:?} {:?}", v.port, v.protocol, v.name, v.product, v.version))
            .collect();
        assert_eq!(
            svc,
            vec![
                r#"22/tcp ssh Some("OpenSSH") Some("9.2p1 Debian 2+deb12u3")"#,
                r#"80/tcp http Some("Apache httpd") Some("2.4.63")"#,
            ],
            "{n}: open ports with a service only, in port order"
        );
        assert_eq!(newest.services[1].extra_info.as_deref(), Some("(Debian)"), "{n}");
        assert_eq!(r.hosts[1].services[1].version.as_deref(), Some("2.4.62"), "{n}: the older scan's own version");
        // Closed and open|filtered ports (443/tcp, 53/udp with a service) stay out.
        assert!(r.hosts.iter().all(|h| h.services.iter().all(|v| v.port != 443 && v.port != 53)), "{n}");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["hosts"][0]["services"][1]["product"], "Apache httpd", "{n}: in the JSON");
        assert_eq!(v["hosts"][0]["open_ports"][1], "80/tcp", "{n}: existing field unchanged");
        s.close().await;
        b.teardown().await;
    }
}

#[tokio::test]
async fn delete_and_prune() {
    for b in backends().await {
        let s = b.open().await;
        let ids = s.import(&[import(&bulk_report(3, 100)), import(&bulk_report(3, 200)), import(&bulk_report(3, 300)), import(&bulk_report(3, 400))]).await.unwrap();
        assert!(s.delete(ids[3]).await.unwrap());
        assert!(!s.delete(ids[3]).await.unwrap());
        assert!(matches!(s.report(ids[3]).await.unwrap_err(), StoreError::NoSuchScan(_)));
        assert_eq!(s.prune(Prune { before: Some(150), keep: None }).await.unwrap(), 1);
        assert_eq!(s.prune(Prune { before: None, keep: Some(1) }).await.unwrap(), 1);
        let left: Vec<i64> = s.list(10, 0).await.unwrap().iter().map(|x| x.id).collect();
        assert_eq!(left, vec![ids[2]], "{}", b.name);
        // Cascades removed every child row of the deleted scans.
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ports").fetch_one(s.pool()).await.unwrap();
        assert_eq!(n.0, 9, "{}", b.name);
        s.close().await;
        b.teardown().await;
    }
}
