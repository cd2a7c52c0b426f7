// The command builder against the CLI's real parser, replayed: tests/fixtures/builder-plans.json holds what
// `portolan --parse-only <args>` answered for every command line these tests send (the ParseResult the Tauri
// side builds from it: the JSON on success, the trimmed standard error as a `usage` error otherwise).
// Re-record after a parser change with the real binary:
//   cd /work/main && CARGO_TARGET_DIR=/work/target cargo build -p portolan-cli
//   cd ui && PORTOLAN_RECORD_BUILDER=/work/target/debug/portolan npx vitest run tests/builder.test.ts
// Without that variable a command line missing from the file fails the test that sent it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import CommandBuilder from "../src/lib/components/CommandBuilder.svelte";
import { MockBackend } from "../src/lib/ipc/mock";
import type { ParseResult } from "../src/lib/ipc/backend";
import { CONTROLS, TABS, type Control } from "../src/lib/builder/catalogue";
import { emptyForm, formToArgs, planToForm, type Form } from "../src/lib/builder/form";
import { joinCommandLine, scannerArgs } from "../src/lib/commandline";
import { PROFILES } from "../src/lib/profiles";

const FIXTURE = join(process.cwd(), "tests", "fixtures", "builder-plans.json");
const RECORD_WITH = process.env.PORTOLAN_RECORD_BUILDER;
type Recorded = Record<string, ParseResult | string>;
const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;

function realParse(args: string[]): ParseResult {
  const key = JSON.stringify(args);
  const hit = recorded[key];
  // Recording asks the binary again even for known lines (answers change with the parser).
  if (hit !== undefined && typeof hit !== "string" && !RECORD_WITH) return hit;
  if (!RECORD_WITH) throw new Error(`no recorded parser answer for ${key}: re-record (see the top of this file)`);
  let r: ParseResult;
  try {
    const out = execFileSync(RECORD_WITH, ["--parse-only", ...args], { stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 });
    r = { ok: true, value: JSON.parse(out.toString("utf8")) };
  } catch (e) {
    const err = e as { stderr?: Buffer; status?: number };
    r = { ok: false, error: { code: "usage", message: (err.stderr?.toString("utf8") ?? "").trim() || `exit ${err.status}` } };
  }
  recorded[key] = r;
  return r;
}

afterAll(() => {
  if (!RECORD_WITH) return;
  const sorted: Recorded = {
    _how: "portolan --parse-only answers recorded by tests/builder.test.ts with PORTOLAN_RECORD_BUILDER=<binary>",
  };
  for (const k of Object.keys(recorded).sort()) if (k !== "_how") sorted[k] = recorded[k] as ParseResult;
  writeFileSync(FIXTURE, JSON.stringify(sorted, null, 1) + "\n");
});

/** Every value a control can be set to that differs from its default, with what the control then reads. */
function valuesOf(c: Control): (boolean | string)[] {
  const d = emptyForm();
  switch (c.kind) {
    case "checkbox":
      return [true];
    case "select":
      return c.choices.map((ch) => ch.value).filter((v) => v !== c.get(d));
    default:
      return [c.sample];
  }
}

function apply(c: Control, f: Form, v: boolean | string): void {
  if (c.kind === "checkbox") c.set(f, v as boolean);
  else c.set(f, v as string);
}

function baseForm(c: Control): Form {
  const f = emptyForm();
  f.targets = "127.0.0.1";
  c.setup?.(f);
  return f;
}

const cases = CONTROLS.flatMap((c) => valuesOf(c).map((v) => ({ id: c.id, c, v, label: `${c.id} = ${JSON.stringify(v)}` })));

describe("catalogue", () => {
  it("covers every option the brief lists, with words for each", () => {
    const flags = CONTROLS.flatMap((c) => [c.flag, ...(c.kind === "select" ? c.choices.map((ch) => ch.flag ?? "") : [])]).join(" ");
    for (const f of `-sS -sT -sA -sW -sM -sN -sF -sX -sU -sO -sY -sZ -sn -sL -Pn -PS -PA -PU -PY -PE -PP -PM -PO -PR -sV
      --version-intensity --version-light --version-all -O --osscan-guess --osscan-limit --max-os-tries --traceroute
      -p -F --top-ports -r --exclude-ports -T0 -T1 -T2 -T4 -T5 --min-rate --max-rate --max-retries --host-timeout
      --scan-delay -n -R -6 -e -S -g -f --mtu -D --ttl --data-length --spoof-mac --badsum -v -d --reason --open
      --packet-trace -oN -oX -oG -oJ -oA --exclude -iL`.split(/\s+/)) {
      expect(flags.split(/[\s|[<]+/), f).toContain(f);
    }
    for (const c of CONTROLS) {
      for (const words of [c.explain, c.wire, c.when]) expect(words.length, c.id).toBeGreaterThan(10);
      expect(TABS.map((t) => t.id)).toContain(c.tab);
    }
    expect(new Set(CONTROLS.map((c) => c.id)).size).toBe(CONTROLS.length);
  });
});

describe("form ↔ plan through the real parser", () => {
  it.each(cases)("$label renders, parses and reads back, as the CLI renders it", ({ c, v }) => {
    const f = baseForm(c);
    apply(c, f, v);
    const args = formToArgs(f);
    const r = realParse(args);
    if (!r.ok) throw new Error(`${args.join(" ")}: ${r.error.message}`);
    const back = planToForm(r.value.plan);
    expect(c.kind === "toggle-text" ? [c.on(back), c.get(back)] : c.get(back)).toEqual(c.kind === "toggle-text" ? [true, v] : v);
    // The form mirrors ScanPlan::to_args exactly: what it renders from the plan is the CLI's canonical line.
    expect(formToArgs(back)).toEqual(r.value.command_line);
  });
});

function setup(command: string) {
  const backend = new MockBackend({ parse: realParse });
  const user = userEvent.setup();
  let last: { command: string; result: ParseResult | null } | null = null;
  const view = render(CommandBuilder, {
    props: { backend, command, debounceMs: 0, onchange: (c: string, r: ParseResult | null) => (last = { command: c, result: r }) },
  });
  const commandBox = () => screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
  return { backend, user, view, commandBox, last: () => last };
}

async function openTab(user: ReturnType<typeof userEvent.setup>, c: Control) {
  const label = TABS.find((t) => t.id === c.tab)!.label;
  await user.click(screen.getByRole("tab", { name: new RegExp(`^${label}`) }));
}

/** What the control shows on screen. */
function shown(c: Control): boolean | string | [boolean, string] {
  switch (c.kind) {
    case "checkbox":
      return (screen.getByRole("checkbox", { name: c.label }) as HTMLInputElement).checked;
    case "toggle-text":
      return [
        (screen.getByRole("checkbox", { name: c.label }) as HTMLInputElement).checked,
        (screen.getByRole("textbox", { name: `${c.label}: ports` }) as HTMLInputElement).value,
      ];
    case "select":
      return (screen.getByRole("combobox", { name: c.label }) as HTMLSelectElement).value;
    default:
      return (screen.getByRole("textbox", { name: c.label }) as HTMLInputElement).value;
  }
}

async function setOnScreen(user: ReturnType<typeof userEvent.setup>, c: Control, v: boolean | string) {
  switch (c.kind) {
    case "checkbox":
      await user.click(screen.getByRole("checkbox", { name: c.label }));
      return;
    case "select":
      await user.selectOptions(screen.getByRole("combobox", { name: c.label }), v as string);
      return;
    case "toggle-text":
      await fireEvent.input(screen.getByRole("textbox", { name: `${c.label}: ports` }), { target: { value: v } });
      return;
    default:
      await fireEvent.input(screen.getByRole("textbox", { name: c.label }), { target: { value: v } });
  }
}

describe("CommandBuilder", () => {
  it.each(cases)("control → command line → controls: $label", async ({ c, v }) => {
    const start = "portolan 127.0.0.1";
    const first = setup(start);
    await waitFor(() => expect(first.last()?.result?.ok).toBe(true));
    await openTab(first.user, c);
    await setOnScreen(first.user, c, v);
    if (c.setup) {
      // The option needs other settings to be valid (an IPv6 target for -6): made through the controls too.
      const f = emptyForm();
      c.setup(f);
      await first.user.click(screen.getByRole("tab", { name: "Target" }));
      await fireEvent.input(screen.getByRole("textbox", { name: "Targets" }), { target: { value: f.targets } });
      await openTab(first.user, c);
    }
    const command = first.commandBox().value;
    // The control's own option is on the command line it wrote, and the parser accepts that line.
    const optionWords = scannerArgs(command);
    expect(optionWords.ok).toBe(true);
    await waitFor(() => expect(first.last()?.command).toBe(command));
    await waitFor(() => expect(first.last()?.result?.ok).toBe(true));
    first.view.unmount();

    // A fresh builder given only that command line shows the same control state.
    const second = setup(command);
    await waitFor(() => expect(second.last()?.result?.ok).toBe(true));
    await openTab(second.user, c);
    expect(shown(c)).toEqual(c.kind === "toggle-text" ? [true, v] : v);
    second.view.unmount();
  });

  it("reads real command lines into the controls", async () => {
    const { user, commandBox, last } = setup("portolan -sS -sU -T4 -p U:53,T:22,80 -PE -PS443 --reason -v 127.0.0.1");
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    expect(shown(CONTROLS.find((c) => c.id === "tcp-scan")!)).toBe("S");
    expect(screen.getByRole("checkbox", { name: "UDP scan" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Service and version detection" })).not.toBeChecked();
    await user.click(screen.getByRole("tab", { name: "Target" }));
    expect(screen.getByRole("textbox", { name: "Ports" })).toHaveValue("T:22,80,U:53");
    expect(screen.getByRole("textbox", { name: "Targets" })).toHaveValue("127.0.0.1");
    await user.click(screen.getByRole("tab", { name: "Ping" }));
    expect(screen.getByRole("checkbox", { name: "ICMP echo" })).toBeChecked();
    expect(screen.getByRole("textbox", { name: "TCP SYN ping: ports" })).toHaveValue("443");
    await user.click(screen.getByRole("tab", { name: "Timing" }));
    expect(screen.getByRole("combobox", { name: "Timing template" })).toHaveValue("4");
    await user.click(screen.getByRole("tab", { name: "Output" }));
    expect(screen.getByRole("checkbox", { name: "Reasons" })).toBeChecked();
    expect(screen.getByRole("combobox", { name: "Verbosity" })).toHaveValue("1");

    // Typing another command line moves the controls with it.
    await fireEvent.input(commandBox(), { target: { value: "portolan -sV --version-all -O --osscan-guess -F -n -oX out.xml 127.0.0.1" } });
    await waitFor(() => expect(screen.getByRole("textbox", { name: "XML output file" })).toHaveValue("out.xml"));
    expect(screen.getByRole("checkbox", { name: "Reasons" })).not.toBeChecked();
    await user.click(screen.getByRole("tab", { name: "Scan" }));
    expect(screen.getByRole("combobox", { name: "Version intensity" })).toHaveValue("9");
    expect(screen.getByRole("checkbox", { name: "Operating system detection" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Guess boldly" })).toBeChecked();
    await user.click(screen.getByRole("tab", { name: "Ping" }));
    expect(screen.getByRole("combobox", { name: "Name resolution" })).toHaveValue("never");
  });

  it.each(PROFILES.filter((p) => !/-A\b|--script/.test(p.args)))("the $name profile's command line round-trips through the controls", async (p) => {
    const typed = `portolan ${p.args} 127.0.0.1`.replace(/\s+/g, " ");
    const { user, commandBox, last } = setup(typed);
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    const r = last()!.result as Extract<ParseResult, { ok: true }>;
    // Reading a command does not rewrite what the user typed.
    expect(commandBox().value).toBe(typed);
    // A control switched on and off again leaves the command the controls show: the CLI's canonical line.
    await user.click(screen.getByRole("tab", { name: "Output" }));
    await user.click(screen.getByRole("checkbox", { name: "Reasons" }));
    expect(commandBox().value).toContain("--reason");
    await user.click(screen.getByRole("checkbox", { name: "Reasons" }));
    expect(commandBox().value).toBe(`portolan ${joinCommandLine(r.value.command_line)}`);
    await waitFor(() => expect(last()?.command).toBe(commandBox().value));
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
  });

  it("follows a command changed from outside", async () => {
    const { view, last } = setup("portolan 127.0.0.1");
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    expect(screen.getByRole("checkbox", { name: "UDP scan" })).not.toBeChecked();
    await view.rerender({ command: "portolan -sU 127.0.0.1" });
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "UDP scan" })).toBeChecked());
  });

  it("shows the parser's refusal of an unknown option in place, and keeps the last accepted controls", async () => {
    const { commandBox, last } = setup("portolan -sU 127.0.0.1");
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    await fireEvent.input(commandBox(), { target: { value: "portolan -sU --bogus 127.0.0.1" } });
    const err = await screen.findByTestId("builder-error");
    expect(err).toHaveTextContent("portolan: unrecognized option '--bogus'");
    expect(commandBox()).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("The controls show the last command the parser accepted.")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "UDP scan" })).toBeChecked();

    // An unsupported option is refused with the parser's words too.
    await fireEvent.input(commandBox(), { target: { value: "portolan -sC 127.0.0.1" } });
    await waitFor(() => expect(screen.getByTestId("builder-error")).toHaveTextContent("portolan: option -sC is not supported yet"));

    // Fixed: the error goes away.
    await fireEvent.input(commandBox(), { target: { value: "portolan -sU 127.0.0.1" } });
    await waitFor(() => expect(screen.queryByTestId("builder-error")).toBeNull());
    expect(commandBox()).toHaveAttribute("aria-invalid", "false");
  });

  it("shows a bad value next to the control that wrote it", async () => {
    const { user, commandBox: box, last } = setup("portolan 127.0.0.1");
    const commandBox = box();
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    await user.click(screen.getByRole("tab", { name: "Source" }));
    await fireEvent.input(screen.getByRole("textbox", { name: "Time to live" }), { target: { value: "300" } });
    expect(commandBox.value).toBe("portolan --ttl 300 127.0.0.1");
    const option = screen.getByTestId("option-ttl");
    await waitFor(() => expect(within(option).getByRole("alert")).toHaveTextContent("portolan: --ttl: '300' is not a number between 0 and 255"));
    expect(within(option).getByRole("textbox", { name: "Time to live" })).toHaveAttribute("aria-invalid", "true");
    // The value typed stays as typed while it is wrong.
    expect(screen.getByRole("textbox", { name: "Time to live" })).toHaveValue("300");
    expect(screen.getByRole("tab", { name: "Source (error)" })).toHaveTextContent("●");

    // A typed command line's bad option is found in its tab too: -T9 is the timing template's.
    await fireEvent.input(commandBox, { target: { value: "portolan -T9 127.0.0.1" } });
    await user.click(await screen.findByRole("tab", { name: "Timing (error)" }));
    await waitFor(() => expect(within(screen.getByTestId("option-template")).getByRole("alert")).toHaveTextContent("portolan: -T: unknown timing template '9'"));
    expect(screen.getByRole("tab", { name: "Source" })).not.toHaveTextContent("●");
  });

  it("marks the options that need raw-packet privileges the scanner lacks", async () => {
    const backend = new MockBackend({
      parse: (args) => {
        const r = realParse(args);
        return r.ok ? { ok: true, value: { ...r.value, raw_privileges: false } } : r;
      },
    });
    render(CommandBuilder, { props: { backend, command: "portolan 127.0.0.1", debounceMs: 0 } });
    const udp = screen.getByTestId("option-udp");
    await waitFor(() => expect(within(udp).getByText("needs privileges (missing)")).toBeInTheDocument());
    expect(within(screen.getByTestId("option-version")).queryByText(/needs privileges/)).toBeNull();
    // The chosen scan type decides: a connect scan needs nothing, a SYN scan needs raw packets.
    const tcp = screen.getByTestId("option-tcp-scan");
    await userEvent.setup().selectOptions(within(tcp).getByRole("combobox", { name: "TCP scan" }), "T");
    expect(within(tcp).queryByText(/needs privileges/)).toBeNull();
    await userEvent.setup().selectOptions(within(tcp).getByRole("combobox", { name: "TCP scan" }), "S");
    expect(within(tcp).getByText("needs privileges (missing)")).toBeInTheDocument();
  });

  it("turns -sV on when a version option is chosen, and teaches in keyboard-reachable details", async () => {
    const { user, commandBox, last } = setup("portolan 127.0.0.1");
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    await user.selectOptions(screen.getByRole("combobox", { name: "Version intensity" }), "2");
    expect(commandBox().value).toBe("portolan -sV --version-intensity 2 127.0.0.1");
    expect(screen.getByRole("checkbox", { name: "Service and version detection" })).toBeChecked();

    const syn = screen.getByTestId("option-udp");
    expect(within(syn).getByText(/Also tests UDP ports/)).toBeInTheDocument();
    expect(within(syn).getByText("needs privileges")).toBeInTheDocument();
    expect(within(syn).getByText("may disturb fragile devices")).toBeInTheDocument();
    const more = within(syn).getByRole("button", { name: "More about -sU" });
    expect(more).toHaveAttribute("aria-expanded", "false");
    expect(within(syn).queryByText("On the wire")).toBeNull();
    // Reached with Tab from the checkbox, opened with Enter.
    within(syn).getByRole("checkbox", { name: "UDP scan" }).focus();
    await user.tab();
    expect(more).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(more).toHaveAttribute("aria-expanded", "true");
    const details = document.getElementById(more.getAttribute("aria-controls")!)!;
    expect(within(details).getByText("On the wire")).toBeVisible();
    expect(within(details).getByText(/ICMP port unreachable means closed/)).toBeInTheDocument();
    expect(within(details).getByText(/embedded devices and old printers/)).toBeInTheDocument();
  });

  it("moves between tabs with the arrow keys", async () => {
    const { user, last } = setup("portolan 127.0.0.1");
    await waitFor(() => expect(last()?.result?.ok).toBe(true));
    const scan = screen.getByRole("tab", { name: "Scan" });
    scan.focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Ping" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Ping" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("checkbox", { name: "ICMP echo" })).toBeInTheDocument();
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Output" })).toHaveFocus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Scan" })).toHaveFocus();
    await user.click(screen.getByRole("tab", { name: "Scripting" }));
    expect(screen.getByRole("tabpanel")).toHaveTextContent("does not run scripts yet");
  });
});
