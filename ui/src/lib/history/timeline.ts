// A host's timeline: every stored scan that saw an address (the hits of `host:ADDR`), oldest first, each with
// what changed since the scan before it.
import type { HostHit } from "../ipc/backend";

export interface TimelineEntry {
  scan_id: number;
  /** Unix seconds. */
  started: number;
  state: string;
  open_ports: string[];
  /** Ports open now and not in the previous entry (empty for the first entry). */
  opened: string[];
  /** Ports open in the previous entry and not now. */
  closed: string[];
  /** The host's state differs from the previous entry's. */
  stateChanged: boolean;
  first: boolean;
}

function portKey(p: string): [number, string] {
  const [n, proto] = p.split("/");
  return [Number(n), proto ?? ""];
}

function byPort(a: string, b: string): number {
  const [na, pa] = portKey(a);
  const [nb, pb] = portKey(b);
  return pa.localeCompare(pb) || na - nb;
}

/** The hits for one address, oldest first, with the ports opened and closed between consecutive scans. */
export function timeline(hits: HostHit[], addr: string): TimelineEntry[] {
  const mine = hits
    .filter((h) => h.ip === addr)
    .sort((a, b) => a.scan_started - b.scan_started || a.scan_id - b.scan_id || a.host_id - b.host_id);
  const out: TimelineEntry[] = [];
  let prev: { ports: Set<string>; state: string } | null = null;
  for (const h of mine) {
    const ports = new Set(h.open_ports);
    out.push({
      scan_id: h.scan_id,
      started: h.scan_started,
      state: h.state,
      open_ports: [...h.open_ports].sort(byPort),
      opened: prev ? [...ports].filter((p) => !prev!.ports.has(p)).sort(byPort) : [],
      closed: prev ? [...prev.ports].filter((p) => !ports.has(p)).sort(byPort) : [],
      stateChanged: prev !== null && prev.state !== h.state,
      first: prev === null,
    });
    prev = { ports, state: h.state };
  }
  return out;
}
