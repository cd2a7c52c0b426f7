//! The connect scan against real sockets on loopback: listeners we open are open, ports we just closed are
//! closed, and discovery finds 127.0.0.1 up.
#![allow(clippy::unwrap_used)]

use portolan_engine::source::TargetSource;
use portolan_engine::{Cancel, EngineInput, run};
use portolan_model::{DiscoveryMode, DnsMode, EventBody, PortState, ScanPlan};
use std::net::TcpListener;
use std::sync::Arc;

fn free_closed_ports(n: usize) -> Vec<u16> {
    // Ports below the ephemeral range (32768-60999 on Linux) that nothing is bound to. Ephemeral ports would
    // race with the source ports of the scans that other tests run at the same time: two connects that cross
    // (A:x -> B:y while B:y -> A:x) complete as a TCP simultaneous open and look open.
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(20_000);
    let mut out = Vec::new();
    while out.len() < n {
        let p = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(p < 32_000, "ran out of test ports");
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            out.push(p);
        }
    }
    out
}

async fn scan(plan: ScanPlan, ports: Vec<u16>) -> Vec<EventBody> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let targets = TargetSource::from_plan(&plan).unwrap();
    let input = EngineInput {
        plan,
        targets,
        tcp_ports: ports,
        udp_ports: vec![],
        sctp_ports: vec![],
        ip_protocols: vec![],
        techniques: portolan_engine::raw_scan::Techniques::connect_only(),
        udp_payloads: Default::default(),
        service_name: Arc::new(|_, _| None),
        version_db: None,
        os_db: None,
    };
    let summary = run(input, tx, Cancel::default()).await.unwrap();
    assert_eq!(summary.hosts_total, 1);
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        out.push(ev);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_closed_ports_on_loopback() {
    let open: Vec<TcpListener> = (0..3).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let open_ports: Vec<u16> = open.iter().map(|l| l.local_addr().unwrap().port()).collect();
    let closed_ports = free_closed_ports(50);
    let mut all: Vec<u16> = open_ports.iter().chain(&closed_ports).copied().collect();
    all.sort_unstable();

    for discovery in [DiscoveryMode::Probe, DiscoveryMode::SkipDiscovery] {
        let mut plan = ScanPlan::new();
        plan.targets = vec!["127.0.0.1".into()];
        plan.dns = DnsMode::Never;
        plan.discovery = discovery;
        let events = scan(plan, all.clone()).await;
        let up = events.iter().any(|e| matches!(e, EventBody::HostStatus { status, .. } if status.state == portolan_model::HostState::Up));
        assert!(up, "127.0.0.1 is up ({discovery:?})");
        let mut seen = std::collections::BTreeMap::new();
        for e in &events {
            if let EventBody::Port { port, state, reason, .. } = e {
                assert!(seen.insert(*port, (*state, reason.clone())).is_none(), "one final state per port");
            }
        }
        assert_eq!(seen.len(), all.len());
        for p in &open_ports {
            assert_eq!(seen[p].0, PortState::Open);
            assert_eq!(seen[p].1.as_str(), "syn-ack");
        }
        for p in &closed_ports {
            assert_eq!(seen[p].0, PortState::Closed, "port {p}");
            assert_eq!(seen[p].1.as_str(), "conn-refused");
        }
        assert!(matches!(events.last(), Some(EventBody::HostFinished { timed_out: false, .. })));
    }
    drop(open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_scan_sends_nothing_and_excludes() {
    let mut plan = ScanPlan::new();
    plan.targets = vec!["127.0.0.0/30".into()];
    plan.exclude = vec!["127.0.0.2".into()];
    plan.dns = DnsMode::Never;
    plan.discovery = DiscoveryMode::ListOnly;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let targets = TargetSource::from_plan(&plan).unwrap();
    let input = EngineInput {
        plan,
        targets,
        tcp_ports: vec![],
        udp_ports: vec![],
        sctp_ports: vec![],
        ip_protocols: vec![],
        techniques: portolan_engine::raw_scan::Techniques::connect_only(),
        udp_payloads: Default::default(),
        service_name: Arc::new(|_, _| None),
        version_db: None,
        os_db: None,
    };
    let s = run(input, tx, Cancel::default()).await.unwrap();
    assert_eq!(s.hosts_total, 3);
    let mut listed = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let EventBody::HostStatus { addr, .. } = ev {
            listed.push(addr.to_string());
        }
    }
    assert_eq!(listed, vec!["127.0.0.0", "127.0.0.1", "127.0.0.3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packet_trace_reports_every_attempt() {
    let closed = free_closed_ports(5);
    let mut plan = ScanPlan::new();
    plan.targets = vec!["127.0.0.1".into()];
    plan.dns = DnsMode::Never;
    plan.discovery = DiscoveryMode::SkipDiscovery;
    plan.packet_trace = true;
    let events = scan(plan, closed.clone()).await;
    let lines: Vec<&String> = events.iter().filter_map(|e| match e { EventBody::Trace { line } => Some(line), _ => None }).collect();
    assert_eq!(lines.len(), closed.len(), "{lines:?}");
    for p in &closed {
        let want = format!("TCP localhost > 127.0.0.1:{p} => Connection refused");
        assert!(lines.iter().any(|l| l.starts_with("CONN (") && l.ends_with(&want)), "{want} in {lines:?}");
    }
}

/// `--max-rate` is a ceiling: 300 probes at 1,000 per second cannot finish in much under 0.3 s. (A lower bound
/// on time checks the limiter; how fast the scan can go is the benchmarks' business.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rate_is_honoured() {
    let closed = free_closed_ports(300);
    let mut plan = ScanPlan::new();
    plan.targets = vec!["127.0.0.1".into()];
    plan.dns = DnsMode::Never;
    plan.discovery = DiscoveryMode::SkipDiscovery;
    plan.timing.max_rate = Some(1000.0);
    let start = std::time::Instant::now();
    let events = scan(plan, closed.clone()).await;
    let took = start.elapsed();
    let ports = events.iter().filter(|e| matches!(e, EventBody::Port { .. })).count();
    assert_eq!(ports, closed.len());
    // 299 gaps of 1 ms, minus at most the 5 ms catch-up burst.
    assert!(took >= std::time::Duration::from_millis(290), "300 probes at 1000/s took only {took:?}");
}
