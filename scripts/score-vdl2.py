#!/usr/bin/env python3
"""Scores VDL2 decoder output (the ACARS it carries) against a generated test set's truth.

    score-vdl2.py TRUTH.jsonl OUTPUT.jsonl [--json]

TRUTH is what `skyspy simulate --band vdl2 --truth` writes (one line per frame; the ACARS
frames are scored, ground station information frames are not). OUTPUT is one JSON object per
line from `skyspy decode --band vdl2 --json` or from dumpvdl2's `decoded:json` output (its
`vdl2.avlc.acars` objects). A message matches a frame as score-acars.py matches them: channel,
registration, label, block id and the whole text; SNR is the burst's signal over noise in
25 kHz.
"""

import importlib.util
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("score_acars", os.path.join(here, "score-acars.py"))
acars = importlib.util.module_from_spec(spec)
spec.loader.exec_module(acars)


def truth_frames(path):
    return [t for t in acars.load_jsonl(path) if "label" in t]


def decoded(path):
    """Our messages as they are; dumpvdl2's frames as the same fields."""
    out = []
    for d in acars.load_jsonl(path):
        v = d.get("vdl2")
        if v is None:
            out.append(d)
            continue
        a = (v.get("avlc") or {}).get("acars")
        if not a or a.get("err"):
            continue
        text = a.get("msg_text") or ""
        if a.get("sublabel"):
            # libacars takes an H1 message's sublabel (and MFI) out of the text; put it back.
            mfi = f"/{a['mfi']} " if a.get("mfi") else ""
            text = f"#{a['sublabel']}B{mfi}{text}"
        out.append({
            "frequency": v["freq"] / 1e6,
            "registration": (a.get("reg") or "").lstrip("."),
            "label": a.get("label"),
            "block_id": a.get("blk_id"),
            "msg_num": (a.get("msg_num") or "") + (a.get("msg_num_seq") or ""),
            "flight": a.get("flight") or "",
            "text": text,
        })
    return out


def main():
    truth, out = sys.argv[1], sys.argv[2]
    r = acars.score(truth_frames(truth), decoded(out))
    if "--json" in sys.argv:
        json.dump(r, sys.stdout)
    else:
        print(f"found {len(r['found'])}, text errors {r['text_errors']}, false {r['false']}")


if __name__ == "__main__":
    main()
