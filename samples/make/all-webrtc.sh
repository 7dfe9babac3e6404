#!/usr/bin/env bash
# Re-make every WebRTC/ICE/TURN/DTLS sample in samples/ (about 5 minutes).
# Each script cleans up after itself; this stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")"
for s in webrtc-ok webrtc-ipv6 webrtc-turn-relay webrtc-udp-blocked turn-wrong-password \
    turn-unreachable dtls-dropped-one-way dtls-alert webrtc-dtls-incomplete \
    webrtc-media-one-way webrtc-consent-lost sip-webrtc-dtls-fail \
    sip-webrtc-fingerprint-mismatch stun-server-unreachable turn-allocate-error \
    ice-check-errors sip-webrtc-ice-not-started; do
    echo "== $s" >&2
    timeout 300 "./$s.sh"
done
