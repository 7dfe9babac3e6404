# SIP-signalled WebRTC call between two aiortc peers, with sipp carrying
# the SDP offer/answer.  Source after lib-webrtc.sh; call
#   cs2_sip_webrtc_call VARIANT OUT
# VARIANT:
#   dtls-drop    every DTLS record from bob (the DTLS client) is dropped on
#                arrival at alice; ICE works, DTLS never completes; the peers
#                give up after ~33 s and alice sends BYE 34.5 s after the ACK.
#   fingerprint  the 200 OK carries bob's answer with its a=fingerprint lines
#                replaced by those of another certificate (as a broken B2BUA
#                would); DTLS completes on the wire, alice rejects bob's
#                certificate and closes; alice sends BYE 6 s after the ACK and
#                bob closes when his sipp receives it.
#   ice-not-started  both peers write their SDPs (host candidates) but never
#                start ICE (webrtc_peer.py --no-ice): no STUN at all; alice
#                sends BYE 10 s after the ACK, bob closes on it, alice when
#                her 14 s wait ends.
# SIP runs over TCP by default: aiortc's SDP makes the INVITE ~1.6 kB, and
# RFC 3261 section 18.1.1 requires a congestion-controlled transport above
# 1300 bytes (over UDP it would be IP-fragmented).  SIP_TRANSPORT=udp makes
# the fragmented UDP variant instead.
#
# The SDPs travel between the aiortc processes through files; the SIP
# messages carry exactly those SDPs (sipp scenarios are written from them,
# after the fingerprint rewrite in that variant).

cs2_sip_webrtc_call() {
local VARIANT=$1 OUT=$2
local W="$CS2_WORK" SIPP_T i
case "${SIP_TRANSPORT:-tcp}" in
    tcp) SIPP_T=t1 ;;
    udp) SIPP_T=u1 ;;
    *) echo "SIP_TRANSPORT must be tcp or udp" >&2; return 1 ;;
esac
local BYE_MS ALICE_ARGS BOB_ARGS
case "$VARIANT" in
    dtls-drop)
        BYE_MS=34500
        ALICE_ARGS=(--deadline 45 --give-up 33)
        BOB_ARGS=(--deadline 45 --give-up 33)
        ;;
    fingerprint)
        BYE_MS=6000
        ALICE_ARGS=(--deadline 45 --give-up 20)
        BOB_ARGS=(--deadline 45 --give-up 20 --hold --stop-file "$W/bob.stop")
        ;;
    ice-not-started)
        BYE_MS=10000
        ALICE_ARGS=(--deadline 30 --give-up 14 --no-ice)
        BOB_ARGS=(--deadline 30 --give-up 25 --no-ice --stop-file "$W/bob.stop")
        ;;
    *) echo "unknown variant $VARIANT" >&2; return 1 ;;
esac

cs2_topology
mkdir -p "$W/sigA" "$W/sigB"
if [ "$VARIANT" = dtls-drop ]; then
    cs2_nft_input "$NS_A" ip saddr "$IP_B" meta l4proto udp @th,64,8 20-63 drop
fi
cs2_capture ra "$OUT" 80

CS2_PEER_TIMEOUT=55
cs2_peer "$NS_A" alice --role offer --sig "$W/sigA" "${ALICE_ARGS[@]}"
cs2_wait_file "$W/sigA/offer.sdp" 10
# bob gets the offer; his ICE checks wait for the go file (touched by his
# sipp when the ACK arrives).
cp "$W/sigA/offer.sdp" "$W/sigB/offer.sdp"
cs2_peer "$NS_B" bob --role answer --sig "$W/sigB" --go-file "$W/bob.go" --tone 600 "${BOB_ARGS[@]}"
cs2_wait_file "$W/sigB/answer.sdp" 10

if [ "$VARIANT" = fingerprint ]; then
    cp "$W/sigB/answer.sdp" "$W/sigB/bob-real-answer.sdp"
    # Fingerprints of a fresh certificate that bob does not use.
    python3 -c '
from aiortc.rtcdtlstransport import RTCCertificate
for f in RTCCertificate.generateCertificate().getFingerprints():
    print(f"a=fingerprint:{f.algorithm} {f.value}")' >"$W/other-fp.txt"
    python3 - "$W/sigB/answer.sdp" "$W/other-fp.txt" <<'PY'
import sys
sdp_path, fp_path = sys.argv[1], sys.argv[2]
fps = [l for l in open(fp_path).read().splitlines() if l]
out, done = [], False
for line in open(sdp_path, newline="").read().split("\r\n"):
    if line.startswith("a=fingerprint:"):
        if not done:
            out.extend(fps)
            done = True
        continue
    out.append(line)
open(sdp_path + ".tmp", "w", newline="").write("\r\n".join(out))
PY
    mv "$W/sigB/answer.sdp.tmp" "$W/sigB/answer.sdp"
fi

# SDP body for a sipp scenario: LF line ends (sipp sends CRLF), no blank lines.
sdp_body() { tr -d '\r' <"$1" | sed '/^$/d'; }
cat >"$W/uac.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callscope webrtc caller">
  <send retrans="500">
    <![CDATA[
INVITE sip:bob@$IP_B:5060 SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: "alice" <sip:alice@$IP_A>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@$IP_B>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:alice@[local_ip]:[local_port];transport=[transport]>
Subject: callscope webrtc sample
Content-Type: application/sdp
Content-Length: [len]

$(sdp_body "$W/sigA/offer.sdp")
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <exec command="cp $W/sigB/answer.sdp $W/sigA/answer.sdp.tmp; mv $W/sigA/answer.sdp.tmp $W/sigA/answer.sdp"/>
    </action>
  </recv>
  <send>
    <![CDATA[
ACK sip:bob@$IP_B:5060 SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: "alice" <sip:alice@$IP_A>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@$IP_B>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:alice@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="$BYE_MS"/>
  <send retrans="500">
    <![CDATA[
BYE sip:bob@$IP_B:5060 SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: "alice" <sip:alice@$IP_A>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@$IP_B>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:alice@[local_ip]:[local_port];transport=[transport]>
Reason: Q.850;cause=16;text="media failed"
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
XML

cat >"$W/uas.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callscope webrtc callee">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
SIP/2.0 100 Trying
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:bob@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="500"/>
  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:bob@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

$(sdp_body "$W/sigB/answer.sdp")
    ]]>
  </send>
  <recv request="ACK" crlf="true">
    <action>
      <exec command="touch $W/bob.go"/>
    </action>
  </recv>
  <recv request="BYE">
    <action>
      <exec command="touch $W/bob.stop"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
</scenario>
XML

cs2_bg ip netns exec "$NS_B" timeout -k 2 60 sipp -sf "$W/uas.xml" -i "$IP_B" -p 5060 -t "$SIPP_T" -m 1 \
    -nostdin -timeout 55 -timeout_error -trace_err -error_file "$W/uas-err.log" \
    >"$W/uas.out" 2>&1
local UAS_PID=${CS2_PIDS[-1]}
for i in $(seq 1 50); do
    ip netns exec "$NS_B" ss -lnut | grep -q "$IP_B:5060" && break
    sleep 0.1
done
local uac_rc=0
(cd "$W" && ip netns exec "$NS_A" timeout -k 2 60 sipp "$IP_B:5060" -sf "$W/uac.xml" -i "$IP_A" \
    -p 5060 -t "$SIPP_T" -m 1 -nostdin -timeout 55 -timeout_error -trace_err -error_file "$W/uac-err.log" \
    >"$W/uac.out" 2>&1) || uac_rc=$?
local uas_rc=0
wait "$UAS_PID" || uas_rc=$?
cs2_wait_all || { cs2_show_logs; return 1; }
cs2_capture_stop
cat "$W"/alice.out "$W"/bob.out >&2
ok_call() { tail -n 30 "$1" | grep -Eq 'Successful call +\| +[0-9]+ +\| +1 '; }
if [ "$uac_rc" -ne 0 ] || [ "$uas_rc" -ne 0 ] || ! ok_call "$W/uac.out" || ! ok_call "$W/uas.out"; then
    tail -20 "$W"/uac.out "$W"/uas.out "$W"/*err.log >&2 || true
    echo "sipp failed (uac $uac_rc, uas $uas_rc)" >&2; return 1
fi
if [ "$VARIANT" = dtls-drop ]; then
    if grep -q connected=yes "$W"/*.out || ! grep -q "ice=.*completed" "$W/alice.out"; then
        cs2_show_logs; echo "expected ICE success and no DTLS" >&2; return 1
    fi
elif [ "$VARIANT" = ice-not-started ]; then
    if grep -q connected=yes "$W"/*.out || grep -Eq '^ice=.*(checking|connected|completed)' "$W"/*.out; then
        cs2_show_logs; echo "expected ICE never started" >&2; return 1
    fi
else
    if grep -q connected=yes "$W/alice.out" || ! grep -q connected=yes "$W/bob.out" \
        || ! grep -q "connection=.*failed" "$W/alice.out"; then
        cs2_show_logs; echo "expected a fingerprint mismatch at alice" >&2; return 1
    fi
fi
mkdir -p "$W/sig" && cp "$W/sigA/offer.sdp" "$W"/sigB/*answer.sdp "$W/sig/"
cs2_keep_sdp "$OUT"
cs2_log "wrote $OUT ($(stat -c %s "$OUT") bytes)"
}
