#!/usr/bin/env bash
# sip-call-ice-declined.pcap: the caller offers ICE (a=ice-ufrag, a=ice-pwd
# and a host candidate for its media address), the callee is a plain SIP
# phone whose answer carries no ICE at all. No STUN is ever sent; RTP flows
# both ways for about 3 s as in sip-call-rtp, then BYE, 200. ICE was offered
# but not agreed (RFC 8839 s4.4.3.1: an answer without ICE attributes means
# the answerer does not do ICE), so this is a plain RTP call.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-ice-declined
cs_topo2
cs_call_media
ice="a=ice-ufrag:Q8rT
a=ice-pwd:x2vJ7kLmN4pQ9sT1uW3yZ5bC
a=candidate:1 1 UDP 2130706431 $CS_A4 $CS_CALLER_MP typ host"
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")" \
  "OFFER_EXTRA=$ice"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 3500 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-call-ice-declined.pcap
