#!/usr/bin/env bash
# Remake every SIP sample in samples/ (the sip-*.sh scripts here), one after
# the other; stops at the first failure. Each script cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")"
for script in sip-*.sh; do
  echo "== $script" >&2
  timeout 180 "./$script"
done
