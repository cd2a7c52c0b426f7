// Real-window test of the History additions (run by tools/window-test ... history-extras.mjs): the built app
// under Xvfb, its real scanner and a history the scanner wrote. Proves that
//   1. the Services tab groups a real report's open ports (the map lab's scan, named on the command line);
//   2. the History view registers for dropped files without an error (the Rust channel, no event permission);
//   3. the search box suggests keywords as the user types;
//   4. "Which hosts run…" lists the hosts of the stored scans running http, from the CLI's search JSON;
//   5. a host's timeline shows the ports opened and closed between three real scans of loopback listeners.
import { execFileSync } from "node:child_process";
import { env, listen, screenshots } from "./harness.mjs";
import { Session, sleep, startDriver } from "./webdriver.mjs";

const APP = env("APP");
const CLI = env("CLI");
const DRIVER = env("DRIVER");
const MAP_XML = env("MAP_XML");
const OUT = env("OUT");
const PORT = 4445;
const [P1, P2, P3] = [18081, 18082, 18083];

const log = (...a) => console.log("[history-extras]", ...a);
const shot = screenshots(OUT, "hx-", log);
const close = (srv) => new Promise((r) => srv.close(() => r()));
// The scanner records each scan in the user's default history, which the app reads too.
const scan = () => execFileSync(CLI, ["-sT", "-Pn", "-p", `${P1},${P2},${P3}`, "127.0.0.1"], { encoding: "utf8" });

// Three scans: P1+P2 open; then P3 opens; then P2 closes.
const s1 = await listen(P1);
const s2 = await listen(P2);
scan();
await sleep(1100); // distinct start seconds, so the timeline's order is the scans' order
const s3 = await listen(P3);
scan();
await sleep(1100);
await close(s2);
scan();
execFileSync(CLI, ["history", "import", MAP_XML], { encoding: "utf8" });

const driver = await startDriver(DRIVER, PORT);
let session;
let failed = false;
try {
  session = await Session.start(driver.base, { browserName: "wry", "tauri:options": { application: APP, args: [MAP_XML] } });
  const s = session;
  await s.until("the map lab report to open", 30_000, async () =>
    (await s.text(await s.find('[data-testid="scan-status"]'))).includes("Opened from a file"),
  );

  // 1. Services tab.
  await s.click(await s.find("#tab-services"));
  const services = await s.until("the services view", 10_000, () =>
    s.exec('return document.querySelector("[data-testid=services-view]")?.textContent ?? ""'),
  );
  if (!/http\s*\d+ hosts?/.test(services) || !services.includes("ssh")) throw new Error(`services view: ${services}`);
  await shot(s, "services-tab");
  log("services tab:", services.slice(0, 120).replace(/\s+/g, " "));

  // 2. History opens and registers for drops.
  await s.clickEnabled("header button", "History");
  await s.until("the stored scans", 20_000, () => s.exec('return document.querySelectorAll("table[aria-label=\\"Stored scans\\"] tbody tr").length >= 4'));
  await sleep(500);
  const alerts = await s.exec('return [...document.querySelectorAll(".history [role=alert]")].map((a) => a.textContent)');
  if (alerts.length) throw new Error(`History shows an error: ${alerts.join(" | ")}`);

  // 3. Suggestions while typing.
  const q = await s.find('[data-testid="history-search"]');
  await s.replaceText(q, "serv");
  const sugg = await s.until("suggestions", 5_000, () =>
    s.exec('const l = document.querySelector("[data-testid=history-suggestions]"); return l && !l.hidden ? l.textContent : ""'),
  );
  if (!sugg.includes("service:") || !sugg.includes("running service NAME")) throw new Error(`suggestions: ${sugg}`);
  // Really on screen: the element at the list's middle is the list (not clipped or covered).
  await sleep(200);
  const onTop = await s.exec(`const l = document.querySelector("[data-testid=history-suggestions]");
    const r = l.getBoundingClientRect();
    const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return { w: r.width, h: r.height, top: !!(e && e.closest("[data-testid=history-suggestions]")), value: document.querySelector("[data-testid=history-search]").value }`);
  if (!onTop.top || onTop.h < 10 || onTop.value !== "serv") throw new Error(`suggestion list not visible: ${JSON.stringify(onTop)}`);
  await shot(s, "suggestions");
  log("suggestions:", sugg.replace(/\s+/g, " "));
  await s.cmd("POST", `/element/${q}/value`, { text: "\uE00C" }); // Escape

  // 4. Which hosts run http, across the history.
  await s.clickEnabled(".history button", "Which hosts run");
  const name = await s.find('[data-testid="service-lookup"] input');
  await s.replaceText(name, "http");
  await s.clickEnabled('[data-testid="service-lookup"] button', "Find");
  const rows = await s.until("the lookup's rows", 20_000, async () => {
    const r = await s.exec('return [...document.querySelectorAll("[data-testid=service-lookup] tbody tr")].map((r) => r.textContent)');
    return r.length && !r[0].includes("No stored scan") ? r : null;
  });
  if (!rows.some((r) => r.includes("80/tcp") && r.includes("http"))) throw new Error(`lookup rows: ${JSON.stringify(rows)}`);
  await shot(s, "which-hosts-run-http");
  log("lookup:", rows.length, "rows, first:", rows[0]);

  // 5. Timeline of 127.0.0.1.
  await s.replaceText(q, "host:127.0.0.1");
  await s.cmd("POST", `/element/${q}/value`, { text: "\uE00C" });
  await s.clickEnabled(".history button", "Search");
  await s.until("the search hits", 20_000, () => s.exec('return document.querySelectorAll("table[aria-label=\\"Search results\\"] tbody tr").length >= 3'));
  await s.click(await s.findByText('table[aria-label="Search results"] button', "History of this host"));
  const changes = await s.until("the timeline", 20_000, async () => {
    const c = await s.exec(
      'return [...document.querySelectorAll("[data-testid=host-timeline] [data-change]")].map((e) => e.dataset.change + ":" + e.textContent)',
    );
    return c.length >= 2 ? c : null;
  });
  const want = [`opened:+ opened ${P3}/tcp`, `closed:− closed ${P2}/tcp`];
  if (JSON.stringify(changes) !== JSON.stringify(want)) throw new Error(`timeline changes ${JSON.stringify(changes)}, want ${JSON.stringify(want)}`);
  const colours = await s.exec(
    'return [...document.querySelectorAll("[data-testid=host-timeline] [data-change]")].map((e) => getComputedStyle(e).color)',
  );
  if (colours[0] === colours[1]) throw new Error(`opened and closed look alike: ${colours}`);
  await shot(s, "host-timeline");
  log("timeline:", changes.join(" | "), "colours", colours.join(" "));
  log("PASS");
} catch (e) {
  failed = true;
  console.error("[history-extras] FAIL:", e instanceof Error ? e.message : e);
  if (session) await shot(session, "failure").catch(() => {});
} finally {
  if (session) await session.quit();
  driver.stop();
  for (const srv of [s1, s3]) srv.close();
}
process.exit(failed ? 1 : 0);
