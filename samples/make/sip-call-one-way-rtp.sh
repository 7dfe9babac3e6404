#!/usr/bin/env bash
# sip-call-one-way-rtp.pcap: a call answered normally (INVITE, 100, 180, 200,
# ACK, BYE, 200) in which both sides send about 3 s of RTP, but a firewall in
# the router between them (nft forward rule in cs1b) drops everything from the
# callee's media port: the caller's link only carries caller -> callee RTP.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-one-way-rtp
command -v nft >/dev/null || cs_die "missing tool: nft"
cs_topo3
cs_x "$CS_NS_B" nft -f - <<NFT
table inet cs1fw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip saddr $CS_C4 udp sport $CS_CALLEE_MP counter drop
  }
}
NFT
cs_call_media
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_C" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 3500 -cid_str "$(cs_cid)" "$CS_C4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
# The callee did send: the firewall counted (and dropped) its packets.
dropped=$(cs_x "$CS_NS_B" nft list chain inet cs1fw forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 0 ] || cs_die "the callee sent no RTP for the firewall to drop"
cs_log "firewall dropped $dropped callee RTP packets"
cs_finish "$CS_WORK/cap.pcap" sip-call-one-way-rtp.pcap
