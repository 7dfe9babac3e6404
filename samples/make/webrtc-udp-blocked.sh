#!/usr/bin/env bash
# webrtc-udp-blocked.pcap: all UDP between the two peers is dropped (nft in
# each peer's input chain; the capture on the router link sees both sides
# send).  Connectivity checks are retransmitted and never answered until
# aioice gives up.  aioice's STUN retransmission count is set to 5 so the
# last check goes out at 15.5 s and the checks fail at 31.5 s (default 6
# would take 63.5 s).
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-udp-blocked
OUT="${1:-$CS2_SAMPLES/webrtc-udp-blocked.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig"
cs2_nft_input "$NS_A" ip saddr "$IP_B" meta l4proto udp drop
cs2_nft_input "$NS_B" ip saddr "$IP_A" meta l4proto udp drop
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=50
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 42 --stun-retransmissions 5
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 42 --stun-retransmissions 5
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/*.out || ! grep -q "ice=.*failed" "$CS2_WORK/alice.out"; then
    cs2_show_logs; echo "expected ICE failure" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
