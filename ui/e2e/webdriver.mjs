// A minimal W3C WebDriver client over fetch (Node 20), enough to drive the real Tauri window through
// tauri-driver and WebKitWebDriver. Every wait is bounded and names what it waited for when it gives up.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriverError extends Error {}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, capabilities) {
    const r = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, r.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async quit() {
    await this.cmd("DELETE", "").catch(() => {});
  }

  /** Runs `body` (a function body; `arguments` holds `args`) in the page and returns its result. */
  exec(body, ...args) {
    return this.cmd("POST", "/execute/sync", { script: body, args });
  }

  async find(css) {
    const r = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return elementId(r, css);
  }

  async findAll(css) {
    const r = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return r.map((e) => elementId(e, css));
  }

  /** The first element whose visible text contains `text`, among those matching `css`. */
  async findByText(css, text) {
    const all = await this.findAll(css);
    for (const el of all) {
      if ((await this.text(el)).includes(text)) return el;
    }
    throw new WebDriverError(`no ${css} with text ${JSON.stringify(text)}`);
  }

  click(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  /**
   * Clicks the element matching `css` (and containing `text`, if given) once it is enabled: a click on a
   * disabled button is silently lost (a busy view disables its buttons for a moment), which once failed a
   * test under load.
   */
  async clickEnabled(css, text = null, ms = 15_000) {
    const el = await this.until(`an enabled ${css}${text === null ? "" : ` "${text}"`}`, ms, async () => {
      const e = text === null ? await this.find(css) : await this.findByText(css, text);
      return (await this.cmd("GET", `/element/${e}/enabled`)) ? e : null;
    });
    return this.click(el);
  }

  text(el) {
    return this.cmd("GET", `/element/${el}/text`);
  }

  /** Types into a field, replacing what it held (select all, then type). */
  async replaceText(el, text) {
    await this.click(el);
    await this.cmd("POST", `/element/${el}/value`, { text: "\uE009a\uE000\uE003" });
    await this.cmd("POST", `/element/${el}/value`, { text });
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Polls `probe` (an async function) until it returns a truthy value; gives up after `ms`. */
  async until(what, ms, probe, every = 50) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
      try {
        last = await probe();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await sleep(every);
    }
    throw new WebDriverError(`timed out after ${ms} ms waiting for ${what} (last: ${String(last)})`);
  }
}

function elementId(r, css) {
  const id = r && (r[ELEMENT] ?? r.ELEMENT);
  if (typeof id !== "string") throw new WebDriverError(`no element id for ${css} in ${JSON.stringify(r)}`);
  return id;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function request(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? res.status} ${v.message ?? ""}`.trim());
  }
  return json.value;
}

/**
 * Starts tauri-driver on `port` (and WebKitWebDriver on the next one) and waits, at most 20 s, until it
 * answers. Returns its base URL and a `stop` that ends it.
 */
export async function startDriver(driverPath, port, stderr = "inherit") {
  const { spawn } = await import("node:child_process");
  const driver = spawn(driverPath, ["--port", String(port), "--native-port", String(port + 1)], {
    stdio: ["ignore", "ignore", stderr],
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = () => driver.kill("SIGTERM");
  const end = Date.now() + 20_000;
  while (!(await fetch(`${base}/status`).then((r) => r.ok, () => false))) {
    if (Date.now() > end) {
      stop();
      throw new WebDriverError("tauri-driver did not answer within 20 s");
    }
    await sleep(100);
  }
  return { base, stop };
}
