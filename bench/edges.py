"""Where e-mission's walking and riding time that gets no leg is, and whose convention it is.

usage: python bench/edges.py [--modes WALK,BIKE] [--pred DIR]

Runs the engine on the e-mission days (or reads DIR/<day>.json, e.g. `bench/trips.py
--pure --keep DIR`'s DIR/e_mission) and splits every reference section's time covered by
no detected leg (mode_confusion.py's "no-leg") by where it lies in its reference trip
(start, end, inside) and by what the phone shows there:
  no fix       farther than 120 s from every fix (mode_confusion.py's NOFIX_S) or before
               the reference trip's first fix (the reference extrapolates its starts back)
  no progress  the GPS fixes (accuracy 50 m or better) of the span's first and second
               halves have medians under 25 m apart (_CORE_M): the member stood there
  progressing  the rest (few fixes or none good enough, or jumps between sources)
Each with its share of the mode's time and what covering it would add to the scorer's
distance-weighted recall. Then e-mission's own Android trip end replayed from each
reference trip's first fix (its DwellSegmentationTimeFilter: 5 minutes, 9 points, 100 m;
the end is the fix at the smaller of the median indices of the last five minutes' fixes
and of the last ten), against the reference ends and this engine's.
Then the same no-leg time by cause (round 10): (a) in a reference trip no detected leg
overlaps (a whole trip missed), (b) before the first or after the last detected leg that
overlaps its reference trip (the trip's edges), (c) between two of them (a stop inside the
reference trip read as a stay, or a gap between legs), each with the part whose good fixes
progress at a walker's pace (0.5 m/s or more, first to last, over 30 s or more); and every
stay the engine finds with a stretch of 120-240 s whose good fixes move steadily away from
its first at 0.5-1.8 m/s (never back by more than 10 m): a slow walk read as a dwell.
"""
import argparse
import bisect
import csv
import json
import os
import statistics
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from carbon.geo import distance_m  # noqa: E402
from scoring import shared_dir  # noqa: E402

NOFIX_S = 120          # mode_confusion.py's
GOOD_ACC_M = 50.0
AT_REST_M = 25.0       # stays._CORE_M: the wander of fixes at rest
DWELL_S, DWELL_POINTS, DWELL_M = 300, 9, 100.0   # e-mission's Android defaults


def _day_files(root: str):
    for day in sorted(os.listdir(root)):
        if os.path.exists(os.path.join(root, day, "truth.json")):
            yield day


def _fixes(root: str, day: str) -> list:
    with open(os.path.join(root, day, "points.csv")) as f:
        return sorted((float(r["ts"]), float(r["lat"]), float(r["lon"]), float(r["acc"] or 0))
                      for r in csv.DictReader(f))


def _uncovered(a: float, b: float, legs: list) -> list:
    """The spans of [a, b] no detected leg covers."""
    cuts = sorted({a, b} | {t for s, e, _ in legs for t in (s, e) if a < t < b})
    return [(x, y) for x, y in zip(cuts, cuts[1:])
            if not any(s <= (x + y) / 2 <= e for s, e, _ in legs)]


def _nofix_s(x: float, y: float, fts: list, first: float, at_start: bool) -> float:
    silent, t = 0.0, x
    while t < y:
        k = bisect.bisect_left(fts, t)
        near = min((abs(fts[j] - t) for j in (k - 1, k) if 0 <= j < len(fts)), default=1e9)
        silent += near > NOFIX_S or (at_start and t < first)
        t += 1.0
    return silent


def _progress_m(x: float, y: float, fixes: list, fts: list) -> float:
    good = [f for f in fixes[bisect.bisect_left(fts, x - 1):bisect.bisect_right(fts, y + 1)]
            if f[3] <= GOOD_ACC_M]
    if len(good) < 2:
        return float("inf") if not good else 0.0

    def med(ps):
        return statistics.median(p[1] for p in ps), statistics.median(p[2] for p in ps)
    (la1, lo1), (la2, lo2) = med(good[:len(good) // 2]), med(good[len(good) // 2:])
    return distance_m(la1, lo1, la2, lo2)


def no_leg(root: str, pred_dir: str, modes: set) -> tuple:
    """({mode: {category: [seconds, weighted share]}}, {mode: (seconds, weight)})."""
    cells = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    totals = defaultdict(lambda: [0.0, 0.0])
    for day in _day_files(root):
        trips = json.load(open(os.path.join(root, day, "truth.json")))["trips"]
        fixes = _fixes(root, day)
        fts = [f[0] for f in fixes]
        pred = json.load(open(os.path.join(pred_dir, day + ".json")))
        legs = [(l["start_ts"], l["end_ts"], l["mode"]) for p in pred for l in p["legs"]]
        for g in trips:
            first = fts[min(bisect.bisect_left(fts, g["start_ts"]), len(fts) - 1)]
            for s in g["sections"]:
                a, b, m = s["start_ts"], s["end_ts"], s["mode"]
                if m not in modes or b <= a:
                    continue
                w = max(s["distance_m"], 1.0)
                totals[m][0] += b - a
                totals[m][1] += w
                for x, y in _uncovered(a, b, legs):
                    where = "start" if x == g["start_ts"] else "end" if y == g["end_ts"] else "inside"
                    silent = _nofix_s(x, y, fts, first, where == "start")
                    rest = _progress_m(x, y, fixes, fts) < AT_REST_M
                    for cat, sec in (("no fix", silent),
                                     ("no progress" if rest else "progressing", y - x - silent)):
                        if sec <= 0:
                            continue
                        cells[m][f"{where}: {cat}"][0] += sec
                        cells[m][f"{where}: {cat}"][1] += w * sec / (b - a)
    return cells, totals


def emission_end(fixes: list, start: int):
    """The time of the trip end e-mission's Android segmentation finds from fix `start`."""
    for i in range(start + 1, len(fixes)):
        now = fixes[i]
        last5 = [k for k in range(start, i) if fixes[k][0] > now[0] - DWELL_S]
        last10 = list(range(max(i - DWELL_POINTS, start), i + 1))
        if len(last10) < DWELL_POINTS - 1 or not last5 or now[0] - fixes[last5[0]][0] < DWELL_S - 30:
            continue
        if all(distance_m(fixes[k][1], fixes[k][2], now[1], now[2]) < DWELL_M for k in last5 + last10):
            return fixes[int(min(statistics.median(last5), statistics.median(last10)))][0]
    return None


def replay_ends(root: str, pred_dir: str) -> tuple:
    """([replayed - reference end], [reference end - the engine's nearest end]) on Android."""
    replayed, engine = [], []
    for day in _day_files(root):
        truth = json.load(open(os.path.join(root, day, "truth.json")))
        if truth.get("platform") != "android":
            continue
        fixes = [f for f in _fixes(root, day) if f[3] <= 200]   # e-mission drops the worst first
        fts = [f[0] for f in fixes]
        ends = [p["end_ts"] for p in json.load(open(os.path.join(pred_dir, day + ".json")))]
        for g in truth["trips"]:
            end = emission_end(fixes, bisect.bisect_left(fts, g["start_ts"]))
            if end is not None:
                replayed.append(end - g["end_ts"])
            if ends:
                engine.append(g["end_ts"] - min(ends, key=lambda t: abs(t - g["end_ts"])))
    return replayed, engine


WALKER_MS = (0.5, 1.8)   # a stroll to a brisk walk (Bohannon 1997: 0.6-1.6 m/s), GPS slack
STRETCH_S = 120          # a stretch long enough for GPS wander (metres) to be no walk


def _net_ms(fixes: list, x: float, y: float):
    """The pace from the span's first good fix to its last (None: under 30 s of them)."""
    good = [f for f in fixes if x - 1 <= f[0] <= y + 1 and f[3] <= GOOD_ACC_M]
    if len(good) < 2 or good[-1][0] - good[0][0] < 30:
        return None
    return distance_m(good[0][1], good[0][2], good[-1][1], good[-1][2]) / (good[-1][0] - good[0][0])


def by_cause(root: str, pred_dir: str, mode: str) -> dict:
    """{cause: [seconds, seconds progressing at a walker's pace]} of mode's no-leg time."""
    out = {c: [0.0, 0.0] for c in ("(a) whole trip missed", "(b) trip edges",
                                   "(c) between two detected legs")}
    for day in _day_files(root):
        fixes = _fixes(root, day)
        pred = json.load(open(os.path.join(pred_dir, day + ".json")))
        legs = [(l["start_ts"], l["end_ts"], l["mode"]) for p in pred for l in p["legs"]]
        for g in json.load(open(os.path.join(root, day, "truth.json")))["trips"]:
            mine = [l for l in legs if l[1] > g["start_ts"] and l[0] < g["end_ts"]]
            for s in (s for s in g["sections"] if s["mode"] == mode):
                for x, y in _uncovered(s["start_ts"], s["end_ts"], legs):
                    if not mine:
                        cause = "(a) whole trip missed"
                    elif y <= min(l[0] for l in mine) + 1 or x >= max(l[1] for l in mine) - 1:
                        cause = "(b) trip edges"
                    else:
                        cause = "(c) between two detected legs"
                    v = _net_ms(fixes, x, y)
                    out[cause][0] += y - x
                    out[cause][1] += (y - x) if v is not None and v >= WALKER_MS[0] else 0.0
    return out


def walking_stays(root: str) -> list:
    """(day, stay start, end, pace, stretch s) of each stay with a steady walker's stretch."""
    from carbon.params import DEFAULT_PARAMS
    from carbon.stays import find_stays
    from carbon.timeline import smooth, unsmoothed
    from trips import read_points
    found = []
    for day in _day_files(root):
        raw = read_points(os.path.join(root, day, "points.csv"))
        track = smooth(unsmoothed(raw, DEFAULT_PARAMS))
        for f, l in find_stays(track):
            seg = [p for p in track[f:l + 1] if (p.acc or 0) <= GOOD_ACC_M]
            for i, p in enumerate(seg):
                q = next((q for q in seg[i + 1:] if q.ts - p.ts >= STRETCH_S), None)
                if q is None or q.ts - p.ts > 2 * STRETCH_S:
                    continue
                ds = [distance_m(p.lat, p.lon, r.lat, r.lon) for r in seg if p.ts <= r.ts <= q.ts]
                v = ds[-1] / (q.ts - p.ts)
                steady = all(b >= a - 10 for a, b in zip(ds, ds[1:]))   # never back 10 m
                if WALKER_MS[0] <= v <= WALKER_MS[1] and steady:
                    found.append((day, track[f].ts, track[l].ts, round(v, 2), q.ts - p.ts))
                    break
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="WALK,BIKE")
    ap.add_argument("--pred", help="predictions already made (DIR/<day>.json)")
    args = ap.parse_args(argv)
    root = os.path.join(shared_dir(), "emission")
    with tempfile.TemporaryDirectory() as tmp:
        pred_dir = args.pred
        if not pred_dir:
            from trips import predict_all
            predict_all(root, tmp)
            pred_dir = tmp
        cells, totals = no_leg(root, pred_dir, set(args.modes.split(",")))
        for mode, (secs, weight) in sorted(totals.items()):
            lost = sum(c[0] for c in cells[mode].values())
            print(f"{mode}: {secs / 3600:.2f} h, no leg over {lost / secs:.3f} of it")
            for cat, (sec, w) in sorted(cells[mode].items()):
                print(f"  {cat:24s} {sec:6.0f} s  {sec / secs:.3f} of the time  "
                      f"+{w / weight:.3f} recall if covered")
        replayed, engine = replay_ends(root, pred_dir)
        causes = {m: by_cause(root, pred_dir, m) for m in sorted(totals)}
    near = sum(abs(d) <= 30 for d in replayed)
    print(f"Android trip ends: e-mission's rule replayed lands within 30 s of the reference on "
          f"{near} of {len(replayed)} (quartiles of replayed - reference "
          f"{[round(q) for q in statistics.quantiles(replayed, n=4)]} s); the reference ends "
          f"after this engine's by {[round(q) for q in statistics.quantiles(engine, n=4)]} s")
    for mode, cells in causes.items():
        secs = totals[mode][0]
        print(f"{mode} no-leg time by cause:")
        for cause, (sec, walking) in sorted(cells.items()):
            print(f"  {cause:32s} {sec:6.0f} s  {sec / secs:.3f} of the time; at a walker's "
                  f"pace {walking:5.0f} s ({walking / secs:.3f})")
    stays = walking_stays(root)
    print(f"stays with a steady {WALKER_MS[0]}-{WALKER_MS[1]} m/s stretch of {STRETCH_S} s or "
          f"more: {len(stays)}")
    for day, a, b, v, dt in stays:
        print(f"  {day} stay {a}-{b} ({b - a} s): {v} m/s over {dt} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
