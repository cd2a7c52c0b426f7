//! [`TopologyGraph`]: the network as Portolan saw it, a directed graph that points away from the scanner.
//!
//! Nodes are keyed by [`NodeKey`]: the scanner, one node per IP address (a router reached by several traces is
//! one node), and unknown hops (`*`). An unknown hop is keyed by the known nodes either side of its silent run,
//! its position in that run and the run's length, so two traces that cross the same silent stretch between the
//! same known neighbours share its nodes, while silent hops elsewhere stay apart.

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use portolan_model::{EventBody, HostReport, OsInfo, PortState, Protocol, ScanEvent, ScanReport, Trace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// One hop of a trace as the path walk sees it: (address, RTT ms, name).
type HopSeen<'a> = (Option<IpAddr>, Option<f64>, Option<&'a str>);
/// (TTL, address, RTT ms, name).
type PathStep<'a> = (u32, Option<IpAddr>, Option<f64>, Option<&'a str>);

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// The machine the scans ran from, at the centre.
    Scanner,
    /// A hop address that no scan had as a target.
    Router,
    /// A scan target that was up (it may also be a hop on other paths).
    Host,
    /// A hop that never answered (`*`).
    Unknown,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Scanner => "scanner",
            NodeKind::Router => "router",
            NodeKind::Host => "host",
            NodeKind::Unknown => "unknown",
        }
    }
}

/// Identity of a node. The derived order (scanner, then addresses in numeric order, IPv4 before IPv6, then
/// unknown hops) is the order every layout uses, which is what makes layouts independent of insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKey {
    Scanner,
    Addr(IpAddr),
    /// A silent hop: `prev` is the last known node before the silent run (`None` = the scanner), `next` the
    /// first known one after it, `pos` its 1-based place in the run of `len` silent hops.
    Unknown { prev: Option<IpAddr>, next: IpAddr, pos: u8, len: u8 },
}

impl NodeKey {
    /// Stable text id, as the UI and the SVG refer to nodes.
    pub fn id(&self) -> String {
        match self {
            NodeKey::Scanner => "localhost".to_owned(),
            NodeKey::Addr(ip) => ip.to_string(),
            NodeKey::Unknown { prev, next, pos, len } => {
                let p = prev.map_or_else(|| "localhost".to_owned(), |ip| ip.to_string());
                format!("*{p}>{next}#{pos}/{len}")
            }
        }
    }
}

/// What the map knows about one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeData {
    pub key: NodeKey,
    pub kind: NodeKind,
    /// IP and MAC addresses, first seen first.
    pub addresses: Vec<String>,
    /// Host names (reverse DNS, user-given, or a hop's name), first seen first.
    pub names: Vec<String>,
    /// Open ports as (protocol, port).
    pub open_ports: BTreeSet<(Protocol, u16)>,
    /// Service names of open ports, when known (table name or version detection's).
    pub services: std::collections::BTreeMap<(Protocol, u16), String>,
    /// Open ports a file only summarised (`<extraports state="open">`).
    pub extra_open: u32,
    /// Best OS match's name, its family and device type (`general purpose`, `router`, `printer` ...).
    pub os_name: Option<String>,
    pub os_family: Option<String>,
    pub device_type: Option<String>,
    /// Smallest round-trip time seen, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Distance in hops from the scanner: smallest TTL on any trace, else the host's `distance`.
    pub hops: Option<u32>,
}

impl NodeData {
    fn new(key: NodeKey, kind: NodeKind) -> Self {
        let addresses = match &key {
            NodeKey::Addr(ip) => vec![ip.to_string()],
            _ => Vec::new(),
        };
        NodeData {
            key,
            kind,
            addresses,
            names: Vec::new(),
            open_ports: BTreeSet::new(),
            services: std::collections::BTreeMap::new(),
            extra_open: 0,
            os_name: None,
            os_family: None,
            device_type: None,
            rtt_ms: None,
            hops: None,
        }
    }

    pub fn open_port_count(&self) -> u32 {
        self.open_ports.len() as u32 + self.extra_open
    }

    /// What to print next to the node: its first name, else its address, `*` for a silent hop.
    pub fn label(&self) -> String {
        match &self.key {
            NodeKey::Scanner => "localhost".to_owned(),
            NodeKey::Unknown { .. } => "*".to_owned(),
            NodeKey::Addr(ip) => self.names.first().cloned().unwrap_or_else(|| ip.to_string()),
        }
    }

    fn add_name(&mut self, name: &str) {
        if !name.is_empty() && !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_owned());
        }
    }

    fn add_address(&mut self, addr: &str) {
        if !addr.is_empty() && !self.addresses.iter().any(|a| a == addr) {
            self.addresses.push(addr.to_owned());
        }
    }

    fn see_rtt(&mut self, rtt: Option<f64>) {
        if let Some(r) = rtt.filter(|r| r.is_finite() && *r >= 0.0) {
            self.rtt_ms = Some(self.rtt_ms.map_or(r, |old| old.min(r)));
        }
    }

    fn see_hops(&mut self, hops: u32) {
        self.hops = Some(self.hops.map_or(hops, |h| h.min(hops)));
    }

    fn set_os(&mut self, os: &OsInfo) {
        if let Some(m) = os.matches.first() {
            self.os_name = Some(m.name.clone());
            if let Some(c) = m.classes.first() {
                self.os_family = Some(c.family.clone()).filter(|f| !f.is_empty());
                self.device_type = c.device_type.clone().filter(|d| !d.is_empty());
            }
        }
    }
}

/// An edge: the next hop on some path. `inferred` marks a host placed without a trace (joined to the scanner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeData {
    pub inferred: bool,
}

/// The map. Update it with [`add_host`](Self::add_host), [`apply`](Self::apply) or [`merge`](Self::merge);
/// nothing is ever rebuilt, so a live scan grows it event by event.
#[derive(Debug, Clone)]
pub struct TopologyGraph {
    graph: StableDiGraph<NodeData, EdgeData>,
    index: HashMap<NodeKey, NodeIndex>,
    scanner: NodeIndex,
}

impl Default for TopologyGraph {
    fn default() -> Self {
        Self::new()
    }
}

impl TopologyGraph {
    /// A map with only the scanner.
    pub fn new() -> Self {
        let mut graph = StableDiGraph::new();
        let mut scanner_node = NodeData::new(NodeKey::Scanner, NodeKind::Scanner);
        scanner_node.hops = Some(0);
        scanner_node.rtt_ms = Some(0.0);
        let scanner = graph.add_node(scanner_node);
        let mut index = HashMap::new();
        index.insert(NodeKey::Scanner, scanner);
        TopologyGraph { graph, index, scanner }
    }

    pub fn from_report(report: &ScanReport) -> Self {
        let mut g = Self::new();
        g.merge(report);
        g
    }

    /// Adds every host of another scan (network inventory: several scans, one map).
    pub fn merge(&mut self, report: &ScanReport) {
        for h in &report.hosts {
            self.add_host(h);
        }
    }

    /// Adds (or updates) one host and its path. Hosts that were not up are not drawn.
    pub fn add_host(&mut self, host: &HostReport) {
        if !host.is_up() {
            return;
        }
        let Some(ip) = host.ip() else { return };
        let n = self.ensure_host(ip);
        let node = &mut self.graph[n];
        for a in &host.addresses {
            node.add_address(&a.addr);
        }
        for name in &host.hostnames {
            node.add_name(&name.name);
        }
        for p in host.ports.iter().filter(|p| p.state == PortState::Open) {
            node.open_ports.insert((p.protocol, p.port));
            if let Some(s) = p.service.as_ref().filter(|s| !s.name.is_empty()) {
                node.services.insert((p.protocol, p.port), s.name.clone());
            }
        }
        node.extra_open = host.extra_ports.iter().filter(|e| e.state == PortState::Open).map(|e| e.count).sum();
        if let Some(os) = &host.os {
            node.set_os(os);
        }
        node.see_rtt(host.times.map(|t| t.srtt as f64 / 1000.0).filter(|r| *r > 0.0));
        node.see_rtt(host.latency.map(|l| l * 1000.0));
        if let Some(d) = host.distance {
            node.see_hops(d);
        }
        if let Some(t) = &host.trace {
            self.add_trace(ip, t);
        }
    }

    /// Applies one event of a running scan. Events that say nothing about the map are ignored.
    pub fn apply(&mut self, event: &ScanEvent) {
        match &event.body {
            EventBody::HostStatus { addr, status, latency, hostnames } => {
                if status.state != portolan_model::HostState::Up {
                    return;
                }
                let n = self.ensure_host(*addr);
                let node = &mut self.graph[n];
                for h in hostnames {
                    node.add_name(&h.name);
                }
                node.see_rtt(latency.map(|l| l * 1000.0));
            }
            EventBody::Hostnames { addr, hostnames } => {
                if let Some(&n) = self.index.get(&NodeKey::Addr(*addr)) {
                    for h in hostnames {
                        self.graph[n].add_name(&h.name);
                    }
                }
            }
            EventBody::MacAddress { addr, mac, .. } => {
                if let Some(&n) = self.index.get(&NodeKey::Addr(*addr)) {
                    self.graph[n].add_address(mac);
                }
            }
            EventBody::Traceroute { addr, trace } => {
                self.ensure_host(*addr);
                self.add_trace(*addr, trace);
            }
            EventBody::Port { addr, protocol, port, state, service, .. } => {
                let n = self.ensure_host(*addr);
                let node = &mut self.graph[n];
                let key = (*protocol, *port);
                if *state == PortState::Open {
                    node.open_ports.insert(key);
                    if let Some(s) = service.as_ref().filter(|s| !s.name.is_empty()) {
                        node.services.insert(key, s.name.clone());
                    }
                } else {
                    node.open_ports.remove(&key);
                    node.services.remove(&key);
                }
            }
            EventBody::ServiceDetected { addr, protocol, port, service } => {
                if let Some(&n) = self.index.get(&NodeKey::Addr(*addr))
                    && self.graph[n].open_ports.contains(&(*protocol, *port))
                {
                    self.graph[n].services.insert((*protocol, *port), service.name.clone());
                }
            }
            EventBody::OsDetected { addr, os, distance, .. } => {
                let n = self.ensure_host(*addr);
                let node = &mut self.graph[n];
                node.set_os(os);
                if let Some(d) = distance {
                    node.see_hops(*d);
                }
            }
            EventBody::HostFinished { addr, times, .. } => {
                if let Some(&n) = self.index.get(&NodeKey::Addr(*addr)) {
                    self.graph[n].see_rtt(times.map(|t| t.srtt as f64 / 1000.0).filter(|r| *r > 0.0));
                }
            }
            _ => {}
        }
    }

    /// The node of an address, created as a host joined to the scanner until a trace says where it is.
    fn ensure_host(&mut self, ip: IpAddr) -> NodeIndex {
        let key = NodeKey::Addr(ip);
        if let Some(&n) = self.index.get(&key) {
            let node = &mut self.graph[n];
            if node.kind == NodeKind::Router {
                node.kind = NodeKind::Host;
            }
            return n;
        }
        let n = self.graph.add_node(NodeData::new(key.clone(), NodeKind::Host));
        self.index.insert(key, n);
        self.graph.add_edge(self.scanner, n, EdgeData { inferred: true });
        n
    }

    fn ensure_node(&mut self, key: NodeKey) -> NodeIndex {
        if let Some(&n) = self.index.get(&key) {
            return n;
        }
        let kind = match key {
            NodeKey::Scanner => NodeKind::Scanner,
            NodeKey::Addr(_) => NodeKind::Router,
            NodeKey::Unknown { .. } => NodeKind::Unknown,
        };
        let n = self.graph.add_node(NodeData::new(key.clone(), kind));
        self.index.insert(key, n);
        n
    }

    /// Joins `a -> b` as seen on a trace; a real edge into `b` replaces the guess that joined it to the scanner.
    fn link(&mut self, a: NodeIndex, b: NodeIndex) {
        if a == b {
            return;
        }
        match self.graph.find_edge(a, b) {
            Some(e) => self.graph[e].inferred = false,
            None => {
                self.graph.add_edge(a, b, EdgeData { inferred: false });
            }
        }
        let guesses: Vec<EdgeIndex> = self
            .graph
            .edges_directed(b, Direction::Incoming)
            .filter(|e| e.weight().inferred)
            .map(|e| e.id())
            .collect();
        for e in guesses {
            self.graph.remove_edge(e);
        }
    }

    /// Adds the path of one trace to `target`. TTLs missing from the trace (Nmap leaves silent hops out of its
    /// XML) are silent hops; a trace that stops before the target is continued by one edge to the target.
    pub fn add_trace(&mut self, target: IpAddr, trace: &Trace) {
        let mut by_ttl: BTreeMap<u8, HopSeen<'_>> = BTreeMap::new();
        for h in trace.hops.iter().filter(|h| h.ttl > 0) {
            let e = by_ttl.entry(h.ttl).or_insert((None, None, None));
            if e.0.is_none() {
                *e = (h.addr, h.rtt_ms, h.host.as_deref());
            }
        }
        let Some(&max_ttl) = by_ttl.keys().next_back() else { return };
        // Positions 1..=max_ttl, then the target if the trace did not reach it.
        let mut path: Vec<PathStep<'_>> = (1..=max_ttl)
            .map(|t| match by_ttl.get(&t) {
                Some(&(a, r, h)) => (u32::from(t), a, r, h),
                None => (u32::from(t), None, None, None),
            })
            .collect();
        // A hop that is the target ends the path there (anything after it would be noise).
        if let Some(at) = path.iter().position(|p| p.1 == Some(target)) {
            path.truncate(at + 1);
        } else {
            path.push((u32::from(max_ttl) + 1, Some(target), None, None));
        }
        let mut prev_known: Option<IpAddr> = None;
        let mut prev_node = self.scanner;
        let mut i = 0;
        while i < path.len() {
            let (ttl, addr, rtt, host) = path[i];
            match addr {
                Some(ip) => {
                    let n = self.ensure_node(NodeKey::Addr(ip));
                    let node = &mut self.graph[n];
                    node.see_hops(ttl);
                    node.see_rtt(rtt);
                    if let Some(h) = host {
                        node.add_name(h);
                    }
                    self.link(prev_node, n);
                    prev_node = n;
                    prev_known = Some(ip);
                    i += 1;
                }
                None => {
                    let end = path[i..].iter().position(|p| p.1.is_some()).map_or(path.len(), |k| i + k);
                    // The path always ends at a known address (the target), so `end` is inside it.
                    let Some(next) = path.get(end).and_then(|p| p.1) else { return };
                    let len = (end - i).min(usize::from(u8::MAX)) as u8;
                    for (k, p) in path[i..end].iter().enumerate() {
                        let key = NodeKey::Unknown { prev: prev_known, next, pos: (k + 1).min(255) as u8, len };
                        let n = self.ensure_node(key);
                        self.graph[n].see_hops(p.0);
                        self.link(prev_node, n);
                        prev_node = n;
                    }
                    i = end;
                }
            }
        }
    }

    pub fn scanner(&self) -> NodeIndex {
        self.scanner
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn index_of(&self, key: &NodeKey) -> Option<NodeIndex> {
        self.index.get(key).copied()
    }

    pub fn node(&self, key: &NodeKey) -> Option<&NodeData> {
        self.index_of(key).map(|n| &self.graph[n])
    }

    /// The underlying petgraph graph (edges point away from the scanner).
    pub fn graph(&self) -> &StableDiGraph<NodeData, EdgeData> {
        &self.graph
    }

    /// Round-trip time added by an edge: the target's RTT minus the source's, when both are known.
    pub fn rtt_delta(&self, from: NodeIndex, to: NodeIndex) -> Option<f64> {
        Some(self.graph.node_weight(to)?.rtt_ms? - self.graph.node_weight(from)?.rtt_ms?)
    }

    /// Every edge as (source id, target id, inferred), sorted: what tests compare with the real topology.
    pub fn edge_ids(&self) -> BTreeSet<(String, String, bool)> {
        self.graph
            .edge_references()
            .map(|e| (self.graph[e.source()].key.id(), self.graph[e.target()].key.id(), e.weight().inferred))
            .collect()
    }
}
