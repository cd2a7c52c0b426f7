// "Which hosts run http?": open ports grouped by service name, within one report (the Services tab) or across
// the history's search hits (the service lookup in History).
import type { HostReport } from "../ipc/bindings";
import type { HostHit, ServiceHit } from "../ipc/backend";
import { hostLabel } from "../fold";

export interface ServiceEntry {
  /** The host as the results list names it. */
  host: string;
  /** Index of the host in the report, to select it. */
  hostIndex: number;
  port: number;
  protocol: string;
  /** Product, version and extra info, as one line ("" when version detection did not run). */
  detail: string;
}

export interface ServiceGroup {
  name: string;
  entries: ServiceEntry[];
  /** Distinct hosts in the group. */
  hosts: number;
}

export function serviceDetail(s: { product?: string | null; version?: string | null; extra_info?: string | null }): string {
  return [s.product, s.version, s.extra_info ? `(${s.extra_info.replace(/^\((.*)\)$/, "$1")})` : null].filter(Boolean).join(" ");
}

/** Open ports of `hosts` by service name: most widespread service first, then by name; hosts in report order. */
export function groupServices(hosts: HostReport[]): ServiceGroup[] {
  const m = new Map<string, ServiceEntry[]>();
  hosts.forEach((h, hostIndex) => {
    for (const p of h.ports) {
      if (p.state !== "open") continue;
      const name = p.service?.name || "unknown";
      const e: ServiceEntry = {
        host: hostLabel(h),
        hostIndex,
        port: p.port,
        protocol: p.protocol,
        detail: p.service ? serviceDetail(p.service) : "",
      };
      const list = m.get(name);
      if (list) list.push(e);
      else m.set(name, [e]);
    }
  });
  return [...m]
    .map(([name, entries]) => ({ name, entries, hosts: new Set(entries.map((e) => e.hostIndex)).size }))
    .sort((a, b) => b.hosts - a.hosts || a.name.localeCompare(b.name));
}

/** One row of the history-wide lookup: a host in one scan, with its ports running the service. */
export interface ServiceSighting {
  scan_id: number;
  scan_started: number;
  host_id: number;
  ip: string | null;
  host: string;
  services: ServiceHit[];
}

/** Matches a service name the way the store's `service:` does: ASCII case ignored, `*` a wildcard. */
export function serviceMatcher(pattern: string): (name: string) => boolean {
  const esc = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const re = new RegExp(`^${esc}$`);
  return (name) => re.test(name.toLowerCase());
}

/** The hits of a `service:NAME` search, each with only the ports that run NAME (newest scan first, as found). */
export function sightings(hits: HostHit[], pattern: string): ServiceSighting[] {
  const match = serviceMatcher(pattern);
  return hits.map((h) => ({
    scan_id: h.scan_id,
    scan_started: h.scan_started,
    host_id: h.host_id,
    ip: h.ip,
    host: h.hostnames.length ? `${h.hostnames[0]} (${h.ip ?? ""})` : (h.ip ?? ""),
    services: (h.services ?? []).filter((s) => match(s.name)),
  }));
}
