"""The peer for the API load benchmark: a python-socketio ASGI server under uvicorn — the
stack the SkySpy server the seed describes uses — publishing the same aircraft:update
payloads (recorded from `skyspy run` by record_deltas.py) at 10 Hz to every client, as that
server does (one shared delta for all clients, stamped with the send time).

    python peer_server.py DELTAS.jsonl PORT
"""
import asyncio
import json
import sys
import time

import socketio
import uvicorn

deltas = [json.loads(line) for line in open(sys.argv[1])]
port = int(sys.argv[2])
sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
app = socketio.ASGIApp(sio)


@sio.event
async def connect(sid, environ, auth=None):
    return True


async def publish():
    seq, i = 0, 0
    while True:
        await asyncio.sleep(0.1)
        d = dict(deltas[i % len(deltas)])
        i += 1
        seq += 1
        d["seq"] = seq
        d["timestamp"] = time.time() * 1000
        await sio.emit("aircraft:update", d)


async def main():
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(publish())
    await server.serve()
    task.cancel()


asyncio.run(main())
