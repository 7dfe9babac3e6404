# Shared helpers for the SIP sample scripts in samples/make/ (sourced, not run).
#
# Every sample runs inside network namespaces created here (cs1a, cs1b, cs1c),
# joined by veth pairs, with addresses from 10.201.0.0/16 and fd00:201::/64.
# Nothing is sent anywhere else. cs_begin installs an EXIT trap that stops every
# process started through cs_bg/cs_capture_start and deletes the namespaces.
#
# Topologies:
#   two-node:   cs1a 10.201.1.1 fd00:201::1  <-- veth cs1a0/cs1b0 -->  cs1b 10.201.1.2 fd00:201::2
#   three-node: cs1a 10.201.1.1 <-- cs1a0/cs1b0 --> cs1b 10.201.1.2 | 10.201.2.2 <-- cs1b1/cs1c0 --> cs1c 10.201.2.3
#               (cs1b forwards IPv4, so cs1a and cs1c reach each other through it)
#
# Link-layer addresses are fixed and neighbours are static, so captures hold no
# ARP/ND, and offloads are off so captured checksums and segment sizes are what
# goes on a real wire.

CS_NS_A=cs1a
CS_NS_B=cs1b
CS_NS_C=cs1c
CS_A4=10.201.1.1
CS_B4=10.201.1.2
CS_B4_2=10.201.2.2
CS_C4=10.201.2.3
CS_A6=fd00:201::1
CS_B6=fd00:201::2
CS_MAC_A=02:c5:01:01:00:01
CS_MAC_B=02:c5:01:01:00:02
CS_MAC_B2=02:c5:01:02:00:02
CS_MAC_C=02:c5:01:02:00:03

CS_MAKE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CS_SAMPLES_DIR="$(cd "$CS_MAKE_DIR/.." && pwd)"
CS_SIPP_DIR="$CS_MAKE_DIR/sip-scenarios"
CS_LOCK=/run/lock/callscope-cs1-samples.lock

CS_PIDS=()
CS_CAP_PIDS=()
CS_WORK=""

cs_log() { printf '[%s] %s\n' "${CS_SAMPLE:-sample}" "$*" >&2; }
cs_die() { cs_log "error: $*"; exit 1; }

# cs_begin NAME: take the lock (the namespace names are shared by all scripts
# here), make a work directory and arm the cleanup trap.
cs_begin() {
  CS_SAMPLE="$1"
  [ "$(id -u)" -eq 0 ] || cs_die "must run as root (network namespaces)"
  local t
  for t in ip ethtool tcpdump tshark sipp timeout flock; do
    command -v "$t" >/dev/null || cs_die "missing tool: $t"
  done
  exec 9>"$CS_LOCK"
  flock -w 300 9 || cs_die "another cs1 sample script holds $CS_LOCK"
  CS_WORK="$(mktemp -d "/tmp/cs1-${CS_SAMPLE}.XXXXXX")"
  trap cs_cleanup EXIT
  trap 'exit 130' INT TERM
  # A previous run killed with SIGKILL may have left namespaces behind.
  cs_netns_delete
}

cs_netns_delete() {
  local ns
  for ns in "$CS_NS_A" "$CS_NS_B" "$CS_NS_C"; do
    if ip netns list | grep -qw "^$ns"; then
      ip netns pids "$ns" 2>/dev/null | while read -r p; do kill -KILL "$p" 2>/dev/null || true; done
      ip netns delete "$ns" 2>/dev/null || true
    fi
  done
}

cs_cleanup() {
  local rc=$? p
  trap - EXIT
  for p in "${CS_CAP_PIDS[@]}" "${CS_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${CS_CAP_PIDS[@]}" "${CS_PIDS[@]}"; do
    timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
  done
  cs_netns_delete
  if [ -n "$CS_WORK" ] && [ -d "$CS_WORK" ]; then
    if [ "$rc" -ne 0 ]; then
      cs_log "failed (rc=$rc); logs:"
      local f
      for f in "$CS_WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f" >&2
        tail -n 40 "$f" >&2
      done
    fi
    rm -rf "$CS_WORK"
  fi
  exit "$rc"
}

# cs_x NS CMD...: run a command inside a namespace.
cs_x() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# cs_link NSX IFX MACX NSY IFY MACY MTU: veth pair between two namespaces.
cs_link() {
  ip link add "$2" netns "$1" address "$3" mtu "$7" type veth peer name "$5" netns "$4" address "$6" mtu "$7"
  local pair
  for pair in "$1:$2" "$4:$5"; do
    # Checksums filled in and no GSO/GRO super-packets, as on a real NIC.
    cs_x "${pair%%:*}" ethtool -K "${pair#*:}" tx off rx off tso off gso off gro off >/dev/null \
      || cs_die "ethtool could not turn offloads off on ${pair#*:}"
  done
}

cs_ns_new() {
  ip netns add "$1"
  cs_x "$1" ip link set lo up
  # No IPv6 link-local addresses, router solicitations or DAD on the test links.
  cs_x "$1" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.conf.default.dad_transmits=0 net.ipv6.conf.all.accept_ra=0
}

# cs_topo2 [MTU]: cs1a <-> cs1b, IPv4 and IPv6.
cs_topo2() {
  local mtu="${1:-1500}"
  cs_ns_new "$CS_NS_A"
  cs_ns_new "$CS_NS_B"
  cs_link "$CS_NS_A" cs1a0 "$CS_MAC_A" "$CS_NS_B" cs1b0 "$CS_MAC_B" "$mtu"
  cs_x "$CS_NS_A" ip addr add "$CS_A4/24" dev cs1a0
  cs_x "$CS_NS_B" ip addr add "$CS_B4/24" dev cs1b0
  cs_x "$CS_NS_A" ip addr add "$CS_A6/64" dev cs1a0 nodad
  cs_x "$CS_NS_B" ip addr add "$CS_B6/64" dev cs1b0 nodad
  cs_x "$CS_NS_A" ip link set cs1a0 up
  cs_x "$CS_NS_B" ip link set cs1b0 up
  cs_x "$CS_NS_A" ip neigh replace "$CS_B4" lladdr "$CS_MAC_B" dev cs1a0 nud permanent
  cs_x "$CS_NS_B" ip neigh replace "$CS_A4" lladdr "$CS_MAC_A" dev cs1b0 nud permanent
  cs_x "$CS_NS_A" ip -6 neigh replace "$CS_B6" lladdr "$CS_MAC_B" dev cs1a0 nud permanent
  cs_x "$CS_NS_B" ip -6 neigh replace "$CS_A6" lladdr "$CS_MAC_A" dev cs1b0 nud permanent
}

# cs_topo3 [MTU]: cs1a <-> cs1b (proxy, forwards) <-> cs1c, IPv4 only.
cs_topo3() {
  local mtu="${1:-1500}"
  cs_ns_new "$CS_NS_A"
  cs_ns_new "$CS_NS_B"
  cs_ns_new "$CS_NS_C"
  cs_link "$CS_NS_A" cs1a0 "$CS_MAC_A" "$CS_NS_B" cs1b0 "$CS_MAC_B" "$mtu"
  cs_link "$CS_NS_B" cs1b1 "$CS_MAC_B2" "$CS_NS_C" cs1c0 "$CS_MAC_C" "$mtu"
  cs_x "$CS_NS_A" ip addr add "$CS_A4/24" dev cs1a0
  cs_x "$CS_NS_B" ip addr add "$CS_B4/24" dev cs1b0
  cs_x "$CS_NS_B" ip addr add "$CS_B4_2/24" dev cs1b1
  cs_x "$CS_NS_C" ip addr add "$CS_C4/24" dev cs1c0
  cs_x "$CS_NS_A" ip link set cs1a0 up
  cs_x "$CS_NS_B" ip link set cs1b0 up
  cs_x "$CS_NS_B" ip link set cs1b1 up
  cs_x "$CS_NS_C" ip link set cs1c0 up
  cs_x "$CS_NS_A" ip route add default via "$CS_B4"
  cs_x "$CS_NS_C" ip route add default via "$CS_B4_2"
  cs_x "$CS_NS_B" sysctl -qw net.ipv4.ip_forward=1
  cs_x "$CS_NS_A" ip neigh replace "$CS_B4" lladdr "$CS_MAC_B" dev cs1a0 nud permanent
  cs_x "$CS_NS_B" ip neigh replace "$CS_A4" lladdr "$CS_MAC_A" dev cs1b0 nud permanent
  cs_x "$CS_NS_B" ip neigh replace "$CS_C4" lladdr "$CS_MAC_C" dev cs1b1 nud permanent
  cs_x "$CS_NS_C" ip neigh replace "$CS_B4_2" lladdr "$CS_MAC_B2" dev cs1c0 nud permanent
}

# cs_bg NAME SECONDS NS CMD...: start CMD in NS in the background, killed after
# SECONDS at the latest; output goes to $CS_WORK/NAME.log. Sets CS_LAST_PID.
cs_bg() {
  local name="$1" secs="$2" ns="$3"
  shift 3
  timeout -k 2 "$secs" ip netns exec "$ns" "$@" >"$CS_WORK/$name.log" 2>&1 &
  CS_LAST_PID=$!
  CS_PIDS+=("$CS_LAST_PID")
}

# cs_wait PID SECONDS: wait for a cs_bg process; fails if it failed.
cs_wait() {
  local pid="$1" secs="$2" rc=0
  timeout "$secs" tail --pid="$pid" -f /dev/null || cs_die "process $pid still running after ${secs}s"
  wait "$pid" || rc=$?
  return "$rc"
}

# cs_wait_listen NS PROTO PORT: wait (at most 10 s) until something listens.
cs_wait_listen() {
  local ns="$1" proto="$2" port="$3" i
  for i in $(seq 1 100); do
    if cs_x "$ns" ss -Hln"${proto:0:1}" "sport = :$port" 2>/dev/null | grep -q .; then
      return 0
    fi
    sleep 0.1
  done
  cs_die "nothing listening on $proto/$port in $ns"
}

# The capture filter keeps only our own unicast traffic (no MLD or other
# link-local chatter); IPv4 fragments match it too.
CS_CAP_FILTER='(ip and net 10.201.0.0/16) or (ip6 and net fd00:201::/64 and not ip6 multicast)'

# cs_capture_start NS IFACE FILE [TCPDUMP ARGS...]: start tcpdump (at most 120 s)
# and wait until it is capturing.
cs_capture_start() {
  local ns="$1" ifc="$2" file="$3" i log
  shift 3
  log="$CS_WORK/tcpdump-$ns-$ifc.log"
  timeout -k 2 120 ip netns exec "$ns" tcpdump -Z root -i "$ifc" -s 0 -U -n "$@" -w "$file" "$CS_CAP_FILTER" >"$log" 2>&1 &
  CS_CAP_PIDS+=("$!")
  for i in $(seq 1 100); do
    grep -q "listening on" "$log" 2>/dev/null && { sleep 0.2; return 0; }
    sleep 0.1
  done
  cs_die "tcpdump did not start in $ns on $ifc"
}

# cs_capture_stop: let in-flight packets land, then stop every tcpdump.
cs_capture_stop() {
  local p
  sleep 0.5
  for p in "${CS_CAP_PIDS[@]}"; do
    kill -INT "$p" 2>/dev/null || true
  done
  for p in "${CS_CAP_PIDS[@]}"; do
    timeout 10 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  CS_CAP_PIDS=()
}

# cs_audio FILE SECONDS: raw G.711 A-law audio for sipp's rtp_stream, taken
# from the RTP payload of the recording that ships with sipp.
cs_audio() {
  local out="$1" secs="$2" src
  src="$(cs_sipp_pcap_dir)/g711a.pcap"
  tshark -r "$src" -d udp.port==2006,rtp -Y rtp -T fields -e rtp.payload 2>/dev/null \
    | tr -d ':\n' | xxd -r -p >"$out.all"
  truncate -s $((secs * 8000)) "$out.all"
  mv "$out.all" "$out"
  [ "$(stat -c %s "$out")" -eq $((secs * 8000)) ] || cs_die "could not make $secs s of audio from $src"
}

cs_sipp_pcap_dir() {
  local d
  for d in /usr/share/sip-tester /usr/share/sipp/pcap /usr/local/share/sipp/pcap; do
    [ -f "$d/g711a.pcap" ] && { echo "$d"; return 0; }
  done
  cs_die "g711a.pcap from sipp not found"
}

# cs_sipp NAME SECONDS NS ARGS...: sipp in the background, quiet screen,
# errors and messages traced to the work directory.
cs_sipp() {
  local name="$1" secs="$2" ns="$3"
  shift 3
  cs_bg "$name" "$secs" "$ns" sipp -nostdin -trace_err -error_file "$CS_WORK/$name-errors.log" \
    -trace_msg -message_file "$CS_WORK/$name-messages.log" "$@"
}

# cs_kamailio DEFINE...: run kamailio-sip.cfg (foreground, 60 s at most)
# in cs1b with the given -A defines, and wait until it listens.
cs_kamailio() {
  local cfg="$CS_MAKE_DIR/kamailio-sip.cfg" defs=() d
  for d in "$@"; do defs+=(-A "$d"); done
  mkdir -p "$CS_WORK/kamailio-run"
  cs_x "$CS_NS_B" kamailio -c -f "$cfg" "${defs[@]}" >"$CS_WORK/kamailio-check.log" 2>&1 \
    || cs_die "kamailio config check failed"
  cs_bg kamailio 60 "$CS_NS_B" kamailio -f "$cfg" "${defs[@]}" -DD -E -n 1 -m 32 -M 8 \
    -Y "$CS_WORK/kamailio-run" -P "$CS_WORK/kamailio-run/kamailio.pid"
  cs_wait_listen "$CS_NS_B" udp 5060
}

# cs_finish SRC DEST: move a finished capture into samples/.
cs_finish() {
  local src="$1" dest="$CS_SAMPLES_DIR/$2"
  [ -s "$src" ] || cs_die "empty capture $src"
  mv -f "$src" "$dest"
  chmod 0644 "$dest"
  cs_log "wrote $dest ($(stat -c %s "$dest") bytes, $(capinfos -c -M "$dest" | awk '/Number of packets/ {print $NF}') frames)"
}

# cs_scenario TEMPLATE OUT [KEY=VALUE...]: copy a sipp scenario template from
# sip-scenarios/, replacing each @KEY@ by VALUE (VALUE may span lines). A placeholder
# alone on its line is dropped with its line when its value is empty, so an
# empty @EXTRA_HEADERS@ cannot end a header section early. Defaults: RTP,
# EXTRA_HEADERS, OFFER_EXTRA, ANSWER_EXTRA empty; AUDIO_FORMATS (the caller's
# m=audio payload types) "8 0 101"; TRYING_MS (UAS 100 to 180)
# 200; RING_MS (UAS 180 to final answer) 800. DROP=NAME removes the part
# between <!-- begin NAME --> and <!-- end NAME -->.
cs_scenario() {
  local tpl="$CS_SIPP_DIR/$1" out="$2"
  shift 2
  python3 - "$tpl" "$out" "$@" <<'PY'
import re
import sys

tpl, out, *pairs = sys.argv[1:]
values = {"RTP": "", "EXTRA_HEADERS": "", "OFFER_EXTRA": "", "ANSWER_EXTRA": "",
          "AUDIO_FORMATS": "8 0 101", "TRYING_MS": "200", "RING_MS": "800"}
drops = []
for p in pairs:
    k, v = p.split("=", 1)
    if k == "DROP":
        drops.append(v)
    else:
        values[k] = v
text = open(tpl, encoding="latin-1").read()
for d in drops:
    text, n = re.subn(r"(?s)[ \t]*<!-- begin %s -->.*?<!-- end %s -->\n" % (d, d), "", text)
    if n == 0:
        sys.exit("no part %s in %s" % (d, tpl))
for k, v in values.items():
    rep = (v.rstrip("\n") + "\n") if v else ""
    text = re.sub(r"(?m)^[ \t]*@%s@[ \t]*\n" % k, lambda m: rep, text)
    text = text.replace("@" + k + "@", v)
left = re.findall(r"@[A-Z_]+@", text)
if left:
    sys.exit("unreplaced placeholders in %s: %s" % (tpl, left))
open(out, "w", encoding="latin-1").write(text)
PY
}

# cs_rtp_action FILE: the scenario fragment that plays FILE (raw A-law, 20 ms
# packets) once with sipp's RTP streamer (the callee side uses this).
cs_rtp_action() {
  printf '  <nop>\n    <action>\n      <exec rtp_stream="%s,1,8"/>\n    </action>\n  </nop>\n' "$1"
}

# cs_pcap_action FILE: the scenario fragment that replays the RTP recorded in
# FILE (the caller side uses this, so the two directions have their own SSRC).
cs_pcap_action() {
  printf '  <nop>\n    <action>\n      <exec play_pcap_audio="%s"/>\n    </action>\n  </nop>\n' "$1"
}

# cs_caller_pcap FILE SECONDS: the first SECONDS of the G.711 A-law recording
# that ships with sipp (30 ms packets), for play_pcap_audio.
cs_caller_pcap() {
  local out="$1" secs="$2"
  editcap -r "$(cs_sipp_pcap_dir)/g711a.pcap" "$out" "1-$((secs * 1000 / 30))" 2>/dev/null
}

# cs_cid: a sipp -cid_str giving every sample its own fixed Call-ID.
cs_cid() {
  printf '%s-%%u@%%s' "$(printf '%s' "$CS_SAMPLE" | md5sum | cut -c1-16)"
}

# The parts of a call every call script shares. Caller RTP: the first
# CS_RTP_SECONDS of sipp's G.711 A-law recording (30 ms packets, its own SSRC);
# callee RTP: the same audio through sipp's RTP streamer (20 ms packets).
CS_RTP_SECONDS=3
CS_CALLER_MP=40000
CS_CALLEE_MP=30000

# cs_call_media: make the two audio sources in the work directory.
cs_call_media() {
  cs_caller_pcap "$CS_WORK/caller-rtp.pcap" "$CS_RTP_SECONDS"
  cs_audio "$CS_WORK/callee.alaw" "$CS_RTP_SECONDS"
}

# cs_refused_call CODE REASON [UAS SCENARIO ARGS...]: two-node call that the
# sipp callee refuses with CODE REASON; the caller ACKs. Captured on the
# caller's link into $CS_WORK/cap.pcap.
cs_refused_call() {
  local code="$1" reason="$2" uas uac
  shift 2
  cs_topo2
  cs_scenario uac-fail.xml "$CS_WORK/uac.xml" "CODE=$code"
  cs_scenario uas-fail.xml "$CS_WORK/uas.xml" "CODE=$code" "REASON=$reason" "$@"
  cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
  cs_sipp uas 30 "$CS_NS_B" -sf "$CS_WORK/uas.xml" -i "$CS_B4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
  uas=$CS_LAST_PID
  cs_wait_listen "$CS_NS_B" udp 5060
  cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
    -cid_str "$(cs_cid)" "$CS_B4:5060"
  uac=$CS_LAST_PID
  cs_wait "$uac" 30
  cs_wait "$uas" 30
  cs_capture_stop
}

# cs_register PASSWORD CODE: REGISTER to the kamailio registrar in cs1b with
# PASSWORD (kamailio expects "callscope-sample"), expecting final CODE after
# the 401 challenge. Captured on the client's link into $CS_WORK/cap.pcap.
cs_register() {
  local password="$1" code="$2"
  cs_topo2
  cs_scenario uac-register.xml "$CS_WORK/uac.xml" "PASSWORD=$password" "CODE=$code"
  cs_kamailio WITH_REGISTRAR
  cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
  # The digest uri is the Request-URI, as RFC 3261 22.4 asks.
  cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -m 1 \
    -auth_uri callscope.test -cid_str "$(cs_cid)" "$CS_B4:5060"
  cs_wait "$CS_LAST_PID" 30
  cs_capture_stop
}

# cs_auth_call PASSWORD answered|refused: three-node call through the kamailio
# proxy in cs1b, which challenges INVITEs (407). With the right PASSWORD
# ("callscope-sample") the call reaches the sipp callee in cs1c and is answered,
# with RTP both ways; with another one kamailio challenges again. Captured on
# the caller's link into $CS_WORK/cap.pcap.
cs_auth_call() {
  local password="$1" outcome="$2" uas="" uac drop
  case "$outcome" in
    answered) drop=refused ;;
    refused) drop=answered ;;
    *) cs_die "cs_auth_call: unknown outcome $outcome" ;;
  esac
  cs_topo3
  cs_call_media
  cs_scenario uac-auth.xml "$CS_WORK/uac.xml" "PASSWORD=$password" "DROP=$drop" \
    "RTP=$(cs_pcap_action "$CS_WORK/caller-rtp.pcap")"
  cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
  cs_kamailio WITH_INVITE_AUTH WITH_CALLEE
  cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
  if [ "$outcome" = answered ]; then
    cs_sipp uas 30 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
    uas=$CS_LAST_PID
    cs_wait_listen "$CS_NS_C" udp 5060
  fi
  # The digest uri is the Request-URI, as RFC 3261 22.4 asks.
  cs_sipp uac 30 "$CS_NS_A" -sf "$CS_WORK/uac.xml" -i "$CS_A4" -p 5060 -mp "$CS_CALLER_MP" -m 1 \
    -d 3500 -auth_uri "bob@$CS_B4:5060" -cid_str "$(cs_cid)" "$CS_B4:5060"
  uac=$CS_LAST_PID
  cs_wait "$uac" 30
  [ -z "$uas" ] || cs_wait "$uas" 30
  cs_capture_stop
}

# cs_big_offer_args: cs_scenario arguments that turn uac-call.xml's INVITE into
# a large one (about 2.5 kB: session timer and identity headers, nine audio
# formats, a video offer with feedback and SSRC attributes, as softphones with
# video send) and make uas-call.xml decline the video stream (port 0, RFC 3264
# section 6).
cs_big_offer_args() {
  printf '%s\0' \
    "AUDIO_FORMATS=8 0 9 111 96 97 98 13 101" \
    "EXTRA_HEADERS=Supported: replaces, timer, 100rel, path, outbound
Session-Expires: 1800;refresher=uac
Min-SE: 90
Accept: application/sdp, application/dtmf-relay, multipart/mixed
Accept-Language: en
P-Preferred-Identity: \"Alice\" <sip:alice@callscope.test>
Organization: callscope sample makers
Subject: a call with a large offer" \
    "OFFER_EXTRA=a=rtpmap:9 G722/8000
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxaveragebitrate=32000
a=rtpmap:96 speex/16000
a=rtpmap:97 speex/8000
a=rtpmap:98 iLBC/8000
a=fmtp:98 mode=30
a=rtpmap:13 CN/8000
a=rtcp:$((CS_CALLER_MP + 1))
a=ssrc:3739283087 cname:alice.callscope.sample
a=ssrc:3739283087 msid:callscope-stream callscope-audio
m=video [media_port+2] RTP/AVP 102 103 104 105 106 107
b=AS:2000
a=rtpmap:102 VP8/90000
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=rtcp-fb:102 goog-remb
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 VP9/90000
a=fmtp:104 profile-id=0
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=rtpmap:105 rtx/90000
a=fmtp:105 apt=104
a=rtpmap:106 H264/90000
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtcp-fb:106 ccm fir
a=rtcp-fb:106 nack
a=rtcp-fb:106 nack pli
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=106
a=rtcp:$((CS_CALLER_MP + 3))
a=ssrc-group:FID 1408256310 2880442134
a=ssrc:1408256310 cname:alice.callscope.sample
a=ssrc:1408256310 msid:callscope-stream callscope-video
a=ssrc:2880442134 cname:alice.callscope.sample
a=ssrc:2880442134 msid:callscope-stream callscope-video
a=sendrecv" \
    "ANSWER_EXTRA=m=video 0 RTP/AVP 102"
}

# cs_ws_callees: the two sipp callees of the WebSocket samples (sip-ws.sh,
# sip-wss.sh), prepared in $CS_WORK: bob answers with 3 s of A-law, carol
# rings 1 s and declines with 603.
cs_ws_callees() {
  cs_audio "$CS_WORK/callee.alaw" 3
  cs_scenario uas-call.xml "$CS_WORK/uas.xml" "RTP=$(cs_rtp_action "$CS_WORK/callee.alaw")"
  cs_scenario uas-fail.xml "$CS_WORK/uas-decline.xml" "CODE=603" "REASON=Decline" RING_MS=1000
}

# cs_ws_calls URL [VAR=VALUE...]: captures, on the client's link into
# $CS_WORK/cap.pcap, ws_sip_client.py (run with the VAR=VALUE environment)
# registering, calling carol and calling bob over one WebSocket to URL,
# with the callees of cs_ws_callees in cs1c.
cs_ws_calls() {
  local url="$1" uas uas_decline client
  shift
  cs_capture_start "$CS_NS_A" cs1a0 "$CS_WORK/cap.pcap"
  cs_sipp uas 40 "$CS_NS_C" -sf "$CS_WORK/uas.xml" -i "$CS_C4" -p 5060 -mp "$CS_CALLEE_MP" -m 1
  uas=$CS_LAST_PID
  cs_sipp uas-decline 40 "$CS_NS_C" -sf "$CS_WORK/uas-decline.xml" -i "$CS_C4" -p 5062 -m 1
  uas_decline=$CS_LAST_PID
  cs_wait_listen "$CS_NS_C" udp 5060
  cs_wait_listen "$CS_NS_C" udp 5062
  cs_bg client 40 "$CS_NS_A" env "$@" python3 "$CS_MAKE_DIR/ws_sip_client.py" "$url" \
    "$CS_A4" "$CS_CALLER_MP" 3 register decline call
  client=$CS_LAST_PID
  cs_wait "$client" 40 || { cat "$CS_WORK/client.log" >&2; cs_die "the WebSocket client failed"; }
  cs_wait "$uas_decline" 10
  cs_wait "$uas" 10
  cs_capture_stop
}
