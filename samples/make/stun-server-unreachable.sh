#!/usr/bin/env bash
# stun-server-unreachable.pcap: both peers are configured with a STUN server
# (stun:10.202.3.2:3478) whose UDP port 3478 is dropped on arrival (nft in
# the server's namespace; no server runs there, and a drop sends no ICMP).
# alice's Binding request to it (no USERNAME, no MESSAGE-INTEGRITY) goes out
# 4 times (0, 0.5, 1.5, 3.5 s) with no response until aioice's 5 s gathering
# limit, so she has no server-reflexive candidate and offers her host
# candidate only.  All UDP between the peers is dropped too (as in
# webrtc-udp-blocked), so nothing else works: the connectivity checks on the
# host pair are retransmitted unanswered (aioice retransmissions set to 4:
# 0, 0.5, 1.5, 3.5, 7.5 s) and ICE fails at 15.5 s.  Captured on alice's
# link: bob's own STUN-server requests are not in the file.
set -euo pipefail
CS2_SFX="${CS2_SFX-E}"
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init stun-server-unreachable
OUT="${1:-$CS2_SAMPLES/stun-server-unreachable.pcap}"

cs2_topology turn
mkdir -p "$CS2_WORK/sig"
cs2_nft_input "$NS_T" udp dport 3478 drop
cs2_nft_input "$NS_A" ip saddr "$IP_B" meta l4proto udp drop
cs2_nft_input "$NS_B" ip saddr "$IP_A" meta l4proto udp drop
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=50
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --deadline 40 --stun-retransmissions 4 \
    --stun "stun:$IP_T:3478"
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --deadline 40 --stun-retransmissions 4 \
    --stun "stun:$IP_T:3478"
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if grep -q connected=yes "$CS2_WORK"/*.out || ! grep -q "ice=.*failed" "$CS2_WORK/alice.out"; then
    cs2_show_logs; echo "expected ICE failure" >&2; exit 1
fi
if grep -q "typ srflx" "$CS2_WORK"/sig/*.sdp; then
    echo "expected no server-reflexive candidate" >&2; exit 1
fi
# STUN server requests: Binding requests to 3478 without USERNAME, none answered.
cs2_expect "$OUT" "udp.dstport == 3478 && stun.type == 0x0001 && !stun.att.username" -eq 4
cs2_expect "$OUT" "udp.srcport == 3478" -eq 0
# Checks on the host pair, each side retransmitted, never answered.
cs2_expect "$OUT" "stun.type == 0x0001 && stun.att.username" -ge 8
cs2_expect "$OUT" "stun.type == 0x0101 || stun.type == 0x0111" -eq 0
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
