"""The soak: the daemon under an hour of load, with what an unattended appliance must not do
measured as it goes (see scripts/soak for how to run it, docs/reliability.md for its figures).

The daemon replays generated recordings of 1090 MHz (`--aircraft`) and 978 MHz
(`--uat-aircraft`) traffic together, each `--loop-seconds` long and looping, at `--speed`
times real time (an hour at 10x is ten hours of traffic). Around it:

- `--clients` Socket.IO clients over WebSocket from scripts/loadgen (`--mix`): most read
  steadily; a tenth stop reading for `--stall` seconds after every 10-60 s of reading (their
  buffers fill, the server may drop them), then read again or reconnect; a tenth reconnect
  every 2-5 s;
- a reference client (scripts/soak-reference.mjs, the stock socket.io-client) subscribed to
  every topic, which checks the aircraft stream's sequence numbers, times each delta from its
  `timestamp` to its arrival, and records every safety event and alert it is sent;
- a reader on every TCP feed (raw, SBS, Beast, UAT raw), counting bytes;
- an editor that creates, updates, toggles and deletes alert rules with a token (auth is
  `hybrid`) every 5 s, while one rule fires on every aircraft below 40,000 ft.

Every `--sample` seconds it records the daemon's resident memory, open file descriptors,
threads and bytes written to storage (/proc/PID/io `write_bytes`). At the end it asks the
daemon for its safety events and compares them with what the reference client got, stops the
daemon with SIGTERM (exit 0 expected), writes `report.json` and `samples.jsonl` to `--out`, and
with `--check` exits 1 if a limit is broken.
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "api"))
import socketio  # noqa: E402

from conftest import TOKEN, free_port, request  # noqa: E402

# firmware/src/priority.rs RUNTIME_NICE_STEPS: how far below the DSP threads the runtime runs.
RUNTIME_NICE_STEPS = 5

stop = threading.Event()


def proc_sample(pid):
    """Resident memory (kB), open descriptors, threads, bytes written to storage."""
    status = Path(f"/proc/{pid}/status").read_text()
    field = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines()}
    io = {line.split(":")[0]: int(line.split(":")[1]) for line in
          Path(f"/proc/{pid}/io").read_text().splitlines()}
    return {
        "rss_kb": int(field["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(field["Threads"]),
        "write_bytes": io["write_bytes"],
    }


def picture_size(url):
    """Aircraft in the daemon's picture (None if it did not answer within 10 s)."""
    try:
        with urllib.request.urlopen(url + "/data/aircraft.json?token=" + TOKEN, timeout=10) as r:
            return len(json.load(r).get("aircraft", []))
    except (OSError, ValueError):
        return None


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = {}

    def add(self, key, k=1):
        with self.lock:
            self.n[key] = self.n.get(key, 0) + k

    def snapshot(self):
        with self.lock:
            return dict(self.n)


counts = Counter()


def feed_reader(name, port):
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(1)
                while not stop.is_set():
                    try:
                        b = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not b:
                        counts.add(f"feed_{name}_closed")
                        break
                    counts.add(f"feed_{name}_bytes", len(b))
        except OSError:
            counts.add(f"feed_{name}_connect_failures")
            time.sleep(1)


def rule(name, alt):
    return {"name": name, "priority": "info", "conditions": {"logic": "AND", "groups": [
        {"logic": "AND", "conditions": [{"type": "altitude", "operator": "lt", "value": alt}]}]}}


def rule_editor(url, rng):
    sio = socketio.Client(reconnection=True)
    sio.connect(url, transports=["websocket"], auth={"token": TOKEN}, wait_timeout=10)
    firing = request(sio, "alert-rule-create", rule("below FL400", 40000))["data"]["id"]
    mine = []
    while not stop.wait(5):
        try:
            op = rng.choice(["create", "update", "toggle", "delete"] if mine else ["create"])
            if op == "create" or len(mine) < 2:
                r = request(sio, "alert-rule-create", rule(f"edit {time.time():.0f}", 500))
                if "data" in r:
                    mine.append(r["data"]["id"])
            elif op == "update":
                r = request(sio, "alert-rule-update",
                            {"id": rng.choice(mine), **rule("edited", rng.randint(100, 900))})
            elif op == "toggle":
                r = request(sio, "alert-rule-toggle",
                            {"id": rng.choice(mine), "enabled": rng.random() < 0.5})
            else:
                r = request(sio, "alert-rule-delete", {"id": mine.pop(0)})
            counts.add("rule_edits" if "data" in r else "rule_edit_errors")
        except Exception:
            counts.add("rule_edit_errors")
    request(sio, "alert-rule-delete", {"id": firing})
    sio.disconnect()


def recording(binary, out, band, aircraft, seconds, seed):
    """A generated recording of one band, kept for the next run with the same settings."""
    path = out / "iq" / f"{band}-{aircraft}-{seconds}s-{seed}.cu8"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        subprocess.run([binary, "simulate", str(part), "--band", str(band), "--seconds",
                        str(seconds), "--aircraft", str(aircraft), "--seed", str(seed),
                        "--snr", "8:30"], check=True)
        part.rename(path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--hz", type=float, default=None,
                    help="aircraft updates per second each load client asks for (server default)")
    ap.add_argument("--speed", type=float, default=10)
    ap.add_argument("--aircraft", type=int, default=250)
    ap.add_argument("--uat-aircraft", type=int, default=50)
    ap.add_argument("--loop-seconds", type=int, default=300,
                    help="length of each generated recording (they loop)")
    ap.add_argument("--stall", type=float, default=120, help="seconds a stalling client stops reading")
    ap.add_argument("--sample", type=float, default=60, help="seconds between samples")
    ap.add_argument("--window", type=float, default=300, help="seconds per latency window")
    ap.add_argument("--warmup", type=float, default=300, help="seconds before growth is measured")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "skyspy"))
    ap.add_argument("--loadgen", default=str(ROOT / "scripts" / "loadgen" / "target" / "release"
                                             / "skyspy-loadgen"))
    ap.add_argument("--out", default=str(ROOT / "target" / "soak"))
    ap.add_argument("--check", action="store_true", help="exit 1 if a limit is broken")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="skyspy-soak-"))
    adsb = recording(args.bin, out, 1090, args.aircraft, args.loop_seconds, 7)
    uat = recording(args.bin, out, 978, args.uat_aircraft, args.loop_seconds, 8)

    port = free_port()
    feeds = {name: free_port() for name in ("raw", "sbs", "beast", "uat_raw")}
    config = tmp / "soak.toml"
    config.write_text(
        f'[source]\nkind = "replay"\nfile = "{adsb}"\nband = 1090\nspeed = {args.speed}\n'
        f'loop = true\nalso = [{{ file = "{uat}", band = 978 }}]\n'
        f'[api]\nauth = "hybrid"\ntokens = ["{TOKEN}"]\n'
        f"max_connections_per_ip = {args.clients + 50}\n"
        "[feeds]\n" + "".join(f'{k} = "127.0.0.1:{v}"\n' for k, v in feeds.items())
        + 'beast_in = ""\n'
        f'[alerts]\nrules_file = "{tmp / "rules.json"}"\n')
    log = open(out / "skyspy.log", "w")
    daemon = subprocess.Popen([args.bin, "run", "--config", str(config),
                               "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    children = [daemon]
    # Everything else here stands in for other machines on the LAN, which take none of the
    # Pi's CPU: from now on this process and what it starts (the load, the reference client,
    # the feed readers) run at the daemon's runtime priority, never above it (firmware/src/
    # priority.rs). Above it, on two cores, the load starved the daemon's writers and its
    # steady clients' queues sat full when their heartbeat ping was due.
    os.nice(RUNTIME_NICE_STEPS)
    try:
        return measure(args, out, daemon, port, feeds, children)
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait()


def measure(args, out, daemon, port, feeds, children):
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/data/receiver.json", timeout=1).read()
            break
        except OSError:
            if daemon.poll() is not None:
                sys.exit(f"soak: FAILED: skyspy exited with {daemon.returncode}; "
                         f"see {out / 'skyspy.log'}")
            time.sleep(0.1)
    else:
        sys.exit(f"soak: FAILED: skyspy did not answer within 30 s; see {out / 'skyspy.log'}")

    reference = subprocess.Popen(["node", str(ROOT / "scripts" / "soak-reference.mjs"), url,
                                  str(args.window)], stdout=subprocess.PIPE, text=True)
    children.append(reference)
    # The load runs until it is told to stop (SIGTERM) after the last sample; --seconds is
    # only a backstop.
    load_cmd = [args.loadgen, "--url", f"ws://127.0.0.1:{port}", "--clients", str(args.clients),
                "--seconds", str(args.minutes * 60 + 600), "--server-pid", str(daemon.pid),
                "--mix", "--stall", str(args.stall), "--label", "soak"]
    if args.hz:
        load_cmd += ["--hz", str(args.hz)]
    load = subprocess.Popen(load_cmd, stdout=subprocess.PIPE, text=True)
    children.append(load)
    threads = [threading.Thread(target=rule_editor, args=(url, random.Random(2)), daemon=True)]
    threads += [threading.Thread(target=feed_reader, args=(n, p), daemon=True)
                for n, p in feeds.items()]
    for t in threads:
        t.start()

    samples = []
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    with open(out / "samples.jsonl", "w") as f:
        while daemon.poll() is None:
            try:
                s = {"t_s": round(time.monotonic() - t0, 1), **proc_sample(daemon.pid),
                     "aircraft": picture_size(url),
                     **{k: v for k, v in counts.snapshot().items() if k.startswith("feed_")}}
            except (OSError, KeyError, ValueError):
                break  # the daemon is gone (or going) between poll() and /proc
            samples.append(s)
            f.write(json.dumps(s) + "\n")
            f.flush()
            print(json.dumps(s), flush=True)
            if time.monotonic() >= end:
                break
            time.sleep(max(0.0, min(args.sample, end - time.monotonic())))
    if daemon.poll() is not None or len(samples) < 2:
        sys.exit(f"soak: FAILED: skyspy exited with {daemon.returncode} after "
                 f"{samples[-1]['t_s'] if samples else 0} s; see {out / 'skyspy.log'}")

    # The server's safety events, then (after those in flight have arrived) the reference
    # client's; then the load and the rest stop.
    asker = socketio.Client(reconnection=False)
    asker.connect(url, transports=["websocket"], wait_timeout=10)
    server = request(asker, "safety-events", {"hours": 168, "limit": 1000})
    asker.disconnect()
    time.sleep(2)
    reference.send_signal(signal.SIGTERM)
    ref = json.loads(reference.communicate(timeout=30)[0] or "{}")
    load.send_signal(signal.SIGTERM)
    loaded = json.loads(load.communicate(timeout=60)[0] or "{}")
    stop.set()
    for t in threads:
        t.join(timeout=15)
    daemon.send_signal(signal.SIGTERM)
    t_term = time.monotonic()
    try:
        code = daemon.wait(timeout=10)
    except subprocess.TimeoutExpired:
        daemon.kill()
        code = "killed after 10 s"
    exit_ms = round((time.monotonic() - t_term) * 1000)
    return evaluate(args, out, samples, server, ref, loaded, code, exit_ms, feeds)


def evaluate(args, out, samples, server, ref, loaded, code, exit_ms, feeds):
    # Figures.
    wall_s = samples[-1]["t_s"]
    warm = [s for s in samples if s["t_s"] >= args.warmup] or samples[-1:]
    base = warm[0]
    windows = ref.get("windows", [])
    received = set(ref.get("safety_ids", []))
    server_events = server.get("data", {}).get("events")
    server_ids = {e["id"] for e in server_events or []}
    written = samples[-1]["write_bytes"] - samples[0]["write_bytes"]
    c = counts.snapshot()
    report = {
        "minutes": round(wall_s / 60, 1),
        "speed": args.speed, "aircraft": args.aircraft, "uat_aircraft": args.uat_aircraft,
        "clients": args.clients,
        "rss_mb": {"first": round(samples[0]["rss_kb"] / 1024, 1),
                   "after_warmup": round(base["rss_kb"] / 1024, 1),
                   "last": round(samples[-1]["rss_kb"] / 1024, 1),
                   "max": round(max(s["rss_kb"] for s in samples) / 1024, 1)},
        "rss_growth_after_warmup_pct": round(
            100 * (samples[-1]["rss_kb"] - base["rss_kb"]) / base["rss_kb"], 2),
        "fds": {"after_warmup": base["fds"], "last": samples[-1]["fds"],
                "min": min(s["fds"] for s in warm), "max": max(s["fds"] for s in warm)},
        "aircraft": {"min": min((s["aircraft"] for s in warm if s["aircraft"] is not None),
                                default=None),
                     "max": max((s["aircraft"] for s in warm if s["aircraft"] is not None),
                                default=None)},
        "threads": {"min": min(s["threads"] for s in samples),
                    "max": max(s["threads"] for s in samples)},
        "written_bytes_per_hour": round(written / wall_s * 3600) if wall_s else None,
        "latency_windows": windows,
        "seq_gaps": ref.get("seq_gaps"),
        "first_gaps": ref.get("first_gaps"),
        "reference": {k: ref.get(k) for k in ("connected_at_end", "disconnects", "snapshots",
                                              "deltas", "alerts")},
        "safety": {"server": len(server_ids), "received": len(server_ids & received),
                   "lost": sorted(server_ids - received)},
        "load": loaded,
        "counts": c,
        "exit": {"code": code, "ms": exit_ms},
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))

    problems = []
    # The replays must keep up: a machine too slow for the speed lets the picture's clock (wall
    # time × speed) run ahead of the messages, so aircraft expire and come back and every
    # figure after that measures an overload, not the daemon.
    expected = args.aircraft + args.uat_aircraft
    held = [s["aircraft"] for s in warm if s["aircraft"] is not None]
    if len(held) < len(warm):
        problems.append(f"/data/aircraft.json went unanswered for 10 s in "
                        f"{len(warm) - len(held)} samples")
    if held and min(held) < 0.95 * expected:
        problems.append(f"the picture fell to {min(held)} of {expected} aircraft (the limit is "
                        f"95 %): this machine did not keep up with the replay at {args.speed}x "
                        f"(try a lower --speed)")
    if report["rss_growth_after_warmup_pct"] >= 5:
        problems.append(f"RSS grew {report['rss_growth_after_warmup_pct']} % after the warm-up")
    if not ref.get("connected_at_end") or ref.get("disconnects"):
        problems.append("the reference client was disconnected")
    if report["seq_gaps"] != 0:
        problems.append(f"the reference client saw {report['seq_gaps']} sequence gaps")
    # A refused send takes its sequence number back and resyncs the client with a snapshot,
    # so a reference client that lost anything shows it as a second snapshot.
    if ref.get("snapshots") != 1:
        problems.append(f"the reference client was resynced: {ref.get('snapshots')} snapshots")
    if server_events is None:
        problems.append(f"safety-events was not answered: {server}")
    elif not server_ids:
        problems.append("the traffic raised no safety event to check")
    elif len(server_events) >= 1000:
        problems.append("1,000 safety events or more: the check sees only the newest 1,000")
    if report["safety"]["lost"]:
        problems.append(f"safety events lost: {report['safety']['lost']}")
    if not ref.get("alerts"):
        problems.append("no alert reached the reference client")
    if not c.get("rule_edits") or c.get("rule_edit_errors"):
        problems.append(f"rule edits: {c.get('rule_edits', 0)} done, "
                        f"{c.get('rule_edit_errors', 0)} failed")
    closed = loaded.get("closed_by_server", {})
    if closed.get("steady"):
        problems.append(f"the server closed {closed['steady']} steady clients' connections")
    if loaded.get("unanswered"):
        problems.append(f"{loaded['unanswered']} connections got no namespace answer")
    if report["threads"]["max"] > report["threads"]["min"] + 2:
        problems.append(f"threads grew: {report['threads']}")
    tenth = max(1, args.clients // 10)
    if report["fds"]["last"] > report["fds"]["after_warmup"] + tenth * 2 + 16:
        problems.append(f"file descriptors grew: {report['fds']}")
    if code != 0:
        problems.append(f"exit {code}")
    quarter = [x for x in samples if x["t_s"] >= 0.75 * samples[-1]["t_s"]]
    if len(quarter) < 2:
        quarter = samples[-2:]
    for name in feeds:
        key = f"feed_{name}_bytes"
        if quarter[-1].get(key, 0) <= quarter[0].get(key, 0):
            problems.append(f"feed {name} sent nothing in the last quarter")
        if c.get(f"feed_{name}_closed") or c.get(f"feed_{name}_connect_failures"):
            problems.append(f"feed {name} was closed or refused")
    if not loaded.get("messages"):
        problems.append("the load clients received nothing")
    if not windows:
        problems.append("no deltas reached the reference client")
    elif any(w["p99_ms"] > 4 * max(250, windows[0]["p99_ms"]) for w in windows):
        problems.append(f"delivery latency grew: {windows}")
    if "panicked" in (out / "skyspy.log").read_text():
        problems.append("a panic in the log")
    for p in problems:
        print(f"soak: {p}", file=sys.stderr)
    print(f"soak: {'FAILED' if problems else 'ok'} ({report['minutes']} min)")
    if args.check and problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
