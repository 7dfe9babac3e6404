#!/usr/bin/env bash
# `callscope live` under load: sipp calls with RTP (sipp's 7 s G.711
# recording, echoed back by the callee) across a veth pair between two
# network namespaces, at rising call rates. For each rate, callscope
# captures for STEP seconds, and this prints the packets per second it
# took, the kernel's drops, the CPU it used (user+system, as a share of
# one core) and its peak memory; tcpdump records the same interface beside
# it, for the packet count.
#
#   benches/live-load.sh                   # rates 10 25 50 100 200 calls/s
#   benches/live-load.sh 50 400            # these rates
#   LIVE_ARGS="--buffer-size 128" benches/live-load.sh 200   # other options
#   SOAK=600 benches/live-load.sh 25       # one rate for 10 minutes, with
#                                          # callscope's memory every 30 s
#
# Root only (namespaces, capture). Traffic stays inside the two namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD/samples/make
. "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
cargo build --release --quiet --features live
BIN=$PWD/target/release/callscope

RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(10 25 50 100 200)
STEP=${SOAK:-${STEP:-20}}

sipnet_up
W=$SIPNET_WORK
printf '%-8s %10s %10s %10s %12s %8s %10s %10s\n' calls/s packets pkt/s tcpdump kernel-drops cpu% peak-MB calls
for rate in "${RATES[@]}"; do
    sipnet_run "$SIPNET_B" $((STEP + 60)) sipp -sf "$HERE/sipp/rtp-echo-uas.xml" \
        -i "$SIPNET_B_IP" -p 5060 -mi "$SIPNET_B_IP" -mp 6000 -rtp_echo -nd \
        </dev/null >"$W/uas.log" 2>&1
    uas=$SIPNET_LASTPID
    sipnet_wait_listen "$SIPNET_B" udp 5060
    sipnet_capture_start "$W/tcpdump.pcap" -B 65536
    ip netns exec "$SIPNET_A" /usr/bin/time -o "$W/time" -f "%e %U %S %M" \
        "$BIN" live -i "$SIPNET_A_IF" --format jsonl -w "$W/live.pcapng" \
        --duration "$STEP" ${LIVE_ARGS:-} >"$W/live.jsonl" 2>"$W/live.err" &
    live=$!
    sleep 1
    # Calls start for all but the last 9 s, so that they end inside the step.
    calls=$(( rate * (STEP > 10 ? STEP - 9 : 1) ))
    sipnet_run "$SIPNET_A" $((STEP + 30)) sipp -sf "$HERE/sipp/rtp-uac.xml" "$SIPNET_B_IP:5060" \
        -i "$SIPNET_A_IP" -p 5060 -mi "$SIPNET_A_IP" -mp 20000 -r "$rate" -l $((rate * 10)) \
        -m "$calls" -nd -recv_timeout 30000 </dev/null >"$W/uac.log" 2>&1
    uac=$SIPNET_LASTPID
    if [ -n "${SOAK:-}" ]; then
        for _ in $(seq 1 $((STEP / 30))); do
            sleep 30
            pid=$(pgrep -n -x callscope || true)
            [ -n "$pid" ] && printf '  +%4ss  rss %6s kB  peak %6s kB\n' \
                "$(ps -o etimes= -p "$pid" | tr -d ' ')" \
                "$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)" \
                "$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)"
        done
    fi
    wait "$live" || true
    sipnet_stop "$uac"
    sipnet_stop "$uas"
    sipnet_capture_stop
    read -r secs user sys kb <"$W/time"
    report=$(tail -1 "$W/live.jsonl")
    packets=$(jq -r '.capture.live.packets' <<<"$report")
    drops=$(jq -r '[.capture.live.interfaces[].dropped_by_kernel] | add' <<<"$report")
    ncalls=$(jq -r '.summary.calls' <<<"$report")
    theirs=$(capinfos -c -M "$W/tcpdump.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
    printf '%-8s %10s %10.0f %10s %12s %8.1f %10.1f %10s\n' "$rate" "$packets" \
        "$(echo "$packets / $STEP" | bc -l)" "$theirs" "$drops" \
        "$(echo "100 * ($user + $sys) / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)" "$ncalls"
done
