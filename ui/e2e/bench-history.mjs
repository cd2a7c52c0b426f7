// Benchmark (not a test): a history of 10,000 stored scans, listed and searched in the real app window.
// Run through tools/window-test:
//   tools/window-test APP CLI TAURI_DRIVER OUT bench-history.mjs
// The scans are generated here as small Nmap XML files (one lab host each, 198.18.0.0/16, with a varied mix of
// ssh/http/https ports) and stored with the scanner's own `portolan history import`, into the history the
// app reads (the CLI's default file under $HOME). Figures, each from the click to the frame painted with the
// rows: "list" (opening History: the first page of 50 scans), "next page", and "search" (`service:ssh
// open:22`, whose first 100 matching hosts are listed, as the view asks). The CLI alone is timed too.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, startDriver } from "./webdriver.mjs";

const APP = process.env.APP;
const CLI = process.env.CLI;
const DRIVER = process.env.DRIVER;
const OUT = process.env.OUT;
const SCANS = Number(process.env.BENCH_SCANS ?? 10000);
const RUNS = 5;
const PORT = 4444;
const QUERY = "service:ssh open:22";
const log = (...a) => console.log("[bench-history]", ...a);

function scanXml(i) {
  const addr = `198.18.${(i >> 8) & 255}.${i & 255}`;
  const start = 1795000000 + i * 600;
  const svc = { 22: "ssh", 80: "http", 443: "https" };
  let ports = "";
  for (const p of [22, 80, 443]) {
    // Every other host has ssh open, every third https closed: searches match a real fraction.
    const open = p === 22 ? i % 2 === 0 : p === 443 ? i % 3 !== 0 : true;
    const [state, reason] = open ? ["open", "syn-ack"] : ["closed", "reset"];
    ports += `<port protocol="tcp" portid="${p}"><state state="${state}" reason="${reason}" reason_ttl="64"/><service name="${svc[p]}" method="table" conf="3"/></port>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sS -p 22,80,443 ${addr}" start="${start}" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="3" services="22,80,443"/>
<host starttime="${start}" endtime="${start + 1}"><status state="up" reason="echo-reply" reason_ttl="64"/>
<address addr="${addr}" addrtype="ipv4"/><hostnames><hostname name="host-${i}.lab.example" type="PTR"/></hostnames>
<ports>${ports}</ports></host>
<runstats><finished time="${start + 2}" timestr="" summary="" elapsed="2.00" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
`;
}

function fill() {
  const dir = join(process.env.HOME, "bench-scans");
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const BATCH = 250;
  for (let b = 0; b < SCANS; b += BATCH) {
    const files = [];
    for (let i = b; i < Math.min(SCANS, b + BATCH); i++) {
      const f = join(dir, `scan-${i}.xml`);
      writeFileSync(f, scanXml(i));
      files.push(f);
    }
    execFileSync(CLI, ["history", "import", ...files], { stdio: ["ignore", "ignore", "inherit"] });
  }
  log(`${SCANS} scans imported in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function cliMs(args) {
  const t0 = process.hrtime.bigint();
  const out = execFileSync(CLI, ["history", ...args, "--json"], { maxBuffer: 64 << 20 });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: out.length };
}

// Clicks what `clickJs` finds, then resolves with the time until a frame is painted where `readyJs` holds.
const timedClick = (s, clickJs, readyJs) =>
  s.cmd("POST", "/execute/async", {
    script: `const done = arguments[arguments.length - 1];
      const ready = () => { ${readyJs} };
      const t0 = performance.now();
      const timeout = setTimeout(() => { obs.disconnect(); done({ error: "not ready within 30 s" }); }, 30000);
      const obs = new MutationObserver(() => { if (ready()) { obs.disconnect(); clearTimeout(timeout);
        requestAnimationFrame(() => done({ ms: performance.now() - t0 })); } });
      obs.observe(document.body, { subtree: true, childList: true, characterData: true });
      ${clickJs}`,
    args: [],
  });

const historyButton = `[...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "History")`;
const rows = (label) => `document.querySelectorAll('table[aria-label="${label}"] tbody tr').length`;

fill();
const cli = {
  list: cliMs(["list", "--limit", "50"]),
  page2: cliMs(["list", "--limit", "50", "--offset", "50"]),
  search: cliMs(["search", ...QUERY.split(" "), "--limit", "100"]),
};
log(`CLI alone: list ${cli.list.ms.toFixed(0)} ms, page 2 ${cli.page2.ms.toFixed(0)} ms, search ${cli.search.ms.toFixed(0)} ms (${cli.search.bytes} bytes of JSON)`);

const { base, stop } = await startDriver(DRIVER, PORT);
const results = [];
try {
  const s = await Session.start(base, { browserName: "wry", "tauri:options": { application: APP } });
  try {
    await s.until("the window", 30_000, () => s.exec(`return !!(${historyButton});`));
    for (let run = 1; run <= RUNS; run++) {
      // History closed, then opened: its first page is fetched as it mounts.
      await s.exec(`if (document.querySelector('section[aria-label="History"]')) (${historyButton}).click();`);
      await s.until("History closed", 10_000, () => s.exec(`return !document.querySelector('section[aria-label="History"]');`));
      const list = await timedClick(s, `(${historyButton}).click();`, `return ${rows("Stored scans")} >= 50;`);
      const first = await s.exec(`return document.querySelector('table[aria-label="Stored scans"] tbody tr')?.textContent ?? "";`);
      const next = await timedClick(
        s,
        `[...document.querySelectorAll('section[aria-label="History"] button')].find((b) => b.textContent.trim() === "Older").click();`,
        `const r = document.querySelector('table[aria-label="Stored scans"] tbody tr'); return !!r && r.textContent !== ${JSON.stringify(first)};`,
      );
      const search = await timedClick(
        s,
        `const q = document.querySelector('input[aria-label="Search the history"]');
         q.value = ${JSON.stringify(QUERY)}; q.dispatchEvent(new Event("input", { bubbles: true }));
         q.form.requestSubmit();`,
        `return !!document.querySelector('[data-testid="search-summary"]') && ${rows("Search results")} > 0;`,
      );
      const found = await s.exec(`return { rows: ${rows("Search results")},
        summary: document.querySelector('[data-testid="search-summary"]')?.textContent.trim() };`);
      for (const [k, v] of Object.entries({ list, next, search })) if (v.error) throw new Error(`${k}: ${v.error}`);
      const r = { run, list_ms: Math.round(list.ms), next_page_ms: Math.round(next.ms), search_ms: Math.round(search.ms), search_rows: found.rows, summary: found.summary };
      results.push(r);
      log(JSON.stringify(r));
      if (run === 1) writeFileSync(join(OUT, "bench-history-10000.png"), await s.screenshot());
    }
  } finally {
    await s.quit();
  }
} finally {
  stop();
}
const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
const max = (k) => Math.max(...results.map((r) => r[k]));
log(`median of ${results.length} (max): list ${med("list_ms")} ms (${max("list_ms")}), next page ${med("next_page_ms")} ms (${max("next_page_ms")}), search ${med("search_ms")} ms (${max("search_ms")}); ${SCANS} scans`);
