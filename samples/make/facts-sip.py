#!/usr/bin/env python3
"""Print FACTS-sip.md: what tshark sees in each SIP sample made by lib-sip.sh.

Usage: facts-sip.py > FACTS-sip.md   (run from anywhere; reads ../*.pcap*)

Everything here comes from tshark/capinfos output on the committed captures,
so a test can assert these values. Timestamps are left out on purpose: only
the shape of a capture is the same from one run of its script to the next.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)

# (file, what the verdict catalogue in /work/shared/spec/verdicts.md implies)
FILES = [
    ("sip-call-rtp.pcap", "none / ok"),
    ("sip-call-tcp.pcap", "none / ok"),
    ("sip-invite-fragmented.pcap", "none / ok"),
    ("sip-invite-fragmented-ipv6.pcap", "none / ok"),
    ("sip-call-ipv6.pcap", "none / ok"),
    ("sip-call-any.pcapng", "none / ok"),
    ("sip-call-rtcp-mux.pcap", "none / ok"),
    ("sip-603-decline.pcap", "sip / sip-603 (twilio 31603)"),
    ("sip-486-busy.pcap", "sip / sip-486 (twilio 31486)"),
    ("sip-480-unavailable.pcap", "sip / sip-480 (twilio 31480)"),
    ("sip-404-not-found.pcap", "sip / sip-404 (twilio 31203)"),
    ("sip-register-401-403.pcap", "sip / sip-auth-failed (challenge answered with credentials, then refused with 403)"),
    ("sip-register-ok.pcap", "none / ok-registered"),
    ("sip-auth-failed.pcap", "sip / sip-auth-failed"),
    ("sip-407-then-ok.pcap", "none / ok"),
    ("sip-487-cancel.pcap", "sip / sip-487"),
    ("sip-call-one-way-rtp.pcap", "media / media-one-way"),
    ("sip-call-no-rtp.pcap", "media / media-none (twilio 31005)"),
]

NOTES = {
    "sip-call-tcp.pcap": "SIP over TCP between caller 10.201.1.1:5060 and the kamailio proxy "
    "10.201.1.2:5060 (one connection, opened by the caller, closed by the caller "
    "after the 200 for BYE). The INVITE is 2261 bytes and spans two TCP segments; "
    "no segment carries more than one SIP message (neither sipp nor kamailio "
    "coalesces: both set TCP_NODELAY). kamailio record-routes twice "
    "(transport=tcp towards the caller), so ACK and BYE go through it; its 100 is "
    "'100 trying -- your call is important to us'. RTP flows directly between "
    "10.201.1.1:40000 and the callee 10.201.2.3:30000 (routed through cs1b).",
    "sip-invite-fragmented.pcap": "The INVITE (UDP payload 2261 bytes, IP datagram 2289 "
    "bytes) leaves the caller as two IPv4 fragments (frames 1 and 2, same IP ID; "
    "reassembled in frame 2). The answer declines the offered video with m=video 0.",
    "sip-invite-fragmented-ipv6.pcap": "The INVITE (UDP payload 2279 bytes) leaves the "
    "caller as two IPv6 fragments (Fragment header, frames 1 and 2, same "
    "identification; reassembled in frame 2). The answer declines the offered "
    "video with m=video 0.",
    "sip-call-any.pcapng": "Recorded with tcpdump -i any -y LINUX_SLL2 in the caller's "
    "namespace, converted with editcap -F pcapng (one interface description "
    "block, name unknown). Same call as sip-call-rtp.pcap otherwise.",
    "sip-call-rtcp-mux.pcap": "Callee is baresip 1.0.0 (auto answer, no 100 Trying, 200 "
    "reason 'Answering', Contact user 'bob-0x...' that changes from run to run). "
    "The offer has a=rtcp-mux and baresip accepts, so its RTCP (PT 204 APP 'PING' "
    "right after the 180, a sender report + SDES about 5 s in, BYE + SDES after "
    "the 200 for BYE) uses the RTP 5-tuple 10.201.1.2:30000 -> 10.201.1.1:40000. "
    "baresip's SSRC is random, and whether one last RTP packet leaves between its "
    "200 for BYE and its RTCP BYE depends on timing (217 or 218 packets, 426 or "
    "427 frames between runs). sipp (caller) sends no RTCP.",
    "sip-404-not-found.pcap": "The 404 comes from kamailio (location lookup, bob never "
    "registered), which sends no 100; the ACK is absorbed by kamailio.",
    "sip-register-401-403.pcap": "kamailio registrar, realm callscope.test; the second "
    "REGISTER carries Authorization computed with a wrong password.",
    "sip-register-ok.pcap": "kamailio registrar, realm callscope.test, password "
    "callscope-sample; the 200 returns Contact <sip:alice@10.201.1.1:5060;"
    "transport=UDP>;expires=3600.",
    "sip-auth-failed.pcap": "kamailio proxy challenges (Proxy-Authenticate, realm "
    "callscope.test), the retry carries Proxy-Authorization with a wrong password "
    "and is challenged again (with the same nonce: kamailio's nonces are built "
    "from the time in seconds, and both challenges fall in the same second).",
    "sip-407-then-ok.pcap": "kamailio proxy 10.201.1.2 challenges, then relays to the "
    "callee 10.201.2.3 and record-routes; ACK and BYE go via the proxy. RTP flows "
    "directly between 10.201.1.1:40000 and 10.201.2.3:30000.",
    "sip-call-one-way-rtp.pcap": "Both sides sent RTP, but an nft forward rule in the "
    "router namespace dropped every packet from the callee's media port "
    "10.201.2.3:30000 (the script checks the rule's counter), so the capture on "
    "the caller's link holds caller -> callee RTP only.",
    "sip-call-no-rtp.pcap": "Offer and answer both carry SDP (caller m=audio 40000, "
    "callee m=audio 30000); no UDP packet other than SIP in the capture.",
    "sip-487-cancel.pcap": "CANCEL uses the INVITE's branch; the 200 (CANCEL) comes before "
    "the 487; the ACK for the 487 reuses the INVITE's branch (hop-by-hop).",
}


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def tshark(path, *args):
    return run("tshark", "-r", path, *args)


def fields(path, display_filter, names, two_pass=False):
    args = ["-Y", display_filter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"]
    if two_pass:
        args.insert(0, "-2")
    for n in names:
        args += ["-e", n]
    out = tshark(path, "-o", "rtp.heuristic_rtp:TRUE", *args)
    rows = []
    for line in out.splitlines():
        rows.append(line.split("\t"))
    return rows


def capinfo(path):
    out = run("capinfos", "-M", "-t", "-E", "-c", "-s", path)
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def endpoint(r, i4, i6, pu, pt):
    ip = r[i4] or r[i6]
    port = r[pu] or r[pt]
    if ":" in ip:
        return "[%s]:%s" % (ip, port)
    return "%s:%s" % (ip, port)


def rtp_streams(path):
    out = tshark(path, "-o", "rtp.heuristic_rtp:TRUE", "-q", "-z", "rtp,streams")
    streams = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 10 and parts[6].startswith("0x"):
            streams.append({
                "src": "%s:%s" % (parts[2], parts[3]),
                "dst": "%s:%s" % (parts[4], parts[5]),
                "ssrc": parts[6],
                "payload": parts[7],
                "packets": parts[8],
                "lost": parts[9],
            })
    return streams


def facts(name, verdict):
    path = os.path.join(SAMPLES, name)
    info = capinfo(path)
    out = ["## %s" % name, ""]
    out.append("- file: %s, %d bytes, %s frames; file type %s; link type %s"
               % (name, os.path.getsize(path), info.get("Number of packets"),
                  info.get("File type"), info.get("File encapsulation")))
    out.append("- verdict the catalogue implies: %s" % verdict)
    if name in NOTES:
        out.append("- " + NOTES[name])

    sip = fields(path, "sip", ["frame.number", "ip.src", "ipv6.src", "udp.srcport", "tcp.srcport",
                               "ip.dst", "ipv6.dst", "udp.dstport", "tcp.dstport", "sip.Method",
                               "sip.Status-Code", "sip.Call-ID", "sip.CSeq", "frame.protocols",
                               "sdp.connection_info", "sdp.media"])
    call_ids = []
    out.append("- SIP messages (frame: src -> dst, transport, request or status, CSeq):")
    out.append("")
    out.append("  | frame | src | dst | transport | message | CSeq | Call-ID | SDP c= / m= |")
    out.append("  |---|---|---|---|---|---|---|---|")
    for r in sip:
        transport = "TCP" if ":tcp:" in r[13] else "UDP"
        msg = r[9] if r[9] else r[10]
        sdp = ""
        if r[14]:
            sdp = "%s; %s" % (r[14], "; ".join(r[15].split(",")))
        out.append("  | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r[0], endpoint(r, 1, 2, 3, 4), endpoint(r, 5, 6, 7, 8), transport, msg, r[12], r[11], sdp))
        for cid in r[11].split(","):
            if cid and cid not in call_ids:
                call_ids.append(cid)
    out.append("")
    out.append("- SIP message count: %d; Call-IDs: %s" % (len(sip), ", ".join("`%s`" % c for c in call_ids)))

    streams = rtp_streams(path)
    if streams:
        out.append("- RTP streams (tshark -o rtp.heuristic_rtp:TRUE -z rtp,streams): %d" % len(streams))
        for s in streams:
            out.append("  - %s -> %s SSRC %s %s, %s packets, lost %s"
                       % (s["src"], s["dst"], s["ssrc"], s["payload"], s["packets"], s["lost"]))
    else:
        out.append("- RTP streams (tshark -o rtp.heuristic_rtp:TRUE -z rtp,streams): 0")

    rtcp = fields(path, "rtcp", ["frame.number", "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "rtcp.pt"])
    if rtcp:
        out.append("- RTCP packets: %d" % len(rtcp))
        for r in rtcp:
            out.append("  - frame %s: %s:%s -> %s:%s, packet types %s" % (r[0], r[1], r[2], r[3], r[4], r[5]))
    else:
        out.append("- RTCP packets: 0")

    frag4 = fields(path, "ip.flags.mf == 1 or ip.frag_offset > 0",
                   ["frame.number", "ip.id", "ip.frag_offset", "ip.flags.mf", "ip.len",
                    "ip.reassembled_in", "ip.reassembled.length"], two_pass=True)
    frag6 = fields(path, "ipv6.fraghdr",
                   ["frame.number", "ipv6.fraghdr.ident", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
                    "ipv6.plen", "ipv6.reassembled.in", "ipv6.reassembled.length"], two_pass=True)
    if frag4:
        out.append("- IPv4 fragments (offset in 8-octet units as tshark shows it):")
        for r in frag4:
            out.append("  - frame %s: IP ID %s, offset %s, MF %s, total length %s%s%s" % (
                r[0], r[1], r[2], r[3], r[4],
                ", reassembled in frame %s" % r[5] if r[5] else "",
                ", reassembled IP payload %s bytes" % r[6] if r[6] else ""))
    if frag6:
        out.append("- IPv6 fragments (offset in 8-octet units as tshark shows it):")
        for r in frag6:
            out.append("  - frame %s: identification %s, offset %s, M %s, payload length %s%s%s" % (
                r[0], r[1], r[2], r[3], r[4],
                ", reassembled in frame %s" % r[5] if r[5] else "",
                ", reassembled payload %s bytes" % r[6] if r[6] else ""))
    if not frag4 and not frag6:
        out.append("- IP fragments: none")

    tcp = fields(path, "tcp", ["frame.number", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport",
                               "tcp.flags.str", "tcp.len", "tcp.reassembled_in", "sip.Method",
                               "sip.Status-Code"], two_pass=True)
    if tcp:
        out.append("- TCP: %d frames; frames with payload (frame: src -> dst, length, what it carries):" % len(tcp))
        for r in tcp:
            if r[6] in ("", "0"):
                continue
            what = r[8] or r[9]
            if r[7]:
                what = "first part of the message reassembled in frame %s" % r[7]
            elif what:
                what = "SIP %s" % what
            out.append("  - frame %s: %s:%s -> %s:%s, %s bytes, %s" % (r[0], r[1], r[2], r[3], r[4], r[6], what))
        flags = [r for r in tcp if ("S" in r[5] or "F" in r[5] or "R" in r[5])]
        out.append("  - SYN/FIN/RST frames: %s" % ", ".join(
            "%s (%s -> %s %s)" % (r[0], r[1], r[3], r[5].replace("\u00b7", "")) for r in flags))

    icmp = fields(path, "icmp or icmpv6", ["frame.number", "_ws.col.Info"])
    out.append("- ICMP/ICMPv6: %s" % (", ".join("frame %s %s" % (r[0], r[1]) for r in icmp) if icmp else "none"))
    out.append("")
    return out


def main():
    lines = [
        "# SIP sample facts",
        "",
        "Generated by `samples/make/facts-sip.py` from the captures in `samples/` "
        "(tshark %s). Frame numbers are Wireshark's (first frame is 1). Timestamps "
        "vary from run to run and are left out; the shape (frames, order, counts) "
        "does not. Addresses: caller 10.201.1.1 / fd00:201::1 (cs1a), callee or "
        "proxy 10.201.1.2 / fd00:201::2 (cs1b), callee behind the proxy/router "
        "10.201.2.3 (cs1c). Caller media port 40000, sipp callee media port 30000. "
        "The caller's RTP is sipp's own G.711 A-law recording (SSRC 0xDEE0EE8F, 30 ms "
        "packets); sipp's RTP streamer uses SSRC 0xCA110000 (20 ms packets)."
        % re.search(r"\d+\.\d+\.\d+", run("tshark", "--version")).group(0),
        "",
    ]
    for name, verdict in FILES:
        lines += facts(name, verdict)
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
