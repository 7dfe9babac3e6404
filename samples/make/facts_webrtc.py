#!/usr/bin/env python3
"""Write samples/make/FACTS-webrtc.md from the WebRTC sample captures.

Every value comes from tshark (fields, -z rtp,streams) or from capinfos;
the only local computations are counting, grouping, SHA-256 over the
certificate bytes tshark extracts, the RFC 7983 first-byte demux of UDP
payloads (and of ChannelData contents), and a DTLS record-layer walk
(tshark gives up on retransmitted flights after a reassembly error).  Run after the samples are re-made:

    python3 samples/make/facts_webrtc.py [--sdp-dir /tmp/cs2-sdp]

--sdp-dir holds the SDPs the scripts kept (not committed) so the facts can
compare a=fingerprint with the certificates even where no SDP is on the wire.
"""

import argparse
import collections
import hashlib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)

CAPTURES = [
    "webrtc-ok.pcap",
    "webrtc-ipv6.pcap",
    "webrtc-turn-relay.pcap",
    "webrtc-udp-blocked.pcap",
    "turn-wrong-password.pcap",
    "turn-unreachable.pcap",
    "dtls-dropped-one-way.pcap",
    "dtls-alert.pcap",
    "webrtc-dtls-incomplete.pcap",
    "webrtc-media-one-way.pcap",
    "webrtc-consent-lost.pcap",
    "sip-webrtc-dtls-fail.pcap",
    "sip-webrtc-fingerprint-mismatch.pcap",
]

# The verdict each capture was made to show (stage / code, spec/verdicts.md).
EXPECTED = {
    "webrtc-ok.pcap": "none / ok",
    "webrtc-ipv6.pcap": "none / ok",
    "webrtc-turn-relay.pcap": "none / ok (relayed)",
    "webrtc-udp-blocked.pcap": "ice / ice-no-response",
    "turn-wrong-password.pcap": "ice / turn-auth-failed",
    "turn-unreachable.pcap": "ice / turn-unreachable",
    "dtls-dropped-one-way.pcap": "dtls / dtls-no-response",
    "dtls-alert.pcap": "dtls / dtls-alert (unknown_ca)",
    "webrtc-dtls-incomplete.pcap": "dtls / dtls-incomplete",
    "webrtc-media-one-way.pcap": "media / media-one-way",
    "webrtc-consent-lost.pcap": "ice / ice-consent-lost",
    "sip-webrtc-dtls-fail.pcap": "dtls / dtls-no-response (SIP stage passed: 200 OK, ACK, BYE)",
    "sip-webrtc-fingerprint-mismatch.pcap": "dtls / dtls-fingerprint-mismatch",
}

STUN_CLASS = {0x00: "Request", 0x01: "Indication", 0x10: "Success", 0x11: "Error"}
STUN_METHOD = {
    0x001: "Binding",
    0x003: "Allocate",
    0x004: "Refresh",
    0x006: "Send",
    0x007: "Data",
    0x008: "CreatePermission",
    0x009: "ChannelBind",
}
HS_TYPE = {
    0: "HelloRequest",
    1: "ClientHello",
    2: "ServerHello",
    3: "HelloVerifyRequest",
    4: "NewSessionTicket",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
}
ALERT_DESC = {0: "close_notify", 40: "handshake_failure", 42: "bad_certificate", 48: "unknown_ca", 80: "internal_error"}
CT_NAME = {20: "CCS", 21: "Alert", 22: "Handshake", 23: "AppData"}
SRTP_PROFILE = {
    0x0001: "SRTP_AES128_CM_HMAC_SHA1_80",
    0x0002: "SRTP_AES128_CM_HMAC_SHA1_32",
    0x0007: "SRTP_AEAD_AES_128_GCM",
    0x0008: "SRTP_AEAD_AES_256_GCM",
}

FIELDS = [
    "frame.number",
    "frame.time_relative",
    "ip.src",
    "ipv6.src",
    "udp.srcport",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "udp.dstport",
    "tcp.dstport",
    "udp.payload",
    "stun.type.class",
    "stun.type.method",
    "stun.att.type",
    "stun.att.username",
    "stun.att.error.class",
    "stun.att.error",
    "stun.att.error.reason",
    "stun.channel",
    "data.data",
    "dtls.record.content_type",
    "dtls.handshake.type",
    "dtls.alert_message.level",
    "dtls.alert_message.desc",
    "dtls.handshake.certificate",
    "dtls.use_srtp.protection_profile",
    "dtls.handshake.version",
    "sip.Method",
    "sip.Status-Code",
    "sip.CSeq",
    "sdp.media_attr",
]


def tshark(args):
    return subprocess.run(
        ["tshark", "-o", "rtp.heuristic_rtp:TRUE"] + args,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def ints(v):
    return [int(x, 0) for x in v.split(",") if x != ""]


def rows(path):
    out = tshark(
        ["-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
        + sum([["-e", f] for f in FIELDS], [])
    )
    for line in out.splitlines():
        parts = line.split("\t")
        parts += [""] * (len(FIELDS) - len(parts))
        yield dict(zip(FIELDS, parts))


def hostport(ip, port):
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def endpoint(r, side):
    ip = r[f"ip.{side}"] or r[f"ipv6.{side}"]
    port = r[f"udp.{side}port"] or r[f"tcp.{side}port"]
    return hostport(ip, port)


def demux(first_byte, second_byte=None):
    """RFC 7983 section 7 first-byte classes."""
    if first_byte <= 3:
        return "STUN"
    if 16 <= first_byte <= 19:
        return "ZRTP"
    if 20 <= first_byte <= 63:
        return "DTLS"
    if 64 <= first_byte <= 79:
        return "TURN-ChannelData"
    if 128 <= first_byte <= 191:
        # RTP and RTCP share the range; RTCP packet types 192..223 sit in the
        # second byte (RFC 5761 section 4).
        if second_byte is not None and 192 <= second_byte <= 223:
            return "RTCP"
        return "RTP"
    return f"other({first_byte})"


def dtls_records(payload_hex):
    """Walk the DTLS record layer of one datagram (RFC 6347 section 4.1).

    tshark stops dissecting a datagram after a reassembly error (retransmitted
    flights), so the record list is taken from the bytes; each entry is
    (content type, epoch, handshake type or None, is fragment).
    """
    b = bytes.fromhex(payload_hex)
    out = []
    i = 0
    while i + 13 <= len(b):
        ct = b[i]
        epoch = int.from_bytes(b[i + 3 : i + 5], "big")
        length = int.from_bytes(b[i + 11 : i + 13], "big")
        body = b[i + 13 : i + 13 + length]
        hs, frag = None, False
        if ct == 22 and epoch == 0 and len(body) >= 12:
            hs = body[0]
            msg_len = int.from_bytes(body[1:4], "big")
            frag_len = int.from_bytes(body[9:12], "big")
            frag = frag_len != msg_len
        out.append((ct, epoch, hs, frag))
        i += 13 + length
    return out


def record_text(rec):
    ct, epoch, hs, frag = rec
    name = CT_NAME.get(ct, str(ct))
    if hs is not None:
        name += ":" + HS_TYPE.get(hs, str(hs)) + ("(fragment)" if frag else "")
    elif epoch:
        name += f"(epoch {epoch}, encrypted)"
    return name


def capinfo(path):
    out = subprocess.run(
        ["capinfos", "-c", "-E", "-u", "-t", path], check=True, capture_output=True, text=True
    ).stdout
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def rtp_streams(path):
    out = tshark(["-r", path, "-q", "-z", "rtp,streams"])
    streams = []
    for line in out.splitlines():
        m = re.match(
            r"\s*([\d.]+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(\S+)\s+(\d+)\s+(-?\d+)",
            line,
        )
        if m:
            streams.append(
                dict(
                    start=m.group(1),
                    end=m.group(2),
                    src=hostport(m.group(3), m.group(4)),
                    dst=hostport(m.group(5), m.group(6)),
                    ssrc=m.group(7),
                    payload=m.group(8),
                    pkts=int(m.group(9)),
                    lost=int(m.group(10)),
                )
            )
    return streams


def sdp_file_facts(sdp_dir, name):
    d = os.path.join(sdp_dir, name)
    res = {}
    if not os.path.isdir(d):
        return res
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".sdp"):
            continue
        text = open(os.path.join(d, fn)).read()
        res[fn] = dict(
            ufrag=re.findall(r"a=ice-ufrag:(\S+)", text),
            fp=re.findall(r"a=fingerprint:sha-256 (\S+)", text),
            setup=re.findall(r"a=setup:(\S+)", text),
            cands=re.findall(r"a=candidate:(.*)", text),
        )
    return res


def facts(path, sdp_dir):
    name = os.path.basename(path)
    base = name[: -len(".pcap")]
    info = capinfo(path)
    L = [f"## {name}", ""]
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    L.append(f"- made to show: {EXPECTED.get(name, '?')}")
    L.append(f"- file SHA-256 {digest} (these facts hold for this exact file)")
    L.append(
        f"- frames: {info.get('Number of packets')}; link type: {info.get('File encapsulation')} "
        f"(pcap, DLT_EN10MB = 1); file type: {info.get('File type')}; "
        f"duration: {info.get('Capture duration')}; size: {os.path.getsize(path)} bytes"
    )
    R = list(rows(path))

    # --- demux of UDP payloads per direction (RFC 7983) -------------------
    demux_count = collections.OrderedDict()
    for r in R:
        p = r["udp.payload"]
        if not p:
            continue
        second = int(p[2:4], 16) if len(p) >= 4 else None
        key = (endpoint(r, "src"), endpoint(r, "dst"), demux(int(p[:2], 16), second))
        demux_count.setdefault(key, []).append(r["frame.number"])
    if demux_count:
        L.append("- UDP datagrams by first payload byte (RFC 7983; RTCP by packet type, RFC 5761), per direction:")
        for (s, d, k), frames in demux_count.items():
            L.append(f"  - {s} -> {d}: {k} x{len(frames)} (first frame {frames[0]}, last {frames[-1]})")

    # --- STUN / TURN --------------------------------------------------------
    stun = [r for r in R if r["stun.type.method"]]
    if stun:
        table = collections.OrderedDict()
        for r in stun:
            c = STUN_CLASS.get(int(r["stun.type.class"], 0), r["stun.type.class"])
            m = STUN_METHOD.get(int(r["stun.type.method"], 0), r["stun.type.method"])
            table.setdefault((m, c), []).append(r["frame.number"])
        L.append("- STUN messages (method class: count, frames):")
        for (m, c), frames in table.items():
            shown = ",".join(frames[:12]) + (",..." if len(frames) > 12 else "")
            L.append(f"  - {m} {c}: {len(frames)} (frames {shown})")
        checks = [
            r
            for r in stun
            if int(r["stun.type.method"], 0) == 1
            and int(r["stun.type.class"], 0) == 0
            and r["stun.att.username"]
        ]
        if checks:
            r = checks[0]
            L.append(
                f"- first connectivity check: frame {r['frame.number']} "
                f"{endpoint(r, 'src')} -> {endpoint(r, 'dst')} USERNAME {r['stun.att.username']}"
            )
        succ = [r for r in stun if int(r["stun.type.method"], 0) == 1 and int(r["stun.type.class"], 0) == 0x10]
        if succ:
            r = succ[0]
            L.append(f"- first Binding success: frame {r['frame.number']} {endpoint(r, 'src')} -> {endpoint(r, 'dst')}")
        elif checks:
            L.append("- Binding success responses: none")
        usec = [r for r in stun if 0x0025 in ints(r["stun.att.type"])]
        if usec:
            L.append(
                f"- USE-CANDIDATE (0x0025): {len(usec)} requests, first frame {usec[0]['frame.number']} "
                f"{endpoint(usec[0], 'src')} -> {endpoint(usec[0], 'dst')}"
            )
        elif checks:
            L.append("- USE-CANDIDATE: none")
        errs = [r for r in stun if int(r["stun.type.class"], 0) == 0x11]
        for r in errs:
            code = int(r["stun.att.error.class"] or 0) * 100 + int(r["stun.att.error"] or 0)
            m = STUN_METHOD.get(int(r["stun.type.method"], 0), r["stun.type.method"])
            L.append(f"- error response: frame {r['frame.number']} {m} {code} {r['stun.att.error.reason']!r}")
        users = collections.Counter(r["stun.att.username"] for r in stun if r["stun.att.username"])
        if users:
            L.append("- USERNAME values (count): " + ", ".join(f"`{u}` ({n})" for u, n in users.items()))

    chan = [r for r in R if r["stun.channel"]]
    if chan:
        by = collections.OrderedDict()
        for r in chan:
            # ChannelData: 2-byte channel, 2-byte length, then the data
            # (RFC 8656 section 12.4).
            inner = r["udp.payload"][8:]
            second = int(inner[2:4], 16) if len(inner) >= 4 else None
            kind = demux(int(inner[:2], 16), second) if inner else "empty"
            key = (endpoint(r, "src"), endpoint(r, "dst"), r["stun.channel"], kind)
            by.setdefault(key, []).append(r["frame.number"])
        L.append("- TURN ChannelData (channel, inner first-byte class: count, first frame):")
        for (s, d, ch, kind), frames in by.items():
            L.append(f"  - {s} -> {d} channel {ch} {kind}: {len(frames)} (first {frames[0]})")

    # --- DTLS ---------------------------------------------------------------
    dtls = [r for r in R if r["dtls.record.content_type"]]
    if dtls:
        L.append(
            "- DTLS datagrams (frame src -> dst: records from the record-layer walk; "
            "tshark's handshake types; {alerts as tshark decodes them}):"
        )
        ccs = collections.OrderedDict()
        certs = []
        for r in dtls:
            cts = ints(r["dtls.record.content_type"])
            hs = []
            for t in ints(r["dtls.handshake.type"]):
                # a fragmented message repeats its type once per fragment
                name = HS_TYPE.get(t, str(t))
                if hs and hs[-1][0] == name:
                    hs[-1][1] += 1
                else:
                    hs.append([name, 1])
            hs = [n if c == 1 else f"{n}(x{c} fragments)" for n, c in hs]
            desc = ints(r["dtls.alert_message.desc"])
            lvl = ints(r["dtls.alert_message.level"])
            alerts = [
                f"{'fatal' if l == 2 else 'warning'} {ALERT_DESC.get(d, d)}({d})" for l, d in zip(lvl, desc)
            ]
            if 21 in cts and not alerts:
                alerts = ["encrypted alert"]
            s, d = endpoint(r, "src"), endpoint(r, "dst")
            recs = dtls_records(r["udp.payload"])
            line = f"  - {r['frame.number']} {s} -> {d}: {len(recs)} records " + ", ".join(record_text(x) for x in recs)
            if hs:
                line += "; tshark: [" + ",".join(hs) + "]"
            if alerts:
                line += " {" + ",".join(alerts) + "}"
            if r["dtls.use_srtp.protection_profile"]:
                profs = [SRTP_PROFILE.get(p, hex(p)) for p in ints(r["dtls.use_srtp.protection_profile"])]
                line += " use_srtp=" + "/".join(profs)
            L.append(line)
            if any(x[0] == 20 for x in recs):
                ccs.setdefault((s, d), []).append(r["frame.number"])
            for c in r["dtls.handshake.certificate"].split(","):
                if c:
                    fp = hashlib.sha256(bytes.fromhex(c.replace(":", ""))).hexdigest().upper()
                    certs.append((r["frame.number"], s, ":".join(fp[i : i + 2] for i in range(0, 64, 2))))
        dirs = {(endpoint(r, "src"), endpoint(r, "dst")) for r in dtls}
        for s, d in sorted(dirs):
            f = ccs.get((s, d))
            L.append(f"- ChangeCipherSpec {s} -> {d}: " + (f"yes (frames {','.join(f)})" if f else "no"))
        seen = set()
        for frame, s, fp in certs:
            if (s, fp) in seen:
                continue
            seen.add((s, fp))
            L.append(f"- certificate from {s} (first in frame {frame}), SHA-256 {fp}")

    # --- SIP / SDP on the wire ----------------------------------------------
    sip = [r for r in R if r["sip.Method"] or r["sip.Status-Code"]]
    if sip:
        L.append("- SIP messages:")
        for r in sip:
            what = r["sip.Method"] or r["sip.Status-Code"]
            L.append(f"  - {r['frame.number']} {endpoint(r, 'src')} -> {endpoint(r, 'dst')}: {what} (CSeq {r['sip.CSeq']})")
            attrs = r["sdp.media_attr"].split(",")
            uf = [a.split(":", 1)[1] for a in attrs if a.startswith("ice-ufrag:")]
            fp = [a.split(" ", 1)[1] for a in attrs if a.startswith("fingerprint:sha-256 ")]
            st = [a.split(":", 1)[1] for a in attrs if a.startswith("setup:")]
            if uf or fp:
                L.append(f"    SDP: ice-ufrag {','.join(uf)}; setup {','.join(st)}; fingerprint sha-256 {','.join(fp)}")

    # --- SDP kept by the scripts (not in the capture unless SIP) ------------
    sdps = sdp_file_facts(sdp_dir, base)
    if sdps:
        L.append("- SDP exchanged out of band by the script" + (" (same as the SIP bodies)" if sip else "") + ":")
        for fn, f in sdps.items():
            L.append(
                f"  - {fn}: ice-ufrag {','.join(f['ufrag'])}; setup {','.join(f['setup'])}; "
                f"candidates {len(f['cands'])}" + (f" ({'; '.join(f['cands'])})" if f["cands"] else "")
                + f"; fingerprint sha-256 {','.join(f['fp'])}"
            )
        if dtls:
            cert_fps = {fp for _, _, fp in certs}
            for fn, f in sdps.items():
                for fp in f["fp"]:
                    if not cert_fps:
                        verdict = "cannot be compared: no certificate on the wire"
                    elif fp in cert_fps:
                        verdict = "matches a certificate on the wire"
                    else:
                        verdict = "matches NO certificate on the wire"
                    L.append(f"  - {fn} a=fingerprint sha-256 {verdict}")

    # --- RTP ----------------------------------------------------------------
    streams = rtp_streams(path)
    if streams:
        L.append("- RTP/SRTP streams (tshark -o rtp.heuristic_rtp:TRUE -z rtp,streams):")
        for s in streams:
            L.append(
                f"  - {s['src']} -> {s['dst']} SSRC {s['ssrc']} {s['payload']}: {s['pkts']} packets, "
                f"lost {s['lost']}, {s['start']}..{s['end']} s"
            )
    else:
        L.append("- RTP/SRTP streams: none")
    L.append("")
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdp-dir", default="/tmp/cs2-sdp")
    ap.add_argument("--out", default=os.path.join(HERE, "FACTS-webrtc.md"))
    args = ap.parse_args()
    out = [
        "# Facts about the WebRTC / ICE / TURN / DTLS samples",
        "",
        "Generated by `samples/make/facts_webrtc.py` from tshark output; re-run it after re-making",
        "a sample (ports, ufrags, SSRCs, certificates change on every run).  Frame numbers are",
        "Wireshark's (first frame = 1).  Addresses: alice 10.202.1.2 / fd00:202::1:2, bob",
        "10.202.2.2 / fd00:202::2:2, coturn 10.202.3.2:3478 (relay ports 49160-49200).",
        "aiortc's offerer (alice, a=setup:actpass) is the DTLS server and ICE controlling agent;",
        "the answerer (bob, a=setup:active) is the DTLS client.",
        "",
    ]
    for name in CAPTURES:
        path = os.path.join(SAMPLES, name)
        if not os.path.exists(path):
            out += [f"## {name}", "", "- missing", ""]
            continue
        out += facts(path, args.sdp_dir)
    with open(args.out, "w") as f:
        f.write("\n".join(out))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
