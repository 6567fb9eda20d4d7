"""Checks a booted SkySpy image through a forwarded port, with the stock python-socketio
client: /data/aircraft.json lists aircraft from the built-in simulator, and the Realtime API
sends an aircraft snapshot and answers a request.

    python check_api.py http://127.0.0.1:PORT [--wait SECONDS]
"""

import json
import sys
import threading
import time
import urllib.request

import socketio


def aircraft_json(url, wait):
    """Polls /data/aircraft.json until it lists aircraft (the simulator needs a few seconds
    of emulated time to put positions together)."""
    deadline = time.monotonic() + wait
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/data/aircraft.json", timeout=10) as r:
                last = json.load(r)
            if last.get("aircraft"):
                return last
        except OSError as e:
            last = repr(e)
        time.sleep(2)
    raise SystemExit(f"FAIL /data/aircraft.json lists no aircraft after {wait} s: {last!r:.300}")


def socket_io(url):
    sio = socketio.Client(reconnection=False)
    got = {}
    snapshot = threading.Event()

    @sio.on("aircraft:snapshot")
    def _snapshot(data):
        got["snapshot"] = data
        snapshot.set()

    # The first snapshot may come inside a `batch` with the stats tick the client is also
    # subscribed to by default (protocol.md, batching).
    @sio.on("batch")
    def _batch(data):
        for item in data.get("events", []):
            if item.get("event") == "aircraft:snapshot":
                _snapshot(item["data"])

    seen = []

    @sio.on("*")
    def _other(event, data):
        seen.append(event)

    sio.connect(url, transports=["websocket"], wait_timeout=30)
    if not snapshot.wait(30):
        raise SystemExit(f"FAIL no aircraft:snapshot within 30 s of connecting; other events: {seen[:20]}")
    reply = sio.call("request", {"type": "system-status", "request_id": "image"}, timeout=30)
    sio.disconnect()
    return got["snapshot"], reply


def main():
    url = sys.argv[1]
    wait = float(sys.argv[sys.argv.index("--wait") + 1]) if "--wait" in sys.argv else 180
    data = aircraft_json(url, wait)
    print(f"ok /data/aircraft.json: {len(data['aircraft'])} aircraft, {data.get('messages')} messages")
    snap, reply = socket_io(url)
    print(f"ok Socket.IO: aircraft:snapshot seq {snap['seq']} with {snap['count']} aircraft")
    status = (reply or {}).get("data") or {}
    if not status:
        raise SystemExit(f"FAIL system-status request answered {reply!r:.300}")
    print(f"ok Socket.IO request system-status: {json.dumps(status)[:160]}")


if __name__ == "__main__":
    main()
