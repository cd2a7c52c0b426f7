import { describe, expect, it } from "vitest";
import { render, screen, waitFor, fireEvent } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import App from "../src/App.svelte";
import { MockBackend } from "../src/lib/ipc/mock";
import type { ScanEvent } from "../src/lib/ipc/bindings";
import { recordedScan, fakeParse } from "./helpers";

/** The recorded stream's shape, widened to every TCP port 0-65535 in a scrambled order (as -p- delivers them). */
function allPortsStream(): ScanEvent[] {
  const rec = recordedScan();
  const head = rec.filter((e) => e.event === "scan_started" || e.event === "host_status" || e.event === "host_scan_started");
  const tail = rec.filter((e) => e.event === "host_finished" || e.event === "finished");
  const ports: ScanEvent[] = [];
  for (let i = 0; i < 65536; i++) {
    const port = (i * 40503) % 65536; // odd multiplier: a permutation of 0..65535
    ports.push({
      seq: head.length + i,
      time_ms: 1_795_710_463_600,
      event: "port",
      addr: "127.0.0.1",
      protocol: "tcp",
      port,
      state: port % 1000 === 0 ? "open" : "closed",
      reason: port % 1000 === 0 ? "syn-ack" : "reset",
      reason_ttl: 64,
      service: null,
    });
  }
  return [...head, ...ports, ...tail];
}

describe("65,536 ports", () => {
  it("fold and render keep the DOM to a screenful and scroll to any row", async () => {
    const events = allPortsStream();
    const backend = new MockBackend({ parse: fakeParse, scan: () => ({ events }), replay: "manual" });
    const user = userEvent.setup();
    render(App, { props: { backend, debounceMs: 10 } });
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    const t0 = performance.now();
    backend.pump();
    await screen.findByText("65536 of 65536 ports", undefined, { timeout: 10_000 });
    const ms = performance.now() - t0;
    // A figure for the record (jsdom, not a browser); not a timed assertion.
    console.log(`65,536 port events folded and first screen rendered in ${ms.toFixed(0)} ms (jsdom)`);
    const grid = screen.getByRole("grid", { name: "Ports" });
    const rows = () => grid.querySelectorAll('[role="row"]:not(.head)');
    expect(rows().length).toBeLessThan(60);
    expect(grid).toHaveAttribute("aria-rowcount", "65537");
    expect(rows()[0]).toHaveTextContent("0/tcp");

    const viewport = grid.querySelector(".viewport") as HTMLElement;
    viewport.scrollTop = 40_000 * 26;
    await fireEvent.scroll(viewport);
    const shown = [...rows()].map((r) => r.querySelector('[role="gridcell"]')?.textContent);
    expect(shown).toContain("40000/tcp");
    expect(rows().length).toBeLessThan(60);
    expect(screen.getByTestId("counts")).toHaveTextContent("66 open ports");
  }, 30_000);
});
