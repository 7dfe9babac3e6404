#!/usr/bin/env python3
"""Wrap the frames of real samples in the encapsulations customers' captures
arrive in, to check that a call inside them is judged as the same call
captured directly.

    python3 samples/make/wrap-encapsulations.py [OUTDIR]   (default samples/encap)

For each of samples/sip-call-rtp.pcap and samples/webrtc-ok.pcap (Ethernet,
made with sipp and aiortc, see samples/README.md) it writes, frame by frame,
same times, same order:

    NAME-vxlan.pcap      outer Ethernet/IPv4/UDP to port 4789, VXLAN VNI 4242,
                         the original Ethernet frame (AWS/Azure traffic mirroring)
    NAME-geneve.pcap     outer Ethernet/IPv4/UDP to port 6081, Geneve with one
                         8-octet option, protocol 0x6558, the original frame
    NAME-erspan2.pcap    outer Ethernet/IPv4/GRE with a sequence number,
                         protocol 0x88be, ERSPAN type II header, the frame
    NAME-erspan3.pcap    the same with protocol 0x22eb and an ERSPAN type III
                         header with its platform-specific subheader (O flag)
    NAME-mpls.pcap       Ethernet with EtherType 0x8847, two MPLS labels, the
                         original IP packet
    NAME-nflog.pcap      link type 239 (NFLOG): header, a packet-header TLV, a
                         prefix TLV, the IP packet in the payload TLV
    NAME-l2tpv3.pcap     (sip-call-rtp only) outer Ethernet/IPv4/UDP to port 1701,
                         an L2TPv3 data header (RFC 3931 s4.1.2.2, session 0x1234),
                         the original Ethernet frame: an encapsulation callscope
                         does not read, for its "nothing recognised" note

The outer addresses are 192.0.2.1 -> 192.0.2.2 (TEST-NET-1), IPv4 header
checksums are computed, UDP checksums are 0 (allowed over IPv4). The bytes
of every original frame are kept as they were. Standard library only.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)
INPUTS = ["sip-call-rtp.pcap", "webrtc-ok.pcap"]

OUTER_MACS = bytes.fromhex("020000c00201") + bytes.fromhex("020000c00202")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit(f"{path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, want Ethernet")
    frames = []
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[at:at + 16])
        at += 16
        frames.append((sec, frac, orig, data[at:at + incl]))
        at += incl
    return nano, frames


def write_pcap(path, nano, linktype, frames):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, linktype))
        for sec, frac, orig, body in frames:
            f.write(struct.pack("<IIII", sec, frac, len(body), len(body) + orig))
            f.write(body)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000,
                      64, proto, 0, bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def outer_ipv4(proto, payload, ident):
    return OUTER_MACS + b"\x08\x00" + ipv4(proto, payload, ident)


def udp(dport, payload, sport=49152):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def vxlan(frame, n):
    header = struct.pack("!B3xI", 0x08, 4242 << 8)
    return outer_ipv4(17, udp(4789, header + frame), n)


def geneve(frame, n):
    option = struct.pack("!HBB", 0x0103, 0x01, 1) + b"\x00\x00\x00\x2a"  # class, type, len=1 word
    base = struct.pack("!BBH", len(option) // 4, 0, 0x6558) + struct.pack("!I", 4242 << 8)
    return outer_ipv4(17, udp(6081, base + option + frame), n)


def erspan2(frame, n):
    gre = struct.pack("!HHI", 0x1000, 0x88BE, n)
    # Ver 1, VLAN 0, COS 0, En 0, T 0, session id 7; reserved, index 0.
    header = struct.pack("!HHI", (1 << 12) | 0, (0 << 13) | 7, 0)
    return outer_ipv4(47, gre + header + frame, n)


def erspan3(frame, n):
    gre = struct.pack("!HHI", 0x1000, 0x22EB, n)
    # Ver 2, VLAN 0; COS/BSO/T/session 7; timestamp; SGT, P/FT/HW/D/Gra/O (O=1).
    header = struct.pack("!HHIHH", (2 << 12) | 0, 7, n * 1000, 0, 0x0001)
    platform = struct.pack("!II", (3 << 26), 0)  # platform id 3, port id 0; timestamp
    return outer_ipv4(47, gre + header + platform + frame, n)


def mpls(frame, n):
    if frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
        return None
    labels = struct.pack("!II", (1000 << 12) | 64, (2000 << 12) | (1 << 8) | 64)
    return frame[:12] + b"\x88\x47" + labels + frame[14:]


def nflog(frame, n):
    etype = frame[12:14]
    if etype == b"\x08\x00":
        family = 2
    elif etype == b"\x86\xdd":
        family = 10
    else:
        return None
    packet = frame[14:]

    def tlv(t, value):
        body = struct.pack("<HH", 4 + len(value), t) + value
        return body + b"\0" * (-len(body) % 4)

    return (struct.pack("!BBH", family, 0, 7)
            + tlv(1, etype + b"\x01\x00")          # NFULA_PACKET_HDR: protocol, hook
            + tlv(10, b"callscope\0")             # NFULA_PREFIX
            + tlv(9, packet))                     # NFULA_PAYLOAD


def l2tpv3(frame, n):
    # Flags and version (T=0, version 3), reserved, then the session id.
    header = struct.pack("!HHI", 0x0003, 0, 0x1234)
    return outer_ipv4(17, udp(1701, header + frame, sport=1701), n)


WRAPS = [("vxlan", 1, vxlan), ("geneve", 1, geneve), ("erspan2", 1, erspan2),
         ("erspan3", 1, erspan3), ("mpls", 1, mpls), ("nflog", 239, nflog)]
# Not read by callscope: one input is enough.
UNREAD = [("l2tpv3", 1, l2tpv3)]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SAMPLES, "encap")
    os.makedirs(out_dir, exist_ok=True)
    for name in INPUTS:
        nano, frames = read_pcap(os.path.join(SAMPLES, name))
        base = name[:-len(".pcap")]
        for suffix, linktype, wrap in WRAPS + (UNREAD if name == INPUTS[0] else []):
            out = []
            for n, (sec, frac, orig, body) in enumerate(frames, 1):
                wrapped = wrap(body, n)
                if wrapped is None:
                    sys.exit(f"{name} frame {n}: not IP, cannot wrap in {suffix}")
                # The original length grows by what was added.
                out.append((sec, frac, orig - len(body), wrapped))
            path = os.path.join(out_dir, f"{base}-{suffix}.pcap")
            write_pcap(path, nano, linktype, out)
            print(f"{path}: {len(out)} frames")


if __name__ == "__main__":
    main()
