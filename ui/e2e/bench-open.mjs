// Benchmark (not a test): open a saved scan of 65,536 hosts with a few ports each in the real app window and
// time the first screen, then scroll the host list and measure frame times. Run through tools/window-test:
//   tools/window-test APP CLI TAURI_DRIVER OUT bench-open.mjs
// The report is generated here (Nmap-style XML, lab addresses 198.18.0.0/16), so no scan is needed.
// Figures: "open:read" (Rust reads and parses the XML; the header and first 200 hosts cross the IPC),
// "open:first-screen" (from the request to the first frame painted with the hosts listed), "open:all" (every
// host in, the rest pulled one chunk per frame), and the frame times while scrolling the full list.
import { createWriteStream, statSync } from "node:fs";
import { join } from "node:path";
import { Session, startDriver } from "./webdriver.mjs";

const APP = process.env.APP;
const DRIVER = process.env.DRIVER;
const OUT = process.env.OUT;
const HOSTS = 65536;
const RUNS = 3;
const PORT = 4444;
const log = (...a) => console.log("[bench-open]", ...a);

async function writeReport(file) {
  const out = createWriteStream(file);
  const w = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once("drain", r)));
  await w(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n`);
  await w(`<nmaprun scanner="nmap" args="nmap -sS -p 22,80,443 198.18.0.0/16" start="1795717530" version="7.93" xmloutputversion="1.05">\n`);
  await w(`<scaninfo type="syn" protocol="tcp" numservices="3" services="22,80,443"/>\n<verbose level="0"/>\n<debugging level="0"/>\n`);
  const svc = { 22: "ssh", 80: "http", 443: "https" };
  for (let i = 0; i < HOSTS; i++) {
    const addr = `198.18.${i >> 8}.${i & 255}`;
    let ports = "";
    for (const p of [22, 80, 443]) {
      // A varied mix so filters and colours have something to show: every third host has 443 closed.
      const state = p === 443 && i % 3 === 0 ? "closed" : "open";
      const reason = state === "open" ? "syn-ack" : "reset";
      ports += `<port protocol="tcp" portid="${p}"><state state="${state}" reason="${reason}" reason_ttl="64"/><service name="${svc[p]}" method="table" conf="3"/></port>\n`;
    }
    await w(
      `<host starttime="1795717530" endtime="1795717531"><status state="up" reason="echo-reply" reason_ttl="64"/>\n<address addr="${addr}" addrtype="ipv4"/>\n<hostnames>\n<hostname name="host-${i}.lab.example" type="PTR"/>\n</hostnames>\n<ports>${ports}</ports>\n<times srtt="500" rttvar="100" to="100000"/>\n</host>\n`,
    );
  }
  await w(`<runstats><finished time="1795717600" timestr="" summary="" elapsed="70.00" exit="success"/><hosts up="${HOSTS}" down="0" total="${HOSTS}"/>\n</runstats>\n</nmaprun>\n`);
  await new Promise((r) => out.end(r));
}

const file = join(process.env.HOME, "bench-65536.xml");
await writeReport(file);
log(`${HOSTS} hosts, ${(statSync(file).size / 1e6).toFixed(1)} MB of XML`);

const { base, stop } = await startDriver(DRIVER, PORT);
const results = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    // A fresh window each run: the app opens the file named on its command line at start.
    const s = await Session.start(base, { browserName: "wry", "tauri:options": { application: APP, args: [file] } });
    try {
      const m = await s.until("the first screen", 120_000, () =>
        s.exec(`const f = performance.getEntriesByName("open:first-screen")[0];
                const r = performance.getEntriesByName("open:read")[0];
                return f ? { first: f.duration, read: r.duration, sinceStart: f.startTime + f.duration,
                             rows: document.querySelectorAll('[aria-label="Hosts"] [role="option"]').length } : null;`),
      100);
      // Every host in (the rest arrives one chunk per frame after the first screen).
      const all = await s.until("every host", 120_000, () =>
        s.exec(`const a = performance.getEntriesByName("open:all")[0]; return a ? a.duration : null;`),
      100);
      // The window's own frame rate with nothing to do, for scale: under Xvfb WebKit paints in software.
      const idle = await s.cmd("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1]; const gaps = []; let last = 0;
          function f(n) { if (last) gaps.push(n - last); last = n; if (gaps.length < 60) requestAnimationFrame(f); else done(gaps); }
          requestAnimationFrame(f);`,
        args: [],
      });
      const idleFps = +(1000 / (idle.reduce((a, b) => a + b, 0) / idle.length)).toFixed(1);
      // Scroll the host list from top to bottom in 3 s, one step per frame, and record every frame's time.
      const frames = await s.cmd("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1];
          const vp = document.querySelector('[aria-label="Hosts"] .viewport') ?? document.querySelector('.viewport');
          const total = vp.scrollHeight - vp.clientHeight; const t0 = performance.now(); let last = t0; const gaps = [];
          function step(now) { gaps.push(now - last); last = now; const k = Math.min(1, (now - t0) / 3000);
            vp.scrollTop = k * total; vp.dispatchEvent(new Event("scroll"));
            if (k < 1) requestAnimationFrame(step); else done({ gaps: gaps.slice(1), top: vp.scrollTop, total,
              rows: document.querySelectorAll('[aria-label="Hosts"] [role="option"]').length,
              lastHost: [...document.querySelectorAll('[aria-label="Hosts"] [role="option"]')].pop()?.textContent }); }
          requestAnimationFrame((n) => { last = n; requestAnimationFrame(step); });`,
        args: [],
      });
      const g = frames.gaps.sort((a, b) => a - b);
      const pct = (q) => g[Math.min(g.length - 1, Math.floor(q * g.length))];
      const r = {
        run,
        read_ms: Math.round(m.read),
        first_screen_ms: Math.round(m.first),
        all_hosts_ms: Math.round(all),
        since_window_start_ms: Math.round(m.sinceStart),
        host_rows_in_dom: m.rows,
        scroll_frames: g.length,
        idle_fps: idleFps,
        fps: +(1000 / (g.reduce((a, b) => a + b, 0) / g.length)).toFixed(1),
        frame_p50_ms: +pct(0.5).toFixed(1),
        frame_p95_ms: +pct(0.95).toFixed(1),
        frame_max_ms: +g[g.length - 1].toFixed(1),
        last_host: frames.lastHost,
      };
      results.push(r);
      log(JSON.stringify(r));
      if (run === 1) {
        const { writeFileSync } = await import("node:fs");
        writeFileSync(join(OUT, "bench-open-65536.png"), await s.screenshot());
      }
    } finally {
      await s.quit();
    }
  }
} finally {
  stop();
}
const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
log(`median of ${results.length}: first screen ${med("first_screen_ms")} ms (read ${med("read_ms")} ms), all hosts ${med("all_hosts_ms")} ms, scrolling ${med("fps")} fps (idle window ${med("idle_fps")} fps), p95 frame ${med("frame_p95_ms")} ms`);
