#!/usr/bin/env bash
# Remake the SIP samples made by the scripts listed below (the ones built on
# lib-sip.sh), one after the other; stops at the first failure. Each script
# cleans up after itself. Other sample scripts in this directory are not run.
set -euo pipefail
cd "$(dirname "$0")"
scripts=(
  sip-call-rtp.sh sip-call-tcp.sh sip-invite-fragmented.sh sip-invite-fragmented-ipv6.sh
  sip-call-ipv6.sh sip-call-any.sh sip-call-rtcp-mux.sh
  sip-603-decline.sh sip-486-busy.sh sip-480-unavailable.sh sip-404-not-found.sh
  sip-register-401-403.sh sip-register-ok.sh sip-auth-failed.sh sip-407-then-ok.sh
  sip-487-cancel.sh sip-call-one-way-rtp.sh sip-call-no-rtp.sh
)
for script in "${scripts[@]}"; do
  echo "== $script" >&2
  timeout 180 "./$script"
done
