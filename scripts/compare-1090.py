#!/usr/bin/env python3
"""skyspy, readsb, dump1090-fa and dump1090-mutability side by side on the same generated
1090 MHz recordings, in one run (the table in docs/performance.md).

  apt-get install -y build-essential pkg-config git time dump1090-mutability \
      libzstd-dev zlib1g-dev libncurses-dev
  git clone https://github.com/wiedehopf/readsb /tmp/peersrc/readsb
  git clone https://github.com/flightaware/dump1090 /tmp/peersrc/dump1090-fa
  scripts/peers/build-1090 readsb /tmp/peersrc/readsb /tmp/peers1090
  scripts/peers/build-1090 dump1090-fa /tmp/peersrc/dump1090-fa /tmp/peers1090
  cargo build --release -p skyspy
  python3 scripts/compare-1090.py --peers /tmp/peers1090 [--work DIR] [--runs 3]

The sets (2.4 MS/s cu8 from `skyspy simulate`, which writes every reply's hex and SNR):
  light  60 aircraft, SNR 6-30 dB per reply, 30 s
  dense  400 aircraft (as many replies as 200 aircraft at twice the usual rate), SNR 6-30 dB
  weak   60 aircraft, SNR 4-16 dB

Per decoder and set:
  recovered   sent replies that overlapped no other, printed with their exact hex. Raw output
              has no timestamps, so a hex sent n times and printed k times counts min(n, k),
              and for the SNR curve the k are taken to be the strongest of the n copies (the
              same rule for every decoder).
  false       printed lines whose hex was never sent (any reply, overlapped or not).
  SNR50/90    where the recovery curve (1 dB bins of the reply's SNR) crosses 50 % / 90 %.
  a/p SNR50   the same for the address/parity replies alone (DF4/5/20/21: no CRC repair,
              accepted only from aircraft already heard).
  CPU         user + system seconds of the process per second of IQ (file reading
              included), best of --runs.
  RSS         the process' peak resident set, MB (GNU time's %M).
"""
import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "light": dict(aircraft=60, snr="6:30", seconds=30, seed=11),
    "dense": dict(aircraft=400, snr="6:30", seconds=30, seed=12),
    "weak": dict(aircraft=60, snr="4:16", seconds=30, seed=13),
}
ADDRESS_PARITY = {4, 5, 20, 21}


def decoders(peers: Path, skyspy: Path, only):
    found = {
        "skyspy": [str(skyspy), "decode", "-q"],
        "readsb": [str(peers / "readsb"), "--device-type", "ifile", "--iformat", "UC8",
                   "--raw", "--ifile"],
        "dump1090-fa": [str(peers / "dump1090-fa"), "--iformat", "UC8", "--raw", "--ifile"],
        "dump1090-mutability": ["dump1090-mutability", "--iformat", "UC8", "--fix", "--raw", "--ifile"],
    }
    if only:
        found = {k: v for k, v in found.items() if k in only}
    if not shutil.which("/usr/bin/time"):
        sys.exit("compare-1090: needs GNU time at /usr/bin/time (apt-get install -y time)")
    for name, cmd in found.items():
        if not shutil.which(cmd[0]):
            sys.exit(f"compare-1090: {name} not found at {cmd[0]} (see this script's docstring)")
    return found


# dump1090-fa ends every --ifile run with "Abnormal exit." and status 1 when the file ends
# (its reader thread stops the program that way); that is its normal end here.
EXIT_OK = {"dump1090-fa": {0, 1}}


def run(name, cmd):
    """Runs a decoder under GNU time; returns its stdout, CPU seconds and peak RSS in MB.
    (A child's own rusage is no use for RSS here: Linux carries the forking Python's peak
    into the child's across exec.)"""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        proc = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%U %S %M"] + cmd,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        user, system, peak_kb = t.read().split()[-3:]
    if proc.returncode not in EXIT_OK.get(name, {0}):
        sys.exit(f"compare-1090: {' '.join(cmd)} exited with {proc.returncode}")
    return proc.stdout.decode("ascii", "replace"), float(user) + float(system), int(peak_kb) / 1024


def hexes(raw):
    return collections.Counter(l.strip().strip("*;").lower() for l in raw.splitlines() if l.startswith("*"))


def df(hexstr):
    return int(hexstr[:2], 16) >> 3


def simulate(skyspy, work, name, spec):
    iq = work / f"{name}.cu8"
    truth = work / f"{name}.jsonl"
    if not (iq.exists() and truth.exists()):
        subprocess.run([str(skyspy), "simulate", str(iq), "--seconds", str(spec["seconds"]),
                        "--aircraft", str(spec["aircraft"]), "--snr", spec["snr"],
                        "--seed", str(spec["seed"]), "--truth", str(truth)],
                       check=True, capture_output=True)
    return iq, [json.loads(l) for l in truth.read_text().splitlines()]


def score(truth, got, only=None):
    """(recovered, sent, {snr bin: (hits, sent)}) over replies that overlapped no other."""
    copies = collections.defaultdict(list)
    for t in truth:
        if not t["overlaps"] and (only is None or only(t["hex"])):
            copies[t["hex"]].append(t["snr_db"])
    bins = collections.defaultdict(lambda: [0, 0])
    hit = sent = 0
    for h, snrs in copies.items():
        snrs.sort(reverse=True)
        k = min(len(snrs), got.get(h, 0))
        hit += k
        sent += len(snrs)
        for i, s in enumerate(snrs):
            b = bins[int(s)]
            b[1] += 1
            b[0] += i < k
    return hit, sent, dict(bins)


def crossing(bins, level, min_sent=30):
    """The SNR where the binned recovery curve first reaches `level` (linear between bin
    centres), or None."""
    curve = [(s + 0.5, h / n) for s, (h, n) in sorted(bins.items()) if n >= min_sent]
    if curve and curve[0][1] >= level:
        return curve[0][0]
    for (s0, f0), (s1, f1) in zip(curve, curve[1:]):
        if f0 < level <= f1:
            return s0 + (level - f0) / (f1 - f0) * (s1 - s0)
    return None


def fmt_db(x):
    return "–" if x is None else f"{x:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", type=Path, required=True, help="where build-1090 put readsb and dump1090-fa")
    ap.add_argument("--skyspy", type=Path, default=ROOT / "target" / "release" / "skyspy")
    ap.add_argument("--work", type=Path, default=Path("/tmp/skyspy-compare-1090"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--only", default=None, help="comma-separated decoders (default: all four)")
    ap.add_argument("--curves", action="store_true", help="also print each set's recovery by SNR")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    cmds = decoders(args.peers, args.skyspy, args.only.split(",") if args.only else None)

    rows, curves = [], []
    for set_name in args.sets.split(","):
        spec = SETS[set_name]
        iq, truth = simulate(args.skyspy, args.work, set_name, spec)
        sent_all = {t["hex"] for t in truth}
        base_cpu = None
        for name, cmd in cmds.items():
            best_cpu, rss, out = float("inf"), 0.0, ""
            for _ in range(args.runs):
                out, cpu, peak = run(name, cmd + [str(iq)])
                best_cpu, rss = min(best_cpu, cpu), max(rss, peak)
            got = hexes(out)
            hit, sent, bins = score(truth, got)
            _, _, ap_bins = score(truth, got, only=lambda h: df(h) in ADDRESS_PARITY)
            false = sum(n for h, n in got.items() if h not in sent_all)
            cpu_s = best_cpu / spec["seconds"]
            if name == "readsb":
                base_cpu = cpu_s
            rows.append((set_name, name, hit, sent, false, crossing(bins, 0.5), crossing(bins, 0.9),
                         crossing(ap_bins, 0.5), cpu_s, rss))
            curves.append((set_name, name, bins))
        for i, r in enumerate(rows):
            if r[0] == set_name and base_cpu:
                rows[i] = r + (r[8] / base_cpu,)
    print(f"| set | decoder | recovered | false | SNR50 dB | SNR90 dB | a/p SNR50 dB | CPU s per IQ s | × readsb | RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r[10]:.2f}" if len(r) > 10 else "–"
        print(f"| {r[0]} | {r[1]} | {r[2]} of {r[3]} ({100 * r[2] / r[3]:.1f} %) | {r[4]} | "
              f"{fmt_db(r[5])} | {fmt_db(r[6])} | {fmt_db(r[7])} | {r[8]:.4f} | {ratio} | {r[9]:.1f} |")
    if args.curves:
        for set_name, name, bins in curves:
            pts = ", ".join(f"{s}: {100 * h / n:.1f}" for s, (h, n) in sorted(bins.items()) if n >= 30)
            print(f"\n{set_name} / {name} (dB: %): {pts}")


if __name__ == "__main__":
    main()
