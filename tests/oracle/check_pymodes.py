#!/usr/bin/env python3
"""Independent oracle: every message `skyspy decode --json` prints must agree with
pyModeS (v3 `decode()`) on every field both decoders report.

Usage: check_pymodes.py SKYSPY_BINARY TESTDATA_DIR WORK_DIR

Decodes the real captures, a generated corpus and the hex vectors in vectors.txt (formats the
captures lack: DF16 and Comm-B RAs, TIS-B/ADS-R, surface, operational status), compares field by field, and prints
mismatches and a closing line "N passed, N failed" (one per message).
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import pyModeS

# Fields compared when both decoders report them. Names are pyModeS's (ours use the same).
FIELDS = [
    "df", "icao", "altitude", "squawk", "typecode", "callsign", "category", "cpr_format",
    "cpr_lat", "cpr_lon", "groundspeed", "track", "vertical_rate", "geo_minus_baro",
    "airspeed", "airspeed_type", "heading", "capability", "flight_status", "downlink_request",
    "utility_message", "vertical_status", "sensitivity_level", "reply_information",
    "cross_link_capability", "surveillance_status", "nic_b", "movement", "track_status",
    "subtype", "nac_v", "vr_source", "emergency_state", "selected_altitude",
    "selected_altitude_source", "baro_pressure_setting", "selected_heading", "nac_p",
    "nic_baro", "sil", "autopilot", "vnav_mode", "altitude_hold_mode", "approach_mode",
    "lnav_mode", "tcas_operational", "capability_class", "operational_mode", "version",
    "nic_supplement_a", "hrd", "selected_altitude_mcp", "selected_altitude_fms",
    "roll", "true_track", "track_rate", "true_airspeed", "magnetic_heading",
    "indicated_airspeed", "mach", "baro_vertical_rate", "inertial_vertical_rate",
    "issued_ra", "corrective", "downward_sense", "increased_rate", "sense_reversal",
    "altitude_crossing", "positive", "no_below", "no_above", "no_left", "no_right",
    "ra_terminated", "multiple_threat", "threat_type_indicator", "threat_icao",
]
# Fields pyModeS reports where the format has only spare bits (DF16 bit 7 is not a
# cross-link capability); not reporting them is not a disagreement.
SPARE = {16: {"cross_link_capability"}}
# Comm-B registers are inferred from content; compare them only when both decoders settle
# on the same single register (pyModeS lists ties in bds_candidates).
COMMB_FIELDS = {"selected_altitude_mcp", "selected_altitude_fms", "baro_pressure_setting",
                "roll", "true_track", "track_rate", "true_airspeed", "groundspeed",
                "magnetic_heading", "indicated_airspeed", "mach", "baro_vertical_rate",
                "inertial_vertical_rate", "callsign"}


def same(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-3)
    return a == b


def compare(line):
    mine = json.loads(line)
    theirs = dict(pyModeS.decode(mine["hex"]))
    problems = []
    commb = mine["df"] in (20, 21)
    if commb:
        if "bds_candidates" in theirs or mine.get("bds") != theirs.get("bds"):
            skip = COMMB_FIELDS
            if mine.get("bds") and theirs.get("bds") and "bds_candidates" not in theirs and "bds_candidates" not in mine:
                problems.append(f"bds {mine.get('bds')} vs {theirs.get('bds')}")
        else:
            skip = set()
    else:
        skip = set()
        if "bds" in mine and "bds" in theirs and mine["bds"] != theirs["bds"]:
            problems.append(f"bds {mine['bds']} vs {theirs['bds']}")
    for k in FIELDS:
        if k in skip or k not in mine or k not in theirs or theirs[k] is None:
            continue
        if not same(mine[k], theirs[k]):
            problems.append(f"{k}: {mine[k]!r} vs pyModeS {theirs[k]!r}")
    # What pyModeS decodes that we leave out is a finding too (Comm-B aside).
    for k in FIELDS:
        if k in skip or commb:
            continue
        if k in SPARE.get(mine["df"], ()):
            continue
        if theirs.get(k) is not None and k not in mine and k not in ("category",):
            problems.append(f"{k}: missing, pyModeS {theirs[k]!r}")
    return problems


def decode(binary, path, fmt="cu8", rate="2.4M"):
    out = subprocess.run([binary, "decode", str(path), "--json", "--format", fmt, "--rate", rate, "-q"],
                         check=True, capture_output=True, text=True)
    return [l for l in out.stdout.splitlines() if l.strip()]


def main():
    binary, testdata, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    lines = []
    captures = sorted((testdata / "modes").glob("*.cu8"))
    if len(captures) < 4:
        # The shared test data must be there: a missing capture is a failure, not a pass.
        print(f"pymodes: expected 4 captures in {testdata / 'modes'}, found {len(captures)}")
        return 1
    for f in captures:
        lines += decode(binary, f)
    lines += decode(binary, testdata / "modes" / "modes1.bin", rate="2.0M")
    corpus = work / "oracle-corpus.cu8"
    subprocess.run([binary, "simulate", str(corpus), "--seconds", "6", "--aircraft", "150",
                    "--snr", "10:30", "--seed", "5"], check=True, capture_output=True)
    lines += decode(binary, corpus)
    vectors = Path(__file__).resolve().parent / "vectors.txt"
    out = subprocess.run([binary, "hex", str(vectors)], check=True, capture_output=True, text=True)
    if out.stderr.strip():
        print(f"vectors not decoded: {out.stderr.strip()}")
        return 1
    lines += [l for l in out.stdout.splitlines() if l.strip()]
    passed = failed = 0
    seen = set()
    for line in lines:
        problems = compare(line)
        if problems:
            failed += 1
            key = json.loads(line)["hex"]
            if key not in seen and len(seen) < 40:
                seen.add(key)
                print(f"MISMATCH {key}: " + "; ".join(problems))
        else:
            passed += 1
    print(f"pymodes: {passed} passed, {failed} failed")
    return 1 if failed or passed < 1000 else 0


if __name__ == "__main__":
    sys.exit(main())
