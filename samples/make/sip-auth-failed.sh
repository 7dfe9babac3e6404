#!/usr/bin/env bash
# sip-auth-failed.pcap: a call refused by an authenticating kamailio proxy:
# INVITE, 407 Proxy Authentication Required, ACK, INVITE with
# Proxy-Authorization computed from a wrong password, 407 again, ACK.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-auth-failed
cs_auth_call not-the-password refused
cs_finish "$CS_WORK/cap.pcap" sip-auth-failed.pcap
