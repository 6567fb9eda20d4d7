"""Conformance of `skyspy run` with shared/docs/protocol.md, using the stock python-socketio
client over polling-with-upgrade and WebSocket-only."""

import time

import pytest
import socketio

from conftest import TOKEN, TRANSPORTS, connect, dumps, request, wait_for

BOTH = list(TRANSPORTS)


@pytest.mark.parametrize("transport", BOTH)
def test_snapshot_then_gap_free_deltas_rebuild_the_servers_state(daemon, replay_file, transport):
    d = daemon("--replay", str(replay_file))
    sio, m = connect(d.url, transport)
    try:
        snaps = wait_for(lambda: m.named("aircraft:snapshot"))
        assert snaps[0][1]["seq"] == 1
        # The replay ends after 8 s of stream time and the picture freezes there.
        wait_for(lambda: request(sio, "receiver-info")["data"]["sources"][0]["state"] == "ended",
                 timeout=30, step=0.5)
        time.sleep(1.0)
        server = request(sio, "aircraft-snapshot")["data"]
        with m.lock:
            assert not m.gaps, m.gaps
            mirror = {h: dumps(r) for h, r in m.state.items()}
        truth = {r["hex"]: dumps(r) for r in server["aircraft"]}
        assert server["count"] >= 30
        assert mirror == truth
        updates = m.named("aircraft:update")
        assert len(updates) >= 20, "deltas were sent"
        # Deltas carry only what changed: far fewer fields than full records.
        fields = sum(len(u) for _, d_, _ in updates for u in d_["updated"])
        assert fields < 0.5 * sum(len(r) for r in server["aircraft"]) * len(updates)
    finally:
        sio.disconnect()


@pytest.mark.parametrize("transport", BOTH)
def test_aircraft_rate_is_at_most_the_topic_limit(daemon, transport):
    d = daemon("--simulate")
    sio, m = connect(d.url, transport)
    slow, ms = connect(d.url, transport)
    try:
        ack = slow.call("subscribe", {"topics": "aircraft", "rates": {"aircraft": 2}})
        assert ack["rates"] == {"aircraft": 2.0}
        time.sleep(1.0)
        t0, n0, s0 = time.monotonic(), len(m.named("aircraft:update")), len(ms.named("aircraft:update"))
        time.sleep(5.0)
        dt = time.monotonic() - t0
        fast_rate = (len(m.named("aircraft:update")) - n0) / dt
        slow_rate = (len(ms.named("aircraft:update")) - s0) / dt
        assert 7.0 <= fast_rate <= 10.5, fast_rate
        assert 1.5 <= slow_rate <= 2.2, slow_rate
        assert not m.gaps and not ms.gaps
    finally:
        sio.disconnect()
        slow.disconnect()


@pytest.mark.parametrize("transport", BOTH)
def test_batches_within_bounds_and_urgent_events_bypass_them(daemon, transport):
    config = """
[api]
stats_hz = 1.0
[simulator]
emergency_after_s = 2.0
emergency_for_s = 3.0
"""
    d = daemon("--simulate", config=config)
    sio, m = connect(d.url, transport)
    try:
        sio.call("subscribe", {"topics": ["safety", "alerts"]})
        rule = {"name": "mayday", "priority": "critical", "conditions": {"logic": "AND", "groups": [
            {"logic": "AND", "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"}]}]}}
        assert request(sio, "alert-rule-create", rule)["data"]["id"] >= 1
        raised = wait_for(lambda: m.named("safety:event"), timeout=20)
        t, event, batched = raised[0]
        assert event["event_type"] == "squawk_emergency" and event["severity"] == "critical"
        assert not batched, "a safety event never waits in a batch"
        # The delta that carried the squawk went on its own too (not inside a batch).
        squawks = wait_for(lambda: [
            (t_, b) for t_, up, b in m.named("aircraft:update")
            if any(u.get("squawk") == "7700" for u in up["updated"] + up["added"])])
        assert not squawks[0][1]
        assert abs(squawks[0][0] - t) < 0.05, "the squawk's delta follows its safety event at once"
        # The alert rule fired, outside any batch, with the aircraft's record.
        alert = wait_for(lambda: m.named("alert:triggered"))[0]
        assert not alert[2] and alert[1]["rule_name"] == "mayday"
        assert alert[1]["icao"] == event["icao"] and alert[1]["aircraft"]["squawk"] == "7700"
        # Acknowledging the event is remembered in the history.
        assert request(sio, "safety-acknowledge", {"id": event["id"]})["data"]["acknowledged"]
        history = request(sio, "safety-events", {"hours": 1})["data"]["events"]
        assert any(e["id"] == event["id"] and e["acknowledged"] for e in history)
        # stats:tick has the protocol's shape and shows the source in use.
        tick = wait_for(lambda: m.named("stats:tick"))[-1][1]
        assert set(tick) == {"ts", "traffic", "reception", "system", "series"}
        assert {"aircraft", "with_position", "msg_rate", "by_source"} <= set(tick["traffic"])
        assert {"max_range_nm", "avg_rssi", "noise_dbfs"} <= set(tick["reception"])
        assert tick["system"]["sdr"]["1090"]["kind"] == "simulator" and tick["system"]["mem"] > 0
        assert tick["traffic"]["aircraft"] > 0
        wait_for(lambda: m.named("safety:event_resolved"), timeout=20)
        wait_for(lambda: len(m.batches) >= 2, timeout=15)
        for b in m.batches:
            assert b["count"] == len(b["events"]) and 2 <= b["count"] <= 50
            assert 0 <= b["window_ms"] <= 200
            assert len(dumps(b)) <= (1 << 20) + 1024
        assert not m.gaps
    finally:
        sio.disconnect()


def test_every_request_type_answers(daemon, replay_file):
    d = daemon("--replay", str(replay_file), "--loop")
    sio, m = connect(d.url)
    try:
        hexes = wait_for(lambda: sorted(m.state)[:3] if len(m.state) >= 3 else None)
        rule = {"name": "low", "priority": "info", "cooldown_s": 60,
                "conditions": {"logic": "AND", "groups": [{"logic": "AND", "conditions": [
                    {"type": "altitude", "operator": "lt", "value": 50000}]}]}}
        created = request(sio, "alert-rule-create", rule)["data"]
        calls = {
            "aircraft-info": {"icao": hexes[0].upper()},
            "aircraft-info-bulk": {"icaos": hexes + ["abcdef"]},
            "aircraft-list": {"filters": {"has_position": True}},
            "aircraft-snapshot": None,
            "aircraft-track": {"icao": hexes[0]},
            "safety-events": {"hours": 1, "limit": 10},
            "alert-rules": None,
            "alert-rule-update": dict(rule, id=created["id"], name="lower"),
            "alert-rule-toggle": {"id": created["id"], "enabled": False},
            "airspace-snapshot": None,
            "acars-snapshot": {"limit": 5},
            "stats-summary": None,
            "receiver-info": None,
            "system-status": None,
            "alert-rule-delete": {"id": created["id"]},
        }
        for type_, params in calls.items():
            r = request(sio, type_, params)
            assert "error" not in r, (type_, r)
            assert r["request_type"] == type_ and r["request_id"].startswith("r-")
        # The answers mean something.
        assert request(sio, "aircraft-info", {"icao": hexes[0]})["data"]["hex"] == hexes[0]
        bulk = request(sio, "aircraft-info-bulk", {"icaos": hexes + ["abcdef"]})["data"]
        assert sorted(bulk["aircraft"]) == hexes and bulk["missing"] == ["abcdef"]
        assert request(sio, "alert-rules")["data"]["count"] == 0
        info = request(sio, "receiver-info")["data"]
        assert [(s["kind"], s["healthy"]) for s in info["sources"]] == [("replay", True)]
        status = request(sio, "system-status")["data"]
        assert status["clients"] == 1 and status["process"]["rss_bytes"] > 0
        # `response` events carry the same answers for clients that do not use acks.
        wait_for(lambda: len(m.named("response")) >= len(calls))
    finally:
        sio.disconnect()


def test_each_error_code(daemon, tmp_path):
    # A rules file in a directory that does not exist: saving a rule fails -> `internal`.
    d = daemon("--simulate", "--rules-file", str(tmp_path / "missing" / "rules.json"))
    sio, m = connect(d.url)
    try:
        def err(payload):
            r = sio.call("request", payload, timeout=10)
            return r["error"]["code"], r["error"]["message"]

        assert err("not an object")[0] == "invalid_payload"
        assert err({"params": {}})[0] == "missing_type"
        assert err({"type": "no-such-thing"})[0] == "unknown_type"
        code, message = err({"type": "aircraft-info", "params": {"icao": "XYZ"}})
        assert code == "invalid_params" and message == "params.icao must be 6 hex digits"
        assert err({"type": "aircraft-info", "params": {"icao": "abcdef"}})[0] == "not_found"
        assert err({"type": "aircraft-info-bulk", "params": {"icaos": ["a"] * 101}})[0] == "invalid_params"
        code, message = err({"type": "alert-rule-create", "params": {"name": "x"}})
        assert code == "invalid_params" and "conditions" in message
        rule = {"name": "r", "conditions": {"logic": "AND", "groups": [{"logic": "AND",
                "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"}]}]}}
        assert err({"type": "alert-rule-create", "params": rule})[0] == "internal"
        # Errors also arrive as `error` events with the request id.
        errors = wait_for(lambda: m.named("error") if len(m.named("error")) >= 8 else None)
        assert all("code" in e and "message" in e for _, e, _ in errors)
        # Over the inbound limit (10/s, burst 30): rate_limited, and nothing else happens.
        for _ in range(60):
            sio.emit("ping", {})
        limited = wait_for(lambda: [e for _, e, _ in m.named("error") if e["code"] == "rate_limited"])
        assert len(limited) == 1, "one notice per second, not one per refused event"
        time.sleep(0.5)
        pongs = len(m.named("pong"))
        assert 10 <= pongs <= 40, pongs
    finally:
        sio.disconnect()


def test_private_mode_refuses_without_a_token(daemon):
    d = daemon("--simulate", "--auth", "private", config=f'[api]\ntokens = ["{TOKEN}"]\n')
    for auth in (None, {"token": "wrong-token-value"}):
        sio = socketio.Client(reconnection=False)
        refused = []
        sio.on("connect_error", lambda data: refused.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(d.url, auth=auth, transports=["websocket"], wait_timeout=10)
        assert refused == [{"message": "unauthorized"}]
    for ns in ("/", "/acars", "/audio", "/cannonball"):
        sio, m = connect(d.url, namespace=ns, auth={"token": TOKEN})
        sio.disconnect()


def test_hybrid_mode_reads_freely_but_changes_need_a_token(daemon):
    d = daemon("--simulate", "--auth", "hybrid", config=f'[api]\ntokens = ["{TOKEN}"]\n')
    rule = {"name": "r", "conditions": {"logic": "AND", "groups": [{"logic": "AND",
            "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"}]}]}}
    anon, _ = connect(d.url)
    try:
        assert "data" in request(anon, "receiver-info")
        assert request(anon, "alert-rule-create", rule)["error"]["code"] == "unauthorized"
        assert request(anon, "alert-rules")["data"]["count"] == 0
    finally:
        anon.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(d.url, namespace="/audio")
    user, _ = connect(d.url, auth={"token": TOKEN})
    try:
        assert request(user, "alert-rule-create", rule)["data"]["id"] >= 1
    finally:
        user.disconnect()


def test_other_namespaces_accept_connections(daemon):
    d = daemon("--simulate")
    sio, m = connect(d.url, namespace="/acars")
    snap = wait_for(lambda: m.named("acars:snapshot"))[0][1]
    assert snap["count"] == len(snap["messages"])
    sio.disconnect()
    sio, m = connect(d.url, namespace="/audio")
    assert wait_for(lambda: m.named("audio:snapshot"))
    sio.disconnect()
    sio, m = connect(d.url, namespace="/cannonball")
    assert wait_for(lambda: m.named("session_started"))[0][1]["session_id"]
    sio.emit("get_threats", {}, namespace="/cannonball")
    threats = wait_for(lambda: m.named("threats"))[0][1]
    assert threats["count"] == 0 and threats["position"] is None, "no position sent yet"
    sio.emit("launch", {}, namespace="/cannonball")
    assert wait_for(lambda: m.named("error"))[0][1]["code"] == "unknown_type"
    sio.disconnect()


def test_subscribe_unsubscribe_resync_and_ping(daemon):
    d = daemon("--simulate")
    sio, m = connect(d.url)
    try:
        ack = sio.call("subscribe", {"topics": ["all", "nonsense"]})
        assert set(ack["topics"]) == {"aircraft", "safety", "alerts", "acars", "stats", "airspace"}
        assert set(ack["joined"]) == {"safety", "alerts", "acars", "airspace"}
        assert ack["unknown"] == ["nonsense"] and ack["denied"] == []
        for snap in ("safety:snapshot", "alert:snapshot", "acars:snapshot", "airspace:snapshot"):
            wait_for(lambda: m.named(snap))
        sio.emit("unsubscribe", {"topics": ["acars", "notams"]})
        un = wait_for(lambda: m.named("unsubscribed"))[0][1]
        assert sorted(un["topics"]) == ["acars", "airspace"]
        assert "acars" not in un["remaining"]
        before = len(m.named("aircraft:snapshot"))
        sio.emit("resync", {"topic": "aircraft"})
        wait_for(lambda: len(m.named("aircraft:snapshot")) > before)
        time.sleep(0.5)
        assert not m.gaps, "a resync snapshot continues the sequence"
        sio.emit("ping", {"timestamp": 12345})
        pong = wait_for(lambda: m.named("pong"))[0][1]
        assert pong["timestamp"] == 12345 and pong["server_time"] > 1.7e12
    finally:
        sio.disconnect()
