"""Fixtures for the Realtime API conformance tests: the real `skyspy run` binary on a free
port, driven by the stock python-socketio client.

The binary is target/release/skyspy (built by `cargo test --release` before this suite);
SKYSPY_BIN overrides it.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import socketio

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SKYSPY_BIN", str(ROOT / "target" / "release" / "skyspy"))
TOKEN = "test-token-0123456789"
TRANSPORTS = {"polling-upgrade": ["polling", "websocket"], "websocket": ["websocket"]}


def light(aircraft=5):
    """Simulator settings for a test about the API rather than the radio: a few 1090 MHz
    aircraft and no other band (the VHF simulators alone take most of a core)."""
    return (f"[simulator]\naircraft = {aircraft}\nuat_aircraft = 0\nfisb = false\nvhf = false\n"
            "vdl2 = false\ncannonball = false\n")


LIGHT = light()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One `skyspy run` process; stopped with SIGTERM, which must exit 0 promptly."""

    def __init__(self, tmp: Path, args=(), config: str = "", env=None, prefix=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        cfg = tmp / f"skyspy-{self.port}.toml"
        cfg.write_text(config)
        self.log = open(tmp / f"skyspy-{self.port}.log", "w+")
        cmd = [BIN, "run", "--config", str(cfg), "--listen", f"127.0.0.1:{self.port}"]
        if "--rules-file" not in args:
            cmd += ["--rules-file", str(tmp / f"rules-{self.port}.json")]
        self.proc = subprocess.Popen([*prefix, *cmd, *args], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=None if env is None else {**os.environ, **env})
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"skyspy exited with {self.proc.returncode}: {self.output()}")
            # Serving, not just listening: the API socket is bound before the daemon starts
            # (so a port in use fails fast), and answers once the feeds are up too.
            try:
                with urllib.request.urlopen(self.url + "/data/receiver.json", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # 401 in private mode: serving all the same
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("skyspy did not start listening")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("skyspy did not stop within 10 s of SIGTERM")
            assert code == 0, f"exit code {code}: {self.output()[-2000:]}"
        assert "panicked" not in self.output(), self.output()[-3000:]


@pytest.fixture
def daemon(tmp_path):
    started = []

    def start(*args, config="", env=None, prefix=()):
        d = Daemon(tmp_path, args, config, env, prefix)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


@pytest.fixture(scope="session")
def replay_file(tmp_path_factory):
    """Eight seconds of simulated traffic (cu8, 2.4 MS/s) for deterministic replays."""
    path = tmp_path_factory.mktemp("iq") / "traffic.cu8"
    subprocess.run(
        [BIN, "simulate", str(path), "--seconds", "8", "--aircraft", "40", "--seed", "7",
         "--lat", "52.31", "--lon", "4.76"],
        check=True, capture_output=True)
    return path


# Every Mirror made during a test; the autouse fixture below fails the test if any of them
# saw a protocol violation in the client's callback thread (where python-engineio catches and
# only logs exceptions, so an assert there could never fail a test by itself).
_MIRRORS = []


@pytest.fixture(autouse=True)
def callback_failures_fail_the_test():
    _MIRRORS.clear()
    yield
    failures = [f for m in _MIRRORS for f in m.failures]
    _MIRRORS.clear()
    assert not failures, "in the client's callback thread:\n" + "\n".join(failures[:5])


class Mirror:
    """A client's copy of the aircraft picture, kept the way protocol.md says: snapshot,
    then deltas whose `seq` rises by exactly one; `batch` events are unwrapped in order.
    A violation seen in the callback thread is recorded in `failures` and re-raised in the
    test by the autouse fixture above."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = {}
        self.seq = None
        self.gaps = []
        self.events = []  # (arrival time, event, data, batched)
        self.batches = []
        self.failures = []
        _MIRRORS.append(self)

    def on_event(self, event, data, batched=False):
        with self.lock:
            try:
                self._on_event(event, data)
            except Exception as e:  # recorded here, raised in the test body
                self.failures.append(f"{event}: {type(e).__name__}: {e}")

    def _on_event(self, event, data):
        self.events.append((time.monotonic(), event, data, False))
        if event == "batch":
            self.batches.append(data)
            for item in data["events"]:
                self._apply(item["event"], item["data"])
                self.events.append((time.monotonic(), item["event"], item["data"], True))
        else:
            self._apply(event, data)

    def _apply(self, event, data):
        if event == "aircraft:snapshot":
            self._check_seq(data["seq"])
            self.state = {a["hex"]: dict(a) for a in data["aircraft"]}
            assert data["count"] == len(data["aircraft"]), "snapshot count"
        elif event == "aircraft:update":
            self._check_seq(data["seq"])
            assert data["type"] == "delta", f"update type {data['type']!r}"
            for hex_ in data["removed"]:
                self.state.pop(hex_, None)
            for a in data["added"]:
                self.state[a["hex"]] = dict(a)
            for u in data["updated"]:
                assert u["hex"] in self.state, f"update for {u['hex']}, which the client does not have"
                rec = self.state[u["hex"]]
                for k, v in u.items():
                    if v is None:
                        rec.pop(k, None)
                    else:
                        rec[k] = v

    def _check_seq(self, seq):
        if self.seq is not None and seq != self.seq + 1:
            self.gaps.append((self.seq, seq))
        self.seq = seq

    def named(self, event):
        with self.lock:
            return [(t, d, b) for t, e, d, b in self.events if e == event]


def connect(url, transport="websocket", namespace="/", auth=None, mirror=None):
    """A python-socketio client with every event recorded in a Mirror."""
    mirror = mirror or Mirror()
    sio = socketio.Client(reconnection=False)

    @sio.on("*", namespace=namespace)
    def _any(event, data=None):
        mirror.on_event(event, data)

    sio.connect(url, transports=TRANSPORTS[transport], namespaces=[namespace], auth=auth,
                wait_timeout=10)
    return sio, mirror


def wait_for(pred, timeout=10.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def request(sio, type_, params=None, namespace="/", timeout=10):
    """A request with an ack; returns the response (or error) object."""
    payload = {"type": type_, "request_id": f"r-{type_}-{time.monotonic_ns()}"}
    if params is not None:
        payload["params"] = params
    return sio.call("request", payload, namespace=namespace, timeout=timeout)


def dumps(x):
    return json.dumps(x, sort_keys=True)
