#!/usr/bin/env python3
"""aiortc peer(s) for the callscope sample captures.

Two of these run in two network namespaces and exchange SDP offers and
answers through files in a shared directory (offer.sdp, answer.sdp).  Each
session sends a synthetic audio tone (no media files), so the capture holds
real ICE, DTLS-SRTP and SRTP traffic from a real WebRTC stack.

With --sessions N one process runs N independent sessions (for the large
capture); session i then uses the sub-directory <sig>/<i> and the offerer
starts it after a random delay of up to --stagger seconds.

Everything is bounded in time: --deadline is a hard limit for each session,
counted from its start.  Events are logged to stderr with timestamps; the
final states are printed to stdout as key=value lines for the calling script.
"""

import argparse
import asyncio
import fractions
import logging
import math
import os
import random
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
    """48 kHz mono 20 ms frames of a sine tone, paced in real time.

    The frequency is rounded so that a frame holds whole periods: every frame
    is then the same PCM block, computed once.
    """

    kind = "audio"
    RATE = 48000
    SAMPLES = 960

    def __init__(self, freq: float, amplitude: float) -> None:
        super().__init__()
        periods = max(1, round(freq * self.SAMPLES / self.RATE))
        pcm = bytearray()
        for i in range(self.SAMPLES):
            v = int(amplitude * 32767 * math.sin(2 * math.pi * periods * i / self.SAMPLES))
            pcm += struct.pack("<h", v)
        self.pcm = bytes(pcm)
        self.pts = 0
        self.start = None

    async def recv(self):
        if self.readyState != "live":
            raise Exception("track ended")
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.pts / self.RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=self.SAMPLES)
        frame.planes[0].update(self.pcm)
        frame.sample_rate = self.RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, self.RATE)
        self.pts += self.SAMPLES
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


def never_start_ice() -> None:
    """Never start connectivity checks (the SDP is produced, ICE is not).

    aiortc starts ICE once both descriptions are set; this start waits
    forever instead, until the session closes.
    """

    async def patched(self, remoteParameters):
        log("ICE not started (--no-ice)")
        await asyncio.Event().wait()

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


async def run_session(args, idx: int, sig: str, tag: str) -> dict:
    start = time.monotonic()
    deadline = start + args.deadline
    give_up_at = min(deadline, start + args.give_up) if args.give_up else deadline
    servers = []
    if args.stun:
        servers.append(RTCIceServer(urls=args.stun))
    if args.turn:
        servers.append(
            RTCIceServer(urls=args.turn, username=args.turn_user, credential=args.turn_pass)
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
    states: dict = {}

    def slog(msg: str) -> None:
        log(f"{tag}{msg}")

    def mark(state: str) -> None:
        if args.marks:
            sfx = "" if args.sessions is None else f".{idx}"
            write_atomic(os.path.join(args.marks, f"{NAME}{sfx}.{state}"), "")

    @pc.on("connectionstatechange")
    async def on_conn():
        slog(f"connectionState {pc.connectionState}")
        states.setdefault("connection", []).append(pc.connectionState)
        mark(pc.connectionState)
        if pc.connectionState == "connected":
            connected.set()
        if pc.connectionState in ("failed", "closed"):
            done.set()

    @pc.on("iceconnectionstatechange")
    async def on_ice():
        slog(f"iceConnectionState {pc.iceConnectionState}")
        states.setdefault("ice", []).append(pc.iceConnectionState)
        mark("ice-" + pc.iceConnectionState)
        if pc.iceConnectionState in ("failed", "closed"):
            done.set()

    @pc.on("icegatheringstatechange")
    async def on_gather():
        slog(f"iceGatheringState {pc.iceGatheringState}")

    @pc.on("track")
    def on_track(track):
        slog(f"remote track {track.kind}")
        sink.addTrack(track)

    tone = ToneTrack(args.tone, args.amplitude)
    sig_offer = os.path.join(sig, "offer.sdp")
    sig_answer = os.path.join(sig, "answer.sdp")

    stopper = None
    try:
        if args.role == "offer":
            pc.addTransceiver(tone, direction="sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            write_atomic(sig_offer, pc.localDescription.sdp)
            slog("offer written")
            await wait_file(sig_answer, deadline)
            with open(sig_answer) as f:
                answer = f.read()
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            slog("answer applied")
        else:
            await wait_file(sig_offer, deadline)
            with open(sig_offer) as f:
                offer = f.read()
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            pc.addTrack(tone)
            await pc.setLocalDescription(await pc.createAnswer())
            write_atomic(sig_answer, pc.localDescription.sdp)
            slog("answer written")
        await sink.start()

        if args.stop_file:
            # The signalling ended the call (e.g. SIP BYE): close.
            async def watch_stop():
                while not os.path.exists(args.stop_file):
                    await asyncio.sleep(0.05)
                slog("stop file seen")
                done.set()

            stopper = asyncio.ensure_future(watch_stop())

        # Wait for the session to come up, fail, or the give-up time.
        waits = [asyncio.ensure_future(connected.wait()), asyncio.ensure_future(done.wait())]
        await asyncio.wait(
            waits,
            timeout=max(0.0, give_up_at - time.monotonic()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        for w in waits:
            w.cancel()
        if not connected.is_set() and not done.is_set():
            slog("gave up waiting for the connection")

        if connected.is_set() and not done.is_set():
            if args.hold:
                # Keep the session until it fails by itself (consent expiry).
                slog("connected; holding until the session fails")
                limit = deadline - time.monotonic()
            else:
                slog(f"connected; media for {args.media_seconds} s")
                limit = min(args.media_seconds, deadline - time.monotonic())
            try:
                await asyncio.wait_for(done.wait(), max(0.0, limit))
            except asyncio.TimeoutError:
                pass
    except TimeoutError as exc:
        slog(str(exc))
    finally:
        if stopper is not None:
            stopper.cancel()
        slog("closing")
        await sink.stop()
        await pc.close()
    return {
        "connection": ",".join(states.get("connection", ["new"])),
        "ice": ",".join(states.get("ice", ["new"])),
        "connected": "yes" if connected.is_set() else "no",
    }


async def run(args) -> int:
    if args.sessions is None:
        res = await run_session(args, 0, args.sig, "")
        # Histories, e.g. ice=checking,failed,closed
        for k, v in res.items():
            print(f"{k}={v}")
        return 0

    async def one(i: int):
        sig = os.path.join(args.sig, str(i))
        os.makedirs(sig, exist_ok=True)
        if args.role == "offer" and args.stagger:
            await asyncio.sleep(random.uniform(0, args.stagger))
        return await run_session(args, i, sig, f"[{i}] ")

    results = await asyncio.gather(
        *(one(i) for i in range(args.sessions)), return_exceptions=True
    )
    for i, res in enumerate(results):
        if isinstance(res, BaseException):
            print(f"session={i} error={type(res).__name__}:{res}")
        else:
            print(f"session={i} " + " ".join(f"{k}={v}" for k, v in res.items()))
    return 0


def main() -> int:
    global NAME
    p = argparse.ArgumentParser()
    p.add_argument("--name", default="peer")
    p.add_argument("--role", choices=["offer", "answer"], required=True)
    p.add_argument("--sig", required=True, help="directory for offer.sdp / answer.sdp")
    p.add_argument("--marks", help="directory for state marker files")
    p.add_argument("--stun", help="stun:host:port URL")
    p.add_argument("--turn", help="turn:host:port URL")
    p.add_argument("--turn-user")
    p.add_argument("--turn-pass")
    p.add_argument("--relay-only", action="store_true")
    p.add_argument("--media-seconds", type=float, default=3.0)
    p.add_argument("--hold", action="store_true", help="stay up until the session fails")
    p.add_argument("--give-up", type=float, default=0, help="seconds to wait for connected")
    p.add_argument("--deadline", type=float, default=60, help="hard limit per session")
    p.add_argument("--tone", type=float, default=400.0)
    p.add_argument("--amplitude", type=float, default=0.3, help="0 sends silence")
    p.add_argument("--go-file", help="wait for this file before starting ICE checks")
    p.add_argument("--stop-file", help="close the session when this file appears")
    p.add_argument("--no-ice", action="store_true", help="write the SDP but never start ICE")
    p.add_argument("--sessions", type=int, help="run N sessions, in <sig>/<i>")
    p.add_argument("--stagger", type=float, default=0)
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
    if args.no_ice:
        never_start_ice()
    elif args.go_file:
        gate_ice_start(args.go_file, T0 + args.deadline)
    if args.stun_retransmissions is not None:
        aioice.stun.RETRY_MAX = args.stun_retransmissions
    if args.consent_interval:
        aioice.ice.CONSENT_INTERVAL = args.consent_interval
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
