#!/bin/bash
# Regenerates the lab captures in this directory. Run as root. Creates three network namespaces
# (pwire-a -- pwire-r -- pwire-b) with lab-only addresses (198.18.250.0/24, 198.18.251.0/24, 2001:db8:25x::/64),
# captures with tcpdump inside pwire-a, and deletes the namespaces on exit. Nothing leaves the namespaces.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
A=pwire-a; R=pwire-r; B=pwire-b
cleanup() { for n in $A $R $B; do ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
cleanup
for n in $A $R $B; do ip netns add $n; ip -n $n link set lo up; done
ip link add wa netns $A type veth peer name ra netns $R
ip link add wb netns $B type veth peer name rb netns $R
ip -n $A link set wa address 02:00:00:00:0a:01; ip -n $R link set ra address 02:00:00:00:0a:fe
ip -n $B link set wb address 02:00:00:00:0b:02; ip -n $R link set rb address 02:00:00:00:0b:fe
for x in "$A wa" "$R ra" "$R rb" "$B wb"; do set -- $x; ip netns exec $1 sysctl -qw net.ipv6.conf.$2.accept_dad=0; ip -n $1 link set $2 up
  # Offload off: the kernel writes real checksums, so captured checksums are the kernel's, not partial sums.
  ip netns exec $1 ethtool -K $2 tx off rx off >/dev/null; done
ip -n $A addr add 198.18.250.1/24 dev wa; ip -n $A addr add 2001:db8:250::1/64 dev wa nodad
ip -n $R addr add 198.18.250.254/24 dev ra; ip -n $R addr add 2001:db8:250::fe/64 dev ra nodad
ip -n $R addr add 198.18.251.254/24 dev rb; ip -n $R addr add 2001:db8:251::fe/64 dev rb nodad
ip -n $B addr add 198.18.251.2/24 dev wb; ip -n $B addr add 2001:db8:251::2/64 dev wb nodad
ip -n $A route add 198.18.251.0/24 via 198.18.250.254; ip -n $A -6 route add 2001:db8:251::/64 via 2001:db8:250::fe
ip -n $B route add 198.18.250.0/24 via 198.18.251.254; ip -n $B -6 route add 2001:db8:250::/64 via 2001:db8:251::fe
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# Errors unlimited so every probe gets its ICMP answer.
for n in $R $B; do ip netns exec $n sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0; done
ip netns exec $B sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=1
# TCP listener on 22 in B (nc, bounded by timeout).
ip netns exec $B timeout 60 nc -l -k 198.18.251.2 22 >/dev/null 2>&1 &
ip netns exec $B timeout 60 nc -6 -l -k 2001:db8:251::2 22 >/dev/null 2>&1 &
ip netns exec $B timeout 60 nc -u -l 198.18.251.2 7 >/dev/null 2>&1 &
sleep 1

cap() { # name, filter-less capture around a command on wa (or "any" with a link type)
  local name=$1 iface=$2; shift 2
  ip netns exec $A tcpdump -U -s 0 -i $iface "${TDOPTS[@]}" -w "$OUT/$name.pcap" >/dev/null 2>&1 &
  local pid=$!; sleep 1
  ip netns exec $A bash -c "$*" >/dev/null 2>&1 || true
  sleep 1; kill $pid; wait $pid 2>/dev/null || true
}
TDOPTS=()
cap icmp4 wa "ping -c 2 -W 1 198.18.251.2; ping -c 1 -W 1 -t 1 198.18.251.2; ping -c 1 -W 1 -R 198.18.251.2; ping -c 1 -W 1 -s 3000 198.18.251.2"
cap tcp4 wa "nmap -n -Pn -sS -p 22,23 --max-retries 0 198.18.251.2; echo hello | timeout 3 nc -q 1 198.18.251.2 22; nmap -n -Pn -sS -p 23 --ttl 1 --max-retries 0 198.18.251.2"
cap udp4 wa "nmap -n -Pn -sU -p 53,7 --max-retries 0 198.18.251.2; echo ping | timeout 2 nc -u -q 1 198.18.251.2 9"
cap sctp4 wa "nmap -n -Pn -sY -p 80 --max-retries 0 198.18.251.2; nmap -n -Pn -sZ -p 81 --max-retries 0 198.18.251.2; nmap -n -Pn -sO -p 1,6,17,132,250 --max-retries 0 198.18.251.2"
cap disc4 wa "nmap -n -sn -PE -PP -PM --disable-arp-ping 198.18.251.2; nmap -n -sn -PR 198.18.250.254; nmap -n -Pn -sS -p 23 -f --max-retries 0 198.18.251.2; nmap -n -Pn -sS -p 23 --badsum --ip-options R --max-retries 0 198.18.251.2"
cap ip6 wa "ping -6 -c 1 -W 1 2001:db8:251::2; ping -6 -c 1 -W 1 -t 1 2001:db8:251::2; ping -6 -c 1 -W 1 -s 2000 2001:db8:251::2; nmap -6 -n -Pn -sS -p 22,23 --max-retries 0 2001:db8:251::2; nmap -6 -n -Pn -sU -p 53 --max-retries 0 2001:db8:251::2; nmap -6 -n -Pn -sY -p 80 --max-retries 0 2001:db8:251::2; nmap -6 -n -sn 2001:db8:250::fe"
TDOPTS=(-y LINUX_SLL)
cap sll any "ping -c 1 -W 1 198.18.251.2; nmap -n -Pn -sS -p 22 --max-retries 0 198.18.251.2"
TDOPTS=(-y LINUX_SLL2)
cap sll2 any "ping -6 -c 1 -W 1 2001:db8:251::2"
ls -l "$OUT"/*.pcap
