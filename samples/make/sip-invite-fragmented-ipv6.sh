#!/usr/bin/env bash
# sip-invite-fragmented-ipv6.pcap: a good call over UDP/IPv6 whose INVITE (about
# 2.5 kB: many headers, nine audio formats and a video offer) is larger than
# the 1500-byte MTU of the link, so the caller's IP layer sends it as two IPv6
# fragments (Fragment extension header). The callee answers normally (video
# declined); INVITE, 100, 180, 200, ACK, about 2 s of RTP each way, BYE, 200.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-invite-fragmented-ipv6
cs_topo2 1500
CS_RTP_SECONDS=2
cs_call_media
mapfile -d '' big < <(cs_big_offer_args)
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "${big[@]}" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "${big[@]}" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B6" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A6" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 2500 -cid_str "$(cs_cid)" "[$CS_B6]:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-invite-fragmented-ipv6.pcap
