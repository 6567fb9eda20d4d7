"""ACARS end to end: a generated VHF recording (six channels, known truth) replayed through the
daemon reaches the `acars` topic on `/`, the `/acars` namespace, `acars-snapshot` and the
acarsdec-JSON UDP feed with the protocol's fields; the default simulator's ACARS is linked to
the aircraft that sent it; its VDL2 arrives as `source: "vdlm2"` named by the aircraft's
address, and as dumpvdl2's JSON on the UDP feed acarshub reads."""

import json
import socket
import re
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, connect, request, wait_for

CHANNELS = [129.125, 130.025, 130.425, 130.450, 131.125, 131.550]
VHF_CONFIG = "[radio.vhf]\ncentre = 130.35\nrate = \"2.5M\"\n"


@pytest.fixture(scope="module")
def vhf_file(tmp_path_factory):
    """Ten seconds at 2.5 MS/s tuned to 130.35 MHz: 24 bursts, all strong (15–30 dB)."""
    d = tmp_path_factory.mktemp("vhf")
    path, truth = d / "acars.cu8", d / "truth.jsonl"
    subprocess.run(
        [BIN, "simulate", str(path), "--band", "vhf", "--seconds", "10", "--bursts", "24",
         "--snr", "15:30", "--center", "130.35M", "--seed", "5", "--truth", str(truth)],
        check=True, capture_output=True)
    lines = [json.loads(line) for line in truth.read_text().splitlines()]
    assert len(lines) == 24
    return path, lines


def same_burst(message, truth):
    """A decoded message is this burst: frequency, registration, label, block id and text."""
    full = (message["msg_num"] or "") + (message.get("flight") or "") + message["text"]
    return (abs(message["frequency"] - truth["frequency"]) < 1e-6
            and message["registration"] == truth["registration"]
            and message["label"] == truth["label"]
            and message["block_id"] == truth["block_id"]
            and "".join(full.split()) == "".join(truth["text"].split()))


def check_fields(m):
    assert m["source"] == "acars" and isinstance(m["id"], int), m
    assert m["frequency"] in CHANNELS and m["channel"] == CHANNELS.index(m["frequency"]), m
    assert isinstance(m["timestamp"], int) and m["timestamp"] > 1.7e12, m
    assert m["mode"] == "2" and m["ack"] is False, m
    assert isinstance(m["signal_level"], float) and m["signal_level"] < 0, m
    assert m["error_count"] >= 0 and m["blocks"] == 1, m
    # Present whether known or not (the simulator's traffic is not tracked in a replay).
    assert m["icao_hex"] is None and m["callsign"] is None, m
    if m["downlink"]:
        assert m["msg_num"] and m["flight"], m


def test_a_vhf_replay_reaches_every_acars_output(daemon, vhf_file):
    path, truth = vhf_file
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    config = VHF_CONFIG + f'[feeds]\nacars_json = "127.0.0.1:{udp.getsockname()[1]}"\n'
    d = daemon("--replay", str(path), "--band", "vhf", "--speed", "2", config=config)
    main, mirror = connect(d.url)
    ns, ns_mirror = connect(d.url, namespace="/acars")
    try:
        main.emit("subscribe", {"topics": ["acars"]})
        info = request(main, "receiver-info")["data"]
        assert info["bands"] == ["vhf"]
        source = info["sources"][0]
        assert source["centre_frequency"] == 130.35 and source["sample_rate"] == 2_500_000
        assert [c["frequency"] for c in source["channels"]] == CHANNELS

        # The namespace: its snapshot on connect, then every message as it completes.
        assert wait_for(lambda: ns_mirror.named("acars:snapshot"))
        live = lambda: [d for _, d, _ in ns_mirror.named("acars:message")]
        wait_for(lambda: len(live()) >= 22, timeout=20)
        for m in live():
            check_fields(m)
            assert sum(same_burst(m, t) for t in truth) == 1, ("not a burst that was sent", m)
        # Bursts on one channel are spaced as radios space them (a few collide, as in the air).
        assert len(live()) <= len(truth)

        # The topic on `/` carries the same messages (batched: up to the batch window later).
        topic = lambda: [d for _, d, _ in mirror.named("acars:message")]
        wait_for(lambda: len(topic()) == len(live()), timeout=5)
        assert sorted(m["id"] for m in topic()) == sorted(m["id"] for m in live())

        # acars-snapshot: newest first, bounded by limit; the same through the namespace.
        snap = request(main, "acars-snapshot", {"limit": 5})["data"]
        ids = [m["id"] for m in snap["messages"]]
        assert snap["count"] == 5 and ids == sorted(ids, reverse=True)
        assert ids[0] == max(m["id"] for m in live())
        via_ns = ns.call("acars-snapshot", {"limit": 3}, namespace="/acars", timeout=5)
        assert [m["id"] for m in via_ns["messages"]] == ids[:3]
        bad = request(main, "acars-snapshot", {"limit": 0})["error"]
        assert bad["code"] == "invalid_params" and "limit" in bad["message"]
        bad = request(main, "acars-snapshot", {"icao": "xyz"})["error"]
        assert bad["code"] == "invalid_params" and "icao" in bad["message"]
        ns.emit("nonsense", {}, namespace="/acars")
        err = wait_for(lambda: ns_mirror.named("error"))[0][1]
        assert err["code"] == "unknown_type"

        # The UDP feed: one acarsdec JSON object per block, the same blocks.
        datagrams = []
        while True:
            try:
                datagrams.append(json.loads(udp.recv(65536)))
            except socket.timeout:
                break
        assert len(datagrams) == len(live())
        by_text = {(m["registration"], m["label"], m["text"]) for m in live()}
        for g in datagrams:
            assert g["app"]["name"] == "skyspy" and g["freq"] in CHANNELS, g
            assert isinstance(g["timestamp"], float) and g["end"] is True, g
            assert (g["tail"], g["label"], g.get("text", "")) in by_text, g

        # Stats count the band.
        assert request(main, "stats-summary")["data"]["by_band"]["vhf"] == len(live())
    finally:
        main.disconnect()
        ns.disconnect()
        udp.close()


def test_the_simulators_acars_is_linked_to_its_aircraft(daemon):
    """Each simulated aircraft sends ACARS under its call sign; the message names the track's
    hex, and `acars-snapshot {icao}` answers that aircraft's messages only."""
    d = daemon("--simulate", config="[simulator]\nacars_every_s = 2.0\nemergency = false\n")
    sio, mirror = connect(d.url)
    try:
        sio.emit("subscribe", {"topics": ["acars"]})
        linked = lambda: [d for _, d, _ in mirror.named("acars:message")
                          if d["icao_hex"] and d["source"] == "acars"]
        wait_for(lambda: len(linked()) >= 3, timeout=30)
        for m in linked():
            a = mirror.state.get(m["icao_hex"])
            assert a is not None, m
            assert a["flight"].strip() == m["callsign"] == m["flight"], (a, m)
        icao = linked()[0]["icao_hex"]
        mine = request(sio, "acars-snapshot", {"icao": icao.upper(), "limit": 100})["data"]
        assert mine["count"] >= 1 and all(m["icao_hex"] == icao for m in mine["messages"])
    finally:
        sio.disconnect()


VDL2_CHANNELS = [136.650, 136.725, 136.775, 136.800, 136.825, 136.875, 136.975]


def test_the_simulators_vdl2_names_its_aircraft_and_feeds_dumpvdl2_json(daemon):
    """VDL2 messages carry the aircraft's address from the AVLC header (the track's hex) and the
    ground station; every frame goes out as dumpvdl2's JSON with the keys acarshub reads."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    config = ("[simulator]\nacars_every_s = 2.0\nemergency = false\nvhf = false\n"
              f'[feeds]\nvdl2_json = "127.0.0.1:{udp.getsockname()[1]}"\n')
    d = daemon("--simulate", config=config)
    sio, mirror = connect(d.url)
    try:
        sio.emit("subscribe", {"topics": ["acars"]})
        vdl2 = lambda: [m for _, m, _ in mirror.named("acars:message") if m["source"] == "vdlm2"]
        wait_for(lambda: len(vdl2()) >= 5, timeout=30)
        for m in vdl2():
            assert m["frequency"] in VDL2_CHANNELS, m
            assert len(m["ground_station"]) == 6 and int(m["ground_station"], 16) > 0, m
            a = mirror.state.get(m["icao_hex"])
            assert a is not None, f"{m['icao_hex']} is not a tracked aircraft"
            # Its call sign, once the track has one (when the message arrived).
            assert m["callsign"] in (None, a.get("flight", "").strip()), (a, m)
        # Linked messages show the call sign once the track has one (its identification may
        # come after the first few messages).
        wait_for(lambda: any(m["callsign"] for m in vdl2()), timeout=30)
        frames = []
        deadline = time.time() + 20
        while time.time() < deadline and not (
                any("acars" in f["vdl2"]["avlc"] for f in frames)
                and any("xid" in f["vdl2"]["avlc"] for f in frames)):
            try:
                frames.append(json.loads(udp.recv(65536)))
            except socket.timeout:
                pass
        assert any("xid" in f["vdl2"]["avlc"] for f in frames), "a ground station's GSIF"
        for f in frames:
            v = f["vdl2"]
            assert isinstance(v["t"]["sec"], int) and v["t"]["sec"] > 1.7e9
            assert isinstance(v["freq"], int) and v["freq"] / 1e6 in VDL2_CHANNELS
            assert isinstance(v["hdr_bits_fixed"], int) and isinstance(v["sig_level"], float)
            avlc = v["avlc"]
            assert avlc["src"]["status"] in ("Airborne", "On ground")
            assert avlc["cr"] in ("Command", "Response")
            for end in ("src", "dst"):
                assert len(avlc[end]["addr"]) == 6 and int(avlc[end]["addr"], 16) >= 0
            if "acars" in avlc:
                a = avlc["acars"]
                assert a["err"] is False and a["crc_ok"] is True
                for key in ("reg", "mode", "label", "blk_id", "ack", "msg_text"):
                    assert isinstance(a[key], str), (key, a)
                aircraft = [e for e in ("src", "dst") if avlc[e]["type"] == "Aircraft"]
                assert len(aircraft) == 1, avlc
            if "xid" in avlc:
                params = {p["name"]: p["value"] for p in avlc["xid"]["vdl_params"]}
                assert avlc["xid"]["type"] == "GSIF" and "lat" in params["gs_location"]
        with urllib.request.urlopen(d.url + "/metrics", timeout=5) as r:
            metrics = r.read().decode()
        sent = re.search(r"^skyspy_vdl2_json_sent(?:_total)? (\d+)", metrics, re.M)
        assert sent and int(sent.group(1)) >= len(frames), metrics[-800:]
    finally:
        sio.disconnect()
        udp.close()
