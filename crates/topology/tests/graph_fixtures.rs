//! The graph model, layouts, view and SVG on traces captured in the lab (tests/fixtures/README.md says how):
//! shared routers, a silent router, hosts at equal distance through different paths; and on small made-up
//! reports for the cases the lab files cannot show (no trace, two silent hops, hostile names).
#![allow(clippy::unwrap_used)]

use portolan_model::{
    Address, EventBody, HostReport, HostState, HostStatus, Hostname, HostnameKind, OsClass, OsInfo, OsMatch, PortReport,
    PortState, Protocol, Reason, ScanEvent, ScanReport, Trace, TraceHop,
};
use portolan_report::xml_reader;
use portolan_topology::{LayoutKind, MapView, NodeKey, NodeKind, TopologyGraph, layout, svg};
use std::collections::BTreeSet;
use std::net::IpAddr;

fn fixture(name: &str) -> ScanReport {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    xml_reader::read(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const SILENT: &str = "*198.18.2.2>198.18.4.2#1/1";

/// The lab's real topology (tests/scenarios/map.toml), as edges of the map.
fn real_edges() -> BTreeSet<(String, String, bool)> {
    [
        ("localhost", "198.18.0.254"),
        ("198.18.0.254", "198.18.1.2"),
        ("198.18.0.254", "198.18.2.2"),
        ("198.18.1.2", "198.18.10.2"),
        ("198.18.1.2", "198.18.11.2"),
        ("198.18.2.2", "198.18.12.2"),
        ("198.18.2.2", SILENT),
        (SILENT, "198.18.4.2"),
        ("198.18.4.2", "198.18.20.2"),
        ("198.18.4.2", "198.18.21.2"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned(), false))
    .collect()
}

#[test]
fn nmap_lab_trace_gives_the_real_topology() {
    let g = TopologyGraph::from_report(&fixture("map-nmap.xml"));
    assert_eq!(g.edge_ids(), real_edges());
    // Shared routers are one node each; the silent router is one node, shared by both paths through it.
    assert_eq!(g.node_count(), 1 + 5 + 5);
    let kind = |s: &str| g.node(&NodeKey::Addr(ip(s))).unwrap().kind;
    for r in ["198.18.0.254", "198.18.1.2", "198.18.2.2", "198.18.4.2"] {
        assert_eq!(kind(r), NodeKind::Router, "{r}");
    }
    for t in ["198.18.10.2", "198.18.11.2", "198.18.12.2", "198.18.20.2", "198.18.21.2"] {
        assert_eq!(kind(t), NodeKind::Host, "{t}");
    }
    let silent = g.graph().node_weights().find(|n| n.kind == NodeKind::Unknown).unwrap();
    assert_eq!(silent.key.id(), SILENT);
    assert_eq!(silent.hops, Some(3));
    let hops = |s: &str| g.node(&NodeKey::Addr(ip(s))).unwrap().hops;
    assert_eq!([hops("198.18.10.2"), hops("198.18.12.2"), hops("198.18.21.2")], [Some(3), Some(3), Some(5)]);
    let open = |s: &str| g.node(&NodeKey::Addr(ip(s))).unwrap().open_port_count();
    assert_eq!(
        ["198.18.10.2", "198.18.11.2", "198.18.12.2", "198.18.20.2", "198.18.21.2"].map(open),
        [2, 1, 3, 0, 3]
    );
    assert!(g.node(&NodeKey::Addr(ip("198.18.0.254"))).unwrap().rtt_ms.is_some());
}

#[test]
fn portolan_lab_trace_gives_the_same_map_as_nmaps() {
    let ours = TopologyGraph::from_report(&fixture("map-portolan.xml"));
    assert_eq!(ours.edge_ids(), real_edges());
    let theirs = TopologyGraph::from_report(&fixture("map-nmap.xml"));
    // Same graph, so the same picture (RTTs differ, positions do not depend on them).
    let (a, b) = (MapView::new(&ours, &layout::radial(&ours)), MapView::new(&theirs, &layout::radial(&theirs)));
    let pos = |v: &MapView| v.nodes.iter().map(|n| (n.id.clone(), n.x, n.y, n.ring, n.open_ports)).collect::<Vec<_>>();
    assert_eq!(pos(&a), pos(&b));
}

#[test]
fn merging_scans_of_the_same_network_adds_nothing_and_other_scans_add_their_part() {
    let mut g = TopologyGraph::from_report(&fixture("map-nmap.xml"));
    g.merge(&fixture("map-portolan.xml"));
    assert_eq!(g.edge_ids(), real_edges());
    assert_eq!(g.node_count(), 11);
    // A second scan from the same scanner that found one more host behind r5.
    let mut extra = ScanReport::empty("portolan");
    extra.hosts.push(host(
        "198.18.22.2",
        &[(1, Some("198.18.0.254")), (2, Some("198.18.2.2")), (4, Some("198.18.4.2")), (5, Some("198.18.22.2"))],
    ));
    g.merge(&extra);
    let mut want = real_edges();
    want.insert(("198.18.4.2".into(), "198.18.22.2".into(), false));
    assert_eq!(g.edge_ids(), want, "the silent hop is shared with the new path, not duplicated");
}

#[test]
fn events_build_the_same_map_as_the_report_and_a_trace_replaces_the_guess() {
    let report = fixture("map-nmap.xml");
    let mut live = TopologyGraph::new();
    let mut seq = 0;
    let mut ev = |body: EventBody| {
        seq += 1;
        ScanEvent { seq, time_ms: 0, body }
    };
    for h in &report.hosts {
        let addr = h.ip().unwrap();
        live.apply(&ev(EventBody::HostStatus { addr, status: h.status.clone(), latency: h.latency, hostnames: vec![] }));
        // Before its trace, the host hangs off the scanner.
        assert!(live.edge_ids().contains(&("localhost".into(), addr.to_string(), true)), "{addr}");
        for p in &h.ports {
            live.apply(&ev(EventBody::Port {
                addr,
                protocol: p.protocol,
                port: p.port,
                state: p.state,
                reason: p.reason.clone(),
                reason_ttl: p.reason_ttl,
                service: None,
            }));
            // The service name arrives later, as version detection reports it.
            if let Some(service) = p.service.clone() {
                live.apply(&ev(EventBody::ServiceDetected { addr, protocol: p.protocol, port: p.port, service }));
            }
        }
        live.apply(&ev(EventBody::Traceroute { addr, trace: h.trace.clone().unwrap() }));
        live.apply(&ev(EventBody::HostFinished { addr, times: h.times, timed_out: false }));
    }
    let built = TopologyGraph::from_report(&report);
    assert_eq!(live.edge_ids(), built.edge_ids());
    let v = |g: &TopologyGraph| {
        let mut v = MapView::new(g, &layout::radial(g));
        v.nodes.iter_mut().for_each(|n| n.rtt_ms = None);
        v.edges.iter_mut().for_each(|e| e.rtt_delta_ms = None);
        v
    };
    assert_eq!(v(&live), v(&built));
    // A port that closes again no longer counts.
    let t1 = ip("198.18.10.2");
    live.apply(&ev(EventBody::Port {
        addr: t1,
        protocol: Protocol::Tcp,
        port: 22,
        state: PortState::Closed,
        reason: Reason::new("reset"),
        reason_ttl: 0,
        service: None,
    }));
    assert_eq!(live.node(&NodeKey::Addr(t1)).unwrap().open_port_count(), 1);
}

#[test]
fn layouts_are_deterministic_and_independent_of_host_order() {
    let report = fixture("map-nmap.xml");
    let mut reversed = report.clone();
    reversed.hosts.reverse();
    for kind in [LayoutKind::Radial, LayoutKind::Force] {
        let a = TopologyGraph::from_report(&report);
        let b = TopologyGraph::from_report(&report);
        let c = TopologyGraph::from_report(&reversed);
        let va = MapView::new(&a, &layout::compute(&a, kind));
        assert_eq!(va, MapView::new(&b, &layout::compute(&b, kind)), "{kind:?}: same report, same map");
        let vc = MapView::new(&c, &layout::compute(&c, kind));
        let strip = |v: &MapView| v.nodes.iter().map(|n| (n.id.clone(), n.x, n.y)).collect::<Vec<_>>();
        assert_eq!(strip(&va), strip(&vc), "{kind:?}: host order changed the positions");
        assert_eq!(svg::render(&va), svg::render(&MapView::new(&b, &layout::compute(&b, kind))));
    }
}

#[test]
fn radial_layout_puts_nodes_on_their_rings_inside_their_parents_sectors() {
    let g = TopologyGraph::from_report(&fixture("map-nmap.xml"));
    let l = layout::radial(&g);
    let v = MapView::new(&g, &l);
    for n in &v.nodes {
        assert_eq!(Some(n.ring), n.hops, "{}: ring is the hop count", n.id);
        let r = (n.x * n.x + n.y * n.y).sqrt();
        assert!((r - f64::from(n.ring) * v.ring_spacing).abs() < 0.02, "{}: radius {r}", n.id);
    }
    let angle = |id: &str| {
        let n = v.nodes.iter().find(|n| n.id == id).unwrap();
        // Clockwise from the top, in [0, 360).
        (n.x.atan2(-n.y).to_degrees() + 360.0) % 360.0
    };
    // r1 has all 5 leaves: r2's subtree (2 leaves) gets 2/5 of the circle, r3's (3 leaves) 3/5; the
    // lower address comes first.
    assert!((angle("198.18.1.2") - 72.0).abs() < 0.01, "{}", angle("198.18.1.2"));
    assert!((angle("198.18.2.2") - 252.0).abs() < 0.01, "{}", angle("198.18.2.2"));
    assert!(angle("198.18.10.2") < angle("198.18.11.2") && angle("198.18.11.2") < 144.0);
    assert!(angle("198.18.12.2") > 144.0 && angle("198.18.12.2") < angle(SILENT));
    // Hosts at equal distance through different routers: same ring, parents differ.
    let parent = |id: &str| v.nodes.iter().find(|n| n.id == id).unwrap().parent.clone().unwrap();
    assert_eq!(parent("198.18.10.2"), "198.18.1.2");
    assert_eq!(parent("198.18.12.2"), "198.18.2.2");
    // Positions are distinct.
    let distinct: BTreeSet<(i64, i64)> = v.nodes.iter().map(|n| (n.x.round() as i64, n.y.round() as i64)).collect();
    assert_eq!(distinct.len(), v.nodes.len());
}

fn host(addr: &str, hops: &[(u8, Option<&str>)]) -> HostReport {
    let mut h = HostReport::new(ip(addr), HostStatus { state: HostState::Up, reason: Reason::new("echo-reply"), reason_ttl: 60 });
    if !hops.is_empty() {
        h.trace = Some(Trace {
            port: None,
            protocol: None,
            hops: hops
                .iter()
                .map(|(ttl, a)| TraceHop { ttl: *ttl, addr: a.map(ip), rtt_ms: Some(f64::from(*ttl)), host: None })
                .collect(),
        });
    }
    h
}

#[test]
fn silent_runs_merge_only_between_the_same_known_neighbours() {
    let mut r = ScanReport::empty("nmap");
    // Two silent hops between A and B on two paths: shared. A silent hop between A and C: its own node.
    r.hosts.push(host("198.18.9.1", &[(1, Some("198.18.0.1")), (2, None), (3, None), (4, Some("198.18.5.5")), (5, Some("198.18.9.1"))]));
    r.hosts.push(host("198.18.9.2", &[(1, Some("198.18.0.1")), (4, Some("198.18.5.5")), (5, Some("198.18.9.2"))]));
    r.hosts.push(host("198.18.9.3", &[(1, Some("198.18.0.1")), (2, None), (3, Some("198.18.9.3"))]));
    // A silent first hop, and a trace that stops before its target.
    r.hosts.push(host("198.18.9.4", &[(2, Some("198.18.0.1")), (3, Some("198.18.9.4"))]));
    r.hosts.push(host("198.18.9.5", &[(1, Some("198.18.0.1")), (2, Some("198.18.6.6"))]));
    let g = TopologyGraph::from_report(&r);
    let unknown: Vec<String> =
        g.graph().node_weights().filter(|n| n.kind == NodeKind::Unknown).map(|n| n.key.id()).collect::<BTreeSet<_>>().into_iter().collect();
    assert_eq!(
        unknown,
        [
            "*198.18.0.1>198.18.5.5#1/2",
            "*198.18.0.1>198.18.5.5#2/2",
            "*198.18.0.1>198.18.9.3#1/1",
            "*localhost>198.18.0.1#1/1",
        ]
    );
    let e = g.edge_ids();
    assert!(e.contains(&("localhost".into(), "*localhost>198.18.0.1#1/1".into(), false)));
    assert!(e.contains(&("*localhost>198.18.0.1#1/1".into(), "198.18.0.1".into(), false)));
    assert!(!e.contains(&("198.18.0.1".into(), "198.18.0.1".into(), false)));
    assert!(e.contains(&("198.18.6.6".into(), "198.18.9.5".into(), false)), "an incomplete trace still reaches its target");
    // The first trace put 198.18.0.1 at TTL 1; the silent first hop of the fourth makes no difference to it.
    assert_eq!(g.node(&NodeKey::Addr(ip("198.18.0.1"))).unwrap().hops, Some(1));
}

#[test]
fn host_without_trace_hangs_off_the_scanner_at_its_distance() {
    let mut r = ScanReport::empty("nmap");
    let mut h = host("198.18.7.7", &[]);
    h.distance = Some(4);
    r.hosts.push(h);
    r.hosts.push(host("198.18.7.8", &[]));
    let mut down = host("198.18.7.9", &[]);
    down.status.state = HostState::Down;
    r.hosts.push(down);
    let g = TopologyGraph::from_report(&r);
    assert_eq!(
        g.edge_ids(),
        [("localhost", "198.18.7.7"), ("localhost", "198.18.7.8")].map(|(a, b)| (a.to_owned(), b.to_owned(), true)).into()
    );
    let v = MapView::new(&g, &layout::radial(&g));
    let ring = |id: &str| v.nodes.iter().find(|n| n.id == id).unwrap().ring;
    assert_eq!((ring("198.18.7.7"), ring("198.18.7.8")), (4, 1));
}

#[test]
fn svg_is_well_formed_and_escapes_every_label() {
    let mut r = fixture("map-nmap.xml");
    let evil = "<script>alert(\"x\")</script> & 'q' \u{1} \u{fffe}";
    let h = r.hosts.iter_mut().find(|h| h.ip() == Some(ip("198.18.12.2"))).unwrap();
    h.hostnames.push(Hostname { name: evil.into(), kind: HostnameKind::Ptr });
    h.addresses.push(Address { addr: "00:11:22:33:44:55".into(), kind: portolan_model::AddressKind::Mac, vendor: None });
    h.os = Some(OsInfo {
        matches: vec![OsMatch {
            name: "Linux <5>".into(),
            accuracy: 96,
            line: 1,
            classes: vec![OsClass {
                device_type: Some("printer".into()),
                vendor: "V".into(),
                family: "Linux".into(),
                generation: None,
                accuracy: 96,
                cpe: vec![],
            }],
        }],
        ..Default::default()
    });
    h.ports.push(PortReport {
        protocol: Protocol::Udp,
        port: 161,
        state: PortState::Open,
        reason: Reason::new("udp-response"),
        reason_ttl: 0,
        service: None,
        scripts: vec![],
    });
    let g = TopologyGraph::from_report(&r);
    for kind in [LayoutKind::Radial, LayoutKind::Force] {
        let text = portolan_topology::render_svg(&g, kind);
        assert!(!text.contains("<script>"), "raw label in the SVG");
        assert!(text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos; \u{fffd} \u{fffd}"));
        assert!(text.contains("OS: Linux &lt;5&gt;"));
        // Well-formed: quick-xml reads it to the end with matching end tags; collect the label texts.
        let mut reader = quick_xml::Reader::from_str(&text);
        reader.config_mut().check_end_names = true;
        let mut texts = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Text(t) => texts.push(t.unescape().unwrap().into_owned()),
                _ => {}
            }
        }
        for n in &MapView::new(&g, &layout::compute(&g, kind)).nodes {
            let want = n.label.replace(['\u{1}', '\u{fffe}'], "\u{fffd}");
            assert!(texts.contains(&want), "label {:?} missing", n.label);
        }
        assert!(text.contains(r#"class="node printer""#), "device type colours the host");
    }
}

#[test]
fn force_layout_keeps_the_scanner_at_the_centre_and_separates_nodes() {
    let mut r = fixture("map-nmap.xml");
    // A mesh: a second path to r5 through r2 (as a routing change between two scans would give).
    r.hosts.push(host(
        "198.18.22.2",
        &[(1, Some("198.18.0.254")), (2, Some("198.18.1.2")), (3, Some("198.18.4.2")), (4, Some("198.18.22.2"))],
    ));
    let g = TopologyGraph::from_report(&r);
    assert!(g.edge_ids().contains(&("198.18.1.2".into(), "198.18.4.2".into(), false)));
    let v = MapView::new(&g, &layout::force(&g));
    let scanner = &v.nodes[0];
    assert_eq!((scanner.id.as_str(), scanner.x, scanner.y), ("localhost", 0.0, 0.0));
    for (i, a) in v.nodes.iter().enumerate() {
        assert!(a.x.is_finite() && a.y.is_finite(), "{}", a.id);
        for b in &v.nodes[i + 1..] {
            let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
            assert!(d > 10.0, "{} and {} overlap ({d:.1})", a.id, b.id);
        }
    }
    // Joined nodes end up nearer each other than the map is wide.
    let at = |id: &str| v.nodes.iter().find(|n| n.id == id).map(|n| (n.x, n.y)).unwrap();
    let width = v.bounds[2] - v.bounds[0];
    for e in v.edges.iter().filter(|e| !e.inferred) {
        let (a, b) = (at(&e.source), at(&e.target));
        assert!(((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() < width / 2.0, "{} -> {}", e.source, e.target);
    }
}
