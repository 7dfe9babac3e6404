#!/usr/bin/env bash
# webrtc-consent-lost.pcap: a working session (ICE, DTLS 1.2, SRTP both ways
# carrying Opus silence to keep the file small) for ~7 s, with one consent
# check each way answered; then all UDP between the peers is dropped (nft in
# both peers' input chains; the router link still records what each side
# sends).  Media keeps flowing out unanswered; consent checks (STUN Binding
# requests about every 5 s, no retransmission) go unanswered, and after 6
# failures (~30 s, aioice defaults, RFC 7675) aiortc closes the session.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
cs2_init webrtc-consent-lost
OUT="${1:-$CS2_SAMPLES/webrtc-consent-lost.pcap}"

cs2_topology
mkdir -p "$CS2_WORK/sig" "$CS2_WORK/marks"
cs2_capture ra "$OUT" 90

CS2_PEER_TIMEOUT=75
cs2_peer "$NS_A" alice --role offer --sig "$CS2_WORK/sig" --marks "$CS2_WORK/marks" --hold --deadline 65 --amplitude 0
cs2_peer "$NS_B" bob --role answer --sig "$CS2_WORK/sig" --marks "$CS2_WORK/marks" --hold --deadline 65 --amplitude 0 --tone 600
cs2_wait_file "$CS2_WORK/marks/alice.connected" 15
cs2_wait_file "$CS2_WORK/marks/bob.connected" 15
sleep 7
cs2_log "dropping all UDP between the peers"
cs2_nft_input "$NS_A" ip saddr "$IP_B" meta l4proto udp drop
cs2_nft_input "$NS_B" ip saddr "$IP_A" meta l4proto udp drop
cs2_wait_all || { cs2_show_logs; exit 1; }
cs2_capture_stop
cat "$CS2_WORK"/alice.out "$CS2_WORK"/bob.out >&2
if ! grep -q "connection=.*connected.*closed" "$CS2_WORK/alice.out" || ! grep -q "Consent to send expired" "$CS2_WORK/alice.log"; then
    cs2_show_logs; echo "expected consent expiry" >&2; exit 1
fi
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
