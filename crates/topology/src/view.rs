//! [`MapView`]: the map as the UI draws it — every node with its place and facts, every edge — in a stable,
//! serialisable shape (JSON via serde). The desktop app receives this, the SVG writer renders it.
//!
//! Coordinates are layout units with the scanner at (0, 0); y grows downwards (screen/SVG convention). Nodes
//! come sorted by key (scanner, addresses in numeric order, unknown hops), edges by (source, target) id.
//! Every string that came from the network (names, OS names, device types) is verbatim: escape when drawing.

use crate::graph::{NodeKind, TopologyGraph};
use crate::layout::{Layout, LayoutKind};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use serde::{Deserialize, Serialize};

/// The whole map, laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapView {
    pub layout: LayoutKind,
    /// Distance between rings in layout units (0 for layouts without rings).
    pub ring_spacing: f64,
    /// Outermost ring number.
    pub rings: u32,
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
    /// Bounding box of the node centres: (min x, min y, max x, max y).
    pub bounds: [f64; 4],
}

/// One node as drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapNode {
    /// Stable id: `localhost`, an IP address, or `*<prev>><next>#<pos>/<len>` for a silent hop.
    pub id: String,
    pub kind: NodeKind,
    /// First host name, else the address; `*` for a silent hop; `localhost` for the scanner.
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub ring: u32,
    /// Hop count from the scanner when known (trace TTL or the host's distance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hops: Option<u32>,
    pub open_ports: u32,
    /// The open ports listed, `22/tcp ssh` (`22/tcp` when the service is unknown), for filtering the map.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    pub addresses: Vec<String>,
    pub names: Vec<String>,
    /// Smallest round-trip time seen, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// Id of the spanning-tree parent the layout used (re-centring follows these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// One edge: `source` is the hop nearer the scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapEdge {
    pub source: String,
    pub target: String,
    /// RTT of the target minus RTT of the source, milliseconds, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_delta_ms: Option<f64>,
    /// A host with no trace, joined to the scanner (its ring is its `distance` when known).
    pub inferred: bool,
}

fn round2(v: f64) -> f64 {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

impl MapView {
    /// Builds the view of a graph with a layout computed from it.
    pub fn new(g: &TopologyGraph, layout: &Layout) -> Self {
        let graph = g.graph();
        let mut idx: Vec<_> = graph.node_indices().collect();
        idx.sort_by(|a, b| graph[*a].key.cmp(&graph[*b].key));
        let mut bounds = [0.0f64; 4];
        let nodes: Vec<MapNode> = idx
            .iter()
            .map(|&n| {
                let d = &graph[n];
                let p = layout.get(n).copied();
                // Hundredths of a unit are plenty for drawing and keep float noise (7e-15 for 0) out of files.
                let (x, y) = p.map_or((0.0, 0.0), |p| (round2(p.x), round2(p.y)));
                bounds = [bounds[0].min(x), bounds[1].min(y), bounds[2].max(x), bounds[3].max(y)];
                MapNode {
                    id: d.key.id(),
                    kind: d.kind,
                    label: d.label(),
                    x,
                    y,
                    ring: p.map_or(0, |p| p.ring),
                    hops: d.hops,
                    open_ports: d.open_port_count(),
                    ports: d
                        .open_ports
                        .iter()
                        .map(|k| match d.services.get(k) {
                            Some(name) => format!("{}/{} {name}", k.1, k.0.as_str()),
                            None => format!("{}/{}", k.1, k.0.as_str()),
                        })
                        .collect(),
                    os: d.os_name.clone(),
                    os_family: d.os_family.clone(),
                    device_type: d.device_type.clone(),
                    addresses: d.addresses.clone(),
                    names: d.names.clone(),
                    rtt_ms: d.rtt_ms,
                    parent: p.and_then(|p| p.parent).and_then(|q| graph.node_weight(q)).map(|q| q.key.id()),
                }
            })
            .collect();
        let mut edges: Vec<(_, MapEdge)> = graph
            .edge_references()
            .map(|e| {
                let (s, t) = (&graph[e.source()], &graph[e.target()]);
                (
                    (s.key.clone(), t.key.clone()),
                    MapEdge {
                        source: s.key.id(),
                        target: t.key.id(),
                        rtt_delta_ms: g.rtt_delta(e.source(), e.target()),
                        inferred: e.weight().inferred,
                    },
                )
            })
            .collect();
        edges.sort_by(|a, b| a.0.cmp(&b.0));
        MapView {
            layout: layout.kind,
            ring_spacing: layout.ring_spacing,
            rings: layout.rings,
            nodes,
            edges: edges.into_iter().map(|(_, e)| e).collect(),
            bounds,
        }
    }
}
