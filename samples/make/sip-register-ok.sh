#!/usr/bin/env bash
# sip-register-ok.pcap: a registration with digest authentication at a kamailio
# registrar: REGISTER, 401 Unauthorized (WWW-Authenticate), REGISTER with
# Authorization (right password), 200 OK with the saved Contact.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-register-ok
cs_register callscope-sample 200
cs_finish "$CS_WORK/cap.pcap" sip-register-ok.pcap
