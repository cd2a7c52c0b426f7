import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ParsedPlan, ParseResult } from "../src/lib/ipc/backend";
import type { ScanEvent } from "../src/lib/ipc/bindings";
import { parseEventLines } from "../src/lib/ipc/mock";

export function fixture(name: string): string {
  // Vitest runs from ui/ (jsdom gives modules no file: URL to resolve against).
  return readFileSync(join(process.cwd(), "tests", "fixtures", name), "utf8");
}

/** The recorded `portolan --stream-json -p 18000-19000,31337 127.0.0.1` run (see fixtures/record-loopback.sh). */
export function recordedScan(): ScanEvent[] {
  return parseEventLines(fixture("loopback-scan.jsonl"));
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
  return { ok: true, value: { plan: recordedPlan().plan, command_line: args } };
}
