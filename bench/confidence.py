"""Is a leg's confidence what it says? Confidence against accuracy, by time share.

usage: python bench/confidence.py KEEP_DIR

KEEP_DIR is what `python bench/trips.py --keep KEEP_DIR` leaves: the predictions of every
data set and the scenario suite it wrote. For every second of a labelled truth section
(UNKNOWN waits left out) covered by a detected leg, the leg's confidence is set beside
whether its mode is the true one (fine modes; e-mission's coarse classes), then binned:
a calibrated engine is right 0.7 of the time over the legs it says 0.7 about. Printed per
confidence bin and per scenario sampling regime (mean confidence beside accuracy), so the
household page's "least certain first" can be trusted to mean what it says; and per regime
again with the true modes reweighted to the engine's prior shares (see prior_weighted).
"""
import json
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FINE = {"carpool": "car", "motorcycle": "car", "taxi": "car", "subway": "metro",
        "coach": "bus", "e-scooter": "e-bike"}
COARSE = {"walk": "WALK", "run": "WALK", "bike": "BIKE", "e-bike": "BIKE", "e-scooter": "BIKE",
          "plane": "AIR"}
BINS = (0.0, 0.4, 0.6, 0.8, 0.95, 1.0001)


def _right(truth: str, mode: str) -> bool:
    if truth.isupper():     # e-mission's coarse classes
        return COARSE.get(mode, "VEHICLE") == truth
    return FINE.get(mode, mode) == FINE.get(truth, truth)


def pairs(truth_dir: str, pred_dir: str):
    """(seconds, confidence, right, day, true mode) over every labelled second a leg
    covers."""
    for day in sorted(os.listdir(truth_dir)):
        tf, pf = os.path.join(truth_dir, day, "truth.json"), os.path.join(pred_dir, day + ".json")
        if not (os.path.exists(tf) and os.path.exists(pf)):
            continue
        legs = [g for t in json.load(open(pf)) for g in t["legs"]]
        for trip in json.load(open(tf))["trips"]:
            for s in trip["sections"]:
                if s["mode"] in ("UNKNOWN", "unknown"):
                    continue
                for g in legs:
                    sec = min(s["end_ts"], g["end_ts"]) - max(s["start_ts"], g["start_ts"])
                    if sec > 0 and g.get("confidence") is not None:
                        yield sec, g["confidence"], _right(s["mode"], g["mode"]), day, s["mode"]


def prior_weighted(rows: list) -> list:
    """The same seconds reweighted so that true modes come in the engine's prior shares
    (carbon.mode_params.LEG_PRIOR) instead of the suite's, which holds as many train and
    ferry days as car days: where the trace leaves modes even and the prior decides, the
    confidence is the prior's, right as often as that mode is among such legs in the world
    the prior describes, not in the suite."""
    from carbon.mode_params import LEG_PRIOR
    share = defaultdict(float)
    for sec, _c, _r, _d, mode in rows:
        share[FINE.get(mode, mode)] += sec
    total = sum(share.values())
    return [(sec * LEG_PRIOR.get(FINE.get(m, m), 0.0) / (share[FINE.get(m, m)] / total), c, r, d, m)
            for sec, c, r, d, m in rows]


def table(rows: list, title: str) -> None:
    tot, ok, conf = defaultdict(float), defaultdict(float), defaultdict(float)
    for sec, c, right, *_ in rows:
        b = next(i for i in range(len(BINS) - 1) if BINS[i] <= c < BINS[i + 1])
        tot[b] += sec
        ok[b] += sec * right
        conf[b] += sec * c
    print(f"-- {title}")
    t = sum(tot.values())
    for b in sorted(tot):
        print(f"   confidence {BINS[b]:.2f}-{min(BINS[b + 1], 1):.2f}: share of time "
              f"{tot[b] / t:.2f}, mean confidence {conf[b] / tot[b]:.2f}, right {ok[b] / tot[b]:.2f}")
    if t:
        print(f"   all: mean confidence {sum(conf.values()) / t:.2f}, "
              f"right {sum(ok.values()) / t:.2f}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit(__doc__)
    root = argv[0]
    pred, scen = os.path.join(root, "pred"), os.path.join(root, "scenarios")
    shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench")
    shared = shared if os.path.isdir(shared) else "/work/shared/bench"
    for name, folder in (("e-mission", "emission"), ("Helsinki", "aalto")):
        p = os.path.join(pred, "e_mission" if name == "e-mission" else name)
        if os.path.isdir(p):
            table(list(pairs(os.path.join(shared, folder), p)), name)
    by_regime = defaultdict(list)
    if os.path.isdir(scen):
        for family in sorted(os.listdir(scen)):
            p = os.path.join(pred, family.replace("-", "_"))
            for row in pairs(os.path.join(scen, family), p):
                by_regime[row[3].split("_")[-2]].append(row)
        table([r for rows in by_regime.values() for r in rows], "scenarios, every regime")
        for regime in ("1s", "dense", "sparse", "significant"):
            if by_regime.get(regime):
                table(by_regime[regime], f"scenarios, {regime}")
                table(prior_weighted(by_regime[regime]),
                      f"scenarios, {regime}, true modes in the prior's shares")
    return 0


if __name__ == "__main__":
    sys.exit(main())
