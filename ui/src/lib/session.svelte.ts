// One scan as the window sees it: the helper's lifecycle plus the live fold of its events. Events are folded
// as they arrive, but the screen is told at most once per FLUSH_MS (`version` bumps), so a stream of 65,536
// port events costs a handful of re-renders instead of 65,536.
import { toIpcError, type Backend, type IpcError, type ScanExit } from "./ipc/backend";
import type { HostReport, ScanEvent, ScanReport } from "./ipc/bindings";
import { LiveFold } from "./fold";

export type SessionStatus = "idle" | "starting" | "running" | "done" | "interrupted" | "failed" | "loading" | "loaded";

const FLUSH_MS = 50;

export class ScanSession {
  /** What the tab shows: the command line, or the opened file's name. */
  title = $state("New scan");
  status = $state<SessionStatus>("idle");
  id = $state<string | null>(null);
  error = $state<IpcError | null>(null);
  exit = $state.raw<ScanExit | null>(null);
  /** Bumped whenever `fold` has news; read it to depend on the fold. */
  version = $state(0);
  fold = new LiveFold();
  private pending: ReturnType<typeof setTimeout> | null = null;

  constructor(title = "New scan") {
    this.title = title;
  }

  get report(): ScanReport {
    return this.fold.snapshot();
  }

  get running(): boolean {
    return this.status === "starting" || this.status === "running";
  }

  private schedule(): void {
    if (this.pending !== null) return;
    this.pending = setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Shows everything folded so far now. */
  flush(): void {
    if (this.pending !== null) clearTimeout(this.pending);
    this.pending = null;
    this.version++;
  }

  private reset(): void {
    this.fold = new LiveFold();
    this.error = null;
    this.exit = null;
    this.id = null;
    this.flush();
  }

  async start(backend: Backend, args: string[]): Promise<void> {
    if (this.running) return;
    this.reset();
    this.status = "starting";
    const fold = this.fold;
    try {
      this.id = await backend.startScan(args, {
        onEvent: (ev: ScanEvent) => {
          if (fold !== this.fold) return;
          fold.push(ev);
          this.schedule();
        },
        onExit: (exit: ScanExit) => {
          if (fold !== this.fold) return;
          this.exit = exit;
          if (exit.interrupted || fold.finished === null) this.status = "interrupted";
          else if (fold.finished.error != null || exit.code !== 0) this.status = "failed";
          else this.status = "done";
          this.flush();
        },
      });
      if (this.status === "starting") this.status = "running";
    } catch (e) {
      this.error = toIpcError(e);
      this.status = "failed";
    }
  }

  async cancel(backend: Backend): Promise<void> {
    if (!this.running || this.id === null) return;
    try {
      await backend.cancelScan(this.id);
    } catch (e) {
      this.error = toIpcError(e);
    }
  }

  /** Shows a saved report (an opened XML file) the same way as a live scan. */
  load(report: ScanReport): void {
    this.beginLoad(report, report.hosts.length);
    this.appendHosts(report.hosts);
    this.endLoad();
  }

  /** `loaded` of `total` hosts of a report being opened. */
  loadedHosts = $state(0);
  totalHosts = $state(0);

  /** A report being opened in chunks (Backend.openXml): its header first, hosts as they arrive. */
  beginLoad(report: ScanReport, totalHosts: number): void {
    this.reset();
    Object.assign(this.fold.report, { ...report, hosts: [] });
    this.totalHosts = totalHosts;
    this.loadedHosts = 0;
    this.status = "loading";
  }

  appendHosts(hosts: readonly HostReport[]): void {
    const all = this.fold.report.hosts;
    const first = all.length === 0;
    for (const h of hosts) all.push(h);
    this.loadedHosts = all.length;
    // The first screenful shows at once; later chunks at most once per FLUSH_MS, like live events.
    if (first) this.flush();
    else this.schedule();
  }

  endLoad(): void {
    this.status = "loaded";
    this.flush();
  }
}
