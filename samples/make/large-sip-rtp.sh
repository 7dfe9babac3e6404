#!/usr/bin/env bash
# Makes samples/large/large-sip-rtp.pcap, the bench capture (not committed:
# samples/large/ is ignored by git).
#
# 3000 SIP calls over UDP at 40 new calls per second between
#   callers two sipp -sf sipp/rtp-uac.xml    10.203.0.1:5060 and :5062,
#           each placing half the calls at half the rate
#   callee  sipp -sf sipp/rtp-echo-uas.xml   10.203.0.2:5060 -rtp_echo
# Each caller plays sipp's 7 s G.711 A-law recording (236 RTP packets) to the
# callee, whose -rtp_echo thread sends every packet back, so a call is about
# 7 SIP messages and 472 RTP packets: some 1.44 million frames, ~330 MB.
# sipp replays the recording byte for byte, so every stream has the same SSRC
# (0xdee0ee8f), sequence numbers and timestamps; streams differ by caller port
# only. One sipp numbers its media ports base + 4n modulo 10000, which gives
# 2500 distinct ports: two callers (bases 20000 and 40000) keep every one of
# the 3000 calls on its own port. The callee's echo port is 6000.
# sipp's single echo socket overflows now and then at this rate, so a few
# hundred echo streams miss a few packets and the frame count differs a
# little from run to run (1433575 frames in the run of 2026-11-21).
# CALLS=n and RATE=r override the call count and rate for a quick trial.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)/large}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=large-sip-rtp.pcap
CALLS=${CALLS:-3000}
RATE=${RATE:-40}
[ $((CALLS % 2)) = 0 ] && [ $((RATE % 2)) = 0 ] || { echo "CALLS and RATE must be even" >&2; exit 1; }
mkdir -p "$OUT"
# Too big for /tmp: written straight into OUT as a .tmp file, renamed once
# complete.
TMP=$OUT/$NAME.tmp
rm -f "$TMP"

sipnet_up
W=$SIPNET_WORK
# sipp plays the recording through a raw socket, so no UDP socket is bound
# on the caller's media ports and every echoed packet would draw an ICMP
# port unreachable (as many as the kernel's global ICMP budget allows).
# The caller drops what comes back to its media ports instead; tcpdump sees
# the packets before nft does, so the echo is still in the capture.
ip netns exec "$SIPNET_A" nft -f - <<'NFT'
table inet cs3 {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 20000-49999 drop
  }
}
NFT
sipnet_run "$SIPNET_B" 600 sipp -sf "$HERE/sipp/rtp-echo-uas.xml" \
    -i "$SIPNET_B_IP" -p 5060 -mi "$SIPNET_B_IP" -mp 6000 -rtp_echo -m "$CALLS" -nd \
    -trace_err -error_file "$W/uas-err.log" </dev/null >"$W/uas.log" 2>&1
UAS=$SIPNET_LASTPID
sipnet_wait_listen "$SIPNET_B" udp 5060

# A 64 MiB kernel buffer keeps tcpdump from dropping at ~17000 packets/s.
sipnet_capture_start "$TMP" -B 65536
CALLERS=()
for i in 0 1; do
    sipnet_run "$SIPNET_A" 600 sipp -sf "$HERE/sipp/rtp-uac.xml" "$SIPNET_B_IP:5060" \
        -i "$SIPNET_A_IP" -p $((5060 + 2 * i)) -mi "$SIPNET_A_IP" -mp $((20000 + 20000 * i)) \
        -r $((RATE / 2)) -l 1000 -m $((CALLS / 2)) -nd -recv_timeout 30000 \
        -trace_err -error_file "$W/uac$i-err.log" </dev/null >"$W/uac$i.log" 2>&1
    CALLERS+=("$SIPNET_LASTPID")
done
FAILED=0
for i in 0 1; do
    sipnet_wait "${CALLERS[$i]}"
    if [ "$SIPNET_RC" != 0 ]; then
        sipnet_log "sipp caller $i exit status $SIPNET_RC"
        tail -n 30 "$W/uac$i.log" >&2
        FAILED=1
    fi
done
timeout 30 tail --pid="$UAS" -f /dev/null || true
sleep 1
sipnet_capture_stop
grep -E 'captured|dropped' "$W/tcpdump.err" >&2 || true
if ! grep -q '^0 packets dropped by kernel' "$W/tcpdump.err"; then
    sipnet_log "tcpdump dropped packets; the capture is incomplete"
    exit 1
fi
[ "$FAILED" = 0 ] || exit 1
mv -f "$TMP" "$OUT/$NAME"
chmod 0644 "$OUT/$NAME"
capinfos -c -s -u "$OUT/$NAME" >&2
