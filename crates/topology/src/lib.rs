//! # portolan-topology
//!
//! The topology map: a `petgraph` graph of the network built from scan reports and events (traceroute hops
//! and host facts), two deterministic layouts, a serialisable view for the desktop app and an SVG writer.
//!
//! ```text
//! ScanReport / ScanEvent --TopologyGraph::{merge, add_host, apply}--> TopologyGraph
//!     --layout::{radial, force}--> Layout --MapView::new--> MapView (serde) --svg::render--> SVG text
//! ```
//!
//! Invariants:
//! - Uses only `portolan-model` among Portolan's crates (it is a `report`-level crate): no I/O, no file formats;
//!   callers read XML/JSON and hand in reports or events.
//! - Node identity is a [`NodeKey`]: the scanner, one node per IP address (shared routers are one node), and
//!   silent hops keyed by their known neighbours and position, so identical silent stretches merge.
//! - Edges point away from the scanner. Every node is reachable from the scanner: a host without a trace has
//!   an `inferred` edge from the scanner until a trace gives its real path.
//! - Layouts depend only on the graph's content, never on insertion order, time or randomness: the same
//!   report(s) give identical positions.
//! - Strings from the network stay verbatim in the graph and the view; [`svg::escape`] makes them safe text.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod graph;
pub mod layout;
pub mod svg;
pub mod view;

pub use graph::{EdgeData, NodeData, NodeKey, NodeKind, TopologyGraph};
pub use layout::{Layout, LayoutKind, Placed};
pub use view::{MapEdge, MapNode, MapView};

/// Lays out a graph and renders it to SVG in one call (what `portolan map` does).
pub fn render_svg(graph: &TopologyGraph, kind: LayoutKind) -> String {
    let layout = layout::compute(graph, kind);
    svg::render(&MapView::new(graph, &layout))
}
