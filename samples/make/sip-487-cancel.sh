#!/usr/bin/env bash
# sip-487-cancel.pcap: the caller hangs up while the callee rings: INVITE, 100,
# 180, CANCEL (after 2 s of ringing), 200 (CANCEL), 487 Request Terminated, ACK.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-487-cancel
cs_topo2
cs_scenario uac-cancel.xml "$CS_WORK/uac.xml" RING_MS=2000
cs_scenario uas-cancel.xml "$CS_WORK/uas.xml"
cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-487-cancel.pcap
