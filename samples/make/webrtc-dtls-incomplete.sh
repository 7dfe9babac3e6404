#!/usr/bin/env bash
# webrtc-dtls-incomplete.pcap: ICE succeeds and the DTLS handshake starts
# both ways (bob's ClientHello, alice's ServerHello..ServerHelloDone, bob's
# Certificate..Finished), but alice's final flight (ChangeCipherSpec +
# Finished, a datagram whose first byte is 20) is dropped in alice's OUTPUT
# chain, so it never reaches the link.  alice considers the handshake done
# and sends SRTP for 12 s (one way); bob never gets her Finished and
# retransmits his last flight (1, 3, 7, 15 s) until he gives up at 17 s.
# Captured on alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-dtls-incomplete
OUT="${1:-$CS2_SAMPLES/webrtc-dtls-incomplete.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig"
cs2_nft_output "$NS_A" ip daddr "$IP_B" meta l4proto udp @th,64,8 20 drop
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=40
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --media-seconds 12 --deadline 25
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --give-up 17 --deadline 25 --tone 600
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if ! grep -q connected=yes "$CS2_WORK/alice.out" || ! grep -q connected=no "$CS2_WORK/bob.out"; then
    cs2_show_logs; echo "expected alice connected, bob not" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
