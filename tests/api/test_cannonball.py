"""/cannonball against the real daemon: the simulator flies the cannonball scenario (a police
helicopter circling near a road, a police aircraft flying a grid, an air-ambulance helicopter,
an airliner along the road, distant traffic) at 8x real time through the real receive chain,
and a python-socketio client drives a car along the road, checking levels, patterns,
distances and bearings against the scenario's truth (`skyspy simulate --scenario`), alerts
once each, per-session isolation, the position rate limit and bad payloads.
"""

import json
import math
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, connect, wait_for

LAT, LON = 52.31, 4.76
SPEED = 8.0  # the simulator's speed: stream seconds per wall second
CONFIG = f"""
[receiver]
lat = {LAT}
lon = {LON}
[simulator]
speed = {SPEED}
uat_aircraft = 0
fisb = false
vhf = false
vdl2 = false
emergency = false
aircraft = 20
"""
NS = "/cannonball"


def local(lat, lon):
    """nm east and north of the receiver (the scenario's flat-earth frame)."""
    return ((lon - LON) * 60 * math.cos(math.radians(LAT)), (lat - LAT) * 60)


def at(x, y):
    return LAT + y / 60, LON + x / (60 * math.cos(math.radians(LAT)))


def haversine_nm(a, b):
    (la1, lo1), (la2, lo2) = [(math.radians(p[0]), math.radians(p[1])) for p in (a, b)]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 3440.065 * math.asin(math.sqrt(h))


def bearing_deg(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return math.degrees(math.atan2(y, x)) % 360


def angle_diff(a, b):
    return abs((a - b + 180) % 360 - 180)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cannonball")
    subprocess.run([BIN, "simulate", str(tmp / "x.cu8"), "--seconds", "0.01", "--scenario",
                    str(tmp / "scenario.json"), "--lat", str(LAT), "--lon", str(LON)],
                   check=True, capture_output=True)
    roles = json.loads((tmp / "scenario.json").read_text())
    return {r["name"]: r for r in roles}


@pytest.fixture(scope="module")
def cannonball_daemon(tmp_path_factory):
    from conftest import Daemon
    d = Daemon(tmp_path_factory.mktemp("cannonball-daemon"), ("--simulate",), CONFIG)
    yield d
    d.stop()


def threat_lists(m):
    return [d for _, e, d, _ in list(m.events) if e in ("threats", "threat_update")]


def test_a_car_on_the_road_sees_police_helicopter_and_grid_search_as_the_truth_says(
        scenario, cannonball_daemon):
    d = cannonball_daemon
    heli, grid = scenario["police_helicopter"], scenario["police_grid"]
    ambulance, airliner = scenario["ambulance_helicopter"], scenario["airliner"]
    orbit = heli["path"]["orbit"]
    sio, m = connect(d.url, namespace=NS)
    try:
        started = wait_for(lambda: m.named("session_started"))[0][1]
        assert started["radius_nm"] == 25
        # The car drives east along the road at 40 kt (in the simulator's time), from 1 nm
        # west of the receiver; a fix every 0.3 s of wall time.
        t0, sent, checked = time.time(), [], 0
        patterns = {}
        # Until both patterns show (about 45 s at a true 8x; the deadline leaves room for a
        # slow machine, where the simulator falls behind its speed and the picture's clock
        # follows it: a few minutes of wall time at 2x).
        while time.time() - t0 < 420 and not {"circling", "grid_search"} <= set(patterns.values()):
            stream_s = (time.time() - t0) * SPEED
            x = -1.0 + 40 * stream_s / 3600
            car = at(x, 0.0)
            sio.emit("position_update", {"lat": car[0], "lon": car[1], "heading": 90, "speed": 40},
                     namespace=NS)
            sent.append(car)
            time.sleep(0.3)
            latest = threat_lists(m)
            for t in latest[-1]["data"] if latest else []:
                patterns[t["hex"]] = t["pattern"]
        lists = threat_lists(m)
        assert lists, "no threats pushed"
        for payload in lists:
            car = (payload["position"]["lat"], payload["position"]["lon"])
            assert payload["count"] == len(payload["data"])
            for t in payload["data"]:
                ac = (t["lat"], t["lon"])
                # Distances and bearings are the car's to the aircraft's reported position.
                assert abs(t["distance_nm"] - haversine_nm(car, ac)) < 0.02, t
                if t["distance_nm"] > 0.1:  # positions are rounded to ~1 m
                    assert angle_diff(t["bearing"], bearing_deg(car, ac)) < 1.0, t
                    assert angle_diff(t["relative_bearing"], t["bearing"] - 90) < 0.2, t
                assert t["hex"] not in airliner["addresses"], "an airliner is not a threat"
                if t["hex"] in heli["addresses"]:
                    # On its orbit, as the generator flies it.
                    cx, cy = orbit["centre_nm"]
                    hx, hy = local(*ac)
                    assert abs(math.hypot(hx - cx, hy - cy) - orbit["radius_nm"]) < 0.1, (hx, hy)
                    assert t["is_law_enforcement"] and t["is_helicopter"]
                    assert t["registration"] == "PH-PXA" and t["aircraft_type"] == "EC35"
                    want = "critical" if t["distance_nm"] <= 2 else "warning" if t["distance_nm"] <= 5 else "info"
                    assert t["threat_level"] == want, t
                    assert t["confidence"] >= 0.9 and t["reasons"]
                    checked += 1
                elif t["hex"] in grid["addresses"]:
                    assert t["is_law_enforcement"] and not t["is_helicopter"]
                    want = "critical" if t["distance_nm"] <= 2 else "warning" if t["distance_nm"] <= 5 else "info"
                    assert t["threat_level"] == want, t
                elif t["hex"] in ambulance["addresses"]:
                    assert t["is_helicopter"] and not t["is_law_enforcement"]
                    # An EC135: a helicopter (warning within 3 nm) of a type flown for
                    # surveillance work (warning within 5 nm).
                    surveillance = any("surveillance" in r for r in t["reasons"])
                    want = "warning" if t["distance_nm"] <= (5 if surveillance else 3) else "info"
                    assert t["threat_level"] == want, t
        assert checked > 20, "the police helicopter was seen"
        hx = heli["addresses"][0]
        assert patterns.get(hx) == "circling", patterns
        assert any(patterns.get(a) == "grid_search" for a in grid["addresses"]), patterns
        # Alerts: once per aircraft and kind.
        alerts = [(d["kind"], d["threat"]["hex"]) for _, e, d, _ in list(m.events) if e == "new_alert"]
        assert len(alerts) == len(set(alerts)), alerts
        assert ("le_detected", hx) in alerts and ("pattern_detected", hx) in alerts
        assert not any(h in airliner["addresses"] or (k == "le_detected" and h in ambulance["addresses"])
                       for k, h in alerts), alerts
    finally:
        sio.disconnect()


def test_sessions_are_isolated_and_the_radius_is_clamped(cannonball_daemon):
    d = cannonball_daemon
    near, mn = connect(d.url, namespace=NS)
    far, mf = connect(d.url, namespace=NS)
    try:
        far_pos = at(-60.0, 0.0)
        far.emit("position_update", {"lat": far_pos[0], "lon": far_pos[1]}, namespace=NS)

        def near_list():
            # Until the scenario's aircraft have positions (a fresh daemon needs a few s).
            near.emit("position_update", {"lat": LAT, "lon": LON}, namespace=NS)
            time.sleep(0.5)
            return [d for _, d, _ in mn.named("threats") if d["count"] > 0]
        near_threats = wait_for(near_list, timeout=30)[-1]
        far_threats = wait_for(lambda: mf.named("threats"))[-1][1]
        assert near_threats["count"] > 0
        assert far_threats["count"] == 0, "60 nm away, 25 nm radius"
        assert (far_threats["position"]["lat"], far_threats["position"]["lon"]) == far_pos
        assert near_threats["position"]["lat"] == LAT
        # Without an ack, the answer is the protocol's event.
        far.emit("set_radius", {"radius_nm": 40}, namespace=NS)
        assert [d for _, d, _ in wait_for(lambda: mf.named("radius_updated"))] == [{"radius_nm": 40}]
        assert far.call("set_radius", {"radius_nm": 500}, namespace=NS) == {"radius_nm": 100}
        far.emit("get_threats", {}, namespace=NS)
        assert wait_for(lambda: mf.named("threats")[1:])[-1][1]["count"] > 0
        near.emit("get_threats", {}, namespace=NS)
        again = wait_for(lambda: mn.named("threats")[1:])[-1][1]
        assert again["radius_nm"] == 25, "the other session's radius is its own"
        assert near.call("set_radius", {"radius_nm": 0.1}, namespace=NS) == {"radius_nm": 1}
    finally:
        near.disconnect()
        far.disconnect()


def test_position_updates_are_rate_limited_and_bad_payloads_change_nothing(cannonball_daemon):
    d = cannonball_daemon
    sio, m = connect(d.url, namespace=NS)
    try:
        for i in range(30):
            sio.emit("position_update", {"lat": LAT, "lon": LON + i * 1e-4}, namespace=NS)
        time.sleep(1.0)
        replies = m.named("threats")
        assert 5 <= len(replies) <= 10, f"{len(replies)} of 30 in a burst answered (5/s)"
        metrics = urllib.request.urlopen(d.url + "/metrics", timeout=5).read().decode()
        dropped = [l for l in metrics.splitlines() if l.startswith("skyspy_cannonball_position_dropped_total")]
        assert dropped and float(dropped[0].split()[-1]) >= 20, dropped
        last = replies[-1][1]["position"]
        time.sleep(1.0)
        for bad, field in [({"lat": "north", "lon": 4.7}, "lat"), ({"lat": 52.0}, "lon"),
                           ({"lat": 52.0, "lon": 4.7, "heading": 720}, "heading"),
                           ({"lat": 52.0, "lon": 4.7, "speed": -1}, "speed"), ([1, 2], "lat")]:
            before = len(m.named("error"))
            sio.emit("position_update", bad, namespace=NS)
            err = wait_for(lambda: m.named("error")[before:])[0][1]
            assert err["code"] == "invalid_params" and field in err["message"], err
            time.sleep(0.25)
        assert sio.connected
        sio.emit("get_threats", {}, namespace=NS)
        n = len(m.named("threats"))
        now = wait_for(lambda: m.named("threats")[n:])[-1][1]
        assert now["position"] == last, "no state change"
        before = len(m.named("error"))
        sio.emit("set_radius", {"radius_nm": "far"}, namespace=NS)
        err = wait_for(lambda: m.named("error")[before:])[0][1]
        assert err["code"] == "invalid_params" and "radius_nm" in err["message"]
    finally:
        sio.disconnect()
