#!/usr/bin/env bash
# turn-wrong-password.pcap: alice is relay-only with a TURN server and the
# wrong password.  Allocate -> 401 (realm, nonce) -> Allocate with
# credentials -> 401 again.  alice has no candidate at all, so aiortc never
# starts ICE (its states stay "new"); both peers give up after 8 s.
# Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init turn-wrong-password
OUT="${1:-$CS2_SAMPLES/turn-wrong-password.pcap}"

cs2_topology turn
mkdir -p "$CS2_WORK/sig"
cs2_turnserver
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=40
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 8 \
    --turn "turn:$IP_T:3478" --turn-user alice --turn-pass wrong-password --relay-only
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 8
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/*.out; then
    cs2_show_logs; echo "expected a failed session" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
