// A plain-text view of a report in the layout of Nmap's normal output, for the mock backend (component tests
// and the browser preview, which have no Rust). The app's Output tab and saved files use Rust's writer
// (crates/report, through the `render_report` command); this is only an approximation of it.
// Everything here is text: it is shown in a <pre> as a text node, never parsed as HTML.
import type { HostReport, PortReport, ScanReport } from "./ipc/bindings";
import { hostLabel } from "./fold";

/** States listed one by one; the rest are summarised as "Not shown" when there are many, as Nmap does. */
const SUMMARISE_OVER = 25;

function serviceText(p: PortReport): string {
  const s = p.service;
  if (!s) return "unknown";
  return s.name;
}

function versionText(p: PortReport): string {
  const s = p.service;
  if (!s) return "";
  return [s.product, s.version, s.extra_info ? `(${s.extra_info})` : null].filter((x) => x).join(" ");
}

function hostText(h: HostReport, out: string[]): void {
  out.push(`Nmap scan report for ${hostLabel(h)}`);
  if (h.status.state !== "up") {
    out.push(`Host is ${h.status.state}.`);
    return;
  }
  out.push(h.latency != null ? `Host is up (${h.latency.toFixed(6).replace(/0+$/, "0")}s latency).` : "Host is up.");
  const counts = new Map<string, number>();
  for (const p of h.ports) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const hidden = new Set([...counts].filter(([st, n]) => st !== "open" && n > SUMMARISE_OVER).map(([st]) => st));
  for (const st of hidden) out.push(`Not shown: ${counts.get(st)} ${st} ports`);
  const shown = h.ports.filter((p) => !hidden.has(p.state));
  if (shown.length > 0) {
    const rows = shown.map((p) => [`${p.port}/${p.protocol}`, p.state, serviceText(p), versionText(p)]);
    const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
    const w1 = Math.max(5, ...rows.map((r) => r[1]!.length));
    const w2 = Math.max(7, ...rows.map((r) => r[2]!.length));
    const hasVersion = rows.some((r) => r[3] !== "");
    out.push("");
    out.push(["PORT".padEnd(w0), "STATE".padEnd(w1), hasVersion ? "SERVICE".padEnd(w2) + " VERSION" : "SERVICE"].join(" "));
    rows.forEach((r, i) => {
      const line = [r[0]!.padEnd(w0), r[1]!.padEnd(w1), hasVersion ? r[2]!.padEnd(w2) + " " + r[3] : r[2]].join(" ");
      out.push(line.trimEnd());
      for (const s of shown[i]?.scripts ?? []) {
        out.push(`| ${s.id}: ${s.output.split("\n").join("\n|   ")}`);
      }
    });
  }
  const mac = h.addresses.find((a) => a.kind === "mac");
  if (mac) out.push(`MAC Address: ${mac.addr}${mac.vendor ? ` (${mac.vendor})` : ""}`);
  const os = h.os?.matches?.[0];
  if (os) out.push(`OS details: ${os.name}`);
  if (h.distance != null) out.push(`Network Distance: ${h.distance} hop${h.distance === 1 ? "" : "s"}`);
}

export function normalText(r: ScanReport): string {
  const out: string[] = [];
  if (r.version) out.push(`Starting Portolan ${r.version} ( ${r.args} )`);
  for (const w of r.warnings ?? []) out.push(`Warning: ${w}`);
  for (const h of r.hosts) {
    if (h.status.state !== "up" && r.verbose === 0) continue;
    hostText(h, out);
    out.push("");
  }
  if (r.run_stats) out.push(r.run_stats.summary);
  return out.join("\n");
}
