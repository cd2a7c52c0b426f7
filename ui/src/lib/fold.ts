// The live view's fold of a ScanEvent stream into a ScanReport. It follows the rules of Rust's
// `report::Folder` (crates/report/src/fold.rs) so the window shows what the files will say: hosts in the order
// of their first event, ports upserted by (protocol, port), later facts win, a timed-out host's ports dropped,
// `run_stats` only after `finished`. Ports are appended as they arrive and sorted when a snapshot is taken, as
// a `-p-` scan brings 65,535 of them in random order.
import type {
  EventBody,
  HostReport,
  Hostname,
  PortReport,
  Protocol,
  ScanEvent,
  ScanReport,
} from "./ipc/bindings";

export type ProgressEvent = Extract<EventBody, { event: "progress" }>;
export type FinishedEvent = Extract<EventBody, { event: "finished" }>;

const PROTO_ORDER: Record<Protocol, number> = { tcp: 0, udp: 1, sctp: 2, ip: 3 };

export function comparePorts(a: PortReport, b: PortReport): number {
  return PROTO_ORDER[a.protocol] - PROTO_ORDER[b.protocol] || a.port - b.port;
}

export function emptyReport(): ScanReport {
  return {
    scanner: "portolan",
    version: "",
    args: "",
    start: 0,
    scan_info: [],
    verbose: 0,
    debugging: 0,
    hosts: [],
    warnings: [],
    run_stats: null,
  };
}

function newHost(addr: string): HostReport {
  return {
    start_time: null,
    end_time: null,
    status: { state: "up", reason: "unknown", reason_ttl: 0 },
    addresses: [{ addr, kind: addr.includes(":") ? "ipv6" : "ipv4" }],
    hostnames: [],
    ports: [],
    timed_out: false,
  };
}

function addNames(have: Hostname[], names: readonly Hostname[] | undefined): void {
  for (const n of names ?? []) {
    if (!have.some((h) => h.name === n.name && h.kind === n.kind)) have.push(n);
  }
}

const secs = (ms: number) => Math.floor(ms / 1000);

export class LiveFold {
  readonly report: ScanReport = emptyReport();
  progress: ProgressEvent | null = null;
  finished: FinishedEvent | null = null;
  /** Hosts whose port list changed since its last sort. */
  private unsorted = new Set<HostReport>();
  private hostIndex = new Map<string, HostReport>();
  private portIndex = new Map<HostReport, Map<string, number>>();
  private seenAny = false;
  /** Time of the first event, in milliseconds, for the elapsed-time display. */
  startMs = 0;
  lastMs = 0;
  eventCount = 0;

  private host(addr: string): HostReport {
    let h = this.hostIndex.get(addr);
    if (!h) {
      h = newHost(addr);
      this.hostIndex.set(addr, h);
      this.portIndex.set(h, new Map());
      this.report.hosts.push(h);
    }
    return h;
  }

  push(ev: ScanEvent): void {
    this.eventCount++;
    if (!this.seenAny) {
      this.seenAny = true;
      this.report.start = secs(ev.time_ms);
      this.startMs = ev.time_ms;
    }
    this.lastMs = ev.time_ms;
    const r = this.report;
    switch (ev.event) {
      case "scan_started":
        r.scanner = ev.scanner;
        r.version = ev.version;
        r.args = ev.args;
        r.scan_info = ev.scan_info;
        r.verbose = ev.verbose;
        r.debugging = ev.debugging;
        break;
      case "host_status": {
        const h = this.host(ev.addr);
        h.status = ev.status;
        if (ev.latency != null) h.latency = ev.latency;
        addNames(h.hostnames, ev.hostnames);
        break;
      }
      case "mac_address": {
        const h = this.host(ev.addr);
        if (!h.addresses.some((a) => a.kind === "mac")) {
          h.addresses.push({ addr: ev.mac, kind: "mac", vendor: ev.vendor ?? null });
        }
        break;
      }
      case "traceroute":
        this.host(ev.addr).trace = ev.trace;
        break;
      case "hostnames":
        addNames(this.host(ev.addr).hostnames, ev.hostnames);
        break;
      case "host_scan_started":
        this.host(ev.addr).start_time = secs(ev.time_ms);
        break;
      case "port": {
        const h = this.host(ev.addr);
        const rec: PortReport = {
          protocol: ev.protocol,
          port: ev.port,
          state: ev.state,
          reason: ev.reason,
          reason_ttl: ev.reason_ttl,
          service: ev.service ?? null,
        };
        const idx = this.portIndex.get(h);
        const key = `${ev.protocol}/${ev.port}`;
        const at = idx?.get(key);
        if (at !== undefined) h.ports[at] = rec;
        else {
          idx?.set(key, h.ports.length);
          h.ports.push(rec);
          this.unsorted.add(h);
        }
        break;
      }
      case "service_detected": {
        const h = this.host(ev.addr);
        const at = this.portIndex.get(h)?.get(`${ev.protocol}/${ev.port}`);
        const p = at === undefined ? undefined : h.ports[at];
        // A new object, so views holding the old row see the change.
        if (p && at !== undefined) h.ports[at] = { ...p, service: ev.service };
        break;
      }
      case "os_detected": {
        const h = this.host(ev.addr);
        h.os = ev.os;
        if (ev.uptime != null) h.uptime = ev.uptime;
        if (ev.distance != null) h.distance = ev.distance;
        h.tcp_sequence = ev.tcp_sequence ?? null;
        h.ip_id_sequence = ev.ip_id_sequence ?? null;
        h.tcp_ts_sequence = ev.tcp_ts_sequence ?? null;
        break;
      }
      case "host_finished": {
        const h = this.host(ev.addr);
        h.end_time = secs(ev.time_ms);
        if (ev.times != null) h.times = ev.times;
        if (h.latency == null && ev.times != null) h.latency = ev.times.srtt / 1e6;
        h.timed_out = ev.timed_out;
        if (ev.timed_out) {
          h.ports = [];
          h.extra_ports = [];
          this.portIndex.set(h, new Map());
        }
        break;
      }
      case "progress":
        this.progress = ev;
        break;
      case "trace":
        break;
      case "warning":
        (r.warnings ??= []).push(ev.message);
        break;
      case "finished":
        this.finished = ev;
        r.run_stats = {
          finished: secs(ev.time_ms),
          elapsed: ev.elapsed,
          summary: `Portolan done: ${ev.hosts_total} IP address${ev.hosts_total === 1 ? "" : "es"} (${ev.hosts_up} host${ev.hosts_up === 1 ? "" : "s"} up) scanned in ${ev.elapsed.toFixed(2)} seconds`,
          exit: ev.error != null ? "error" : "success",
          error_msg: ev.error ?? null,
          hosts_up: ev.hosts_up,
          hosts_down: ev.hosts_down,
          hosts_total: ev.hosts_total,
        };
        break;
    }
  }

  /** The report with every host's ports in (protocol, port) order. Cheap when nothing changed. */
  snapshot(): ScanReport {
    for (const h of this.unsorted) {
      h.ports.sort(comparePorts);
      const idx = new Map<string, number>();
      h.ports.forEach((p, i) => idx.set(`${p.protocol}/${p.port}`, i));
      this.portIndex.set(h, idx);
    }
    this.unsorted.clear();
    return this.report;
  }

  openPorts(): number {
    let n = 0;
    for (const h of this.report.hosts) for (const p of h.ports) if (p.state === "open") n++;
    return n;
  }
}

/** The host's first IP address, which is how Nmap names it. */
export function hostIp(h: HostReport): string {
  return h.addresses.find((a) => a.kind !== "mac")?.addr ?? "";
}

export function hostLabel(h: HostReport): string {
  const ip = hostIp(h);
  const name = h.hostnames[0]?.name;
  return name ? `${name} (${ip})` : ip;
}
