"""The mode model alone, on labelled legs: how each true leg's features look, and what the
per-leg model (likelihood and prior, no trip context) makes of them.

usage: python bench/modes.py [--sets emission,aalto,scenarios] [--seeds N] [--features]

For every truth section with a known mode (e-mission's coarse WALK/BIKE/VEHICLE, Helsinki's
fine modes, every scenario family), the features are computed on the fixes inside the
section as the engine would (carbon.features), and the model's best mode is compared with
the truth (coarse classes for e-mission). This is how the parameters of carbon/mode_params.py
are checked against all the data at once: --features prints, per true mode and data
source, the 10th/50th/90th percentiles of each feature beside the model's typical range.
It measures the model, not the engine: segmentation and the trip's context are left out.
"""
import argparse
import bisect
import json
import math
import os
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from carbon.cleaning import clean  # noqa: E402
from carbon.features import _median, leg_features  # noqa: E402
from carbon.likelihood import leg_loglik, measurable  # noqa: E402
from carbon.mode_params import LEG_PRIOR, RANGES  # noqa: E402
from carbon.speeds import step_distances, window_speeds  # noqa: E402
from scoring import shared_dir  # noqa: E402
from trips import read_points  # noqa: E402

COARSE = {"walk": "WALK", "run": "WALK", "bike": "BIKE", "e-bike": "BIKE", "plane": "AIR"}
FEATURES = ("mean", "cruise", "top", "sustained", "stops", "blind", "distance")


def coarse(mode: str) -> str:
    return COARSE.get(mode, "VEHICLE")


def sections(day_dir: str):
    """(true mode, LegFeatures) of each labelled section of one day."""
    truth = json.load(open(os.path.join(day_dir, "truth.json")))
    pts = clean(read_points(os.path.join(day_dir, "points.csv")))
    if len(pts) < 3:
        return
    speeds, dists = window_speeds(pts, 60.0), step_distances(pts)
    ts = [p.ts for p in pts]
    acc = _median([p.acc or 10.0 for p in pts])
    for trip in truth["trips"]:
        for s in trip["sections"]:
            a = bisect.bisect_left(ts, s["start_ts"])
            b = bisect.bisect_right(ts, s["end_ts"]) - 1
            if s["mode"] != "UNKNOWN" and b - a >= 2:
                yield s["mode"], leg_features(pts[a:b + 1], speeds[a:b], dists[a:b], acc)


def best_mode(f) -> str:
    ll = leg_loglik(f)
    return max(ll, key=lambda m: ll[m] + math.log(LEG_PRIOR[m]))


def collect(sources: list) -> dict:
    """{source: [(true mode, predicted, features)]}"""
    out = defaultdict(list)
    for source, folder in sources:
        for day in sorted(os.listdir(folder)):
            day_dir = os.path.join(folder, day)
            if os.path.exists(os.path.join(day_dir, "truth.json")):
                for mode, f in sections(day_dir):
                    out[source].append((mode, best_mode(f), f))
    return out


def report(rows: dict) -> None:
    print(f"{'source':12s} {'legs':>5s} {'right':>6s}   confusion (true -> predicted: legs)")
    for source, items in rows.items():
        emission = source == "e-mission"
        right = sum((coarse(p) if emission else p) == t for t, p, _ in items)
        conf = defaultdict(lambda: defaultdict(int))
        for t, p, _ in items:
            conf[t][coarse(p) if emission else p] += 1
        print(f"{source:12s} {len(items):5d} {right / max(len(items), 1):6.2f}")
        for t in sorted(conf):
            cells = ", ".join(f"{p} {n}" for p, n in sorted(conf[t].items(), key=lambda kv: -kv[1]))
            print(f"{'':12s}   {t:8s} -> {cells}")


def feature_table(rows: dict) -> None:
    groups = defaultdict(lambda: defaultdict(list))
    for source, items in rows.items():
        for t, _p, f in items:
            for k, v in measurable(f).items():
                groups[(t, source)][k].append(v)
    print(f"\n{'true mode':10s} {'source':10s} " + " ".join(f"{k:>16s}" for k in FEATURES))
    for (t, source), feats in sorted(groups.items()):
        cells = []
        for k in FEATURES:
            v = sorted(feats.get(k, []))
            cells.append(f"{_q(v, .1):5.1f}/{_q(v, .5):4.1f}/{_q(v, .9):5.1f}" if v else "")
        print(f"{t:10s} {source:10s} " + " ".join(f"{c:>16s}" for c in cells))
        if t in RANGES:
            typ = [RANGES[t][0][1][k] for k in FEATURES]
            print(f"{'':10s} {'model':10s} " + " ".join(f"{r[0]:>8.1f}-{r[1]:<7.1f}" for r in typ))


def _q(values: list, q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="emission,aalto,scenarios")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--features", action="store_true")
    args = ap.parse_args(argv)
    root = shared_dir()
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        if "emission" in args.sets:
            sources.append(("e-mission", os.path.join(root, "emission")))
        if "aalto" in args.sets:
            sources.append(("Helsinki", os.path.join(root, "aalto")))
        if "scenarios" in args.sets:
            from scenarios import write_suite
            for family, folder in write_suite(tmp, seeds=args.seeds).items():
                sources.append(("scenarios", folder))
        rows = collect(sources)
    report(rows)
    if args.features:
        feature_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
