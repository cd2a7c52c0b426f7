// The map as Rust lays it out (crates/topology/src/view.rs `MapView`, sent by the `map_view` command and
// written by `portolan map --json`). ui/tests/map.test.ts checks these names against a file the real CLI
// wrote (tests/fixtures/map-view.json).

export type NodeKind = "scanner" | "router" | "host" | "unknown";
export type LayoutKind = "radial" | "force";

export interface MapNode {
  /** `localhost`, an IP address, or `*…` for a silent hop. */
  id: string;
  kind: NodeKind;
  label: string;
  /** Layout units, the scanner at (0, 0), y downwards. */
  x: number;
  y: number;
  ring: number;
  hops?: number | null;
  open_ports: number;
  /** Open ports, `22/tcp ssh` (or `22/tcp`); absent when none. */
  ports?: string[];
  os?: string | null;
  os_family?: string | null;
  device_type?: string | null;
  addresses: string[];
  names: string[];
  rtt_ms?: number | null;
  parent?: string | null;
}

export interface MapEdge {
  source: string;
  target: string;
  rtt_delta_ms?: number | null;
  /** A host with no trace, joined to the scanner. */
  inferred: boolean;
}

export interface MapView {
  layout: LayoutKind;
  ring_spacing: number;
  rings: number;
  nodes: MapNode[];
  edges: MapEdge[];
  /** (min x, min y, max x, max y) of the node centres. */
  bounds: [number, number, number, number];
}

/** Colour class of a node, as the SVG writer's `class_of` (crates/topology/src/svg.rs). */
export function classOf(n: MapNode): string {
  if (n.kind !== "host") return n.kind;
  const d = n.device_type?.toLowerCase();
  if (!d) return "host";
  if (["router", "switch", "firewall", "wap", "bridge", "broadband router", "load balancer"].some((k) => d.includes(k))) {
    return "netdev";
  }
  if (d.includes("printer")) return "printer";
  if (d === "general purpose") return "general";
  return "other";
}

/** Node radius in layout units, as the SVG writer's `radius_of`. */
export function radiusOf(n: MapNode): number {
  if (n.kind === "scanner") return 10;
  if (n.kind === "unknown") return 5;
  return Math.min(24, 6 + 2.5 * Math.sqrt(n.open_ports));
}

/** The legend: colour class, its words and its fill, the same as the SVG writer's (crates/topology/src/svg.rs). */
export const LEGEND: readonly [string, string, string][] = [
  ["scanner", "this machine (the scanner)", "#222222"],
  ["router", "router on the way (not a target)", "#f0a030"],
  ["unknown", "silent hop (*)", "#d0d0d0"],
  ["host", "host", "#3a7fc0"],
  ["netdev", "host: router, switch, firewall, WAP", "#d9534f"],
  ["printer", "host: printer", "#8e6cc0"],
  ["general", "host: general purpose", "#2ca25f"],
  ["other", "host: other device type", "#8c8c2c"],
];

export function fillOf(n: MapNode): string {
  const c = classOf(n);
  return LEGEND.find((l) => l[0] === c)?.[2] ?? "#3a7fc0";
}
