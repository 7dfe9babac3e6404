#!/usr/bin/env bash
# Makes samples/sip-register-no-response.pcap.
#
# sipp (sipp/register-uac.xml) sends one REGISTER over UDP to
# 10.203.0.2:5060, where an nft rule in cs3b drops every UDP datagram to port
# 5060. The REGISTER is retransmitted on Timer E (0.5, 1, 2 s, then every
# T2 = 4 s, RFC 3261 section 17.1.2.2) until sipp gives the transaction up
# near Timer F (32 s). About 35 s are recorded.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-register-no-response.pcap
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
    sipp -sf "$HERE/sipp/register-uac.xml" "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" -p 5060 \
    -m 1 -nd -max_non_invite_retrans 20
sipnet_hold_until 35
sipnet_capture_stop

sipnet_expect "$TMP" 'sip.Method == "REGISTER"' 10
sipnet_expect "$TMP" 'sip.Status-Line' 0
sipnet_finish "$TMP" "$OUT/$NAME"
