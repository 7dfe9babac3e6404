#!/usr/bin/env bash
# Makes samples/sip-tcp-refused.pcap.
#
# sipp (built-in `uac` scenario, `-t t1`: SIP over one TCP connection) opens a
# connection to 10.203.0.2:5060 where nothing listens. cs3b's kernel answers
# the SYN with RST,ACK; sipp cannot connect and stops without sending any SIP.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-tcp-refused.pcap
sipnet_up
TMP=$SIPNET_WORK/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 30 "$SIPNET_WORK/sipp.log" \
    sipp -sn uac "$SIPNET_B_IP:5060" -t t1 -i "$SIPNET_A_IP" -m 1 -nd -recv_timeout 10000
sipnet_hold_until 2
sipnet_capture_stop

sipnet_expect "$TMP" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5060' 1
sipnet_expect "$TMP" 'tcp.flags.reset == 1 && tcp.srcport == 5060' 1
sipnet_expect "$TMP" 'sip' 0
sipnet_finish "$TMP" "$OUT/$NAME"
