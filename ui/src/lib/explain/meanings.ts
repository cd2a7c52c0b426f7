// Explain mode: what each port state and each reason means, in plain words, for someone who has never read a
// networking book. Written by the project from the scan techniques' documented behaviour; every entry says
// what the word means, what it implies for the user, and what to try next.
import type { PortState } from "../ipc/bindings";

export interface Explanation {
  /** A short title ("Open", "SYN/ACK came back"). */
  title: string;
  /** One sentence: what the word means. */
  meaning: string;
  /** What it implies for the user. */
  implies: string;
  /** What to try next. */
  next: string;
}

export const PORT_STATES: readonly PortState[] = [
  "open",
  "closed",
  "filtered",
  "unfiltered",
  "open|filtered",
  "closed|filtered",
];

export const STATE_EXPLANATIONS: Record<PortState, Explanation> = {
  open: {
    title: "Open",
    meaning: "A program on the target is waiting for connections or data on this port, and it answered.",
    implies:
      "Anyone who can reach this address can talk to that program, so it is part of what the machine shows to the network.",
    next: "Check that you expect a service here; a version scan (-sV) names the program, and closing or firewalling it is how you hide it.",
  },
  closed: {
    title: "Closed",
    meaning: "The target answered, but no program is listening on this port.",
    implies:
      "The machine is up and reachable, and nothing stands between you and this port; it simply has nothing to offer here right now.",
    next: "Nothing to fix. A closed port can become open when a program starts, so compare with a later scan if it matters.",
  },
  filtered: {
    title: "Filtered",
    meaning: "The scanner cannot tell whether the port is open, because something stopped its probes or the answers.",
    implies:
      "A firewall, a packet filter on the target or a router on the way probably drops or rejects the probes; the port itself may be open or closed behind it.",
    next: "Try a slower timing (-T2 or -T3) in case answers were lost, or an ACK scan (-sA) to see whether a firewall is in the way.",
  },
  unfiltered: {
    title: "Unfiltered",
    meaning: "The probes reach the port, but this kind of scan cannot say whether it is open or closed.",
    implies:
      "No firewall blocks this port for these packets. Only the ACK scan reports this state: it maps firewalls, not services.",
    next: "Run a SYN (-sS) or connect (-sT) scan of the same port to learn whether it is open or closed.",
  },
  "open|filtered": {
    title: "Open or filtered",
    meaning: "No answer came back, and for this kind of scan silence can mean either an open port or a firewall dropping the probe.",
    implies:
      "Open UDP ports and open ports under FIN, NULL, Xmas and similar scans usually stay silent, and so do ports behind a firewall; the scan cannot tell them apart.",
    next: "A version scan (-sV) sends real requests that an open service answers; for UDP, a slower timing avoids counting lost answers as silence.",
  },
  "closed|filtered": {
    title: "Closed or filtered",
    meaning: "The scan cannot decide between a closed port and one hidden by a firewall.",
    implies: "Only the idle scan reports this state; it says the port was not seen open.",
    next: "Scan the port directly with a SYN (-sS) or connect (-sT) scan if you are allowed to reach the target.",
  },
};

/** The reasons Portolan's scanner writes (crates/model `Reason`, crates/engine), with their explanations. */
export const REASON_EXPLANATIONS: Record<string, Explanation> = {
  "syn-ack": {
    title: "SYN/ACK came back",
    meaning: "The target answered the opening packet of a TCP connection with its own \"yes, let's talk\" packet.",
    implies: "A program accepts connections on this port: that is what open means for TCP.",
    next: "Find out which program it is with a version scan (-sV).",
  },
  reset: {
    title: "Reset (RST) came back",
    meaning: "The target answered with a TCP reset, the packet a system sends to refuse or cut off a connection.",
    implies:
      "The packet reached the target and its system answered. For most scans that means nothing listens there (closed); for an ACK scan it means no firewall blocks the port; for a Window scan the reset's window size decides between open and closed.",
    next: "Nothing is hidden here. If you expected a service, check that it is running and listening on this address.",
  },
  "conn-refused": {
    title: "Connection refused",
    meaning: "The operating system tried to connect and the target refused, which it does by sending a TCP reset.",
    implies: "The target is reachable and no program listens on this port.",
    next: "If a service should be here, check that it runs and listens on this address, not only on 127.0.0.1.",
  },
  "no-response": {
    title: "No response",
    meaning: "Nothing came back, even after the probe was sent again.",
    implies:
      "A firewall probably drops the probes silently; for UDP and FIN/NULL/Xmas scans an open port also stays silent, and for a host it can simply be switched off.",
    next: "Try a slower timing (-T3 or -T2) or more retries (--max-retries) in case answers were lost; for a host, try -Pn to scan it anyway.",
  },
  "host-unreach": {
    title: "Host unreachable",
    meaning: "A router or the target's network said, with an ICMP message, that this host cannot be reached.",
    implies:
      "The address may be unused or switched off (on your own network: nothing answered for that address), or a filter answers with this message.",
    next: "Check the address and your route to it; if the host should be up, ask who runs the network in between.",
  },
  "net-unreach": {
    title: "Network unreachable",
    meaning: "Your computer or a router on the way knows no route to the target's network.",
    implies: "The packets never got close to the target: this is about routing, not about the port.",
    next: "Check the address, your network connection and any VPN you need to reach that network.",
  },
  "proto-unreach": {
    title: "Protocol unreachable",
    meaning: "The target said, with an ICMP message, that it does not speak the protocol the probe used.",
    implies: "For a protocol scan (-sO) this protocol is not supported there; for other scans a filter may be sending the message.",
    next: "Nothing to fix; for port scans try another scan type if you expected an answer.",
  },
  "port-unreach": {
    title: "Port unreachable",
    meaning: "The target said, with an ICMP message, that nothing listens on this port.",
    implies:
      "For a UDP scan it means closed; for a protocol scan it shows UDP is spoken there; for TCP scans a firewall probably sends it to reject the probe.",
    next: "For UDP this is a clear answer. For TCP, look for a firewall rule that rejects with \"port unreachable\".",
  },
  "admin-prohibited": {
    title: "Administratively prohibited",
    meaning: "A firewall or router answered with an ICMP message saying that its rules forbid this traffic.",
    implies: "A firewall deliberately rejects the probe and says so; what lies behind it is unknown.",
    next: "If you own the network, look for the rule that rejects this port; otherwise the port is blocked for you by design.",
  },
  "host-prohibited": {
    title: "Host prohibited",
    meaning: "A firewall answered with an ICMP message saying that traffic to this host is forbidden.",
    implies: "A filter rejects packets for this host and says so.",
    next: "If you own the network, look for the firewall rule (iptables' default reject sends this message).",
  },
  "net-prohibited": {
    title: "Network prohibited",
    meaning: "A firewall answered with an ICMP message saying that traffic to this network is forbidden.",
    implies: "A filter rejects packets for the whole network and says so.",
    next: "If you own the network, look for the firewall rule; otherwise this network is closed to you.",
  },
  "unknown-response": {
    title: "Unusual ICMP answer",
    meaning: "An ICMP error came back that is none of the common unreachable messages.",
    implies: "Something on the way rejected the probe; treat the port as blocked.",
    next: "A packet capture (tcpdump, Wireshark) shows the exact message if you need it.",
  },
  "udp-response": {
    title: "UDP answer",
    meaning: "A program on the port answered the UDP probe with data.",
    implies: "Something really listens there: a UDP port only answers when a program reads it.",
    next: "Run a version scan (-sV) to find out which program answered.",
  },
  "init-ack": {
    title: "SCTP INIT-ACK came back",
    meaning: "The target answered the opening SCTP packet with its acceptance.",
    implies: "A program accepts SCTP associations on this port (SCTP is used mostly by telephone networks).",
    next: "Check that you expect an SCTP service here.",
  },
  abort: {
    title: "SCTP ABORT came back",
    meaning: "The target answered with an SCTP ABORT, its way of refusing an association.",
    implies: "The target is reachable and nothing listens on this SCTP port.",
    next: "Nothing to fix.",
  },
  "proto-response": {
    title: "Answer in the same protocol",
    meaning: "The target answered in the very protocol the probe used.",
    implies: "The target's system speaks this IP protocol.",
    next: "Nothing to fix; it is a fact about the target's network stack.",
  },
  "echo-reply": {
    title: "Ping answered",
    meaning: "The target answered an ICMP echo request, the packet the ping command sends.",
    implies: "The host is up and lets pings through.",
    next: "Nothing to fix; if you would rather it stayed quiet, a firewall can drop pings.",
  },
  "timestamp-reply": {
    title: "Timestamp answered",
    meaning: "The target answered an ICMP timestamp request with its clock.",
    implies: "The host is up; it answers a rarely needed ICMP message, which some firewalls forget to block.",
    next: "Nothing to fix; a firewall can drop ICMP timestamp requests if you want the host quieter.",
  },
  "addressmask-reply": {
    title: "Address mask answered",
    meaning: "The target answered an old ICMP request that asks for its network mask.",
    implies: "The host is up and answers a message few systems still do.",
    next: "Nothing to fix.",
  },
  "arp-response": {
    title: "ARP answer",
    meaning: "On your local network the target answered an ARP question: \"who has this address?\".",
    implies: "The host is up and on the same network segment as you; firewalls rarely hide a host from ARP.",
    next: "Nothing to fix; the MAC address also hints at the maker of its network card.",
  },
  "nd-response": {
    title: "Neighbour answer (IPv6)",
    meaning: "On your local network the target answered an IPv6 neighbour solicitation, IPv6's version of ARP.",
    implies: "The host is up and on the same network segment as you.",
    next: "Nothing to fix.",
  },
  "user-set": {
    title: "Set by you",
    meaning: "No packet decided this: the scan was told to take it as given (for a host, with -Pn).",
    implies: "The host was scanned without first checking that it is up, so it may in fact be down.",
    next: "Nothing to fix; drop -Pn to let the scanner check first.",
  },
  "localhost-response": {
    title: "This computer",
    meaning: "The address belongs to this computer, so it is up without sending anything.",
    implies: "You are scanning your own machine, the safest place to practise.",
    next: "Look at which programs listen here; closing ones you do not need makes the machine safer.",
  },
  unknown: {
    title: "Unknown",
    meaning: "The scanner could not record why; for a connect scan, a local error stopped the attempt.",
    implies: "The state is a guess; the scan's warnings say what went wrong.",
    next: "Read the warnings in the Output tab and scan the port again.",
  },
};

/** Reasons other scanners (Nmap) write and Portolan reads from their files, without producing them itself. */
export const FOREIGN_REASON_EXPLANATIONS: Record<string, Explanation> = {
  "time-exceeded": {
    title: "Time exceeded",
    meaning: "A router on the way dropped the probe because it had passed through too many routers, and said so.",
    implies: "The probe never reached the target; there may be a routing loop, or the TTL was set too low.",
    next: "A traceroute (--traceroute) shows where the packets stop.",
  },
  "ttl-exceeded": {
    title: "TTL exceeded",
    meaning: "A router on the way dropped the probe because it had passed through too many routers, and said so.",
    implies: "The probe never reached the target; there may be a routing loop, or the TTL was set too low.",
    next: "A traceroute (--traceroute) shows where the packets stop.",
  },
  "perm-denied": {
    title: "Permission denied",
    meaning: "The scanner's own computer refused to send the probe.",
    implies: "A local firewall or missing privileges stopped the packet before it left; the target said nothing.",
    next: "Check the local firewall and the scanner's privileges.",
  },
  "tcp-response": {
    title: "TCP answer",
    meaning: "Some TCP packet came back from the target.",
    implies: "The target is up.",
    next: "Nothing to fix.",
  },
  "split-handshake-syn": {
    title: "SYN came back",
    meaning: "The target answered an opening packet with an opening packet of its own, a rare way of accepting.",
    implies: "Something accepts connections on this port, though in an unusual way.",
    next: "A connect scan (-sT) of the port confirms it.",
  },
  "script-set": {
    title: "Set by a script",
    meaning: "A script changed this state after the scan, from what it learned by talking to the service.",
    implies: "The script's output says why.",
    next: "Read the script's output for this port.",
  },
  "source-quench": {
    title: "Slow down",
    meaning: "The target or a router asked, with an old ICMP message, to send more slowly.",
    implies: "Something on the way is overloaded or rate-limits traffic.",
    next: "Try a slower timing (-T2).",
  },
  "dest-unreach": {
    title: "Destination unreachable",
    meaning: "An ICMP message said the destination cannot be reached, without a more precise code.",
    implies: "A router or firewall rejected the probe.",
    next: "A traceroute shows where the packets stop.",
  },
  "param-problem": {
    title: "Parameter problem",
    meaning: "The target or a router found something wrong in the probe's headers and said so.",
    implies: "The probe was unusual enough to be refused, often because of evasion options.",
    next: "Drop unusual options (fragmentation, IP options, bad checksums) and scan again.",
  },
  "no-route": {
    title: "No route",
    meaning: "Your computer knows no route to the target.",
    implies: "The packets never left this machine.",
    next: "Check your network connection and routes.",
  },
};

/** The explanation of a reason, whoever wrote it; `null` for a word nobody documents. */
export function explainReason(reason: string): Explanation | null {
  return REASON_EXPLANATIONS[reason] ?? FOREIGN_REASON_EXPLANATIONS[reason] ?? null;
}

export function explainState(state: string): Explanation | null {
  return (STATE_EXPLANATIONS as Record<string, Explanation>)[state] ?? null;
}

/** Host states (up, down, unknown) for the host details' status line. */
export const HOST_STATE_EXPLANATIONS: Record<string, Explanation> = {
  up: {
    title: "Up",
    meaning: "The host answered at least one discovery probe, or was taken as up.",
    implies: "It is switched on and reachable from here, so its ports were scanned.",
    next: "Look at its ports; only scan machines you own or are allowed to scan.",
  },
  down: {
    title: "Down",
    meaning: "The host answered none of the discovery probes.",
    implies: "It may be switched off, or a firewall may drop the probes; its ports were not scanned.",
    next: "If you know it is up, scan it with -Pn to skip the check.",
  },
  unknown: {
    title: "Unknown",
    meaning: "The scan could not check whether the host is up (for example with -Pn).",
    implies: "Its ports were scanned anyway.",
    next: "Nothing to fix.",
  },
};

/**
 * What the Service column means for a port, when that needs saying: a name from the services table (a guess by
 * port number), a connection closed without a word (`tcpwrapped`), or nothing known. `null` when version
 * detection named the service from its answers, which needs no explanation.
 */
export function explainService(name: string | null | undefined, method: string | null | undefined): string | null {
  if (name === "tcpwrapped") {
    return "tcpwrapped: the port accepted the connection and then closed it without sending anything, whatever was asked. Often a TCP wrapper or firewall rule that admits only some addresses, or a service that waits for its own protocol; the port is open, but what runs there stays unknown.";
  }
  if (!name || name === "unknown") {
    return "No service is known for this port: the services table has no name for it and version detection (-sV) did not run or did not recognise the answers.";
  }
  if (method === "table") {
    return `"${name}" is only the usual service for this port number, from the services table; nothing was asked of it. Version detection (-sV) asks the service itself.`;
  }
  return null;
}
