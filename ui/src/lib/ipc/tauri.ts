// `Backend` over Tauri commands (src-tauri). Command names and argument names are the contract with the Rust
// side; errors arrive as `IpcError` objects.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { HostReport, ScanReport } from "./bindings";
import type { LayoutKind, MapView } from "../map/types";

/** What `open_xml_begin` answers (src-tauri/src/files.rs `OpenBegin`). */
interface OpenBegin {
  id: number;
  report: ScanReport;
  total_hosts: number;
  hosts: HostReport[];
}
import {
  toIpcError,
  type Backend,
  type OpenSink,
  type ParsedPlan,
  type ParseResult,
  type SaveFormat,
  type Settings,
  type Comparison,
  type ScanSummary,
  type SearchResults,
  type ScanCallbacks,
  type ScanMessage,
  type XmlSource,
  type UserProfile,
  type BuiltinProfileRef,
  type ProfileImport,
} from "./backend";

export class TauriBackend implements Backend {
  async parsePlan(args: string[]): Promise<ParseResult> {
    try {
      const value = await invoke<ParsedPlan>("parse_plan", { args });
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: toIpcError(e) };
    }
  }

  async startScan(args: string[], callbacks: ScanCallbacks): Promise<string> {
    // The handler is set before the channel crosses the IPC, so no message can be missed.
    const channel = new Channel<ScanMessage>((msg) => {
      if (msg.kind === "event") callbacks.onEvent(msg.event);
      else callbacks.onExit(msg.exit);
    });
    try {
      return await invoke<string>("start_scan", { args, onMessage: channel });
    } catch (e) {
      throw toIpcError(e);
    }
  }

  async cancelScan(id: string): Promise<void> {
    try {
      await invoke<void>("cancel_scan", { id });
    } catch (e) {
      throw toIpcError(e);
    }
  }

  async openXml(source: XmlSource, sink: OpenSink): Promise<void> {
    const b = await call<OpenBegin>("open_xml_begin", { source });
    sink.start(b.report, b.total_hosts);
    sink.hosts(b.hosts);
    if (b.id === 0) return;
    // The rest, one chunk per frame: the window paints between chunks instead of parsing them all first.
    for (;;) {
      await new Promise<void>((r) => requestAnimationFrame(() => r()));
      const hosts = await call<HostReport[]>("open_xml_next", { id: b.id });
      if (hosts.length === 0) return;
      sink.hosts(hosts);
    }
  }

  renderReport(report: ScanReport, format: SaveFormat): Promise<string> {
    return call<string>("render_report", { report, format });
  }

  async saveReport(report: ScanReport, format: SaveFormat, path: string): Promise<void> {
    await call<void>("save_report", { report, format, path });
  }

  pickXmlFile(): Promise<string | null> {
    return call<string | null>("pick_xml_file", {});
  }

  saveReportDialog(report: ScanReport, format: SaveFormat): Promise<string | null> {
    return call<string | null>("save_report_dialog", { report, format });
  }

  getSettings(): Promise<Settings> {
    return call<Settings>("get_settings", {});
  }

  setSettings(settings: Settings): Promise<Settings> {
    return call<Settings>("set_settings", { settings });
  }

  startupFiles(): Promise<string[]> {
    return call<string[]>("startup_files", {});
  }

  mapView(report: ScanReport, layout: LayoutKind): Promise<MapView> {
    return call<MapView>("map_view", { report, layout });
  }

  saveMap(
    exp: { format: "svg"; report: ScanReport; layout: LayoutKind } | { format: "png"; bytes: number[] },
  ): Promise<string | null> {
    return call<string | null>("save_map_dialog", { export: exp });
  }

  historyList(limit: number, offset: number): Promise<ScanSummary[]> {
    return call<ScanSummary[]>("history_list", { limit, offset });
  }

  historySearch(query: string, limit: number): Promise<SearchResults> {
    return call<SearchResults>("history_search", { query, limit });
  }

  historyOpen(id: number): Promise<ScanReport> {
    return call<ScanReport>("history_open", { id });
  }

  historyDelete(id: number): Promise<void> {
    return call<void>("history_delete", { id });
  }

  historyCompare(a: number, b: number): Promise<Comparison> {
    return call<Comparison>("history_compare", { a: String(a), b: String(b) });
  }

  historyImport(paths: string[]): Promise<string> {
    return call<string>("history_import", { paths });
  }

  historyCompareFiles(a: string, b: string): Promise<Comparison> {
    return call<Comparison>("history_compare_files", { a, b });
  }

  private dropHandlers = new Set<(paths: string[]) => void>();
  private dropWatch: Promise<void> | null = null;

  async onFileDrop(handler: (paths: string[]) => void): Promise<() => void> {
    this.dropHandlers.add(handler);
    // One channel for the window's lifetime (src-tauri/src/drops.rs relays the webview's drop events into it):
    // no event permission is granted to the web view for this.
    this.dropWatch ??= call<void>("watch_file_drops", {
      onDrop: new Channel<string[]>((paths) => {
        for (const h of [...this.dropHandlers]) h(paths);
      }),
    }).catch((e) => {
      this.dropWatch = null;
      throw e;
    });
    await this.dropWatch;
    return () => void this.dropHandlers.delete(handler);
  }

  profilesList(): Promise<UserProfile[]> {
    return call<UserProfile[]>("profiles_list", {});
  }

  profileSave(name: string, description: string, args: string): Promise<UserProfile> {
    return call<UserProfile>("profile_save", { name, description, args });
  }

  profileDelete(id: string): Promise<void> {
    return call<void>("profile_delete", { id });
  }

  profilesImportUsp(builtins: BuiltinProfileRef[]): Promise<ProfileImport | null> {
    return call<ProfileImport | null>("profiles_import_usp", { builtins });
  }

  profilesImportUspPath(path: string, builtins: BuiltinProfileRef[]): Promise<ProfileImport> {
    return call<ProfileImport>("profiles_import_usp_path", { path, builtins });
  }
}

async function call<T>(cmd: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

/** True inside the Tauri web view (its IPC bridge is present). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
