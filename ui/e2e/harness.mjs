// What the real-window scripts share: their settings from tools/window-test, screenshots of what is painted,
// and loopback listeners to scan.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { sleep } from "./webdriver.mjs";

/** A setting tools/window-test passes; a clear error when the script is run some other way. */
export function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run through tools/window-test)`);
  return v;
}

/**
 * Returns `shot(session, name)`, which saves `OUT/PREFIXNN-name.png` (NN counts up) and logs it. The
 * screenshot is of the last frame painted, so it first waits for two frames and a moment: taken at once, it
 * showed the step before.
 */
export function screenshots(out, prefix, log) {
  mkdirSync(out, { recursive: true });
  let step = 0;
  return async (s, name) => {
    await s.cmd("POST", "/execute/async", {
      script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    await sleep(400);
    const file = join(out, `${prefix}${String(++step).padStart(2, "0")}-${name}.png`);
    writeFileSync(file, await s.screenshot());
    log("screenshot", file);
  };
}

/**
 * A listener on 127.0.0.1:`port`. By default it closes each connection at once; `greet` is written on connect
 * (a banner) and the connection kept; `http` answers one request like a small web server.
 */
export function listen(port, { greet = null, http = false } = {}) {
  return new Promise((resolve, reject) => {
    const srv = createServer((sock) => {
      sock.on("error", () => {});
      sock.setTimeout(10_000, () => sock.destroy());
      if (greet) sock.write(greet);
      if (http) {
        sock.once("data", () =>
          sock.end("HTTP/1.1 200 OK\r\nServer: lab-httpd/1.0\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"),
        );
      } else if (!greet) sock.end();
    });
    srv.on("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}
