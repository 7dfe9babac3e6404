#!/usr/bin/env bash
# sip-register-then-invite.pcap: one Call-ID carries a REGISTER (200 OK)
# and then an INVITE (100 Trying, 403 Forbidden, ACK), between two sipp
# user agents (sipp/register-then-invite-uac.xml and -uas.xml). The call
# is the INVITE, refused; the registration worked.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-register-then-invite
cs_topo2
SIPP="$(dirname "$0")/sipp"
cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 30 "$CS_NS_B" -sf "$SIPP/register-then-invite-uas.xml" -i "$CS_B4" -p 5060 -m 1
uas=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$SIPP/register-then-invite-uac.xml" -i "$CS_A4" -p 5060 \
  -mp "$CS_CALLER_MP" -m 1 -cid_str "$(cs_cid)" "$CS_B4:5060"
uac=$CS_LAST_PID
cs_wait "$uac" 30
cs_wait "$uas" 30
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-register-then-invite.pcap
