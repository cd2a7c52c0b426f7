// The ten classic scan profiles Zenmap made familiar, as Portolan command lines (Portolan reads Nmap's option
// syntax). Names and descriptions are Portolan's own. The target is appended after `args`.
import { quoteWord } from "./commandline";

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
