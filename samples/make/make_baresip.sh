#!/bin/bash
# Makes a short baresip-to-baresip call between two private network namespaces joined
# by a veth pair (nothing leaves them), captured with tcpdump on the caller's side.
# Bounded: each baresip quits by itself after a few seconds, every command has a
# timeout, and the namespaces are removed on exit.
#
# Usage: make_baresip.sh OUT.pcap MEDIAENC(srtp|none) RTCP_MUX(yes|no) AUDIO_LEVEL(yes|no) [VIDEO(yes|no)]
#   VIDEO=yes adds a VP8 stream from the fakevideo source.
#   LOSS=N in the environment drops about 1 in N media packets at the callee's input
#   (nft inside its namespace), so its report blocks show loss and its VP8 decoder
#   asks for key frames (RTCP PSFB PLI).
#
# The samples were made with:
#   LOSS=10 make_baresip.sh baresip-rtp-mux.pcap none yes yes yes
#   make_baresip.sh baresip-srtp-mux.pcap srtp yes yes
set -u
OUT=$1; ENC=$2; MUX=$3; LVL=$4; VID=${5:-no}
NA=cs_rtp_a_$$; NB=cs_rtp_b_$$
DUR=6
W=$(mktemp -d)
cleanup() {
  for n in $NA $NB; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.3; ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT
ip netns add $NA; ip netns add $NB
ip link add csv0 netns $NA type veth peer name csv1 netns $NB
ip -n $NA addr add 10.99.0.1/24 dev csv0; ip -n $NA link set csv0 up; ip -n $NA link set lo up
ip -n $NB addr add 10.99.0.2/24 dev csv1; ip -n $NB link set csv1 up; ip -n $NB link set lo up
mk() { # name ip port rtpbase ifname
  mkdir -p $W/$1
  cat > $W/$1/config <<CFG
poll_method epoll
net_interface $5
sip_listen $2:$3
audio_player aufile,$W/$1/out.wav
audio_source ausine,440
ausrc_srate 48000
auplay_srate 48000
ausrc_channels 2
auplay_channels 2
audio_alert aufile,/dev/null
rtp_ports $4-$(($4+9))
rtcp_mux $MUX
audio_level $LVL
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module srtp.so
module account.so
module contact.so
module menu.so
CFG
  if [ "$VID" = yes ]; then
    printf "module vp8.so\nmodule fakevideo.so\nvideo_source fakevideo,nil\nvideo_display fakevideo,nil\nvideo_size 320x240\nvideo_fps 15\n" >> $W/$1/config
  fi
  ENCP=""; [ "$ENC" != none ] && ENCP=";mediaenc=$ENC"
  echo "<sip:$1@$2:$3>;regint=0;answermode=auto;audio_codecs=PCMU;video_codecs=VP8$ENCP" > $W/$1/accounts
  : > $W/$1/contacts
}
if [ -n "${LOSS:-}" ]; then
  ip netns exec $NB nft -f - <<NFT
table inet csloss {
  chain in { type filter hook input priority 0; udp dport 32000-32009 numgen random mod $LOSS == 0 drop; }
}
NFT
fi
mk a 10.99.0.1 25071 31000 csv0
mk b 10.99.0.2 25072 32000 csv1
ip netns exec $NA timeout 15 tcpdump -i csv0 -U -w "$OUT" udp 2>/dev/null &
TD=$!
sleep 1
ip netns exec $NB timeout 15 baresip -f $W/b -t $((DUR+2)) > $W/b.log 2>&1 &
sleep 0.5
ip netns exec $NA timeout 15 baresip -f $W/a -t $DUR -e "/dial sip:b@10.99.0.2:25072" > $W/a.log 2>&1
sleep 2.5
kill $TD 2>/dev/null; wait $TD 2>/dev/null
echo "--- a.log"; tail -12 $W/a.log; echo "--- b.log"; tail -6 $W/b.log
