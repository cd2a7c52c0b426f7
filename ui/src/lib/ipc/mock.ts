// `Backend` for tests and the browser preview: replays recorded event streams (JSON lines from
// `portolan --stream-json`) instead of running the scanner, and records every call it gets.
import type { ScanEvent, ScanReport } from "./bindings";
import { DEFAULT_SETTINGS } from "./backend";
import { normalText } from "../normal";
import type { LayoutKind, MapView } from "../map/types";
import type {
  Backend,
  IpcError,
  OpenSink,
  ParseResult,
  SaveFormat,
  ScanCallbacks,
  Settings,
  Comparison,
  ScanSummary,
  SearchResults,
  ScanExit,
  XmlSource,
  UserProfile,
  BuiltinProfileRef,
  ProfileImport,
} from "./backend";

/** Parses `--stream-json` output (one event per line); names the line of anything that is not an event. */
export function parseEventLines(text: string): ScanEvent[] {
  const out: ScanEvent[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`line ${i + 1}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (typeof v !== "object" || v === null || typeof (v as { event?: unknown }).event !== "string") {
      throw new Error(`line ${i + 1}: not a scan event`);
    }
    out.push(v as ScanEvent);
  });
  return out;
}

export interface Recording {
  events: ScanEvent[];
  /** How the helper ended after the last event; a clean exit by default. */
  exit?: Partial<ScanExit>;
}

export interface MockOptions {
  parse?: (args: string[]) => ParseResult | Promise<ParseResult>;
  /** The recording a scan with these arguments replays. */
  scan?: (args: string[]) => Recording;
  openXml?: (source: XmlSource) => ScanReport;
  /** What the Open dialog "picks": a path, or null for a cancelled dialog. */
  openDialogPath?: () => string | null;
  /** What the Save dialog "picks"; null for a cancelled dialog. */
  saveDialogPath?: (format: SaveFormat) => string | null;
  /** Files named on the app's command line. */
  startupFiles?: string[];
  /** The map `mapView` answers (the real one is laid out by Rust). */
  map?: (report: ScanReport, layout: LayoutKind) => MapView;
  /** The stored scans and their reports, newest first, for the history calls. */
  history?: { summary: ScanSummary; report: ScanReport }[];
  /** Stands in for `portolan diff` of two stored scans. */
  compare?: (a: number, b: number) => Comparison;
  /** Stands in for the history's search language. */
  search?: (query: string, limit: number) => SearchResults;
  /** Stands in for `portolan history import` (throw an IpcError to refuse); by default every file imports. */
  importFiles?: (paths: string[]) => string;
  /** Stands in for `portolan diff FILE1 FILE2`. */
  compareFiles?: (a: string, b: string) => Comparison;
  /** The user's own profiles at start. */
  profiles?: UserProfile[];
  /**
   * Stands in for the Open dialog and the Rust import of Zenmap's profile file: null for a cancelled dialog.
   * The profiles it reports imported are stored as `profileSave` would store them.
   */
  importUsp?: (builtins: BuiltinProfileRef[]) => ProfileImport | null;
  /** Refuses settings the real side would refuse. */
  checkSettings?: (s: Settings) => IpcError | null;
  /**
   * `manual`: events are delivered only by `pump()`, so a test can look at the screen between any two.
   * A number: events per batch, one batch per macrotask, until the recording ends.
   */
  replay?: "manual" | number;
}

interface Running {
  id: string;
  recording: Recording;
  next: number;
  callbacks: ScanCallbacks;
  done: boolean;
}

const unavailable: IpcError = { code: "unavailable", message: "the preview has no scanner: run the desktop app" };

export class MockBackend implements Backend {
  readonly parseCalls: string[][] = [];
  readonly startCalls: string[][] = [];
  readonly cancelCalls: string[] = [];
  readonly saved: { report: ScanReport; format: SaveFormat; path: string }[] = [];
  private scans = new Map<string, Running>();
  private counter = 0;

  constructor(private readonly opts: MockOptions = {}) {}

  async parsePlan(args: string[]): Promise<ParseResult> {
    this.parseCalls.push([...args]);
    if (!this.opts.parse) return { ok: false, error: unavailable };
    return this.opts.parse(args);
  }

  async startScan(args: string[], callbacks: ScanCallbacks): Promise<string> {
    this.startCalls.push([...args]);
    if (!this.opts.scan) throw unavailable;
    const id = `mock-${++this.counter}`;
    const run: Running = { id, recording: this.opts.scan(args), next: 0, callbacks, done: false };
    this.scans.set(id, run);
    const replay = this.opts.replay ?? 50;
    if (replay !== "manual") {
      const tick = () => {
        if (run.done) return;
        this.deliver(run, replay);
        if (!run.done) setTimeout(tick, 0);
      };
      setTimeout(tick, 0);
    }
    return id;
  }

  /** Delivers up to `n` more events of a running scan (all scans when no id is given); ends it when its recording is exhausted. */
  pump(n = Infinity, id?: string): void {
    for (const run of this.scans.values()) {
      if (id === undefined || run.id === id) this.deliver(run, n);
    }
  }

  private deliver(run: Running, n: number): void {
    const evs = run.recording.events;
    for (let k = 0; k < n && run.next < evs.length && !run.done; k++) {
      run.callbacks.onEvent(evs[run.next++] as ScanEvent);
    }
    if (run.next >= evs.length && !run.done) {
      run.done = true;
      const completed = evs.some((e) => e.event === "finished");
      run.callbacks.onExit({ code: 0, signal: null, interrupted: !completed, stderr: "", ...run.recording.exit });
    }
  }

  async cancelScan(id: string): Promise<void> {
    this.cancelCalls.push(id);
    const run = this.scans.get(id);
    if (!run) throw { code: "no_such_scan", message: `no running scan with id ${id}` } satisfies IpcError;
    if (run.done) return;
    run.done = true;
    // What the Tauri side reports for a helper stopped by SIGTERM.
    setTimeout(() => run.callbacks.onExit({ code: null, signal: 15, interrupted: true, stderr: "" }), 0);
  }

  async openXml(source: XmlSource, sink: OpenSink): Promise<void> {
    if (!this.opts.openXml) throw unavailable;
    const report = this.opts.openXml(source);
    sink.start({ ...report, hosts: [] }, report.hosts.length);
    // Chunked like the Rust side: a screenful first, then the rest.
    for (let i = 0; i < report.hosts.length; i = i === 0 ? 200 : i + 8192) {
      sink.hosts(report.hosts.slice(i, i === 0 ? 200 : i + 8192));
    }
  }

  /** The preview's stand-in for Rust's writers: the normal layout only (ui/src/lib/normal.ts). */
  async renderReport(report: ScanReport, format: SaveFormat): Promise<string> {
    if (format !== "normal") throw unavailable;
    return normalText(report);
  }

  async saveReport(report: ScanReport, format: SaveFormat, path: string): Promise<void> {
    this.saved.push({ report, format, path });
  }

  async pickXmlFile(): Promise<string | null> {
    return this.opts.openDialogPath ? this.opts.openDialogPath() : null;
  }

  async saveReportDialog(report: ScanReport, format: SaveFormat): Promise<string | null> {
    const path = this.opts.saveDialogPath ? this.opts.saveDialogPath(format) : null;
    if (path === null) return null;
    await this.saveReport(report, format, path);
    return path;
  }

  settings: Settings = { ...DEFAULT_SETTINGS };

  async getSettings(): Promise<Settings> {
    return { ...this.settings };
  }

  async setSettings(settings: Settings): Promise<Settings> {
    const bad = this.opts.checkSettings?.(settings);
    if (bad) throw bad;
    this.settings = { ...settings };
    return { ...this.settings };
  }

  async startupFiles(): Promise<string[]> {
    return [...(this.opts.startupFiles ?? [])];
  }

  readonly mapCalls: LayoutKind[] = [];
  readonly savedMaps: string[] = [];

  async mapView(report: ScanReport, layout: LayoutKind): Promise<MapView> {
    this.mapCalls.push(layout);
    if (!this.opts.map) throw unavailable;
    return this.opts.map(report, layout);
  }

  async saveMap(
    exp: { format: "svg"; report: ScanReport; layout: LayoutKind } | { format: "png"; bytes: number[] },
  ): Promise<string | null> {
    this.savedMaps.push(exp.format);
    return `/tmp/map.${exp.format}`;
  }

  readonly deleted: number[] = [];
  readonly imported: string[][] = [];

  private stored(): { summary: ScanSummary; report: ScanReport }[] {
    return (this.opts.history ?? []).filter((h) => !this.deleted.includes(h.summary.id));
  }

  async historyList(limit: number, offset: number): Promise<ScanSummary[]> {
    return this.stored()
      .slice(offset, offset + limit)
      .map((h) => h.summary);
  }

  async historySearch(query: string, limit: number): Promise<SearchResults> {
    if (!this.opts.search) throw unavailable;
    return this.opts.search(query, limit);
  }

  async historyOpen(id: number): Promise<ScanReport> {
    const h = this.stored().find((x) => x.summary.id === id);
    if (!h) throw { code: "history", message: `portolan history: no scan with id ${id}` } satisfies IpcError;
    return h.report;
  }

  async historyDelete(id: number): Promise<void> {
    this.deleted.push(id);
  }

  async historyCompare(a: number, b: number): Promise<Comparison> {
    if (!this.opts.compare) throw unavailable;
    return this.opts.compare(a, b);
  }

  async historyImport(paths: string[]): Promise<string> {
    this.imported.push([...paths]);
    if (this.opts.importFiles) return this.opts.importFiles(paths);
    return paths.map((p, i) => `imported ${p} as scan ${100 + i}`).join("\n");
  }

  readonly comparedFiles: [string, string][] = [];

  async historyCompareFiles(a: string, b: string): Promise<Comparison> {
    this.comparedFiles.push([a, b]);
    if (!this.opts.compareFiles) throw unavailable;
    return this.opts.compareFiles(a, b);
  }

  private dropHandlers = new Set<(paths: string[]) => void>();

  async onFileDrop(handler: (paths: string[]) => void): Promise<() => void> {
    this.dropHandlers.add(handler);
    return () => void this.dropHandlers.delete(handler);
  }

  /** Simulates files dropped on the window (what Tauri's drag-drop event delivers); false when nobody listens. */
  drop(paths: string[]): boolean {
    for (const h of [...this.dropHandlers]) h([...paths]);
    return this.dropHandlers.size > 0;
  }

  /** The user's profiles in memory; the checks and messages follow src-tauri/src/profiles.rs. */
  private ownProfiles: UserProfile[] | null = null;
  get profiles(): UserProfile[] {
    // Made on first use: field initialisers may run before `opts` is set.
    this.ownProfiles ??= (this.opts.profiles ?? []).map((p) => ({ ...p }));
    return this.ownProfiles;
  }

  async profilesList(): Promise<UserProfile[]> {
    return this.profiles.map((p) => ({ ...p }));
  }

  async profileSave(name: string, description: string, args: string): Promise<UserProfile> {
    [name, description, args] = [name.trim(), description.trim(), args.trim()];
    const refuse = (message: string): never => {
      throw { code: "bad_profile", message } satisfies IpcError;
    };
    const len = (t: string) => [...t].length;
    if (name === "") refuse("a profile needs a name");
    if (len(name) > 100) refuse(`the name is ${len(name)} characters long; at most 100 are allowed`);
    if (len(args) > 4096) refuse(`the command line is ${len(args)} characters long; at most 4096 are allowed`);
    for (const [what, text] of [["name", name], ["description", description], ["command line", args]] as const) {
      const at = [...text].findIndex((c) => /\p{Cc}/u.test(c));
      if (at >= 0) {
        const code = (text.codePointAt([...text].slice(0, at).join("").length) ?? 0).toString(16).toUpperCase().padStart(4, "0");
        refuse(`the ${what} contains a control character (U+${code}) at character ${at + 1}`);
      }
    }
    const old = this.profiles.find((p) => p.name === name);
    if (old) {
      Object.assign(old, { description, args });
      return { ...old };
    }
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "profile";
    let id = `user-${slug}`;
    for (let n = 2; this.profiles.some((p) => p.id === id); n++) id = `user-${slug}-${n}`;
    const p = { id, name, description, args };
    this.profiles.push(p);
    return { ...p };
  }

  async profileDelete(id: string): Promise<void> {
    const at = this.profiles.findIndex((p) => p.id === id);
    if (at < 0) throw { code: "bad_profile", message: `there is no profile of yours with id ${id}` } satisfies IpcError;
    this.profiles.splice(at, 1);
  }

  readonly importBuiltins: BuiltinProfileRef[][] = [];

  async profilesImportUsp(builtins: BuiltinProfileRef[]): Promise<ProfileImport | null> {
    this.importBuiltins.push(builtins);
    if (!this.opts.importUsp) return null;
    const r = this.opts.importUsp(builtins);
    if (r === null) return null;
    for (const i of r.imported) i.profile = await this.profileSave(i.profile.name, i.profile.description, i.profile.args);
    return r;
  }

  async profilesImportUspPath(_path: string, builtins: BuiltinProfileRef[]): Promise<ProfileImport> {
    const r = await this.profilesImportUsp(builtins);
    if (r === null) throw unavailable;
    return r;
  }
}
