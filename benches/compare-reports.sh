#!/usr/bin/env bash
# Compares `analyze --format json` of two builds on every sample (and the
# public captures, when present), ignoring the fields the newer build adds:
# whatever else differs is printed, call by call.
#
#   benches/compare-reports.sh OLD_BINARY NEW_BINARY [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(ls samples/*.pcap samples/*.pcapng; [ -d ../shared/captures/public ] &&
    find ../shared/captures/public -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.gz' \))
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "${files[@]}"; do
  n=$(echo "$f" | tr '/' '_')
  "$old" analyze --format json "$f" >"$tmp/$n.old" 2>/dev/null || true
  "$new" analyze --format json "$f" >"$tmp/$n.new" 2>/dev/null || true
done
python3 - "$tmp" <<'PY'
import json, os, sys
ADDED_CALL = {"number", "frames", "absorbed", "timeline"}
ADDED_CAPTURE = {"undecodable_by_reason", "undecoded_link_types", "limits", "end_ts", "unrecognised"}
d = sys.argv[1]
names = sorted(n[:-4] for n in os.listdir(d) if n.endswith(".old"))
differ = 0
for n in names:
    a, b = open(f"{d}/{n}.old").read(), open(f"{d}/{n}.new").read()
    try:
        a, b = json.loads(a), json.loads(b)
    except ValueError:
        if a != b:
            differ += 1
            print("differs (not JSON):", n)
        continue
    for k in ADDED_CAPTURE:
        b["capture"].pop(k, None)
    for c in b["calls"]:
        for k in ADDED_CALL:
            c.pop(k, None)
    if a != b:
        differ += 1
        print("differs:", n)
        for x, y in zip(a["calls"], b["calls"]):
            for k in x:
                if x.get(k) != y.get(k):
                    print("   ", x["id"], k, str(x.get(k))[:160], "=>", str(y.get(k))[:160])
print(f"{len(names)} captures, {differ} differ beyond the added fields")
PY
