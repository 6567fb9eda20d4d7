"""Faults around the alert rules' file, through the real server: a full disk or a directory
that cannot be written refuses the change with a clear error and keeps the old rules; a
SIGKILL in the middle of saving leaves the old file or the new one, never a mix."""

import json
import os
import random
import signal
import subprocess
import time

from conftest import connect, request

LIGHT = ("[simulator]\naircraft = 5\nuat_aircraft = 0\nfisb = false\nvhf = false\nvdl2 = false\n"
         "cannonball = false\n")


def rule(name):
    return {"name": name, "conditions": {"logic": "AND", "groups": [{"logic": "AND",
            "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"}]}]}}


def names(sio):
    return [r["name"] for r in request(sio, "alert-rules")["data"]["rules"]]


def test_a_full_disk_refuses_the_change_and_keeps_the_old_rules(daemon, tmp_path):
    rules = tmp_path / "rules" / "rules.json"
    rules.parent.mkdir()
    d = daemon("--simulate", "--rules-file", str(rules), config=LIGHT)
    sio, _ = connect(d.url)
    try:
        assert request(sio, "alert-rule-create", rule("kept"))["data"]["id"] >= 1
        before = rules.read_bytes()
        # The save's temporary file is /dev/full: every write fails with ENOSPC, as on a
        # card with no space left.
        tmp = rules.parent / "rules.json.tmp"
        tmp.symlink_to("/dev/full")
        err = request(sio, "alert-rule-create", rule("lost"))["error"]
        assert err["code"] == "internal", err
        assert "No space left on device" in err["message"], err
        assert "the rules are as they were" in err["message"], err
        assert str(rules) in err["message"], "the error names the file"
        assert names(sio) == ["kept"], "the refused change is not in memory either"
        assert rules.read_bytes() == before, "the file is untouched"
        tmp.unlink()

        # A directory the daemon cannot write (immutable: root ignores permission bits).
        immutable = subprocess.run(["chattr", "+i", str(rules.parent)], capture_output=True)
        if immutable.returncode == 0:
            try:
                err = request(sio, "alert-rule-create", rule("lost"))["error"]
                assert err["code"] == "internal" and "not permitted" in err["message"], err
                assert names(sio) == ["kept"]
                assert rules.read_bytes() == before
            finally:
                subprocess.run(["chattr", "-i", str(rules.parent)], check=True)
        else:
            print(f"chattr +i unsupported here: {immutable.stderr.decode().strip()}")

        # Space again: the next change is saved.
        assert request(sio, "alert-rule-create", rule("saved"))["data"]["id"] >= 1
        assert names(sio) == ["kept", "saved"]
        assert [r["name"] for r in json.loads(rules.read_text())["rules"]] == ["kept", "saved"]
    finally:
        sio.disconnect()


def test_sigkill_during_saves_leaves_the_old_file_or_the_new_one(daemon, tmp_path):
    rules = tmp_path / "rules.json"
    rng = random.Random(3)
    kept = 0
    for round_ in range(6):
        d = daemon("--simulate", "--rules-file", str(rules), config=LIGHT)
        sio, _ = connect(d.url)
        # Whatever the last round left is a whole file, read back by the new daemon.
        assert len(names(sio)) == kept, f"round {round_}: {kept} rules were on disk"
        # Each save rewrites the whole, growing file; the kill lands somewhere among them.
        deadline = time.monotonic() + rng.uniform(0.1, 0.6)
        while time.monotonic() < deadline:
            sio.emit("request", {"type": "alert-rule-create", "request_id": "k",
                                 "params": rule(f"r{round_}-{time.monotonic_ns()}")})
            time.sleep(0.002)
        os.kill(d.proc.pid, signal.SIGKILL)
        d.proc.wait(timeout=5)
        try:
            sio.disconnect()
        except Exception:
            pass
        on_disk = json.loads(rules.read_text())  # a mix would not parse
        assert on_disk["version"] == 1
        assert len(on_disk["rules"]) >= kept, "no rule saved before is lost"
        ids = [r["id"] for r in on_disk["rules"]]
        assert ids == sorted(set(ids)), "rules whole and in order"
        kept = len(on_disk["rules"])
    assert kept >= 6, f"the rounds saved rules ({kept})"
