//! Layouts: where each node goes. Both are pure functions of the graph's content (never of insertion order,
//! time or randomness), so the same report always gives the same picture.
//!
//! - [`radial`]: rings by hop count around the scanner, each node's angular sector proportional to the number
//!   of leaves under it in a spanning tree whose children are ordered by address (as Zenmap's RadialNet).
//! - [`force`]: Fruchterman–Reingold started from the radial positions, a fixed number of iterations, with
//!   repulsion limited to a uniform grid's neighbouring cells (O(n) per iteration), for meshes.

use crate::graph::{NodeKey, TopologyGraph};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::f64::consts::TAU;

/// Which layout to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum LayoutKind {
    Radial,
    Force,
}

impl std::str::FromStr for LayoutKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "radial" => Ok(LayoutKind::Radial),
            "force" => Ok(LayoutKind::Force),
            other => Err(format!("unknown layout '{other}' (expected radial or force)")),
        }
    }
}

/// One node's place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    /// Ring (hop count as drawn); 0 is the scanner.
    pub ring: u32,
    /// Spanning-tree parent (the edge the radial layout follows); `None` for the scanner.
    pub parent: Option<NodeIndex>,
}

/// Positions of every node, plus the ring spacing (0 when the layout has no rings).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub kind: LayoutKind,
    pub ring_spacing: f64,
    pub rings: u32,
    pub positions: HashMap<NodeIndex, Placed>,
}

impl Layout {
    pub fn get(&self, n: NodeIndex) -> Option<&Placed> {
        self.positions.get(&n)
    }
}

/// Smallest distance between ring radii.
const BASE_RING: f64 = 120.0;
/// Arc length wanted per leaf on the outermost ring.
const LEAF_GAP: f64 = 16.0;

/// Spanning tree of the map: BFS from the scanner over outgoing edges, successors in key order; nodes the BFS
/// cannot reach (none in a graph built by `TopologyGraph`, but the layout must not depend on that) hang off
/// the scanner. Returns (nodes in BFS order, children per node, parent per node).
struct Tree {
    order: Vec<NodeIndex>,
    children: HashMap<NodeIndex, Vec<NodeIndex>>,
    parent: HashMap<NodeIndex, NodeIndex>,
}

fn spanning_tree(g: &TopologyGraph) -> Tree {
    let graph = g.graph();
    let root = g.scanner();
    let key = |n: NodeIndex| &graph[n].key;
    let mut sorted: Vec<NodeIndex> = graph.node_indices().collect();
    sorted.sort_by(|a, b| key(*a).cmp(key(*b)));
    let mut seen: HashMap<NodeIndex, ()> = HashMap::with_capacity(sorted.len());
    let mut order = Vec::with_capacity(sorted.len());
    let mut children: HashMap<NodeIndex, Vec<NodeIndex>> = HashMap::new();
    let mut parent = HashMap::new();
    let mut queue = VecDeque::new();
    seen.insert(root, ());
    queue.push_back(root);
    let mut leftovers = sorted.iter().copied();
    loop {
        while let Some(n) = queue.pop_front() {
            order.push(n);
            let mut next: Vec<NodeIndex> =
                graph.edges_directed(n, Direction::Outgoing).map(|e| e.target()).filter(|t| !seen.contains_key(t)).collect();
            next.sort_by(|a, b| key(*a).cmp(key(*b)));
            next.dedup();
            for t in next {
                seen.insert(t, ());
                parent.insert(t, n);
                children.entry(n).or_default().push(t);
                queue.push_back(t);
            }
        }
        // Unreached nodes become children of the scanner, smallest key first, and their subtrees follow.
        match leftovers.find(|n| !seen.contains_key(n)) {
            Some(n) => {
                seen.insert(n, ());
                parent.insert(n, root);
                children.entry(root).or_default().push(n);
                queue.push_back(n);
            }
            None => break,
        }
    }
    Tree { order, children, parent }
}

/// The radial layout.
pub fn radial(g: &TopologyGraph) -> Layout {
    let graph = g.graph();
    let root = g.scanner();
    let tree = spanning_tree(g);
    // Rings: never inside the parent's, and at the node's hop count when that is further out.
    let mut ring: HashMap<NodeIndex, u32> = HashMap::with_capacity(tree.order.len());
    for &n in &tree.order {
        let r = match tree.parent.get(&n) {
            None => 0,
            Some(p) => {
                let pr = ring.get(p).copied().unwrap_or(0);
                graph[n].hops.unwrap_or(0).max(pr + 1)
            }
        };
        ring.insert(n, r);
    }
    // Leaves under each node, children before parents.
    let mut leaves: HashMap<NodeIndex, f64> = HashMap::with_capacity(tree.order.len());
    for &n in tree.order.iter().rev() {
        let l = match tree.children.get(&n) {
            None => 1.0,
            Some(cs) => cs.iter().map(|c| leaves.get(c).copied().unwrap_or(1.0)).sum(),
        };
        leaves.insert(n, l);
    }
    let max_ring = ring.values().copied().max().unwrap_or(0).max(1);
    let total_leaves = leaves.get(&root).copied().unwrap_or(1.0);
    let ring_spacing = BASE_RING.max(total_leaves * LEAF_GAP / (TAU * f64::from(max_ring)));
    // Sectors, parents before children: each child gets a share of its parent's sector by leaf count.
    let mut sector: HashMap<NodeIndex, (f64, f64)> = HashMap::with_capacity(tree.order.len());
    sector.insert(root, (0.0, TAU));
    let mut positions = HashMap::with_capacity(tree.order.len());
    for &n in &tree.order {
        let (start, width) = sector.get(&n).copied().unwrap_or((0.0, TAU));
        let r = ring.get(&n).copied().unwrap_or(0);
        let radius = f64::from(r) * ring_spacing;
        // Start at the top and go clockwise on screen (y grows downwards in SVG).
        let angle = start + width / 2.0 - TAU / 4.0;
        let (x, y) = if r == 0 { (0.0, 0.0) } else { (radius * angle.cos(), radius * angle.sin()) };
        positions.insert(n, Placed { x, y, ring: r, parent: tree.parent.get(&n).copied() });
        if let Some(cs) = tree.children.get(&n) {
            let total = leaves.get(&n).copied().unwrap_or(1.0);
            let mut at = start;
            for c in cs {
                let w = width * leaves.get(c).copied().unwrap_or(1.0) / total;
                sector.insert(*c, (at, w));
                at += w;
            }
        }
    }
    Layout { kind: LayoutKind::Radial, ring_spacing, rings: max_ring, positions }
}

/// Number of force iterations: fixed, so the result does not depend on convergence tests.
pub const FORCE_ITERATIONS: usize = 60;

/// The force-directed layout (Fruchterman–Reingold), from the radial layout's positions. The scanner stays at
/// the centre. Deterministic: a fixed start, a fixed iteration count, and nodes always visited in key order.
pub fn force(g: &TopologyGraph) -> Layout {
    let graph = g.graph();
    let start = radial(g);
    let mut nodes: Vec<NodeIndex> = graph.node_indices().collect();
    nodes.sort_by(|a, b| graph[*a].key.cmp(&graph[*b].key));
    let slot: HashMap<NodeIndex, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let n = nodes.len();
    let mut pos: Vec<(f64, f64)> =
        nodes.iter().map(|i| start.get(*i).map_or((0.0, 0.0), |p| (p.x, p.y))).collect();
    let mut edges: Vec<(usize, usize)> = graph
        .edge_references()
        .filter_map(|e| Some((*slot.get(&e.source())?, *slot.get(&e.target())?)))
        .collect();
    edges.sort_unstable();
    let root = slot.get(&g.scanner()).copied().unwrap_or(0);
    // Ideal edge length: the area the radial layout used, shared among the nodes.
    let extent = pos.iter().fold(1.0f64, |m, p| m.max(p.0.abs()).max(p.1.abs()));
    let k = ((4.0 * extent * extent) / n.max(1) as f64).sqrt().clamp(20.0, BASE_RING);
    let cell = 2.0 * k;
    let mut temp = extent / 10.0;
    let cool = temp / FORCE_ITERATIONS as f64;
    let mut disp = vec![(0.0f64, 0.0f64); n];
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for _ in 0..FORCE_ITERATIONS {
        grid.clear();
        for (i, p) in pos.iter().enumerate() {
            grid.entry(((p.0 / cell).floor() as i64, (p.1 / cell).floor() as i64)).or_default().push(i);
        }
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        for i in 0..n {
            let (cx, cy) = ((pos[i].0 / cell).floor() as i64, (pos[i].1 / cell).floor() as i64);
            for gx in cx - 1..=cx + 1 {
                for gy in cy - 1..=cy + 1 {
                    let Some(cellnodes) = grid.get(&(gx, gy)) else { continue };
                    for &j in cellnodes {
                        if j == i {
                            continue;
                        }
                        let (mut dx, mut dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                        let mut d2 = dx * dx + dy * dy;
                        if d2 < 1e-9 {
                            // Coincident nodes: push apart along a direction fixed by their order.
                            let a = (i as f64 - j as f64) * 0.618_034;
                            (dx, dy) = (a.cos() * 0.01, a.sin() * 0.01);
                            d2 = 1e-4;
                        }
                        if d2 > cell * cell {
                            continue;
                        }
                        let d = d2.sqrt();
                        let f = k * k / d;
                        disp[i].0 += dx / d * f;
                        disp[i].1 += dy / d * f;
                    }
                }
            }
        }
        for &(a, b) in &edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(1e-6);
            let f = d * d / k;
            let (fx, fy) = (dx / d * f, dy / d * f);
            disp[a].0 -= fx;
            disp[a].1 -= fy;
            disp[b].0 += fx;
            disp[b].1 += fy;
        }
        for i in 0..n {
            if i == root {
                continue;
            }
            let (dx, dy) = disp[i];
            let d = (dx * dx + dy * dy).sqrt();
            if d > 0.0 {
                let step = d.min(temp);
                pos[i].0 += dx / d * step;
                pos[i].1 += dy / d * step;
            }
        }
        temp = (temp - cool).max(0.0);
    }
    let positions = nodes
        .iter()
        .zip(pos)
        .map(|(ni, (x, y))| {
            let r = start.get(*ni).map_or(0, |p| p.ring);
            (*ni, Placed { x, y, ring: r, parent: start.get(*ni).and_then(|p| p.parent) })
        })
        .collect();
    Layout { kind: LayoutKind::Force, ring_spacing: 0.0, rings: start.rings, positions }
}

/// Computes the chosen layout.
pub fn compute(g: &TopologyGraph, kind: LayoutKind) -> Layout {
    match kind {
        LayoutKind::Radial => radial(g),
        LayoutKind::Force => force(g),
    }
}

/// Helper for tests and callers that think in keys.
pub fn position_of(g: &TopologyGraph, layout: &Layout, key: &NodeKey) -> Option<Placed> {
    layout.get(g.index_of(key)?).copied()
}
