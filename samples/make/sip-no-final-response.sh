#!/usr/bin/env bash
# Makes samples/sip-no-final-response.pcap.
#
# sipp (built-in `uac` scenario) calls 10.203.0.2:5060 over UDP. The callee,
# sipp with sipp/ring-no-answer-uas.xml, answers 100 Trying and 180 Ringing
# and then sends nothing more. The caller waits 20 s for a final response
# (its receive timeout) and gives up silently: `-nd` keeps it from sending a
# CANCEL, so the 180 is the last SIP message. The caller's host also pings the
# callee every 5 s (other traffic, as on any real link), so the capture runs
# on past RFC 3261 Timer B (32 s) after the 180. Needs ping (iputils-ping).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-no-final-response.pcap
sipnet_up
sipnet_run "$SIPNET_B" 60 sipp -sf "$HERE/sipp/ring-no-answer-uas.xml" \
    -i "$SIPNET_B_IP" -p 5060 -m 1 -nd </dev/null >"$SIPNET_WORK/uas.log" 2>&1
sipnet_wait_listen "$SIPNET_B" udp 5060

TMP=$SIPNET_WORK/$NAME
sipnet_capture_start "$TMP"
sipnet_run "$SIPNET_A" 50 ping -n -q -c 9 -i 5 "$SIPNET_B_IP"
sipnet_tool "$SIPNET_A" 40 "$SIPNET_WORK/uac.log" \
    sipp -sn uac "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" -p 5060 -m 1 -nd -recv_timeout 20000
sipnet_hold_until 42
sipnet_capture_stop

sipnet_expect "$TMP" 'sip.Method == "INVITE"' 1
sipnet_expect "$TMP" 'sip.Status-Code == 100' 1
sipnet_expect "$TMP" 'sip.Status-Code == 180' 1
sipnet_expect "$TMP" 'sip.Status-Code >= 200' 0
sipnet_expect "$TMP" 'sip.Method == "CANCEL" || sip.Method == "ACK"' 0
sipnet_finish "$TMP" "$OUT/$NAME"
