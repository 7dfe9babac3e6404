#!/usr/bin/env bash
# Makes samples/sip-tcp-blocked.pcap.
#
# sipp (built-in `uac` scenario, `-t t1`) opens a TCP connection to
# 10.203.0.2:5060; an nft rule in cs3b drops every TCP segment to port 5060,
# so the SYN is never answered. The caller's kernel retransmits the SYN (this
# kernel's net.ipv4.tcp_syn_linear_timeouts keeps the first retries 1 s apart,
# then the back-off doubles) until sipp's own 20 s receive timeout ends the
# attempt. No SIP message is ever sent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-tcp-blocked.pcap
sipnet_up
sipnet_nft_b 'table inet cs3 {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 5060 drop
  }
}'
TMP=$SIPNET_WORK/$NAME
sipnet_capture_start "$TMP"
sipnet_tool "$SIPNET_A" 40 "$SIPNET_WORK/sipp.log" \
    sipp -sn uac "$SIPNET_B_IP:5060" -t t1 -i "$SIPNET_A_IP" -m 1 -nd -recv_timeout 20000
sipnet_hold_until 21
sipnet_capture_stop

sipnet_expect "$TMP" 'tcp.flags.syn == 1 && tcp.flags.ack == 1' 0
sipnet_expect "$TMP" 'tcp.flags.reset == 1' 0
sipnet_expect "$TMP" 'sip' 0
n=$(tshark -r "$TMP" -Y 'tcp.flags.syn == 1 && tcp.dstport == 5060' 2>/dev/null | wc -l)
[ "$n" -ge 5 ] || { sipnet_log "only $n SYNs"; exit 1; }
sipnet_finish "$TMP" "$OUT/$NAME"
