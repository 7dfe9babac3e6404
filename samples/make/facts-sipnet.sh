#!/usr/bin/env bash
# Prints the facts a test can assert about the captures made by the
# lib-sipnet.sh scripts (FACTS-sipnet.md is this script's output):
#   bash samples/make/facts-sipnet.sh > samples/make/FACTS-sipnet.md
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=$(cd "$HERE/.." && pwd)

SMALL="sip-invite-no-response sip-register-no-response sip-udp-port-unreachable
sip-tcp-refused sip-tcp-blocked sip-tls-failed sip-no-final-response"

ts() { timeout 300 tshark -r "$@" 2>/dev/null; }

header() {
    local f=$1
    echo "## $(basename "$f")"
    echo
    echo "- frames: $(capinfos -c -M "$f" | awk -F': *' '/Number of packets/{print $2}')"
    # The link type is the last 32-bit field of the pcap file header.
    echo "- link type: $(capinfos -E "$f" | awk -F': *' '/encapsulation/{print $2}'), pcap LINKTYPE $(od -An -t u4 -j 20 -N 4 "$f" | tr -d ' ')"
    echo "- bytes: $(stat -c %s "$f")"
    echo "- duration (first to last frame): $(capinfos -u -M "$f" | awk -F': *' '/duration/{print $2}')"
}

block() {
    local title=$1
    shift
    local out
    out=$("$@")
    echo
    echo "$title"
    echo
    if [ -z "$out" ]; then
        echo "(none)"
    else
        echo '```'
        echo "$out"
        echo '```'
    fi
}

echo "# Facts about the SIP transport-failure and load samples"
echo
echo "Made by \`samples/make/facts-sipnet.sh\` with $(tshark -v 2>/dev/null | head -n 1 | sed 's/\.$//')."
echo "Frame numbers count from 1 as Wireshark does; times are frame.time_relative in seconds."
echo "Addresses: caller 10.203.0.1 (02:00:0a:cb:00:01), callee 10.203.0.2 (02:00:0a:cb:00:02)."
echo "These values hold for the committed files; a re-run of a script makes new Call-IDs,"
echo "ports and times, and may move ARP frames."

for n in $SMALL; do
    f=$S/$n.pcap
    [ -f "$f" ] || continue
    echo
    header "$f"
    block "SIP messages (frame, time, method, status, Call-ID, CSeq):" \
        ts "$f" -Y 'sip && !icmp' -T fields -e frame.number -e frame.time_relative \
        -e sip.Method -e sip.Status-Code -e sip.Call-ID -e sip.CSeq
    if [ -n "$(ts "$f" -Y tcp -T fields -e frame.number | head -n 1)" ]; then
        block "TCP SYN/RST/FIN frames (frame, time, src port, dst port, flags SYN ACK RST FIN):" \
            ts "$f" -Y 'tcp.flags.syn == 1 || tcp.flags.reset == 1 || tcp.flags.fin == 1' -T fields \
            -e frame.number -e frame.time_relative -e tcp.srcport -e tcp.dstport \
            -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset -e tcp.flags.fin
    fi
    if [ -n "$(ts "$f" -Y icmp -T fields -e frame.number | head -n 1)" ]; then
        block "ICMP frames (frame, time, type, code, quoted IP src, quoted IP dst, quoted UDP src port, quoted UDP dst port):" \
            ts "$f" -Y icmp -T fields -E occurrence=l -e frame.number -e frame.time_relative \
            -e icmp.type -e icmp.code -e ip.src -e ip.dst -e udp.srcport -e udp.dstport
    fi
    if [ -n "$(ts "$f" -Y tls -T fields -e frame.number | head -n 1)" ]; then
        block "TLS records (frame, time, record version, handshake types, alert level, alert description):" \
            ts "$f" -Y tls -T fields -e frame.number -e frame.time_relative \
            -e tls.record.version -e tls.handshake.type -e tls.alert_message.level -e tls.alert_message.desc
        block "TLS alerts as tshark shows them:" \
            ts "$f" -Y tls.alert_message -T fields -e frame.number -e _ws.col.Info
    fi
    block "Other frames (frame, time, protocols):" \
        ts "$f" -Y '!sip && !tcp && !icmp' -T fields -e frame.number -e frame.time_relative -e frame.protocols
done

f=$S/sip-load-mixed.pcap
if [ -f "$f" ]; then
    echo
    header "$f"
    echo "- distinct Call-IDs: $(ts "$f" -Y sip -T fields -e sip.Call-ID | sort -u | wc -l)"
    echo "- SIP frames: $(ts "$f" -Y sip | wc -l)"
    block "Final responses to INVITE per status (one per call, retransmissions not counted):" \
        sh -c "timeout 300 tshark -r '$f' -Y 'sip.Status-Code >= 200 && sip.CSeq.method == \"INVITE\"' -T fields -e sip.Call-ID -e sip.Status-Code 2>/dev/null | sort -u | awk '{print \$2}' | sort | uniq -c | awk '{print \$2\": \"\$1}'"
    block "Call-IDs whose INVITE got no response at all:" \
        bash -c "comm -23 <(timeout 300 tshark -r '$f' -Y 'sip.Method == \"INVITE\"' -T fields -e sip.Call-ID 2>/dev/null | sort -u) <(timeout 300 tshark -r '$f' -Y 'sip.Status-Code' -T fields -e sip.Call-ID 2>/dev/null | sort -u) | wc -l" 
    echo
    echo "First call of each outcome (frame, time, method, status, CSeq):"
    finals=$(ts "$f" -Y 'sip.Status-Code >= 200 && sip.CSeq.method == "INVITE"' -T fields -e sip.Status-Code -e sip.Call-ID)
    for code in 200 404 480 486 487 603; do
        id=$(awk -v c="$code" '$1 == c { print $2; exit }' <<<"$finals")
        block "- $code, Call-ID $id:" \
            ts "$f" -Y "sip.Call-ID == \"$id\"" -T fields -e frame.number -e frame.time_relative \
            -e sip.Method -e sip.Status-Code -e sip.CSeq
    done
    id=$(comm -23 <(ts "$f" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID | sort -u) \
        <(ts "$f" -Y 'sip.Status-Code' -T fields -e sip.Call-ID | sort -u) | sort -t- -k1,1n | head -n 1)
    block "- no response, Call-ID $id:" \
        ts "$f" -Y "sip.Call-ID == \"$id\"" -T fields -e frame.number -e frame.time_relative \
        -e sip.Method -e sip.Status-Code -e sip.CSeq
    block "\`tshark -r sip-load-mixed.pcap -q -z sip,stat\`:" \
        sh -c "timeout 300 tshark -r '$f' -q -z sip,stat 2>/dev/null | grep -v '^\$'"
fi
