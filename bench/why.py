"""Why each leg got its mode, and what each of its features says under each candidate mode.

The engine's legs of a scenario day or a real day, each beside the truth it covers, its
probabilities, what it measured, and what every measurable feature says under each mode (carbon.likelihood.contributions_of: weighted log densities
of the mode's best-fitting component, plus the component's log share). The wait at the
boarding point is shown with them but counts only where the member came to the leg on foot
(carbon.decode), and the trip's kinds and priors then weigh the modes (Leg.probs).

usage: python bench/why.py metro,tram dense [--seeds 2] [--modes metro,train,bus,tram,car] [--vel]
       python bench/why.py --days ../shared/bench/aalto/aalto_dev5 [--all]

Without --all only the vehicle legs get their feature table. Times are seconds from the
day's first fix. This is how round 8 (engine-metro) read what dense metro and tram legs
were taken for and why (docs/engine.md, "Round 8 (engine-metro)").
"""
import argparse
import csv
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from carbon import Fix, build_timeline  # noqa: E402
from carbon.likelihood import contributions_of  # noqa: E402
from simulation.scenarios import make_day  # noqa: E402

FOOT = ("walk", "run")


def real_day(path: str):
    with open(os.path.join(path, "points.csv"), newline="") as f:
        fixes = sorted((int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                        float(r["acc"]) if r.get("acc") else None) for r in csv.DictReader(f))
    with open(os.path.join(path, "truth.json")) as f:
        truth = json.load(f)
    return os.path.basename(path.rstrip("/")), fixes, truth


def show_day(name: str, fixes: list, truth: dict, modes: tuple, every: bool,
             vels=()) -> None:
    t0 = fixes[0][0]
    sections = [s for t in truth["trips"] for s in t["sections"]]
    vels = vels or [None] * len(fixes)
    tl = build_timeline([Fix(*f, vel=v) for f, v in zip(fixes, vels)])
    print(f"==== {name}")
    for s in sections:
        print(f"   truth {s['mode']:8s} {int(s['start_ts'] - t0):6d}-{int(s['end_ts'] - t0):6d}")
    for trip in tl.trips:
        print(f"  trip {trip.start_ts - t0}-{trip.end_ts - t0}")
        for g in trip.legs:
            cover = Counter()
            for s in sections:
                overlap = min(s["end_ts"], g.end_ts) - max(s["start_ts"], g.start_ts)
                if overlap > 0:
                    cover[s["mode"]] += overlap
            total = sum(cover.values()) or 1
            said = " ".join(f"{m}:{v / total:.2f}" for m, v in cover.most_common(3))
            probs = " ".join(f"{m}:{p:.2f}" for m, p in
                             sorted((g.probs or {}).items(), key=lambda x: -x[1]))
            print(f"    {g.start_ts - t0:6d}-{g.end_ts - t0:6d} {g.end_ts - g.start_ts:5d}s "
                  f"{g.distance_m:7.0f}m {g.mode:6s} [{probs}] truth[{said}] n={g.n_points}")
            ft = g.features or {}
            print("        measured " + " ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in ft.items()))
            if every or g.mode not in FOOT:
                table = contributions_of(ft, ft.get("distance", g.distance_m), modes=modes)
                keys = list(next(iter(table.values())).keys())
                print("        " + "".join(f"{k[:8]:>9s}" for k in keys) + "      sum")
                for m, parts in table.items():
                    print(f"  {m:6s}" + "".join(f"{parts[k]:9.2f}" for k in keys)
                          + f"{sum(parts.values()):9.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="?", default="metro,tram")
    ap.add_argument("regimes", nargs="?", default="dense")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--days", help="real day folders (points.csv + truth.json), comma-separated")
    ap.add_argument("--modes", default="metro,train,bus,tram,car")
    ap.add_argument("--all", action="store_true", help="feature tables for walks too")
    ap.add_argument("--vel", action="store_true",
                    help="scenario fixes with their Doppler speed (as bench/trips.py --vel)")
    args = ap.parse_args(argv)
    modes = tuple(args.modes.split(","))
    if args.days:
        for path in args.days.split(","):
            show_day(*real_day(path), modes, args.all)
        return 0
    for family in args.families.split(","):
        for regime in args.regimes.split(","):
            for seed in range(args.seeds):
                day = make_day(family, regime, seed)
                show_day(day.name, day.fixes, day.truth, modes, args.all,
                         day.vels if args.vel else ())
    return 0


if __name__ == "__main__":
    sys.exit(main())
