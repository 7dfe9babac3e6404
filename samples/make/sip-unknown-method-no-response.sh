#!/usr/bin/env bash
# Makes samples/sip-unknown-method-no-response.pcap.
#
# sipp (sipp/unknown-method-uac.xml) sends one request of a method no RFC
# defines, FOO, over UDP to 10.203.0.2:5060, where an nft rule in cs3b drops
# every UDP datagram to port 5060. No response comes back, so the request is
# retransmitted on Timer E (0.5, 1, 2, then every 4 s: RFC 3261 section
# 17.1.2.2, T2 = 4 s) until sipp's 32 s receive timeout stands in for Timer F.
# About 35 s are recorded.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-unknown-method-no-response.pcap
sipnet_up
sipnet_nft_b 'table inet cs3 {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 5060 drop
  }
}'
TMP=$SIPNET_WORK/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 60 "$SIPNET_WORK/sipp.log" \
    sipp -sf "$HERE/sipp/unknown-method-uac.xml" "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" \
    -p 5060 -m 1 -nd -max_non_invite_retrans 20 -recv_timeout 32000
sipnet_hold_until 35
sipnet_capture_stop

sipnet_expect "$TMP" 'sip.Method == "FOO"' 10
sipnet_expect "$TMP" 'sip.Status-Line' 0
sipnet_finish "$TMP" "$OUT/$NAME"
