#!/usr/bin/env bash
# sip-call-baresip-rtcp.pcap: a good call between two baresip softphones over
# UDP/IPv4: INVITE, 180, 200 (baresip answers at once and sends no 100), ACK,
# about 6 s of G.711 A-law RTP each way with RTCP on the next port (APP
# "PING" at the start, sender reports, then RTCP BYE), BYE, 200. RTCP BYEs
# that arrive after the far end closed its port draw ICMP port unreachable.
set -euo pipefail
. "$(dirname "$0")/lib-sip.sh"

cs_begin sip-call-baresip-rtcp
command -v baresip >/dev/null || cs_die "missing tool: baresip"
wav=/usr/share/baresip/callwaiting.wav # 8 kHz mono PCM, ships with baresip
[ -f "$wav" ] || cs_die "missing $wav"
cs_topo2

# cs_baresip_conf DIR LISTEN RTP_PORTS ACCOUNT [MODULE...]
cs_baresip_conf() {
  local dir="$1" listen="$2" ports="$3" account="$4" m
  shift 4
  mkdir -p "$dir"
  {
    printf 'poll_method\tepoll\nsip_listen\t%s\nsip_trans_def\tudp\n' "$listen"
    printf 'audio_player\taubridge,speaker\naudio_alert\taubridge,alert\n'
    printf 'audio_source\taufile,%s\naudio_srate\t8000\naudio_channels\t1\n' "$wav"
    printf 'rtp_ports\t%s\nmodule_path\t/usr/lib/baresip/modules\n' "$ports"
    printf 'module\tg711.so\nmodule\taufile.so\nmodule\taubridge.so\nmodule_app\taccount.so\n'
    for m in "$@"; do printf 'module_app\t%s\n' "$m"; done
  } >"$dir/config"
  printf '%s\n' "$account" >"$dir/accounts"
}
cs_baresip_conf "$CS_WORK/callee" "$CS_B4:5060" 30000-30010 \
  "<sip:bob@$CS_B4>;regint=0;answermode=auto;audio_codecs=PCMA"
cs_baresip_conf "$CS_WORK/caller" "$CS_A4:5060" 40000-40010 \
  "<sip:alice@$CS_A4>;regint=0;audio_codecs=PCMA" menu.so

cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
cs_bg callee 30 "$CS_NS_B" baresip -f "$CS_WORK/callee" -t 10
callee=$CS_LAST_PID
cs_wait_listen "$CS_NS_B" udp 5060
# -t: the caller quits (hanging up with BYE) 6 s after it dialled, after the
# first RTCP sender reports (about 5 s in).
cs_bg caller 30 "$CS_NS_A" baresip -f "$CS_WORK/caller" -e "/dial sip:bob@$CS_B4" -t 6
caller=$CS_LAST_PID
cs_wait "$caller" 30
cs_wait "$callee" 30
cs_capture_stop
grep -q "Call established" "$CS_WORK/caller.log" || cs_die "baresip call was not established"
cs_finish "$CS_WORK/cap.pcap" sip-call-baresip-rtcp.pcap
