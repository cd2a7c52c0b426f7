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
});
