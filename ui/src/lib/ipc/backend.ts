// The one seam between the UI and Rust. Components receive a `Backend` and never import Tauri themselves, so
// tests run them against `MockBackend` and the app against `TauriBackend`.
import type { HostReport, ScanEvent, ScanPlan, ScanReport } from "./bindings";
import type { LayoutKind, MapView } from "../map/types";

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
  /** Whether the scanner binary may send raw packets (root, or CAP_NET_RAW on Linux). */
  raw_privileges: boolean;
  /** Without raw privileges: what is missing and how to grant it. */
  privileges_note: string | null;
  /** What the scan will do differently, e.g. a SYN scan falling back to a connect scan. */
  notices: string[];
  /** Why this scan cannot run with the scanner's privileges; such a scan is not started. */
  blocked: string | null;
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

export type SaveFormat = "xml" | "json" | "normal" | "csv" | "html" | "markdown";

/** Where a saved report comes from: a file on disk, or text already read (drag and drop, tests). */
export type XmlSource = { path: string } | { text: string };

/** Receives a report being opened: first the report without hosts, then its hosts in chunks, in order. */
export interface OpenSink {
  start(report: ScanReport, totalHosts: number): void;
  hosts(hosts: HostReport[]): void;
}

/** One scan in the history (src-tauri/src/history.rs `ScanSummary`, the CLI's `history list --json`). */
export interface ScanSummary {
  id: number;
  scanner: string;
  version: string;
  args: string;
  profile: string | null;
  /** Unix seconds. */
  started: number;
  ended: number | null;
  status: string;
  source: string;
  source_file: string | null;
  hosts_up: number;
  hosts_down: number;
  hosts_total: number;
  open_ports: number;
}

/** A host a history search found. */
export interface HostHit {
  scan_id: number;
  host_id: number;
  ip: string | null;
  state: string;
  hostnames: string[];
  /** "22/tcp" */
  open_ports: string[];
  scan_started: number;
  /** The services on the open ports (those with one), as the store has them. */
  services?: ServiceHit[];
}

/** The service on one open port of a search hit (crates/store `ServiceHit`). */
export interface ServiceHit {
  port: number;
  protocol: string;
  name: string;
  product: string | null;
  version: string | null;
  extra_info: string | null;
}

export interface SearchResults {
  scans: ScanSummary[];
  hosts: HostHit[];
  /** More matched than the limit allowed. */
  truncated: boolean;
}

/** One change `portolan diff --json` reports for a host (crates/report/src/diff.rs `Change`, tagged by `kind`). */
export interface DiffChange {
  kind: string;
  protocol?: string;
  port?: number;
  id?: string;
  from?: unknown;
  to?: unknown;
  added?: unknown[];
  removed?: unknown[];
  state?: string;
}

/** Two scans compared: the diff's JSON and its text, which is what `portolan diff` prints. */
export interface Comparison {
  json: {
    a: { args: string; start: number; scanner: string };
    b: { args: string; start: number; scanner: string };
    hosts: { id: string; changes?: DiffChange[] }[];
  };
  text: string;
}

export type Theme = "system" | "light" | "dark";

/** The user's settings (src-tauri/src/settings.rs). */
export interface Settings {
  theme: Theme;
  /** Nmap's data directory, opted into by the user; the Scan view then adds `--datadir DIR`. */
  nmap_datadir: string | null;
  /** The profile the Scan view starts with. */
  default_profile: string | null;
  /** The first-run note (scan only what you may scan) was dismissed. */
  first_run_done: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  theme: "system",
  nmap_datadir: null,
  default_profile: null,
  first_run_done: false,
};

/** A profile of the user's own (src-tauri/src/profiles.rs `UserProfile`); `args` without program and target. */
export interface UserProfile {
  id: string;
  name: string;
  description: string;
  args: string;
}

/** A profile as the window's built-in list has it: an imported profile identical to one is not stored twice. */
export interface BuiltinProfileRef {
  name: string;
  args: string;
}

/** What importing Zenmap's `scan_profile.usp` did: profiles stored (each perhaps refused by the parser) and skipped. */
export interface ProfileImport {
  path: string;
  imported: { profile: UserProfile; problem: string | null; note: string | null }[];
  skipped: { name: string; line: number; reason: string }[];
}

export interface Backend {
  /** Validates `args` (without the program name) with the CLI's own parser. Never throws. */
  parsePlan(args: string[]): Promise<ParseResult>;
  /** Starts `portolan --stream-json <args>`; events arrive through `callbacks`. Resolves to the scan's id. */
  startScan(args: string[], callbacks: ScanCallbacks): Promise<string>;
  /** Asks the helper to stop (signal, then kill after a grace period). Its `exit` still arrives. */
  cancelScan(id: string): Promise<void>;
  /**
   * Reads an XML file written by Nmap or Portolan into `sink` (the first screen's hosts arrive first, the rest
   * in chunks). Resolves when every host was delivered; rejects, before `start`, for a file that is not a report.
   */
  openXml(source: XmlSource, sink: OpenSink): Promise<void>;
  /** `report` as text in one of the CLI's output formats, by the CLI's own writers. */
  renderReport(report: ScanReport, format: SaveFormat): Promise<string>;
  /** Writes `report` to `path` in one of the CLI's output formats. */
  saveReport(report: ScanReport, format: SaveFormat, path: string): Promise<void>;
  /** The native Open dialog: the path chosen, or `null` when the user cancels. */
  pickXmlFile(): Promise<string | null>;
  /** The native Save dialog, then `saveReport`. The path written, or `null` when the user cancels. */
  saveReportDialog(report: ScanReport, format: SaveFormat): Promise<string | null>;
  getSettings(): Promise<Settings>;
  /** Checks and stores the settings; resolves to what was stored. */
  setSettings(settings: Settings): Promise<Settings>;
  /** Files named on the app's command line, to open at start. */
  startupFiles(): Promise<string[]>;
  /** The report's topology map, laid out by Rust (`radial` rings by hop count, or `force`). */
  mapView(report: ScanReport, layout: LayoutKind): Promise<MapView>;
  /** The Save dialog, then the map as SVG (drawn by Rust) or as the PNG bytes the window drew. */
  saveMap(
    exp: { format: "svg"; report: ScanReport; layout: LayoutKind } | { format: "png"; bytes: number[] },
  ): Promise<string | null>;
  /** Stored scans, newest first: `limit` after skipping `offset`. */
  historyList(limit: number, offset: number): Promise<ScanSummary[]>;
  /** Hosts and scans matching a query in the history's search language (`service:ssh open:22`). */
  historySearch(query: string, limit: number): Promise<SearchResults>;
  historyOpen(id: number): Promise<ScanReport>;
  historyDelete(id: number): Promise<void>;
  /** Compares two stored scans (ids) as `portolan diff` does. */
  historyCompare(a: number, b: number): Promise<Comparison>;
  /** Imports Nmap XML or Portolan JSON files into the history; the import's summary. */
  historyImport(paths: string[]): Promise<string>;
  /** Compares two report files (Nmap XML, Portolan XML or JSON) as `portolan diff FILE1 FILE2` does. */
  historyCompareFiles(a: string, b: string): Promise<Comparison>;
  /**
   * Calls `handler` with the paths of files dropped on the window, until the returned function is called.
   * Several handlers may listen at once.
   */
  onFileDrop(handler: (paths: string[]) => void): Promise<() => void>;
  /** The user's own profiles, in the order they were created. */
  profilesList(): Promise<UserProfile[]>;
  /** Creates a profile, or replaces the one with the same name; rejects (code `bad_profile`) with the reason. */
  profileSave(name: string, description: string, args: string): Promise<UserProfile>;
  profileDelete(id: string): Promise<void>;
  /** The Open dialog, then the import of Zenmap's profile file; `null` when the user cancels. */
  profilesImportUsp(builtins: BuiltinProfileRef[]): Promise<ProfileImport | null>;
  /** The import of Zenmap's profile file at `path`. */
  profilesImportUspPath(path: string, builtins: BuiltinProfileRef[]): Promise<ProfileImport>;
}
