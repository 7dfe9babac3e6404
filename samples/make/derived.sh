#!/usr/bin/env bash
# Captures derived from real ones with editcap. Captures that stop in the
# middle of a stage, made by keeping the first
# frames of real captures (editcap), as when tcpdump is stopped too early:
#   dtls-cut-off.pcap: the first 6 frames of dtls-dropped-one-way.pcap: ICE
#     answered, then the capture ends 1.0 s after the first ClientHello
#     (2 transmissions).
#   sip-invite-cut-off.pcap: the first 4 frames of sip-invite-no-response.pcap:
#     the capture ends 0.5 s after the INVITE (2 transmissions).
set -euo pipefail
cd "$(dirname "$0")/.."
editcap -r dtls-dropped-one-way.pcap dtls-cut-off.pcap 1-6
editcap -r sip-invite-no-response.pcap sip-invite-cut-off.pcap 1-4

# The same capture with nanosecond timestamps in a pcapng whose interface
# says if_tsresol=9 (as dumpcap writes): sip-486-busy-nsec.pcapng.
editcap -F nsecpcap sip-486-busy.pcap /tmp/callscope-nsec.pcap
editcap -F pcapng /tmp/callscope-nsec.pcap sip-486-busy-nsec.pcapng
rm -f /tmp/callscope-nsec.pcap

# Microsoft Network Monitor 2.x files, as Windows users send them, written
# by editcap from two real samples (nothing on this machine captures in
# that format): samples/netmon/sip-call-rtp.cap and webrtc-ok.cap.
mkdir -p netmon
editcap -F netmon2 sip-call-rtp.pcap netmon/sip-call-rtp.cap
editcap -F netmon2 webrtc-ok.pcap netmon/webrtc-ok.cap

# Sun snoop files (RFC 1761), written by editcap the same way:
# samples/snoop/sip-call-rtp.snoop and webrtc-ok.snoop.
mkdir -p snoop
editcap -F snoop sip-call-rtp.pcap snoop/sip-call-rtp.snoop
editcap -F snoop webrtc-ok.pcap snoop/webrtc-ok.snoop
