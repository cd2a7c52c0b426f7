import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ParsedPlan, ParseResult } from "../src/lib/ipc/backend";
import type { ScanEvent, ScanReport } from "../src/lib/ipc/bindings";
import { LiveFold } from "../src/lib/fold";
import { parseEventLines } from "../src/lib/ipc/mock";

export function fixture(name: string): string {
  // Vitest runs from ui/ (jsdom gives modules no file: URL to resolve against).
  return readFileSync(join(process.cwd(), "tests", "fixtures", name), "utf8");
}

/** The recorded `portolan --stream-json -p 18000-19000,31337 127.0.0.1` run (see fixtures/record-loopback.sh). */
export function recordedScan(): ScanEvent[] {
  return parseEventLines(fixture("loopback-scan.jsonl"));
}

/** The recorded scan folded into a report. */
export function recordedReport(): ScanReport {
  const f = new LiveFold();
  for (const e of recordedScan()) f.push(e);
  return f.snapshot();
}

/** What `portolan --parse-only` printed for the recorded command. */
export function recordedPlan(): ParsedPlan {
  return JSON.parse(fixture("parse-only.json")) as ParsedPlan;
}

/**
 * Stands in for `portolan --parse-only`: refuses words starting with `--bogus` the way the CLI refuses an
 * unknown option, else answers with the recorded plan and the given words as the canonical command line.
 */
export function fakeParse(args: string[]): ParseResult {
  const bad = args.find((a) => a.startsWith("--bogus"));
  if (bad) return { ok: false, error: { code: "usage", message: `portolan: unrecognized option '${bad}'` } };
  const value: ParsedPlan = {
    plan: recordedPlan().plan,
    command_line: args,
    raw_privileges: true,
    privileges_note: null,
    notices: [],
    blocked: null,
  };
  return { ok: true, value };
}

const NOTE = "raw-packet scans need privileges: not root and without CAP_NET_RAW. Run as root, or grant the capabilities once: sudo setcap cap_net_raw,cap_net_admin+eip /usr/bin/portolan";

/**
 * `fakeParse` for a scanner without raw privileges, with the CLI's wording (tests/e2e/cli_errors.rs checks
 * the real binary's): a SYN scan falls back to connect, a UDP scan is blocked.
 */
export function fakeParseUnprivileged(args: string[]): ParseResult {
  const r = fakeParse(args);
  if (!r.ok) return r;
  const v: ParsedPlan = { ...r.value, raw_privileges: false, privileges_note: NOTE };
  if (args.some((a) => /^-s[A-Za-z]*U/.test(a))) v.blocked = `-sU needs raw-packet privileges, which this process lacks (${NOTE}).`;
  else if (args.some((a) => /^-s[A-Za-z]*S/.test(a))) v.notices = [`-sS needs raw-packet privileges (${NOTE}); falling back to a connect scan (-sT).`];
  return { ok: true, value: v };
}
