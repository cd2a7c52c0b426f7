#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Generates data/portolan-services, Portolan's services database in Nmap's nmap-services format.

Inputs, and nothing else:
  * the IANA service names and port numbers as shipped in Debian's /etc/services (package netbase);
  * the editorial ranking below (TCP, UDP, SCTP), written by the Portolan project from protocol knowledge.

Nmap's own nmap-services is never read here. The frequency column is not a measurement: it is a function of
the rank (see frequency() and data/PROVENANCE.md).

Usage:
  gen_services.py [--services /etc/services] [--output FILE]   write the database (default: stdout)
  gen_services.py --check FILE                                  exit 1 unless FILE equals what would be written
"""

import argparse
import hashlib
import sys

# How many entries each of TCP and UDP gets; the default scan lists are the top 1000, so 1000 must be defined.
FILL_TO = {"tcp": 1000, "udp": 1000}

# Frequency of the entry of rank r (1-based) within its protocol: a Zipf law with exponent 1.
ZIPF_SCALE = 0.5
ZIPF_EXPONENT = 1.0
# Eight decimals keep 0.5/r distinct for every r up to FILL_TO (adjacent values differ by ~0.5/r^2 >= 5e-7).
DECIMALS = 8


def frequency(rank):
    return ZIPF_SCALE / (rank ** ZIPF_EXPONENT)


# Editorial ranking. Each entry is (port, name): name None means "the name /etc/services gives this port";
# a name given here is used for ports /etc/services does not list (IANA's registered name where the project
# knows it, otherwise the name the software is commonly known by). A given name that disagrees with
# /etc/services is an error unless the port is in NAME_OVERRIDES, which says why.
# The order is the project's judgement of how commonly each service is deployed and reachable, most first.
TCP_RANKED = [
    # The web, remote shells, mail and name service: found on most networks.
    (80, None), (443, None), (22, None), (25, None), (21, None), (53, None), (23, None),
    # Windows networking and remote desktop.
    (3389, None), (445, None), (139, None), (135, "epmap"),
    # Mailbox access and submission.
    (110, None), (143, None), (587, None), (993, None), (995, None), (465, None),
    # Alternate web ports used by application servers, proxies and admin consoles.
    (8080, None), (8443, "https-alt"), (8000, "http-alt"), (8888, "http-alt"), (8081, None),
    (8008, "http-alt"), (3000, "http-alt"), (5000, "http-alt"), (9090, "http-alt"), (81, "http-alt"),
    # Databases and caches.
    (3306, None), (5432, None), (1433, None), (1521, "oracle"), (6379, None), (27017, "mongodb"),
    (11211, "memcache"), (9200, "elasticsearch"), (9300, "elasticsearch-transport"), (5984, "couchdb"),
    (9042, "cassandra-cql"), (7000, None), (8086, "influxdb"), (26257, "cockroachdb"), (50000, "db2"),
    # Remote administration.
    (5900, "vnc"), (5901, "vnc-1"), (5902, "vnc-2"), (5985, "wsman"), (5986, "wsmans"), (2222, "ssh-alt"),
    (10000, None), (4899, None), (5800, "vnc-http"), (902, "vmware-auth"), (512, None), (513, None),
    (514, None),
    # RPC, file sharing and directory services.
    (111, None), (2049, None), (389, None), (636, None), (88, None), (464, None), (3268, "msft-gc"),
    (3269, "msft-gc-ssl"), (548, None), (873, None), (3260, None), (20, None), (989, None), (990, None),
    # Printing.
    (631, None), (515, None), (9100, "jetdirect"),
    # Containers, orchestration and cloud-native infrastructure.
    (2375, "docker"), (2376, "docker-s"), (6443, "kubernetes-api"), (10250, "kubelet"), (2379, "etcd-client"),
    (2380, "etcd-server"), (8500, "consul"), (8200, "vault"), (9000, "http-alt"), (9443, "https-alt"),
    (5601, "kibana"), (9093, "alertmanager"), (3100, "loki"), (9091, "prometheus-pushgateway"),
    # Messaging.
    (5672, None), (5671, None), (1883, "mqtt"), (8883, "secure-mqtt"), (9092, "kafka"), (2181, "zookeeper"),
    (61616, "activemq"), (4222, "nats"), (15672, "rabbitmq-mgmt"), (6667, None), (6697, None),
    (5222, None), (5269, None),
    # Voice and video.
    (5060, None), (5061, None), (1720, "h323hostcall"), (554, None), (1935, "rtmp"), (2000, None),
    # VPN, proxies and tunnels.
    (1723, "pptp"), (1194, None), (1080, None), (3128, "squid-http"), (8118, "privoxy"), (9050, "tor-socks"),
    (9001, "tor-orport"), (4443, "https-alt"), (10443, "https-alt"),
    # Routing and network management.
    (179, None), (161, None), (162, None), (199, None), (2601, None), (2605, None), (646, None),
    (830, "netconf-ssh"), (49, None), (1812, None), (1813, None),
    # Monitoring agents and configuration management.
    (10050, None), (10051, None), (5666, None), (4949, None), (8140, None), (4505, "salt-publish"),
    (4506, "salt-request"), (6556, "checkmk-agent"),
    # Legacy and classic Internet services still seen on servers and appliances.
    (79, None), (113, None), (119, None), (563, None), (70, None), (37, None), (13, None), (7, None),
    (9, None), (19, None), (17, None), (43, None), (11, None), (15, None), (1, None),
    # Industrial control and building automation.
    (502, "modbus"), (102, None), (20000, "dnp3"), (44818, "ethernet-ip"), (47808, "bacnet"),
    (1911, "fox"), (4840, "opcua-tcp"), (2404, "iec-104"),
    # Developer tooling, version control and CI.
    (9418, None), (3690, None), (2401, None), (8082, "http-alt"),
    (4848, "glassfish-admin"), (8009, "ajp13"), (8161, "activemq-admin"), (7001, "weblogic"),
    (9060, "websphere-admin"), (8983, "solr"), (50070, "hadoop-namenode"), (8088, None),
    # Remote access products, X11 and desktop sharing.
    (6000, None), (6001, None), (3283, "apple-remote-desktop"), (5631, "pcanywheredata"),
    (1494, "citrix-ica"), (2598, "citrix-cgp"), (7070, "realserver"),
    # Security appliances and management planes commonly exposed.
    (4444, "krb524"), (10001, "scp-config"), (8834, "nessus"), (9392, "openvas"),
    (8089, "splunkd"), (9997, "splunk-forwarder"), (6514, None),
    # Mail infrastructure beyond SMTP.
    (24, "lmtp"), (783, None), (4190, None), (106, None), (2525, "smtp-alt"),
    # Games and media servers.
    (25565, "minecraft"), (27015, "steam"), (32400, "plex"), (8096, "jellyfin"), (3689, None),
    # Storage and backup.
    (10080, None), (3205, None), (860, "iscsi"), (9101, None), (9102, None), (9103, None), (2811, None),
    # Remaining entries of interest from protocol knowledge.
    (1099, None), (1352, None), (1524, None), (2628, None), (3050, None), (3493, None), (3632, None),
    (4369, None), (5308, None), (5353, "mdns"), (6346, None), (7100, None), (8021, None), (11371, None),
]

UDP_RANKED = [
    # Name service, time, management and address configuration: answered by most hosts and routers.
    (53, None), (123, None), (161, None), (137, None), (138, None), (67, None), (68, None),
    # VPN and NAT traversal.
    (500, None), (4500, None), (1194, None), (51820, "wireguard"), (1701, None),
    # Local discovery.
    (1900, "ssdp"), (5353, None), (5355, "llmnr"), (3702, "ws-discovery"), (427, None),
    # Logging, traps and file transfer.
    (514, None), (162, None), (69, None),
    # Voice, video and media.
    (5060, None), (5061, None), (3478, "stun"), (5004, "rtp"), (5005, "rtcp"), (1719, "h323gatestat"),
    (2427, "mgcp-gateway"), (2727, "mgcp-callagent"),
    # Web over QUIC.
    (443, None), (80, "http"),
    # Authentication and directory.
    (1812, None), (1813, None), (1645, None), (1646, None), (88, None), (464, None), (389, None),
    (49, None), (750, None),
    # Windows and file sharing.
    (135, "epmap"), (445, "microsoft-ds"), (1434, None), (111, None), (2049, None), (3389, "ms-wbt-server"),
    # Hardware management and printing.
    (623, None), (631, "ipp"), (10161, "snmptls"), (10162, "snmptls-trap"),
    # DHCPv6, PTP and routing.
    (546, None), (547, None), (319, None), (320, None), (520, None), (521, "ripng"), (853, None),
    (6696, None), (646, None),
    # Overlays.
    (4789, "vxlan"), (6081, "geneve"), (8472, "otv"),
    # IoT and industrial.
    (5683, "coap"), (5684, "coaps"), (47808, "bacnet"), (2222, "ethernet-ip-io"), (502, "modbus"),
    (20000, "dnp3"), (1911, "fox"),
    # Caches, databases and services that also listen on UDP.
    (11211, "memcache"), (6379, "redis"), (5632, "pcanywherestat"), (1604, "icabrowser"),
    (177, None), (5351, "nat-pmp"),
    # Games and chat.
    (27015, "steam"), (3074, "xbox"), (9987, "teamspeak"), (19132, "minecraft-bedrock"), (6346, None),
    (6347, None),
    # Classic small services.
    (7, None), (9, None), (13, None), (19, None), (37, None),
    # Remaining entries of interest from protocol knowledge.
    (3130, None), (4569, None), (5555, None), (7000, None), (7001, None), (1210, None), (213, None),
    (2086, None), (2101, None), (2102, None), (2103, None), (2104, None), (371, None), (517, None),
    (518, None), (512, None), (513, None), (21, None), (369, None), (370, None), (163, None), (164, None),
    (3205, None), (3493, None), (2583, None), (655, None), (779, None), (752, None), (751, None),
]

SCTP_RANKED = [
    # Telephony signalling, the main home of SCTP.
    (2905, "m3ua"), (3868, "diameter"), (2944, "megaco-h248"), (36412, "s1-control"), (38412, "ng-control"),
    (3565, "m2pa"), (2904, "m2ua"), (9900, "iua"), (14001, "sua"),
    # Services that also define SCTP transports.
    (5672, None), (80, "http"), (443, "https"), (5060, "sip"), (5061, "sip-tls"), (22, "ssh"),
    (21, "ftp"), (179, "bgp"), (9899, "sctp-tunneling"),
]

# Ports where the name here differs on purpose from /etc/services' primary name, and why.
NAME_OVERRIDES = {
    (143, "tcp"): ("imap", "IANA's current registry name; netbase keeps the historical 'imap2' first and lists "
                            "'imap' as its alias"),
}


def parse_etc_services(text):
    """Returns {(port, proto): name} for the first entry of each tcp/udp/sctp port, and the order seen."""
    out = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) < 2 or "/" not in fields[1]:
            raise SystemExit(f"/etc/services line {lineno}: cannot read '{line}'")
        port_s, proto = fields[1].split("/", 1)
        if proto not in ("tcp", "udp", "sctp"):
            continue  # AppleTalk (ddp) and the like have no place in a port scanner's database
        port = int(port_s)
        out.setdefault((port, proto), fields[0])
    return out


def build(etc_text):
    netbase = parse_etc_services(etc_text)
    rows = []  # (proto, rank, port, name, source)
    for proto, ranked in (("tcp", TCP_RANKED), ("udp", UDP_RANKED), ("sctp", SCTP_RANKED)):
        seen = set()
        entries = []
        for port, given in ranked:
            if port in seen:
                raise SystemExit(f"editorial {proto} list names port {port} twice")
            seen.add(port)
            nb = netbase.get((port, proto))
            override = NAME_OVERRIDES.get((port, proto))
            if override is not None:
                name, source = override[0], "project override"
            elif given is None:
                if nb is None:
                    raise SystemExit(f"{port}/{proto} has no name in /etc/services; give one in the list")
                name, source = nb, "/etc/services"
            else:
                if nb is not None and nb != given:
                    raise SystemExit(f"{port}/{proto}: list says '{given}', /etc/services says '{nb}'")
                name, source = given, ("/etc/services" if nb is not None else "project")
            entries.append((port, name, "editorial rank", source))
        # Then every other /etc/services port of this protocol, ascending.
        for (port, p), name in sorted(netbase.items()):
            if p == proto and port not in seen:
                seen.add(port)
                entries.append((port, name, "rest of /etc/services", "/etc/services"))
        # Then unnamed ports, ascending from 1, until the protocol has FILL_TO entries.
        port = 1
        while len(entries) < FILL_TO.get(proto, 0):
            if port not in seen:
                seen.add(port)
                entries.append((port, "unknown", "unnamed filler", "none"))
            port += 1
        for rank, (port, name, how, source) in enumerate(entries, 1):
            rows.append((proto, rank, port, name, how, source))
    freqs = {}
    for proto, rank, *_ in rows:
        f = f"{frequency(rank):.{DECIMALS}f}"
        if f in freqs.setdefault(proto, set()):
            raise SystemExit(f"{proto} rank {rank}: frequency {f} is not distinct at {DECIMALS} decimals")
        freqs[proto].add(f)
    return rows


def render(rows, etc_text):
    digest = hashlib.sha256(etc_text.encode("utf-8")).hexdigest()
    out = [
        "# Portolan services database, in the format of Nmap's nmap-services file:",
        "#   name <TAB> port/protocol <TAB> frequency <TAB> # rank; why the entry is here; where its name is from",
        "# Generated by data/tools/gen_services.py; do not edit by hand. See data/PROVENANCE.md.",
        "# Licence: MIT OR Apache-2.0 (the Portolan project).",
        "# Names and port numbers: the IANA registry as shipped in Debian's /etc/services (netbase),",
        f"#   input sha256 {digest},",
        "#   plus names the project chose for ports that file does not list.",
        "# Order and frequency: the project's editorial ranking, then the remaining /etc/services ports, then",
        "#   unnamed ports. frequency is NOT a measurement: it is "
        f"{ZIPF_SCALE} / rank^{ZIPF_EXPONENT:g}, rank counted per protocol from 1.",
    ]
    for proto, rank, port, name, how, source in rows:
        out.append(f"{name}\t{port}/{proto}\t{frequency(rank):.{DECIMALS}f}\t# rank {rank}; {how}; name: {source}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", default="/etc/services", help="netbase's services file (default /etc/services)")
    ap.add_argument("--output", help="where to write (default stdout)")
    ap.add_argument("--check", metavar="FILE", help="compare FILE with what would be generated")
    args = ap.parse_args()
    with open(args.services, encoding="utf-8") as f:
        etc_text = f.read()
    text = render(build(etc_text), etc_text)
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            committed = f.read()
        if committed != text:
            sys.stderr.write(f"{args.check} differs from the generator's output\n")
            return 1
        return 0
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
