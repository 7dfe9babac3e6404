#!/usr/bin/env bash
# dtls-alert.pcap: openssl s_client -dtls1_2 (alice) to openssl s_server
# -dtls1_2 (bob, UDP 4433).  bob's certificate is signed by "callscope test
# CA 1"; alice verifies against "callscope test CA 2" with -verify_return_error,
# so after ServerHello..ServerHelloDone she sends a fatal unknown_ca alert.
# Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init dtls-alert
OUT="${1:-$CS2_SAMPLES/dtls-alert.pcap}"
W="$CS2_WORK"

# Two unrelated CAs; bob's certificate comes from CA 1.
for n in 1 2; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj "/CN=callscope test CA $n" -keyout "$W/ca$n.key" -out "$W/ca$n.pem" 2>/dev/null
done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=bob.callscope.test" -keyout "$W/bob.key" -out "$W/bob.csr" 2>/dev/null
openssl x509 -req -in "$W/bob.csr" -CA "$W/ca1.pem" -CAkey "$W/ca1.key" -CAcreateserial \
    -days 30 -out "$W/bob.pem" 2>/dev/null

cs2_topology
cs2_capture ra "$OUT" 30

cs2_bg ip netns exec "$NS_B" timeout -k 2 15 openssl s_server -dtls1_2 -accept 4433 \
    -cert "$W/bob.pem" -key "$W/bob.key" -naccept 1 -quiet \
    </dev/null >"$W/server.log" 2>&1
for i in $(seq 1 50); do
    ip netns exec "$NS_B" ss -lun | grep -q ":4433" && break
    sleep 0.1
done
rc=0
ip netns exec "$NS_A" timeout -k 2 10 openssl s_client -dtls1_2 -connect "$IP_B:4433" \
    -CAfile "$W/ca2.pem" -verify_return_error -servername bob.callscope.test \
    </dev/null >"$W/client.log" 2>&1 || rc=$?
sleep 0.5
cs2_capture_stop
grep -iE "verify|alert|error" "$W/client.log" "$W/server.log" | head -8 >&2 || true
if [ "$rc" -eq 0 ]; then
    echo "expected s_client to fail" >&2; exit 1
fi
grep -q "unknown ca" "$W/server.log" || { cat "$W/server.log" >&2; echo "no unknown ca alert" >&2; exit 1; }
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
