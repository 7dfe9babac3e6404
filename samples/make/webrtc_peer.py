#!/usr/bin/env python3
"""One aiortc peer for the callscope sample captures.

Two of these run in two network namespaces and exchange the SDP offer and
answer through files in a shared directory (offer.sdp, answer.sdp).  Each
sends a synthetic audio tone (no media files), so the capture holds real ICE,
DTLS-SRTP and SRTP traffic from a real WebRTC stack.

Everything is bounded in time: --deadline is a hard limit for the whole run.
Events are logged to stderr with timestamps; the final states are printed to
stdout as key=value lines for the calling script.
"""

import argparse
import asyncio
import fractions
import logging
import math
import os
import struct
import sys
import time

import aioice.ice
import aioice.stun
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcdtlstransport import RTCCertificate
from aiortc.rtcicetransport import RTCIceTransport

T0 = time.monotonic()
NAME = "peer"


def log(msg: str) -> None:
    print(f"{time.monotonic() - T0:7.3f} {NAME}: {msg}", file=sys.stderr, flush=True)


class ToneTrack(MediaStreamTrack):
    """48 kHz mono 20 ms frames of a sine tone, paced in real time."""

    kind = "audio"

    def __init__(self, freq: float, amplitude: float) -> None:
        super().__init__()
        self.freq = freq
        self.amplitude = amplitude
        self.rate = 48000
        self.samples = 960
        self.pts = 0
        self.start = None

    async def recv(self):
        if self.readyState != "live":
            raise Exception("track ended")
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.pts / self.rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = bytearray()
        for i in range(self.samples):
            t = (self.pts + i) / self.rate
            v = int(self.amplitude * 32767 * math.sin(2 * math.pi * self.freq * t))
            pcm += struct.pack("<h", v)
        frame = av.AudioFrame(format="s16", layout="mono", samples=self.samples)
        frame.planes[0].update(bytes(pcm))
        frame.sample_rate = self.rate
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, self.rate)
        self.pts += self.samples
        return frame


def force_dtls12() -> None:
    """Cap aiortc's DTLS at 1.2 (the wheel's OpenSSL could offer 1.3)."""
    orig = RTCCertificate._create_ssl_context

    def patched(self, srtp_profiles):
        ctx = orig(self, srtp_profiles)
        ctx.set_max_proto_version(0xFEFD)  # DTLS1_2_VERSION
        return ctx

    RTCCertificate._create_ssl_context = patched


def set_opus_bitrate(bitrate: int) -> None:
    """aiortc encodes Opus at 96 kb/s; browsers use ~32 kb/s for voice.

    A lower rate keeps the captures small.
    """
    from aiortc.codecs.opus import OpusEncoder

    orig = OpusEncoder.__init__

    def patched(self):
        orig(self)
        self.codec.bit_rate = bitrate

    OpusEncoder.__init__ = patched


def gate_ice_start(go_file: str, deadline: float) -> None:
    """Delay the start of connectivity checks until go_file exists.

    Used when SIP carries the SDP: the callee has its answer (with
    candidates) before the 200 OK goes out, but checks should follow it.
    """
    orig = RTCIceTransport.start

    async def patched(self, remoteParameters):
        await wait_file(go_file, deadline)
        log("go file seen, starting ICE checks")
        return await orig(self, remoteParameters)

    RTCIceTransport.start = patched


async def wait_file(path: str, deadline: float) -> None:
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {path}")
        await asyncio.sleep(0.05)


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


async def run(args) -> int:
    deadline = T0 + args.deadline
    servers = []
    if args.turn:
        servers.append(
            RTCIceServer(
                urls=args.turn, username=args.turn_user, credential=args.turn_pass
            )
        )
    config = RTCConfiguration(
        iceServers=servers,
        iceTransportPolicy=(
            RTCIceTransportPolicy.RELAY if args.relay_only else RTCIceTransportPolicy.ALL
        ),
    )
    pc = RTCPeerConnection(configuration=config)
    done = asyncio.Event()
    connected = asyncio.Event()
    sink = MediaBlackhole()
    states = {}

    def mark(path_name: str) -> None:
        if args.marks:
            write_atomic(os.path.join(args.marks, f"{NAME}.{path_name}"), "")

    @pc.on("connectionstatechange")
    async def on_conn():
        log(f"connectionState {pc.connectionState}")
        states.setdefault("connection", []).append(pc.connectionState)
        mark(pc.connectionState)
        if pc.connectionState == "connected":
            connected.set()
        if pc.connectionState in ("failed", "closed"):
            done.set()

    @pc.on("iceconnectionstatechange")
    async def on_ice():
        log(f"iceConnectionState {pc.iceConnectionState}")
        states.setdefault("ice", []).append(pc.iceConnectionState)
        mark("ice-" + pc.iceConnectionState)
        if pc.iceConnectionState in ("failed", "closed"):
            done.set()

    @pc.on("icegatheringstatechange")
    async def on_gather():
        log(f"iceGatheringState {pc.iceGatheringState}")

    @pc.on("track")
    def on_track(track):
        log(f"remote track {track.kind}")
        sink.addTrack(track)

    tone = ToneTrack(args.tone, args.amplitude)
    sig_offer = os.path.join(args.sig, "offer.sdp")
    sig_answer = os.path.join(args.sig, "answer.sdp")

    if args.role == "offer":
        pc.addTransceiver(tone, direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        write_atomic(sig_offer, pc.localDescription.sdp)
        log("offer written")
        await wait_file(sig_answer, deadline)
        with open(sig_answer) as f:
            answer = f.read()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        log("answer applied")
    else:
        await wait_file(sig_offer, deadline)
        with open(sig_offer) as f:
            offer = f.read()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        pc.addTrack(tone)
        await pc.setLocalDescription(await pc.createAnswer())
        write_atomic(sig_answer, pc.localDescription.sdp)
        log("answer written")

    await sink.start()

    async def until(ev: asyncio.Event) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            await asyncio.wait_for(ev.wait(), left)
            return True
        except asyncio.TimeoutError:
            return False

    # Wait for the session to come up (or fail).
    up_or_done = asyncio.Event()

    async def watch():
        waits = [asyncio.ensure_future(connected.wait()), asyncio.ensure_future(done.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        up_or_done.set()

    watcher = asyncio.ensure_future(watch())
    if args.give_up:
        give_up_at = min(deadline, T0 + args.give_up)
    else:
        give_up_at = deadline
    try:
        await asyncio.wait_for(up_or_done.wait(), max(0.0, give_up_at - time.monotonic()))
    except asyncio.TimeoutError:
        log("gave up waiting for the connection")
    watcher.cancel()

    if connected.is_set() and not done.is_set():
        if args.hold:
            # Keep the session until it fails by itself (consent expiry).
            log("connected; holding until the session fails")
            await until(done)
        else:
            log(f"connected; media for {args.media_seconds} s")
            try:
                await asyncio.wait_for(done.wait(), args.media_seconds)
            except asyncio.TimeoutError:
                pass

    log("closing")
    await sink.stop()
    await pc.close()
    # Histories, e.g. ice=checking,failed,closed
    print(f"connection={','.join(states.get('connection', ['new']))}")
    print(f"ice={','.join(states.get('ice', ['new']))}")
    print(f"connected={'yes' if connected.is_set() else 'no'}")
    return 0


def main() -> int:
    global NAME
    p = argparse.ArgumentParser()
    p.add_argument("--name", default="peer")
    p.add_argument("--role", choices=["offer", "answer"], required=True)
    p.add_argument("--sig", required=True, help="directory for offer.sdp / answer.sdp")
    p.add_argument("--marks", help="directory for state marker files")
    p.add_argument("--turn", help="turn:host:port URL")
    p.add_argument("--turn-user")
    p.add_argument("--turn-pass")
    p.add_argument("--relay-only", action="store_true")
    p.add_argument("--media-seconds", type=float, default=3.0)
    p.add_argument("--hold", action="store_true", help="stay up until the session fails")
    p.add_argument("--give-up", type=float, default=0, help="seconds to wait for connected")
    p.add_argument("--deadline", type=float, default=60)
    p.add_argument("--tone", type=float, default=440.0)
    p.add_argument("--amplitude", type=float, default=0.3, help="0 sends silence")
    p.add_argument("--go-file", help="wait for this file before starting ICE checks")
    p.add_argument(
        "--stun-retransmissions",
        type=int,
        help="aioice STUN retransmission count (default 6: last one at 31.5 s)",
    )
    p.add_argument("--consent-interval", type=float)
    p.add_argument("--opus-bitrate", type=int, default=32000)
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    NAME = args.name
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    force_dtls12()
    set_opus_bitrate(args.opus_bitrate)
    if args.go_file:
        gate_ice_start(args.go_file, T0 + args.deadline)
    if args.stun_retransmissions is not None:
        aioice.stun.RETRY_MAX = args.stun_retransmissions
    if args.consent_interval:
        aioice.ice.CONSENT_INTERVAL = args.consent_interval
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
