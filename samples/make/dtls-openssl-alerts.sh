#!/bin/sh
# Makes two DTLS 1.2 handshakes that end in plaintext fatal alerts, on
# loopback only, each step bounded by `timeout`.
set -u
out="$(cd "$(dirname "$0")/.." && pwd)/dtls-openssl-alerts.pcap"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
PORT1=44731
PORT2=44732
mk() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1-key.pem" -out "$1.pem" -days 30 -subj "/CN=$2" 2>/dev/null
}
mk server callscope-test
mk other-ca callscope-other-ca
timeout 12 tcpdump -i lo -w "$out" -U "udp and (port $PORT1 or port $PORT2)" 2>/dev/null &
TD=$!
sleep 1
# 1: the client does not trust the server's certificate -> client's fatal alert.
sleep 4 | timeout 4 openssl s_server -dtls1_2 -accept 127.0.0.1:$PORT1 -cert server.pem -key server-key.pem -naccept 1 >/dev/null 2>&1 &
sleep 0.7
echo | timeout 3 openssl s_client -dtls1_2 -connect 127.0.0.1:$PORT1 -verify_return_error -CAfile other-ca.pem >/dev/null 2>&1
# 2: no shared cipher suite -> server's fatal handshake_failure.
sleep 4 | timeout 4 openssl s_server -dtls1_2 -accept 127.0.0.1:$PORT2 -cert server.pem -key server-key.pem -cipher ECDHE-ECDSA-AES128-SHA -naccept 1 >/dev/null 2>&1 &
sleep 0.7
echo | timeout 3 openssl s_client -dtls1_2 -connect 127.0.0.1:$PORT2 -cipher AES256-SHA >/dev/null 2>&1
sleep 4
kill $TD 2>/dev/null
wait 2>/dev/null
