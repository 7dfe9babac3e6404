#!/usr/bin/env bash
# sip-webrtc-fingerprint-mismatch.pcap: a SIP-signalled WebRTC call like
# sip-webrtc-dtls-fail, but nothing is dropped: the 200 OK carries bob's
# answer with its a=fingerprint lines (sha-256/384/512) replaced by those of
# another certificate (as a broken B2BUA would).  ICE succeeds and the DTLS
# 1.2 handshake completes on the wire, then alice finds that bob's
# certificate does not match the SDP and closes her side; bob, who sees a
# working handshake, sends SRTP one way until alice hangs up 6 s after the
# ACK (BYE / 200; bob closes on the BYE).  SIP over TCP.  Captured on
# alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
. "$(dirname "$0")/lib-sip-webrtc.sh"
cs2_init sip-webrtc-fingerprint-mismatch
cs2_sip_webrtc_call fingerprint "${1:-$CS2_SAMPLES/sip-webrtc-fingerprint-mismatch.pcap}"
