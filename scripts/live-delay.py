#!/usr/bin/env python3
"""Live listening's delay, server side: runs `skyspy run` with the simulator, listens to its
four voice channels over /audio (python-socketio, as in tests/api), and for each transmission
measures how long after its first carrier (`started_at`, the wall clock the core gives it)
its first `audio:live` frame reached the client. The page adds its 150 ms playback buffer.
It also prints the clips' size: the store's `memory_bytes` (the `stats` request) over the
transmissions' summed `duration_ms`, against the 128 kbit/s of 8 kHz 16-bit WAV.

    .venv/bin/python scripts/live-delay.py [SECONDS]
"""
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import socketio

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 90.0
PORT = 18098
BIN = Path(__file__).resolve().parents[1] / "target" / "release" / "skyspy"
cfg = tempfile.NamedTemporaryFile('w', suffix='.toml', delete=False)
cfg.write("[simulator]\nemergency = false\nvdl2 = false\naircraft = 10\nuat_aircraft = 0\n"); cfg.close()
p = subprocess.Popen([str(BIN), "run", "--config", cfg.name, "--listen", f"127.0.0.1:{PORT}", "--rules-file", cfg.name + ".rules.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(3)
sio = socketio.Client()
starts = {}   # frequency -> list of first-chunk arrival times (ms) after a silence
last = {}
tx = []
lock = threading.Lock()
@sio.on("audio:live", namespace="/audio")
def live(d):
    now = time.time() * 1000
    with lock:
        f = d["frequency"]
        if f not in last or now - last[f] > 700:
            starts.setdefault(f, []).append(now)
        last[f] = now
@sio.on("audio:transmission", namespace="/audio")
def t(d):
    with lock: tx.append(d)
sio.connect(f"http://127.0.0.1:{PORT}", namespaces=["/audio"], transports=["websocket"])
time.sleep(2)
for f in (129.805, 129.81, 130.6, 130.95):
    sio.call("listen", {"frequency": f, "on": True}, namespace="/audio")
time.sleep(SECONDS)
delays = []
with lock:
    for d in tx:
        c = [a for a in starts.get(d["frequency"], []) if 0 <= a - d["started_at"] < 2000]
        if c: delays.append(min(c) - d["started_at"])
delays.sort()
print(len(tx), "transmissions;", len(delays), "matched; first live audio after the first carrier (ms): min %.0f median %.0f max %.0f" % (delays[0], delays[len(delays)//2], delays[-1]))
stats = sio.call("request", {"type": "stats", "request_id": "s"}, namespace="/audio")["data"]
seconds = sum(d["duration_ms"] for d in tx) / 1000
if stats["stored"] == len(tx) and seconds > 0:
    kbit = stats["memory_bytes"] * 8 / seconds / 1000
    print("clips: %d bytes for %.1f s of audio: %.1f kbit/s, %.0f %% of WAV"
          % (stats["memory_bytes"], seconds, kbit, 100 * kbit / 128))
sio.disconnect(); p.terminate(); p.wait()
