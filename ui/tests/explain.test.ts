// Explain mode: every state and every reason the scanner writes has plain-words help, the packet diagrams
// follow each scan type's rules, the panel opens from the results, network text stays text, and the
// first-run note shows once.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import App from "../src/App.svelte";
import { MockBackend } from "../src/lib/ipc/mock";
import type { ScanReport } from "../src/lib/ipc/bindings";
import {
  explainReason,
  FOREIGN_REASON_EXPLANATIONS,
  HOST_STATE_EXPLANATIONS,
  PORT_STATES,
  REASON_EXPLANATIONS,
  STATE_EXPLANATIONS,
  explainService,
} from "../src/lib/explain/meanings";
import { SCAN_KINDS, scanKindFor, scanKindOf, sequence, type ScanKind, type Sequence } from "../src/lib/explain/sequence";
import { fakeParse, recordedScan } from "./helpers";

const repo = join(process.cwd(), "..");
const read = (p: string) => readFileSync(join(repo, p), "utf8");
function rustFiles(dir: string): string[] {
  return readdirSync(join(repo, dir)).flatMap((n) => {
    const p = join(dir, n);
    return statSync(join(repo, p)).isDirectory() ? rustFiles(p) : p.endsWith(".rs") ? [p] : [];
  });
}
const all = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);

/** Every reason string the Rust side writes, read from its sources so a new one cannot go unexplained. */
function rustReasons(): Set<string> {
  const out = new Set<string>();
  // The model's named reasons.
  for (const r of all(read("crates/model/src/port.rs"), /pub const [A-Z_]+: &'static str = "([^"]+)"/g)) out.add(r);
  // The raw engine's tables: classify() results, ICMP unreachable names, host-discovery reasons.
  const classify = read("crates/engine/src/raw/classify.rs");
  for (const r of all(classify, /Some\(\(\w+, "([a-z-]+)"\)\)/g)) out.add(r);
  for (const r of all(classify, /Unreach::\w+ => "([a-z-]+)"/g)) out.add(r);
  const raw = read("crates/engine/src/raw/mod.rs");
  for (const r of all(raw, /AnswerKind::[^\n]*=> "([a-z-]+)"/g)) out.add(r);
  for (const r of all(raw, /\{ "([a-z-]+)" \}/g)) out.add(r);
  // Anything else the engine spells out as a reason.
  for (const f of rustFiles("crates/engine/src")) {
    const t = read(f);
    for (const r of all(t, /reason: "([a-z-]+)"/g)) out.add(r);
    for (const r of all(t, /Reason::new\("([a-z-]+)"\)/g)) out.add(r);
  }
  return out;
}

describe("explanations", () => {
  it("cover the six port states, each with a meaning, an implication and a next step", () => {
    const rustStates = all(read("crates/model/src/port.rs"), /#\[serde\(rename = "([a-z|]+)"\)\]/g);
    expect(new Set(rustStates)).toEqual(new Set(PORT_STATES));
    for (const st of PORT_STATES) {
      const e = STATE_EXPLANATIONS[st];
      expect(e.title.length, st).toBeGreaterThan(3);
      for (const part of [e.meaning, e.implies, e.next]) expect(part.length, st).toBeGreaterThan(20);
    }
    expect(STATE_EXPLANATIONS.filtered.implies).toMatch(/firewall/);
    for (const st of ["up", "down", "unknown"]) expect(HOST_STATE_EXPLANATIONS[st]?.meaning).toBeTruthy();
  });

  it("cover exactly the reasons the scanner writes, and the foreign ones apart", () => {
    const rust = rustReasons();
    // The extraction found the tables (a broken pattern would find few).
    expect(rust.size).toBeGreaterThanOrEqual(22);
    for (const r of ["syn-ack", "reset", "conn-refused", "no-response", "port-unreach", "host-unreach", "echo-reply",
      "arp-response", "user-set", "admin-prohibited", "udp-response", "proto-response", "init-ack", "abort"]) {
      expect(rust, r).toContain(r);
    }
    expect(new Set(Object.keys(REASON_EXPLANATIONS))).toEqual(rust);
    for (const [r, e] of Object.entries({ ...REASON_EXPLANATIONS, ...FOREIGN_REASON_EXPLANATIONS })) {
      expect(e.title.length, r).toBeGreaterThan(3);
      for (const part of [e.meaning, e.implies, e.next]) expect(part.length, r).toBeGreaterThan(9);
      expect(e.meaning, r).toMatch(/\.$/);
    }
    for (const r of Object.keys(FOREIGN_REASON_EXPLANATIONS)) expect(rust.has(r), r).toBe(false);
    expect(explainReason("ttl-exceeded")?.meaning).toMatch(/router/);
    expect(explainReason("<b>made-up</b>")).toBeNull();
  });
});

const arrows = (s: Sequence) => {
  if (!s.drawn) throw new Error(`not drawn: ${s.why}`);
  return s.steps.map((x) => (x.dir === "out" ? `${x.label} →` : x.dir === "in" ? `← ${x.label}` : x.label));
};

describe("sequence diagrams", () => {
  it("answer every scan type, state and reason with steps or an honest refusal", () => {
    const reasons = [...Object.keys(REASON_EXPLANATIONS), ...Object.keys(FOREIGN_REASON_EXPLANATIONS), "<script>"];
    const states = [...PORT_STATES, "up", "down", "unknown"];
    let drawn = 0;
    for (const scan of SCAN_KINDS)
      for (const state of states)
        for (const reason of reasons) {
          const s = sequence(scan, state, reason, 22);
          if (s.drawn) {
            drawn++;
            expect(s.steps.length, `${scan} ${state} ${reason}`).toBeGreaterThan(0);
            expect(s.steps[0]!.dir, `${scan} ${state} ${reason}: the scanner speaks first`).toBe("out");
            expect(s.title).toContain(reason);
          } else {
            expect(s.why.length, `${scan} ${state} ${reason}`).toBeGreaterThan(20);
          }
        }
    expect(drawn).toBeGreaterThan(100);
  });

  it("draw every state and reason the engine's tables give (crates/engine/src/raw/classify.rs, connect.rs)", () => {
    const produced: [ScanKind, string, string][] = [
      ["syn", "open", "syn-ack"], ["syn", "closed", "reset"], ["syn", "filtered", "no-response"],
      ["connect", "open", "syn-ack"], ["connect", "closed", "conn-refused"], ["connect", "filtered", "no-response"],
      ["connect", "filtered", "host-unreach"], ["connect", "filtered", "net-unreach"],
      ["ack", "unfiltered", "reset"], ["ack", "filtered", "no-response"],
      ["window", "open", "reset"], ["window", "closed", "reset"], ["window", "filtered", "no-response"],
      ["udp", "open", "udp-response"], ["udp", "closed", "port-unreach"], ["udp", "open|filtered", "no-response"],
      ["sctpinit", "open", "init-ack"], ["sctpinit", "closed", "abort"], ["sctpinit", "filtered", "no-response"],
      ["sctpcookieecho", "closed", "abort"], ["sctpcookieecho", "open|filtered", "no-response"],
      ["ipproto", "closed", "proto-unreach"], ["ipproto", "open", "port-unreach"], ["ipproto", "open", "echo-reply"],
      ["ipproto", "open", "proto-response"], ["ipproto", "open|filtered", "no-response"],
      ["ping", "up", "echo-reply"], ["ping", "up", "timestamp-reply"], ["ping", "up", "addressmask-reply"],
      ["ping", "up", "arp-response"], ["ping", "up", "nd-response"], ["ping", "up", "syn-ack"], ["ping", "up", "reset"],
      ["ping", "up", "conn-refused"], ["ping", "down", "no-response"], ["ping", "down", "host-unreach"],
    ];
    for (const s of ["maimon", "null", "fin", "xmas"] as const) {
      produced.push([s, "closed", "reset"], [s, "open|filtered", "no-response"]);
    }
    for (const s of SCAN_KINDS.filter((k) => k !== "ping" && k !== "connect")) {
      for (const r of ["admin-prohibited", "host-prohibited", "net-prohibited", "host-unreach", "net-unreach", "unknown-response"])
        produced.push([s, "filtered", r]);
    }
    for (const [scan, state, reason] of produced) {
      expect(sequence(scan, state, reason).drawn, `${scan} ${state} ${reason}`).toBe(true);
    }
  });

  it("shows the exchanges of the main scans", () => {
    expect(arrows(sequence("syn", "open", "syn-ack"))).toEqual(["SYN →", "← SYN/ACK", "RST →"]);
    expect(arrows(sequence("syn", "closed", "reset"))).toEqual(["SYN →", "← RST"]);
    expect(arrows(sequence("syn", "filtered", "no-response"))).toEqual(["SYN →", "SYN (sent again) →", "(nothing comes back)"]);
    expect(arrows(sequence("connect", "open", "syn-ack"))).toEqual(["SYN →", "← SYN/ACK", "ACK →", "FIN →"]);
    expect(arrows(sequence("connect", "closed", "conn-refused"))).toEqual(["SYN →", "← RST"]);
    expect(arrows(sequence("udp", "closed", "port-unreach"))).toEqual(["UDP →", "← ICMP port unreachable"]);
    expect(arrows(sequence("udp", "open", "udp-response"))).toEqual(["UDP →", "← UDP reply"]);
    expect(arrows(sequence("udp", "open|filtered", "no-response"))).toEqual(["UDP →", "UDP (sent again) →", "(nothing comes back)"]);
    expect(arrows(sequence("syn", "filtered", "admin-prohibited"))).toEqual(["SYN →", "← ICMP administratively prohibited"]);
    expect(arrows(sequence("ack", "unfiltered", "reset"))).toEqual(["ACK →", "← RST"]);
    expect(arrows(sequence("window", "open", "reset"))).toEqual(["ACK →", "← RST, window > 0"]);
    expect(arrows(sequence("window", "closed", "reset"))).toEqual(["ACK →", "← RST, window 0"]);
    expect(arrows(sequence("fin", "closed", "reset"))).toEqual(["FIN →", "← RST"]);
    expect(arrows(sequence("xmas", "open|filtered", "no-response"))[0]).toBe("FIN/PSH/URG →");
    expect(arrows(sequence("maimon", "closed", "reset"))[0]).toBe("FIN/ACK →");
    expect(arrows(sequence("null", "closed", "reset"))[0]).toBe("TCP, no flags set →");
    expect(arrows(sequence("sctpinit", "open", "init-ack"))).toEqual(["SCTP INIT →", "← SCTP INIT-ACK"]);
    expect(arrows(sequence("sctpcookieecho", "closed", "abort"))).toEqual(["SCTP COOKIE ECHO →", "← SCTP ABORT"]);
    expect(arrows(sequence("ipproto", "closed", "proto-unreach", 47))).toEqual(["IP packet, protocol 47 →", "← ICMP protocol unreachable"]);
    expect(arrows(sequence("ping", "up", "echo-reply"))).toEqual(["ICMP echo request →", "← ICMP echo reply"]);
    expect(arrows(sequence("ping", "up", "arp-response"))[1]).toMatch(/^← ARP/);
    // The silent state depends on the scan: filtered for SYN, open|filtered for FIN.
    expect(sequence("syn", "open|filtered", "no-response").drawn).toBe(false);
    expect(sequence("fin", "filtered", "no-response").drawn).toBe(false);
  });

  it("refuses combinations the scanner never produces, saying why", () => {
    const cases: [ScanKind, string, string, RegExp][] = [
      ["syn", "open", "reset", /reports "reset" as closed/],
      ["udp", "open", "syn-ack", /never reports "syn-ack"/],
      ["ack", "open", "syn-ack", /never reports/],
      ["syn", "open", "user-set", /set by the scan's options/],
      ["connect", "filtered", "unknown", /no reason/],
      ["ping", "up", "user-set", /-Pn/],
      ["ping", "up", "localhost-response", /this computer's own/],
      ["ping", "up", "no-response", /marked down/],
    ];
    for (const [scan, state, reason, why] of cases) {
      const s = sequence(scan, state, reason);
      expect(s.drawn, `${scan} ${state} ${reason}`).toBe(false);
      if (!s.drawn) expect(s.why).toMatch(why);
    }
  });

  it("finds the scan type from the report's scaninfo", () => {
    const info = [
      { scan_type: "syn", protocol: "tcp" as const, num_services: 1, services: "22" },
      { scan_type: "udp", protocol: "udp" as const, num_services: 1, services: "53" },
      { scan_type: "sctpinit", protocol: "sctp" as const, num_services: 1, services: "9" },
    ];
    expect(scanKindFor(info, "tcp")).toBe("syn");
    expect(scanKindFor(info, "udp")).toBe("udp");
    expect(scanKindFor(info, "sctp")).toBe("sctpinit");
    expect(scanKindFor(info, "ip")).toBeNull();
    expect(scanKindFor([{ scan_type: "ipproto", protocol: "ip", num_services: 1, services: "1" }], "ip")).toBe("ipproto");
    expect(scanKindOf("sctp-cookie-echo")).toBe("sctpcookieecho");
    expect(scanKindOf("ping")).toBeNull();
    expect(scanKindOf("bogus")).toBeNull();
  });
});

function setup(opts: ConstructorParameters<typeof MockBackend>[0] = {}, firstRunDone = true) {
  const backend = new MockBackend({ parse: fakeParse, scan: () => ({ events: recordedScan() }), replay: "manual", ...opts });
  backend.settings.first_run_done = firstRunDone;
  const user = userEvent.setup();
  const view = render(App, { props: { backend, debounceMs: 10 } });
  return { backend, user, ...view };
}

describe("explain panel in the results", () => {
  it("opens from a port's state with its meaning, its reason and the SYN scan's diagram", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Scan" }));
    await waitFor(() => expect(backend.startCalls).toHaveLength(1));
    backend.pump();
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Done"));
    await user.selectOptions(screen.getByRole("combobox", { name: "State" }), "open");
    expect(screen.queryByTestId("explain-panel")).toBeNull();

    await user.click(await screen.findByTestId("explain-state-18080-tcp"));
    const panel = screen.getByTestId("explain-panel");
    expect(panel).toHaveTextContent("Why is port 18080/tcp open?");
    expect(panel).toHaveTextContent(STATE_EXPLANATIONS.open.meaning);
    expect(panel).toHaveTextContent(REASON_EXPLANATIONS["syn-ack"]!.meaning);
    expect(panel).toHaveTextContent("SYN scan (-sS)");
    const svg = within(panel).getByTestId("explain-diagram");
    expect(svg.tagName.toLowerCase()).toBe("svg");
    const labels = [...svg.querySelectorAll("text.label")].map((t) => t.textContent);
    expect(labels).toEqual(["SYN →", "← SYN/ACK", "RST →"]);
    expect(svg.querySelectorAll("line.arrow")).toHaveLength(3);
    expect([...svg.querySelectorAll("text.actor")].map((t) => t.textContent)).toEqual(["Scanner", "localhost (127.0.0.1)"]);

    await user.click(within(panel).getByRole("button", { name: "Close" }));
    expect(screen.queryByTestId("explain-panel")).toBeNull();

    // From the keyboard: Enter on the grid's active row explains that row's port.
    const grid = screen.getByRole("grid", { name: "Ports" });
    grid.focus();
    await user.keyboard("{ArrowDown}{ArrowDown}{Enter}");
    expect(screen.getByTestId("explain-panel")).toHaveTextContent("Why is port 18443/tcp open?");
    await user.click(within(screen.getByTestId("explain-panel")).getByRole("button", { name: "Close" }));

    // A closed port's reason opens the same panel with the refusal drawn.
    await user.selectOptions(screen.getByRole("combobox", { name: "State" }), "closed");
    const reasonLink = screen.getAllByTestId(/^explain-reason-\d+-tcp$/)[0]!;
    await user.click(reasonLink);
    const labels2 = [...screen.getByTestId("explain-diagram").querySelectorAll("text.label")].map((t) => t.textContent);
    expect(labels2).toEqual(["SYN →", "← RST"]);
    expect(screen.getByTestId("explain-panel")).toHaveTextContent(/Why is port \d+\/tcp closed\?/);

    // The host's status explains discovery: this computer needs no packet.
    await user.click(screen.getByRole("tab", { name: "Host details" }));
    await user.click(screen.getByTestId("explain-host-status"));
    const host = screen.getByTestId("explain-panel");
    expect(host).toHaveTextContent("Why is host 127.0.0.1 up?");
    expect(host).toHaveTextContent(REASON_EXPLANATIONS["localhost-response"]!.meaning);
    expect(within(host).getByTestId("explain-no-diagram")).toHaveTextContent(/Nothing was sent/);
  });

  it("keeps a hostile reason, banner and host name as text", async () => {
    const hostile = `<img src=x onerror="alert(1)">`;
    const report: ScanReport = {
      scanner: "nmap",
      version: "7.93",
      args: "nmap -sU 198.18.0.5",
      start: 0,
      scan_info: [{ scan_type: "udp", protocol: "udp", num_services: 2, services: "53,161" }],
      verbose: 0,
      debugging: 0,
      hosts: [
        {
          start_time: null,
          end_time: null,
          status: { state: "up", reason: `<svg onload=alert(2)>`, reason_ttl: 0 },
          addresses: [{ addr: "198.18.0.5", kind: "ipv4" }],
          hostnames: [{ name: `<b>${hostile}</b>`, kind: "PTR" }],
          ports: [
            {
              protocol: "udp",
              port: 53,
              state: "open",
              reason: hostile,
              reason_ttl: 64,
              service: { name: "domain", product: `<script>alert(3)</script>`, method: "probed", conf: 10 },
            },
            { protocol: "udp", port: 161, state: "closed", reason: "port-unreach", reason_ttl: 64 },
          ],
          timed_out: false,
        },
      ],
      run_stats: null,
    } as ScanReport;
    const { user } = setup({ openXml: () => report, openDialogPath: () => "/tmp/x.xml" });
    await user.click(screen.getByRole("button", { name: "Open scan…" }));
    await waitFor(() => expect(screen.getByTestId("scan-status")).toHaveTextContent("Opened from a file"));

    await user.click(await screen.findByTestId("explain-reason-53-udp"));
    const panel = screen.getByTestId("explain-panel");
    expect(panel).toHaveTextContent(`Portolan has no explanation for the reason "${hostile}"`);
    expect(within(panel).getByTestId("explain-no-diagram")).toHaveTextContent(/UDP scan \(-sU\) never reports/);

    await user.click(screen.getByTestId("explain-state-161-udp"));
    const svg = screen.getByTestId("explain-diagram");
    expect([...svg.querySelectorAll("text.label")].map((t) => t.textContent)).toEqual(["UDP →", "← ICMP port unreachable"]);
    // The lifeline carries the host's (hostile) name as text.
    expect(svg.textContent).toContain("<b><img src=x");

    await user.click(screen.getByRole("tab", { name: "Host details" }));
    await user.click(screen.getByTestId("explain-host-status"));
    expect(screen.getByTestId("explain-panel")).toHaveTextContent(`"<svg onload=alert(2)>"`);
    expect(document.querySelector("img, script, b, svg[onload]")).toBeNull();
  });
});

describe("first-run note", () => {
  it("shows on the first start; Practice fills 127.0.0.1 with the quick profile and is remembered", async () => {
    const { backend, user, unmount } = setup({}, false);
    const note = await screen.findByTestId("first-run-note");
    expect(note).toHaveTextContent(/only computers and networks that you own/);
    const target = screen.getByRole("textbox", { name: "Target" }) as HTMLInputElement;
    await user.clear(target);
    await user.type(target, "198.18.0.9");
    expect(target.value).toBe("198.18.0.9");

    await user.click(screen.getByTestId("first-run-practice"));
    expect(target.value).toBe("127.0.0.1");
    expect((screen.getByRole("combobox", { name: "Profile" }) as HTMLSelectElement).value).toBe("quick");
    expect((screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement).value).toBe("portolan -T4 -F 127.0.0.1");
    await waitFor(() => expect(backend.settings.first_run_done).toBe(true));
    expect(screen.queryByTestId("first-run-note")).toBeNull();
    await waitFor(() => expect(backend.parseCalls).toContainEqual(["-T4", "-F", "127.0.0.1"]));

    // The next start reads the stored settings and keeps quiet.
    unmount();
    const user2 = userEvent.setup();
    render(App, { props: { backend, debounceMs: 10 } });
    await user2.click(screen.getByRole("button", { name: "Settings" }));
    await screen.findByRole("form", { name: "Settings" });
    await waitFor(() => expect(backend.parseCalls.length).toBeGreaterThan(1));
    expect(screen.queryByTestId("first-run-note")).toBeNull();
  });

  it("Got it hides the note for good, and saving other settings keeps it hidden", async () => {
    const { backend, user } = setup({}, false);
    await user.click(await screen.findByTestId("first-run-dismiss"));
    expect(screen.queryByTestId("first-run-note")).toBeNull();
    await waitFor(() => expect(backend.settings.first_run_done).toBe(true));
    expect((screen.getByRole("textbox", { name: "Target" }) as HTMLInputElement).value).toBe("127.0.0.1");

    await user.click(screen.getByRole("button", { name: "Settings" }));
    await user.selectOptions(screen.getByRole("combobox", { name: "Theme" }), "dark");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(backend.settings.theme).toBe("dark"));
    expect(backend.settings.first_run_done).toBe(true);
  });

  it("stays hidden when the settings say it was dismissed", async () => {
    const { backend } = setup({}, true);
    await waitFor(() => expect(backend.parseCalls.length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId("first-run-note")).toBeNull();
  });
});

describe("the Service column explained", () => {
  it("says what tcpwrapped, a table guess and an unknown service mean, and nothing for a probed name", () => {
    expect(explainService("tcpwrapped", "probed")).toMatch(/closed it without sending anything/);
    expect(explainService("http-alt", "table")).toMatch(/"http-alt" is only the usual service for this port number/);
    expect(explainService("unknown", "table")).toMatch(/No service is known/);
    expect(explainService(null, null)).toMatch(/No service is known/);
    expect(explainService("ssh", "probed")).toBeNull();
  });

  it("shows the note in the panel, as text", async () => {
    const { default: ExplainPanel } = await import("../src/lib/components/ExplainPanel.svelte");
    render(ExplainPanel, {
      props: { subject: "port 9090/tcp", state: "open", reason: "syn-ack", scan: "connect", port: 9090,
               service: { name: "tcpwrapped", method: "probed" }, onclose: () => {} },
    });
    expect(screen.getByTestId("explain-service")).toHaveTextContent("closed it without sending anything");
    render(ExplainPanel, {
      props: { subject: "port 22/tcp", state: "open", reason: "syn-ack", scan: "connect", port: 22,
               service: { name: "<img src=x onerror=alert(1)>", method: "table" }, onclose: () => {} },
    });
    const notes = screen.getAllByTestId("explain-service");
    expect(notes[1]).toHaveTextContent('"<img src=x onerror=alert(1)>" is only the usual service');
    expect(document.querySelector(".explain img")).toBeNull();
  });
});
