#!/usr/bin/env bash
# sip-call-no-rtp.pcap: a call answered with SDP both ways (INVITE, 100, 180,
# 200, ACK) in which neither side sends any RTP; the caller hangs up after
# 4 s (BYE, 200).
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-no-rtp
cs_topo2
cs_scenario uac-call.xml "$CS_WORK/uac.xml"
cs_scenario uas-call.xml "$CS_WORK/uas.xml"
cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 4000 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-call-no-rtp.pcap
