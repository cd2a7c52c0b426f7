import { describe, expect, it } from "vitest";
import { LiveFold, hostLabel } from "../src/lib/fold";
import { normalText } from "../src/lib/normal";
import { recordedScan } from "./helpers";

describe("LiveFold over a recorded scan", () => {
  it("rebuilds the report the scan describes", () => {
    const events = recordedScan();
    const f = new LiveFold();
    for (const e of events) f.push(e);
    const r = f.snapshot();
    expect(r.scanner).toBe("portolan");
    expect(r.hosts).toHaveLength(1);
    const h = r.hosts[0]!;
    expect(hostLabel(h)).toContain("127.0.0.1");
    // -p 18000-19000,31337: every port has a final state, listed once, in order.
    expect(h.ports).toHaveLength(1002);
    expect(h.ports.map((p) => p.port)).toEqual([...h.ports.map((p) => p.port)].sort((a, b) => a - b));
    expect(h.ports.filter((p) => p.state === "open").map((p) => p.port)).toEqual([18080, 18443, 31337]);
    expect(f.openPorts()).toBe(3);
    expect(r.run_stats?.hosts_up).toBe(1);
    expect(r.run_stats?.exit).toBe("success");
  });

  it("has no run_stats for a stream cut short, and later facts win", () => {
    const events = recordedScan().filter((e) => e.event !== "finished");
    const f = new LiveFold();
    for (const e of events) f.push(e);
    const open = events.find((e) => e.event === "port" && e.state === "open");
    if (!open || open.event !== "port") throw new Error("recording has an open port");
    f.push({ ...open, seq: 99999, state: "filtered" });
    const r = f.snapshot();
    expect(r.run_stats).toBeNull();
    expect(r.hosts[0]!.ports.find((p) => p.port === open.port)?.state).toBe("filtered");
    expect(r.hosts[0]!.ports).toHaveLength(1002);
  });

  it("renders Nmap-style text with the open ports and a closed-port summary", () => {
    const f = new LiveFold();
    for (const e of recordedScan()) f.push(e);
    const text = normalText(f.snapshot());
    expect(text).toMatch(/^Nmap scan report for .*127\.0\.0\.1/m);
    expect(text).toMatch(/^18080\/tcp open +unknown$/m);
    expect(text).toMatch(/^Not shown: 999 closed ports$/m);
    expect(text).toMatch(/Portolan done: 1 IP address \(1 host up\)/);
  });

  it("takes service and OS detection results for ports and hosts it knows, before and after sorting", () => {
    const events = recordedScan().filter((e) => e.event !== "finished");
    const f = new LiveFold();
    const port = (n: number) => f.snapshot().hosts[0]!.ports.find((p) => p.port === n);
    const svc = { name: "http", product: "nginx", version: "1.22.1", method: "probed", conf: 10 };
    // Half the stream, then a result; then the rest (unsorted again), then another result.
    const half = Math.floor(events.length / 2);
    for (const e of events.slice(0, half)) f.push(e);
    const early = events.slice(0, half).find((e) => e.event === "port");
    if (!early || early.event !== "port") throw new Error("recording has ports early");
    f.push({ seq: 100000, time_ms: 0, event: "service_detected", addr: early.addr, protocol: "tcp", port: early.port, service: svc });
    for (const e of events.slice(half)) f.push(e);
    f.push({ seq: 100001, time_ms: 0, event: "service_detected", addr: early.addr, protocol: "tcp", port: 18443, service: { ...svc, name: "https" } });
    // A port the stream never reported gets nothing.
    f.push({ seq: 100002, time_ms: 0, event: "service_detected", addr: early.addr, protocol: "tcp", port: 9, service: svc });
    f.push({
      seq: 100003, time_ms: 0, event: "os_detected", addr: early.addr,
      os: { matches: [{ name: "Linux 5.0 - 6.2", accuracy: 100, line: 1, classes: [] }] },
      distance: 0, tcp_sequence: { index: 260, difficulty: "Good luck!", values: "1,2" },
      ip_id_sequence: { class: "All zeros", values: "0,0" },
    });
    expect(port(early.port)?.service?.product).toBe("nginx");
    expect(port(18443)?.service?.name).toBe("https");
    expect(port(9)).toBeUndefined();
    const h = f.snapshot().hosts[0]!;
    expect(h.os?.matches?.[0]?.name).toBe("Linux 5.0 - 6.2");
    expect(h.tcp_sequence?.index).toBe(260);
    expect(h.ip_id_sequence?.class).toBe("All zeros");
  });
});
