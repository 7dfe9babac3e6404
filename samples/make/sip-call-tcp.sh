#!/usr/bin/env bash
# sip-call-tcp.pcap: a good call whose signalling runs over TCP from the caller
# to a kamailio proxy (which relays to the callee over UDP and record-routes,
# so ACK and BYE follow the same TCP connection). The INVITE is large (about
# 2.5 kB, video offer declined), so it spans two TCP segments; every other SIP
# message fits one segment. About 3 s of RTP each way flows directly between
# caller and callee. Captured on the caller's link.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-tcp
cs_topo3
cs_call_media
mapfile -d '' big < <(cs_big_offer_args)
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "${big[@]}" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "${big[@]}" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
cs_kamailio WITH_TCP WITH_CALLEE
cs_wait_listen "$CS_NS_B" tcp 5060

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_C" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -t t1 -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 3500 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-call-tcp.pcap
