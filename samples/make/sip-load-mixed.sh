#!/usr/bin/env bash
# Makes samples/sip-load-mixed.pcap.
#
# 2000 SIP calls over UDP, 50 new calls per second, no RTP, between
#   caller  sipp -sf sipp/load-mixed-uac.xml  10.203.0.1:5060
#   callee  sipp -sf sipp/load-mixed-uas.xml  10.203.0.2:5060
# The callee user (from an injection file, one repeating block of 50) picks
# the outcome of each call; per 50 calls:
#   25 ok (200, ACK, 1-3 s talk, BYE, 200)   6 busy (486)    4 decline (603)
#    4 notfound (404)   4 unavail (480)   5 noanswer (180, caller CANCELs
#   after 8 s, 200 + 487, ACK)   2 noresponse (INVITE unanswered, Timer A
#   retransmissions, given up at 32 s)
# CALLS=n overrides the number of calls (a multiple of 50) for a quick trial.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-load-mixed.pcap
CALLS=${CALLS:-2000}
RATE=50
[ $((CALLS % 50)) = 0 ] || { echo "CALLS must be a multiple of 50" >&2; exit 1; }

sipnet_up
W=$SIPNET_WORK
# One block of 50 outcomes, in a fixed order so every run makes the same mix.
BLOCK="ok busy ok notfound ok ok decline ok noanswer ok
unavail ok busy ok ok noresponse ok decline ok noanswer
ok notfound ok busy ok unavail ok ok noanswer ok
decline ok busy ok notfound ok unavail ok noanswer ok
busy ok decline ok notfound unavail ok busy noanswer noresponse"
{
    echo SEQUENTIAL
    for _ in $(seq 1 $((CALLS / 50))); do
        for c in $BLOCK; do echo "$c;"; done
    done
} >"$W/cases.csv"
[ "$(grep -c ';' "$W/cases.csv")" = "$CALLS" ]

sipnet_run "$SIPNET_B" 300 sipp -sf "$HERE/sipp/load-mixed-uas.xml" \
    -i "$SIPNET_B_IP" -p 5060 -mp 6000 -m "$CALLS" -nd -trace_err -error_file "$W/uas-err.log" \
    </dev/null >"$W/uas.log" 2>&1
UAS=$SIPNET_LASTPID
sipnet_wait_listen "$SIPNET_B" udp 5060

TMP=$W/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 300 "$W/uac.log" \
    sipp -sf "$HERE/sipp/load-mixed-uac.xml" "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" -p 5060 \
    -mp 7000 -inf "$W/cases.csv" -r "$RATE" -l 2000 -m "$CALLS" -nd -max_invite_retrans 10 -recv_timeout 40000 \
    -trace_err -error_file "$W/uac-err.log"
# The callee ends once its last noresponse call has timed out.
timeout 60 tail --pid="$UAS" -f /dev/null || true
sipnet_hold_until 1
sipnet_capture_stop
# The error logs list the expected receive timeouts; anything unexpected or
# an aborted call means a scenario went wrong.
if cat "$W/uac-err.log" "$W/uas-err.log" 2>/dev/null | grep -q -i -E 'unexpected|abort'; then
    sipnet_log "sipp reported unexpected messages:"
    grep -i -E 'unexpected|abort' "$W/uac-err.log" "$W/uas-err.log" | head -n 5 >&2
    exit 1
fi
n=$((CALLS / 50))
sipnet_expect "$TMP" 'sip.Method == "BYE"' $((25 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 486' $((6 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 603' $((4 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 404' $((4 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 480' $((4 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 487' $((5 * n))
sipnet_expect "$TMP" 'sip.Method == "CANCEL"' $((5 * n))
ids=$(tshark -r "$TMP" -Y sip -T fields -e sip.Call-ID 2>/dev/null | sort -u | wc -l)
[ "$ids" = "$CALLS" ] || { sipnet_log "$ids distinct Call-IDs, expected $CALLS"; exit 1; }
sipnet_finish "$TMP" "$OUT/$NAME"
