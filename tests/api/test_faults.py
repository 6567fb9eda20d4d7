"""Faults around the alert rules' file, through the real server: a full or read-only card
refuses the change with a clear error and keeps the old rules; a SIGKILL in the middle of
saving leaves the old file or the new one, never a mix."""

import errno
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from conftest import LIGHT, connect, request


def rule(name):
    return {"name": name, "conditions": {"logic": "AND", "groups": [{"logic": "AND",
            "conditions": [{"type": "squawk", "operator": "eq", "value": "7700"}]}]}}


def names(sio):
    return [r["name"] for r in request(sio, "alert-rules")["data"]["rules"]]


def test_a_full_or_read_only_card_refuses_the_change_and_keeps_the_old_rules(daemon, tmp_path):
    """The rules live on a 256 kB tmpfs in the daemon's own mount namespace (unshare): filled
    to the last byte it gives ENOSPC, remounted read-only EROFS, as a worn or full card does."""
    rules_dir = tmp_path / "card"
    rules_dir.mkdir()
    rules = rules_dir / "rules.json"
    mount = 'mount -t tmpfs -o size=256k skyspy-card "$0" && exec "$@"'
    d = daemon("--simulate", "--rules-file", str(rules), config=LIGHT,
               prefix=["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", mount,
                       str(rules_dir)])
    # The daemon's view of the card (its mount namespace), from outside.
    card = Path(f"/proc/{d.proc.pid}/root") / str(rules_dir).lstrip("/")
    in_ns = ["nsenter", "--target", str(d.proc.pid), "--mount", "--"]
    sio, _ = connect(d.url)
    try:
        assert request(sio, "alert-rule-create", rule("kept"))["data"]["id"] >= 1
        assert not rules.exists(), "the rules went to the daemon's tmpfs, not the test's disk"
        before = (card / "rules.json").read_bytes()

        # Full: a filler takes every byte left.
        with open(card / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
        err = request(sio, "alert-rule-create", rule("lost"))["error"]
        assert err["code"] == "internal", err
        assert "No space left on device" in err["message"], err
        assert "the rules are as they were" in err["message"] and str(rules) in err["message"]
        assert names(sio) == ["kept"], "the refused change is not in memory either"
        assert (card / "rules.json").read_bytes() == before, "the file is untouched"
        (card / "filler").unlink()

        # Read-only: remounted under the running daemon.
        subprocess.run(in_ns + ["mount", "-o", "remount,ro", str(rules_dir)], check=True)
        err = request(sio, "alert-rule-create", rule("lost"))["error"]
        assert "Read-only file system" in err["message"], err
        assert names(sio) == ["kept"]
        assert (card / "rules.json").read_bytes() == before

        # Writable again: the next change is saved.
        subprocess.run(in_ns + ["mount", "-o", "remount,rw", str(rules_dir)], check=True)
        assert request(sio, "alert-rule-create", rule("saved"))["data"]["id"] >= 1
        assert names(sio) == ["kept", "saved"]
        saved = json.loads((card / "rules.json").read_text())
        assert [r["name"] for r in saved["rules"]] == ["kept", "saved"]
        assert not (card / "rules.json.tmp").exists(), "no temporary file left behind"
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
