#!/usr/bin/env bash
# webrtc-ok.pcap: two aiortc peers, host candidates, ICE checks with
# USE-CANDIDATE, DTLS 1.2 with use_srtp, ~3 s of SRTP audio both ways, close.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-ok
OUT="${1:-$CS2_SAMPLES/webrtc-ok.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig"
cs2_capture ra "$OUT" 60

cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --media-seconds 3 --deadline 30 --tone 400
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --media-seconds 3.5 --deadline 30 --tone 600
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
grep -q connected=yes "$CS2_WORK/alice.out" && grep -q connected=yes "$CS2_WORK/bob.out" || {
    cs2_show_logs; echo "session did not connect" >&2; exit 1; }
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
