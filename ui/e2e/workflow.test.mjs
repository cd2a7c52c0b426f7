// The real-window test of a user's whole workflow (issue 7), run by tools/window-test like window.test.mjs:
// the built app under Xvfb in a loopback-only network namespace, as an ordinary user, on a fresh home.
//   1. the first-run note asks to scan only what one may scan, and is dismissed;
//   2. a profile is built through the builder's controls only (never typing a command line) and saved;
//   3. it runs against loopback listeners (an SSH-like banner on 22, HTTP on 80 and 8080; 9999 dropped by
//      the runner's firewall rule, so filtered); the explanation of "filtered" opens with its diagram;
//   4. a listener opens on 9090 (the change) and the same profile runs again;
//   5. History finds both scans by `service:ssh open:22`; Compare of the two shows 9090 opened;
//   6. the second scan is exported as CSV through the native Save dialog (typed into with xdotool, since
//      WebDriver reaches only the web view), and its rows equal the ports the window shows;
//   7. both scans saved as XML and compared as files show the same change;
//   8. a Zenmap scan_profile.usp imports through the Open dialog.
// The screenshots of each step (the beginner walk-through) go to $OUT as wf-NN-*.png.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { env, listen, screenshots } from "./harness.mjs";
import { Session, sleep, startDriver } from "./webdriver.mjs";

const APP = env("APP");
const DRIVER = env("DRIVER");
const OUT = env("OUT");
const HOME = env("HOME");
const PORT = 4444;
const PORTS = "22,80,8080,9090,9999";
const PROFILE = "Lab check";
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), "[workflow-test]", ...a);
const shot = screenshots(OUT, "wf-", log);

/** The CSV's fields, with RFC 4180 quoting. */
function csvRows(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field !== "" || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

/**
 * Types `path` into the native file dialog titled `title` and confirms it (xdotool; bounded waits). A Save
 * dialog has its name field focused (select all, type over it); an Open dialog takes a path after Ctrl+L.
 * Waits for the dialog to go, so the next dialog with the same title is a new one.
 */
function answerDialog(title, path, mode = "save") {
  const x = (args, timeout = 5_000) => execFileSync("xdotool", args, { encoding: "utf8", timeout });
  const wid = x(["search", "--sync", "--onlyvisible", "--name", title], 15_000).trim().split("\n")[0];
  x(["windowfocus", "--sync", wid]);
  x(["key", "--clearmodifiers", mode === "save" ? "ctrl+a" : "ctrl+l"]);
  x(["type", "--delay", "15", path], 15_000);
  // The Open dialog's location field may show completions that take the first Return: press it again while
  // the dialog stays (at most three times).
  execFileSync("sleep", ["0.3"]);
  x(["key", "Return"]);
  let presses = 1;
  let next = Date.now() + 1_500;
  const end = Date.now() + 10_000;
  const open = () => {
    try {
      return x(["search", "--onlyvisible", "--name", title]).trim().split("\n").includes(wid);
    } catch {
      return false; // xdotool exits 1 when no window matches
    }
  };
  while (open()) {
    if (presses < 3 && Date.now() > next) {
      try {
        // Fails, and presses nothing, when the dialog has gone meanwhile.
        x(["windowfocus", "--sync", wid]);
        x(["key", "Return"]);
      } catch {}
      presses += 1;
      next = Date.now() + 1_500;
    }
    if (Date.now() > end) throw new Error(`the dialog "${title}" is still open after answering ${path}`);
    execFileSync("sleep", ["0.1"]);
  }
}

const servers = await Promise.all([
  listen(22, { greet: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n" }),
  listen(80, { http: true }),
  listen(8080, { http: true }),
]);
const driver = await startDriver(DRIVER, PORT);
let session;
let failed = false;
try {
  session = await Session.start(driver.base, { browserName: "wry", "tauri:options": { application: APP } });
  const s = session;
  const status = async () => s.text(await s.find('[data-testid="scan-status"]'));
  const commandValue = () => s.exec('return document.querySelector("input[name=command]").value');

  // 1. First run.
  log("step 1");
  const note = await s.until("the first-run note", 15_000, () =>
    s.exec('return document.querySelector("[data-testid=first-run-note]")?.textContent ?? null'),
  );
  if (!/allowed|authori[sz]ed|permission/i.test(note)) throw new Error(`the first-run note does not speak of permission: ${note}`);
  await shot(s, "first-run");
  await s.click(await s.find('[data-testid="first-run-dismiss"]'));
  await s.until("the note to go", 5_000, () => s.exec('return !document.querySelector("[data-testid=first-run-note]")'));

  // 2. Controls only: target field, then the builder's Scan and Target tabs.
  log("step 2");
  await s.replaceText(await s.find("input[name=target]"), "127.0.0.1");
  await s.click(await s.findByText("button", "Build the command, option by option"));
  await s.click(await s.find("#builder-tab-scan"));
  await s.click(await s.find('#builder-tcp-scan option[value="T"]'));
  await s.click(await s.find("#builder-version"));
  await s.click(await s.find("#builder-tab-target"));
  await s.replaceText(await s.find("#builder-ports"), PORTS);
  const want = `portolan -sT -sV -p ${PORTS} 127.0.0.1`;
  await s.until(`the command line ${want}`, 10_000, async () => (await commandValue()) === want);
  await s.until("the command to be valid", 15_000, async () =>
    (await s.text(await s.find('[data-testid="command-check"]'))).startsWith("Valid:"),
  );
  await shot(s, "building-a-scan");
  await s.click(await s.find('[data-testid="profile-save-open"]'));
  await s.replaceText(await s.find('[data-testid="profile-name"]'), PROFILE);
  await s.replaceText(await s.find('[data-testid="profile-description"]'), "The lab's services, with versions");
  const saved = await s.text(await s.find('[data-testid="profile-args"]'));
  if (saved !== `-sT -sV -p ${PORTS}`) throw new Error(`the profile would save ${saved}`);
  await s.clickEnabled('[data-testid="profile-save"]');
  await s.until("the profile to be listed and chosen", 10_000, () =>
    s.exec(`const sel = document.querySelector('[data-testid="profile-select"]');
      return sel.selectedOptions[0]?.textContent === ${JSON.stringify(PROFILE)} && sel.selectedOptions[0].parentElement.label === "My profiles";`),
  );
  log("profile saved from the controls:", saved);

  // 3. Run it; the filtered port explains itself.
  log("step 3");
  const runProfile = async (label) => {
    await s.until(`the profile's command (${label})`, 10_000, async () => (await commandValue()) === want);
    await s.clickEnabled("button[type=submit]");
    await s.until(`the ${label} scan to finish`, 90_000, async () => {
      const t = await status();
      if (/Interrupted|Failed/.test(t)) throw new Error(`the ${label} scan ended as ${t}`);
      return t.includes("Done");
    }, 200);
    return s.exec(`return [...document.querySelectorAll('[role="grid"][aria-label="Ports"] [role="row"]:not(.head)')]
      .map((r) => [...r.querySelectorAll('[role="gridcell"]')].map((c) => c.textContent.trim()));`);
  };
  const first = await runProfile("first");
  const stateOf = (rows, port) => rows.find((r) => r[0].startsWith(`${port}/`))?.[1];
  for (const [p, st] of [[22, "open"], [80, "open"], [8080, "open"], [9999, "filtered"]]) {
    if (stateOf(first, p) !== st) throw new Error(`first scan: ${p} is ${stateOf(first, p)}, not ${st}: ${JSON.stringify(first)}`);
  }
  if (stateOf(first, 9090) === "open") throw new Error("9090 open before its listener started");
  await shot(s, "reading-results");
  await s.click(await s.find('[data-testid="explain-state-9999-tcp"]'));
  const panel = await s.until("the explanation", 5_000, () =>
    s.exec('return document.querySelector("[data-testid=explain-panel]")?.textContent ?? null'),
  );
  const arrows = await s.exec('return document.querySelector("[data-testid=explain-diagram]")?.textContent ?? ""');
  if (!/filtered/i.test(panel) || !/SYN/.test(arrows)) throw new Error(`explanation of filtered: ${panel} / diagram ${arrows}`);
  await shot(s, "explanation-of-filtered");
  log("filtered explained; diagram:", arrows.replace(/\s+/g, " ").trim());

  // 4. The change: 9090 opens; the same profile runs again.
  log("step 4");
  servers.push(await listen(9090));
  const second = await runProfile("second");
  if (stateOf(second, 9090) !== "open") throw new Error(`second scan: 9090 is ${stateOf(second, 9090)}`);

  // 5. History: search, then Compare the two scans.
  log("step 5");
  await s.clickEnabled("header button", "History");
  const q = await s.find('input[aria-label="Search the history"]');
  await s.replaceText(q, "service:ssh open:22");
  await s.clickEnabled(".history button", "Search");
  const hits = await s.until("the history search", 20_000, async () => {
    const rows = await s.exec(`return [...document.querySelectorAll('table[aria-label="Search results"] tbody tr')].map((r) => r.textContent)`);
    return rows.length > 0 ? rows : null;
  });
  const mine = hits.filter((r) => r.includes("127.0.0.1") && r.includes("22/tcp"));
  if (mine.length !== 2) throw new Error(`service:ssh open:22 found ${mine.length} of the two scans: ${JSON.stringify(hits)}`);
  await shot(s, "history-search");
  await s.clickEnabled(".history button", "Show all scans");
  const boxes = await s.until("the stored scans", 10_000, async () => {
    const b = await s.findAll('input[type=checkbox][aria-label^="Compare scan"]');
    return b.length >= 2 ? b : null;
  });
  await s.click(boxes[0]);
  await s.click(boxes[1]);
  await s.clickEnabled(".history button", "Compare the two ticked");
  const diff = await s.until("the comparison", 20_000, () =>
    s.exec('return document.querySelector("section[aria-label=Compare]")?.textContent ?? null'),
  );
  const changes = await s.exec(`return [...document.querySelectorAll('table[aria-label="Changes"] tbody tr')]
      .map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent.replace(/\\s+/g, " ").trim()))`);
  const opened = changes.find((r) => r.some((c) => c === "port 9090/tcp"));
  if (!opened || opened.at(-2) !== "closed" || opened.at(-1) !== "open") {
    throw new Error(`the comparison does not show 9090/tcp going from closed to open: ${JSON.stringify(changes)}`);
  }
  if (changes.some((r) => r.some((c) => /^port (22|80|8080)\/tcp$/.test(c)))) throw new Error(`unchanged ports listed: ${JSON.stringify(changes)}`);
  await shot(s, "compare");
  log("compare:", diff.replace(/\s+/g, " ").trim().slice(0, 200));
  await s.clickEnabled(".history button", "Close");

  // 6. CSV through the native Save dialog.
  log("step 6");
  await s.click(await s.find('select[aria-label="Save format"] option[value="csv"]'));
  const csvPath = join(HOME, "lab-check.csv");
  await s.clickEnabled("header button", "Save as");
  answerDialog("Save the scan", csvPath);
  await s.until("the CSV file", 15_000, () => existsSync(csvPath));
  await s.until("the saved message", 5_000, async () => (await s.text(await s.find('[data-testid="file-message"]'))).includes(csvPath));
  const [head, ...rows] = csvRows(readFileSync(csvPath, "utf8")).filter((r) => r.length > 1);
  const col = (name) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`CSV header has no ${name}: ${head}`);
    return i;
  };
  const got = rows.map((r) => `${r[col("host")]} ${r[col("port")]}/${r[col("protocol")]} ${r[col("state")]}`).sort();
  const shown = second.map((r) => `127.0.0.1 ${r[0]} ${r[1]}`).sort();
  if (JSON.stringify(got) !== JSON.stringify(shown)) throw new Error(`CSV rows ${JSON.stringify(got)} differ from the window's ${JSON.stringify(shown)}`);
  const ssh = rows.find((r) => r[col("port")] === "22");
  if (ssh[col("service")] !== "ssh" || !ssh[col("version")].includes("OpenSSH")) throw new Error(`CSV row for 22: ${ssh}`);
  log("CSV:", got.join(" | "));
  await shot(s, "exported");

  // 7. Both scans saved as XML through the dialog, then compared as files (History's "Compare two files…",
  log("step 7");
  //    whose two Open dialogs ask for the older scan, then the newer).
  await s.click(await s.find('select[aria-label="Save format"] option[value="xml"]'));
  const scanTabs = await s.findAll('[role="tablist"][aria-label="Scans"] [role="tab"]');
  const xmls = [join(HOME, "before.xml"), join(HOME, "after.xml")];
  for (const [i, file] of xmls.entries()) {
    await s.click(scanTabs[scanTabs.length - 2 + i]);
    await s.clickEnabled("header button", "Save as");
    answerDialog("Save the scan", file);
    await s.until(`${file}`, 15_000, () => existsSync(file));
  }
  await s.clickEnabled("header button", "History");
  await s.clickEnabled(".history button", "Compare two files");
  answerDialog("Open a saved scan", xmls[0], "open");
  answerDialog("Open a saved scan", xmls[1], "open");
  const fileChanges = await s.until("the comparison of the files", 20_000, () =>
    s.exec(`const rows = [...document.querySelectorAll('table[aria-label="Changes"] tbody tr')];
      return rows.length ? rows.map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent.replace(/\\s+/g, " ").trim())) : null;`),
  );
  const fileOpened = fileChanges.find((r) => r.some((c) => c === "port 9090/tcp"));
  if (!fileOpened || fileOpened.at(-2) !== "closed" || fileOpened.at(-1) !== "open") {
    throw new Error(`comparing the saved files does not show 9090/tcp opened: ${JSON.stringify(fileChanges)}`);
  }
  log("compare of two saved XML files: 9090/tcp closed -> open");
  await s.clickEnabled(".history button", "Close");

  // 8. Zenmap's profile file, through the Open dialog: a profile the scanner accepts is imported, a section
  log("step 8");
  //    without a command is skipped with its reason.
  const usp = join(HOME, "scan_profile.usp");
  writeFileSync(
    usp,
    "# Zenmap profiles\n[Web servers]\ncommand = nmap -sT -p 80,443,8080 -T4\ndescription = The usual web ports\n\n[Broken]\ndescription = no command here\n",
  );
  await s.clickEnabled('[data-testid="profile-import"]');
  log("import: the Open dialog");
  answerDialog("Import Zenmap profiles", usp, "open");
  log("import: answered");
  const imported = await s.until("the import result", 20_000, () =>
    s.exec('return document.querySelector("[data-testid=profile-import-result]")?.textContent ?? null'),
  );
  if (!/Imported 1 profile/.test(imported) || !imported.includes("Web servers") || !imported.includes("[Broken]")) {
    throw new Error(`Zenmap import: ${imported}`);
  }
  await s.until("the imported profile in the list", 5_000, () =>
    s.exec(`return [...document.querySelectorAll('[data-testid="profile-select"] optgroup[label="My profiles"] option')]
      .some((o) => o.textContent === "Web servers");`),
  );
  log("Zenmap import:", imported.replace(/\s+/g, " ").trim());
  log("PASS");
} catch (e) {
  failed = true;
  console.error("[workflow-test] FAIL:", e instanceof Error ? e.message : e);
  if (session) await shot(session, "failure").catch(() => {});
} finally {
  if (session) await session.quit();
  driver.stop();
  for (const srv of servers) srv.close();
}
await sleep(100);
process.exit(failed ? 1 : 0);
