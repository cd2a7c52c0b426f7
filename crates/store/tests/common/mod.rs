//! Shared by the store's tests and benchmark: sample reports and a backend harness that runs each test on
//! SQLite (a temporary file) and, when `PORTOLAN_TEST_PG_URL` names a PostgreSQL server, on a fresh
//! database created there for the test and dropped after.

#![allow(dead_code, clippy::unwrap_used)]

use portolan_model::*;
use portolan_store::Store;
use sqlx::{Connection, Executor};

pub const PG_ENV: &str = "PORTOLAN_TEST_PG_URL";

pub struct Backend {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl Backend {
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
    pub async fn teardown(self) {
        if let Some((admin, db)) = &self.pg_admin
            && let Ok(mut c) = sqlx::PgConnection::connect(admin).await
        {
            let _ = c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await;
        }
    }
}

/// SQLite always; PostgreSQL when the harness provides a server.
pub async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![Backend {
        name: "sqlite",
        url: dir.path().join("history.db").display().to_string(),
        _dir: Some(dir),
        pg_admin: None,
    }];
    match std::env::var(PG_ENV) {
        Ok(admin) if !admin.is_empty() => {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let db = format!("portolan_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| panic!("{PG_ENV}={admin}: {e}"));
            c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).await.unwrap();
            let url = with_db(&admin, &db);
            v.push(Backend { name: "postgres", url, _dir: None, pg_admin: Some((admin, db)) });
        }
        _ => eprintln!("note: {PG_ENV} not set; PostgreSQL half skipped (tools/pg-test-server starts one)"),
    }
    eprintln!("backends: {}", v.iter().map(|b| b.name).collect::<Vec<_>>().join(", "));
    v
}

/// Replaces the database name of a postgres URL (keeping any `?host=/socket/dir` query).
fn with_db(url: &str, db: &str) -> String {
    let (base, q) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match q {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

fn port(p: u16, state: PortState, svc: Option<Service>) -> PortReport {
    PortReport {
        protocol: Protocol::Tcp,
        port: p,
        state,
        reason: Reason::new(if state == PortState::Open { "syn-ack" } else { "reset" }),
        reason_ttl: 64,
        service: svc,
        scripts: Vec::new(),
    }
}

/// A report with one of everything the store normalises.
pub fn rich_report(start: i64, args: &str) -> ScanReport {
    let mut r = ScanReport::empty("nmap");
    r.version = "7.93".into();
    r.args = args.into();
    r.start = start;
    r.scan_info = vec![ScanInfo { scan_type: "syn".into(), protocol: Protocol::Tcp, num_services: 1000, services: "1-1000".into() }];
    let up = HostStatus { state: HostState::Up, reason: Reason::new("echo-reply"), reason_ttl: 63 };
    let mut h = HostReport::new(ip("198.18.1.10"), up.clone());
    h.addresses.push(Address { addr: "02:00:00:00:00:0A".into(), kind: AddressKind::Mac, vendor: Some("Private".into()) });
    h.hostnames.push(Hostname { name: "web.lab.example".into(), kind: HostnameKind::Ptr });
    h.start_time = Some(start);
    h.end_time = Some(start + 5);
    h.latency = Some(0.00042);
    h.distance = Some(2);
    h.uptime = Some(Uptime { seconds: 12345, last_boot: "Thu Nov 26 10:00:00 2026".into() });
    let ssh = Service {
        name: "ssh".into(),
        method: "probed".into(),
        conf: 10,
        product: Some("OpenSSH".into()),
        version: Some("9.2p1 Debian 2+deb12u3".into()),
        extra_info: Some("protocol 2.0".into()),
        os_type: Some("Linux".into()),
        cpe: vec!["cpe:/a:openbsd:openssh:9.2p1".into(), "cpe:/o:linux:linux_kernel".into()],
        ..Default::default()
    };
    let mut p22 = port(22, PortState::Open, Some(ssh));
    p22.scripts.push(ScriptResult {
        id: "banner".into(),
        output: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3".into(),
        elements: vec![ScriptElement::Elem { key: None, value: "x".into() }],
    });
    let http = Service {
        name: "http".into(),
        method: "probed".into(),
        conf: 10,
        product: Some("Apache httpd".into()),
        version: Some("2.4.62".into()),
        extra_info: Some("(Debian)".into()),
        ..Default::default()
    };
    h.ports = vec![p22, port(80, PortState::Open, Some(http)), port(443, PortState::Closed, None)];
    h.ports.push(PortReport { protocol: Protocol::Udp, ..port(53, PortState::OpenFiltered, Some(Service::from_table("domain"))) });
    h.extra_ports = vec![portolan_model::report::ExtraPorts {
        state: PortState::Closed,
        count: 996,
        reasons: vec![portolan_model::report::ExtraReason { reason: Reason::new("reset"), count: 996, protocol: Some(Protocol::Tcp), ports: Some("1-21,23-79".into()) }],
    }];
    h.os = Some(OsInfo {
        ports_used: vec![OsPortUsed { state: PortState::Open, protocol: Protocol::Tcp, port: 22 }],
        matches: vec![OsMatch {
            name: "Linux 4.15 - 5.19".into(),
            accuracy: 100,
            line: 70000,
            classes: vec![OsClass { device_type: Some("general purpose".into()), vendor: "Linux".into(), family: "Linux".into(), generation: Some("5.X".into()), accuracy: 100, cpe: vec!["cpe:/o:linux:linux_kernel:5".into()] }],
        }],
        fingerprint: None,
    });
    h.trace = Some(Trace {
        port: Some(80),
        protocol: Some("tcp".into()),
        hops: vec![
            TraceHop { ttl: 1, addr: Some(ip("198.18.0.1")), rtt_ms: Some(0.05), host: Some("router.lab".into()) },
            TraceHop { ttl: 2, addr: Some(ip("198.18.1.10")), rtt_ms: Some(0.11), host: None },
        ],
    });
    h.host_scripts.push(ScriptResult { id: "smb-os-discovery".into(), output: "OS: Windows? no, Samba".into(), elements: vec![] });
    let mut h2 = HostReport::new(ip("198.18.1.20"), up);
    h2.ports = vec![port(23, PortState::Open, Some(Service::from_table("telnet"))), port(3389, PortState::Filtered, None)];
    let h3 = HostReport::new(ip("2001:db8::5"), HostStatus { state: HostState::Down, reason: Reason::new("no-response"), reason_ttl: 0 });
    r.hosts = vec![h, h2, h3];
    r.run_stats = Some(RunStats {
        finished: start + 9,
        elapsed: 9.1,
        summary: "done".into(),
        exit: "success".into(),
        error_msg: None,
        hosts_up: 2,
        hosts_down: 1,
        hosts_total: 3,
    });
    r
}

/// `n` hosts in 198.18.0.0/15 order, each with three ports (one open ssh or http), for bulk tests.
pub fn bulk_report(n: u32, start: i64) -> ScanReport {
    let mut r = ScanReport::empty("portolan");
    r.version = "0.1.0".into();
    r.args = format!("portolan -sV 198.18.0.0/15 # bulk {start}");
    r.start = start;
    let up = HostStatus { state: HostState::Up, reason: Reason::new("syn-ack"), reason_ttl: 64 };
    for i in 0..n {
        let a = std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(198, 18, 0, 0)) + i);
        let mut h = HostReport::new(a.into(), up.clone());
        h.hostnames.push(Hostname { name: format!("h{i}.bulk.example"), kind: HostnameKind::Ptr });
        let svc = if i % 2 == 0 {
            Service { name: "ssh".into(), method: "probed".into(), conf: 10, product: Some("OpenSSH".into()), version: Some(format!("9.{}", i % 7)), ..Default::default() }
        } else {
            Service { name: "http".into(), method: "probed".into(), conf: 10, product: Some("nginx".into()), version: Some(format!("1.{}", i % 30)), ..Default::default() }
        };
        h.ports = vec![
            port(if i % 2 == 0 { 22 } else { 80 }, PortState::Open, Some(svc)),
            port(443, PortState::Closed, None),
            port(8080 + (i % 5) as u16, PortState::Filtered, None),
        ];
        r.hosts.push(h);
    }
    r
}
