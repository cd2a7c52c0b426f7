// The command builder's state: one field per thing a `ScanPlan` can say, held as the text (or flag) a control
// shows. `planToForm` reads a plan the CLI's parser returned; `formToArgs` writes the argument list in the
// order of `ScanPlan::to_args` (crates/model/src/plan.rs), so a form read from a plan renders to the same
// canonical command line the parser printed. Text fields are not validated here: the parser is the judge, and
// its message is shown next to the command line.
import type { PortRange, PortSpec, ScanPlan } from "../ipc/bindings";

export type Discovery = "probe" | "skip-discovery" | "discovery-only" | "list-only";

export interface Form {
  targets: string;
  inputList: string;
  randomTargets: string;
  exclude: string;
  excludeFile: string;
  ipv6: boolean;
  /** Scan-type letters (`S`, `U`, ...) in the order they are rendered. */
  scanTypes: string[];
  discovery: Discovery;
  /** `-PS`: on, with these ports (empty: the parser's default). */
  ps: boolean;
  psPorts: string;
  pa: boolean;
  paPorts: string;
  pu: boolean;
  puPorts: string;
  py: boolean;
  pyPorts: string;
  pe: boolean;
  pp: boolean;
  pm: boolean;
  po: boolean;
  poProtos: string;
  pr: boolean;
  disableArpPing: boolean;
  traceroute: boolean;
  scanFlags: string;
  serviceDetection: boolean;
  versionIntensity: string;
  versionTrace: boolean;
  allPorts: boolean;
  versionDb: string;
  osDetection: boolean;
  osLimit: boolean;
  osGuess: boolean;
  maxOsTries: string;
  /** `-p`; the parser refuses it together with `-F` or `--top-ports`. */
  ports: string;
  fast: boolean;
  topPorts: string;
  excludePorts: string;
  sequential: boolean;
  /** `"0"`..`"5"`; `"3"` (normal) is not written. */
  template: string;
  hostTimeout: string;
  scanDelay: string;
  maxScanDelay: string;
  minRttTimeout: string;
  maxRttTimeout: string;
  initialRttTimeout: string;
  maxRetries: string;
  minParallelism: string;
  maxParallelism: string;
  minHostgroup: string;
  maxHostgroup: string;
  minRate: string;
  maxRate: string;
  /** `""`, `"never"` (`-n`) or `"always"` (`-R`). */
  dns: string;
  iface: string;
  /** Bytes per fragment: `8` is `-f`, `16` is `-ff`, anything else `--mtu N`. */
  mtu: string;
  decoys: string;
  sourceAddr: string;
  sourcePort: string;
  /** `--data` as `0x` hex. */
  data: string;
  dataLength: string;
  ipOptions: string;
  ttl: string;
  spoofMac: string;
  badsum: boolean;
  /** `""`, `"eth"` or `"ip"`. */
  sendVia: string;
  /** `""`, `"yes"` or `"no"`. */
  privileged: string;
  verbosity: string;
  debug: string;
  reason: boolean;
  openOnly: boolean;
  packetTrace: boolean;
  outNormal: string;
  outXml: string;
  outGrepable: string;
  outJson: string;
  outAll: string;
  appendOutput: boolean;
  streamJson: boolean;
  datadir: string;
  history: string;
  noHistory: boolean;
}

export function emptyForm(): Form {
  return {
    targets: "",
    inputList: "",
    randomTargets: "",
    exclude: "",
    excludeFile: "",
    ipv6: false,
    scanTypes: [],
    discovery: "probe",
    ps: false,
    psPorts: "",
    pa: false,
    paPorts: "",
    pu: false,
    puPorts: "",
    py: false,
    pyPorts: "",
    pe: false,
    pp: false,
    pm: false,
    po: false,
    poProtos: "",
    pr: false,
    disableArpPing: false,
    traceroute: false,
    scanFlags: "",
    serviceDetection: false,
    versionIntensity: "",
    versionTrace: false,
    allPorts: false,
    versionDb: "",
    osDetection: false,
    osLimit: false,
    osGuess: false,
    maxOsTries: "",
    ports: "",
    fast: false,
    topPorts: "",
    excludePorts: "",
    sequential: false,
    template: "3",
    hostTimeout: "",
    scanDelay: "",
    maxScanDelay: "",
    minRttTimeout: "",
    maxRttTimeout: "",
    initialRttTimeout: "",
    maxRetries: "",
    minParallelism: "",
    maxParallelism: "",
    minHostgroup: "",
    maxHostgroup: "",
    minRate: "",
    maxRate: "",
    dns: "",
    iface: "",
    mtu: "",
    decoys: "",
    sourceAddr: "",
    sourcePort: "",
    data: "",
    dataLength: "",
    ipOptions: "",
    ttl: "",
    spoofMac: "",
    badsum: false,
    sendVia: "",
    privileged: "",
    verbosity: "0",
    debug: "0",
    reason: false,
    openOnly: false,
    packetTrace: false,
    outNormal: "",
    outXml: "",
    outGrepable: "",
    outJson: "",
    outAll: "",
    appendOutput: false,
    streamJson: false,
    datadir: "",
    history: "",
    noHistory: false,
  };
}

const SCAN_LETTERS: Record<string, string> = {
  connect: "T",
  syn: "S",
  ack: "A",
  window: "W",
  maimon: "M",
  null: "N",
  fin: "F",
  xmas: "X",
  udp: "U",
  "sctp-init": "Y",
  "sctp-cookie-echo": "Z",
  "ip-protocol": "O",
};

/** The TCP scan letters, of which a scan has at most one. */
export const TCP_SCAN_LETTERS = ["S", "T", "A", "W", "M", "N", "F", "X"];

const TIMING_LEVELS = ["paranoid", "sneaky", "polite", "normal", "aggressive", "insane"];

/** Sorted, deduplicated numbers as a compact list (`1-3,7`), like the model's `compact`. */
export function compact(nums: readonly number[]): string {
  const v = [...new Set(nums)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const start = v[i] as number;
    let end = start;
    while (i + 1 < v.length && v[i + 1] === end + 1) end = v[++i] as number;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
  }
  return parts.join(",");
}

function rangeList(rs: readonly PortRange[]): string {
  return rs.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(",");
}

const sameRanges = (a: readonly PortRange[], b: readonly PortRange[]) =>
  a.length === b.length && a.every((r, i) => r.start === b[i]?.start && r.end === b[i]?.end);

/** `PortSpec::render`: one list when all protocols share it, else `T:...,U:...,S:...`. */
export function renderPortSpec(s: PortSpec): string {
  if (sameRanges(s.tcp, s.udp) && sameRanges(s.udp, s.sctp)) return rangeList(s.tcp);
  const parts: string[] = [];
  for (const [prefix, list] of [["T:", s.tcp], ["U:", s.udp], ["S:", s.sctp]] as const) {
    if (list.length > 0) parts.push(prefix + rangeList(list));
  }
  return parts.join(",");
}

const FLAG_NAMES: [string, number][] = [
  ["CWR", 0x80],
  ["ECE", 0x40],
  ["URG", 0x20],
  ["ACK", 0x10],
  ["PSH", 0x08],
  ["RST", 0x04],
  ["SYN", 0x02],
  ["FIN", 0x01],
];

export function tcpFlagsText(flags: number): string {
  if (flags === 0) return "0";
  return FLAG_NAMES.filter(([, bit]) => (flags & bit) !== 0)
    .map(([n]) => n)
    .join("");
}

const opt = (v: string | number | null | undefined): string => (v === null || v === undefined ? "" : `${v}`);
const ms = (v: number | null): string => (v === null ? "" : `${v}ms`);

/** The form showing `plan`. */
export function planToForm(plan: ScanPlan): Form {
  const f = emptyForm();
  const dp = plan.discovery_probes;
  const e = plan.evasion;
  const t = plan.timing;
  const o = plan.outputs;
  f.targets = plan.targets.join(" ");
  f.inputList = opt(plan.input_list);
  f.randomTargets = opt(plan.random_targets);
  f.exclude = plan.exclude.join(",");
  f.excludeFile = opt(plan.exclude_file);
  f.ipv6 = plan.ipv6;
  f.scanTypes = plan.scan_types.map((s) => SCAN_LETTERS[s] ?? "?");
  f.discovery = plan.discovery;
  f.ps = plan.discovery_tcp_ports.length > 0;
  f.psPorts = plan.discovery_tcp_ports.join(",");
  f.pa = dp.tcp_ack.length > 0;
  f.paPorts = compact(dp.tcp_ack);
  f.pu = dp.udp.length > 0;
  f.puPorts = compact(dp.udp);
  f.py = dp.sctp.length > 0;
  f.pyPorts = compact(dp.sctp);
  f.pe = dp.icmp_echo;
  f.pp = dp.icmp_timestamp;
  f.pm = dp.icmp_mask;
  f.po = dp.ip_proto.length > 0;
  f.poProtos = compact(dp.ip_proto);
  f.pr = dp.arp;
  f.disableArpPing = plan.disable_arp_ping;
  f.traceroute = plan.traceroute;
  f.scanFlags = plan.scan_flags === null ? "" : tcpFlagsText(plan.scan_flags);
  f.serviceDetection = plan.service_detection;
  // Version and OS options are ignored (and not rendered) without -sV / -O.
  if (plan.service_detection) {
    f.versionIntensity = opt(plan.version.intensity);
    f.versionTrace = plan.version.trace;
    f.allPorts = plan.version.all_ports;
    f.versionDb = opt(plan.version.db);
  }
  f.osDetection = plan.os_detection;
  if (plan.os_detection) {
    f.osLimit = plan.os.limit;
    f.osGuess = plan.os.guess;
    f.maxOsTries = opt(plan.os.max_tries);
  }
  const p = plan.ports;
  if (p === "fast") f.fast = true;
  else if (typeof p === "object" && "top" in p) f.topPorts = `${p.top}`;
  else if (typeof p === "object" && "spec" in p) f.ports = renderPortSpec(p.spec);
  f.excludePorts = plan.exclude_ports ? renderPortSpec(plan.exclude_ports) : "";
  f.sequential = !plan.randomize_ports;
  f.template = `${Math.max(0, TIMING_LEVELS.indexOf(t.template))}`;
  f.hostTimeout = ms(t.host_timeout);
  f.scanDelay = ms(t.scan_delay);
  f.maxScanDelay = ms(t.max_scan_delay);
  f.minRttTimeout = ms(t.min_rtt_timeout);
  f.maxRttTimeout = ms(t.max_rtt_timeout);
  f.initialRttTimeout = ms(t.initial_rtt_timeout);
  f.maxRetries = opt(t.max_retries);
  f.minParallelism = opt(t.min_parallelism);
  f.maxParallelism = opt(t.max_parallelism);
  f.minHostgroup = opt(t.min_hostgroup);
  f.maxHostgroup = opt(t.max_hostgroup);
  f.minRate = opt(t.min_rate);
  f.maxRate = opt(t.max_rate);
  f.dns = plan.dns === "never" ? "never" : plan.dns === "always" ? "always" : "";
  f.iface = opt(plan.interface);
  f.mtu = opt(e.fragment_mtu);
  f.decoys = e.decoys.join(",");
  f.sourceAddr = opt(e.source_addr);
  f.sourcePort = opt(e.source_port);
  f.data = e.data.length > 0 ? "0x" + e.data.map((b) => b.toString(16).padStart(2, "0")).join("") : "";
  f.dataLength = opt(e.data_length);
  f.ipOptions = opt(e.ip_options);
  f.ttl = opt(e.ttl);
  f.spoofMac = opt(e.spoof_mac);
  f.badsum = e.badsum;
  f.sendVia = plan.send_eth === null ? "" : plan.send_eth ? "eth" : "ip";
  f.privileged = plan.privileged === null ? "" : plan.privileged ? "yes" : "no";
  f.verbosity = `${plan.verbosity}`;
  f.debug = `${plan.debug}`;
  f.reason = plan.reason;
  f.openOnly = plan.open_only;
  f.packetTrace = plan.packet_trace;
  f.outNormal = opt(o.normal);
  f.outXml = opt(o.xml);
  f.outGrepable = opt(o.grepable);
  f.outJson = opt(o.json);
  f.outAll = opt(o.all_base);
  f.appendOutput = o.append;
  f.streamJson = o.stream_json;
  f.datadir = opt(plan.datadir);
  f.history = opt(plan.history);
  f.noHistory = plan.no_history;
  return f;
}

/** Whitespace-separated words of a free-text field (targets). */
const words = (s: string) => s.split(/\s+/).filter((w) => w !== "");

/** The argument list (without the program name) in `ScanPlan::to_args` order. */
export function formToArgs(f: Form): string[] {
  const a: string[] = [];
  const val = (flag: string, v: string) => {
    const s = v.trim();
    if (s !== "") a.push(flag, s);
  };
  const flag = (on: boolean, name: string) => {
    if (on) a.push(name);
  };
  if (f.discovery === "skip-discovery") a.push("-Pn");
  else if (f.discovery === "discovery-only") a.push("-sn");
  else if (f.discovery === "list-only") a.push("-sL");
  for (const [on, letter, ports] of [
    [f.ps, "S", f.psPorts],
    [f.pa, "A", f.paPorts],
    [f.pu, "U", f.puPorts],
    [f.py, "Y", f.pyPorts],
  ] as const) {
    if (on) a.push(`-P${letter}${ports.trim()}`);
  }
  flag(f.pe, "-PE");
  flag(f.pp, "-PP");
  flag(f.pm, "-PM");
  if (f.po) a.push(`-PO${f.poProtos.trim()}`);
  flag(f.pr, "-PR");
  flag(f.disableArpPing, "--disable-arp-ping");
  flag(f.traceroute, "--traceroute");
  for (const l of f.scanTypes) a.push(`-s${l}`);
  val("--scanflags", f.scanFlags);
  if (f.serviceDetection) {
    a.push("-sV");
    val("--version-intensity", f.versionIntensity);
    flag(f.versionTrace, "--version-trace");
    flag(f.allPorts, "--allports");
    val("--versiondb", f.versionDb);
  }
  if (f.osDetection) {
    a.push("-O");
    flag(f.osLimit, "--osscan-limit");
    flag(f.osGuess, "--osscan-guess");
    val("--max-os-tries", f.maxOsTries);
  }
  flag(f.fast, "-F");
  val("--top-ports", f.topPorts);
  val("-p", f.ports);
  val("--exclude-ports", f.excludePorts);
  flag(f.sequential, "-r");
  if (f.template !== "3" && f.template !== "") a.push(`-T${f.template}`);
  val("--host-timeout", f.hostTimeout);
  val("--scan-delay", f.scanDelay);
  val("--max-scan-delay", f.maxScanDelay);
  val("--min-rtt-timeout", f.minRttTimeout);
  val("--max-rtt-timeout", f.maxRttTimeout);
  val("--initial-rtt-timeout", f.initialRttTimeout);
  val("--max-retries", f.maxRetries);
  val("--min-parallelism", f.minParallelism);
  val("--max-parallelism", f.maxParallelism);
  val("--min-hostgroup", f.minHostgroup);
  val("--max-hostgroup", f.maxHostgroup);
  val("--min-rate", f.minRate);
  val("--max-rate", f.maxRate);
  if (f.dns === "never") a.push("-n");
  else if (f.dns === "always") a.push("-R");
  flag(f.ipv6, "-6");
  val("-e", f.iface);
  const mtu = f.mtu.trim();
  if (mtu === "8") a.push("-f");
  else if (mtu === "16") a.push("-ff");
  else val("--mtu", mtu);
  val("-D", f.decoys);
  val("-S", f.sourceAddr);
  val("-g", f.sourcePort);
  val("--data", f.data);
  val("--data-length", f.dataLength);
  val("--ip-options", f.ipOptions);
  val("--ttl", f.ttl);
  val("--spoof-mac", f.spoofMac);
  flag(f.badsum, "--badsum");
  if (f.sendVia === "eth") a.push("--send-eth");
  else if (f.sendVia === "ip") a.push("--send-ip");
  if (f.privileged === "yes") a.push("--privileged");
  else if (f.privileged === "no") a.push("--unprivileged");
  for (const [v, letter] of [
    [f.verbosity, "v"],
    [f.debug, "d"],
  ] as const) {
    const n = v.trim();
    if (n === "1") a.push(`-${letter}`);
    else if (n !== "" && n !== "0") a.push(`-${letter}${n}`);
  }
  flag(f.reason, "--reason");
  flag(f.openOnly, "--open");
  flag(f.packetTrace, "--packet-trace");
  val("-oN", f.outNormal);
  val("-oX", f.outXml);
  val("-oG", f.outGrepable);
  val("-oJ", f.outJson);
  val("-oA", f.outAll);
  flag(f.appendOutput, "--append-output");
  flag(f.streamJson, "--stream-json");
  val("--datadir", f.datadir);
  val("--history", f.history);
  flag(f.noHistory, "--no-history");
  val("-iL", f.inputList);
  val("-iR", f.randomTargets);
  val("--exclude", f.exclude);
  val("--excludefile", f.excludeFile);
  a.push(...words(f.targets));
  return a;
}
