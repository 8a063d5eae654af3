"""An independent WebSocket peer (the Python `websockets` package) for tests/ws_interop.rs.

    python3 peer.py server          echo server on 127.0.0.1, prints "PORT <n>" when ready
    python3 peer.py client URL      drives a tulipa echo server, prints "OK" at the end

Server commands (text messages): "fragment" -> a message sent as three fragments;
"close:CODE:REASON" -> the server closes with that code and reason. Everything else is
echoed. Both modes stop by themselves (30 s limit).
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def handler(ws):
    try:
        async for msg in ws:
            if msg == "fragment":
                await ws.send(["frag", "ment", "ed ✓"])
            elif isinstance(msg, str) and msg.startswith("close:"):
                _, code, reason = msg.split(":", 2)
                await ws.close(int(code), reason)
                return
            else:
                await ws.send(msg)
    except ConnectionClosed:
        pass


async def run_server():
    async with serve(handler, "127.0.0.1", 0, max_size=1 << 23) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        # The test kills us; this bounds a forgotten server.
        await asyncio.sleep(30)


def check(cond, what):
    if not cond:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)


async def run_client(url):
    async with connect(url, max_size=1 << 23) as ws:
        await ws.send("héllo")
        check(await ws.recv() == "héllo", "text echo")
        await ws.send(b"\x00\x01\xff")
        check(await ws.recv() == b"\x00\x01\xff", "binary echo")
        big = bytes(i % 251 for i in range(1 << 20))
        await ws.send(big)
        check(await ws.recv() == big, "1 MiB echo")
        # Fragmented by the Python client; tulipa reassembles and echoes it whole.
        await ws.send(["α", "β", "γ"])
        check(await ws.recv() == "αβγ", "fragmented echo")
        pong = await ws.ping(b"hi")
        await asyncio.wait_for(pong, 5)
        await ws.close(4002, "python done")
        check(ws.close_code == 4002, f"close code echoed ({ws.close_code})")
    print("OK", flush=True)


async def main():
    if sys.argv[1] == "server":
        await run_server()
    else:
        await asyncio.wait_for(run_client(sys.argv[2]), 30)


asyncio.run(main())
