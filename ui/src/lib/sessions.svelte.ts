// Every scan the window holds, one tab each: running scans, finished ones and opened files. Several scans run
// at once (each is its own helper process); the Scan button starts a new tab unless the current one is empty.
import { ScanSession } from "./session.svelte";

export class Sessions {
  list = $state<ScanSession[]>([new ScanSession("New scan")]);
  index = $state(0);

  get current(): ScanSession {
    return this.list[Math.min(this.index, this.list.length - 1)] as ScanSession;
  }

  /** The tab a new scan or file goes to: the current one if nothing was ever run or opened in it. */
  fresh(title: string): ScanSession {
    const cur = this.current;
    if (cur.status === "idle") {
      cur.title = title;
      return cur;
    }
    const s = new ScanSession(title);
    this.list.push(s);
    this.index = this.list.length - 1;
    return s;
  }

  get running(): number {
    return this.list.filter((s) => s.running).length;
  }

  /** Closes a tab; a running scan must be cancelled first. The last tab is replaced by an empty one. */
  close(i: number): boolean {
    const s = this.list[i];
    if (!s || s.running) return false;
    this.list.splice(i, 1);
    if (this.list.length === 0) this.list.push(new ScanSession("New scan"));
    if (this.index >= this.list.length || this.index > i) this.index = Math.max(0, this.index - 1);
    return true;
  }
}
