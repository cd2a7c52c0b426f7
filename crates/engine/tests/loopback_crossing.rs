//! Scanning loopback's ephemeral port range with thousands of connects in flight: the scanner's own attempts
//! can cross (a TCP simultaneous open) or connect to themselves. Before this was handled, most `-p-` scans of
//! 127.0.0.1 reported one or two phantom open ports. Alone in its file so no other test's listeners run
//! meanwhile.
#![allow(clippy::unwrap_used)]

use portolan_engine::source::TargetSource;
use portolan_engine::{Cancel, EngineInput, run};
use portolan_model::{DiscoveryMode, DnsMode, EventBody, PortState, ScanPlan};
use std::net::TcpListener;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_phantom_open_ports_on_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let real = listener.local_addr().unwrap().port();
    // Linux's default ephemeral range, where source ports and scanned ports coincide.
    let ports: Vec<u16> = (32768..=60999).collect();
    for round in 0..3 {
        let mut plan = ScanPlan::new();
        plan.targets = vec!["127.0.0.1".into()];
        plan.dns = DnsMode::Never;
        plan.discovery = DiscoveryMode::SkipDiscovery;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let targets = TargetSource::from_plan(&plan).unwrap();
        // This test is about the connect scan's own connections meeting each other, so it asks for -sT.
        let techniques = portolan_engine::raw_scan::Techniques::connect_only();
        let input = EngineInput {
            plan,
            targets,
            tcp_ports: ports.clone(),
            udp_ports: vec![],
            sctp_ports: vec![],
            ip_protocols: vec![],
            techniques,
            udp_payloads: Default::default(),
            service_name: Arc::new(|_, _| None),
            version_db: None,
            os_db: None,
        };
        run(input, tx, Cancel::default()).await.unwrap();
        let mut open = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            if let EventBody::Port { port, state: PortState::Open, .. } = ev {
                open.push(port);
            }
        }
        if ports.contains(&real) {
            assert!(open.contains(&real), "round {round}: the real listener {real} is open");
        }
        let listening = listening_ports();
        for p in open {
            assert!(listening.contains(&p), "round {round}: phantom open port {p} (listening: {listening:?})");
        }
    }
    drop(listener);
}

/// Ports in the LISTEN state on this machine (namespace), from the kernel's own table.
fn listening_ports() -> Vec<u16> {
    let mut out = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // cols[1] = local "ADDR:PORT" in hex, cols[3] = state; 0A is LISTEN.
            if cols.len() > 3 && cols[3] == "0A"
                && let Some((_, port)) = cols[1].rsplit_once(':')
                && let Ok(p) = u16::from_str_radix(port, 16)
            {
                out.push(p);
            }
        }
    }
    out
}
