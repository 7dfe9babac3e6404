#!/usr/bin/env bash
# dtls-dropped-one-way.pcap: ICE succeeds (checks, USE-CANDIDATE), then every
# DTLS record from bob (the DTLS client, a=setup:active) is dropped on arrival
# at alice (nft matches the first UDP payload byte 20..63).  bob's
# ClientHello is retransmitted (1, 3, 7, 15, 31 s) and never answered, while
# consent checks keep passing.  aiortc has no DTLS handshake timeout of its
# own (OpenSSL would give up after ~7 min), so both peers give up after 34 s
# and close.  Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init dtls-dropped-one-way
OUT="${1:-$CS2_SAMPLES/dtls-dropped-one-way.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig"
cs2_nft_input "$NS_A" ip saddr "$IP_B" meta l4proto udp @th,64,8 20-63 drop
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=50
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 40 --give-up 34
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 40 --give-up 34
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/*.out || ! grep -q "ice=.*completed" "$CS2_WORK/alice.out"; then
    cs2_show_logs; echo "expected ICE success and no DTLS" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
