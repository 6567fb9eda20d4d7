#!/usr/bin/env python3
"""Scores ACARS decoder output against a generated test set's truth.

    score-acars.py TRUTH.jsonl OUTPUT.jsonl [--name NAME] [--json]

TRUTH is what `skyspy simulate --band vhf --truth` writes (one line per burst). OUTPUT is one
JSON object per line from `skyspy decode --band vhf --json` or from acarsdec's JSON output
(either field naming: `frequency`/`freq`, `registration`/`tail`, `msg_num`/`msgno`); other
lines are ignored.

A decoded message matches a burst when frequency, registration, label, block id and the whole
text (message number, flight and text, spaces ignored) agree. A decoded message that agrees
on everything but the text is a text error; one that matches no burst at all is false.
Recovery is reported by SNR (carrier over noise in 25 kHz): the fraction recovered in 2 dB
bins, and SNR50 / SNR90 from a logistic curve fitted to every burst (maximum likelihood),
P(snr) = c / (1 + exp(-(snr - mu) / s)), where the plateau c is the fraction recovered at
15 dB and above (what collisions leave); SNR50 and SNR90 are where that curve reaches 50 %
and 90 % of the bursts (none if it never does).
"""

import argparse
import json
import math
import sys
from collections import defaultdict

BIN_DB = 2.0


def norm(text):
    return "".join((text or "").split())


def decoded_key(d):
    freq = d.get("frequency", d.get("freq"))
    reg = d.get("registration", d.get("tail")) or ""
    msgno = d.get("msg_num", d.get("msgno")) or ""
    full = norm(msgno + (d.get("flight") or "") + (d.get("text") or ""))
    head = (round(float(freq), 3), reg.lstrip("."), d.get("label"), d.get("block_id"))
    return head, full


def load_jsonl(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def fit(points, plateau, lowest_mu=-10.0, highest_mu=20.0, widest_s=4.0):
    """Maximum-likelihood (mu, s) of the logistic curve with this plateau, the centre searched
    over lowest_mu..highest_mu dB and the width up to widest_s dB in quarter-dB steps."""
    plateau = min(max(plateau, 1e-3), 1 - 1e-6)

    def loglik(mu, sc):
        total = 0.0
        for snr, ok in points:
            z = max(-60.0, min(60.0, (snr - mu) / sc))
            p = plateau / (1.0 + math.exp(-z))
            p = min(max(p, 1e-9), 1 - 1e-9)
            total += math.log(p if ok else 1 - p)
        return total

    best = max(
        ((mu / 4, sc / 4)
         for mu in range(round(4 * lowest_mu), round(4 * highest_mu) + 1)
         for sc in range(1, round(4 * widest_s) + 1)),
        key=lambda g: loglik(*g),
    )
    fine = [
        (best[0] + dm / 50, best[1] + ds / 50)
        for dm in range(-12, 13)
        for ds in range(-12, 13)
        if best[1] + ds / 50 > 0.05
    ]
    return max(fine, key=lambda g: loglik(*g)), plateau


def level_at(mu, sc, plateau, level):
    if level >= plateau:
        return None
    return mu - sc * math.log(plateau / level - 1)


def score(truth, decoded):
    by_key = defaultdict(list)
    by_head = defaultdict(list)
    for i, t in enumerate(truth):
        head = (round(float(t["frequency"]), 3), t["registration"], t["label"], t["block_id"])
        by_key[(head, norm(t["text"]))].append(i)
        by_head[head].append(i)
    found = set()
    text_errors = 0
    false = 0
    for d in decoded:
        try:
            head, full = decoded_key(d)
        except (TypeError, ValueError):
            false += 1
            continue
        hits = [i for i in by_key.get((head, full), []) if i not in found]
        if hits:
            found.add(hits[0])
        elif by_key.get((head, full)):
            pass  # a duplicate of a burst already counted
        elif head in by_head:
            text_errors += 1
        else:
            false += 1
    bins = defaultdict(lambda: [0, 0])
    for i, t in enumerate(truth):
        b = int((t["snr_db"] - (-100)) // BIN_DB)
        bins[b][0] += 1
        bins[b][1] += i in found
    curve = [(-100 + (b + 0.5) * BIN_DB, n_found / n) for b, (n, n_found) in sorted(bins.items())]
    points = [(t["snr_db"], i in found) for i, t in enumerate(truth)]
    high = [ok for snr, ok in points if snr >= 15]
    (mu, sc), plateau = fit(points, sum(high) / max(1, len(high)))
    return {
        "bursts": len(truth),
        "decoded": len(decoded),
        "recovered": len(found),
        "recovered_fraction": len(found) / max(1, len(truth)),
        "text_errors": text_errors,
        "false": false,
        "snr50_db": level_at(mu, sc, plateau, 0.5),
        "snr90_db": level_at(mu, sc, plateau, 0.9),
        "plateau": plateau,
        "curve": [(round(s, 1), round(f, 3)) for s, f in curve],
        "found": sorted(found),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("truth")
    p.add_argument("output")
    p.add_argument("--name", default="decoder")
    p.add_argument("--json", action="store_true", help="print the score as JSON")
    a = p.parse_args()
    truth = load_jsonl(a.truth)
    if not truth:
        sys.exit(f"{a.truth}: no truth lines")
    s = score(truth, load_jsonl(a.output))
    s["name"] = a.name
    if a.json:
        print(json.dumps(s))
        return
    fmt = lambda v: "-" if v is None else f"{v:.1f} dB"
    print(
        f"{a.name}: {s['recovered']}/{s['bursts']} recovered ({100 * s['recovered_fraction']:.1f} %), "
        f"SNR50 {fmt(s['snr50_db'])}, SNR90 {fmt(s['snr90_db'])}, "
        f"{s['text_errors']} text errors, {s['false']} false"
    )


if __name__ == "__main__":
    main()
