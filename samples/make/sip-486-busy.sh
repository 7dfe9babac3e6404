#!/usr/bin/env bash
# sip-486-busy.pcap: the callee is busy and refuses at once, without ringing:
# INVITE, 100, 486 Busy Here, ACK. No media.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-486-busy
cs_refused_call 486 "Busy Here" DROP=ringing
cs_finish "$CS_WORK/cap.pcap" sip-486-busy.pcap
