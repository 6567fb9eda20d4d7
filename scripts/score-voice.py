#!/usr/bin/env python3
"""Scores a voice receiver's transmissions against a generated test set's truth.

    score-voice.py TRUTH.jsonl OUTPUT.jsonl [--name NAME] [--json]

TRUTH is what `skyspy simulate --band vhf --am … --truth T --audio-dir D` writes: one line per
transmission (`frequency` as labelled, `start_s`, `end_s`, `snr_db`, `audio`: its clean clip),
then the interferers (`interferer: true`). OUTPUT has one object per detected transmission
with `frequency` (MHz), `start_s`, `end_s` and `audio` (a 16-bit WAV at 8 kHz): what
`skyspy decode --am … --audio-dir --json` prints and scripts/compare-airband-run writes for
RTLSDR-Airband.

A detection matches the transmission on its channel that it overlaps by at least half of the
transmission; one detection per transmission. A detection that overlaps a transmission on
its channel but matches none (a late opening, or the rest of a transmission cut in two) is a
partial; one that overlaps no transmission on its channel is a false opening. SNR50 comes
from a logistic fit like score-acars.py's (the plateau is what is found at 15 dB and up). Audio: for each matched transmission at 15 dB and
above, the correlation of the received audio with the clean audio band-passed to
300–3,000 Hz, at the best lag within ±30 ms of where the times put it.
"""

import argparse
import importlib.util
import json
import math
import os
import wave
from array import array

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("score_acars", os.path.join(here, "score-acars.py"))
acars = importlib.util.module_from_spec(spec)
spec.loader.exec_module(acars)


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        a = array("h")
        a.frombytes(w.readframes(w.getnframes()))
        return [float(v) for v in a]


def voice_band(x, rate=8000.0):
    """Two 300 Hz high-passes and two 3 kHz low-passes (RBJ, Q = 0.707)."""
    y = list(x)
    for hz, high in ((300.0, True), (300.0, True), (3000.0, False), (3000.0, False)):
        w = 2 * math.pi * hz / rate
        s, c = math.sin(w), math.cos(w)
        alpha = s / math.sqrt(2)
        a0 = 1 + alpha
        b0, b1 = ((1 + c) / 2, -(1 + c)) if high else ((1 - c) / 2, 1 - c)
        b = (b0 / a0, b1 / a0, b0 / a0)
        a = (-2 * c / a0, (1 - alpha) / a0)
        x1 = x2 = y1 = y2 = 0.0
        for i, v in enumerate(y):
            out = b[0] * v + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2
            x2, x1, y2, y1 = x1, v, y1, out
            y[i] = out
    return y


def correlation(clean, got, lag0, span=240):
    """Best normalised correlation of got[i + lag] with clean[i], lags lag0 ± span."""
    def at(lag):
        ab = aa = bb = 0.0
        for i in range(0, len(clean), 2):
            j = i + lag
            if 0 <= j < len(got):
                x, y = clean[i], got[j]
                ab += x * y
                aa += x * x
                bb += y * y
        return ab / math.sqrt(aa * bb) if aa > 0 and bb > 0 else 0.0
    coarse = max(range(lag0 - span, lag0 + span + 1, 4), key=at)
    return max(at(lag) for lag in range(coarse - 4, coarse + 5))


def score(truth, decoded, want_audio=True):
    sent = [t for t in truth if not t.get("interferer")]
    found = {}
    false = partial = 0
    for d in decoded:
        best, overlap = None, 0.0
        for i, t in enumerate(sent):
            if round(float(t["frequency"]), 3) != round(float(d["frequency"]), 3) or i in found:
                continue
            o = min(t["end_s"], d["end_s"]) - max(t["start_s"], d["start_s"])
            if o >= 0.5 * (t["end_s"] - t["start_s"]) and o > overlap:
                best, overlap = i, o
        if best is not None:
            found[best] = d
        elif any(round(float(t["frequency"]), 3) == round(float(d["frequency"]), 3)
                 and min(t["end_s"], d["end_s"]) > max(t["start_s"], d["start_s"])
                 for t in sent):
            partial += 1
        else:
            false += 1
    points = [(t["snr_db"], i in found) for i, t in enumerate(sent)]
    high = [ok for snr, ok in points if snr >= 15]
    # The plateau: what is found at 15 dB and above (all of it, if the set has none there).
    # A voice squelch works far below an ACARS decoder: the centre is searched over ±30 dB.
    (mu, sc), plateau = acars.fit(points, sum(high) / len(high) if high else 1.0,
                                  lowest_mu=-30.0, highest_mu=30.0, widest_s=6.0)
    corr = []
    if want_audio:
        for i, d in found.items():
            t = sent[i]
            if t["snr_db"] < 15 or not t.get("audio") or not d.get("audio"):
                continue
            clean = voice_band(read_wav(t["audio"]))
            got = read_wav(d["audio"])
            lag0 = round((t["start_s"] + 0.005 - d["start_s"]) * 8000)
            corr.append(correlation(clean, got, lag0))
    return {
        "transmissions": len(sent),
        "detections": len(decoded),
        "detected": len(found),
        "detected_fraction": len(found) / max(1, len(sent)),
        "false": false,
        "partial": partial,
        "snr50_db": acars.level_at(mu, sc, plateau, 0.5),
        "snr90_db": acars.level_at(mu, sc, plateau, 0.9),
        "lowest_snr_db": min((snr for snr, _ in points), default=None),
        "plateau": plateau,
        "correlation_15db": sum(corr) / len(corr) if corr else None,
        "correlation_pairs": len(corr),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("truth")
    p.add_argument("output")
    p.add_argument("--name", default="receiver")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    truth = acars.load_jsonl(a.truth)
    out = [d for d in acars.load_jsonl(a.output) if "start_s" in d]
    s = score(truth, out)
    s["name"] = a.name
    if a.json:
        print(json.dumps(s))
        return
    fmt = lambda v: "none" if v is None else f"{v:.1f} dB"
    c = s["correlation_15db"]
    # A curve centred below the set's lowest SNR is an extrapolation: say so.
    snr50 = s["snr50_db"]
    if snr50 is not None and s["lowest_snr_db"] is not None and snr50 < s["lowest_snr_db"]:
        snr50_text = f"below {s['lowest_snr_db']:.1f} dB (fit {snr50:.1f})"
    else:
        snr50_text = fmt(snr50)
    print(f"{a.name}: {s['detected']}/{s['transmissions']} detected "
          f"({100 * s['detected_fraction']:.1f} %), {s['false']} false, {s['partial']} partial, "
          f"SNR50 {snr50_text}, "
          f"audio correlation ≥15 dB {'none' if c is None else f'{c:.3f}'} ({s['correlation_pairs']})")


if __name__ == "__main__":
    main()
