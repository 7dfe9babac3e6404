#!/usr/bin/env bash
# Makes samples/sip-load-one-port.pcap.
#
# 1000 SIP calls over UDP, 25 new calls per second, every one of them with
# the same media addresses:
#   caller  sipp -sf sipp/load-one-port-uac.xml  10.203.0.1:5060, media :7000
#   callee  sipp -sf sipp/load-one-port-uas.xml  10.203.0.2:5060, media :6000
# sipp's rtp_stream sends every call's RTP from its one media socket, with a
# new SSRC per call, so only the SSRC and the time tell the calls' media
# apart. The audio is 0.4 s (20 packets of 20 ms) of sipp's own A-law
# recording. As in a usual sipp load, the callee rings every call for the
# same time (0.1 s to 180, 0.5 s to the answer), so answers keep the 40 ms
# spacing of the INVITEs; the caller talks 0.8-2 s (uniform) before BYE.
# Two calls answered within the senders' start-up delay (sipp starts
# streams on a 20 ms tick) cannot be told apart by SSRC and time: see the
# README on shared media addresses. RANDOM_RING=1 makes the ringing last
# 0.2-1 s (uniform) instead, which answers many calls at the same moment:
# the harder case the README measures.
# The injection file (one repeating block of 50) picks the outcome of each
# call; per 50 calls:
#   20 ok (both send)   5 oneway (caller only)   3 oneback (callee only)
#    3 nomedia (answered, nobody sends)   6 busy (486)   5 decline (603)
#    3 notfound (404)   3 unavail (480)   2 noanswer (CANCEL after 3 s, 487)
# CALLS=n overrides the number of calls (a multiple of 50) for a quick trial.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-load-one-port.pcap
CALLS=${CALLS:-1000}
RATE=25
[ $((CALLS % 50)) = 0 ] || { echo "CALLS must be a multiple of 50" >&2; exit 1; }

sipnet_up
W=$SIPNET_WORK
BLOCK="ok busy ok oneway ok decline ok nomedia ok notfound
ok oneback ok busy unavail ok oneway ok decline noanswer
ok busy ok oneway nomedia ok notfound ok decline oneback
busy ok unavail oneway ok decline ok busy ok noanswer
ok oneway notfound ok oneback busy decline unavail ok nomedia"
{
    echo SEQUENTIAL
    for _ in $(seq 1 $((CALLS / 50))); do
        for c in $BLOCK; do echo "$c;"; done
    done
} >"$W/cases.csv"
[ "$(grep -c ';' "$W/cases.csv")" = "$CALLS" ]
# 3200 bytes (0.4 s at 8000 samples/s) of the A-law recording sipp ships,
# from 2 s in (it opens with silence).
tshark -r /usr/share/sip-tester/g711a.pcap -o rtp.heuristic_rtp:TRUE -T fields -e rtp.payload 2>/dev/null |
    python3 -c 'import sys; d=bytes.fromhex(sys.stdin.read().replace(":","").replace("\n","")); sys.stdout.buffer.write(d[16000:19200])' \
    >"$W/one-port-audio.alaw"
[ "$(stat -c %s "$W/one-port-audio.alaw")" = 3200 ]
cd "$W"

UAS_XML=$HERE/sipp/load-one-port-uas.xml
if [ -n "${RANDOM_RING:-}" ]; then
    sed 's|<pause milliseconds="500"/>|<pause distribution="uniform" min="200" max="1000"/>|' "$UAS_XML" >"$W/uas.xml"
    UAS_XML=$W/uas.xml
fi
sipnet_run "$SIPNET_B" 300 sipp -sf "$UAS_XML" \
    -i "$SIPNET_B_IP" -p 5060 -mp 6000 -m "$CALLS" -nd -trace_err -error_file "$W/uas-err.log" \
    </dev/null >"$W/uas.log" 2>&1
UAS=$SIPNET_LASTPID
sipnet_wait_listen "$SIPNET_B" udp 5060

TMP=$W/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 300 "$W/uac.log" \
    sipp -sf "$HERE/sipp/load-one-port-uac.xml" "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" -p 5060 \
    -mp 7000 -inf "$W/cases.csv" -r "$RATE" -l 1000 -m "$CALLS" -nd \
    -trace_err -error_file "$W/uac-err.log"
timeout 30 tail --pid="$UAS" -f /dev/null || true
sipnet_hold_until 1
sipnet_capture_stop
if cat "$W/uac-err.log" "$W/uas-err.log" 2>/dev/null | grep -q -i -E 'unexpected|abort'; then
    sipnet_log "sipp reported unexpected messages:"
    grep -i -E 'unexpected|abort' "$W/uac-err.log" "$W/uas-err.log" | head -n 5 >&2
    exit 1
fi
n=$((CALLS / 50))
sipnet_expect "$TMP" 'sip.Method == "BYE"' $((31 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 486' $((6 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 603' $((5 * n))
sipnet_expect "$TMP" 'sip.Status-Code == 487' $((2 * n))
ids=$(tshark -r "$TMP" -Y sip -T fields -e sip.Call-ID 2>/dev/null | sort -u | wc -l)
[ "$ids" = "$CALLS" ] || { sipnet_log "$ids distinct Call-IDs, expected $CALLS"; exit 1; }
# One media port pair for every call, one SSRC per call and direction.
pairs=$(tshark -r "$TMP" -d udp.port==6000,rtp -d udp.port==7000,rtp -Y rtp -T fields -e udp.srcport -e udp.dstport 2>/dev/null | sort -u | wc -l)
[ "$pairs" = 2 ] || { sipnet_log "$pairs RTP port pairs, expected 2"; exit 1; }
ssrcs=$(tshark -r "$TMP" -d udp.port==6000,rtp -d udp.port==7000,rtp -Y rtp -T fields -e udp.srcport -e rtp.ssrc 2>/dev/null | sort -u | wc -l)
[ "$ssrcs" = $((48 * n)) ] || { sipnet_log "$ssrcs streams, expected $((48 * n))"; exit 1; }
sipnet_finish "$TMP" "$OUT/$NAME"
