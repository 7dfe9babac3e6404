#!/usr/bin/env bash
# sip-ws.pcap: SIP over WebSocket (RFC 7118) in clear, as a browser softphone
# sends it. One WebSocket connection (subprotocol "sip", Python's websockets
# library, ws_sip_client.py) from cs1a to a kamailio proxy in cs1b
# (xhttp + websocket modules, tcp 8080) carries, in order:
#   1. REGISTER, 401 challenge, REGISTER with a wrong password, 403 Forbidden;
#   2. INVITE carol, relayed over UDP to a sipp callee in cs1c that rings and
#      declines: 100, 180, 603 Decline, ACK;
#   3. INVITE bob (sent as a WebSocket message in three fragments), relayed
#      to a sipp callee that answers: 100, 180, 200, ACK, 3 s of A-law RTP
#      each way between the client and the callee, BYE, 200.
# The links have an MTU of 576 bytes (IPv4's minimum), so the larger SIP
# messages (INVITE, 200 with SDP) span two TCP segments, as on a tunnel.
# Captured on the client's link: the WebSocket leg and the RTP.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"
command -v python3 >/dev/null && python3 -c 'import websockets' 2>/dev/null \
  || cs_die "needs python3 with websockets (pip install websockets)"

cs_begin sip-ws
cs_topo3 576
cs_audio "$CS_WORK/callee.alaw" 3
cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
cs_scenario uas-fail.xml "$CS_WORK/uas-decline.xml" "CODE=603" "REASON=Decline" RING_MS=1000
cs_kamailio WITH_REGISTRAR WITH_CALLEE WITH_WS
cs_wait_listen "$CS_NS_B" tcp 8080

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_sipp uas 40 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
uas=$CS_LAST_PID
cs_sipp uas-decline 40 "$CS_NS_C" -sf "$CS_WORK/uas-decline.xml" -i "$CS_C4" -p 5062 -m 1
uas_decline=$CS_LAST_PID
cs_wait_listen "$CS_NS_C" udp 5060
cs_wait_listen "$CS_NS_C" udp 5062
cs_bg client 40 "$CS_NS_A" python3 "$CS_MAKE_DIR/ws_sip_client.py" "ws://$CS_B4:8080/" \
  "$CS_A4" "$CS_CALLER_MP" 3 register decline call
client=$CS_LAST_PID
cs_wait "$client" 40 || { cat "$CS_WORK/client.log" >&2; cs_die "the WebSocket client failed"; }
cs_wait "$uas_decline" 10
cs_wait "$uas" 10
cs_capture_stop
cs_finish "$CS_WORK/cap.pcap" sip-ws.pcap
