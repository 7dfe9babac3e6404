#!/usr/bin/env bash
# large-webrtc.sh [BATCHES] [OUT]: a WebRTC-heavy capture of many aiortc
# sessions (20 per batch, default 15 batches = 300 sessions, ~13 min) into
# samples/large/webrtc-large.pcap (gitignored), with a summary of what each
# session did in samples/large/webrtc-large.txt.
#
# Eight peer pairs (namespaces cs2aL<k>/cs2bL<k>, router cs2rL, coturn in
# cs2tL), each with its own failure, run their sessions concurrently in
# bounded batches; session starts are spread over 10 s per batch:
#   k  kind               per batch  how
#   0  ok                 6          host candidates, 2 s of audio
#   1  ok-relay           3          alice relay-only through coturn
#   2  udp-blocked        2          nft drops all UDP between the pair
#   3  dtls-dropped       2          nft drops DTLS from bob at alice
#   4  turn-wrong-pass    2          alice relay-only, wrong TURN password
#   5  turn-unreachable   1          coturn drops UDP 3478 from this alice
#   6  consent-lost       2          working, then all UDP dropped (3 s after
#                                    the last of them is connected)
#   7  media-one-way      2          bob's RTP/RTCP dropped before the link
# Captured in the router on every alice link (ra0..ra7) and on bob's link of
# the relayed pair (rb1, the relay leg), merged into one file.
set -euo pipefail
CS2_SFX=L
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init large-webrtc
BATCHES="${1:-15}"
OUT="${2:-$CS2_SAMPLES/large/webrtc-large.pcap}"
mkdir -p "$(dirname "$OUT")"
SUMMARY="${OUT%.pcap}.txt"

KINDS=(ok ok-relay udp-blocked dtls-dropped turn-wrong-pass turn-unreachable consent-lost media-one-way)
COUNTS=(6 3 2 2 2 1 2 2)
NPAIRS=${#KINDS[@]}
IP_T=10.202.140.2
GW_T=10.202.140.1
pa() { echo "10.202.$((100 + $1)).2"; }
pb() { echo "10.202.$((120 + $1)).2"; }

# --- topology -------------------------------------------------------------
_cs2_ns_add "$NS_R"
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
_cs2_ns_add "$NS_T"
_cs2_link "$NS_T" rt "$IP_T" "$GW_T" - - "$(printf '%02x' 140)"
for k in $(seq 0 $((NPAIRS - 1))); do
    _cs2_ns_add "cs2aL$k"
    _cs2_ns_add "cs2bL$k"
    _cs2_link "cs2aL$k" "ra$k" "$(pa "$k")" "10.202.$((100 + k)).1" - - "$(printf '%02x' $((100 + k)))"
    _cs2_link "cs2bL$k" "rb$k" "$(pb "$k")" "10.202.$((120 + k)).1" - - "$(printf '%02x' $((120 + k)))"
    ip netns exec "cs2aL$k" timeout 5 ping -c1 -W1 -q "$(pb "$k")" >/dev/null 2>&1 || true
    ip netns exec "cs2aL$k" timeout 5 ping -c1 -W1 -q "$IP_T" >/dev/null 2>&1 || true
done
ip netns exec cs2bL1 timeout 5 ping -c1 -W1 -q "$IP_T" >/dev/null 2>&1 || true

# --- standing failures ----------------------------------------------------
cs2_nft_input cs2aL2 ip saddr "$(pb 2)" meta l4proto udp drop
cs2_nft_input cs2bL2 ip saddr "$(pa 2)" meta l4proto udp drop
cs2_nft_input cs2aL3 ip saddr "$(pb 3)" meta l4proto udp @th,64,8 20-63 drop
cs2_nft_input "$NS_T" ip saddr "$(pa 5)" udp dport 3478 drop
cs2_nft_output cs2bL7 ip daddr "$(pa 7)" meta l4proto udp @th,64,8 128-191 drop

CS2_TURN_TIMEOUT=$((BATCHES * 60 + 120))
cs2_turnserver

# --- captures -------------------------------------------------------------
CAP_SECS=$((BATCHES * 60 + 120))
CAPS=()
CAP_PIDS=()
start_cap() {
    local iface=$1 f="$CS2_WORK/cap-$1.pcap"
    ip netns exec "$NS_R" timeout "$CAP_SECS" tcpdump -i "$iface" -n -U --immediate-mode -s 0 \
        -w "$f" 'udp or tcp' 2>"$CS2_WORK/tcpdump-$iface.err" &
    CAP_PIDS+=("$!")
    CS2_PIDS+=("$!")
    CAPS+=("$f")
}
for k in $(seq 0 $((NPAIRS - 1))); do start_cap "ra$k"; done
start_cap rb1
sleep 1

# --- batches --------------------------------------------------------------
STAGGER=10
peer_args() { # kind role -> extra args
    local kind=$1 role=$2
    case "$kind:$role" in
        ok:*) echo "--media-seconds 2 --deadline 25" ;;
        ok-relay:offer) echo "--media-seconds 2 --deadline 25 --relay-only --turn turn:$IP_T:3478 --turn-user alice --turn-pass s3cret-turn" ;;
        ok-relay:answer) echo "--media-seconds 2 --deadline 25" ;;
        udp-blocked:*) echo "--deadline 40 --stun-retransmissions 5" ;;
        dtls-dropped:*) echo "--deadline 36 --give-up 30" ;;
        turn-wrong-pass:offer) echo "--deadline 8 --relay-only --turn turn:$IP_T:3478 --turn-user alice --turn-pass not-the-password" ;;
        turn-unreachable:offer) echo "--deadline 12 --relay-only --turn turn:$IP_T:3478 --turn-user alice --turn-pass s3cret-turn" ;;
        turn-*:answer) echo "--deadline 12" ;;
        consent-lost:*) echo "--hold --deadline 60 --amplitude 0" ;;
        media-one-way:*) echo "--media-seconds 3 --deadline 25" ;;
    esac
}
: >"$CS2_WORK/results.txt"
CS2_PEER_TIMEOUT=90
for b in $(seq 1 "$BATCHES"); do
    cs2_log "batch $b/$BATCHES"
    for k in $(seq 0 $((NPAIRS - 1))); do
        kind=${KINDS[$k]}
        n=${COUNTS[$k]}
        sig="$CS2_WORK/sig/$b/$k"
        mkdir -p "$sig" "$CS2_WORK/marks/$b"
        marks=()
        [ "$kind" = consent-lost ] && marks=(--marks "$CS2_WORK/marks/$b")
        # shellcheck disable=SC2046
        cs2_peer "cs2aL$k" "alice-$b-$k" --role offer --sig "$sig" --sessions "$n" --stagger "$STAGGER" \
            --tone 400 "${marks[@]}" $(peer_args "$kind" offer)
        # bob waits for each offer: his per-session deadline covers the stagger.
        args=$(peer_args "$kind" answer)
        dl=$(echo "$args" | sed -n 's/.*--deadline \([0-9]*\).*/\1/p')
        # shellcheck disable=SC2046
        cs2_peer "cs2bL$k" "bob-$b-$k" --role answer --sig "$sig" --sessions "$n" \
            --tone 600 $(echo "$args" | sed "s/--deadline $dl/--deadline $((dl + STAGGER))/")
    done
    # consent-lost: drop once every session of that pair is up (bounded).
    for i in $(seq 0 $((COUNTS[6] - 1))); do
        cs2_wait_file "$CS2_WORK/marks/$b/alice-$b-6.$i.connected" 40 || true
    done
    sleep 3
    cs2_nft_input cs2aL6 ip saddr "$(pb 6)" meta l4proto udp drop
    cs2_nft_input cs2bL6 ip saddr "$(pa 6)" meta l4proto udp drop
    cs2_wait_all || { cs2_show_logs; exit 1; }
    cs2_nft_flush cs2aL6
    cs2_nft_flush cs2bL6
    for k in $(seq 0 $((NPAIRS - 1))); do
        sed "s/^/batch=$b pair=$k kind=${KINDS[$k]} side=alice /" "$CS2_WORK/alice-$b-$k.out" >>"$CS2_WORK/results.txt"
        sed "s/^/batch=$b pair=$k kind=${KINDS[$k]} side=bob /" "$CS2_WORK/bob-$b-$k.out" >>"$CS2_WORK/results.txt"
    done
    rm -f "$CS2_WORK"/*-"$b"-*.log
done

sleep 1
for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
mergecap -F pcap -w "$OUT" "${CAPS[@]}"

{
    echo "# $(basename "$OUT"): $BATCHES batches, $(grep -c 'side=alice' "$CS2_WORK/results.txt") sessions"
    echo "# alice's outcome per kind (count, connected, ice history)"
    grep 'side=alice' "$CS2_WORK/results.txt" |
        sed -n 's/.*kind=\([^ ]*\) .*ice=\([^ ]*\) connected=\([^ ]*\).*/\1 connected=\3 ice=\2/p' |
        sort | uniq -c
    echo "# per session"
    cat "$CS2_WORK/results.txt"
} >"$SUMMARY"
head -20 "$SUMMARY" >&2
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes), $SUMMARY"
