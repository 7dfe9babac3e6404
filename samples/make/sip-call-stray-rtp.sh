#!/usr/bin/env bash
# sip-call-stray-rtp.pcap: a call answered normally (INVITE, 100, 180, 200,
# ACK, BYE, 200) in which the caller sends about 3 s of RTP (100 packets)
# but the callee's RTP streamer plays one 20 ms packet of audio and nothing
# more: one stray packet one way against a hundred the other. For the person
# on the caller's side the call was silent: one-way media, not two-way.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-stray-rtp
cs_topo2
cs_call_media
# One packet's worth of A-law (20 ms at 8000 Hz) for the callee.
head -c 160 "$CS_WORK/callee.alaw" > "$CS_WORK/callee-one.alaw"
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee-one.alaw")"

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
cs_finish "$CS_WORK/cap.pcap" sip-call-stray-rtp.pcap
