// Benchmark (not a test): the Map tab with a 10,000-node network in the real app window. A made-up traced
// scan (lab addresses; one gateway, 20 routers behind it, 100 behind those, every tenth path crossing a
// silent hop) is opened from the command line; the figures are the time from pressing the Map tab to the
// first frame painted with the map (Rust lays it out, the canvas draws it), and frame times while panning
// (one arrow-key step per frame, each a full redraw). Run through tools/window-test:
//   tools/window-test APP CLI TAURI_DRIVER OUT bench-map.mjs
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session, startDriver } from "./webdriver.mjs";

const APP = process.env.APP;
const DRIVER = process.env.DRIVER;
const OUT = process.env.OUT;
const NODES = 10_000;
const RUNS = 3;
const PORT = 4444;
const log = (...a) => console.log("[bench-map]", ...a);

async function writeReport(file) {
  const out = createWriteStream(file);
  const w = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once("drain", r)));
  await w(`<?xml version="1.0" encoding="UTF-8"?>\n<nmaprun scanner="nmap" args="nmap -sn --traceroute 198.19.0.0/16" start="1795717530" version="7.93" xmloutputversion="1.05">\n`);
  const hosts = NODES - (1 + 1 + 20 + 100 + 10);
  for (let i = 0; i < hosts; i++) {
    const r2 = i % 20;
    const r3 = i % 100;
    const target = `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const silent = r3 % 10 === 0;
    const base = silent ? 4 : 3;
    const hops = [
      `<hop ttl="1" ipaddr="198.18.0.1" rtt="0.10"/>`,
      `<hop ttl="2" ipaddr="198.18.1.${r2 + 1}" rtt="0.20"/>`,
      `<hop ttl="${base}" ipaddr="198.18.2.${r3 + 1}" rtt="0.30" host="r${r3}.lab"/>`,
      `<hop ttl="${base + 1}" ipaddr="${target}" rtt="0.40"/>`,
    ];
    await w(
      `<host><status state="up" reason="echo-reply" reason_ttl="60"/>\n<address addr="${target}" addrtype="ipv4"/>\n<trace proto="icmp">\n${hops.join("\n")}\n</trace>\n</host>\n`,
    );
  }
  await w(`<runstats><finished time="1795717600" timestr="" summary="" elapsed="70.00" exit="success"/><hosts up="${hosts}" down="0" total="${hosts}"/>\n</runstats>\n</nmaprun>\n`);
  await new Promise((r) => out.end(r));
}

const file = join(process.env.HOME, "bench-map.xml");
await writeReport(file);
const { base, stop } = await startDriver(DRIVER, PORT);
const results = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const s = await Session.start(base, { browserName: "wry", "tauri:options": { application: APP, args: [file] } });
    try {
      await s.until("the scan to open", 120_000, async () =>
        (await s.exec('return document.querySelector("[data-testid=scan-status]")?.textContent ?? ""')).includes("Opened"),
      );
      const first = await s.cmd("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1]; const t0 = performance.now();
          document.querySelector("#tab-map").click();
          (function wait() {
            const c = document.querySelector("[data-testid=map-canvas]");
            if (c && c.dataset.nodes) requestAnimationFrame(() => requestAnimationFrame(() =>
              done({ ms: performance.now() - t0, nodes: Number(c.dataset.nodes), edges: Number(c.dataset.edges) })));
            else setTimeout(wait, 5);
          })();`,
        args: [],
      });
      if (run === 1) writeFileSync(join(OUT, "bench-map-10k.png"), await s.screenshot());
      const pan = await s.cmd("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1]; const c = document.querySelector("[data-testid=map-canvas]");
          c.focus(); const gaps = []; let last = 0; const t0 = performance.now();
          function step(now) { if (last) gaps.push(now - last); last = now;
            c.dispatchEvent(new KeyboardEvent("keydown", { key: now % 2000 < 1000 ? "ArrowRight" : "ArrowLeft", bubbles: true }));
            if (now - t0 < 3000) requestAnimationFrame(step); else done(gaps); }
          requestAnimationFrame(step);`,
        args: [],
      });
      const g = pan.sort((a, b) => a - b);
      const r = {
        run,
        nodes: first.nodes,
        edges: first.edges,
        first_map_ms: Math.round(first.ms),
        pan_fps: +(1000 / (g.reduce((a, b) => a + b, 0) / g.length)).toFixed(1),
        frame_p50_ms: +g[Math.floor(g.length / 2)].toFixed(1),
        frame_p95_ms: +g[Math.floor(g.length * 0.95)].toFixed(1),
      };
      results.push(r);
      log(JSON.stringify(r));
    } finally {
      await s.quit();
    }
  }
} finally {
  stop();
}
const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
log(`median of ${results.length}: ${med("nodes")} nodes, first map ${med("first_map_ms")} ms, panning ${med("pan_fps")} fps (p95 frame ${med("frame_p95_ms")} ms)`);
