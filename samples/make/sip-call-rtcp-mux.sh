#!/usr/bin/env bash
# sip-call-rtcp-mux.pcap: a good call over UDP/IPv4 from a sipp caller to a
# baresip softphone that answers at once (INVITE, 180, 200 "Answering", ACK;
# baresip sends no 100). The offer asks for RTCP multiplexed on the RTP port
# (a=rtcp-mux, RFC 5761) and baresip accepts, so its RTCP (APP "PING" at the
# start, a sender report about 5 s in, BYE at the end) shares the RTP 5-tuple.
# About 6 s of G.711 A-law RTP each way, BYE, 200.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-rtcp-mux
command -v baresip >/dev/null || cs_die "missing tool: baresip"
cs_topo2
CS_RTP_SECONDS=6
cs_call_media
# baresip's aufile source wants 16-bit PCM WAV, and baresip hangs up when the
# file ends: decode 7 s of the same A-law audio (longer than the call).
cs_audio "$CS_WORK/callee7.alaw" 7
wav="$CS_WORK/callee.wav"
python3 - "$CS_WORK/callee7.alaw" "$wav" <<'PY'
import audioop
import sys
import wave

pcm = audioop.alaw2lin(open(sys.argv[1], "rb").read(), 2)
with wave.open(sys.argv[2], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(pcm)
PY
cs_scenario uac-call.xml "$CS_WORK/uac.xml" "OFFER_EXTRA=a=rtcp-mux" \
  "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"

mkdir -p "$CS_WORK/baresip"
cat >"$CS_WORK/baresip/config" <<CONF
poll_method	epoll
sip_listen	$CS_B4:5060
sip_trans_def	udp
audio_player	aubridge,speaker
audio_alert	aubridge,alert
audio_source	aufile,$wav
audio_srate	8000
audio_channels	1
rtp_ports	$CS_CALLEE_MP-$((CS_CALLEE_MP + 1))
rtcp_mux	yes
module_path	/usr/lib/baresip/modules
module	g711.so
module	aufile.so
module	aubridge.so
module_app	account.so
CONF
echo "<sip:bob@$CS_B4>;regint=0;answermode=auto;audio_codecs=PCMA" >"$CS_WORK/baresip/accounts"

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_bg callee 30 "$CS_NS_B" baresip -f "$CS_WORK/baresip" -t 12
callee=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
  -d 6500 -cid_str "$(cs_cid)" "$CS_B4:5060"
cs_wait "$CS_LAST_PID" 30
cs_capture_stop
grep -q "answering call" "$CS_WORK/callee.log" || cs_die "baresip did not answer"
cs_finish "$CS_WORK/cap.pcap" sip-call-rtcp-mux.pcap
