#!/usr/bin/env bash
# sip-register-401-403.pcap: a registration with the wrong password at a
# kamailio registrar: REGISTER, 401 Unauthorized, REGISTER with Authorization
# (digest of a wrong password), 403 Forbidden.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-register-401-403
cs_register not-the-password 403
cs_finish "$CS_WORK/cap.pcap" sip-register-401-403.pcap
