#!/bin/sh
# Makes turn-coturn.pcap (or the file given as $1): TURN over UDP (ChannelData,
# Send/Data indications), TURN over TCP, IPv4 and IPv6, between coturn's
# turnserver, turnutils_peer and turnutils_uclient, all inside a private network
# namespace (its loopback only). Needs root. Stops by itself in about 30 s.
set -eu
OUT=$(realpath "${1:-turn-coturn.pcap}")
NS=cs-stun-$$
cleanup() {
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
# A global-looking IPv6 address so that XOR-MAPPED-ADDRESS decoding uses every byte of the key
ip netns exec "$NS" ip -6 addr add fd00:c5::1/64 dev lo nodad
run() { ip netns exec "$NS" "$@"; }
run timeout 40 tcpdump -i lo -U -s 0 -w "$OUT" udp or tcp &
sleep 1
run timeout 35 turnserver -n --no-tls --no-dtls --no-cli --listening-ip=127.0.0.1 --listening-ip=fd00:c5::1 \
    --relay-ip=127.0.0.1 --relay-ip=fd00:c5::1 --allow-loopback-peers --lt-cred-mech \
    --user=alice:secret --realm=callscope.test --listening-port=3478 \
    --min-port=49152 --max-port=49200 --log-file=stdout --simple-log >/dev/null 2>&1 &
run timeout 35 turnutils_peer -L 127.0.0.1 -L fd00:c5::1 -p 3480 >/dev/null 2>&1 &
sleep 2
# ChannelData (the default), 3 messages, IPv4
run timeout 8 turnutils_uclient -c -n 3 -m 1 -l 60 -u alice -w secret -e 127.0.0.1 -r 3480 127.0.0.1 >/dev/null 2>&1 || true
# Send/Data indications (-s), IPv4
run timeout 8 turnutils_uclient -s -c -n 3 -m 1 -l 60 -u alice -w secret -e 127.0.0.1 -r 3480 127.0.0.1 >/dev/null 2>&1 || true
# TURN over TCP (-t), ChannelData padded to 4 bytes over TCP (61-byte messages)
run timeout 8 turnutils_uclient -t -c -n 2 -m 1 -l 61 -u alice -w secret -e 127.0.0.1 -r 3480 127.0.0.1 >/dev/null 2>&1 || true
# IPv6 server and relay (XOR-MAPPED-ADDRESS and XOR-RELAYED-ADDRESS in IPv6)
run timeout 8 turnutils_uclient -s -c -x -n 2 -m 1 -l 60 -u alice -w secret -e fd00:c5::1 -r 3480 fd00:c5::1 >/dev/null 2>&1 || true
sleep 1
