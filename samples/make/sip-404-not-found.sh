#!/usr/bin/env bash
# sip-404-not-found.pcap: the caller sends an INVITE for bob to a kamailio
# proxy/registrar where bob never registered: INVITE, 404 Not Found (from
# kamailio's location lookup), ACK. No media.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-404-not-found
cs_topo2
cs_scenario uac-fail.xml "$CS_WORK/uac.xml" CODE=404
cs_kamailio WITH_LOCATION
cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -cid_str "$(cs_cid)" "$CS_B4:5060"
cs_wait "$CS_LAST_PID" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-404-not-found.pcap
