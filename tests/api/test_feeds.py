"""The ecosystem feeds, read by independent consumers: raw `*HEX;` lines and Beast binary
(parsed here from the format's description, checked with pyModeS), SBS/BaseStation lines,
dump978 raw lines from the simulated 978 MHz band, and the readsb-style JSON and Prometheus
metrics over HTTP."""

import json
import re
import socket
import time
import urllib.request

import pyModeS as pms

from conftest import free_port


def collect(port, seconds):
    """Everything a TCP consumer receives in `seconds`."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(0.5)
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
    return data


def beast_frames(data):
    """Beast binary → (type, 48-bit timestamp, signal, message bytes), unescaping 0x1a 0x1a."""
    frames, i = [], 0
    lengths = {0x31: 2, 0x32: 7, 0x33: 14}
    while i < len(data):
        if data[i] != 0x1A:
            i += 1
            continue
        kind = data[i + 1] if i + 1 < len(data) else None
        if kind not in lengths:
            i += 1
            continue
        body, j = bytearray(), i + 2
        need = 7 + lengths[kind]
        while len(body) < need and j < len(data):
            b = data[j]
            if b == 0x1A:
                if j + 1 < len(data) and data[j + 1] == 0x1A:
                    j += 1
                else:
                    break  # a new frame starts: this one was cut short
            body.append(b)
            j += 1
        if len(body) == need:
            frames.append((kind, int.from_bytes(body[:6], "big"), body[6], bytes(body[7:])))
        i = j
    return frames


def test_feeds_are_read_by_independent_consumers(daemon):
    ports = {name: free_port() for name in ("raw", "sbs", "beast", "uat_raw")}
    config = "[feeds]\n" + "".join(f'{k} = "127.0.0.1:{p}"\n' for k, p in ports.items())
    d = daemon(config=config)
    time.sleep(1.0)

    raw = collect(ports["raw"], 3).decode()
    lines = raw.splitlines()
    assert len(lines) > 50, raw[:500]
    assert all(re.fullmatch(r"\*([0-9A-F]{14}|[0-9A-F]{28});", l) for l in lines), lines[:5]
    es = [d for d in (pms.decode(l[1:-1]) for l in lines) if d["df"] in (17, 18)]
    assert es and all(d["crc_valid"] for d in es), "extended squitters pass their CRC"

    beast = beast_frames(collect(ports["beast"], 3))
    assert len(beast) > 50
    assert {k for k, *_ in beast} <= {0x32, 0x33}
    for kind, _, signal, msg in beast:
        assert len(msg) == (7 if kind == 0x32 else 14)
        assert 0 < signal <= 255
    decoded = [pms.decode(m.hex()) for k, _, _, m in beast if k == 0x33]
    long_es = [d for d in decoded if d["df"] in (17, 18)]
    assert long_es and all(d["crc_valid"] for d in long_es)
    icaos = {d["icao"] for d in long_es}
    # 12 MHz timestamps advance with the stream: 3 s of traffic spans about 36 M ticks.
    stamps = [t for _, t, _, _ in beast]
    span = (max(stamps) - min(stamps)) / 12e6
    assert 2.0 < span < 4.0, span

    sbs = collect(ports["sbs"], 3).decode()
    assert "\r\n" in sbs
    rows = [l.split(",") for l in sbs.strip().split("\r\n")]
    assert len(rows) > 50
    assert all(len(r) == 22 and r[0] == "MSG" and r[1] in "12345678" for r in rows), rows[:3]
    assert all(re.fullmatch(r"\d{4}/\d\d/\d\d", r[6]) and re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", r[7])
               for r in rows)
    positions = [r for r in rows if r[1] == "3" and r[14]]
    assert positions, "airborne positions with lat/lon"
    assert all(50 < float(r[14]) < 55 and 1 < float(r[15]) < 9 for r in positions)
    assert any(r[1] == "1" and r[10] for r in rows), "identification with a callsign"
    assert {r[4].lower() for r in rows} & {i.lower() for i in icaos}

    uat = collect(ports["uat_raw"], 3).decode().splitlines()
    assert len(uat) >= 10, uat
    pattern = r"([-][0-9a-f]{36}|[-][0-9a-f]{68}|[+][0-9a-f]{864});(rs=\d+;)?rssi=-?\d+\.\d;t=\d+\.\d{3};"
    assert all(re.fullmatch(pattern, l) for l in uat), uat[:3]
    assert any(l.startswith("+") for l in uat), "FIS-B uplinks"
    assert abs(float(uat[-1].split("t=")[1].rstrip(";")) - time.time()) < 5

    def get(path):
        with urllib.request.urlopen(d.url + path, timeout=5) as r:
            return r.headers.get("Content-Type"), r.read().decode()

    kind, body = get("/data/aircraft.json")
    assert kind.startswith("application/json")
    aircraft = json.loads(body)
    assert abs(aircraft["now"] - time.time()) < 5 and aircraft["messages"] > 100
    assert len(aircraft["aircraft"]) >= 40 and all("hex" in a for a in aircraft["aircraft"])
    receiver = json.loads(get("/data/receiver.json")[1])
    assert (receiver["lat"], receiver["lon"]) == (52.31, 4.76) and receiver["refresh"] == 1000
    stats = json.loads(get("/data/stats.json")[1])
    assert stats["aircraft_with_pos"] > 0 and len(stats["sources"]) == 4  # 1090, 978, VHF, VDL2
    kind, metrics = get("/metrics")
    assert kind.startswith("application/openmetrics-text")
    values = dict(re.findall(r"^(skyspy_[a-z_]+(?:\{[^}]*\})?) (\S+)$", metrics, re.M))
    assert float(values["skyspy_messages_total"]) > 100
    assert float(values["skyspy_aircraft"]) >= 40
    assert values['skyspy_sdr_healthy{band="1090",kind="simulator"}'] == "1"
    assert values['skyspy_sdr_healthy{band="978",kind="simulator"}'] == "1"
    assert values['skyspy_sdr_healthy{band="vhf",kind="simulator"}'] == "1"
    assert values['skyspy_sdr_healthy{band="vdl2",kind="simulator"}'] == "1"
    assert float(values["skyspy_rss_bytes"]) > 1e6
    assert metrics.rstrip().endswith("# EOF")


def test_a_feed_port_in_use_is_reported_and_the_rest_still_serves(daemon):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    raw_port = free_port()
    config = (f'[feeds]\nraw = "127.0.0.1:{raw_port}"\nsbs = "127.0.0.1:{taken.getsockname()[1]}"\n'
              'beast = ""\nuat_raw = ""\n')
    d = daemon(config=config)
    try:
        assert collect(raw_port, 1.5).startswith(b"*")
        assert "feed not started" in d.output() and "sbs" in d.output()
    finally:
        taken.close()


def beast(hex_msg, ts, signal=100):
    body = ts.to_bytes(6, "big") + bytes([signal]) + bytes.fromhex(hex_msg)
    kind = b"3" if len(hex_msg) == 28 else b"2"
    return b"\x1a" + kind + body.replace(b"\x1a", b"\x1a\x1a")


def test_beast_input_joins_the_picture(daemon):
    port = free_port()
    config = ("[simulator]\naircraft = 0\ncannonball = false\nuat_aircraft = 0\nfisb = false\n"
              f'[feeds]\nraw = ""\nsbs = ""\nbeast = ""\nuat_raw = ""\nbeast_in = "127.0.0.1:{port}"\n')
    d = daemon("--lat", "52.3", "--lon", "4.0", config=config)
    messages = [
        "8D4840D6202CC371C32CE0576098",  # KLM1023 identification
        "8D40621D58C382D690C8AC2863A7",  # position, even
        "8D40621D58C386435CC412692AD6",  # position, odd
        "8D485020994409940838175B284F",  # velocity
    ]
    damaged = bytearray.fromhex(messages[3])
    damaged[5] ^= 0x41  # two bits: beyond what a DF17 repair is allowed
    stream = b"garbage" + b"".join(beast(m, 12_000_000 * (i + 1)) for i, m in enumerate(messages))
    stream += beast(damaged.hex(), 60_000_000)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(stream[:13])
        time.sleep(0.2)
        s.sendall(stream[13:])

        def picture():
            with urllib.request.urlopen(d.url + "/data/aircraft.json", timeout=5) as r:
                return {a["hex"]: a for a in json.loads(r.read())["aircraft"]}
        deadline = time.time() + 10
        while time.time() < deadline and len(picture()) < 3:
            time.sleep(0.1)
        seen = picture()
    assert set(seen) == {"4840d6", "40621d", "485020"}, seen
    assert seen["4840d6"]["flight"].strip() == "KLM1023"
    # The odd frame came last, so the position is the odd one's (pyModeS: 52.26578, 3.93899).
    assert abs(seen["40621d"]["lat"] - 52.26578) < 1e-4 and abs(seen["40621d"]["lon"] - 3.93899) < 1e-4
    assert abs(seen["485020"]["gs"] - 159.2) < 1
    with urllib.request.urlopen(d.url + "/metrics", timeout=5) as r:
        metrics = r.read().decode()
    assert re.search(r"^skyspy_beast_in_messages_total 4$", metrics, re.M), metrics
    assert re.search(r"^skyspy_beast_in_rejected_total 1$", metrics, re.M)
