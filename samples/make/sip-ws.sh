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
cs_ws_callees
cs_kamailio WITH_REGISTRAR WITH_CALLEE WITH_WS
cs_wait_listen "$CS_NS_B" tcp 8080

cs_ws_calls "ws://$CS_B4:8080/"
cs_finish "$CS_WORK/cap.pcap" sip-ws.pcap
