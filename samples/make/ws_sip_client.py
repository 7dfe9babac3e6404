#!/usr/bin/env python3
"""A browser-like SIP user agent over WebSocket (RFC 7118), for the samples.

It opens one WebSocket connection (subprotocol "sip", the `websockets`
library) to a proxy and runs, in order, on that connection:

  register  REGISTER, answer the 401 challenge with a wrong password
            (the proxy then refuses with 403)
  decline   INVITE carol, who declines: 603, ACK
  call      INVITE bob, who answers: ACK, then RTP both ways for SECONDS
            (A-law, 20 ms packets, our side sent from MEDIA_PORT), then BYE

The INVITE of `call` is sent as a fragmented WebSocket message (three
frames), as some clients do, so the capture holds one.

Usage: ws_sip_client.py URL LOCAL_IP MEDIA_PORT SECONDS STEP...
Every wait is bounded; the script stops by itself within about 30 s.

With a wss:// URL the connection uses TLS without checking the server's
(self-signed) certificate. SSLKEYLOGFILE names the file the session keys
are written to (NSS key log format, as browsers write it); TLS_MAX=1.2
caps the version at TLS 1.2.
"""

import hashlib
import os
import random
import re
import socket
import ssl
import struct
import sys
import time

from websockets.sync.client import connect

URL, LOCAL_IP, MEDIA_PORT, SECONDS = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
STEPS = sys.argv[5:]
DOMAIN = "callscope.test"
# RFC 7118 s5.2: a WebSocket client has no reachable address; its Via and
# Contact carry a made-up .invalid host.
HOST = "c5ws.invalid"
rand = random.Random(7118)


def token(n=10):
    return "".join(rand.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def request(method, uri, call_id, cseq, from_tag, to_tag=None, extra=(), body="", branch=None):
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/WS {HOST};branch={branch or 'z9hG4bK' + token()};rport",
        "Max-Forwards: 70",
        f"From: <sip:alice@{DOMAIN}>;tag={from_tag}",
        f"To: <{uri}>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:alice@{HOST};transport=ws>",
        "User-Agent: callscope-sample-ws-client",
        *extra,
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def parse(msg):
    head = msg.split("\r\n\r\n", 1)[0]
    first, *hdrs = head.split("\r\n")
    h = {}
    for line in hdrs:
        k, _, v = line.partition(":")
        h.setdefault(k.strip().lower(), []).append(v.strip())
    code = int(first.split()[1]) if first.startswith("SIP/2.0") else None
    body = msg.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in msg else ""
    return code, h, body


def final(ws, deadline=10.0):
    """Reads responses until a final one (bounded in time)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        msg = ws.recv(timeout=max(0.1, end - time.monotonic()))
        code, h, body = parse(msg)
        print("<-", msg.split("\r\n", 1)[0], file=sys.stderr)
        if code and code >= 200:
            return code, h, body
    raise SystemExit("no final response in time")


def register(ws):
    call_id, tag = token(16), token(8)
    uri = f"sip:{DOMAIN}"
    ws.send(request("REGISTER", uri, call_id, 1, tag, extra=["Expires: 600"]))
    code, h, _ = final(ws)
    assert code == 401, code
    chal = h["www-authenticate"][0]
    realm = re.search(r'realm="([^"]*)"', chal).group(1)
    nonce = re.search(r'nonce="([^"]*)"', chal).group(1)
    # RFC 2617 digest, with a password the registrar does not know.
    ha1 = hashlib.md5(f"alice:{realm}:not-the-password".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    resp = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    auth = (f'Authorization: Digest username="alice", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{resp}", algorithm=MD5')
    ws.send(request("REGISTER", uri, call_id, 2, tag, extra=["Expires: 600", auth]))
    code, _, _ = final(ws)
    print("register:", code, file=sys.stderr)


def offer(session):
    return "\r\n".join([
        "v=0",
        f"o=alice {session} 1 IN IP4 {LOCAL_IP}",
        "s=-",
        f"c=IN IP4 {LOCAL_IP}",
        "t=0 0",
        f"m=audio {MEDIA_PORT} RTP/AVP 8 101",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=sendrecv",
    ]) + "\r\n"


def invite(ws, user, fragmented):
    call_id, tag, branch = token(16), token(8), "z9hG4bK" + token()
    uri = f"sip:{user}@{DOMAIN}"
    msg = request("INVITE", uri, call_id, 1, tag, body=offer(rand.randrange(10**6, 10**7)), branch=branch)
    if fragmented:
        third = len(msg) // 3
        ws.send([msg[:third], msg[third:2 * third], msg[2 * third:]])
    else:
        ws.send(msg)
    code, h, body = final(ws, 15.0)
    to_tag = re.search(r";tag=([^;>\s]+)", h["to"][0]).group(1)
    if code >= 300:
        # RFC 3261 17.1.1.3: the ACK of a failure is hop by hop, same branch.
        ws.send(request("ACK", uri, call_id, 1, tag, to_tag=to_tag, branch=branch))
        print(f"invite {user}:", code, file=sys.stderr)
        return
    routes = [r for v in reversed(h.get("record-route", [])) for r in v.split(",")]
    route = [f"Route: {', '.join(x.strip() for x in routes)}"] if routes else []
    contact = re.search(r"<([^>]*)>", h["contact"][0]).group(1)
    ws.send(request("ACK", contact, call_id, 1, tag, to_tag=to_tag, extra=route))
    m = re.search(r"c=IN IP4 (\S+).*?m=audio (\d+)", body, re.S)
    rtp_loop((m.group(1), int(m.group(2))))
    ws.send(request("BYE", contact, call_id, 2, tag, to_tag=to_tag, extra=route))
    code, _, _ = final(ws)
    print(f"invite {user}: 200, BYE {code}", file=sys.stderr)


def rtp_loop(peer):
    """SECONDS of A-law silence every 20 ms, and whatever comes back."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOCAL_IP, MEDIA_PORT))
    s.setblocking(False)
    ssrc, seq, ts = rand.getrandbits(32), rand.getrandbits(16), rand.getrandbits(32)
    start = time.monotonic()
    for i in range(int(SECONDS * 50)):
        pkt = struct.pack("!BBHII", 0x80, 8 | (0x80 if i == 0 else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
        s.sendto(pkt + b"\xd5" * 160, peer)
        seq, ts = seq + 1, ts + 160
        try:
            while True:
                s.recv(2048)
        except BlockingIOError:
            pass
        time.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
    s.close()


tls = None
if URL.startswith("wss:"):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    if os.environ.get("SSLKEYLOGFILE"):
        tls.keylog_filename = os.environ["SSLKEYLOGFILE"]
    if os.environ.get("TLS_MAX") == "1.2":
        tls.maximum_version = ssl.TLSVersion.TLSv1_2

with connect(URL, subprotocols=["sip"], open_timeout=5, close_timeout=2, ssl=tls) as ws:
    for step in STEPS:
        if step == "register":
            register(ws)
        elif step == "decline":
            invite(ws, "carol", fragmented=False)
        elif step == "call":
            invite(ws, "bob", fragmented=True)
        else:
            raise SystemExit(f"unknown step {step}")
