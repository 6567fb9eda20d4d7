"""Airband voice on `/audio`, end to end against the real daemon: the simulator's voice
channels (two 8.33 kHz neighbours, two 25 kHz channels) through the channelizer and the AM
receiver to stored FLAC clips; the snapshot, pushes, requests and live listening with the
stock python-socketio client; the clip URL under each auth mode; and transcription through a
real recognizer (Debian's pocketsphinx behind tests/api/transcribe_server.py) with the
service down, slow and failing."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import TOKEN, connect, request, wait_for

SIM_CHANNELS = {129.805: "Sim Approach", 129.81: "Sim Tower", 130.6: "Sim Ground",
                130.95: "Sim ATIS"}
FAST = "[simulator]\nemergency = false\nvdl2 = false\naircraft = 10\nuat_aircraft = 0\n"
SERVER = Path(__file__).with_name("transcribe_server.py")


def first_transmission(mirror, timeout=60):
    wait_for(lambda: mirror.named("audio:transmission"), timeout=timeout, step=0.2)
    return mirror.named("audio:transmission")[0][1]


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def test_the_simulators_voice_is_recorded_listed_and_playable(daemon):
    d = daemon("--simulate", config=FAST)
    sio, mirror = connect(d.url, namespace="/audio")
    try:
        snap = wait_for(lambda: mirror.named("audio:snapshot"))[0][1]
        assert snap["pending_transcriptions"] == 0 and isinstance(snap["recent_transmissions"], list)
        t = first_transmission(mirror)
        assert t["frequency"] in SIM_CHANNELS, t
        assert t["channel_name"] == SIM_CHANNELS[t["frequency"]]
        assert t["status"] == "recorded" and "transcript" not in t
        # The simulator's phrases last 2.1–3.3 s; the squelch adds at most a frame each side.
        assert 1_800 <= t["duration_ms"] <= 3_800, t
        assert abs(t["started_at"] - time.time() * 1000) < 60_000
        status, ctype, body = get(d.url + t["audio_url"])
        assert status == 200 and ctype == "audio/flac" and body[:4] == b"fLaC", (status, ctype)
        # FLAC of 8 kHz 16-bit audio: smaller than the 16 kB/s a WAV would take.
        assert len(body) < 16_000 * t["duration_ms"] / 1000, len(body)

        one = request(sio, "transmission", {"id": t["id"]}, namespace="/audio")
        assert one["data"]["id"] == t["id"] and one["data"]["audio_url"] == t["audio_url"]
        missing = request(sio, "transmission", {"id": 1}, namespace="/audio")
        assert missing["error"]["code"] == "not_found"
        bad = request(sio, "transmissions", {"limit": "many"}, namespace="/audio")
        assert bad["error"]["code"] == "invalid_params" and "limit" in bad["error"]["message"]
        listed = request(sio, "transmissions", {"frequency": t["frequency"], "limit": 10},
                         namespace="/audio")["data"]
        assert listed["count"] >= 1
        assert all(x["frequency"] == t["frequency"] for x in listed["transmissions"])
        # The same request as an event of its own, answered to the ack.
        direct = sio.call("transmissions", {"limit": 1}, namespace="/audio", timeout=10)
        assert direct["data"]["count"] == 1

        stats = request(sio, "stats", namespace="/audio")["data"]
        assert {c["frequency"]: c["name"] for c in stats["channels"]} == SIM_CHANNELS
        assert stats["transmissions"] >= 1 and stats["memory_bytes"] > 0
        assert stats["transcription"] is False

        # A second client connecting now sees the transmission in its snapshot.
        sio2, mirror2 = connect(d.url, namespace="/audio")
        try:
            snap2 = wait_for(lambda: mirror2.named("audio:snapshot"))[0][1]
            assert any(x["id"] == t["id"] for x in snap2["recent_transmissions"])
        finally:
            sio2.disconnect()
    finally:
        sio.disconnect()


def test_live_listening_streams_binary_pcm_and_is_bounded(daemon):
    d = daemon("--simulate", config=FAST + "[audio]\nmax_listeners = 2\n")
    sio, mirror = connect(d.url, namespace="/audio")
    others = []
    try:
        wait_for(lambda: mirror.named("audio:snapshot"))
        # Wait until the channels have reported (the first VHF block).
        wait_for(lambda: request(sio, "stats", namespace="/audio")["data"]["channels"],
                 timeout=20, step=0.5)
        unknown = sio.call("listen", {"frequency": 118.0}, namespace="/audio", timeout=10)
        assert unknown["error"]["code"] == "not_found", unknown
        bad = sio.call("listen", {"frequency": "tower"}, namespace="/audio", timeout=10)
        assert bad["error"]["code"] == "invalid_payload", bad
        for f in SIM_CHANNELS:
            reply = sio.call("listen", {"frequency": f, "on": True}, namespace="/audio",
                             timeout=10)
            if len(reply["listening"]) == 2:
                break
        assert reply["rate"] == 8000 and reply["format"] == "s16le"
        # A third (socket, channel) pair is over the bound.
        other, other_mirror = connect(d.url, namespace="/audio")
        others.append(other)
        full = other.call("listen", {"frequency": 130.95, "on": True}, namespace="/audio",
                          timeout=10)
        assert full["error"]["code"] == "rate_limited", full
        live = wait_for(lambda: mirror.named("audio:live"), timeout=60, step=0.2)
        chunk = live[0][1]
        assert chunk["frequency"] in SIM_CHANNELS and chunk["rate"] == 8000
        pcm = chunk["pcm"]
        assert isinstance(pcm, bytes) and len(pcm) > 0 and len(pcm) % 2 == 0
        # Chunks of one channel come in order, one sequence number after another.
        wait_for(lambda: len(mirror.named("audio:live")) >= 5, timeout=30, step=0.1)
        seqs = {}
        for _, c, _ in mirror.named("audio:live"):
            seqs.setdefault(c["frequency"], []).append(c["seq"])
        for s in seqs.values():
            assert s == sorted(s) and len(set(s)) == len(s), s
        off = sio.call("listen", {"frequency": chunk["frequency"], "on": False},
                       namespace="/audio", timeout=10)
        assert chunk["frequency"] not in off["listening"]
    finally:
        for o in others:
            o.disconnect()
        sio.disconnect()


@pytest.mark.parametrize("mode", ["private", "hybrid"])
def test_audio_and_its_clips_need_a_token(daemon, mode):
    config = FAST + f'[api]\nauth = "{mode}"\ntokens = ["{TOKEN}"]\n'
    d = daemon("--simulate", config=config)
    import socketio
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(d.url, namespace="/audio")
    sio, mirror = connect(d.url, namespace="/audio", auth={"token": TOKEN})
    try:
        t = first_transmission(mirror)
        assert get(d.url + t["audio_url"])[0] == 401
        assert get(d.url + t["audio_url"] + "?token=wrong-token-000")[0] == 401
        ok = get(d.url + t["audio_url"] + f"?token={TOKEN}")
        assert ok[0] == 200 and ok[2][:4] == b"fLaC"
        bearer = get(d.url + t["audio_url"], {"Authorization": f"Bearer {TOKEN}"})
        assert bearer[0] == 200
    finally:
        sio.disconnect()


def test_clips_on_disk_stay_within_the_quota(daemon, tmp_path):
    clips = tmp_path / "clips"
    config = FAST + f'[audio]\ndir = "{clips}"\ndisk_mb = 1\n'
    d = daemon("--simulate", config=config)
    sio, mirror = connect(d.url, namespace="/audio")
    try:
        t = first_transmission(mirror)
        files = list(clips.glob("*.flac"))
        assert any(f.name == f"{t['id']:012}.flac" for f in files), files
        body = get(d.url + t["audio_url"])[2]
        assert body == (clips / f"{t['id']:012}.flac").read_bytes()
        stats = request(sio, "stats", namespace="/audio")["data"]
        assert stats["disk_bytes"] > 0 and stats["memory_bytes"] == 0
        metrics = get(d.url + "/metrics")[2].decode()
        assert "skyspy_audio_transmissions_total" in metrics, metrics[-2000:]
    finally:
        sio.disconnect()


class Recognizer:
    """tests/api/transcribe_server.py (pocketsphinx behind the OpenAI-style endpoint)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"

    def control(self, **settings):
        req = urllib.request.Request(self.url + "/control", data=json.dumps(settings).encode(),
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=5).read()

    def requests(self):
        with urllib.request.urlopen(self.url + "/requests", timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def recognizer():
    r = Recognizer()
    yield r
    r.stop()


def transcription_config(url, **extra):
    settings = {"url": url, "model": "pocketsphinx", "timeout_s": 15.0, "retries": 2,
                "backoff_s": 0.2}
    settings.update(extra)
    body = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    return FAST + "[audio.transcription]\n" + body


def events(mirror, name):
    return [d for _, d, _ in mirror.named(name)]


def test_transcription_through_a_real_recognizer(daemon, recognizer):
    d = daemon("--simulate", config=transcription_config(recognizer.url))
    sio, mirror = connect(d.url, namespace="/audio")
    try:
        sio.call("subscribe", {"topics": "all"}, namespace="/audio", timeout=10)
        done = wait_for(lambda: events(mirror, "audio:transcription_completed"), timeout=90,
                        step=0.2)[0]
        assert done["status"] == "transcribed" and isinstance(done["transcript"], str)
        started = [e for e in events(mirror, "audio:transcription_started")
                   if e["id"] == done["id"]]
        assert started and started[0]["status"] == "transcribing"
        queued = [e for e in events(mirror, "audio:transmission") if e["id"] == done["id"]]
        assert queued and queued[0]["status"] == "queued"
        # The transcript joined the transmission.
        one = request(sio, "transmission", {"id": done["id"]}, namespace="/audio")["data"]
        assert one["status"] == "transcribed" and one["transcript"] == done["transcript"]
        sent = [r for r in recognizer.requests() if r["filename"] == f"tx-{done['id']}.flac"]
        assert sent and sent[0]["content_type"] == "audio/flac"
        assert sent[0]["model"] == "pocketsphinx" and sent[0]["language"] == "en"
    finally:
        sio.disconnect()


def test_transcription_failures_retry_then_fail_and_lose_nothing(daemon, recognizer):
    # Two failures, then success: the retries carry it through.
    recognizer.control(fail_next=2, status=503)
    d = daemon("--simulate", config=transcription_config(recognizer.url))
    sio, mirror = connect(d.url, namespace="/audio")
    try:
        sio.call("subscribe", {"topics": "all"}, namespace="/audio", timeout=10)
        done = wait_for(lambda: events(mirror, "audio:transcription_completed"), timeout=90,
                        step=0.2)[0]
        attempts = [r for r in recognizer.requests() if r["filename"] == f"tx-{done['id']}.flac"]
        assert [r["status"] for r in attempts] == [503, 503, 200], attempts
        # A permanent error (400s other than 429) is not retried.
        recognizer.control(mode="error", status=400)
        failed = wait_for(lambda: events(mirror, "audio:transcription_failed"), timeout=90,
                          step=0.2)[0]
        assert failed["status"] == "failed" and "400" in failed["error"], failed
        tries = [r for r in recognizer.requests() if r["filename"] == f"tx-{failed['id']}.flac"]
        assert len(tries) == 1, tries
        # The clip is still there.
        assert get(d.url + failed["audio_url"])[0] == 200
    finally:
        sio.disconnect()


def test_a_slow_or_absent_service_fails_with_a_reason(daemon, recognizer):
    recognizer.control(mode="slow", delay_s=5.0)
    slow = daemon("--simulate", config=transcription_config(recognizer.url, timeout_s=1.0,
                                                            retries=1))
    sio, mirror = connect(slow.url, namespace="/audio")
    try:
        sio.call("subscribe", {"topics": "transcriptions"}, namespace="/audio", timeout=10)
        failed = wait_for(lambda: events(mirror, "audio:transcription_failed"), timeout=90,
                          step=0.2)[0]
        assert "no answer in 1" in failed["error"], failed
    finally:
        sio.disconnect()
    down = daemon("--simulate", config=transcription_config("http://127.0.0.1:9", retries=1))
    sio, mirror = connect(down.url, namespace="/audio")
    try:
        sio.call("subscribe", {"topics": "all"}, namespace="/audio", timeout=10)
        failed = wait_for(lambda: events(mirror, "audio:transcription_failed"), timeout=90,
                          step=0.2)[0]
        assert "cannot reach" in failed["error"], failed
        stats = request(sio, "stats", namespace="/audio")["data"]
        assert stats["transcription"] is True and stats["transcription_failures"] >= 1
    finally:
        sio.disconnect()


def test_decode_writes_each_transmission_as_a_wav_with_its_times(tmp_path):
    """`skyspy simulate --am` then `skyspy decode --am --audio-dir --json`: one object per
    transmission with the channel as labelled, times from the file's start, and a 16-bit
    8 kHz WAV that exists."""
    import wave
    from conftest import BIN
    iq, truth, out = tmp_path / "voice.cu8", tmp_path / "truth.jsonl", tmp_path / "clips"
    channels = "124.300,124.805,124.810"
    subprocess.run([BIN, "simulate", str(iq), "--band", "vhf", "--rate", "2.4M", "--center",
                    "125M", "--am", channels, "--bursts", "4", "--seconds", "12", "--snr",
                    "15:25", "--seed", "2", "--truth", str(truth)], check=True,
                   capture_output=True)
    sent = [json.loads(line) for line in truth.read_text().splitlines()]
    sent = [t for t in sent if not t.get("interferer")]
    assert len(sent) >= 3
    run = subprocess.run([BIN, "decode", str(iq), "--band", "vhf", "--format", "cu8", "--rate",
                          "2.4M", "--center", "125M", "--am", channels, "--audio-dir", str(out),
                          "--json"], check=True, capture_output=True, text=True)
    got = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(got) == len(sent), (got, sent)
    for g, t in zip(sorted(got, key=lambda g: g["start_s"]), sent):
        assert g["frequency"] == t["frequency"], (g, t)
        assert abs(g["start_s"] - t["start_s"]) < 0.1 and abs(g["end_s"] - t["end_s"]) < 0.15
        with wave.open(g["audio"]) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
            assert abs(w.getnframes() / 8000 - (g["end_s"] - g["start_s"])) < 0.1
    bad = subprocess.run([BIN, "decode", str(iq), "--band", "vhf", "--rate", "2.4M", "--center",
                          "125M", "--am", "124.302"], capture_output=True, text=True)
    assert bad.returncode != 0 and "124.302" in bad.stderr and "8.33" in bad.stderr, bad.stderr
