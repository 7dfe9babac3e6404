#!/usr/bin/env bash
# Makes samples/sip-tls-failed.pcap.
#
# baresip (account alice, transport=tls) dials sip:bob@10.203.0.2:5061.
# `openssl s_server` on 10.203.0.2:5061 speaks TLS 1.2 only and demands a
# client certificate (-Verify 1 -verify_return_error); baresip has none and
# answers the CertificateRequest with an empty Certificate, so the server
# ends the handshake with a fatal handshake_failure alert (40) and closes the
# connection (RFC 5246 section 7.4.6). TLS 1.2 keeps the alert in clear. The
# server certificate is a fresh self-signed P-256 one made for each run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$(cd "$HERE/.." && pwd)}
# shellcheck source=lib-sipnet.sh
source "$HERE/lib-sipnet.sh"
trap sipnet_cleanup EXIT
trap 'exit 130' INT TERM

NAME=sip-tls-failed.pcap
sipnet_up
W=$SIPNET_WORK
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$W/key.pem" -out "$W/cert.pem" -days 3650 -subj /CN=10.203.0.2 2>/dev/null
# baresip writes state files (uuid, contacts) into its config directory.
mkdir "$W/baresip"
cp "$HERE/baresip-tls/config" "$HERE/baresip-tls/accounts" "$W/baresip/"

# s_server reads stdin for commands; a bounded sleep keeps stdin open.
sipnet_run "$SIPNET_B" 30 sh -c "sleep 25 | openssl s_server -accept $SIPNET_B_IP:5061 \
    -cert $W/cert.pem -key $W/key.pem -tls1_2 -Verify 1 -verify_return_error \
    -naccept 1 -quiet" >"$W/server.log" 2>&1
sipnet_wait_listen "$SIPNET_B" tcp 5061

TMP=$W/$NAME
sipnet_capture_start "$TMP"
# -t: baresip quits by itself 3 s after start.
sipnet_tool "$SIPNET_A" 20 "$W/baresip.log" \
    baresip -f "$W/baresip" -e '/dial sip:bob@10.203.0.2:5061' -t 3
sipnet_hold_until 4
sipnet_capture_stop
grep -q 'session closed' "$W/baresip.log" || { tail -n 20 "$W/baresip.log" >&2; exit 1; }

sipnet_expect "$TMP" 'tls.handshake.type == 1' 1
sipnet_expect "$TMP" 'tls.alert_message.desc == 40' 1
sipnet_expect "$TMP" 'sip' 0
sipnet_finish "$TMP" "$OUT/$NAME"
