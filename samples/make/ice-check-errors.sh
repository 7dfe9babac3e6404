#!/usr/bin/env bash
# ice-check-errors.pcap: the signalling path rewrites the a=ice-ufrag of
# alice's offer before bob gets it (the answer reaches alice unchanged).
# Each side's connectivity checks then carry a USERNAME the other side does
# not accept: bob's checks name a local ufrag alice does not have, and
# alice's checks name her real ufrag where bob expects the rewritten one.
# aioice answers every check with 401 Unauthenticated (ERROR-CODE, no
# MESSAGE-INTEGRITY: RFC 8489 section 9.1.3); the checking side discards an
# unsigned response and retransmits (aioice retransmissions set to 4: 0,
# 0.5, 1.5, 3.5, 7.5 s), so every transmission is answered by a 401 and ICE
# fails at 15.5 s.  No Binding success response, no DTLS.  Captured on
# alice's link.
set -euo pipefail
CS2_SFX="${CS2_SFX-E}"
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init ice-check-errors
OUT="${1:-$CS2_SAMPLES/ice-check-errors.pcap}"
W="$CS2_WORK"

cs2_topology
mkdir -p "$W/sigA" "$W/sigB" "$W/sig"
cs2_capture ra "$OUT" 60

CS2_PEER_TIMEOUT=40
cs2_peer "$NS_A" alice --role offer --sig "$W/sigA" --deadline 30 --stun-retransmissions 4
cs2_wait_file "$W/sigA/offer.sdp" 10
# The rewrite: same length, other characters (ice-char, RFC 8839 section 5.4).
python3 - "$W/sigA/offer.sdp" "$W/sigB/offer.sdp.tmp" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
sdp = open(src, newline="").read()
out = []
for line in sdp.split("\r\n"):
    if line.startswith("a=ice-ufrag:"):
        ufrag = line[len("a=ice-ufrag:"):]
        line = "a=ice-ufrag:" + "".join("X" if c != "X" else "Y" for c in ufrag)
    out.append(line)
open(dst, "w", newline="").write("\r\n".join(out))
PY
mv "$W/sigB/offer.sdp.tmp" "$W/sigB/offer.sdp"
cs2_peer "$NS_B" bob --role answer --sig "$W/sigB" --deadline 30 --stun-retransmissions 4
cs2_wait_file "$W/sigB/answer.sdp" 10
cp "$W/sigB/answer.sdp" "$W/sigA/answer.sdp.tmp"
mv "$W/sigA/answer.sdp.tmp" "$W/sigA/answer.sdp"
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$W"/alice.out "$W"/bob.out >&2
if grep -q connected=yes "$W"/*.out || ! grep -q "ice=.*failed" "$W/alice.out" \
    || ! grep -q "ice=.*failed" "$W/bob.out"; then
    cs2_show_logs; echo "expected ICE failure on both sides" >&2; exit 1
fi
# Checks both ways, every transmission answered by a Binding error 401.
req="stun.type == 0x0001 && stun.att.username"
err401="stun.type == 0x0111 && stun.att.error.class == 4 && stun.att.error == 1"
cs2_expect "$OUT" "$req && ip.src == $IP_A" -ge 5
cs2_expect "$OUT" "$req && ip.src == $IP_B" -ge 5
n=$(cs2_count "$OUT" "$req")
cs2_expect "$OUT" "$err401" -eq "$n"
cs2_expect "$OUT" "stun.type == 0x0101" -eq 0
cs2_expect "$OUT" "dtls" -eq 0
cp "$W/sigA/offer.sdp" "$W/sig/offer.sdp"
cp "$W/sigB/offer.sdp" "$W/sig/offer-as-received.sdp"
cp "$W/sigB/answer.sdp" "$W/sig/answer.sdp"
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
