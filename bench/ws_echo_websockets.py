"""WebSocket echo server on Python websockets 10.4 (python3-websockets), the Python peer of the
idle-memory figure of bench/run.sh ws: default settings (permessage-deflate offered to clients
that ask, as websockets.serve does), or none with --no-compression.

usage: /usr/bin/python3 ws_echo_websockets.py PORT [--no-compression]"""
import asyncio
import resource
import sys

import websockets


async def echo(websocket, path=None):
    try:
        async for message in websocket:
            await websocket.send(message)
    except websockets.ConnectionClosed:  # the probe drops its connections without a close
        pass


async def main(port, compression):
    # backlog: the probe opens thousands of connections at once (only start-up is faster)
    async with websockets.serve(echo, "127.0.0.1", port, compression=compression, backlog=4096):
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(main(int(sys.argv[1]), None if "--no-compression" in sys.argv[2:] else "deflate"))
    except KeyboardInterrupt:
        pass
