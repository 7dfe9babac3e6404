#!/usr/bin/env bash
# sip-407-then-ok.pcap: a call through an authenticating kamailio proxy:
# INVITE, 407 Proxy Authentication Required, ACK, INVITE with
# Proxy-Authorization (right password), 100 (proxy), 180, 200 (callee, with
# Record-Route), ACK and BYE through the proxy, about 3 s of RTP each way
# directly between caller and callee. Captured on the caller's link.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-407-then-ok
cs_auth_call callscope-sample answered
cs_finish "$CS_WORK/cap.pcap" sip-407-then-ok.pcap
