import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import App from "../src/App.svelte";
import { MockBackend } from "../src/lib/ipc/mock";
import type { MapView } from "../src/lib/map/types";
import { classOf, radiusOf } from "../src/lib/map/types";
import { fakeParse, fixture, recordedReport } from "./helpers";

/** What `portolan map crates/topology/tests/fixtures/map-portolan.xml --json` wrote (the lab's map). */
const labMap = (): MapView => JSON.parse(fixture("map-view.json")) as MapView;

describe("map types", () => {
  it("match what the real CLI writes", () => {
    const m = labMap();
    expect(m.layout).toBe("radial");
    expect(m.bounds).toHaveLength(4);
    const kinds = new Set(m.nodes.map((n) => n.kind));
    expect([...kinds].sort()).toEqual(["host", "router", "scanner", "unknown"]);
    for (const n of m.nodes) {
      expect(typeof n.id).toBe("string");
      expect(typeof n.x).toBe("number");
      expect(typeof n.open_ports).toBe("number");
      expect(Array.isArray(n.addresses)).toBe(true);
      expect(radiusOf(n)).toBeGreaterThan(0);
      expect(classOf(n)).toMatch(/^(scanner|router|unknown|host|netdev|printer|general|other)$/);
    }
    // Open ports with their services, for the filter: the lab's 198.18.12.2 runs ssh, http and https.
    expect(m.nodes.find((n) => n.id === "198.18.12.2")?.ports).toEqual(["22/tcp ssh", "80/tcp http", "443/tcp https"]);
    const ids = new Set(m.nodes.map((n) => n.id));
    for (const e of m.edges) {
      expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
      expect(typeof e.inferred).toBe("boolean");
    }
  });
});

describe("Map tab", () => {
  it("lays the scan out through the backend, switches layout, exports, and shows the legend", async () => {
    const backend = new MockBackend({
      parse: fakeParse,
      openXml: () => recordedReport(),
      openDialogPath: () => "/tmp/lab.xml",
      map: (_r, layout) => ({ ...labMap(), layout }),
    });
    const user = userEvent.setup();
    render(App, { props: { backend, debounceMs: 10 } });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Opened from a file"));
    await user.click(screen.getByRole("tab", { name: "Map" }));
    expect(await screen.findByTestId("map-counts")).toHaveTextContent("11 nodes · 10 links");
    expect(backend.mapCalls).toEqual(["radial"]);
    const legend = screen.getByRole("list", { name: "Legend" });
    expect(within(legend).getByText("silent hop (*)")).toBeInTheDocument();
    expect(screen.getByTestId("map-canvas").dataset.nodes).toBe("11");
    await user.selectOptions(screen.getByRole("combobox", { name: "Layout" }), "Force-directed (meshes)");
    await waitFor(() => expect(backend.mapCalls).toEqual(["radial", "force"]));
    await user.click(screen.getByRole("button", { name: "Export SVG…" }));
    await waitFor(() => expect(backend.savedMaps).toEqual(["svg"]));
    expect(await screen.findByText("Saved /tmp/map.svg")).toBeInTheDocument();
  });
});
