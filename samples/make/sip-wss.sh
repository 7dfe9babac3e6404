#!/usr/bin/env bash
# sip-wss-tls13.pcap and sip-wss-tls12.pcap, each with its key log
# (.keylog, NSS format, written by the client through SSLKEYLOGFILE), and
# sip-wss-tls13-secrets.pcapng (the TLS 1.3 capture with its key log
# injected as a Decryption Secrets Block by editcap --inject-secrets).
# The same calls as sip-ws.sh, over secure WebSocket: one connection from
# the client (Python's websockets library over the ssl module,
# ws_sip_client.py) to kamailio's tls, xhttp and websocket modules on
# tls:10.201.1.2:8443, with a fresh self-signed P-256 certificate:
#   1. REGISTER, 401 challenge, REGISTER with a wrong password, 403;
#   2. INVITE carol, relayed over UDP to a sipp callee that declines: 603;
#   3. INVITE bob (three WebSocket fragments), answered: 3 s of RTP each
#      way, BYE, 200.
# TLS 1.3 in the first capture; in the second the client caps the version
# at TLS 1.2 (an ECDHE-ECDSA AES-GCM suite). Captured on the client's link.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"
command -v python3 >/dev/null && python3 -c 'import websockets' 2>/dev/null \
  || cs_die "needs python3 with websockets (pip install websockets)"
command -v openssl >/dev/null || cs_die "needs openssl"

one_run() { # VERSION (1.3 or 1.2) NAME
  local version="$1" name="$2" uas uas_decline client
  cs_begin "$name"
  cs_topo3
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$CS_WORK/key.pem" -out "$CS_WORK/cert.pem" -days 3650 -subj /CN=10.201.1.2 2>/dev/null
  cat >"$CS_WORK/tls.cfg" <<CFG
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $CS_WORK/key.pem
certificate = $CS_WORK/cert.pem

[client:default]
verify_certificate = no
require_certificate = no
CFG
  cs_audio "$CS_WORK/callee.alaw" 3
  cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
  cs_scenario uas-fail.xml "$CS_WORK/uas-decline.xml" "CODE=603" "REASON=Decline" RING_MS=1000
  cs_kamailio WITH_REGISTRAR WITH_CALLEE WITH_WS WITH_WSS "TLS_CFG=\"$CS_WORK/tls.cfg\""
  cs_wait_listen "$CS_NS_B" tcp 8443

  cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
  cs_sipp uas 40 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
  uas=$CS_LAST_PID
  cs_sipp uas-decline 40 "$CS_NS_C" -sf "$CS_WORK/uas-decline.xml" -i "$CS_C4" -p 5062 -m 1
  uas_decline=$CS_LAST_PID
  cs_wait_listen "$CS_NS_C" udp 5060
  cs_wait_listen "$CS_NS_C" udp 5062
  cs_bg client 40 "$CS_NS_A" env SSLKEYLOGFILE="$CS_WORK/keys.log" TLS_MAX="$version" \
    python3 "$CS_MAKE_DIR/ws_sip_client.py" "wss://$CS_B4:8443/" "$CS_A4" "$CS_CALLER_MP" 3 \
    register decline call
  client=$CS_LAST_PID
  cs_wait "$client" 40 || { cat "$CS_WORK/client.log" >&2; cs_die "the WebSocket client failed"; }
  cs_wait "$uas_decline" 10
  cs_wait "$uas" 10
  cs_capture_stop
  cp "$CS_WORK/keys.log" "$CS_SAMPLES_DIR/$name.keylog"
  chmod 0644 "$CS_SAMPLES_DIR/$name.keylog"
  if [ "$version" = 1.3 ]; then
    editcap --inject-secrets "tls,$CS_WORK/keys.log" "$CS_WORK/cap.pcap" "$CS_WORK/secrets.pcapng"
    cs_finish "$CS_WORK/secrets.pcapng" "$name-secrets.pcapng"
  fi
  cs_finish "$CS_WORK/cap.pcap" "$name.pcap"
}

# Each run in a subshell of its own: cs_begin's cleanup runs at its exit.
( one_run 1.3 sip-wss-tls13 )
( one_run 1.2 sip-wss-tls12 )
