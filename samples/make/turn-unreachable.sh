#!/usr/bin/env bash
# turn-unreachable.pcap: alice is relay-only; the TURN server's address is
# routed but UDP port 3478 is dropped on arrival (nft in the server's
# namespace, so the router link still records the requests).  The Allocate
# request is retransmitted (0, 0.5, 1.5, 3.5 s) with no response until
# aioice's 5 s gathering limit; alice has no candidate and the session never
# starts.  Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init turn-unreachable
OUT="${1:-$CS2_SAMPLES/turn-unreachable.pcap}"

cs2_topology turn
mkdir -p "$CS2_WORK/sig"
cs2_turnserver
cs2_nft_input "$NS_T" udp dport 3478 drop
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=40
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 12 \
    --turn "turn:$IP_T:3478" --turn-user alice --turn-pass s3cret-turn --relay-only
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 12
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/*.out; then
    cs2_show_logs; echo "expected a failed session" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
