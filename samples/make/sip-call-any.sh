#!/usr/bin/env bash
# sip-call-any.pcapng: a good call over UDP/IPv4 (INVITE, 100, 180, 200, ACK,
# about 3 s of RTP each way, BYE, 200) recorded with `tcpdump -i any` in the
# caller's namespace (link type LINUX_SLL2), then converted to pcapng with
# editcap; the link type stays LINUX_SLL2.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-any
command -v editcap >/dev/null || cs_die "missing tool: editcap"
cs_topo2
cs_call_media
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"

cs_capture_start "$CS_NS_A" any "$CS_WORK/cap.pcap" -y LINUX_SLL2
cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 3500 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop

[ "$(capinfos -T -E "$CS_WORK/cap.pcap" | awk 'NR == 2 {print $2}')" = linux-sll2 ] \
  || cs_die "tcpdump -i any did not record LINUX_SLL2"
editcap -F pcapng "$CS_WORK/cap.pcap" "$CS_WORK/cap.pcapng"
cs_finish "$CS_WORK/cap.pcapng" sip-call-any.pcapng
