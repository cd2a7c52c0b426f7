// The History view's additions: search autocompletion, files dropped on the window, the Services tab, the
// service lookup across the history, a host's timeline and comparing two files. The history they read is
// real: tests/fixtures/lab-history.json is what the CLI answered for four real Nmap lab scans
// (record-history.sh).
import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import App from "../src/App.svelte";
import HistoryView from "../src/lib/components/HistoryView.svelte";
import ServicesView from "../src/lib/components/ServicesView.svelte";
import { MockBackend, type MockOptions } from "../src/lib/ipc/mock";
import type { Comparison, ScanSummary, SearchResults } from "../src/lib/ipc/backend";
import type { ScanReport } from "../src/lib/ipc/bindings";
import { KEYWORDS, suggest, applySuggestion } from "../src/lib/history/suggest";
import { groupServices, sightings } from "../src/lib/history/services";
import { timeline } from "../src/lib/history/timeline";
import { fixture, fakeParse } from "./helpers";

interface Lab {
  list: ScanSummary[];
  reports: Record<string, ScanReport>;
  search: Record<string, SearchResults>;
  diff_a_b: Comparison["json"];
  diff_a_b_text: string;
}
const lab = JSON.parse(fixture("lab-history.json")) as Lab;
const EMPTY: SearchResults = { scans: [], hosts: [], truncated: false };

function backendWith(opts: MockOptions = {}): MockBackend {
  return new MockBackend({
    history: lab.list.map((summary) => ({ summary, report: lab.reports[String(summary.id)]! })),
    search: (q) => lab.search[q.trim()] ?? EMPTY,
    ...opts,
  });
}

function history(opts: MockOptions = {}) {
  const backend = backendWith(opts);
  const user = userEvent.setup();
  const opened: string[] = [];
  const view = render(HistoryView, { props: { backend, onopen: (t: string) => void opened.push(t), onclose: () => {} } });
  return { backend, user, opened, ...view };
}

const box = () => screen.getByTestId("history-search") as HTMLInputElement;
const list = () => screen.getByTestId("history-suggestions");
const options = () => within(list()).queryAllByRole("option").map((o) => o.querySelector("code")?.textContent);

describe("search autocompletion", () => {
  it("offers the keywords with their help, and is driven by the keyboard", async () => {
    const searched: string[] = [];
    const { user } = history({ search: (q) => (searched.push(q), lab.search[q.trim()] ?? EMPTY) });
    expect(box()).toHaveAttribute("role", "combobox");
    expect(box()).toHaveAttribute("aria-expanded", "false");
    expect(list()).toHaveAttribute("role", "listbox");
    expect(list()).not.toBeVisible();

    await user.type(box(), "se");
    expect(options()).toEqual(["service:"]);
    expect(list()).toBeVisible();
    expect(box()).toHaveAttribute("aria-expanded", "true");
    expect(list().textContent).toContain("hosts with a port running service NAME");

    // ↓ highlights, Enter takes it (and does not search); the list goes on to service names.
    await user.keyboard("{ArrowDown}");
    const first = within(list()).getAllByRole("option")[0]!;
    expect(first).toHaveAttribute("aria-selected", "true");
    expect(box().getAttribute("aria-activedescendant")).toBe(first.id);
    await user.keyboard("{Enter}");
    expect(box().value).toBe("service:");
    expect(searched).toEqual([]);
    expect(options()).toContain("service:ssh");

    // Typing narrows the values; Tab takes the first one and a space follows it.
    await user.type(box(), "ht");
    expect(options()).toEqual(["service:http", "service:https", "service:http-proxy"]);
    await user.keyboard("{Tab}");
    expect(box().value).toBe("service:http ");
    expect(list()).not.toBeVisible();
    expect(document.activeElement).toBe(box());

    // A negated keyword keeps its "!"; ↑ wraps to the last option; Escape closes the list.
    await user.type(box(), "!o");
    expect(options()).toEqual(["open:", "os:"]);
    await user.keyboard("{ArrowUp}");
    expect(within(list()).getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowUp}");
    expect(within(list()).getAllByRole("option")[0]).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Escape}");
    expect(list()).not.toBeVisible();
    expect(box().value).toBe("service:http !o");

    // With the list closed, Enter searches.
    await user.clear(box());
    await user.type(box(), "service:http");
    await user.keyboard("{Escape}{Enter}");
    await waitFor(() => expect(searched).toEqual(["service:http"]));
    await screen.findByRole("table", { name: "Search results" });

    // What the results showed is offered next: the products version detection found.
    await user.clear(box());
    await user.type(box(), "product:Sim");
    expect(options()).toEqual(["product:SimpleHTTPServer"]);
    // ↓ on a closed list opens every keyword.
    await user.clear(box());
    await user.keyboard("{Escape}{ArrowDown}");
    expect(options()).toHaveLength(KEYWORDS.length);
  });

  it("keeps the keywords in step with the store's search language", () => {
    const help = readFileSync(join(process.cwd(), "..", "crates", "store", "src", "search", "mod.rs"), "utf8");
    const block = help.slice(help.indexOf("pub const HELP"));
    const inHelp = [...block.matchAll(/^\s{2}([a-z]+):/gm)].map((m) => m[1]);
    // closed:/filtered: are documented on open:'s line.
    expect(new Set(KEYWORDS.map((k) => k.key))).toEqual(new Set([...inHelp, "closed", "filtered"]));
  });

  it("replaces only the word under the caret, and stays out of quoted values", () => {
    const s = suggest("os:linux serv open:22", 13)[0]!;
    expect(applySuggestion("os:linux serv open:22", 13, s)).toEqual({ text: "os:linux service: open:22", caret: 17 });
    expect(suggest('product:"Apache ht', 18)).toEqual([]);
    expect(suggest("service:my", 10, { services: ["my sql thing"] })[0]?.text).toBe('service:"my sql thing"');
  });
});

describe("drag and drop import", () => {
  it("imports files dropped while History is open, and says what failed", async () => {
    const { backend, unmount } = history({
      importFiles: (paths) => {
        if (paths.some((p) => p.endsWith(".txt")))
          throw { code: "history", message: "nothing imported: /tmp/notes.txt: line 1, column 1: not an Nmap XML or Portolan JSON report" };
        return paths.map((p, i) => `imported ${p} as scan ${5 + i} (3 hosts)`).join("\n");
      },
    });
    await screen.findByRole("table", { name: "Stored scans" });
    expect(backend.drop(["/home/u/scan-a.xml", "/home/u/scan b.json"])).toBe(true);
    await waitFor(() => expect(backend.imported).toEqual([["/home/u/scan-a.xml", "/home/u/scan b.json"]]));
    expect(await screen.findByRole("status")).toHaveTextContent("imported /home/u/scan-a.xml as scan 5 (3 hosts)");

    backend.drop(["/tmp/notes.txt"]);
    expect(await screen.findByRole("alert")).toHaveTextContent("nothing imported: /tmp/notes.txt: line 1");
    unmount();
    expect(backend.drop(["/tmp/late.xml"])).toBe(false);
    expect(backend.imported).toHaveLength(2);
  });
});

describe("services", () => {
  it("groups a real scan's open ports by service, with hosts, ports and versions", () => {
    const b = lab.reports["2"]!; // scan-b: 8080 opened on 198.18.1.2
    const groups = groupServices(b.hosts);
    const http = groups.find((g) => g.name === "http")!;
    expect(http.hosts).toBe(2);
    expect(http.entries.map((e) => `${e.host} ${e.port}/${e.protocol} ${e.detail}`)).toEqual([
      "web-a.lab (198.18.1.2) 80/tcp SimpleHTTPServer 0.6 (Python 3.11.2)",
      "web-a.lab (198.18.1.2) 8080/tcp SimpleHTTPServer 0.6 (Python 3.11.2)",
      "198.18.2.3 80/tcp SimpleHTTPServer 0.6 (Python 3.11.2)",
    ]);
    const ssh = groups.find((g) => g.name === "ssh")!;
    expect(ssh.entries.map((e) => `${e.port} ${e.detail}`)).toEqual(["2222 OpenSSH 9.2p1 Debian 2+deb12u1 (protocol 2.0)"]);
    // Every open port of the report is in exactly one group; nothing else is.
    const open = b.hosts.flatMap((h) => h.ports.filter((p) => p.state === "open")).length;
    expect(groups.reduce((n, g) => n + g.entries.length, 0)).toBe(open);
    expect(groups[0]!.name).toBe("http");
  });

  it("shows the Services tab of an opened report, and a host's name selects it", async () => {
    const backend = new MockBackend({ parse: fakeParse, openDialogPath: () => "/tmp/scan-b.xml", openXml: () => lab.reports["2"]! });
    const user = userEvent.setup();
    render(App, { props: { backend, debounceMs: 10 } });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await user.click(await screen.findByRole("tab", { name: "Services" }));
    const view = await screen.findByTestId("services-view");
    const http = within(view).getByRole("region", { name: "Service http" });
    expect(http.textContent).toContain("2 hosts, 3 ports");
    expect(within(http).getAllByRole("row").map((r) => r.textContent)).toContain("web-a.lab (198.18.1.2)8080/tcpSimpleHTTPServer 0.6 (Python 3.11.2)");
    await user.type(within(view).getByRole("searchbox"), "ss");
    expect(within(view).queryByRole("region", { name: "Service http" })).toBeNull();
    await user.click(within(view).getByRole("button", { name: "web-a.lab (198.18.1.2)" }));
    expect(screen.getByRole("tab", { name: "Host details" })).toHaveAttribute("aria-selected", "true");
  });

  it("finds across the history which hosts run a service, per scan, with product and version", async () => {
    const { user } = history();
    await user.click(screen.getByRole("button", { name: "Which hosts run…" }));
    const lookup = screen.getByTestId("service-lookup");
    await user.type(within(lookup).getByRole("combobox"), "http");
    await user.click(within(lookup).getByRole("button", { name: "Find" }));
    const table = await within(lookup).findByRole("table", { name: "Hosts running http" });
    const rows = within(table).getAllByRole("row").slice(1).map((r) => [...r.querySelectorAll("td")].slice(0, 6).map((c) => c.textContent));
    // The newest scan first: 198.18.1.2 runs http on 80 and 8080 there, and on 80 only in scan 1.
    expect(rows[0]).toEqual(["#4", expect.any(String), "web-b.lab (198.18.1.2)", "80/tcp", "http", "SimpleHTTPServer 0.6 (Python 3.11.2)"]);
    expect(rows[1]).toEqual(["", "", "", "8080/tcp", "http", "SimpleHTTPServer 0.6 (Python 3.11.2)"]);
    const scan1 = rows.findIndex((r) => r[0] === "#1");
    expect(rows[scan1]!.slice(2, 4)).toEqual(["web-a.lab (198.18.1.2)", "80/tcp"]);
    expect(rows[scan1 + 1]![3]).not.toBe("8080/tcp");
    expect(within(lookup).getByRole("status")).toHaveTextContent("9 sightings of http in 4 scans");
    // ssh is not http: the 2222 ports stay out of the http rows.
    expect(rows.every((r) => r[3] !== "2222/tcp")).toBe(true);
    expect(sightings(lab.search["service:http"]!.hosts, "http*").flatMap((s) => s.services.map((v) => v.name))).not.toContain("ssh");
    // What the lookup found is offered by the search box too.
    await user.type(box(), "product:Sim");
    expect(options()).toEqual(["product:SimpleHTTPServer"]);
  });
});

describe("host timeline", () => {
  it("detects ports opened and closed and state changes between stored scans", () => {
    const web = timeline(lab.search["host:198.18.1.2"]!.hosts, "198.18.1.2");
    expect(web.map((e) => e.scan_id)).toEqual([1, 2, 3, 4]);
    expect(web[0]).toMatchObject({ first: true, opened: [], closed: [], open_ports: ["80/tcp", "2222/tcp"] });
    expect(web[1]).toMatchObject({ first: false, opened: ["8080/tcp"], closed: [], stateChanged: false });
    expect(web[2]).toMatchObject({ opened: [], closed: [], stateChanged: false });
    const spare = timeline(lab.search["host:198.18.1.3"]!.hosts, "198.18.1.3");
    expect(spare.map((e) => [e.scan_id, e.state])).toEqual([[1, "up"], [4, "down"]]);
    expect(spare[1]).toMatchObject({ closed: ["80/tcp", "2222/tcp"], opened: [], stateChanged: true });
  });

  it("opens from a search hit, labels each change in words, and opens a scan", async () => {
    const { user, opened } = history();
    await user.type(box(), "host:198.18.1.3");
    await user.keyboard("{Escape}{Enter}");
    const found = await screen.findByRole("table", { name: "Search results" });
    await user.click(within(found).getAllByRole("button", { name: "History of this host" })[0]!);
    const tl = await screen.findByTestId("host-timeline");
    await waitFor(() => expect(tl.querySelectorAll("ol > li")).toHaveLength(2));
    const [a, d] = [...tl.querySelectorAll("ol > li")];
    expect(a!.textContent).toContain("first time seen");
    expect(d!.textContent).toContain("down (state changed)");
    const closed = [...d!.querySelectorAll('[data-change="closed"]')];
    expect(closed.map((c) => c.textContent)).toEqual(["− closed 80/tcp", "− closed 2222/tcp"]);
    expect(closed.every((c) => c.classList.contains("closed"))).toBe(true);
    await user.click(within(d as HTMLElement).getByRole("button", { name: "Open scan" }));
    await waitFor(() => expect(opened).toHaveLength(1));
    expect(opened[0]).toMatch(/^#4 nmap /);
  });

  it("opens from a host's details", async () => {
    const backend = backendWith({ parse: fakeParse, openDialogPath: () => "/tmp/scan-a.xml", openXml: () => lab.reports["1"]! });
    const user = userEvent.setup();
    render(App, { props: { backend, debounceMs: 10 } });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await user.click(await screen.findByRole("tab", { name: "Host details" }));
    await user.click(await screen.findByRole("button", { name: "History of this host" }));
    const tl = await screen.findByTestId("host-timeline");
    await waitFor(() => expect(tl.querySelectorAll('[data-change="opened"]')).toHaveLength(1));
    expect(tl.querySelector('[data-change="opened"]')!.textContent).toBe("+ opened 8080/tcp");
    expect(tl.querySelectorAll('[data-change="none"]')).toHaveLength(2);
  });
});

describe("compare from files", () => {
  it("asks for two files, runs the diff on them and shows it as Compare does", async () => {
    const picks = ["/lab/scan-a.xml", "/lab/scan-b.xml"];
    const { backend, user } = history({
      openDialogPath: () => picks.shift() ?? null,
      compareFiles: () => ({ json: lab.diff_a_b, text: lab.diff_a_b_text }),
    });
    await user.click(screen.getByRole("button", { name: "Compare two files…" }));
    const changes = await screen.findByRole("table", { name: "Changes" });
    expect(backend.comparedFiles).toEqual([["/lab/scan-a.xml", "/lab/scan-b.xml"]]);
    const opened = within(changes).getAllByRole("row").find((r) => r.getAttribute("data-kind") === "port_state");
    expect(opened?.textContent).toContain("port 8080/tcp");
    expect(opened).toHaveClass("added");
    await user.click(screen.getByRole("checkbox", { name: /Text/ }));
    expect(screen.getByTestId("diff-text").textContent).toBe(lab.diff_a_b_text);
  });

  it("does nothing when the second file is not chosen", async () => {
    const picks: (string | null)[] = ["/lab/scan-a.xml", null];
    const { backend, user } = history({ openDialogPath: () => picks.shift() ?? null });
    await user.click(screen.getByRole("button", { name: "Compare two files…" }));
    await waitFor(() => expect(picks).toHaveLength(0));
    expect(backend.comparedFiles).toEqual([]);
    expect(screen.queryByRole("table", { name: "Changes" })).toBeNull();
  });
});

describe("dropped files through the Tauri backend", () => {
  it("asks Rust once for a channel and hands its paths to every listener until it stops", async () => {
    const { mockIPC, clearMocks } = await import("@tauri-apps/api/mocks");
    const { TauriBackend } = await import("../src/lib/ipc/tauri");
    const calls: { cmd: string; channel: { onmessage: (p: string[]) => void } }[] = [];
    mockIPC((cmd, payload) => {
      calls.push({ cmd, channel: (payload as { onDrop: { onmessage: (p: string[]) => void } }).onDrop });
      return null;
    });
    try {
      const b = new TauriBackend();
      const got: string[][] = [];
      const other: string[][] = [];
      const stop = await b.onFileDrop((p) => got.push(p));
      const stop2 = await b.onFileDrop((p) => other.push(p));
      expect(calls.map((c) => c.cmd)).toEqual(["watch_file_drops"]);
      calls[0]!.channel.onmessage(["/tmp/a.xml", "/tmp/b.json"]);
      expect(got).toEqual([["/tmp/a.xml", "/tmp/b.json"]]);
      expect(other).toEqual(got);
      stop();
      calls[0]!.channel.onmessage(["/tmp/c.xml"]);
      expect(got).toHaveLength(1);
      expect(other).toHaveLength(2);
      stop2();
    } finally {
      clearMocks();
    }
  });
});

describe("search paging", () => {
  it("shows a hundred hits, and a hundred more on request while more match", async () => {
    // A history where 250 hosts run ssh: each search answers up to `limit` of them, as the store does.
    const hit = (i: number) => ({
      scan_id: i + 1,
      host_id: i + 1,
      ip: `198.18.${i >> 8}.${i & 255}`,
      state: "up",
      hostnames: [],
      open_ports: ["22/tcp"],
      scan_started: 1795000000 + i,
    });
    const limits: number[] = [];
    const { user } = history({
      search: (_q, limit) => {
        limits.push(limit);
        const n = Math.min(limit, 250);
        return { scans: [], hosts: Array.from({ length: n }, (_, i) => hit(i)), truncated: limit < 250 };
      },
    });
    await user.type(box(), "service:ssh{Escape}{Enter}");
    const rows = () => screen.getByRole("table", { name: "Search results" }).querySelectorAll("tbody tr").length;
    await waitFor(() => expect(rows()).toBe(100));
    expect(screen.getByTestId("search-summary")).toHaveTextContent("100 hosts in 0 scans (more match)");
    await user.click(screen.getByRole("button", { name: "Show 100 more" }));
    await waitFor(() => expect(rows()).toBe(200));
    await user.click(screen.getByRole("button", { name: "Show 100 more" }));
    await waitFor(() => expect(rows()).toBe(250));
    expect(screen.queryByRole("button", { name: "Show 100 more" })).toBeNull();
    expect(limits).toEqual([100, 200, 300]);
  });
});

describe("export from the history", () => {
  it("saves a stored scan in the header's format without opening a tab", async () => {
    const backend = backendWith({ saveDialogPath: (format) => `/home/u/scan.${format}` });
    const user = userEvent.setup();
    const opened: string[] = [];
    render(HistoryView, { props: { backend, onopen: (t: string) => void opened.push(t), onclose: () => {}, saveFormat: "csv" } });
    const table = await screen.findByRole("table", { name: "Stored scans" });
    const first = lab.list[0]!;
    const row = await waitFor(() => {
      const r = within(table).getAllByRole("row").find((tr) => tr.textContent?.includes(first.args));
      expect(r).toBeDefined();
      return r!;
    });
    await user.click(within(row).getByRole("button", { name: "Export" }));
    await waitFor(() => expect(backend.saved).toHaveLength(1));
    expect(backend.saved[0]!.format).toBe("csv");
    expect(backend.saved[0]!.report).toEqual(lab.reports[String(first.id)]);
    expect(screen.getByRole("status")).toHaveTextContent(`Exported scan ${first.id} to /home/u/scan.csv.`);
    expect(opened).toEqual([]);
  });
});
