"""Operating the daemon as an appliance: the systemd unit's hardening (measured with
systemd-analyze), the Type=notify readiness and watchdog protocol spoken to a socket standing in
for systemd, and the example config and `--check`."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, ROOT, connect, free_port, request

UNIT = ROOT / "systemd" / "skyspy.service"
EXAMPLE = ROOT / "systemd" / "skyspy.toml"


def test_unit_hardening_exposure_is_at_most_2():
    out = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)],
                         capture_output=True, text=True, check=True).stdout
    exposure = float(re.search(r"Overall exposure level for skyspy.service: ([0-9.]+)", out)[1])
    print(f"systemd-analyze security: exposure {exposure}")
    assert exposure <= 2.0, out
    unit = UNIT.read_text()
    for line in ("Type=notify", "RestartPreventExitStatus=64", "User=skyspy",
                 "ExecStart=/usr/bin/skyspy run --config /etc/skyspy/skyspy.toml"):
        assert line in unit, line


def test_readiness_and_watchdog_reach_systemd_and_stop_is_announced(tmp_path):
    """What systemd would see: READY=1 once the API listens, WATCHDOG=1 at half the period
    while the core answers, STOPPING=1 on SIGTERM."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    port = free_port()
    cfg = tmp_path / "c.toml"
    cfg.write_text('[feeds]\nraw = ""\nsbs = ""\nbeast = ""\nuat_raw = ""\n'
                   f'[alerts]\nrules_file = "{tmp_path / "rules.json"}"\n')
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    proc = subprocess.Popen([BIN, "run", "--config", str(cfg), "--listen", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    messages = []
    try:
        deadline = time.time() + 15
        while time.time() < deadline and sum("WATCHDOG=1" in m for m in messages) < 3:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        ready = [i for i, m in enumerate(messages) if "READY=1" in m]
        assert ready, messages
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # it was listening when it said so
        watchdog = [i for i, m in enumerate(messages) if "WATCHDOG=1" in m]
        assert len(watchdog) >= 3 and watchdog[0] > ready[0], messages
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        deadline = time.time() + 2
        while time.time() < deadline and not any("STOPPING=1" in m for m in messages):
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        assert any("STOPPING=1" in m for m in messages), messages
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


def test_the_example_config_checks_and_a_bad_one_names_its_key(tmp_path):
    ok = subprocess.run([BIN, "run", "--check", "--config", str(EXAMPLE)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "configuration OK" in ok.stdout, ok.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("ppm = 0", "ppm = 9000", 1))
    r = subprocess.run([BIN, "run", "--check", "--config", str(bad)], capture_output=True, text=True)
    assert r.returncode == 64 and "radio.1090" in r.stderr and "ppm" in r.stderr, r.stderr


def test_install_script_puts_every_file_in_place(tmp_path):
    stage = tmp_path / "root"
    run = lambda: subprocess.run([str(ROOT / "scripts" / "install"), "--binary", BIN,
                                  "--root", str(stage), "--no-systemctl"],
                                 capture_output=True, text=True, check=True)
    run()
    expected = {
        "usr/bin/skyspy": 0o755,
        "etc/systemd/system/skyspy.service": 0o644,
        "usr/lib/sysusers.d/skyspy.conf": 0o644,
        "etc/udev/rules.d/60-skyspy-rtlsdr.rules": 0o644,
        "etc/modprobe.d/skyspy-blacklist-dvb.conf": 0o644,
        "etc/skyspy/skyspy.toml": 0o644,
    }
    for path, mode in expected.items():
        f = stage / path
        assert f.is_file(), path
        assert f.stat().st_mode & 0o777 == mode, (path, oct(f.stat().st_mode))
    assert (stage / "usr/bin/skyspy").read_bytes() == open(BIN, "rb").read()
    # A second install keeps the edited config and leaves the new example beside it.
    cfg = stage / "etc/skyspy/skyspy.toml"
    cfg.write_text(cfg.read_text().replace("lat = 52.31", "lat = 40.64"))
    out = run().stdout
    assert "kept" in out and "lat = 40.64" in cfg.read_text()
    assert (stage / "etc/skyspy/skyspy.toml.example").is_file()
    # The udev rule covers the common RTL2832U IDs.
    rules = (stage / "etc/udev/rules.d/60-skyspy-rtlsdr.rules").read_text()
    assert 'ATTRS{idVendor}=="0bda", ATTRS{idProduct}=="2838"' in rules
    bad = subprocess.run([str(ROOT / "scripts" / "install")], capture_output=True, text=True)
    assert bad.returncode == 64 and "--binary" in bad.stderr


def save_a_rule(url):
    """Creates one alert rule through the API; the daemon saves it to its rules file."""
    sio, _ = connect(url)
    try:
        assert request(sio, "alert-rule-create", {
            "name": "t", "conditions": {"logic": "AND", "groups": [{"logic": "AND", "conditions": [
                {"type": "squawk", "operator": "eq", "value": "7700"}]}]}})["data"]["id"] >= 1
    finally:
        sio.disconnect()


def test_the_bands_dsp_threads_run_above_the_api_and_core(daemon):
    """Under a burst of API work the kernel gives a busy DSP thread the larger share: every
    other thread (tokio's workers and blocking pool: the core, the API, the feeds; the main
    thread's accept loop) runs 5 nice steps lower, and the bands' threads keep the priority the
    process was started with (this test's, inherited)."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    d = daemon("--simulate", "--aircraft", "5")
    # A rule saved goes through tokio's blocking pool, whose threads start from a worker's.
    save_a_rule(d.url)

    def threads():
        out = {}
        for task in (Path("/proc") / str(d.proc.pid) / "task").iterdir():
            try:
                comm = (task / "comm").read_text().strip()
                stat = (task / "stat").read_text()
            except OSError:
                continue  # the thread ended meanwhile
            nice = int(stat.rsplit(")", 1)[1].split()[16])
            out.setdefault(comm, set()).add(nice)
        return out

    deadline = time.time() + 10
    while time.time() < deadline and not any(c.startswith("skyspy-dsp-") for c in threads()):
        time.sleep(0.1)
    t = threads()
    dsp = {n for c, ns in t.items() if c.startswith("skyspy-dsp-") for n in ns}
    rest = {n for c, ns in t.items() if not c.startswith("skyspy-dsp-") for n in ns}
    assert dsp == {base}, t
    assert rest == {min(base + 5, 19)}, t
    assert any(c.startswith("tokio-") for c in t), t


def test_normal_operation_writes_nothing_to_the_card(tmp_path):
    """SD card care: with the default settings and every band simulated, the daemon writes
    nothing to storage while it runs (the rules file changes only when a rule does; clips stay in
    memory; the image's journal is in RAM). Measured by the kernel's count of the bytes the
    process sent to the storage layer (its log is discarded here; under systemd it goes to the
    journal, which the image keeps in RAM)."""
    port = free_port()
    proc = subprocess.Popen([BIN, "run", "--simulate", "--listen", f"127.0.0.1:{port}",
                             "--rules-file", str(tmp_path / "rules.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def written():
        io = (Path("/proc") / str(proc.pid) / "io").read_text()
        return int(re.search(r"^write_bytes: (\d+)$", io, re.M)[1])

    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("skyspy did not start listening")
        time.sleep(2)
        before = written()
        time.sleep(30)
        after = written()
        assert proc.poll() is None, "the daemon stopped during the measurement"
        print(f"bytes written in 30 s of normal operation: {after - before}")
        assert after - before == 0
        # The count sees this file system: a rule saved (fsynced) shows in it.
        save_a_rule(f"http://127.0.0.1:{port}")
        assert written() > after, "a saved rule is counted"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
