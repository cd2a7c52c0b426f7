import { describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within, fireEvent } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import App from "../src/App.svelte";
import { MockBackend } from "../src/lib/ipc/mock";
import type { ScanSummary } from "../src/lib/ipc/backend";
import type { ScanEvent } from "../src/lib/ipc/bindings";
import { fakeParse, fakeParseUnprivileged, recordedScan, recordedReport } from "./helpers";

function setup(opts: ConstructorParameters<typeof MockBackend>[0] = {}) {
  const backend = new MockBackend({ parse: fakeParse, scan: () => ({ events: recordedScan() }), replay: "manual", ...opts });
  const user = userEvent.setup();
  const view = render(App, { props: { backend, debounceMs: 10 } });
  return { backend, user, ...view };
}

const portRows = () => screen.getByRole("grid", { name: "Ports" }).querySelectorAll('[role="row"]:not(.head)');
const cellsOf = (row: Element) => [...row.querySelectorAll('[role="gridcell"]')].map((c) => c.textContent ?? "");

describe("Scan view", () => {
  it("builds the command from target and profile and checks every edit with the parser", async () => {
    const { backend, user } = setup();
    const command = screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
    expect(command.value).toBe("portolan 127.0.0.1");

    await user.selectOptions(screen.getByRole("combobox", { name: "Profile" }), "Quick scan");
    expect(command.value).toBe("portolan -T4 -F 127.0.0.1");
    await waitFor(() => expect(backend.parseCalls).toContainEqual(["-T4", "-F", "127.0.0.1"]));

    await user.clear(command);
    await user.type(command, "portolan -p 22 --bogus-option 127.0.0.1");
    await waitFor(() => expect(backend.parseCalls.at(-1)).toEqual(["-p", "22", "--bogus-option", "127.0.0.1"]));
    expect(await screen.findByText("portolan: unrecognized option '--bogus-option'")).toBeInTheDocument();
    expect(command).toHaveAttribute("aria-invalid", "true");

    // An invalid command does not start a scan.
    await user.click(screen.getByRole("button", { name: "Scan" }));
    expect(backend.startCalls).toHaveLength(0);

    await user.clear(command);
    await user.type(command, `portolan --script "default or safe" 127.0.0.1`);
    await waitFor(() => expect(backend.parseCalls.at(-1)).toEqual(["--script", "default or safe", "127.0.0.1"]));
    expect(await screen.findByText(/portolan --script 'default or safe' 127\.0\.0\.1/)).toBeInTheDocument();
  });

  it("reports an unclosed quote without asking the parser", async () => {
    const { backend, user } = setup();
    const command = screen.getByRole("textbox", { name: "Command" });
    await waitFor(() => expect(backend.parseCalls).toHaveLength(1));
    await user.clear(command);
    await user.type(command, `portolan --script "x 127.0.0.1`);
    expect(await screen.findByText(/is never closed/)).toBeInTheDocument();
    expect(backend.parseCalls.every((c) => !c.includes("--script"))).toBe(true);
  });
});

describe("Live results from a recorded stream", () => {
  it("shows hosts and ports as events arrive, then the finished scan", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toEqual([["127.0.0.1"]]));
    expect(screen.getByRole("button", { name: "Cancel" })).toBeEnabled();

    // Before any event: no host.
    expect(within(screen.getByRole("listbox", { name: "Hosts" })).queryAllByRole("option")).toHaveLength(0);
    const events = recordedScan();
    const firstOpen = events.findIndex((e) => e.event === "port" && e.state === "open");
    backend.pump(firstOpen + 1);
    const host = await within(screen.getByRole("listbox", { name: "Hosts" })).findByRole("option");
    expect(host).toHaveTextContent("127.0.0.1");
    await waitFor(() => expect(screen.getByTestId("counts")).toHaveTextContent("1 up · 1 open ports"));
    expect(screen.getByTestId("scan-status")).toHaveTextContent("Scanning");

    backend.pump();
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Done"));
    expect(screen.getByTestId("counts")).toHaveTextContent("1 up · 3 open ports");
    expect(screen.getByText("1002 of 1002 ports")).toBeInTheDocument();
    expect((screen.getByRole("progressbar", { name: "Scan progress" }) as HTMLProgressElement).value).toBe(1);
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();

    // Virtualised: a thousand ports, a screenful of rows in the DOM.
    expect(portRows().length).toBeGreaterThan(10);
    expect(portRows().length).toBeLessThan(60);
    expect(cellsOf(portRows()[0]!)[0]).toBe("18000/tcp");

    await user.click(screen.getByRole("tab", { name: "Output" }));
    const raw = screen.getByTestId("raw-output");
    expect(raw.textContent).toMatch(/^18443\/tcp open +unknown$/m);
    expect(raw.textContent).toMatch(/Not shown: 999 closed ports/);

    await user.click(screen.getByRole("tab", { name: "Host details" }));
    expect(screen.getByText("999 closed, 3 open")).toBeInTheDocument();
  });

  it("sorts and filters the ports table", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump();
    await screen.findByText("1002 of 1002 ports");

    const stateHeader = screen.getByRole("columnheader", { name: /State/ });
    await user.click(within(stateHeader).getByRole("button"));
    expect(stateHeader).toHaveAttribute("aria-sort", "ascending");
    // "closed" < "open": descending puts the open ports first, in port order.
    await user.click(within(stateHeader).getByRole("button"));
    expect(stateHeader).toHaveAttribute("aria-sort", "descending");
    const top = [...portRows()].slice(0, 3).map((r) => cellsOf(r).slice(0, 2));
    expect(top).toEqual([["31337/tcp", "open"], ["18443/tcp", "open"], ["18080/tcp", "open"]]);

    const portHeader = screen.getByRole("columnheader", { name: /Port/ });
    await user.click(within(portHeader).getByRole("button"));
    await user.click(within(portHeader).getByRole("button"));
    expect(cellsOf(portRows()[0]!)[0]).toBe("31337/tcp");

    await user.type(screen.getByRole("searchbox"), "1844");
    expect(screen.getByText("10 of 1002 ports")).toBeInTheDocument();
    // Still sorted by port, descending.
    expect([...portRows()].map((r) => cellsOf(r)[0])).toEqual(
      [18449, 18448, 18447, 18446, 18445, 18444, 18443, 18442, 18441, 18440].map((p) => `${p}/tcp`),
    );

    await user.clear(screen.getByRole("searchbox"));
    await user.selectOptions(screen.getByRole("combobox", { name: "State" }), "open");
    expect(screen.getByText("3 of 1002 ports")).toBeInTheDocument();
  });

  it("marks a cancelled scan interrupted and keeps what it found", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump(500);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(backend.cancelCalls).toEqual(["mock-1"]);
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Interrupted"));
    const found = recordedScan().slice(0, 500).filter((e) => e.event === "port").length;
    expect(screen.getByText(`${found} of ${found} ports`)).toBeInTheDocument();
  });

  it("is keyboard navigable: arrows move through ports and tabs", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump();
    await screen.findByText("1002 of 1002 ports");
    const grid = screen.getByRole("grid", { name: "Ports" });
    grid.focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{End}");
    expect(grid).toHaveAttribute("aria-activedescendant", "port-row-1001");
    expect(document.getElementById("port-row-1001")).toHaveTextContent("31337/tcp");
    screen.getByRole("tab", { name: "Ports" }).focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Host details" })).toHaveAttribute("aria-selected", "true");
    expect(document.activeElement).toBe(screen.getByRole("tab", { name: "Host details" }));
  });
});

describe("untrusted text", () => {
  const hostile = "<img src=x onerror=alert(1)>";
  const ansi = "\u001b[31mred\u001b[0m";

  it("shows a hostile banner and ANSI escapes literally and creates no element", async () => {
    const alert = vi.spyOn(window, "alert").mockImplementation(() => {});
    const events: ScanEvent[] = recordedScan().map((e) =>
      e.event === "port" && e.port === 18080
        ? { ...e, service: { name: `http${ansi}`, method: "probed", conf: 10, product: hostile, version: ansi } }
        : e,
    );
    const { backend, user, container } = setup({ scan: () => ({ events }) });
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump();
    await screen.findByText("1002 of 1002 ports");
    await user.selectOptions(screen.getByRole("combobox", { name: "State" }), "open");
    const row = [...portRows()].find((r) => cellsOf(r)[0] === "18080/tcp");
    expect(row).toBeDefined();
    expect(cellsOf(row!)[1 + 1]).toBe("http\\x1b[31mred\\x1b[0m");
    expect(cellsOf(row!)[3]).toBe(`${hostile} \\x1b[31mred\\x1b[0m`);
    await user.click(screen.getByRole("tab", { name: "Output" }));
    expect(screen.getByTestId("raw-output").textContent).toContain(hostile);
    expect(screen.getByTestId("raw-output").textContent).not.toContain("\u001b");
    expect(container.querySelector("img")).toBeNull();
    expect(document.querySelector("img, script, iframe, object")).toBeNull();
    expect(alert).not.toHaveBeenCalled();
    alert.mockRestore();
  });

  it("shows a hostile opened report's script output and names as text", async () => {
    const report = {
      scanner: "nmap",
      version: "7.93",
      args: "nmap -sC 198.18.0.5",
      start: 0,
      scan_info: [],
      verbose: 0,
      debugging: 0,
      hosts: [
        {
          start_time: null,
          end_time: null,
          status: { state: "up" as const, reason: "syn-ack", reason_ttl: 0 },
          addresses: [{ addr: "198.18.0.5", kind: "ipv4" as const }],
          hostnames: [{ name: `<b>${hostile}</b>`, kind: "PTR" as const }],
          ports: [
            {
              protocol: "tcp" as const,
              port: 80,
              state: "open" as const,
              reason: "syn-ack",
              reason_ttl: 64,
              service: { name: "http", method: "probed", conf: 10 },
              scripts: [{ id: "http-title", output: `<script>alert(2)</script>\n${ansi}\u202eevil` }],
            },
          ],
          timed_out: false,
        },
      ],
      run_stats: null,
    };
    const { backend, user } = setup({ openXml: () => report, openDialogPath: () => "/tmp/<img src=x onerror=alert(3)>.xml" });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Opened from a file"));
    expect(backend.parseCalls.length).toBeGreaterThan(0);
    const host = within(screen.getByRole("listbox", { name: "Hosts" })).getByRole("option");
    expect(host).toHaveTextContent(`<b>${hostile}</b> (198.18.0.5)`);
    await user.click(screen.getByRole("tab", { name: "Host details" }));
    const pre = screen.getByText(/alert\(2\)/);
    expect(pre.tagName).toBe("PRE");
    expect(pre.textContent).toBe("<script>alert(2)</script>\n\\x1b[31mred\\x1b[0m\\u{202e}evil");
    expect(screen.getByRole("tab", { name: /onerror/ })).toHaveTextContent("<img src=x onerror=alert(3)>.xml");
    expect(document.querySelector("img, script, b")).toBeNull();
    fireEvent.scroll(window);
  });
});

describe("privileges", () => {
  it("warns of a fallback, blocks a scan that cannot run, and offers the connect scan", async () => {
    const { backend, user } = setup({ parse: fakeParseUnprivileged });
    const command = screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
    // A connect scan needs nothing; the scanner's missing privileges are said once, quietly.
    expect(await screen.findByTestId("privileges")).toHaveTextContent("Connect scans only");
    expect(screen.getByTestId("privileges")).toHaveTextContent("tests TCP ports by connecting to them");
    expect(screen.getByTestId("privileges")).toHaveTextContent("For raw-packet scans (SYN, UDP, OS detection): raw-packet scans need privileges");

    await user.clear(command);
    await user.type(command, "portolan -sS -p 22 127.0.0.1");
    expect(await screen.findByText(/falling back to a connect scan/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Scan" })).toBeEnabled();

    await user.clear(command);
    await user.type(command, "portolan -sSU -p 53 127.0.0.1");
    expect(await screen.findByText(/This scan cannot run/)).toBeInTheDocument();
    expect(screen.getByTestId("privileges")).toHaveTextContent("sudo setcap cap_net_raw,cap_net_admin+eip");
    expect(screen.getByRole("button", { name: "Scan" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    expect(backend.startCalls).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Use a connect scan instead" }));
    expect(command.value).toBe("portolan -sT -p 53 127.0.0.1");
    await waitFor(() => expect(screen.getByRole("button", { name: "Scan" })).toBeEnabled());
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toEqual([["-sT", "-p", "53", "127.0.0.1"]]));
  });
});

describe("several scans", () => {
  it("runs scans side by side in tabs, each with its own results and cancel", async () => {
    const { backend, user } = setup();
    const command = screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump(5, "mock-1");
    await user.clear(command);
    await user.type(command, "portolan -p 18000-19000 127.0.0.1");
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(2));
    const tabs = within(screen.getByRole("tablist", { name: "Scans" })).getAllByRole("tab");
    expect(tabs.map((t) => t.textContent?.replace(/^\W+/, ""))).toEqual([
      "portolan 127.0.0.1",
      "portolan -p 18000-19000 127.0.0.1",
    ]);
    expect(await screen.findByTestId("running-count")).toHaveTextContent("2 scans running");
    expect(tabs[1]).toHaveAttribute("aria-selected", "true");

    // Cancel the first from its tab; the second goes on and finishes.
    await user.click(screen.getByRole("button", { name: "Cancel portolan 127.0.0.1" }));
    expect(backend.cancelCalls).toEqual(["mock-1"]);
    backend.pump(Infinity, "mock-2");
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Done"));
    await user.click(tabs[0] as HTMLElement);
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Interrupted"));
    await user.click(screen.getByRole("button", { name: "Close portolan 127.0.0.1" }));
    expect(within(screen.getByRole("tablist", { name: "Scans" })).getAllByRole("tab")).toHaveLength(1);
  });
});

describe("files and settings", () => {
  it("saves through the Save dialog in the chosen format", async () => {
    const { backend, user } = setup({ saveDialogPath: (f) => `/tmp/out.${f}` });
    expect(screen.getByRole("button", { name: "Save as…" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump();
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Done"));
    await user.selectOptions(screen.getByRole("combobox", { name: "Save format" }), "JSON");
    await user.click(screen.getByRole("button", { name: "Save as…" }));
    await waitFor(() => expect(backend.saved).toHaveLength(1));
    expect(backend.saved[0]?.format).toBe("json");
    expect(backend.saved[0]?.path).toBe("/tmp/out.json");
    expect(backend.saved[0]?.report.hosts.length).toBeGreaterThan(0);
    expect(screen.getByTestId("file-message")).toHaveTextContent("Saved /tmp/out.json");
  });

  it("opens the files named on the app's command line, one tab each", async () => {
    const opened: string[] = [];
    setup({
      startupFiles: ["/scans/a.xml", "/scans/b.xml"],
      openXml: (src) => {
        opened.push("path" in src ? src.path : "text");
        return { ...recordedReport(), hosts: [] };
      },
    });
    await waitFor(() => expect(opened).toEqual(["/scans/a.xml", "/scans/b.xml"]));
    const tabs = within(screen.getByRole("tablist", { name: "Scans" })).getAllByRole("tab");
    await waitFor(() => expect(tabs.map((t) => t.textContent?.replace(/^\W+/, ""))).toEqual(["a.xml", "b.xml"]));
  });

  it("applies the theme and Nmap's data directory only when the user opts in", async () => {
    const { backend, user } = setup({
      checkSettings: (s) =>
        s.nmap_datadir === "/nope" ? { code: "bad_setting", message: "/nope is not a directory" } : null,
    });
    const command = screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
    expect(command.value).not.toContain("--datadir");
    await user.click(screen.getByRole("button", { name: "Settings" }));
    const form = screen.getByRole("form", { name: "Settings" });
    await user.selectOptions(within(form).getByRole("combobox", { name: "Theme" }), "Dark");
    await user.type(within(form).getByRole("textbox", { name: /Nmap's data directory/ }), "/nope");
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("/nope is not a directory");
    expect(backend.settings.nmap_datadir).toBeNull();

    const dir = within(form).getByRole("textbox", { name: /Nmap's data directory/ });
    await user.clear(dir);
    await user.type(dir, "/usr/share/nmap");
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Settings" })).toBeNull());
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(backend.settings).toMatchObject({ theme: "dark", nmap_datadir: "/usr/share/nmap" });
    await user.selectOptions(screen.getByRole("combobox", { name: "Profile" }), "Quick scan");
    expect(command.value).toBe("portolan -T4 -F --datadir /usr/share/nmap 127.0.0.1");
  });
});

describe("-sV and -O results", () => {
  it("shows the tunnel with the service, and OS, sequence classes and an unmatched fingerprint as text", async () => {
    const base = recordedReport();
    const host = base.hosts[0]!;
    const report = {
      ...base,
      hosts: [
        {
          ...host,
          ports: [
            {
              protocol: "tcp" as const, port: 443, state: "open" as const, reason: "syn-ack", reason_ttl: 64,
              service: { name: "http", product: "nginx", version: "1.22.1", tunnel: "ssl", method: "probed", conf: 10 },
            },
          ],
          os: { matches: [], fingerprint: "OS:SCAN(V=0.1.0%D=11/26)SEQ(SP=105%GCD=1)\nOS:T1(R=Y<img src=x>)" },
          tcp_sequence: { index: 261, difficulty: "Good luck!", values: "1,2" },
          ip_id_sequence: { class: "All zeros", values: "0,0" },
        },
      ],
    };
    const { user } = setup({ openXml: () => report, openDialogPath: () => "/tmp/os.xml" });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Opened from a file"));
    const row = [...portRows()].find((r) => cellsOf(r)[0] === "443/tcp")!;
    expect(cellsOf(row).slice(0, 4)).toEqual(["443/tcp", "open", "ssl/http", "nginx 1.22.1"]);
    await user.click(screen.getByRole("tab", { name: "Host details" }));
    expect(screen.getByText("difficulty 261 (Good luck!)")).toBeInTheDocument();
    expect(screen.getByText("All zeros")).toBeInTheDocument();
    const fp = screen.getByText(/OS:SCAN/);
    expect(fp.tagName).toBe("PRE");
    expect(fp.textContent).toContain("<img src=x>");
    expect(document.querySelector(".details img")).toBeNull();
  });
});

describe("history", () => {
  const summary = (id: number, args: string, open: number): ScanSummary => ({
    id, scanner: "portolan", version: "0.1.0", args, profile: null, started: 1795700000 + id * 60, ended: null,
    status: "complete", source: "scan", source_file: null, hosts_up: 1, hosts_down: 0, hosts_total: 1, open_ports: open,
  });

  it("lists stored scans a page at a time, sorts, searches, opens, deletes after a confirmation, imports", async () => {
    const report = recordedReport();
    const history = Array.from({ length: 60 }, (_, i) => {
      const id = 60 - i;
      return { summary: summary(id, `portolan -p ${id} <b>127.0.0.1</b>`, id % 7), report };
    });
    const { backend, user } = setup({
      history,
      openDialogPath: () => "/tmp/nmap.xml",
      search: (q) => ({
        scans: [history[1]!.summary],
        hosts: q.includes("open:22")
          ? [{ scan_id: 59, host_id: 1, ip: "127.0.0.1", state: "up", hostnames: ["<i>lo</i>"], open_ports: ["22/tcp"], scan_started: 1 }]
          : [],
        truncated: false,
      }),
    });
    await user.click(screen.getByRole("button", { name: "History" }));
    const table = await screen.findByRole("table", { name: "Stored scans" });
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(51)); // header + 50
    const ids = () => within(table).getAllByRole("row").slice(1).map((r) => r.querySelectorAll("td")[1]?.textContent);
    expect(ids()[0]).toBe("60");
    await user.click(screen.getByRole("button", { name: "Older" }));
    await waitFor(() => expect(ids()).toEqual(["10", "9", "8", "7", "6", "5", "4", "3", "2", "1"]));
    await user.click(screen.getByRole("button", { name: "Newer" }));
    await waitFor(() => expect(ids()[0]).toBe("60"));
    // Sorted by open ports: 55 and 48 have 6.
    await user.click(screen.getByRole("button", { name: "Open ports" }));
    await waitFor(() => expect(ids().slice(0, 2)).toEqual(["55", "48"]));
    // Text from the store is text.
    expect(table.textContent).toContain("portolan -p 60 <b>127.0.0.1</b>");
    expect(table.querySelector("b")).toBeNull();

    // Delete asks first.
    const row60 = within(table).getAllByRole("row").find((r) => r.querySelectorAll("td")[1]?.textContent === "60")!;
    await user.click(within(row60).getByRole("button", { name: "Delete" }));
    expect(backend.deleted).toEqual([]);
    await user.click(within(row60).getByRole("button", { name: "Really delete" }));
    await waitFor(() => expect(backend.deleted).toEqual([60]));
    expect(await screen.findByText("Deleted scan 60.")).toBeInTheDocument();

    // Search, then open the scan of a found host into a tab.
    await user.type(screen.getByRole("combobox", { name: "Search the history" }), "service:ssh open:22");
    await user.click(screen.getByRole("button", { name: "Search" }));
    const found = await screen.findByRole("table", { name: "Search results" });
    expect(found.textContent).toContain("127.0.0.1 (<i>lo</i>)");
    await user.click(within(found).getByRole("button", { name: "Open scan" }));
    await waitFor(() =>
      expect(within(screen.getByRole("tablist", { name: "Scans" })).getAllByRole("tab").map((t) => t.getAttribute("title"))).toContain(
        "#59 portolan -p 59 <b>127.0.0.1</b>",
      ),
    );

    await user.click(screen.getByRole("button", { name: "Import Nmap XML…" }));
    await waitFor(() => expect(backend.imported).toEqual([["/tmp/nmap.xml"]]));
  });
});

describe("command builder in the Scan view", () => {
  it("opens under the profile, and its controls and the Scan view's command line stay one command", async () => {
    const { user } = setup();
    const command = screen.getAllByRole("textbox", { name: "Command" })[0] as HTMLInputElement;
    await user.click(screen.getByRole("button", { name: /Build the command/ }));
    const builder = screen.getByRole("region", { name: "Command builder" });
    await user.click(within(builder).getByRole("tab", { name: "Target" }));
    await user.click(within(builder).getByRole("checkbox", { name: /Fast \(100 common ports\)/ }));
    await waitFor(() => expect(command.value).toContain("-F"));
    await user.click(screen.getByRole("button", { name: /Hide the command builder/ }));
    expect(screen.queryByRole("region", { name: "Command builder" })).toBeNull();
  });
});

describe("compare", () => {
  it("compares the two ticked scans, older first, as a colour-coded table or the diff's text", async () => {
    const report = recordedReport();
    const mk = (id: number) => ({
      summary: {
        id, scanner: "portolan", version: "0.1.0", args: `portolan -p 22 scan${id}`, profile: null, started: 1795700000 + id,
        ended: null, status: "complete", source: "scan", source_file: null, hosts_up: 1, hosts_down: 0, hosts_total: 1, open_ports: 1,
      },
      report,
    });
    const asked: number[][] = [];
    const { user } = setup({
      history: [mk(3), mk(2), mk(1)],
      compare: (a, b) => {
        asked.push([a, b]);
        return {
          json: {
            a: { args: "portolan -p 22 scan1", start: 1795700001, scanner: "portolan" },
            b: { args: "portolan -p 22 scan3", start: 1795700003, scanner: "portolan" },
            hosts: [
              {
                id: "198.18.0.2",
                changes: [
                  { kind: "port_state", protocol: "tcp", port: 22, from: "closed", to: "open" },
                  { kind: "service", protocol: "tcp", port: 22, from: { name: "ssh" }, to: { name: "ssh", product: "OpenSSH", version: "9.2p1" } },
                  { kind: "script", protocol: "tcp", port: 80, id: "http-title", from: "A", to: "<b>B</b>" },
                ],
              },
              { id: "198.18.0.3", changes: [{ kind: "host_disappeared", state: "up" }] },
              { id: "198.18.0.4", changes: [] },
            ],
          },
          text: "198.18.0.2:\n+22/tcp open ssh\n",
        };
      },
    });
    await user.click(screen.getByRole("button", { name: "History" }));
    await screen.findByRole("table", { name: "Stored scans" });
    const button = screen.getByRole("button", { name: "Compare the two ticked" });
    expect(button).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: "Compare scan 3" }));
    await user.click(screen.getByRole("checkbox", { name: "Compare scan 1" }));
    await user.click(button);
    expect(asked).toEqual([[1, 3]]);
    const changes = await screen.findByRole("table", { name: "Changes" });
    const rows = within(changes).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("class")?.split(" ")[0])).toEqual(["added", "changed", "changed", "removed"]);
    expect(rows[1]!.textContent).toContain("OpenSSH 9.2p1");
    expect(rows[2]!.textContent).toContain("<b>B</b>");
    expect(changes.querySelector("b")).toBeNull();
    expect(screen.getByText("2 hosts changed")).toBeInTheDocument();
    await user.click(screen.getByRole("checkbox", { name: /Text/ }));
    expect(screen.getByTestId("diff-text").textContent).toBe("198.18.0.2:\n+22/tcp open ssh\n");
  });
});
