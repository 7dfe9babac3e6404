#!/usr/bin/env bash
# webrtc-turn-relay.pcap: alice is relay-only through coturn (long-term
# credentials), bob uses host candidates.  Allocate -> 401 -> Allocate with
# credentials -> success, ChannelBind, checks, DTLS and SRTP in ChannelData.
# Captured on the TURN server's link, where all of alice's traffic (to the
# server) and the relayed leg (server relay address <-> bob) both pass.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-turn-relay
OUT="${1:-$CS2_SAMPLES/webrtc-turn-relay.pcap}"

cs2_topology turn
mkdir -p "$CS2_WORK/sig"
cs2_turnserver
cs2_capture rt "$OUT" 60

cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --media-seconds 3 --deadline 40 --tone 400 \
    --turn "turn:$IP_T:3478" --turn-user alice --turn-pass s3cret-turn --relay-only
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --media-seconds 3.5 --deadline 40 --tone 600
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
grep -q connected=yes "$CS2_WORK/alice.out" && grep -q connected=yes "$CS2_WORK/bob.out" || {
    cs2_show_logs; echo "session did not connect" >&2; exit 1; }
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
