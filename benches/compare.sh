#!/usr/bin/env bash
# Puts callscope next to capinfos, tshark and a plain cat on the same
# captures, in the same run: wall time, peak memory, and the time as a ratio
# to `capinfos -c` (reading the file and counting its frames).
#
#   benches/compare.sh            # RTP-heavy capture built from the samples
#   benches/compare.sh FILE...    # also these captures (e.g. samples/large/*)
#
# The built capture repeats real sample frames with shifted times and ports
# (examples/repeat_capture.rs) up to FRAMES frames (default 2,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
FRAMES=${FRAMES:-2000000}
mkdir -p samples/large
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }

cargo build --release --quiet
cargo build --release --quiet --example repeat_capture
built=samples/large/rtp-heavy.pcap
if [ ! -f "$built" ]; then
  target/release/examples/repeat_capture "$built" "$FRAMES" \
    samples/sip-call-rtp.pcap samples/webrtc-ok.pcap samples/webrtc-turn-relay.pcap
fi

BASE=""
measure() { # label command...
  local label=$1 out tmp secs ratio
  shift
  tmp=$(mktemp)
  /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
  out=$(tail -1 "$tmp")
  rm -f "$tmp"
  secs=${out% *}
  [ -z "$BASE" ] && BASE=$secs
  ratio=$(echo "$secs / ($BASE + 0.001)" | bc -l)
  printf '  %-58s %8s s %8.1f MB %7.2fx capinfos\n' "$label" "$secs" "$(echo "${out#* } / 1024" | bc -l)" "$ratio"
}

run_all() { # file
  local f=$1 frames size
  frames=$(target/release/callscope packets -q --format json "$f" | tail -1 | sed 's/.*"frames":\([0-9]*\).*/\1/')
  size=$(stat -c %s "$f")
  echo "$f: $frames frames, $((size / 1024 / 1024)) MiB"
  BASE=""
  if command -v capinfos >/dev/null; then
    measure "capinfos -c" capinfos -c "$f"
  fi
  measure "cat" cat "$f"
  measure "callscope packets -q --threads 1" target/release/callscope packets -q --threads 1 "$f"
  measure "callscope packets -q --threads 2" target/release/callscope packets -q --threads 2 "$f"
  measure "callscope analyze (text)" target/release/callscope analyze "$f"
  measure "callscope analyze --format json" target/release/callscope analyze --format json "$f"
  if command -v tshark >/dev/null; then
    measure "tshark -T fields -e frame.number" tshark -n -r "$f" -T fields -e frame.number
    measure "tshark -q -z sip,stat -z rtp,streams" tshark -n -r "$f" -q -z sip,stat -z rtp,streams
    measure "tshark --enable-heuristic rtp_udp -q -z rtp,streams" tshark -n -r "$f" --enable-heuristic rtp_udp -q -z rtp,streams
  fi
}

run_all "$built"
for f in "$@"; do run_all "$f"; done
