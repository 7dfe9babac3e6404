#!/usr/bin/env bash
# sip-response-port-unreachable.pcap: the caller (sipp) sends an INVITE and
# is gone 1 s later (killed, as a softphone that crashed or a NAT binding
# that expired); the callee (sipp) answers 100 and 180 while the caller's
# port is still open, then 200 OK 3 s after ringing: the caller's host
# answers every 200 OK (and the callee's retransmissions of it) with ICMP
# port unreachable. No ACK ever comes; the callee stops after about 10 s.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-response-port-unreachable
cs_topo2
cs_scenario uac-call.xml "$CS_WORK/uac.xml"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RING_MS=3000"

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 10 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 1 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 5 || true
cs_wait "$uas" 15 || true
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-response-port-unreachable.pcap
