"""How fragile the engine is away from the days it was checked on: the real labelled days
(e-mission, Helsinki) degraded the way other phones and other people's days differ, each
scored by the same shared scorers as bench/trips.py.

usage: python bench/robustness.py [--degrade none,thin60,...] [--sets emission,aalto] [--seed N]

Degradations (each applied to every day's points.csv; the truth is untouched):
  none        the days as they are
  thinN       one fix per N s at most (a phone that samples less often: 30, 60, 120)
  gapsP       every aligned 5-minute chunk dropped with probability P % (a phone that
              loses its fix or its app for minutes: gaps20)
  noiseM      each position moved by white Gaussian noise of M m rms (20, 50), its claimed
              accuracy at least M (a worse receiver that says so)
  noiseMc     the same error, but correlated over a minute (first-order Gauss-Markov,
              tau 60 s), as GPS errors are (multipath and satellite geometry change slowly)
  noiseMu     (noiseMcu) the same error, the claimed accuracy left as it was: a phone that
              under-reports its error (not in the default list)
  accM        no position moved, every claimed accuracy at least M (not in the default
              list: what the accuracy floor of noiseM does alone)
Several may be joined with '+', e.g. thin60+noise20.
"""
import argparse
import csv
import math
import os
import random
import re
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scoring import mode_confusion, score_trips, shared_dir  # noqa: E402
from trips import predict_all  # noqa: E402

DEFAULT = "none,thin30,thin60,thin120,gaps20,noise20,noise50,noise20c,noise50c"
M_PER_DEG = 111_195.0
TAU_S = 60.0
# Phones re-report their last cached position with a new timestamp (Android's fused
# provider, iOS before the GPS answers: carbon.cleaning.drop_stale), identical to the
# metre. That is one measurement, with one error: moving the copy by an error of its own
# turns a repeat into a jump of tens of metres in a few seconds (e-mission 2015-07-22: a
# 462 m "step" in 9 s at the start of a bike ride, read as a bus).
REPEATS_KEEP_ERROR = os.environ.get("ROBUSTNESS_FRESH_REPEATS") != "1"


def _rows(path: str) -> list:
    with open(path, newline="") as f:
        return [dict(r) for r in csv.DictReader(f)]


def _thin(rows: list, every: float, rng) -> list:
    out, last = [], None
    for r in rows:
        ts = float(r["ts"])
        if last is None or ts - last >= every:
            out.append(r)
            last = ts
    return out


def _gaps(rows: list, share: float, rng) -> list:
    dropped = {}
    out = []
    for r in rows:
        chunk = int(float(r["ts"]) // 300)
        if chunk not in dropped:
            dropped[chunk] = rng.random() < share
        if not dropped[chunk]:
            out.append(r)
    return out


def _noise(rows: list, rms_m: float, rng, tau_s: float | None = None,
           claim: bool = True) -> list:
    sigma = rms_m / math.sqrt(2.0)          # per axis, so that the radial rms is rms_m
    out, east, north, last, seen = [], 0.0, 0.0, None, None
    for r in rows:
        ts = float(r["ts"])
        if REPEATS_KEEP_ERROR and seen == (r["lat"], r["lon"]):
            pass    # a cached position re-reported: the same measurement, the same error
        elif tau_s is None or last is None:
            east, north = rng.gauss(0, sigma), rng.gauss(0, sigma)
            last = ts
        else:                                # Gauss-Markov: the error wanders, stationary
            # (over the time since the error was last drawn: a repeat drew none)
            a = math.exp(-max(ts - last, 0.0) / tau_s)
            b = sigma * math.sqrt(1 - a * a)
            east, north = a * east + rng.gauss(0, b), a * north + rng.gauss(0, b)
            last = ts
        seen = (r["lat"], r["lon"])
        lat = float(r["lat"])
        r = dict(r)
        r["lat"] = repr(lat + north / M_PER_DEG)
        per_deg_lon = M_PER_DEG * max(math.cos(math.radians(lat)), 0.01)
        r["lon"] = repr(float(r["lon"]) + east / per_deg_lon)
        acc = float(r["acc"]) if r.get("acc") not in (None, "") else 0.0
        if claim:
            r["acc"] = repr(max(acc, rms_m))
        out.append(r)
    return out


def degrade(rows: list, spec: str, rng) -> list:
    """rows (points.csv dicts, in time order) degraded by spec ('thin60+noise20', ...)."""
    rows = sorted(rows, key=lambda r: float(r["ts"]))
    for step in spec.split("+"):
        m = re.fullmatch(r"(none|thin|gaps|noise|acc)(\d*)(c?)(u?)", step)
        if not m or (m.group(1) != "none" and not m.group(2)) or \
                (m.group(1) != "noise" and (m.group(3) or m.group(4))):
            raise SystemExit(f"unknown degradation {step!r} (see --help)")
        kind, value, corr, under = m.group(1), float(m.group(2) or 0), m.group(3), m.group(4)
        if kind == "thin":
            rows = _thin(rows, value, rng)
        elif kind == "gaps":
            rows = _gaps(rows, value / 100.0, rng)
        elif kind == "noise":
            rows = _noise(rows, value, rng, TAU_S if corr else None, claim=not under)
        elif kind == "acc":
            rows = [dict(r, acc=repr(max(float(r["acc"]) if r.get("acc") not in (None, "")
                                         else 0.0, value))) for r in rows]
    return rows


def write_degraded(src: str, dst: str, spec: str, seed: int) -> None:
    """A copy of a data set's folder (one folder per day) with every points.csv degraded."""
    for day in sorted(os.listdir(src)):
        pts = os.path.join(src, day, "points.csv")
        if not os.path.exists(pts):
            continue
        os.makedirs(os.path.join(dst, day), exist_ok=True)
        for name in os.listdir(os.path.join(src, day)):
            if name != "points.csv":
                os.symlink(os.path.join(src, day, name), os.path.join(dst, day, name))
        rows = _rows(pts)
        rng = random.Random(zlib.crc32(f"{seed}/{day}/{spec}".encode()))
        out = degrade(rows, spec, rng)
        with open(os.path.join(dst, day, "points.csv"), "w", newline="") as f:
            names = list(rows[0].keys()) if rows else ["ts", "lat", "lon", "acc"]
            w = csv.DictWriter(f, fieldnames=names)
            w.writeheader()
            w.writerows(out)


def measure(kind: str, truth_dir: str, tmp: str) -> dict:
    pred = os.path.join(tmp, "pred")
    os.makedirs(pred, exist_ok=True)
    predict_all(truth_dir, pred)
    res = score_trips(truth_dir, pred)
    conf = mode_confusion(truth_dir, pred)
    return {**res, **{k: v for k, v in conf.items() if k != "text"}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--degrade", default=DEFAULT)
    ap.add_argument("--sets", default="emission,aalto")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    root = shared_dir()
    print("targets (issue #9): e-mission F1 >= 0.95, coarse macro >= 0.90; Helsinki PT/car "
          ">= 0.85, vehicle >= 0.95, unlabelled called a vehicle <= 0.50")
    print(f"{'degradation':14s} {'e-m F1':>7s} {'coarse':>7s} {'Hel PT/car':>10s} "
          f"{'vehicle':>8s} {'unl.veh':>8s} {'fine':>6s}")
    for spec in args.degrade.split(","):
        line = f"{spec:14s}"
        with tempfile.TemporaryDirectory() as tmp:
            for data in ("emission", "aalto"):
                if data not in args.sets:
                    line += " " * (16 if data == "emission" else 35)
                    continue
                truth = os.path.join(tmp, data)
                write_degraded(os.path.join(root, data), truth, spec, args.seed)
                r = measure(data, truth, os.path.join(tmp, data + "-out"))
                if data == "emission":
                    line += f" {r['f1']:7.3f} {r['coarse_macro']:7.3f}"
                else:
                    line += (f" {r['ptcar_macro']:10.3f} {r['vehicle_macro']:8.3f} "
                             f"{r['unlabelled_vehicle']:8.2f} {r['fine_acc']:6.3f}")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
