// The real-window end-to-end test: the built Portolan app under Xvfb, driven through tauri-driver and
// WebKitWebDriver. Run by tools/window-test, which puts this process, the app and its scanner in a network
// namespace of their own (only loopback, no route out) as an ordinary user, so the scanner has no raw-packet
// privileges, exactly like a fresh install before setcap.
//
// What it proves, against the real scanner and real loopback listeners:
//   1. a saved report full of hostile markup opens from the command line and shows it as text; nothing runs;
//   2. without privileges the UI says a UDP scan cannot run and rewrites it as a connect scan;
//   3. two scans at once: a long one, and a target + profile scan whose open ports appear while it runs and
//      whose final ports equal what the CLI prints for the same command;
//   4. the history (written by the scanner) finds the quick scan by a search in its language;
//   5. cancelling the long scan marks it interrupted and keeps what it found.
// Screenshots of each step go to $OUT.
import { execFileSync } from "node:child_process";
import { env, listen, screenshots } from "./harness.mjs";
import { Session, sleep, startDriver } from "./webdriver.mjs";

const APP = env("APP");
const CLI = env("CLI");
const DRIVER = env("DRIVER");
const HOSTILE = env("HOSTILE_XML");
const MAP_XML = env("MAP_XML");
const OUT = env("OUT");
const PORT = 4444;
// Listeners on ports the quick profile (-F, the 100 most common ports) covers. Binding below 1024 as an
// ordinary user works because the runner lowers ip_unprivileged_port_start inside the namespace.
const LISTEN = [22, 80, 8080];

const log = (...a) => console.log("[window-test]", ...a);
const shot = screenshots(OUT, "", log);


/** The port lines of normal output ("22/tcp open ssh") and its "Not shown" line, which both sides print. */
function portLines(text) {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => /^\d+\/(tcp|udp|sctp)\s/.test(l) || l.startsWith("Not shown:") || l.startsWith("All "));
}

const servers = await Promise.all(LISTEN.map(listen));
const driver = await startDriver(DRIVER, PORT);
let session;
let failed = false;
try {
  const base = driver.base;
  session = await Session.start(base, {
    browserName: "wry",
    // Opened in order, one tab each; the last (the hostile report) is the one shown.
    "tauri:options": { application: APP, args: [MAP_XML, HOSTILE] },
  });
  const s = session;
  const status = async () => s.text(await s.find('[data-testid="scan-status"]'));
  const commandValue = () => s.exec('return document.querySelector("input[name=command]").value');

  // 1. The hostile report, named on the command line, opens in the first tab.
  await s.until("the hostile report to open", 30_000, async () => (await status()).includes("Opened from a file"));
  // textContent, not the rendered text: the host column cuts long names with an ellipsis.
  await s.until("its host to be listed", 5_000, async () =>
    (await s.exec('return document.querySelector(\'[role="listbox"][aria-label="Hosts"] [role="option"]\')?.textContent ?? ""')).includes(
      "198.18.0.7",
    ),
  );
  const page = await s.exec("return document.body.textContent");
  for (const literal of [
    `<img src=x onerror="window.__pwned='hostname'">`,
    `<script>window.__pwned='product'</script>`,
    `"><svg onload=window.__pwned='svg'>`,
  ]) {
    if (!page.includes(literal)) throw new Error(`the page does not show ${literal} as text:\n${page}`);
  }
  await s.click(await s.find("#tab-details"));
  await s.until("the host details", 5_000, async () =>
    (await s.exec("return document.body.innerText")).includes(`<iframe src="javascript:window.__pwned='script'">`),
  );
  await s.click(await s.find("#tab-output"));
  await s.until("the raw output", 5_000, async () =>
    (await s.exec('return document.querySelector("[data-testid=raw-output]")?.textContent ?? ""')).includes(
      "window.__pwned='os'",
    ),
  );
  await sleep(300); // any onerror/onload would have fired by now
  const pwned = await s.exec(
    "return { pwned: window.__pwned ?? null, injected: document.querySelectorAll('main img, main iframe, main svg, main script, main style, main a[href]').length }",
  );
  if (pwned.pwned !== null || pwned.injected !== 0) throw new Error(`hostile text ran or made elements: ${JSON.stringify(pwned)}`);
  await shot(s, "hostile-report-as-text");
  log("hostile report: shown literally, nothing ran");
  await s.click(await s.find("#tab-ports"));

  // 1b. The map of a real --traceroute scan of the map lab (five routers, a shared one, a silent hop),
  // laid out by Rust and drawn on the canvas.
  await s.click(await s.findByText('[role="tablist"][aria-label="Scans"] [role="tab"]', "map-lab.xml"));
  await s.click(await s.find("#tab-map"));
  const counts = await s.until("the map", 15_000, async () => {
    const t = await s.exec('return document.querySelector("[data-testid=map-counts]")?.textContent ?? ""');
    return t.includes("nodes") ? t : null;
  });
  const drawn = await s.exec('return document.querySelector("[data-testid=map-canvas]").dataset.nodes');
  if (!counts.startsWith("11 nodes") || drawn !== "11") throw new Error(`map: ${counts}, canvas drew ${drawn}`);
  await sleep(300);
  await shot(s, "map-of-the-lab");
  log("map:", counts);
  await s.click(await s.find("#tab-ports"));
  await s.click(await s.findByText('[role="tablist"][aria-label="Scans"] [role="tab"]', "hostile.xml"));

  // 2. No raw privileges: a UDP scan is refused before it starts, and the connect scan is offered.
  const command = await s.find("input[name=command]");
  await s.replaceText(command, "portolan -sU -p 53 127.0.0.1");
  await s.until("the UDP scan to be refused", 15_000, async () =>
    (await s.text(await s.find('[data-testid="privileges"]'))).includes("This scan cannot run"),
  );
  const blockedText = await s.text(await s.find('[data-testid="privileges"]'));
  if (!blockedText.includes("setcap")) throw new Error(`no way to grant privileges is shown: ${blockedText}`);
  if (await s.exec('return !document.querySelector("button[type=submit]").disabled')) throw new Error("Scan is enabled for a blocked scan");
  await shot(s, "udp-needs-privileges");
  await s.click(await s.findByText("button", "Use a connect scan instead"));
  await s.until("the command to become a connect scan", 5_000, async () => (await commandValue()) === "portolan -sT -p 53 127.0.0.1");
  log("privileges: -sU refused with the setcap hint, rewritten to", await commandValue());

  // 3a. A long scan in the first free tab (the hostile report's tab stays).
  const longCmd = "portolan -sT -p- --scan-delay 10ms 127.0.0.1";
  await s.replaceText(command, longCmd);
  await s.until("the long command to be valid", 15_000, async () =>
    (await s.text(await s.find('[data-testid="command-check"]'))).startsWith("Valid:"),
  );
  await s.clickEnabled("button[type=submit]");
  await s.until("the long scan to run", 15_000, async () => (await status()).includes("Scanning"));

  // 3b. Target + profile, the way a new user starts: the quick profile, slowed so it can be watched.
  const target = await s.find("input[name=target]");
  await s.replaceText(target, "127.0.0.1");
  await s.click(await s.find('select[name=profile] option[value="quick"]'));
  await s.until("the quick profile's command", 5_000, async () => (await commandValue()) === "portolan -T4 -F 127.0.0.1");
  const quickArgs = ["-T4", "-F", "--scan-delay", "20ms", "127.0.0.1"];
  await s.replaceText(command, `portolan ${quickArgs.join(" ")}`);
  await s.until("the quick command to be valid", 15_000, async () =>
    (await s.text(await s.find('[data-testid="command-check"]'))).startsWith("Valid:"),
  );
  await s.clickEnabled("button[type=submit]");
  let openWhileRunning = null;
  let bothRunning = false;
  const end = Date.now() + 60_000;
  for (;;) {
    const snap = await s.exec(`
      const rows = [...document.querySelectorAll('[role="grid"][aria-label="Ports"] [role="row"]:not(.head)')]
        .map((r) => [...r.querySelectorAll('[role="gridcell"]')].map((c) => c.textContent));
      return { status: document.querySelector('[data-testid="scan-status"]').textContent,
               running: document.querySelector('[data-testid="running-count"]')?.textContent ?? "",
               open: rows.filter((r) => r[1] === "open").map((r) => r[0]) };`);
    bothRunning ||= snap.running.includes("2 scans running");
    if (snap.status.includes("Scanning") && snap.open.length > 0 && openWhileRunning === null) {
      openWhileRunning = snap.open;
      await shot(s, "open-ports-while-scanning");
    }
    if (snap.status.includes("Done")) break;
    if (!snap.status.includes("Scanning") && !snap.status.includes("Starting")) throw new Error(`quick scan ended as ${snap.status}`);
    if (Date.now() > end) throw new Error("the quick scan did not finish within 60 s");
    await sleep(40);
  }
  if (!openWhileRunning) throw new Error("no open port was shown while the scan was running");
  if (!bothRunning) throw new Error("the window never showed both scans running");
  log("open ports seen while scanning:", openWhileRunning.join(", "));

  await s.click(await s.find("#tab-output"));
  const uiText = await s.until("the output text", 5_000, () =>
    s.exec('return document.querySelector("[data-testid=raw-output]")?.textContent ?? ""'),
  );
  const cliText = execFileSync(CLI, [...quickArgs, "-oN", "-"], { encoding: "utf8", env: { ...process.env, PORTOLAN_HISTORY: "off" } });
  const ui = portLines(uiText);
  const cli = portLines(cliText);
  if (JSON.stringify(ui) !== JSON.stringify(cli)) {
    throw new Error(`the window's ports differ from the CLI's:\nwindow:\n${ui.join("\n")}\ncli:\n${cli.join("\n")}`);
  }
  const open = ui.filter((l) => /\sopen\s/.test(l)).map((l) => Number(l.split("/")[0]));
  if (JSON.stringify(open) !== JSON.stringify(LISTEN)) throw new Error(`open ports ${open} are not the listeners ${LISTEN}`);
  await s.click(await s.find("#tab-ports"));
  await shot(s, "quick-scan-done");
  log("quick scan: window equals CLI:", ui.join(" | "));

  // 3c. The history recorded the quick scan (the scanner writes it; the window reads it back): a search in
  // the history's language finds the host with its open ports, and the scan opens into a tab.
  await s.clickEnabled("header button", "History");
  const q = await s.find('input[name="history-query"]');
  await s.replaceText(q, "open:22 open:8080 host:127.0.0.1");
  await s.clickEnabled(".history button", "Search");
  const hit = await s.until("the history search", 20_000, async () => {
    const t = await s.exec('return document.querySelector("[data-testid=search-summary]")?.textContent ?? ""');
    return t.includes("host") ? t : null;
  });
  const rows = await s.exec(`return [...document.querySelectorAll('table[aria-label="Search results"] tbody tr')]
      .map((r) => r.textContent)`);
  if (!rows.some((r) => r.includes("127.0.0.1") && r.includes("22/tcp") && r.includes("8080/tcp"))) {
    throw new Error(`the history search did not find the quick scan: ${hit} ${JSON.stringify(rows)}`);
  }
  await shot(s, "history-search");
  await s.clickEnabled(".history button", "Close");
  log("history:", hit.trim());

  // 4. Cancel the long scan from its own tab.
  await s.click(await s.findByText('[role="tablist"][aria-label="Scans"] [role="tab"]', "-p-"));
  if (!(await status()).includes("Scanning")) throw new Error(`the long scan is not running any more: ${await status()}`);
  await s.click(await s.findByText("button", "Cancel"));
  await s.until("the long scan to be marked interrupted", 15_000, async () => (await status()).includes("Interrupted"));
  const mark = await s.exec(`return [...document.querySelectorAll('[role="tablist"][aria-label="Scans"] [role="tab"]')]
      .map((t) => t.getAttribute("data-status"))`);
  if (!mark.includes("interrupted") || !mark.includes("done") || mark.filter((m) => m === "loaded").length !== 2) {
    throw new Error(`tab states ${mark}`);
  }
  await shot(s, "long-scan-cancelled");
  log("cancel: long scan interrupted; tabs", mark.join(", "));
  log("PASS");
} catch (e) {
  failed = true;
  console.error("[window-test] FAIL:", e instanceof Error ? e.message : e);
  if (session) await shot(session, "failure").catch(() => {});
} finally {
  if (session) await session.quit();
  driver.stop();
  for (const srv of servers) srv.close();
}
process.exit(failed ? 1 : 0);
