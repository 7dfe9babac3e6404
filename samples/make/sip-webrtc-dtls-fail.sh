#!/usr/bin/env bash
# sip-webrtc-dtls-fail.pcap: one SIP-signalled WebRTC call.  sipp (alice,
# 10.202.1.2:5060) sends an INVITE whose body is alice's aiortc SDP offer
# (ice-ufrag/pwd, host candidate, fingerprint, setup:actpass); sipp (bob,
# 10.202.2.2:5060) answers 100, 180, 200 OK with bob's aiortc answer
# (setup:active); ACK.  alice's peer starts its connectivity checks on the
# 200 OK, bob's on the ACK.  ICE succeeds, but every DTLS record from bob
# (the DTLS client) is dropped on arrival at alice, so bob's ClientHello is
# retransmitted (1, 3, 7, 15, 31 s) and never answered.  The peers give up
# after ~33 s, then alice hangs up: BYE / 200.  SIP over TCP (see
# lib-sip-webrtc.sh; SIP_TRANSPORT=udp for IP-fragmented UDP).  Captured on
# alice's link.
set -euo pipefail
. "$(dirname "$0")/lib-webrtc.sh"
. "$(dirname "$0")/lib-sip-webrtc.sh"
cs2_init sip-webrtc-dtls-fail
cs2_sip_webrtc_call dtls-drop "${1:-$CS2_SAMPLES/sip-webrtc-dtls-fail.pcap}"
