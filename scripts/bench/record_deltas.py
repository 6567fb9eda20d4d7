"""Records N aircraft:update payloads from a running `skyspy run` (for peer_server.py).

    python record_deltas.py http://127.0.0.1:8080 100 OUT.jsonl
"""
import json
import sys
import threading

import socketio

url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
got, done = [], threading.Event()
sio = socketio.Client()


@sio.on("aircraft:update")
def update(data):
    if len(got) < n:
        got.append(data)
    if len(got) >= n:
        done.set()


sio.connect(url, transports=["websocket"])
done.wait(60)
sio.disconnect()
with open(out, "w") as f:
    for d in got:
        f.write(json.dumps(d) + "\n")
print(f"recorded {len(got)} deltas, mean {sum(len(json.dumps(d)) for d in got) // max(len(got), 1)} bytes")
