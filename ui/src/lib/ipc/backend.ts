// The one seam between the UI and Rust. Components receive a `Backend` and never import Tauri themselves, so
// tests run them against `MockBackend` and the app against `TauriBackend`.
import type { ScanEvent, ScanPlan, ScanReport } from "./bindings";

/** A typed error from the Rust side: a stable machine-readable code and a sentence for the user. */
export interface IpcError {
  code: string;
  message: string;
}

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** Turns anything thrown across the IPC boundary into an `IpcError`. */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  return { code: "internal", message: e instanceof Error ? e.message : String(e) };
}

/** What `portolan --parse-only` answers for a valid command line. */
export interface ParsedPlan {
  plan: ScanPlan;
  /** The canonical argument list (without the program name) that parses back to `plan`. */
  command_line: string[];
}

export type ParseResult = { ok: true; value: ParsedPlan } | { ok: false; error: IpcError };

/** How a scan's helper process ended. `interrupted` when it was cancelled or died before its `finished` event. */
export interface ScanExit {
  code: number | null;
  signal: number | null;
  interrupted: boolean;
  /** The helper's standard error (warnings, the reason it failed), as text. */
  stderr: string;
}

/** One message on a scan's channel, in order: events, then exactly one `exit`. */
export type ScanMessage = { kind: "event"; event: ScanEvent } | { kind: "exit"; exit: ScanExit };

export interface ScanCallbacks {
  onEvent(event: ScanEvent): void;
  onExit(exit: ScanExit): void;
}

export type SaveFormat = "xml" | "json" | "normal";

/** Where a saved report comes from: a file on disk, or text already read (drag and drop, tests). */
export type XmlSource = { path: string } | { text: string };

export interface Backend {
  /** Validates `args` (without the program name) with the CLI's own parser. Never throws. */
  parsePlan(args: string[]): Promise<ParseResult>;
  /** Starts `portolan --stream-json <args>`; events arrive through `callbacks`. Resolves to the scan's id. */
  startScan(args: string[], callbacks: ScanCallbacks): Promise<string>;
  /** Asks the helper to stop (signal, then kill after a grace period). Its `exit` still arrives. */
  cancelScan(id: string): Promise<void>;
  /** Reads an XML file written by Nmap or Portolan. */
  openXml(source: XmlSource): Promise<ScanReport>;
  /** Writes `report` to `path` in one of the CLI's output formats. */
  saveReport(report: ScanReport, format: SaveFormat, path: string): Promise<void>;
}
