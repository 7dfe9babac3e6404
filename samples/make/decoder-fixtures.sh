#!/usr/bin/env bash
# Remakes the small captures the SIP decoder's unit tests cut bytes from:
# decoder-sipp-call.pcap (sipp's built-in uac/uas), decoder-sipp-486.pcap and
# decoder-sipp-603.pcap (our scenarios in decoder-fixtures/). Loopback only;
# every process bounded by timeout. The SDP tests' WebRTC offers come from
# decoder-fixtures/offer.py and offer_turn.py (aiortc, no network needed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/.." && pwd)
fx="$here/decoder-fixtures"

capture() { # file port command...
  local file=$1 port=$2; shift 2
  timeout 15 tcpdump -i lo -U -w "$file" "udp port $port" 2>/dev/null &
  local td=$!
  sleep 1
  "$@"
  sleep 1
  kill "$td" 2>/dev/null || true
  wait "$td" 2>/dev/null || true
}

call() {
  timeout 10 sipp -sn uas -i 127.0.0.1 -p 5070 -m 1 -bg >/dev/null 2>&1 || true
  sleep 0.5
  timeout 10 sipp -sn uac 127.0.0.1:5070 -i 127.0.0.1 -p 5071 -m 1 >/dev/null 2>&1 || true
}
reject() { # code
  timeout 10 sipp -sf "$fx/uas_$1.xml" -i 127.0.0.1 -p 5072 -m 1 -bg >/dev/null 2>&1 || true
  sleep 0.5
  timeout 10 sipp -sf "$fx/uac_$1.xml" 127.0.0.1:5072 -i 127.0.0.1 -p 5073 -m 1 >/dev/null 2>&1 || true
}

capture "$out/decoder-sipp-call.pcap" 5070 call
capture "$out/decoder-sipp-486.pcap" 5072 reject 486
capture "$out/decoder-sipp-603.pcap" 5072 reject 603
pkill -f "sipp -s" 2>/dev/null || true
