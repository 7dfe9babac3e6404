#!/usr/bin/env bash
# sip-b2bua-direct-media.pcap: one call through kamailio with topology hiding
# (topoh, Call-ID masked), so the caller's leg (10.201.1.1 <-> 10.201.1.2)
# and the callee's leg (10.201.2.2 <-> 10.201.2.3) are two dialogs with two
# Call-IDs, as a B2BUA makes them; the SDP passes untouched, so both legs
# describe the same media, which flows directly between caller and callee
# (about 3 s each way, routed through the proxy's host). Recorded on the
# caller's link (both legs' media and the first leg's SIP) and on the
# callee's link (SIP only, so no packet is recorded twice), merged into one
# file by time.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-b2bua-direct-media
cs_topo3
cs_call_media
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
cs_kamailio WITH_CALLEE WITH_TOPOH

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap-a.pcap"
all_filter=$CS_CAP_FILTER
CS_CAP_FILTER="($all_filter) and udp port 5060"
cs_capture_start "$CS_NS_C" cs1c0 "$CS_WORK/cap-c.pcap"
CS_CAP_FILTER=$all_filter
cs_sipp uas 30 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_C" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 3500 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
mergecap -F pcap -w "$CS_WORK/cap.pcap" "$CS_WORK/cap-a.pcap" "$CS_WORK/cap-c.pcap"
# Two legs, two Call-IDs, one SDP answer each, media both ways on one pair.
ids=$(tshark -r "$CS_WORK/cap.pcap" -Y sip -T fields -e sip.Call-ID 2>/dev/null | sort -u | wc -l)
[ "$ids" = 2 ] || cs_die "$ids Call-IDs, expected 2"
answers=$(tshark -r "$CS_WORK/cap.pcap" -Y 'sip.Status-Code == 200 and sdp' 2>/dev/null | wc -l)
[ "$answers" = 2 ] || cs_die "$answers 200s with SDP, expected 2"
cs_finish "$CS_WORK/cap.pcap" sip-b2bua-direct-media.pcap
