// Sequence diagrams for Explain mode: which packets went between the scanner and the target to give a port
// (or a host) its state and reason. A pure function of (scan type, state, reason), so every combination can be
// tested; combinations the scanner never produces are answered honestly with "not drawn", never a guess.
import type { Protocol, ScanInfo } from "../ipc/bindings";

/** Scan types by their XML names (`<scaninfo type=...>`), plus `ping` for host discovery. */
export type ScanKind =
  | "syn"
  | "connect"
  | "ack"
  | "window"
  | "maimon"
  | "null"
  | "fin"
  | "xmas"
  | "udp"
  | "sctpinit"
  | "sctpcookieecho"
  | "ipproto"
  | "ping";

export const SCAN_KINDS: readonly ScanKind[] = [
  "syn",
  "connect",
  "ack",
  "window",
  "maimon",
  "null",
  "fin",
  "xmas",
  "udp",
  "sctpinit",
  "sctpcookieecho",
  "ipproto",
  "ping",
];

/** What each scan is called, with the option that selects it. */
export const SCAN_NAMES: Record<ScanKind, string> = {
  syn: "SYN scan (-sS)",
  connect: "connect scan (-sT)",
  ack: "ACK scan (-sA)",
  window: "Window scan (-sW)",
  maimon: "Maimon scan (-sM)",
  null: "NULL scan (-sN)",
  fin: "FIN scan (-sF)",
  xmas: "Xmas scan (-sX)",
  udp: "UDP scan (-sU)",
  sctpinit: "SCTP INIT scan (-sY)",
  sctpcookieecho: "SCTP COOKIE ECHO scan (-sZ)",
  ipproto: "IP protocol scan (-sO)",
  ping: "host discovery",
};

/** One arrow (or one silence) of a diagram. */
export interface Step {
  /** `out`: scanner to target; `in`: back to the scanner; `none`: nothing travels (a silence). */
  dir: "out" | "in" | "none";
  label: string;
  /** A plain-words remark shown with the step. */
  note?: string;
}

export type Sequence =
  | { drawn: true; title: string; steps: Step[] }
  | { drawn: false; why: string };

/** Accepts both spellings of a scan type: XML (`sctpinit`) and the model's JSON (`sctp-init`). */
export function scanKindOf(scanType: string): ScanKind | null {
  const aliases: Record<string, ScanKind> = {
    "sctp-init": "sctpinit",
    "sctp-cookie-echo": "sctpcookieecho",
    "ip-protocol": "ipproto",
  };
  const k = aliases[scanType] ?? scanType;
  return (SCAN_KINDS as readonly string[]).includes(k) && k !== "ping" ? (k as ScanKind) : null;
}

/** The scan type that found ports of `protocol`, from the report's `<scaninfo>` list. */
export function scanKindFor(info: readonly ScanInfo[], protocol: Protocol): ScanKind | null {
  for (const i of info) {
    const k = scanKindOf(i.scan_type);
    if (k === null) continue;
    if (protocol === "ip" ? k === "ipproto" : i.protocol === protocol && k !== "ipproto") return k;
  }
  return null;
}

/** The probe each port scan sends, as the diagram labels it. */
const PROBE: Record<Exclude<ScanKind, "ping">, string> = {
  syn: "SYN",
  connect: "SYN",
  ack: "ACK",
  window: "ACK",
  maimon: "FIN/ACK",
  null: "TCP, no flags set",
  fin: "FIN",
  xmas: "FIN/PSH/URG",
  udp: "UDP",
  sctpinit: "SCTP INIT",
  sctpcookieecho: "SCTP COOKIE ECHO",
  ipproto: "IP packet of the probed protocol",
};

/** ICMP errors, by the reason they give. */
const ICMP: Record<string, string> = {
  "host-unreach": "ICMP host unreachable",
  "net-unreach": "ICMP network unreachable",
  "proto-unreach": "ICMP protocol unreachable",
  "port-unreach": "ICMP port unreachable",
  "admin-prohibited": "ICMP administratively prohibited",
  "host-prohibited": "ICMP host prohibited",
  "net-prohibited": "ICMP network prohibited",
  "unknown-response": "ICMP unreachable (another code)",
  "dest-unreach": "ICMP destination unreachable",
  "time-exceeded": "ICMP time exceeded",
  "ttl-exceeded": "ICMP time exceeded",
};

const FROM_ON_THE_WAY = "sent by the target or by a firewall or router on the way";

/** A port scan's state when every probe went unanswered (what the engine's `silent_state` decides). */
function silentState(scan: Exclude<ScanKind, "ping">): string {
  return ["syn", "ack", "window", "sctpinit", "connect"].includes(scan) ? "filtered" : "open|filtered";
}

function silence(probe: string, note: string): Step[] {
  return [
    { dir: "out", label: probe },
    { dir: "out", label: `${probe} (sent again)`, note: "The scanner tries again in case a packet was lost." },
    { dir: "none", label: "(nothing comes back)", note },
  ];
}

const notDrawn = (why: string): Sequence => ({ drawn: false, why });

/**
 * The packets behind a port's `state` and `reason` under scan type `scan` (or, for `ping`, behind a host's
 * up/down `state`). `port` only makes the labels concrete.
 */
export function sequence(scan: ScanKind, state: string, reason: string, port?: number): Sequence {
  if (scan === "ping") return hostSequence(state, reason);
  const probe = scan === "ipproto" && port !== undefined ? `IP packet, protocol ${port}` : PROBE[scan];
  const title = `${SCAN_NAMES[scan]}: ${state} (${reason})`;
  const drawn = (expected: string, steps: Step[]): Sequence =>
    expected === state
      ? { drawn: true, title, steps }
      : notDrawn(
          `A ${SCAN_NAMES[scan]} reports "${reason}" as ${expected}, not ${state}; this result probably comes from another scanner's file, so it is not drawn.`,
        );

  if (reason === "user-set") return notDrawn("No packet decided this: it was set by the scan's options.");
  if (reason === "unknown")
    return notDrawn("The scanner recorded no reason (a local error stopped the probe); there is no exchange to draw.");

  if (reason === "no-response") {
    const expected = silentState(scan);
    const note =
      expected === "filtered"
        ? "An open or closed port would have answered, so something probably drops the probes."
        : "An open port stays silent for this scan, and so does a port behind a firewall that drops packets.";
    if (scan === "connect") {
      return drawn(expected, [
        { dir: "out", label: "SYN", note: "Sent by this computer's operating system when the scanner asks it to connect." },
        { dir: "out", label: "SYN (sent again)", note: "The operating system retries on its own." },
        { dir: "none", label: "(nothing comes back)", note: "The attempt times out: something probably drops the packets." },
      ]);
    }
    return drawn(expected, silence(probe, note));
  }

  const icmp = ICMP[reason];
  if (icmp !== undefined) {
    let expected = "filtered";
    let note = `An error message, ${FROM_ON_THE_WAY}: the probe was rejected before it reached a program.`;
    if (scan === "udp" && reason === "port-unreach") {
      expected = "closed";
      note = "The target's own system says no program listens on this UDP port.";
    } else if (scan === "ipproto" && reason === "proto-unreach") {
      expected = "closed";
      note = "The target says it does not speak this protocol.";
    } else if (scan === "ipproto" && reason === "port-unreach") {
      expected = "open";
      note = "A complaint about the port shows that the target does speak the protocol (UDP).";
    }
    if (scan === "connect") {
      return drawn(expected, [
        { dir: "out", label: "SYN", note: "Sent by this computer's operating system." },
        { dir: "in", label: icmp, note: `${note} The operating system reports the connection as failed.` },
      ]);
    }
    return drawn(expected, [{ dir: "out", label: probe }, { dir: "in", label: icmp, note }]);
  }

  switch (scan) {
    case "syn":
      if (reason === "syn-ack")
        return drawn("open", [
          { dir: "out", label: "SYN", note: "The first packet of a TCP connection." },
          { dir: "in", label: "SYN/ACK", note: "The target accepts: a program listens on this port." },
          { dir: "out", label: "RST", note: "The scanner's system cancels the half-open connection; it is never completed." },
        ]);
      if (reason === "reset")
        return drawn("closed", [
          { dir: "out", label: "SYN" },
          { dir: "in", label: "RST", note: "The target refuses: nothing listens on this port." },
        ]);
      break;
    case "connect":
      if (reason === "syn-ack")
        return drawn("open", [
          { dir: "out", label: "SYN", note: "This computer's operating system opens a normal connection." },
          { dir: "in", label: "SYN/ACK", note: "The target accepts." },
          { dir: "out", label: "ACK", note: "The connection is complete; a program on the target may log it." },
          { dir: "out", label: "FIN", note: "The scanner closes the connection straight away." },
        ]);
      if (reason === "conn-refused" || reason === "reset")
        return drawn("closed", [
          { dir: "out", label: "SYN" },
          { dir: "in", label: "RST", note: "The target refuses; the operating system reports \"connection refused\"." },
        ]);
      break;
    case "ack":
      if (reason === "reset")
        return drawn("unfiltered", [
          { dir: "out", label: "ACK", note: "A packet that belongs to no connection, which any system answers with a reset." },
          { dir: "in", label: "RST", note: "The packet got through: no firewall blocks this port. Open or closed is not known." },
        ]);
      break;
    case "window":
      if (reason === "reset")
        return state === "closed"
          ? drawn("closed", [
              { dir: "out", label: "ACK" },
              { dir: "in", label: "RST, window 0", note: "Some systems answer with a zero window for closed ports." },
            ])
          : drawn("open", [
              { dir: "out", label: "ACK" },
              { dir: "in", label: "RST, window > 0", note: "Some systems give a non-zero window only for open ports." },
            ]);
      break;
    case "maimon":
    case "null":
    case "fin":
    case "xmas":
      if (reason === "reset")
        return drawn("closed", [
          { dir: "out", label: probe, note: "A packet no normal connection starts with." },
          { dir: "in", label: "RST", note: "A closed port answers such a packet with a reset; an open one ignores it." },
        ]);
      break;
    case "udp":
      if (reason === "udp-response")
        return drawn("open", [
          { dir: "out", label: "UDP", note: "A datagram, with a payload the service understands when one is known." },
          { dir: "in", label: "UDP reply", note: "A program read the datagram and answered." },
        ]);
      break;
    case "sctpinit":
      if (reason === "init-ack")
        return drawn("open", [
          { dir: "out", label: "SCTP INIT", note: "The first packet of an SCTP association." },
          { dir: "in", label: "SCTP INIT-ACK", note: "The target accepts; the scanner never completes the association." },
        ]);
      if (reason === "abort")
        return drawn("closed", [
          { dir: "out", label: "SCTP INIT" },
          { dir: "in", label: "SCTP ABORT", note: "The target refuses: nothing listens on this port." },
        ]);
      break;
    case "sctpcookieecho":
      if (reason === "abort")
        return drawn("closed", [
          { dir: "out", label: "SCTP COOKIE ECHO", note: "A packet that belongs to no association." },
          { dir: "in", label: "SCTP ABORT", note: "A closed port answers with an abort; an open one ignores it." },
        ]);
      break;
    case "ipproto":
      if (reason === "echo-reply")
        return drawn("open", [
          { dir: "out", label: "ICMP echo request" },
          { dir: "in", label: "ICMP echo reply", note: "The target speaks ICMP." },
        ]);
      if (reason === "proto-response")
        return drawn("open", [
          { dir: "out", label: probe },
          { dir: "in", label: "reply in the same protocol", note: "The target speaks this protocol." },
        ]);
      break;
  }
  return notDrawn(`A ${SCAN_NAMES[scan]} never reports "${reason}", so there is no exchange to draw for it.`);
}

/** What discovery sent and got back for a host found up or down. */
function hostSequence(state: string, reason: string): Sequence {
  const title = `host discovery: ${state} (${reason})`;
  const up = (steps: Step[]): Sequence =>
    state === "up" ? { drawn: true, title, steps } : notDrawn(`"${reason}" shows a host is up, yet it is marked ${state}; not drawn.`);
  switch (reason) {
    case "user-set":
      return notDrawn("Nothing was sent: the host was taken as up because the scan was told to (-Pn).");
    case "localhost-response":
      return notDrawn("Nothing was sent: the address is this computer's own, so it is up by definition.");
    case "unknown":
      return notDrawn("The scanner recorded no reason for this host; there is no exchange to draw.");
    case "echo-reply":
      return up([
        { dir: "out", label: "ICMP echo request", note: "What the ping command sends." },
        { dir: "in", label: "ICMP echo reply" },
      ]);
    case "timestamp-reply":
      return up([{ dir: "out", label: "ICMP timestamp request" }, { dir: "in", label: "ICMP timestamp reply" }]);
    case "addressmask-reply":
      return up([{ dir: "out", label: "ICMP address mask request" }, { dir: "in", label: "ICMP address mask reply" }]);
    case "arp-response":
      return up([
        { dir: "out", label: "ARP: who has this address?", note: "Asked of every machine on the local network." },
        { dir: "in", label: "ARP: I do, at this MAC address" },
      ]);
    case "nd-response":
      return up([{ dir: "out", label: "IPv6 neighbour solicitation" }, { dir: "in", label: "IPv6 neighbour advertisement" }]);
    case "syn-ack":
      return up([
        { dir: "out", label: "SYN to a common port (443, 80)" },
        { dir: "in", label: "SYN/ACK", note: "Any answer proves the host is up." },
      ]);
    case "reset":
      return up([
        { dir: "out", label: "TCP SYN or ACK to a common port" },
        { dir: "in", label: "RST", note: "Even a refusal proves the host is up." },
      ]);
    case "conn-refused":
      return up([
        { dir: "out", label: "SYN to a common port (connect)" },
        { dir: "in", label: "RST", note: "Refused, and so alive." },
      ]);
    case "udp-response":
      return up([{ dir: "out", label: "UDP" }, { dir: "in", label: "UDP reply" }]);
    case "init-ack":
      return up([{ dir: "out", label: "SCTP INIT" }, { dir: "in", label: "SCTP INIT-ACK" }]);
    case "abort":
      return up([{ dir: "out", label: "SCTP INIT" }, { dir: "in", label: "SCTP ABORT", note: "Refused, and so alive." }]);
    case "proto-response":
      return up([{ dir: "out", label: "IP protocol probe" }, { dir: "in", label: "reply in the same protocol" }]);
    case "no-response":
      return state === "down"
        ? { drawn: true, title, steps: silence("discovery probes (ping, TCP, ICMP timestamp)", "No probe was answered: the host is off, or a firewall drops them all.") }
        : notDrawn(`A host with no response is marked down, not ${state}; not drawn.`);
  }
  const icmp = ICMP[reason];
  if (icmp !== undefined) {
    const note =
      state === "up"
        ? "The target itself sent this error, which proves it is up."
        : `An error ${FROM_ON_THE_WAY}: the host cannot be reached.`;
    return { drawn: true, title, steps: [{ dir: "out", label: "discovery probe" }, { dir: "in", label: icmp, note }] };
  }
  return notDrawn(`Host discovery never reports "${reason}", so there is no exchange to draw for it.`);
}
