#!/usr/bin/env bash
# webrtc-media-one-way.pcap: ICE and DTLS 1.2 complete, but every RTP/RTCP
# packet from bob (first UDP payload byte 128..191) is dropped in bob's
# OUTPUT chain, so only alice's SRTP/SRTCP is on the link.  Consent checks
# keep passing both ways; after ~8 s alice closes (RTCP BYE, DTLS
# close_notify).  Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-media-one-way
OUT="${1:-$CS2_SAMPLES/webrtc-media-one-way.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig"
cs2_nft_output "$NS_B" ip daddr "$IP_A" meta l4proto udp @th,64,8 128-191 drop
cs2_capture ra "$OUT" 60

cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --media-seconds 8 --deadline 30
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --media-seconds 9 --deadline 30 --tone 600
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
grep -q connected=yes "$CS2_WORK/alice.out" && grep -q connected=yes "$CS2_WORK/bob.out" || {
    cs2_show_logs; echo "session did not connect" >&2; exit 1; }
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
