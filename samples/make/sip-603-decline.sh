#!/usr/bin/env bash
# sip-603-decline.pcap: the callee rings for 1.5 s, then declines:
# INVITE, 100, 180, 603 Decline, ACK. No media.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-603-decline
cs_refused_call 603 Decline RING_MS=1500
cs_finish "$CS_WORK/cap.pcap" sip-603-decline.pcap
