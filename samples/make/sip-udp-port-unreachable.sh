#!/usr/bin/env bash
# Makes samples/sip-udp-port-unreachable.pcap.
#
# sipp (built-in `uac` scenario) sends an INVITE over UDP to 10.203.0.2:5060
# where nothing listens. cs3b's kernel answers each datagram with ICMP
# destination unreachable, port unreachable (type 3 code 3); ICMP rate
# limiting is off in cs3b (lib-sipnet.sh) so every attempt gets its answer.
# sipp's UDP socket is unconnected and does not see the ICMP errors, so it
# retransmits the INVITE on Timer A three times (0.5, 1, 2 s apart) and gives
# the call up after its last timer (at 7.5 s).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-udp-port-unreachable.pcap
sipnet_up
TMP=$SIPNET_WORK/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 30 "$SIPNET_WORK/sipp.log" \
    sipp -sn uac "$SIPNET_B_IP:5060" -i "$SIPNET_A_IP" -p 5060 -m 1 -nd \
    -max_invite_retrans 3
sipnet_hold_until 9
sipnet_capture_stop

sipnet_expect "$TMP" 'sip.Method == "INVITE" && !icmp' 4
sipnet_expect "$TMP" 'icmp.type == 3 && icmp.code == 3' 4
sipnet_finish "$TMP" "$OUT/$NAME"
