#!/usr/bin/env python3
"""Side-by-side with Debian's dump1090-mutability on the same generated files.

  apt-get install dump1090-mutability
  cargo build --release && python3 scripts/compare-dump1090.py [WORKDIR]

1. Sensitivity: for each 1 dB SNR band from 6 to 20 dB, 5 s of traffic from 100 aircraft
   (`skyspy simulate --snr S:S+1`), decoded by both. A sent reply that overlapped no other
   counts as recovered as many times as the decoder printed its exact hex (neither raw
   output has timestamps, so both are scored the same way).
2. CPU: user+system seconds of each on one 60 s file (100 aircraft, SNR 6–30 dB), divided
   by the seconds of IQ, best of three runs.
Prints a Markdown table for docs/performance.md.
"""
import collections
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

SKYSPY = Path(__file__).resolve().parent.parent / "target" / "release" / "skyspy"
DUMP1090 = "dump1090-mutability"


def run_cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, cpu


def hexes(raw):
    return collections.Counter(l.strip().strip("*;").lower() for l in raw.splitlines() if l.startswith("*"))


def skyspy(path):
    return run_cpu([str(SKYSPY), "decode", str(path), "-q"])


def dump1090(path):
    return run_cpu([DUMP1090, "--ifile", str(path), "--iformat", "UC8", "--fix", "--raw"])


def simulate(path, seconds, snr, seed):
    truth = path.with_suffix(".jsonl")
    subprocess.run([str(SKYSPY), "simulate", str(path), "--seconds", str(seconds), "--aircraft", "100",
                    "--snr", snr, "--seed", str(seed), "--truth", str(truth)], check=True, capture_output=True)
    return [json.loads(l) for l in truth.read_text().splitlines()]


def recovered(truth, got):
    want = collections.Counter(t["hex"] for t in truth if not t["overlaps"])
    hit = sum(min(n, got.get(h, 0)) for h, n in want.items())
    return hit, sum(want.values())


def half_point(curve):
    for (s0, f0), (s1, f1) in zip(curve, curve[1:]):
        if f0 < 0.5 <= f1:
            return s0 + 0.5 + (0.5 - f0) / (f1 - f0) * (s1 - s0)
    return float("nan")


def main():
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/skyspy-compare")
    work.mkdir(parents=True, exist_ok=True)
    rows, curves = [], {"skyspy": [], "dump1090": []}
    for snr in range(6, 21):
        f = work / f"snr{snr}.cu8"
        truth = simulate(f, 5, f"{snr}:{snr + 1}", 100 + snr)
        a, _ = skyspy(f)
        b, _ = dump1090(f)
        ha, n = recovered(truth, hexes(a))
        hb, _ = recovered(truth, hexes(b))
        curves["skyspy"].append((snr, ha / n))
        curves["dump1090"].append((snr, hb / n))
        rows.append(f"| {snr}–{snr + 1} | {n} | {100 * ha / n:.1f} % | {100 * hb / n:.1f} % |")
        f.unlink()
    print("| SNR dB | replies (no overlap) | skyspy decode | dump1090-mutability |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n50 % recovery: skyspy {half_point(curves['skyspy']):.1f} dB, "
          f"dump1090-mutability {half_point(curves['dump1090']):.1f} dB\n")

    f = work / "cpu60.cu8"
    truth = simulate(f, 60, "6:30", 1)
    results = {}
    for name, fn in (("skyspy decode", skyspy), ("dump1090-mutability", dump1090)):
        best, out = float("inf"), ""
        for _ in range(3):
            out, cpu = fn(f)
            best = min(best, cpu)
        hit, n = recovered(truth, hexes(out))
        results[name] = (best / 60.0, sum(hexes(out).values()), hit, n)
    print("| decoder | CPU s per IQ s | messages | recovered (no overlap) |")
    print("|---|---|---|---|")
    for name, (cpu, msgs, hit, n) in results.items():
        print(f"| {name} | {cpu:.4f} | {msgs} | {hit} of {n} ({100 * hit / n:.1f} %) |")
    f.unlink()


if __name__ == "__main__":
    main()
