#!/bin/sh
# Regenerates the Nmap XML fixtures of the diff tests: two real Nmap 7.93 scans of a small lab, with
# known changes between them. Needs root, nmap and python3. Sends packets only inside the namespaces it
# creates (198.18.0.0/15) and removes them on exit.
#
#   scanner 198.18.0.1 -- router 198.18.0.254 / 198.18.1.254 -- web 198.18.1.2, spare 198.18.1.3
#                      \- lan 198.18.0.3 (same link: Nmap sees its MAC)
#
# Scan A -> scan B:
#   198.18.1.2: port 8080 opens; the fake SSH banner on 2222 moves from OpenSSH 8.4p1 to 9.2p1; the
#               HTTP title on 80 changes.
#   198.18.1.3: up in A, gone in B.
#   198.18.2.3: its MAC address changes.
# Scan B -> scan C: nothing changes in the lab but the PTR name of 198.18.1.2 (from the scanner's private
#   /etc/hosts): web-a.lab -> web-b.lab.
# Scan D (XML only): as C, but with -v (so the down 198.18.1.3 is listed: up in A, down in D) and port 22
#   of the web namespace dropped by nftables (closed -> filtered).
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
P=pldiff$$
WORK=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for n in scanner router web lan; do ip netns del "$P-$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
for n in scanner router web lan; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip link add s0 netns "$P-scanner" type veth peer name r0 netns "$P-router"
ip link add r1 netns "$P-router" type veth peer name w0 netns "$P-web"
ip link add s1 netns "$P-scanner" type veth peer name l0 netns "$P-lan"
ip -n "$P-scanner" addr add 198.18.0.1/24 dev s0
ip -n "$P-scanner" link set s0 up
ip -n "$P-router" addr add 198.18.0.254/24 dev r0; ip -n "$P-router" link set r0 up
ip -n "$P-router" addr add 198.18.1.254/24 dev r1; ip -n "$P-router" link set r1 up
ip netns exec "$P-router" sysctl -qw net.ipv4.ip_forward=1
ip -n "$P-web" addr add 198.18.1.2/24 dev w0; ip -n "$P-web" addr add 198.18.1.3/24 dev w0
ip -n "$P-web" link set w0 up
ip -n "$P-web" route add 198.18.0.0/24 via 198.18.1.254
ip -n "$P-scanner" route add 198.18.1.0/24 via 198.18.0.254
# The lan host shares a second scanner interface, so Nmap reports its MAC.
ip -n "$P-scanner" addr add 198.18.2.1/24 dev s1; ip -n "$P-scanner" link set s1 up
ip -n "$P-lan" addr add 198.18.2.3/24 dev l0
ip -n "$P-lan" link set l0 address 02:00:00:00:0a:01; ip -n "$P-lan" link set l0 up

banner() { # port text
  ip netns exec "$P-web" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.settimeout(2)
    try:
        c.sendall(sys.argv[2].encode() + b"\r\n"); c.recv(256)
    except Exception: pass
    c.close()
' "$1" "$2" &
  PIDS="$PIDS $!"
}
http() { # port dir
  ip netns exec "$P-web" /usr/bin/python3 -m http.server -b 0.0.0.0 -d "$2" "$1" >/dev/null 2>&1 &
  PIDS="$PIDS $!"
}
lanhttp() {
  ip netns exec "$P-lan" /usr/bin/python3 -m http.server -b 0.0.0.0 -d "$WORK/a" 80 >/dev/null 2>&1 &
  PIDS="$PIDS $!"
}
scan() { # label [extra nmap options]
  EXTRA="${2:-}"
  # A private /etc/hosts (mount namespace of its own) gives 198.18.1.2 its PTR name for this scan; the
  # private resolv.conf points at loopback so no lookup can leave the lab.
  ip netns exec "$P-scanner" unshare -m sh -c "mount --bind '$WORK/hosts' /etc/hosts && \
    mount --bind '$WORK/resolv.conf' /etc/resolv.conf && \
    nmap -R --system-dns -sV -O --traceroute --script banner,http-title,http-headers,http-methods,ipidseq -p 22,80,2222,8080 -T4 $EXTRA \
    --max-retries 1 -oX '$WORK/$1.xml' -oN '$WORK/$1.nmap' 198.18.1.2 198.18.1.3 198.18.2.3 >/dev/null"
  # Our own lab's addresses only; drop the temp paths from the args line.
  sed "s#$WORK/##g" "$WORK/$1.xml" > "$OUT/$1.xml"
  sed "s#$WORK/##g" "$WORK/$1.nmap" > "$OUT/$1.nmap"
}
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; PIDS=""; sleep 0.5; }

mkdir -p "$WORK/a" "$WORK/b"
echo "nameserver 127.0.0.1" > "$WORK/resolv.conf"
printf '<html><head><title>Portolan lab A</title></head><body>a</body></html>\n' > "$WORK/a/index.html"
printf '<html><head><title>Portolan lab B &amp; more</title></head><body>b</body></html>\n' > "$WORK/b/index.html"

echo "198.18.1.2 web-a.lab" > "$WORK/hosts"
http 80 "$WORK/a"; banner 2222 "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1"; lanhttp
sleep 1
scan scan-a

stop_all
ip -n "$P-web" addr del 198.18.1.3/24 dev w0
ip -n "$P-lan" link set l0 down; ip -n "$P-lan" link set l0 address 02:00:00:00:0b:02; ip -n "$P-lan" link set l0 up
http 80 "$WORK/b"; banner 2222 "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1"; http 8080 "$WORK/a"; lanhttp
sleep 1
scan scan-b
echo "198.18.1.2 web-b.lab" > "$WORK/hosts"
scan scan-c
ip netns exec "$P-web" nft -f - <<'NFT'
table inet pldiff {
  chain input { type filter hook input priority 0; tcp dport 22 drop; }
}
NFT
scan scan-d -v
rm -f "$OUT/scan-d.nmap"
echo "wrote $OUT/scan-a.xml $OUT/scan-b.xml $OUT/scan-c.xml $OUT/scan-d.xml"
