#!/usr/bin/env python3
"""Write two synthetic stress captures for callscope's memory bounds.

    calls-1m.pcap   1,000,000 SIP calls over UDP/IPv4, 7 frames each
                    (INVITE with SDP, 100 Trying, 180 Ringing, 200 OK with SDP,
                    ACK, BYE, 200 OK for the BYE), no RTP: 7,000,000 frames.
    stun-2m.pcap    one ICE session with 2,000,000 STUN Binding transactions
                    (request and success response): 4,000,000 frames.

Why: the analyzer keeps per-call and per-transaction state; these files show
whether its peak memory stays bounded (and what it reports) when a capture
holds far more calls or STUN transactions than any sample made with real
software.  They are synthetic by design: sipp, kamailio or aiortc cannot make
a million calls on this machine in reasonable time, and the point here is
volume, not the behaviour of a particular SIP or ICE stack.

Usage:

    python3 samples/make/scale-captures.py [OUTDIR]      (default /tmp/callscope-scale)
    python3 samples/make/scale-captures.py OUTDIR --calls 1000 --transactions 1000
    python3 samples/make/scale-captures.py OUTDIR --only stun

(--calls and --transactions change the counts, not the file names.)

Standard library only; under a minute per file.  Neither file is committed
(2,346,124,100 and 560,000,028 bytes with the defaults).

Format: classic pcap, little-endian, microsecond timestamps, Ethernet link
type, IPv4 with correct header checksums, UDP checksum 0 (not computed).

calls-1m.pcap: call i starts at i * 5 ms (200 calls/s, so the capture spans
about 5000 s and about 400 calls are in progress at any time).  Within a call:
INVITE at +0, 100 at +1 ms, 180 at +20 ms, 200 at +1 s, ACK at +1.001 s, BYE
(from the caller) at +2 s, 200 at +2.001 s.  Caller 10.1.x.y:5060, callee
10.2.x.y:5060; every (caller, callee) address pair is used by one call only,
and every call offers its own media port (none of which ever carries RTP).
Call-ID c<i in hex>@<caller>, From tag a<hex>, To tag b<hex>, branches
z9hG4bK<hex>i (INVITE), ...k (ACK), ...y (BYE).  Frames of overlapping calls
are merged in time order (heapq), ties kept in call order.

stun-2m.pcap: 192.0.2.1:50000 ("local": ufrag localufrag, ICE controlling)
and 192.0.2.2:50001 ("remote": ufrag remoteufrag, ICE controlled).
Transaction n starts at n * 5 ms; even n are local -> remote requests (USERNAME
remoteufrag:localufrag, PRIORITY, ICE-CONTROLLING; n = 2 also USE-CANDIDATE),
odd n are remote -> local (USERNAME localufrag:remoteufrag, PRIORITY,
ICE-CONTROLLED).  Each request is answered 0.8 ms later by a Binding success
response with XOR-MAPPED-ADDRESS (the request's source).  Every message ends
with MESSAGE-INTEGRITY (real HMAC-SHA1 with the receiver's password,
localpassword0123456789 / remotepassword012345678) and FINGERPRINT (CRC-32
XOR 0x5354554e, RFC 8489).  Transaction IDs are unique (a counter times an
odd constant, mod 2^64, behind a 4-byte prefix).
"""

import argparse
import heapq
import hmac
import os
import struct
import sys
import time
import zlib

BASE_SEC = 1798761600  # 2027-01-01 00:00:00 UTC: first frame of each capture

PCAP_GLOBAL = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
PCAP_REC = struct.Struct("<IIII")
# IPv4 header (20 bytes, no options) + UDP header, network byte order
IP_UDP = struct.Struct("!BBHHHBBH4s4sHHHH")

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
ETH_A_TO_B = MAC_B + MAC_A + b"\x08\x00"
ETH_B_TO_A = MAC_A + MAC_B + b"\x08\x00"

FLUSH_BYTES = 32 << 20


class PcapWriter:
    """Classic pcap writer that batches records and writes large chunks."""

    def __init__(self, path):
        self.f = open(path, "wb", buffering=0)
        self.f.write(PCAP_GLOBAL)
        self.parts = []
        self.pending = 0
        self.frames = 0
        self.ip_id = 0

    def udp(self, ts_us, eth, src, dst, src_sum, dst_sum, sport, dport, payload):
        """One Ethernet/IPv4/UDP frame.  src/dst: 4-byte addresses; *_sum: the
        sum of each address's two 16-bit words (for the header checksum)."""
        ulen = 8 + len(payload)
        tlen = 20 + ulen
        ip_id = self.ip_id
        self.ip_id = (ip_id + 1) & 0xFFFF
        # 0x4500 (version, IHL, TOS) + 0x4011 (TTL 64, protocol UDP); flags 0
        s = 0x8511 + tlen + ip_id + src_sum + dst_sum
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        csum = ~s & 0xFFFF
        caplen = 14 + tlen
        sec, usec = divmod(ts_us, 1000000)
        rec = (
            PCAP_REC.pack(BASE_SEC + sec, usec, caplen, caplen)
            + eth
            + IP_UDP.pack(0x45, 0, tlen, ip_id, 0, 64, 17, csum, src, dst, sport, dport, ulen, 0)
            + payload
        )
        self.parts.append(rec)
        self.pending += len(rec)
        self.frames += 1
        if self.pending >= FLUSH_BYTES:
            self.flush()

    def flush(self):
        if self.parts:
            self.f.write(b"".join(self.parts))
            self.parts = []
            self.pending = 0

    def close(self):
        self.flush()
        self.f.close()


def addr(a, b, c, d):
    packed = bytes((a, b, c, d))
    return packed, ((a << 8) | b) + ((c << 8) | d)


# ---------------------------------------------------------------- SIP calls

HOSTS = 254 * 254  # host numbers x.y with x, y in 1..254
CALLEE_STEP = 4021  # callee host = (caller host + k * CALLEE_STEP) mod HOSTS

# (offset from the call's INVITE in microseconds, sent by the caller?)
CALL_EVENTS = [
    (0, True),  # INVITE
    (1000, False),  # 100 Trying
    (20000, False),  # 180 Ringing
    (1000000, False),  # 200 OK (SDP)
    (1001000, True),  # ACK
    (2000000, True),  # BYE
    (2001000, False),  # 200 OK (BYE)
]
CALL_SPACING_US = 5000  # 200 calls per second


def sdp(sess, ip, port):
    return (
        "v=0\r\n"
        f"o=- {sess} 1 IN IP4 {ip}\r\n"
        "s=-\r\n"
        f"c=IN IP4 {ip}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\n"
    )


class Call:
    __slots__ = ("i", "a", "b", "a_raw", "a_sum", "b_raw", "b_sum", "h", "port_a", "port_b")

    def __init__(self, i):
        host = i % HOSTS
        k = i // HOSTS  # < 16 for a million calls; keeps pairs distinct
        callee = (host + k * CALLEE_STEP) % HOSTS
        ax, ay = 1 + host // 254, 1 + host % 254
        bx, by = 1 + callee // 254, 1 + callee % 254
        self.i = i
        self.a = f"10.1.{ax}.{ay}"
        self.b = f"10.2.{bx}.{by}"
        self.a_raw, self.a_sum = addr(10, 1, ax, ay)
        self.b_raw, self.b_sum = addr(10, 2, bx, by)
        self.h = f"{i:x}"
        # a media port per call, so no two calls share a media endpoint
        self.port_a = 20000 + 2 * k
        self.port_b = 30000 + 2 * k

    def message(self, step):
        a, b, h = self.a, self.b, self.h
        frm = f"From: <sip:a@{a}>;tag=a{h}\r\n"
        to = f"To: <sip:b@{b}>"
        to_tag = f"{to};tag=b{h}\r\n"
        cid = f"Call-ID: c{h}@{a}\r\n"
        via_inv = f"Via: SIP/2.0/UDP {a}:5060;branch=z9hG4bK{h}i\r\n"
        if step == 0:
            body = sdp(self.i, a, self.port_a)
            return (
                f"INVITE sip:b@{b} SIP/2.0\r\n{via_inv}Max-Forwards: 70\r\n{frm}{to}\r\n{cid}"
                f"CSeq: 1 INVITE\r\nContact: <sip:a@{a}:5060>\r\n"
                f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
            )
        if step == 1:
            return (
                f"SIP/2.0 100 Trying\r\n{via_inv}{frm}{to}\r\n{cid}"
                "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            )
        if step == 2:
            return (
                f"SIP/2.0 180 Ringing\r\n{via_inv}{frm}{to_tag}{cid}"
                f"CSeq: 1 INVITE\r\nContact: <sip:b@{b}:5060>\r\nContent-Length: 0\r\n\r\n"
            )
        if step == 3:
            body = sdp(self.i, b, self.port_b)
            return (
                f"SIP/2.0 200 OK\r\n{via_inv}{frm}{to_tag}{cid}"
                f"CSeq: 1 INVITE\r\nContact: <sip:b@{b}:5060>\r\n"
                f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}"
            )
        if step == 4:
            return (
                f"ACK sip:b@{b}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {a}:5060;branch=z9hG4bK{h}k\r\n"
                f"Max-Forwards: 70\r\n{frm}{to_tag}{cid}CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
            )
        via_bye = f"Via: SIP/2.0/UDP {a}:5060;branch=z9hG4bK{h}y\r\n"
        if step == 5:
            return (
                f"BYE sip:b@{b}:5060 SIP/2.0\r\n{via_bye}"
                f"Max-Forwards: 70\r\n{frm}{to_tag}{cid}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
            )
        return f"SIP/2.0 200 OK\r\n{via_bye}{frm}{to_tag}{cid}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"


def make_calls(path, n_calls):
    w = PcapWriter(path)
    heap = []  # (timestamp us, call number, step)
    active = {}

    def emit(ts, i, step):
        c = active[i]
        payload = c.message(step).encode("ascii")
        if CALL_EVENTS[step][1]:
            w.udp(ts, ETH_A_TO_B, c.a_raw, c.b_raw, c.a_sum, c.b_sum, 5060, 5060, payload)
        else:
            w.udp(ts, ETH_B_TO_A, c.b_raw, c.a_raw, c.b_sum, c.a_sum, 5060, 5060, payload)
        if step == len(CALL_EVENTS) - 1:
            del active[i]

    push, pop = heapq.heappush, heapq.heappop
    for i in range(n_calls):
        start = i * CALL_SPACING_US
        active[i] = Call(i)
        for step, (off, _) in enumerate(CALL_EVENTS):
            push(heap, (start + off, i, step))
        # everything due up to this call's INVITE (inclusive) goes out now
        while heap[0][0] <= start:
            emit(*pop(heap))
    while heap:
        emit(*pop(heap))
    w.close()
    return w.frames


# ---------------------------------------------------------------- STUN / ICE

MAGIC = 0x2112A442
FP_XOR = 0x5354554E
LOCAL_IP, LOCAL_PORT = (192, 0, 2, 1), 50000
REMOTE_IP, REMOTE_PORT = (192, 0, 2, 2), 50001
LOCAL_PWD = b"localpassword0123456789"
REMOTE_PWD = b"remotepassword012345678"
TX_SPACING_US = 5000
RESPONSE_DELAY_US = 800
TXID_MUL = 0x9E3779B97F4A7C15  # odd: n -> n * TXID_MUL mod 2^64 is one-to-one

STUN_HDR = struct.Struct("!HHI12s")


def attr(t, value):
    pad = (-len(value)) % 4
    return struct.pack("!HH", t, len(value)) + value + b"\x00" * pad


def finish(msg_type, txid, attrs, key):
    """Append MESSAGE-INTEGRITY and FINGERPRINT (RFC 8489 section 14.5, 14.7)."""
    mi_len = len(attrs) + 24
    head = STUN_HDR.pack(msg_type, mi_len, MAGIC, txid)
    mi = hmac.digest(key, head + attrs, "sha1")
    body = attrs + b"\x00\x08\x00\x14" + mi
    head = STUN_HDR.pack(msg_type, mi_len + 8, MAGIC, txid)
    crc = (zlib.crc32(head + body) ^ FP_XOR) & 0xFFFFFFFF
    return head + body + struct.pack("!HHI", 0x8028, 4, crc)


def xor_mapped(ip, port):
    a = (ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]
    return attr(0x0020, struct.pack("!BBHI", 0, 1, port ^ (MAGIC >> 16), a ^ MAGIC))


def make_stun(path, n_tx):
    w = PcapWriter(path)
    l_raw, l_sum = addr(*LOCAL_IP)
    r_raw, r_sum = addr(*REMOTE_IP)
    # (eth, src, dst, src_sum, dst_sum, sport, dport, username, role attr,
    #  requester's mapped address, key = receiver's password)
    sides = [
        (ETH_A_TO_B, l_raw, r_raw, l_sum, r_sum, LOCAL_PORT, REMOTE_PORT,
         attr(0x0006, b"remoteufrag:localufrag"), 0x802A,
         xor_mapped(LOCAL_IP, LOCAL_PORT), REMOTE_PWD),
        (ETH_B_TO_A, r_raw, l_raw, r_sum, l_sum, REMOTE_PORT, LOCAL_PORT,
         attr(0x0006, b"localufrag:remoteufrag"), 0x8029,
         xor_mapped(REMOTE_IP, REMOTE_PORT), LOCAL_PWD),
    ]
    tiebreak = [0x1C3D5E7F90A1B2C3, 0x0F1E2D3C4B5A6978]
    # prflx priority (type preference 110, local preference 65535, component 1)
    priority = attr(0x0024, struct.pack("!I", (110 << 24) | (65535 << 8) | 255))
    use_candidate = attr(0x0025, b"")
    mask = (1 << 64) - 1
    for n in range(n_tx):
        d = n & 1
        eth, src, dst, ssum, dsum, sport, dport, user, role, mapped, key = sides[d]
        txid = struct.pack("!IQ", 0x63730000 | d, ((n + 1) * TXID_MUL) & mask)
        attrs = user + priority + attr(role, struct.pack("!Q", tiebreak[d]))
        if n == 2:
            attrs += use_candidate
        ts = n * TX_SPACING_US
        w.udp(ts, eth, src, dst, ssum, dsum, sport, dport, finish(0x0001, txid, attrs, key))
        resp = finish(0x0101, txid, mapped, key)
        back = ETH_B_TO_A if d == 0 else ETH_A_TO_B
        w.udp(ts + RESPONSE_DELAY_US, back, dst, src, dsum, ssum, dport, sport, resp)
    w.close()
    return w.frames


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir", nargs="?", default="/tmp/callscope-scale")
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--transactions", type=int, default=2_000_000)
    p.add_argument("--only", choices=["calls", "stun"])
    args = p.parse_args()
    if args.calls > HOSTS * (HOSTS // CALLEE_STEP):
        p.error("too many calls for distinct address pairs")
    os.makedirs(args.outdir, exist_ok=True)
    jobs = []
    if args.only in (None, "calls"):
        jobs.append(("calls-1m.pcap", make_calls, args.calls))
    if args.only in (None, "stun"):
        jobs.append(("stun-2m.pcap", make_stun, args.transactions))
    for name, fn, count in jobs:
        path = os.path.join(args.outdir, name)
        t0 = time.monotonic()
        frames = fn(path, count)
        print(
            f"{path}: {frames} frames, {os.path.getsize(path)} bytes, "
            f"{time.monotonic() - t0:.1f} s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
