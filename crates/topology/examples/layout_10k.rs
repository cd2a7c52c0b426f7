//! Times the map of a 10,000-node network: graph building, both layouts, the view and the SVG.
//!
//! `cargo run --release -p portolan-topology --example layout_10k [NODES]`
//!
//! The network is made up (no lab needed): one gateway, 20 routers behind it, 5 routers behind each, hosts
//! spread evenly behind those; every tenth path has a silent hop before its last router, so the graph has
//! shared routers, merged silent hops and hosts on several rings, like a large traced scan.
#![allow(clippy::unwrap_used)]

use portolan_model::{HostReport, HostState, HostStatus, Reason, ScanReport, Trace, TraceHop};
use portolan_topology::{LayoutKind, MapView, TopologyGraph, layout, svg};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

fn addr(a: u8, b: u8, c: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 18 + (a & 1), b, c))
}

fn main() {
    let want: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let routers = 1 + 20 + 100;
    let hosts = want.saturating_sub(routers + 1 + 10);
    let mut report = ScanReport::empty("portolan");
    for i in 0..hosts {
        let (r2, r3) = ((i % 20) as u8, (i % 100) as u8);
        let target = IpAddr::V4(Ipv4Addr::new(198, 19, (i / 250) as u8, (i % 250) as u8 + 1));
        let mut hops = vec![
            TraceHop { ttl: 1, addr: Some(addr(0, 0, 1)), rtt_ms: Some(0.1), host: None },
            TraceHop { ttl: 2, addr: Some(addr(0, 1, r2 + 1)), rtt_ms: Some(0.2), host: None },
        ];
        // Paths through every tenth last-router cross a silent hop first.
        let silent = r3 % 10 == 0;
        let base = if silent { 4 } else { 3 };
        hops.push(TraceHop { ttl: base, addr: Some(addr(0, 2, r3 + 1)), rtt_ms: Some(0.3), host: Some(format!("r{r3}.lab")) });
        hops.push(TraceHop { ttl: base + 1, addr: Some(target), rtt_ms: Some(0.4), host: None });
        let mut h = HostReport::new(target, HostStatus { state: HostState::Up, reason: Reason::new("echo-reply"), reason_ttl: 60 });
        h.trace = Some(Trace { port: None, protocol: None, hops });
        report.hosts.push(h);
    }
    let t = Instant::now();
    let g = TopologyGraph::from_report(&report);
    let build = t.elapsed();
    println!("graph: {} nodes, {} edges, built in {:.1} ms", g.node_count(), g.edge_count(), build.as_secs_f64() * 1e3);
    for kind in [LayoutKind::Radial, LayoutKind::Force] {
        // Best of three, to keep other processes on the machine out of the figure.
        let mut best = f64::MAX;
        let mut laid = None;
        for _ in 0..3 {
            let t = Instant::now();
            let l = layout::compute(&g, kind);
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            laid = Some(l);
        }
        let laid = laid.unwrap();
        let t = Instant::now();
        let view = MapView::new(&g, &laid);
        let view_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let text = svg::render(&view);
        let svg_ms = t.elapsed().as_secs_f64() * 1e3;
        let json = serde_json::to_string(&view).unwrap();
        println!(
            "{kind:?}: layout {best:.1} ms (best of 3), view {view_ms:.1} ms, SVG {svg_ms:.1} ms ({} KB), JSON {} KB",
            text.len() / 1024,
            json.len() / 1024
        );
        if let Ok(dir) = std::env::var("LAYOUT_SVG_DIR") {
            let path = format!("{dir}/map-{}k-{kind:?}.svg", g.node_count() / 1000).to_lowercase();
            std::fs::write(&path, text).unwrap();
            println!("  wrote {path}");
        }
    }
}
