#!/bin/sh
# Makes testdata/ipv4_frag.pcap: one 1400-byte UDP datagram sent across a
# veth pair with MTU 576, so the kernel splits it into IPv4 fragments.
# Traffic stays between two network namespaces created (and removed) here.
set -eu
OUT=${1:-/tmp/ipv4_frag.pcap}
A=cs_frag_a; B=cs_frag_b
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add csfa type veth peer name csfb
ip link set csfa netns $A; ip link set csfb netns $B
ip -n $A addr add 10.77.0.1/24 dev csfa; ip -n $B addr add 10.77.0.2/24 dev csfb
ip -n $A link set csfa mtu 576 up; ip -n $B link set csfb mtu 576 up
ip netns exec $B timeout 10 tcpdump -i csfb -U -w "$OUT" -c 3 udp or 'ip[6:2] & 0x3fff != 0' 2>/dev/null &
sleep 1.5
ip netns exec $A python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: allow fragmentation
body = b"".join(b"callscope fragment line %04d\r\n" % i for i in range(50))[:1400]
s.sendto(body, ("10.77.0.2", 5060))
'
wait
