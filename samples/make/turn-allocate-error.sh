#!/usr/bin/env bash
# turn-allocate-error.pcap: coturn allows one allocation per user
# (user-quota=1).  Another aiortc session in bob's namespace ("holder",
# relay-only, same TURN user, never answered) takes that allocation first,
# off the captured link.  Then alice, relay-only with the right password:
# Allocate -> 401 (realm, nonce) -> Allocate with credentials -> 486
# Allocation Quota Reached.  alice has no candidate at all, so aiortc never
# starts ICE (its states stay "new"); alice and bob give up after 8 s.
# Captured on alice's link.
set -euo pipefail
CS2_SFX="${CS2_SFX-E}"
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init turn-allocate-error
OUT="${1:-$CS2_SAMPLES/turn-allocate-error.pcap}"

cs2_topology turn
mkdir -p "$CS2_WORK/sig" "$CS2_WORK/sigH"
cs2_turnserver "user-quota=1"

CS2_PEER_TIMEOUT=40
cs2_peer "$NS_B" holder --role offer --sig "$CS2_WORK/sigH" --deadline 12 \
    --turn "turn:$IP_T:3478" --turn-user alice --turn-pass s3cret-turn --relay-only
cs2_wait_file "$CS2_WORK/sigH/offer.sdp" 10
grep -q "typ relay" "$CS2_WORK/sigH/offer.sdp" || { cs2_show_logs; echo "holder got no relay" >&2; exit 1; }

cs2_capture ra "$OUT" 60
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 8 \
    --turn "turn:$IP_T:3478" --turn-user alice --turn-pass s3cret-turn --relay-only
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 8
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out; then
    cs2_show_logs; echo "expected a failed session" >&2; exit 1
fi
# Allocate (0x0003) twice; error responses (0x0113): 401 then 486.
cs2_expect "$OUT" "stun.type == 0x0003" -eq 2
cs2_expect "$OUT" "stun.type == 0x0113 && stun.att.error.class == 4 && stun.att.error == 1" -eq 1
cs2_expect "$OUT" "stun.type == 0x0113 && stun.att.error.class == 4 && stun.att.error == 86" -eq 1
cs2_expect "$OUT" "stun.type == 0x0103" -eq 0
# No connectivity check.
cs2_expect "$OUT" "stun.type == 0x0001" -eq 0
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
