#!/usr/bin/env python3
"""Test double for an OpenAI-compatible transcription backend, with a real recognizer.

The daemon uploads each recorded airband transmission to `POST {base}/v1/audio/transcriptions`
(multipart/form-data: file, model, [language], [response_format]). This server answers it with
Debian's pocketsphinx (apt: pocketsphinx pocketsphinx-en-us sox), so tests exercise real plumbing:
upload, decode, recognition, JSON answer. NOT accuracy: the en-us model is trained on 16 kHz
wideband speech; 8 kHz airband audio upsampled to 16 kHz is outside it. Assert on shape only.

Failure injection, so one server plays every failure:
  POST /control {"mode": "ok"|"error"|"slow"|"garbage", "status": 500, "delay_s": 5.0,
                 "fail_next": N, "retry_after": 1, "reset": true}  (all optional; settings stick)
    error: answer `status` with an error JSON; slow: sleep `delay_s`, then answer normally;
    garbage: 200 with a non-JSON body; fail_next: the next N requests answer `status`, then the
    mode applies again (it becomes "ok" unless given in the same call); retry_after: add a
    Retry-After header to injected errors; reset: defaults back and request log cleared.
  GET /control: current settings.  GET /requests: what was received, oldest first.
Usage: transcribe_server.py --port 0   (prints "listening on PORT" on stdout once ready)
Stdlib only (Python 3.11); multipart is parsed with the `email` package.
"""

import argparse
import email.parser
import email.policy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = os.environ.get("POCKETSPHINX_MODEL", "/usr/share/pocketsphinx/model/en-us")
DEFAULTS = {"mode": "ok", "status": 500, "delay_s": 5.0, "fail_next": 0, "retry_after": None}
MODES = ("ok", "error", "slow", "garbage")
FORMATS = ("json", "verbose_json", "text")

lock = threading.Lock()
state = dict(DEFAULTS)
received = []  # one dict per transcription request, in arrival order


def parse_multipart(content_type, body):
    """Return {name: (filename, content_type, bytes)} for each part of a form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise ValueError("expected a multipart/form-data body")
    parts = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            data = part.get_payload(decode=True) or b""
            parts[name] = (part.get_filename(), part.get_content_type(), data)
    return parts


def transcribe(audio):
    """Decode WAV/FLAC bytes to 16 kHz mono s16le with sox, recognize with pocketsphinx.
    Returns (text, duration_s); raises ValueError if the audio cannot be decoded."""
    kind = {b"RIFF": "wav", b"fLaC": "flac"}.get(audio[:4])
    if kind is None:
        raise ValueError("audio is neither WAV nor FLAC")
    with tempfile.TemporaryDirectory(prefix="transcribe-") as tmp:
        src, raw = os.path.join(tmp, "in." + kind), os.path.join(tmp, "in.raw")
        with open(src, "wb") as f:
            f.write(audio)
        sox = subprocess.run(["sox", "-q", "-t", kind, src, "-t", "raw", "-r", "16000", "-c", "1",
                              "-b", "16", "-e", "signed-integer", "-L", raw],
                             capture_output=True, timeout=60)
        if sox.returncode != 0:
            raise ValueError("cannot decode audio: " + sox.stderr.decode(errors="replace").strip())
        duration = os.path.getsize(raw) / 32000.0
        ps = subprocess.run(["pocketsphinx_continuous", "-infile", raw, "-samprate", "16000",
                             "-hmm", f"{MODEL}/en-us", "-lm", f"{MODEL}/en-us.lm.bin",
                             "-dict", f"{MODEL}/cmudict-en-us.dict", "-logfn", "/dev/null"],
                            capture_output=True, timeout=120)
        if ps.returncode != 0:
            raise RuntimeError("pocketsphinx failed: " + ps.stderr.decode(errors="replace")[-500:])
        # one hypothesis line per utterance the recognizer's VAD found
        return " ".join(ps.stdout.decode(errors="replace").split()), round(duration, 3)


class Handler(BaseHTTPRequestHandler):
    server_version = "skyspy-transcribe-test/1"

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during "slow")
        return status

    def error(self, status, message, kind="invalid_request_error", headers=()):
        return self.reply(status, {"error": {"message": message, "type": kind, "code": None}},
                          headers=headers)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        with lock:
            if self.path == "/requests":
                return self.reply(200, received)
            if self.path == "/control":
                return self.reply(200, state)
        self.error(404, f"no route GET {self.path}")

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            return self.control(body)
        if self.path != "/v1/audio/transcriptions":
            return self.error(404, f"no route POST {self.path}")
        # every key exists up front: GET /requests may serialize this while it is being filled
        entry = {"time": time.time(), "filename": None, "content_type": None, "model": None,
                 "language": None, "response_format": None, "bytes": None, "fields": [],
                 "status": None, "elapsed_s": None}
        with lock:
            received.append(entry)
        entry["status"] = self.transcriptions(body, entry)
        entry["elapsed_s"] = round(time.time() - entry["time"], 3)

    def control(self, body):
        try:
            cmd = json.loads(body or b"{}")
            assert isinstance(cmd, dict) and cmd.get("mode", "ok") in MODES
            int(cmd.get("status", 0)), float(cmd.get("delay_s", 0)), int(cmd.get("fail_next", 0))
        except (ValueError, TypeError, AssertionError):
            return self.error(400, f"control wants a JSON object; mode one of {MODES}; numbers")
        with lock:
            if cmd.get("reset"):
                state.update(DEFAULTS)
                received.clear()
            if "fail_next" in cmd and "mode" not in cmd:
                state["mode"] = "ok"
            state.update({k: cmd[k] for k in DEFAULTS if k in cmd})
            return self.reply(200, state)

    def transcriptions(self, body, entry):
        bad = None
        try:
            parts = parse_multipart(self.headers.get("Content-Type", ""), body)
        except Exception as e:  # noqa: BLE001 - any parse failure is the client's
            parts, bad = {}, f"cannot parse multipart body: {e}"
        text = {k: v[2].decode(errors="replace").strip() for k, v in parts.items() if k != "file"}
        entry["fields"] = sorted(parts)
        for k in ("model", "language", "response_format"):
            entry[k] = text.get(k)
        if "file" in parts:
            entry["filename"], entry["content_type"], audio = parts["file"]
            entry["bytes"] = len(audio)

        with lock:  # injected failures come first, whatever the request holds
            mode, status, delay = state["mode"], int(state["status"]), float(state["delay_s"])
            after = state["retry_after"]
            retry = [] if after is None else [("Retry-After", str(after))]
            failing = int(state["fail_next"]) > 0
            if failing:
                state["fail_next"] -= 1
        if failing or mode == "error":
            return self.error(status, f"injected failure (HTTP {status})", "server_error", retry)
        if mode == "garbage":
            return self.reply(200, b"<html><body>502 Bad Gateway</body></html>\xff", "text/html")
        if mode == "slow":
            time.sleep(delay)

        fmt = entry["response_format"] or "json"
        if bad:
            return self.error(400, bad)
        if "file" not in parts:
            return self.error(400, "missing required field 'file'")
        if fmt not in FORMATS:
            return self.error(400, f"response_format must be one of {FORMATS}")
        try:
            said, duration = transcribe(audio)
        except ValueError as e:
            return self.error(400, str(e))
        except Exception as e:  # noqa: BLE001 - recognizer crash or timeout
            return self.error(500, str(e), "server_error")
        if fmt == "text":
            return self.reply(200, said.encode(), "text/plain; charset=utf-8")
        if fmt == "verbose_json":
            lang = entry["language"] or "english"
            return self.reply(200, {"task": "transcribe", "language": lang, "duration": duration,
                                    "text": said, "segments": []})
        return self.reply(200, {"text": said})

    def log_message(self, fmt, *args):
        sys.stderr.write("transcribe_server: " + fmt % args + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
