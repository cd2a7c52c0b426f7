// The ten classic scan profiles Zenmap made familiar, as Portolan command lines (Portolan reads Nmap's option
// syntax). Names and descriptions are Portolan's own. The target is appended after `args`.
import { joinCommandLine, quoteWord, scannerArgs } from "./commandline";

export interface Profile {
  id: string;
  name: string;
  description: string;
  args: string;
}

export const PROFILES: readonly Profile[] = [
  {
    id: "intense",
    name: "Intense scan",
    description: "The 1,000 most common TCP ports, fast timing, with OS and version detection, default scripts and traceroute.",
    args: "-T4 -A -v",
  },
  {
    id: "intense-udp",
    name: "Intense scan plus UDP",
    description: "The intense scan over both TCP (SYN) and UDP. UDP is slow: expect minutes per host.",
    args: "-sS -sU -T4 -A -v",
  },
  {
    id: "intense-all-tcp",
    name: "Intense scan, all TCP ports",
    description: "The intense scan over every TCP port, 1 to 65535.",
    args: "-p 1-65535 -T4 -A -v",
  },
  {
    id: "intense-no-ping",
    name: "Intense scan, no ping",
    description: "The intense scan, treating every target as up: for hosts that ignore discovery probes.",
    args: "-T4 -A -v -Pn",
  },
  {
    id: "ping",
    name: "Ping scan",
    description: "Only find which hosts are up; no ports are scanned.",
    args: "-sn",
  },
  {
    id: "quick",
    name: "Quick scan",
    description: "The 100 most common TCP ports with fast timing.",
    args: "-T4 -F",
  },
  {
    id: "quick-plus",
    name: "Quick scan plus",
    description: "The quick scan with light version detection and OS detection.",
    args: "-sV -T4 -O -F --version-light",
  },
  {
    id: "quick-traceroute",
    name: "Quick traceroute",
    description: "Find which hosts are up and the routers on the way to each.",
    args: "-sn --traceroute",
  },
  {
    id: "regular",
    name: "Regular scan",
    description: "The default: the 1,000 most common TCP ports at normal timing.",
    args: "",
  },
  {
    id: "slow-comprehensive",
    name: "Slow comprehensive scan",
    description:
      "TCP and UDP with many discovery probes, OS and version detection, and the default and safe discovery scripts. Thorough and slow.",
    args: `-sS -sU -T4 -A -v -PE -PP -PS80,443 -PA3389 -PU40125 -PY -g 53 --script "default or (discovery and safe)"`,
  },
];

/**
 * The full command line a profile gives for `target`; with `datadir` (the user opted into Nmap's data files
 * in Settings) `--datadir DIR` is part of it, so the command shown is the command run.
 */
export function profileCommand(p: Profile, target: string, datadir?: string | null): string {
  const dd = datadir ? `--datadir ${quoteWord(datadir)}` : "";
  return ["portolan", p.args, dd, target.trim()].filter((s) => s !== "").join(" ");
}

/** Built-in profiles as the import of Zenmap's file compares them (an identical one is not stored twice). */
export const BUILTIN_REFS = PROFILES.map((p) => ({ name: p.name, args: p.args }));

export type ProfileArgs = { ok: true; args: string } | { ok: false; message: string };

/**
 * What a profile saved from `command` keeps: the scanner's options without the program name, without the
 * `targets` at its end and without the `--datadir DIR` the Settings added (both are added back when the
 * profile is used).
 */
export function profileArgs(command: string, targets: readonly string[], datadir?: string | null): ProfileArgs {
  const r = scannerArgs(command);
  if (!r.ok) return { ok: false, message: `The command line cannot be read: ${r.message}.` };
  let words = [...r.words];
  const k = targets.length;
  if (k > 0 && words.length >= k && words.slice(words.length - k).every((w, i) => w === targets[i])) {
    words = words.slice(0, words.length - k);
  }
  if (datadir) {
    const at = words.findIndex((w, i) => w === "--datadir" && words[i + 1] === datadir);
    if (at >= 0) words.splice(at, 2);
  }
  return { ok: true, args: joinCommandLine(words) };
}
