// Checks on the source itself: the CSP is strict, and no component can render a string as HTML.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("web view hardening", () => {
  it("index.html carries a strict CSP", () => {
    const html = readFileSync(join(process.cwd(), "index.html"), "utf8");
    const m = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/);
    expect(m).not.toBeNull();
    const policy = new Map(
      m![1]!.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values] as const;
      }),
    );
    expect(policy.get("default-src")).toEqual(["'self'"]);
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("style-src")).toEqual(["'self'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(m![1]).not.toMatch(/unsafe-|data:|blob:|\*/);
    // No inline script in the page itself.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("no component renders HTML from a string, evaluates code, or sets inline style attributes", () => {
    const src = files(join(process.cwd(), "src")).filter((f) => /\.(svelte|ts)$/.test(f) && !f.includes("bindings"));
    expect(src.length).toBeGreaterThan(5);
    for (const f of src) {
      const text = readFileSync(f, "utf8");
      expect(text, f).not.toMatch(/\{@html/);
      expect(text, f).not.toMatch(/\binnerHTML\b|outerHTML|insertAdjacentHTML|\beval\(|new Function\(/);
      // style="..." attributes are inline styles the CSP refuses; style: directives go through CSSOM.
      expect(text, f).not.toMatch(/\sstyle="/);
    }
  });
});
