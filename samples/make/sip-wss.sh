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
  local version="$1" name="$2"
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
  cs_ws_callees
  cs_kamailio WITH_REGISTRAR WITH_CALLEE WITH_WS WITH_WSS "TLS_CFG=\"$CS_WORK/tls.cfg\""
  cs_wait_listen "$CS_NS_B" tcp 8443

  cs_ws_calls "wss://$CS_B4:8443/" SSLKEYLOGFILE="$CS_WORK/keys.log" TLS_MAX="$version"
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
