// The command builder's catalogue: every option Portolan supports that the builder offers as a control, with
// what it means in plain words (our own), what it puts on the wire, when to reach for it, whether it needs
// raw-packet privileges and whether it may upset fragile devices (printers, PLCs, old embedded stacks).
// Each control reads and writes one or more fields of the builder's `Form` (form.ts); the command line is
// always rendered from the form, never edited by a control directly.
import { TCP_SCAN_LETTERS, type Form } from "./form";

export type Tab = "scan" | "ping" | "scripting" | "target" | "source" | "timing" | "output";

export const TABS: readonly { id: Tab; label: string }[] = [
  { id: "scan", label: "Scan" },
  { id: "ping", label: "Ping" },
  { id: "scripting", label: "Scripting" },
  { id: "target", label: "Target" },
  { id: "source", label: "Source" },
  { id: "timing", label: "Timing" },
  { id: "output", label: "Output" },
];

/** What a learner needs to know about one option. */
export interface Teaching {
  /** One plain sentence: what it does. */
  explain: string;
  /** What is sent (or not sent) on the network. */
  wire: string;
  /** When to reach for it. */
  when: string;
  /** Needs raw packets: root, or CAP_NET_RAW on Linux. */
  privileged: boolean;
  /** Why it may disturb fragile devices, or null. */
  fragile: string | null;
}

interface Base extends Teaching {
  /** Stable id, also the control's DOM id suffix. */
  id: string;
  tab: Tab;
  label: string;
  /** The option as typed, e.g. `-sV` or `--top-ports <n>`. */
  flag: string;
  /** For tests and examples: other form changes this option needs to make sense (e.g. an IPv6 target for -6). */
  setup?: (f: Form) => void;
}

export interface CheckControl extends Base {
  kind: "checkbox";
  get(f: Form): boolean;
  set(f: Form, v: boolean): void;
}

export interface TextControl extends Base {
  /** `number` shows a numeric field; `ports` and `time` are text with their own examples. */
  kind: "text" | "number" | "ports" | "time";
  placeholder: string;
  /** A valid value in canonical form, used by the examples and the round-trip tests. */
  sample: string;
  get(f: Form): string;
  set(f: Form, v: string): void;
}

/** An option whose value is optional (`-PS` or `-PS22,80`): a checkbox and a text field. */
export interface ToggleTextControl extends Base {
  kind: "toggle-text";
  placeholder: string;
  sample: string;
  on(f: Form): boolean;
  setOn(f: Form, v: boolean): void;
  get(f: Form): string;
  set(f: Form, v: string): void;
}

export interface Choice extends Partial<Teaching> {
  value: string;
  label: string;
  /** The option this choice writes; null for the default, which writes nothing. */
  flag: string | null;
}

export interface SelectControl extends Base {
  kind: "select";
  choices: Choice[];
  get(f: Form): string;
  set(f: Form, v: string): void;
}

export type Control = CheckControl | TextControl | ToggleTextControl | SelectControl;

/** The form fields of exactly type `T`. */
type Key<T> = { [K in keyof Form]: [Form[K]] extends [T] ? ([T] extends [Form[K]] ? K : never) : never }[keyof Form];

const boolField = (k: Key<boolean>, also?: (f: Form) => void) => ({
  get: (f: Form) => f[k],
  set: (f: Form, v: boolean) => {
    f[k] = v;
    if (v) also?.(f);
  },
});
const textField = (k: Key<string>, also?: (f: Form) => void) => ({
  get: (f: Form) => f[k],
  set: (f: Form, v: string) => {
    f[k] = v;
    if (v.trim() !== "") also?.(f);
  },
});
const scanLetter = (letter: string) => ({
  get: (f: Form) => f.scanTypes.includes(letter),
  set: (f: Form, v: boolean) => {
    const has = f.scanTypes.includes(letter);
    if (v && !has) f.scanTypes = [...f.scanTypes, letter];
    if (!v && has) f.scanTypes = f.scanTypes.filter((l) => l !== letter);
  },
});
// Options of -sV and -O mean nothing without them; choosing one turns its parent on, so the command shows why.
const withVersion = (f: Form) => {
  f.serviceDetection = true;
};
const withOs = (f: Form) => {
  f.osDetection = true;
};

const RAW = true;
const NO_RAW = false;

const UDP_FRAGILE =
  "UDP probes land on services that may not expect them; some embedded devices and old printers crash or print garbage when hit with many, especially at fast timing.";
const ODD_TCP_FRAGILE = "Packets with unusual flag combinations have crashed old or embedded TCP stacks.";

export const CONTROLS: readonly Control[] = [
  // ---------------------------------------------------------------- Scan
  {
    id: "tcp-scan",
    tab: "scan",
    kind: "select",
    label: "TCP scan",
    flag: "-sS | -sT | -sA | -sW | -sM | -sN | -sF | -sX",
    explain: "How TCP ports are tested; a scan uses at most one of these.",
    wire: "Depends on the choice; see each one.",
    when: "Leave the default unless a firewall or a question (is it filtered?) calls for another.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      {
        value: "",
        label: "Default (SYN with privileges, connect without)",
        flag: null,
        explain: "Portolan picks: a SYN scan when it may send raw packets, a connect scan otherwise.",
      },
      {
        value: "S",
        label: "SYN scan (-sS)",
        flag: "-sS",
        explain: "Half-open scan: it knocks, listens for the answer, and never completes the handshake.",
        wire: "SYN → SYN/ACK means open (Portolan answers RST), RST means closed, silence or ICMP unreachable means filtered.",
        when: "The usual fast TCP scan; services rarely log a connection that never completes.",
        privileged: RAW,
        fragile: null,
      },
      {
        value: "T",
        label: "Connect scan (-sT)",
        flag: "-sT",
        explain: "Asks the operating system to open a full connection to each port, like any program would.",
        wire: "A full SYN, SYN/ACK, ACK handshake, then a close; refused connections are closed ports.",
        when: "Without raw-packet privileges, or when raw packets are blocked on your side.",
        privileged: NO_RAW,
        fragile: "Completed connections are logged by services, and some fragile services hang when connected to and left.",
      },
      {
        value: "A",
        label: "ACK scan (-sA)",
        flag: "-sA",
        explain: "Tells filtered from unfiltered ports; it cannot tell open from closed.",
        wire: "A lone ACK: a RST back means unfiltered, silence or ICMP unreachable means filtered.",
        when: "To map firewall rules: which ports a stateless filter lets through.",
        privileged: RAW,
        fragile: null,
      },
      {
        value: "W",
        label: "Window scan (-sW)",
        flag: "-sW",
        explain: "An ACK scan that reads the TCP window of the RST reply, which on some systems differs for open ports.",
        wire: "A lone ACK; a RST with a non-zero window is read as open, zero as closed.",
        when: "Against the few systems known to leak port state this way; elsewhere its answers mislead.",
        privileged: RAW,
        fragile: null,
      },
      {
        value: "M",
        label: "Maimon scan (-sM)",
        flag: "-sM",
        explain: "Sends FIN/ACK; some BSD-derived systems drop it for open ports instead of answering RST.",
        wire: "FIN/ACK: RST means closed, silence means open or filtered.",
        when: "Rarely; a curiosity for old BSD stacks.",
        privileged: RAW,
        fragile: ODD_TCP_FRAGILE,
      },
      {
        value: "N",
        label: "Null scan (-sN)",
        flag: "-sN",
        explain: "Sends a TCP packet with no flags at all; by the TCP rules closed ports answer RST, open ones stay silent.",
        wire: "A flagless TCP packet: RST means closed, silence means open or filtered.",
        when: "To slip past stateless filters that only block SYN; Windows answers RST for every port, so it misleads there.",
        privileged: RAW,
        fragile: ODD_TCP_FRAGILE,
      },
      {
        value: "F",
        label: "FIN scan (-sF)",
        flag: "-sF",
        explain: "Like the null scan, with only the FIN flag set.",
        wire: "FIN: RST means closed, silence means open or filtered.",
        when: "As the null scan: past simple SYN-blocking filters, not against Windows.",
        privileged: RAW,
        fragile: ODD_TCP_FRAGILE,
      },
      {
        value: "X",
        label: "Xmas scan (-sX)",
        flag: "-sX",
        explain: "Like the null scan, with FIN, PSH and URG set (lit up like a tree).",
        wire: "FIN+PSH+URG: RST means closed, silence means open or filtered.",
        when: "As the null scan; it is also one of the most recognisable probes to an intrusion detection system.",
        privileged: RAW,
        fragile: ODD_TCP_FRAGILE,
      },
    ],
    get: (f) => f.scanTypes.find((l) => TCP_SCAN_LETTERS.includes(l)) ?? "",
    set: (f, v) => {
      const at = f.scanTypes.findIndex((l) => TCP_SCAN_LETTERS.includes(l));
      const rest = [...f.scanTypes];
      if (at >= 0) rest.splice(at, 1, ...(v ? [v] : []));
      else if (v) rest.unshift(v);
      f.scanTypes = rest;
    },
  },
  {
    id: "udp",
    tab: "scan",
    kind: "checkbox",
    label: "UDP scan",
    flag: "-sU",
    explain: "Also tests UDP ports (DNS, SNMP, DHCP ...), which TCP scans never see.",
    wire: "A UDP datagram per port (with a protocol-specific payload for well-known ports): a reply means open, ICMP port unreachable means closed, silence means open|filtered.",
    when: "When UDP services matter; expect it to be slow, because silence must be waited out and hosts rate-limit ICMP.",
    privileged: RAW,
    fragile: UDP_FRAGILE,
    ...scanLetter("U"),
  },
  {
    id: "sctp-init",
    tab: "scan",
    kind: "checkbox",
    label: "SCTP INIT scan",
    flag: "-sY",
    explain: "The SYN scan's counterpart for SCTP, the protocol of telephony signalling and some industrial links.",
    wire: "SCTP INIT: INIT-ACK means open, ABORT means closed, silence means filtered.",
    when: "Against telecom equipment or hosts known to run SCTP services.",
    privileged: RAW,
    fragile: null,
    ...scanLetter("Y"),
  },
  {
    id: "sctp-cookie",
    tab: "scan",
    kind: "checkbox",
    label: "SCTP COOKIE-ECHO scan",
    flag: "-sZ",
    explain: "A stealthier SCTP scan: open ports silently drop a COOKIE-ECHO out of the blue, closed ones abort.",
    wire: "SCTP COOKIE-ECHO: ABORT means closed, silence means open|filtered.",
    when: "When SCTP INIT probes are filtered; it cannot tell open from filtered.",
    privileged: RAW,
    fragile: null,
    ...scanLetter("Z"),
  },
  {
    id: "ip-protocol",
    tab: "scan",
    kind: "checkbox",
    label: "IP protocol scan",
    flag: "-sO",
    explain: "Finds which IP protocols (TCP, UDP, ICMP, GRE ...) a host speaks, instead of which ports are open; -p then lists protocol numbers.",
    wire: "A bare IP packet per protocol number: any reply in that protocol means open, ICMP protocol unreachable means closed.",
    when: "To see what a router or firewall supports beyond TCP and UDP. It runs alone, without other scan types.",
    privileged: RAW,
    fragile: "Packets of rarely used protocols exercise code paths some embedded stacks handle badly.",
    ...scanLetter("O"),
  },
  {
    id: "scanflags",
    tab: "scan",
    kind: "text",
    label: "Custom TCP flags",
    flag: "--scanflags <flags>",
    placeholder: "e.g. SYNFIN or 0x29",
    sample: "SYNFIN",
    explain: "Sets exactly which TCP flags the raw TCP scan's probes carry.",
    wire: "TCP probes with these flags; replies are read by the rules of the chosen TCP scan (SYN scan's without one).",
    when: "To test how a firewall treats a particular flag combination.",
    privileged: RAW,
    fragile: ODD_TCP_FRAGILE,
    ...textField("scanFlags"),
  },
  {
    id: "version",
    tab: "scan",
    kind: "checkbox",
    label: "Service and version detection",
    flag: "-sV",
    explain: "Talks to each open port to find out which program and version answers there.",
    wire: "Connects to open ports and sends protocol probes (HTTP requests, TLS hellos, ...), matching the replies against a probe database.",
    when: "When knowing \"port 8080 is open\" is not enough and you need \"Apache 2.4.57\".",
    privileged: NO_RAW,
    fragile: "Probes in the wrong protocol can confuse simple services; printers may print the probe text when their raw print port is probed (excluded unless --allports).",
    ...boolField("serviceDetection"),
  },
  {
    id: "version-intensity",
    tab: "scan",
    kind: "select",
    label: "Version intensity",
    flag: "--version-intensity <0-9> | --version-light | --version-all",
    explain: "How many probes version detection may try on each port: more finds more, and takes longer.",
    wire: "Probes whose rarity is at most this level; 0 sends almost only the most likely one.",
    when: "Lower it for speed on large scans, raise it when services stay unidentified. Turns -sV on.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      { value: "", label: "Default (7)", flag: null },
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({
        value: `${n}`,
        label: n === 2 ? "2 (--version-light)" : n === 9 ? "9 (--version-all)" : `${n}`,
        flag: `--version-intensity ${n}`,
        explain:
          n === 2
            ? "Light: only the likeliest probes (what --version-light means)."
            : n === 9
              ? "All: every probe, however unlikely (what --version-all means)."
              : undefined,
      })),
    ],
    ...textField("versionIntensity", withVersion),
  },
  {
    id: "os",
    tab: "scan",
    kind: "checkbox",
    label: "Operating system detection",
    flag: "-O",
    explain: "Guesses the operating system from how the host's network stack answers a set of odd probes.",
    wire: "About 16 crafted TCP, UDP and ICMP probes to an open and a closed port, compared against a database of fingerprints.",
    when: "To inventory what runs on a network; it needs one open and one closed port to be reliable.",
    privileged: RAW,
    fragile: "Its malformed and unusual probes are known to crash or reboot some printers and embedded devices.",
    ...boolField("osDetection"),
  },
  {
    id: "osscan-limit",
    tab: "scan",
    kind: "checkbox",
    label: "Only promising hosts",
    flag: "--osscan-limit",
    explain: "Skips OS detection on hosts without at least one open and one closed TCP port, where it rarely succeeds.",
    wire: "Fewer OS probes: none to hosts that do not qualify.",
    when: "On large scans, to save time. Turns -O on.",
    privileged: RAW,
    fragile: null,
    ...boolField("osLimit", withOs),
  },
  {
    id: "osscan-guess",
    tab: "scan",
    kind: "checkbox",
    label: "Guess boldly",
    flag: "--osscan-guess",
    explain: "Shows the closest OS matches even when none is exact.",
    wire: "Nothing extra: it changes only what is reported.",
    when: "When -O says nothing matched and a likely guess is better than none. Turns -O on.",
    privileged: RAW,
    fragile: null,
    ...boolField("osGuess", withOs),
  },
  {
    id: "max-os-tries",
    tab: "scan",
    kind: "number",
    label: "OS detection tries",
    flag: "--max-os-tries <n>",
    placeholder: "5",
    sample: "2",
    explain: "How many times OS detection is repeated against a host when no fingerprint matches.",
    wire: "A new round of OS probes per try.",
    when: "Lower it (1) to save time on unreliable networks, raise it for a stubborn host. Turns -O on.",
    privileged: RAW,
    fragile: null,
    ...textField("maxOsTries", withOs),
  },
  {
    id: "traceroute",
    tab: "scan",
    kind: "checkbox",
    label: "Traceroute",
    flag: "--traceroute",
    explain: "Finds the routers between you and each host.",
    wire: "Probes with increasing time-to-live; each router on the way answers with ICMP time exceeded.",
    when: "To draw the network's shape, or see where packets stop.",
    privileged: RAW,
    fragile: null,
    ...boolField("traceroute"),
  },
  {
    id: "ipv6",
    tab: "scan",
    kind: "checkbox",
    label: "IPv6",
    flag: "-6",
    explain: "Scans over IPv6; every target must then be an IPv6 address or a name with one.",
    wire: "IPv6 packets instead of IPv4.",
    when: "For IPv6 targets; a host's IPv6 side is often less firewalled than its IPv4 side.",
    privileged: NO_RAW,
    fragile: null,
    setup: (f) => {
      f.targets = "::1";
    },
    ...boolField("ipv6"),
  },
  // ---------------------------------------------------------------- Ping
  {
    id: "discovery",
    tab: "ping",
    kind: "select",
    label: "Host discovery",
    flag: "-Pn | -sn | -sL",
    explain: "Whether hosts are checked for life before their ports are scanned, and whether ports are scanned at all.",
    wire: "See each choice.",
    when: "The default suits most scans.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      {
        value: "probe",
        label: "Find live hosts, then scan them",
        flag: null,
        explain: "Each target is probed first; only hosts that answer are port-scanned.",
      },
      {
        value: "skip-discovery",
        label: "Treat every host as up (-Pn)",
        flag: "-Pn",
        explain: "Skips the liveness check and scans every target's ports.",
        wire: "No discovery probes; port probes go to every address, live or not.",
        when: "For hosts that ignore pings (many Windows hosts, firewalled servers). Slow over large ranges of empty addresses.",
        privileged: NO_RAW,
        fragile: null,
      },
      {
        value: "discovery-only",
        label: "Only find live hosts (-sn)",
        flag: "-sn",
        explain: "Finds which hosts are up and stops there: no port is scanned.",
        wire: "Only the discovery probes (with privileges: ICMP echo, TCP SYN 443, TCP ACK 80, ICMP timestamp; ARP on the local network).",
        when: "To take a quick census of a network.",
        privileged: NO_RAW,
        fragile: null,
      },
      {
        value: "list-only",
        label: "Only list the targets (-sL)",
        flag: "-sL",
        explain: "Prints the addresses the targets expand to, with their DNS names, and sends them nothing.",
        wire: "Nothing to the targets; only reverse DNS queries to your DNS server (none with -n).",
        when: "To check a target list before scanning it.",
        privileged: NO_RAW,
        fragile: null,
      },
    ],
    get: (f) => f.discovery,
    set: (f, v) => {
      f.discovery = v as Form["discovery"];
    },
  },
  {
    id: "ping-syn",
    tab: "ping",
    kind: "toggle-text",
    label: "TCP SYN ping",
    flag: "-PS[ports]",
    placeholder: "80",
    sample: "22,80",
    explain: "Asks \"is anyone there?\" with a TCP connection attempt to these ports.",
    wire: "SYN to each port (a connect attempt without privileges): SYN/ACK or RST both prove the host is up.",
    when: "When ICMP is blocked but some TCP port is reachable; pick ports the hosts likely use.",
    privileged: NO_RAW,
    fragile: null,
    on: (f) => f.ps,
    setOn: (f, v) => {
      f.ps = v;
    },
    ...textField("psPorts", (f) => {
      f.ps = true;
    }),
  },
  {
    id: "ping-ack",
    tab: "ping",
    kind: "toggle-text",
    label: "TCP ACK ping",
    flag: "-PA[ports]",
    placeholder: "80",
    sample: "80,443",
    explain: "Asks with a TCP ACK, as if answering a connection that never existed.",
    wire: "ACK to each port: a live host answers RST.",
    when: "Through stateless firewalls that drop SYN from outside but let ACK through.",
    privileged: RAW,
    fragile: null,
    on: (f) => f.pa,
    setOn: (f, v) => {
      f.pa = v;
    },
    ...textField("paPorts", (f) => {
      f.pa = true;
    }),
  },
  {
    id: "ping-udp",
    tab: "ping",
    kind: "toggle-text",
    label: "UDP ping",
    flag: "-PU[ports]",
    placeholder: "40125",
    sample: "53,161",
    explain: "Asks with a UDP datagram, by default to a port that is almost certainly closed.",
    wire: "UDP to each port: ICMP port unreachable (or a reply) proves the host is up.",
    when: "For hosts behind TCP-only filters.",
    privileged: RAW,
    fragile: UDP_FRAGILE,
    on: (f) => f.pu,
    setOn: (f, v) => {
      f.pu = v;
    },
    ...textField("puPorts", (f) => {
      f.pu = true;
    }),
  },
  {
    id: "ping-sctp",
    tab: "ping",
    kind: "toggle-text",
    label: "SCTP INIT ping",
    flag: "-PY[ports]",
    placeholder: "80",
    sample: "2905",
    explain: "Asks with an SCTP INIT, the start of an SCTP association.",
    wire: "SCTP INIT: INIT-ACK or ABORT proves the host is up.",
    when: "For telecom hosts that speak SCTP.",
    privileged: RAW,
    fragile: null,
    on: (f) => f.py,
    setOn: (f, v) => {
      f.py = v;
    },
    ...textField("pyPorts", (f) => {
      f.py = true;
    }),
  },
  {
    id: "ping-echo",
    tab: "ping",
    kind: "checkbox",
    label: "ICMP echo",
    flag: "-PE",
    explain: "The classic ping.",
    wire: "ICMP echo request; an echo reply proves the host is up.",
    when: "On internal networks, where ICMP is usually allowed.",
    privileged: RAW,
    fragile: null,
    ...boolField("pe"),
  },
  {
    id: "ping-timestamp",
    tab: "ping",
    kind: "checkbox",
    label: "ICMP timestamp",
    flag: "-PP",
    explain: "Asks the host for its clock, an ICMP query filters often forget.",
    wire: "ICMP timestamp request; a timestamp reply proves the host is up.",
    when: "When echo requests are filtered but other ICMP is not.",
    privileged: RAW,
    fragile: null,
    ...boolField("pp"),
  },
  {
    id: "ping-mask",
    tab: "ping",
    kind: "checkbox",
    label: "ICMP address mask",
    flag: "-PM",
    explain: "Asks the host for its network mask, an old ICMP query.",
    wire: "ICMP address mask request; few modern hosts answer.",
    when: "Rarely; against old systems or odd filters.",
    privileged: RAW,
    fragile: null,
    ...boolField("pm"),
  },
  {
    id: "ping-proto",
    tab: "ping",
    kind: "toggle-text",
    label: "IP protocol ping",
    flag: "-PO[protocols]",
    placeholder: "1,2,4",
    sample: "1,6,17",
    explain: "Asks with bare IP packets of these protocol numbers (1 ICMP, 2 IGMP, 4 IP-in-IP by default).",
    wire: "An IP packet per protocol: any reply, or ICMP protocol unreachable, proves the host is up.",
    when: "When the usual ICMP and TCP probes are all filtered.",
    privileged: RAW,
    fragile: null,
    on: (f) => f.po,
    setOn: (f, v) => {
      f.po = v;
    },
    ...textField("poProtos", (f) => {
      f.po = true;
    }),
  },
  {
    id: "ping-arp",
    tab: "ping",
    kind: "checkbox",
    label: "ARP ping",
    flag: "-PR",
    explain: "On your own local network, asks for each address's hardware address; nothing is faster or more reliable there.",
    wire: "ARP requests (IPv6: neighbour solicitations) on the local link only.",
    when: "Scanning the network you are plugged into.",
    privileged: RAW,
    fragile: null,
    ...boolField("pr"),
  },
  {
    id: "dns",
    tab: "ping",
    kind: "select",
    label: "Name resolution",
    flag: "-n | -R",
    explain: "Whether addresses are turned back into host names.",
    wire: "Reverse DNS (PTR) queries to your DNS server, not to the targets.",
    when: "See each choice.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      { value: "", label: "Live hosts only (default)", flag: null },
      {
        value: "never",
        label: "Never (-n)",
        flag: "-n",
        explain: "No reverse DNS: faster, and quieter towards your DNS server.",
        wire: "No DNS queries at all.",
        when: "On big scans, or when names do not matter.",
        privileged: NO_RAW,
        fragile: null,
      },
      {
        value: "always",
        label: "Every target (-R)",
        flag: "-R",
        explain: "Looks up the name of every target, up or down.",
        wire: "A PTR query for every address.",
        when: "When names of down hosts tell you something (a list of what should be there).",
        privileged: NO_RAW,
        fragile: null,
      },
    ],
    ...textField("dns"),
  },
  // ---------------------------------------------------------------- Target
  {
    id: "targets",
    tab: "target",
    kind: "text",
    label: "Targets",
    flag: "<targets>",
    placeholder: "e.g. 127.0.0.1 scanme.example 198.18.0.0/24",
    sample: "127.0.0.1 127.0.0.2",
    explain: "What to scan: addresses, names, networks (198.18.0.0/24) or octet ranges (198.18.0.1-9), separated by spaces.",
    wire: "Nothing by itself; names are resolved through your DNS server.",
    when: "Always, unless targets come from a file (-iL). Scan only networks you are authorised to scan.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("targets"),
  },
  {
    id: "exclude",
    tab: "target",
    kind: "text",
    label: "Exclude hosts",
    flag: "--exclude <hosts>",
    placeholder: "e.g. 198.18.0.1,198.18.0.254",
    sample: "127.0.0.9,127.0.0.10",
    explain: "Leaves these hosts or networks out, even when the targets include them.",
    wire: "Nothing is sent to them.",
    when: "To spare a fragile device or a host you may not touch inside a range.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("exclude"),
  },
  {
    id: "input-list",
    tab: "target",
    kind: "text",
    label: "Targets from a file",
    flag: "-iL <file>",
    placeholder: "path to a file, one target per line",
    sample: "tests/fixtures/builder-targets.txt",
    explain: "Reads targets from a file, one or more per line ('-' reads standard input).",
    wire: "Nothing by itself.",
    when: "For long or generated target lists.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("inputList"),
  },
  {
    id: "ports",
    tab: "target",
    kind: "ports",
    label: "Ports",
    flag: "-p <ports>",
    placeholder: "e.g. 22,80,443 or 1-1024 or U:53,T:22",
    sample: "22,80,8000-8010",
    explain: "Exactly which ports to scan; T:, U: and S: prefixes choose TCP, UDP or SCTP, and '-' alone means all.",
    wire: "One probe (or more, on retries) per listed port.",
    when: "When you know what you are looking for, or want every port (-p-).",
    privileged: NO_RAW,
    fragile: null,
    ...textField("ports"),
  },
  {
    id: "fast",
    tab: "target",
    kind: "checkbox",
    label: "Fast (100 common ports)",
    flag: "-F",
    explain: "Scans the 100 most common ports instead of the 1,000 most common.",
    wire: "A tenth of the default probes.",
    when: "For a quick first look.",
    privileged: NO_RAW,
    fragile: null,
    ...boolField("fast"),
  },
  {
    id: "top-ports",
    tab: "target",
    kind: "number",
    label: "Most common ports",
    flag: "--top-ports <n>",
    placeholder: "1000",
    sample: "50",
    explain: "Scans the n ports most often found open on the Internet.",
    wire: "n probes per host and protocol.",
    when: "To trade coverage for speed more finely than -F.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("topPorts"),
  },
  {
    id: "sequential",
    tab: "target",
    kind: "checkbox",
    label: "Ports in order",
    flag: "-r",
    explain: "Scans ports in numeric order instead of shuffled.",
    wire: "The same probes, in order; sequential probing is easier for an intrusion detection system to spot.",
    when: "When reading a packet capture or debugging.",
    privileged: NO_RAW,
    fragile: null,
    ...boolField("sequential"),
  },
  {
    id: "exclude-ports",
    tab: "target",
    kind: "ports",
    label: "Exclude ports",
    flag: "--exclude-ports <ports>",
    placeholder: "e.g. 9100-9107",
    sample: "9100",
    explain: "Leaves these ports out of the scan.",
    wire: "Nothing is sent to them.",
    when: "To spare printers' raw print ports (9100) or a service known to misbehave.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("excludePorts"),
  },
  // ---------------------------------------------------------------- Source
  {
    id: "interface",
    tab: "source",
    kind: "text",
    label: "Network interface",
    flag: "-e <interface>",
    placeholder: "e.g. eth0",
    sample: "lo",
    explain: "Sends through this network interface instead of the one the routing table picks.",
    wire: "The same packets, out of another interface.",
    when: "On machines with several networks (VPN, Wi-Fi and cable).",
    privileged: NO_RAW,
    fragile: null,
    ...textField("iface"),
  },
  {
    id: "source-addr",
    tab: "source",
    kind: "text",
    label: "Source address",
    flag: "-S <address>",
    placeholder: "e.g. 198.18.0.9",
    sample: "198.18.0.9",
    explain: "Writes this address as the sender of the probes.",
    wire: "Probes claiming to come from that address; replies go there, not to you.",
    when: "When your machine has several addresses, or to test filters; with a foreign address you will not see the answers.",
    privileged: RAW,
    fragile: null,
    ...textField("sourceAddr"),
  },
  {
    id: "source-port",
    tab: "source",
    kind: "number",
    label: "Source port",
    flag: "-g <port>",
    placeholder: "random",
    sample: "53",
    explain: "Sends the probes from this source port.",
    wire: "Probes from a fixed port; some careless firewalls trust traffic from port 53 (DNS) or 20 (FTP data).",
    when: "To test whether a firewall trusts a source port.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("sourcePort"),
  },
  {
    id: "decoys",
    tab: "source",
    kind: "text",
    label: "Decoys",
    flag: "-D <decoy,...>",
    placeholder: "e.g. RND:3,ME",
    sample: "RND:3,ME",
    explain: "Sends copies of each probe claiming to come from these other addresses, so your own hides among them.",
    wire: "Every probe is sent once per decoy with a forged source, multiplying the traffic.",
    when: "In authorised tests of what an intrusion detection system records.",
    privileged: RAW,
    fragile: "Multiplies the traffic by the number of decoys; a decoy flood can overload small devices.",
    ...textField("decoys"),
  },
  {
    id: "spoof-mac",
    tab: "source",
    kind: "text",
    label: "Spoof MAC address",
    flag: "--spoof-mac <mac|prefix|vendor|0>",
    placeholder: "0 for random",
    sample: "0",
    explain: "Sends raw Ethernet frames with another hardware address as the sender.",
    wire: "Ethernet frames with a forged source MAC (only visible on the local network).",
    when: "To test MAC-based access controls on your own network.",
    privileged: RAW,
    fragile: null,
    ...textField("spoofMac"),
  },
  {
    id: "fragment",
    tab: "source",
    kind: "checkbox",
    label: "Fragment packets",
    flag: "-f",
    explain: "Splits each raw probe into tiny IP fragments of 8 bytes of payload.",
    wire: "Several IP fragments per probe, which the target must reassemble.",
    when: "To test whether filters inspect fragmented traffic.",
    privileged: RAW,
    fragile: "Reassembling tiny fragments has crashed embedded stacks and can fill their reassembly buffers.",
    get: (f) => f.mtu.trim() === "8",
    set: (f, v) => {
      f.mtu = v ? "8" : "";
    },
  },
  {
    id: "mtu",
    tab: "source",
    kind: "number",
    label: "Fragment size",
    flag: "--mtu <bytes>",
    placeholder: "a multiple of 8",
    sample: "24",
    explain: "Fragments raw probes with this many bytes of payload per fragment (-f is 8, -ff is 16).",
    wire: "IP fragments of this size.",
    when: "As -f, with a size of your choosing.",
    privileged: RAW,
    fragile: "Fragmented traffic is hard on fragile stacks (see -f).",
    ...textField("mtu"),
  },
  {
    id: "ttl",
    tab: "source",
    kind: "number",
    label: "Time to live",
    flag: "--ttl <0-255>",
    placeholder: "system default",
    sample: "64",
    explain: "Sets the IP time-to-live of probes: how many routers they may cross.",
    wire: "Probes with this TTL; too low and they expire on the way.",
    when: "To mimic another system's traffic, or keep probes on the local network.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("ttl"),
  },
  {
    id: "data-length",
    tab: "source",
    kind: "number",
    label: "Random payload",
    flag: "--data-length <bytes>",
    placeholder: "0",
    sample: "16",
    explain: "Appends this many random bytes to each probe.",
    wire: "Larger probes with a random payload.",
    when: "To look less like a scanner to filters that match empty probes.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("dataLength"),
  },
  {
    id: "badsum",
    tab: "source",
    kind: "checkbox",
    label: "Bad checksums",
    flag: "--badsum",
    explain: "Sends probes with a deliberately wrong TCP/UDP/SCTP checksum.",
    wire: "Probes every correct host drops; any reply comes from a firewall or IDS that did not check.",
    when: "To detect middle boxes that answer on the hosts' behalf.",
    privileged: RAW,
    fragile: null,
    ...boolField("badsum"),
  },
  // ---------------------------------------------------------------- Timing
  {
    id: "template",
    tab: "timing",
    kind: "select",
    label: "Timing template",
    flag: "-T<0-5>",
    explain: "A bundle of speed settings, from very slow and quiet to very fast and loud.",
    wire: "The same probes, sent faster or slower and waited for more or less long.",
    when: "T4 on good networks, T2 or lower to be gentle; explicit limits below override the template.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      {
        value: "0",
        label: "Paranoid (-T0)",
        flag: "-T0",
        explain: "One probe at a time, five minutes apart: days for one host.",
        when: "Only to evade an intrusion detection system in a test.",
      },
      { value: "1", label: "Sneaky (-T1)", flag: "-T1", explain: "One probe at a time, 15 seconds apart." },
      {
        value: "2",
        label: "Polite (-T2)",
        flag: "-T2",
        explain: "One probe at a time, 0.4 s apart: easy on the network and on fragile devices.",
        when: "Scanning printers, industrial devices, or a busy production network.",
      },
      { value: "3", label: "Normal (default)", flag: null, explain: "The default balance." },
      {
        value: "4",
        label: "Aggressive (-T4)",
        flag: "-T4",
        explain: "Shorter timeouts and fewer retries; the usual choice on a fast, reliable network.",
      },
      {
        value: "5",
        label: "Insane (-T5)",
        flag: "-T5",
        explain: "Very short timeouts, two retries, 15 minutes at most per host: fast, and it misses ports on slow links.",
        fragile: "The probe rate can overwhelm small devices and links.",
      },
    ],
    ...textField("template"),
  },
  {
    id: "min-rate",
    tab: "timing",
    kind: "number",
    label: "Minimum rate",
    flag: "--min-rate <packets/s>",
    placeholder: "none",
    sample: "100",
    explain: "Sends at least this many packets per second, whatever the network seems able to take.",
    wire: "At least this rate of probes; losses are not slowed down for.",
    when: "To bound a scan's duration on a network you know is fast.",
    privileged: NO_RAW,
    fragile: "A high floor overrides congestion control and can flood small devices.",
    ...textField("minRate"),
  },
  {
    id: "max-rate",
    tab: "timing",
    kind: "number",
    label: "Maximum rate",
    flag: "--max-rate <packets/s>",
    placeholder: "none",
    sample: "50",
    explain: "Never sends more than this many packets per second.",
    wire: "At most this rate of probes.",
    when: "To stay gentle on fragile devices or a thin link, or under a rate limit.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("maxRate"),
  },
  {
    id: "max-retries",
    tab: "timing",
    kind: "number",
    label: "Maximum retries",
    flag: "--max-retries <n>",
    placeholder: "10",
    sample: "2",
    explain: "How often an unanswered port probe is sent again before the port is called filtered.",
    wire: "At most this many repeats per probe.",
    when: "Lower it for speed on filtered networks (at some risk of missing ports).",
    privileged: NO_RAW,
    fragile: null,
    ...textField("maxRetries"),
  },
  {
    id: "host-timeout",
    tab: "timing",
    kind: "time",
    label: "Host timeout",
    flag: "--host-timeout <time>",
    placeholder: "e.g. 30s, 5m",
    sample: "30000ms",
    explain: "Gives up on a host after this long, reporting nothing for it.",
    wire: "Nothing more to that host after the limit.",
    when: "On large scans, so that a few slow hosts do not hold up the rest.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("hostTimeout"),
  },
  {
    id: "scan-delay",
    tab: "timing",
    kind: "time",
    label: "Delay between probes",
    flag: "--scan-delay <time>",
    placeholder: "e.g. 500ms, 1s",
    sample: "500ms",
    explain: "Waits at least this long between probes to a host.",
    wire: "The same probes, spread out in time.",
    when: "Against hosts that rate-limit replies, or to be gentle on fragile devices.",
    privileged: NO_RAW,
    fragile: null,
    ...textField("scanDelay"),
  },
  // ---------------------------------------------------------------- Output
  {
    id: "verbosity",
    tab: "output",
    kind: "select",
    label: "Verbosity",
    flag: "-v | -vv | -v<n>",
    explain: "How much the scan tells you while it runs and in its report.",
    wire: "Nothing: it changes only the output.",
    when: "-v is a good habit: open ports are shown as they are found.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      { value: "0", label: "Normal", flag: null },
      { value: "1", label: "Verbose (-v)", flag: "-v" },
      { value: "2", label: "Very verbose (-vv)", flag: "-v2" },
      { value: "3", label: "Level 3 (-v3)", flag: "-v3" },
    ],
    ...textField("verbosity"),
  },
  {
    id: "debug",
    tab: "output",
    kind: "select",
    label: "Debugging",
    flag: "-d | -d<n>",
    explain: "Adds details meant for diagnosing the scanner itself.",
    wire: "Nothing: it changes only the output.",
    when: "When a scan behaves unexpectedly.",
    privileged: NO_RAW,
    fragile: null,
    choices: [
      { value: "0", label: "Off", flag: null },
      { value: "1", label: "On (-d)", flag: "-d" },
      { value: "2", label: "More (-d2)", flag: "-d2" },
    ],
    ...textField("debug"),
  },
  {
    id: "reason",
    tab: "output",
    kind: "checkbox",
    label: "Reasons",
    flag: "--reason",
    explain: "Shows why each port got its state (syn-ack, reset, no-response ...).",
    wire: "Nothing: it changes only the output.",
    when: "When learning, or when a state is surprising.",
    privileged: NO_RAW,
    fragile: null,
    ...boolField("reason"),
  },
  {
    id: "open",
    tab: "output",
    kind: "checkbox",
    label: "Open ports only",
    flag: "--open",
    explain: "Shows only ports that are (or may be) open, and only hosts with one.",
    wire: "Nothing: it changes only the output.",
    when: "To shorten reports of large scans.",
    privileged: NO_RAW,
    fragile: null,
    ...boolField("openOnly"),
  },
  {
    id: "packet-trace",
    tab: "output",
    kind: "checkbox",
    label: "Packet trace",
    flag: "--packet-trace",
    explain: "Prints every probe sent and every reply received.",
    wire: "Nothing: it changes only the output.",
    when: "To learn what a scan type really does, or to debug one.",
    privileged: NO_RAW,
    fragile: null,
    ...boolField("packetTrace"),
  },
  ...(
    [
      ["out-normal", "-oN", "Normal output file", "outNormal", "scan.txt", "the report as printed on screen"],
      ["out-xml", "-oX", "XML output file", "outXml", "scan.xml", "Nmap's XML format, which other tools read"],
      ["out-grepable", "-oG", "Grepable output file", "outGrepable", "scan.gnmap", "one line per host, for grep and scripts"],
      ["out-json", "-oJ", "JSON output file", "outJson", "scan.json", "a JSON report"],
      ["out-all", "-oA", "All formats (base name)", "outAll", "scan", "normal, XML and grepable files: <base>.nmap, .xml and .gnmap"],
    ] as const
  ).map(
    ([id, flag, label, key, sample, what]): TextControl => ({
      id,
      tab: "output",
      kind: "text",
      label,
      flag: `${flag} <file>`,
      placeholder: sample,
      sample,
      explain: `Also writes ${what} to this file.`,
      wire: "Nothing: it changes only the output.",
      when: "To keep results, compare them later or feed other tools.",
      privileged: NO_RAW,
      fragile: null,
      ...textField(key),
    }),
  ),
];

export function controlsOf(tab: Tab): Control[] {
  return CONTROLS.filter((c) => c.tab === tab);
}

/** The option names a control writes: `-p`, `-PS`, `-T` ... (its own spelling and its choices'). */
function namesOf(c: Control): string[] {
  const spelled = [c.flag, ...(c.kind === "select" ? c.choices.map((ch) => ch.flag ?? "") : [])];
  return spelled
    .flatMap((s) => s.split(/[\s|]+/))
    .map((w) => w.replace(/[<[].*$/, ""))
    .filter((w) => w.startsWith("-"));
}

/**
 * The controls a parser message is about. The parser names the option it refuses first
 * (`portolan: --ttl: '300' is not ...`, `portolan: -F cannot be combined with -p`); `-T4` and `-T` are one
 * option, as are `-v2` and `-v`.
 */
export function controlsNamedIn(message: string): Control[] {
  const m = /^portolan: (-[A-Za-z0-9-]+)[:\s]/.exec(message);
  if (!m) return [];
  const named = m[1] as string;
  return CONTROLS.filter((c) =>
    namesOf(c).some((w) => w === named || (/^-[Tvd]\d$/.test(w) && w.slice(0, 2) === named)),
  );
}
