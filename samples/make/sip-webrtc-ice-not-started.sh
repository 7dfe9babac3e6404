#!/usr/bin/env bash
# sip-webrtc-ice-not-started.pcap: one SIP-signalled WebRTC call (sipp over
# TCP, as in sip-webrtc-dtls-fail.sh): INVITE with alice's aiortc SDP offer
# (ice-ufrag/pwd, host candidate, fingerprint), 100, 180, 200 OK with bob's
# answer, ACK.  SIP succeeds, but neither peer ever starts ICE
# (webrtc_peer.py --no-ice: the SDPs are produced, the checks never sent),
# so no STUN, DTLS or RTP is on the wire.  alice hangs up 10 s after the
# ACK: BYE / 200.  Captured on alice's link.
set -euo pipefail
CS2_SFX="${CS2_SFX-E}"
. "$(dirname "$0")/lib-webrtc.sh"
. "$(dirname "$0")/lib-sip-webrtc.sh"
cs2_init sip-webrtc-ice-not-started
OUT="${1:-$CS2_SAMPLES/sip-webrtc-ice-not-started.pcap}"
cs2_sip_webrtc_call ice-not-started "$OUT"
# SIP: INVITE with a=ice-ufrag, 200 OK to it with a=ice-ufrag, ACK, BYE, 200 to BYE.
cs2_expect "$OUT" 'sip.Method == "INVITE" && sdp.media_attribute.field == "ice-ufrag"' -eq 1
cs2_expect "$OUT" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE" && sdp.media_attribute.field == "ice-ufrag"' -ge 1
cs2_expect "$OUT" 'sip.Method == "ACK"' -eq 1
cs2_expect "$OUT" 'sip.Method == "BYE"' -eq 1
cs2_expect "$OUT" 'sip.Status-Code == 200 && sip.CSeq.method == "BYE"' -eq 1
# Nothing but SIP over TCP: no UDP at all (no STUN, DTLS or RTP).
cs2_expect "$OUT" 'udp' -eq 0
