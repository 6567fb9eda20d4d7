"""The daemon on a 978 MHz replay (the test data's synthetic UAT file, looped): UAT aircraft
reach clients with source_band 978, and FIS-B products fill the airspace topic, its
snapshot request and its events."""

from conftest import ROOT, connect, request, wait_for

UAT_FILE = ROOT.parent / "shared" / "testdata" / "uat" / "synthetic" / "uat-synth-mixed.cu8"


def test_uat_replay_feeds_aircraft_and_airspace(daemon):
    d = daemon("--replay", str(UAT_FILE), "--band", "978", "--loop",
               "--lat", "37.46", "--lon", "-122.11")
    sio, mirror = connect(d.url)
    try:
        sio.emit("subscribe", {"topics": ["airspace"]})
        info = request(sio, "receiver-info")
        assert info["data"]["bands"] == ["978"]
        assert [s["sample_rate"] for s in info["data"]["sources"]] == [2083333]
        # UAT aircraft in the picture, marked as 978 MHz.
        wait_for(lambda: "a66ef1" in mirror.state, timeout=15)
        a = mirror.state["a66ef1"]
        assert a["source_band"] == "978" and a["type"] == "uat", a
        assert 37 < a["lat"] < 38 and -123 < a["lon"] < -121, a
        # FIS-B products: NOTAM points at Stockton and Oakland airports, SUA text.
        snap = wait_for(lambda: (lambda s: s if s["data"]["count"] >= 3 else None)(
            request(sio, "airspace-snapshot")), timeout=15)["data"]
        items = snap["notams"] + snap["tfrs"] + snap["advisories"]
        assert snap["count"] == len(items)
        by_location = {i["location"]: i for i in items}
        ksck = by_location["KSCK"]
        point = ksck["shapes"][0]
        assert point["type"] == "point" and abs(point["vertex"]["lat"] - 37.894) < 0.01, point
        assert ksck["expires_ms"] > ksck["received_ms"]
        assert any(i["kind"] == "sua" and i.get("text") for i in items), [i["kind"] for i in items]
        # The client learnt of KSCK from the topic: in the snapshot it got on subscribing, or
        # as a new-item event if the product came later; every announced id is a real item.
        # (The event is batched for up to batch_window_ms, so it may trail the request.)
        def announced():
            snapshots = [d for _, d, _ in mirror.named("airspace:snapshot")]
            assert snapshots, "airspace:snapshot on subscribe"
            new = [d for _, d, _ in mirror.named("notam:new") + mirror.named("notam:tfr_new")]
            return [i for s in snapshots for g in ("notams", "tfrs", "advisories")
                    for i in s[g]] + new
        wait_for(lambda: any(i["location"] == "KSCK" and i["kind"] == "notam"
                             for i in announced()), timeout=5)
        announced = announced()
        assert {i["id"] for i in announced} <= {i["id"] for i in items}
        # Stats count the band.
        summary = request(sio, "stats-summary")["data"]
        assert summary["by_band"]["978"] > 0, summary["by_band"]
    finally:
        sio.disconnect()


def test_the_default_simulator_runs_every_band(daemon):
    """With no radio and no options the daemon simulates 978 MHz and VHF too: UAT aircraft
    (with their autopilot target state), a FIS-B station whose TFR reaches the airspace topic,
    and ACARS (tests/api/test_acars.py)."""
    d = daemon("--lat", "40.64", "--lon", "-73.78", config="[api]\nstats_hz = 1.0\n")
    sio, mirror = connect(d.url)
    try:
        sio.emit("subscribe", {"topics": ["airspace"]})
        info = request(sio, "receiver-info")["data"]
        assert info["bands"] == ["1090", "978", "vhf", "vdl2"]
        assert [(s["band"], s["kind"], s["healthy"]) for s in info["sources"]] == [
            ("1090", "simulator", True), ("978", "simulator", True), ("vhf", "simulator", True),
            ("vdl2", "simulator", True)]
        uat = wait_for(lambda: (lambda a: a if len(a) >= 8 else None)(
            [a for a in mirror.state.values() if a.get("source_band") == "978"]), timeout=20)
        assert all(a["type"] == "uat" and a["flight"].startswith("N") for a in uat
                   if "flight" in a), uat
        near = [a for a in uat if "lat" in a]
        assert near and all(abs(a["lat"] - 40.64) < 1.5 and abs(a["lon"] + 73.78) < 2 for a in near)
        wait_for(lambda: any("nav_altitude_mcp" in a for a in mirror.state.values()
                             if a.get("source_band") == "978"), timeout=20)
        # The text and the shape come in separate products: the TFR is announced by the first
        # and completed (airspace:update) by the second.
        announced = wait_for(lambda: mirror.named("notam:tfr_new"), timeout=20)[0][1]
        assert announced["kind"] == "tfr", announced
        wait_for(lambda: mirror.named("airspace:update"), timeout=20)
        tfr = request(sio, "airspace-snapshot")["data"]["tfrs"][0]
        assert tfr["id"] == announced["id"] and tfr["text"].startswith("NOTAM-TFR"), tfr
        polygon = tfr["shapes"][0]
        assert polygon["type"] == "polygon" and len(polygon["vertices"]) == 4, polygon
        assert all(abs(v["lat"] - 40.8) < 0.1 for v in polygon["vertices"]), polygon
        assert tfr["expires_ms"] - tfr["received_ms"] > 2.5 * 3600 * 1000, tfr
        sdr = wait_for(lambda: (lambda t: t and t[-1][1]["system"]["sdr"])(
            mirror.named("stats:tick")), timeout=15)
        assert set(sdr) == {"1090", "978", "vhf", "vdl2"}
        wait_for(lambda: mirror.named("stats:tick")[-1][1]["system"]["sdr"]["978"]["frames"] > 0,
                 timeout=15)
    finally:
        sio.disconnect()
