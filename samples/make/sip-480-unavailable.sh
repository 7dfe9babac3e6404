#!/usr/bin/env bash
# sip-480-unavailable.pcap: the callee rings for 3 s without being answered,
# then gives up: INVITE, 100, 180, 480 Temporarily Unavailable, ACK. No media.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-480-unavailable
cs_refused_call 480 "Temporarily Unavailable" RING_MS=3000
cs_finish "$CS_WORK/cap.pcap" sip-480-unavailable.pcap
