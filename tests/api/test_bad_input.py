"""Bad input to the Realtime API: typed errors or a clean disconnect, never a panic, a hang,
a state change, or a cost to other clients."""

import json
import os
import resource
import socket
import subprocess
import time
import urllib.request

import websocket

from conftest import BIN, connect, light, request, wait_for


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def rate(mirror, seconds):
    n0 = len(mirror.named("aircraft:update"))
    time.sleep(seconds)
    return (len(mirror.named("aircraft:update")) - n0) / seconds


def test_wrong_types_missing_fields_unknown_events_and_topics(daemon):
    d = daemon("--simulate")
    sio, m = connect(d.url)
    try:
        before = sio.call("subscribe", {"topics": []})["topics"]
        bad = [
            ("subscribe", "aircraft"),
            ("subscribe", {"topics": 5}),
            ("subscribe", {"topics": [1, 2]}),
            ("subscribe", {}),
            ("subscribe", {"topics": "safety", "rates": {"aircraft": "fast"}}),
            ("unsubscribe", [1]),
            ("resync", {"topic": "weather"}),
            ("resync", {}),
            ("no-such-event", {"x": 1}),
        ]
        for event, payload in bad:
            sio.emit(event, payload)
        errors = wait_for(lambda: m.named("error") if len(m.named("error")) >= len(bad) else None)
        codes = [e["code"] for _, e, _ in errors]
        assert codes.count("unknown_type") == 1
        assert set(codes) <= {"invalid_payload", "invalid_params", "unknown_type"}
        messages = [e["message"] for _, e, _ in errors]
        assert "topics must be a string or an array of strings" in messages
        assert "topics[0] must be a string" in messages
        assert "rates.aircraft must be a positive number (Hz)" in messages
        # Nothing changed: the same topics, the stream still gap-free.
        assert sio.call("subscribe", {"topics": []})["topics"] == before
        assert sio.call("subscribe", {"topics": "nonsense"})["unknown"] == ["nonsense"]
        time.sleep(0.5)
        assert not m.gaps and sio.connected
    finally:
        sio.disconnect()


def test_two_megabyte_payload_closes_only_that_connection(daemon):
    d = daemon("--simulate")
    bystander, bm = connect(d.url)
    for transport in ("websocket", "polling-upgrade"):
        sio, m = connect(d.url, transport)
        try:
            sio.emit("request", {"type": "aircraft-info", "params": {"icao": "x" * (2 << 20)}})
        except Exception:
            pass  # the client may see the close while sending
        time.sleep(1.0)
        try:
            sio.disconnect()
        except Exception:
            pass
    assert not any(e["code"] == "internal" for _, e, _ in bm.named("error"))
    assert rate(bm, 2.0) >= 7.0, "the other client kept its 10 Hz stream"
    assert request(bystander, "system-status")["data"]["clients"] >= 1
    bystander.disconnect()


def test_ten_thousand_subscribes_in_a_burst(daemon):
    d = daemon("--simulate")
    bystander, bm = connect(d.url)
    sio, m = connect(d.url)
    rss0 = rss_kb(d.proc.pid)
    for _ in range(10_000):
        sio.emit("subscribe", {"topics": ["aircraft"]})
    time.sleep(2.0)
    subscribed = len(m.named("subscribed"))
    limited = [e for _, e, _ in m.named("error") if e["code"] == "rate_limited"]
    assert subscribed <= 60, "the token bucket admitted the burst plus the refill only"
    assert 1 <= len(limited) <= 5, "one rate_limited notice per second"
    assert rate(bm, 2.0) >= 7.0
    assert not bm.gaps
    assert rss_kb(d.proc.pid) - rss0 < 50_000, "memory stayed bounded"
    if sio.connected:
        sio.disconnect()
    bystander.disconnect()


def test_binary_garbage_on_the_socket(daemon):
    d = daemon("--simulate")
    bystander, bm = connect(d.url)
    rnd = os.urandom(64 << 10)
    # Raw WebSocket: valid Engine.IO handshake, then garbage frames of every kind.
    ws = websocket.create_connection(f"ws://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=5)
    assert ws.recv().startswith("0{")
    ws.send("40")
    for frame in (rnd, rnd[:7], b"\xff\xfe", "4" + "\u0000" * 100, "42[", '42["request",{]',
                  "49garbage", "6" * 1000):
        try:
            if isinstance(frame, bytes):
                ws.send_binary(frame)
            else:
                ws.send(frame)
        except Exception:
            break
    ws.close()
    # Raw TCP garbage at the HTTP port.
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
        s.sendall(rnd)
        s.settimeout(2)
        try:
            s.recv(1024)
        except OSError:
            pass
    # Polling transport with a garbage body.
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        "--data-binary", "@-",
                        f"http://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=polling&sid=nope"],
                       input=rnd, capture_output=True)
    assert r.stdout.decode() in ("400", "404", "413"), r.stdout
    assert rate(bm, 2.0) >= 7.0
    assert all(s["healthy"] for s in request(bystander, "receiver-info")["data"]["sources"])
    bystander.disconnect()


def test_silent_client_is_dropped_by_the_heartbeat(daemon):
    d = daemon("--simulate", config="[api]\nping_interval_s = 1\nping_timeout_s = 1\n")
    ws = websocket.create_connection(f"ws://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=10)
    assert '"pingInterval":1000' in ws.recv()
    ws.send("40")
    sio, m = connect(d.url)  # a stock client answers pings and stays
    t0 = time.monotonic()
    closed = None
    while time.monotonic() - t0 < 8:
        try:
            ws.recv()  # read, but never answer a ping
        except Exception:
            closed = time.monotonic() - t0
            break
    assert closed is not None and closed < 4.0, closed
    time.sleep(1.0)
    assert sio.connected
    assert request(sio, "system-status")["data"]["clients"] == 1
    sio.disconnect()


def test_stalled_client_costs_others_nothing_and_resumes_from_a_snapshot(daemon):
    d = daemon("--simulate", "--aircraft", "300", config="[api]\nclient_queue = 16\n")
    bystander, bm = connect(d.url)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", d.port))
    ws = websocket.WebSocket()
    ws.connect(f"ws://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=websocket", socket=s, timeout=10)
    ws.recv()
    ws.send("40")
    # A client may send events only once the namespace connect is answered (an event before
    # that is a protocol error and closes the connection).
    while not ws.recv().startswith("40"):
        pass
    rss0 = rss_kb(d.proc.pid)
    # Stall: read nothing while 300 aircraft stream at 10 Hz, and ask for the whole picture
    # in one response (within the inbound limit) so the kernel's socket buffers, which grow
    # to 4 MB, fill within seconds (a resync's snapshot comes in pieces at the client's
    # rate, which a stalled client's buffers absorb for longer than this test).
    for _ in range(100):
        ws.send('42["request",{"type":"aircraft-snapshot","request_id":"s"}]')
        time.sleep(0.12)
    assert rate(bm, 2.0) >= 7.0, "the bystander kept its rate"
    status = request(bystander, "system-status")["data"]
    assert status["clients"] == 2
    assert status["sends_refused"] > 0, "the stalled client's queue filled"
    grown = rss_kb(d.proc.pid) - rss0
    assert grown < 30_000, f"memory grew {grown} kB for a stalled client"
    # Resume reading: the stream continues with a snapshot, seq without a gap.
    seqs, kinds = [], []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "aircraft:snapshot" not in kinds[1:]:
        msg = ws.recv()
        if msg == "2":
            ws.send("3")
        elif msg.startswith("42["):
            # Aircraft messages come alone or inside a `batch` with the stats tick the client
            # is also subscribed to by default; both carry seq.
            event, data = json.loads(msg[2:])
            items = data["events"] if event == "batch" else [{"event": event, "data": data}]
            for item in items:
                if item["event"].startswith("aircraft:"):
                    kinds.append(item["event"])
                    seqs.append(item["data"]["seq"])
    ws.close()
    assert "aircraft:snapshot" in kinds[1:], kinds[:20]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq gap-free across the stall"
    bystander.disconnect()


# 1090 MHz only: these tests measure the API under abuse, not the radios' CPU.
LIGHT = light(20)


def more_files(n):
    """Raises this process's open-files limit to at least `n` (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def engineio_socket(port):
    """A raw WebSocket client past the Engine.IO handshake and the Socket.IO connect."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0{")
    ws.send("40")
    return ws


def metric(d, name):
    with urllib.request.urlopen(d.url + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no {name}")


def test_sigterm_with_a_thousand_clients_connected_exits_within_two_seconds(daemon):
    more_files(4096)
    d = daemon("--simulate", config=LIGHT + "[api]\nmax_connections_per_ip = 2000\n")
    python_clients = [connect(d.url)[0] for _ in range(3)]
    sockets = [engineio_socket(d.port) for _ in range(1000)]
    wait_for(lambda: metric(d, "skyspy_api_clients") >= 1003, timeout=20)
    t0 = time.monotonic()
    d.stop()  # asserts exit code 0 and no panic in the log
    took = time.monotonic() - t0
    print(f"SIGTERM with 1,003 clients: exit in {took * 1000:.0f} ms")
    assert took < 2.0, f"exit took {took:.2f} s"
    for c in python_clients:
        try:
            c.disconnect()
        except Exception:
            pass
    for ws in sockets:
        ws.close()


def test_one_address_opening_two_thousand_connections_is_held_to_its_limit(daemon):
    """The flood comes from 127.0.0.2; the bystander on 127.0.0.1 keeps its 10 Hz."""
    more_files(4096)
    d = daemon("--simulate", config=LIGHT + "[api]\nmax_connections_per_ip = 50\n")
    bystander, bm = connect(d.url)
    flood = []
    try:
        for _ in range(2000):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", d.port))
            flood.append(s)
        wait_for(lambda: metric(d, "skyspy_api_connections_refused_total") >= 1950, timeout=20)
        assert metric(d, "skyspy_api_connections_refused_total") == 1950
        time.sleep(0.5)
        still_open = 0
        for s in flood:
            s.setblocking(False)
            try:
                if s.recv(1) != b"":
                    still_open += 1
            except BlockingIOError:
                still_open += 1
            except ConnectionResetError:
                pass
        assert still_open == 50, f"{still_open} of the flood's connections kept open"
        kept = rate(bm, 2.0)
        print(f"flood: {still_open} of 2,000 open; the bystander got {kept:.1f} updates/s")
        assert kept >= 7.0, "the bystander kept its 10 Hz stream"
        assert not bm.gaps
        # Another address is not affected; the flooding one gets its slots back as it closes.
        other, _ = connect(d.url)
        other.disconnect()
    finally:
        for s in flood:
            s.close()
    bystander.disconnect()


def test_a_client_sending_one_megabyte_frames_in_a_loop_costs_others_nothing(daemon):
    d = daemon("--simulate", config=LIGHT)
    bystander, bm = connect(d.url)
    rss0 = rss_kb(d.proc.pid)
    ws = engineio_socket(d.port)
    # Just under the 1 MB packet limit: each is read, parsed and refused (invalid_params, then
    # rate_limited), none closes the connection.
    frame = '42["request",{"type":"aircraft-info","request_id":"big","params":{"icao":"' + \
        "x" * 1_000_000 + '"}}]'
    sent = 0
    n0 = len(bm.named("aircraft:update"))
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5.0:
        ws.send(frame)
        sent += 1
    elapsed = time.monotonic() - t0
    got = (len(bm.named("aircraft:update")) - n0) / elapsed
    print(f"1 MB frames: {sent} in {elapsed:.1f} s; the bystander got {got:.1f} updates/s")
    assert sent >= 20, f"only {sent} frames sent in 5 s"
    assert got >= 7.0, f"the bystander got {got:.1f} updates/s while {sent} MB came in"
    assert not bm.gaps
    assert rss_kb(d.proc.pid) - rss0 < 100_000, "memory stayed bounded"
    ws.close()
    assert request(bystander, "system-status")["data"]["clients"] >= 1
    bystander.disconnect()


def test_bad_config_exits_64_with_the_key_named(tmp_path):
    cfg = tmp_path / "bad.toml"
    for text, key in (("[api]\nauth = \"secret\"\n", "auth"),
                      ("[receiver]\nlat = 91\n", "receiver.lat"),
                      ("[nonsense]\n", "nonsense"),
                      ("[api\n", "")):
        cfg.write_text(text)
        r = subprocess.run([BIN, "run", "--config", str(cfg)], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 64, (text, r.returncode, r.stderr)
        assert key in r.stderr, r.stderr
    r = subprocess.run([BIN, "run", "--config", str(tmp_path / "missing.toml")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 64 and "missing.toml" in r.stderr


def test_a_missing_dongle_leaves_the_band_unhealthy_and_the_api_serving(daemon):
    """`source.kind = "rtlsdr"` on a machine without a dongle (CI has none): the daemon starts,
    serves, and reports the 1090 band unhealthy with the reason while it keeps retrying."""
    d = daemon(config='[source]\nkind = "rtlsdr"\n')
    sio, _ = connect(d.url)
    try:
        def failed():
            sources = request(sio, "receiver-info")["data"]["sources"]
            return sources if sources and sources[0]["error"] else None
        sources = wait_for(failed, timeout=10)
        assert [(s["band"], s["kind"], s["healthy"]) for s in sources] == [
            ("1090", "rtlsdr", False)]
        assert "RTL-SDR" in sources[0]["error"] and "retrying" in sources[0]["error"], sources
        assert request(sio, "aircraft-snapshot")["data"]["count"] == 0
    finally:
        sio.disconnect()
