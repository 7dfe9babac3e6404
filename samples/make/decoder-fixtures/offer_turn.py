import asyncio
from aiortc import RTCPeerConnection, RTCConfiguration, RTCIceServer
async def main():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[
        RTCIceServer(urls="stun:127.0.0.1:3479"),
        RTCIceServer(urls="turn:127.0.0.1:3479?transport=udp", username="cs", credential="cspass")]))
    pc.addTransceiver("audio", direction="sendrecv")
    await pc.setLocalDescription(await pc.createOffer())
    print(pc.localDescription.sdp, end="")
    await pc.close()
asyncio.run(asyncio.wait_for(main(), 25))
