#!/usr/bin/env bash
# `callscope triage` on a folder of many captures: captures and calls per
# second and peak memory with 1 and 2 workers, beside `capinfos -c` over
# the same files and `analyze --format json` run once per file (what a
# shell loop would do), in the same run, as ratios to capinfos.
#
#   benches/triage.sh             # COPIES (8) copies of every sample: 632 captures
#   LARGE=1 benches/triage.sh     # also 4 copies of a 96 080-call capture (608 500
#                                 # frames, made from sip-load-mixed.pcap): memory
#                                 # per worker on large captures
#
# Results vary by a few percent from run to run; each figure is the
# minimum of RUNS (3) runs.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${COPIES:-8}
RUNS=${RUNS:-3}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
command -v capinfos >/dev/null || { echo "needs capinfos (apt-get install tshark)"; exit 2; }
cargo build --release --quiet
bin=target/release/callscope
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpus=$work/corpus
for i in $(seq "$COPIES"); do
  (cd samples && find . -path ./large -prune -o -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \
     -o -name '*.gz' -o -name '*.snoop' \) -print) | while read -r f; do
    mkdir -p "$corpus/copy$i/$(dirname "$f")"
    cp "samples/$f" "$corpus/copy$i/$f"
  done
done
files=$(find "$corpus" -type f | wc -l)
# Warm the page cache: every tool reads from memory.
find "$corpus" -type f -exec cat {} + >/dev/null

best() { # runs a command RUNS times; prints "seconds peak_kb" of the fastest
  local best_s="" best_m="" tmp
  tmp=$(mktemp)
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>&1 || true
    read -r s m <"$tmp"
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_m=$m; fi
  done
  rm -f "$tmp"
  echo "$best_s $best_m"
}

report() { # label folder
  local label=$1 dir=$2 base calls line
  line=$($bin triage -j 1 "$dir" 2>&1 >/dev/null | grep '^triage:')
  calls=$(echo "$line" | sed -E 's/.* captures, ([0-9]+) calls.*/\1/')
  local n
  n=$(find "$dir" -type f | wc -l)
  read -r base _ < <(best capinfos -c $(find "$dir" -type f | sort))
  echo "## $label: $n files, $calls calls"
  printf '%-44s %8s %10s %12s %10s %8s\n' run seconds captures/s calls/s "peak MB" "x capinfos"
  row() {
    local label=$1 s m
    shift
    read -r s m < <(best "$@")
    awk -v l="$label" -v s="$s" -v m="$m" -v n="$n" -v c="$calls" -v b="$base" \
      'BEGIN{printf "%-44s %8.2f %10.1f %12.0f %10.1f %8.2f\n", l, s, n/s, c/s, m/1024, s/b}'
  }
  row "capinfos -c (every file)" capinfos -c $(find "$dir" -type f | sort)
  row "triage -j 1" $bin triage -j 1 -q "$dir"
  row "triage -j 2" $bin triage -j 2 -q "$dir"
  row "triage -j 2 --per-file" $bin triage -j 2 -q --per-file "$dir"
  row "analyze --format json, once per file" \
    sh -c 'find "$1" -type f | sort | while read -r f; do "$2" analyze --format json "$f" || true; done' \
    sh "$dir" "$bin"
}

report "samples x$COPIES" "$corpus"
echo "(files: $files)"

if [ "${LARGE:-0}" = 1 ]; then
  cargo build --release --quiet --example repeat_capture
  mkdir -p samples/large
  big=samples/large/sip-load-100k.pcap
  [ -f "$big" ] || target/release/examples/repeat_capture "$big" 608500 samples/sip-load-mixed.pcap
  mkdir -p "$work/large"
  for i in 1 2 3 4; do cp "$big" "$work/large/copy$i.pcap"; done
  cat "$work"/large/* >/dev/null
  report "4 x sip-load-100k.pcap" "$work/large"
  read -r s m < <(best $bin analyze --format json "$big")
  echo "one analyze --format json of one copy: $s s, peak $((m / 1024)) MB"
fi
