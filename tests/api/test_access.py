"""Access follows the auth mode on every path (shared/docs/protocol.md "Auth"), through the real
server: the plain HTTP data paths, `/metrics` and the audio clips as well as Socket.IO. Tokens
never reach the log, and a private daemon warns about TCP feeds anyone on the network can read.
"""

import subprocess
import urllib.error
import urllib.request

import socketio

from conftest import BIN, LIGHT, TOKEN, connect

DATA = ["/data/aircraft.json", "/data/receiver.json", "/data/stats.json", "/metrics"]
# A clip that does not exist: 404 once past the access rule, 401 before it.
CLIP = "/audio/clips/999999.flac"


def get(url, bearer=None):
    req = urllib.request.Request(url)
    if bearer is not None:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def codes(d, path):
    """The status of `path` with no token, a wrong one, the token as Bearer and as ?token=."""
    return (get(d.url + path)[0],
            get(d.url + path, bearer="wrong-token-value")[0],
            get(d.url + path, bearer=TOKEN)[0],
            get(f"{d.url}{path}?token={TOKEN}")[0])


def test_http_data_paths_follow_the_auth_mode(daemon):
    config = LIGHT + f'[api]\ntokens = ["{TOKEN}"]\n'
    for mode in ("public", "private", "hybrid"):
        d = daemon("--simulate", "--auth", mode, config=config)
        for path in DATA:
            expected = {"public": (200,) * 4,
                        "private": (401, 401, 200, 200),
                        "hybrid": (200,) * 4}[mode]
            assert codes(d, path) == expected, (mode, path)
        # Clips belong to /audio: a token in private and hybrid mode.
        expected = {"public": (404,) * 4,
                    "private": (401, 401, 404, 404),
                    "hybrid": (401, 401, 404, 404)}[mode]
        assert codes(d, CLIP) == expected, (mode, CLIP)
        # The page itself loads in every mode, and asks for the token it needs.
        assert get(d.url + "/")[0] == 200
        if mode == "private":
            status, headers, body = get(d.url + "/data/aircraft.json")
            assert headers.get("WWW-Authenticate", "").startswith("Bearer"), headers
            assert b"aircraft" not in body and TOKEN.encode() not in body
            status, _, body = get(d.url + "/data/aircraft.json", bearer=TOKEN)
            assert status == 200 and b'"aircraft"' in body
        d.stop()


def test_tokens_never_reach_the_log(daemon):
    """At trace level, with the token sent every way a client sends it (and a wrong one)."""
    wrong = "wrong-token-9f8e7d6c5b"
    d = daemon("--simulate", "--auth", "private", config=LIGHT + f'[api]\ntokens = ["{TOKEN}"]\n',
               env={"RUST_LOG": "trace,socketioxide=trace"})
    for path in DATA + [CLIP]:
        get(d.url + path, bearer=TOKEN)
        get(f"{d.url}{path}?token={TOKEN}")
        get(f"{d.url}{path}?token={wrong}")
    for ns in ("/", "/audio", "/acars", "/cannonball"):
        sio, _ = connect(d.url, namespace=ns, auth={"token": TOKEN})
        sio.disconnect()
    refused = socketio.Client(reconnection=False)
    try:
        refused.connect(d.url, auth={"token": wrong}, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        pass
    d.stop()
    log = d.output()
    assert "TRACE" in log, "the log ran at trace level"
    assert TOKEN not in log and wrong not in log


def test_a_private_daemon_warns_about_feeds_on_the_network(tmp_path, daemon):
    cfg = tmp_path / "private.toml"
    cfg.write_text(f'[api]\nauth = "private"\ntokens = ["{TOKEN}"]\n'
                   '[feeds]\nraw = "127.0.0.1:0"\nsbs = ""\nuat_raw = ""\n')
    r = subprocess.run([BIN, "run", "--check", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    warnings = [l for l in r.stdout.splitlines() if l.startswith("warning:")]
    # The defaults of beast (30005) and beast_in (30004) listen on 0.0.0.0; raw is loopback.
    assert len(warnings) == 2, r.stdout
    assert "feeds.beast listens on 0.0.0.0:30005" in warnings[0]
    assert "feeds.beast_in listens on 0.0.0.0:30004" in warnings[1]
    assert all("127.0.0.1" in w for w in warnings), "the warning says what to do"
    assert TOKEN not in r.stdout + r.stderr
    # Hybrid mode: reads are open, but Beast input on the network is a change with no token.
    cfg.write_text(f'[api]\nauth = "hybrid"\ntokens = ["{TOKEN}"]\n')
    r = subprocess.run([BIN, "run", "--check", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=30)
    warnings = [l for l in r.stdout.splitlines() if l.startswith("warning:")]
    assert len(warnings) == 1 and "feeds.beast_in" in warnings[0], r.stdout
    assert 'auth = "hybrid"' in warnings[0]
    # The same config in public mode: nothing to warn about.
    cfg.write_text('[feeds]\nraw = "0.0.0.0:0"\n')
    r = subprocess.run([BIN, "run", "--check", "--config", str(cfg)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    assert "warning" not in r.stdout, r.stdout
    # And at start, in the log (feeds on free ports so the test needs none of the defaults).
    d = daemon("--simulate", "--auth", "private",
               config=LIGHT + f'[api]\ntokens = ["{TOKEN}"]\n[feeds]\nraw = "0.0.0.0:0"\n'
               'sbs = ""\nbeast = "127.0.0.1:0"\nuat_raw = ""\nbeast_in = ""\n')
    d.stop()
    log = d.output()
    assert "feeds.raw listens on 0.0.0.0:0" in log and "WARN" in log, log[-2000:]
    assert "feeds.beast listens" not in log
    assert "\x1b[" not in log, "no colour codes when standard error is not a terminal"
