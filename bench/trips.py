"""Trips and modes on every data set, scored by the shared scorers, beside the targets.

usage: python bench/trips.py [--pure [--gtfs]] [--vel] [--sets emission,aalto,scenarios] [--families a,b]
                             [--regimes a,b] [--seeds N] [--keep DIR] [--matrices] [--days]

Data sets: the 11 e-mission days (coarse truth), the 4 Helsinki participants (fine truth,
no GTFS), and each scenario family of simulation/scenarios.py (fine truth, every sampling
regime). Default path = what the box does: each day's points.csv is imported by
`gateway.portability.importing` into a temporary store (one member per day) with its trip
phase, as `selfdata import` runs it (the member rebuilt), and trips are read back from the
trips/legs tables. --pure calls the engine directly (build_timeline). Each data set is scored by score_trips.py (trip F1, coarse
mode accuracy) and mode_confusion.py (modes by time share: fine, PT vs car, vehicle).
--gtfs (with --pure) gives each scenario day its town's GTFS feed (simulation/gtfs.py: the
lines ridden and bus lines along half the streets walked, cycled or driven), as a household
that imported its network's feed; the real sets have none.
--vel writes each scenario fix's Doppler speed (a `vel` column, simulation.phones): off by
default, so that every figure stays comparable with the real sets, which carry no speed.
"""
import argparse
import csv
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from carbon.fix import Fix  # noqa: E402
from carbon.params import Context  # noqa: E402
from carbon.timeline import build_timeline  # noqa: E402
from scoring import mode_confusion, score_trips, shared_dir  # noqa: E402

TARGETS = {   # issue #9
    "emission": {"f1": 0.95, "coarse_macro": 0.90},
    "aalto": {"ptcar_macro": 0.85, "vehicle_macro": 0.95, "unlabelled_vehicle_max": 0.50},
    "scenario": {"fine_acc": 0.90},
}


def read_points(path: str) -> list:
    """The fixes of a points.csv; `acc` and `vel` (m/s) kept where the columns hold them."""
    def num(r, k):
        return float(r[k]) if r.get(k) not in (None, "") else None
    with open(path, newline="") as f:
        return [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]), num(r, "acc"),
                    vel=num(r, "vel"))
                for r in csv.DictReader(f)]


def read_feed(folder: str):
    """The TransitIndex of a day's GTFS folder (simulation.gtfs), as `selfdata gtfs import`
    gives the engine; None when the day has none."""
    from carbon.gtfs import build_transit_index
    if not os.path.isdir(folder):
        return None
    tables = {}
    for name in ("routes", "trips", "stops", "shapes", "stop_times"):
        with open(os.path.join(folder, name + ".txt"), newline="") as f:
            tables[name] = f.read()
    return build_transit_index(**tables)


def detect_trips(points: list, transit=None) -> list:
    """The engine alone: fixes in, trips out (the JSON of `selfdata trips --format json`)."""
    tl = build_timeline(points, context=Context(transit=transit)) if transit is not None \
        else build_timeline(points)
    return [{"start_ts": t.start_ts, "end_ts": t.end_ts, "distance_m": t.distance_m,
             "legs": [{"start_ts": g.start_ts, "end_ts": g.end_ts, "mode": g.mode,
                       "distance_m": g.distance_m, "confidence": g.confidence}
                      for g in t.legs]} for t in tl.trips]


def _days(data_dir: str):
    for day in sorted(os.listdir(data_dir)):
        csv_path = os.path.join(data_dir, day, "points.csv")
        if os.path.exists(csv_path):
            yield day, csv_path


def predict_all(data_dir: str, out_dir: str, gtfs: bool = False) -> None:
    for day, csv_path in _days(data_dir):
        transit = read_feed(os.path.join(data_dir, day, "gtfs")) if gtfs else None
        with open(os.path.join(out_dir, day + ".json"), "w") as f:
            json.dump(detect_trips(read_points(csv_path), transit), f)


def predict_all_via_store(data_dir: str, out_dir: str) -> None:
    """The import, the detection and the tables, as `selfdata import` then `selfdata trips`."""
    from gateway import accounts
    from gateway.queries.trips import trip_list
    from gateway.store import Store
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "selfdata.db")).open()
        for day, csv_path in _days(data_dir):
            name = "d" + re.sub(r"[^a-z0-9]", "", day.lower())[:40]
            with store.transaction() as conn:
                member = accounts.add_member(conn, name, None)
            _import(store, name, member.id, csv_path)
            with open(os.path.join(out_dir, day + ".json"), "w") as f:
                json.dump(trip_list(store.conn, member.id, None, None), f)
        store.close()


def _import(store, name: str, member_id: int, csv_path: str) -> None:
    """`selfdata import` with its trip phase (for a new member: the trip process beside
    the storing, gateway/trips/follow.py, which rebuilds the member as a rebuild does)."""
    from gateway.portability.importing import Importer
    report = Importer(store, name).run([csv_path])
    if not report.ok:
        raise SystemExit(f"{csv_path}: the importer refused it: {report.as_dict()}")


def score(data_dir: str, pred_dir: str) -> tuple:
    """(F1, coarse mode-macro) of one data set (kept for the tests)."""
    res = score_trips(data_dir, pred_dir)
    print(res["text"], end="")
    return res["f1"], res["coarse_macro"]


# ----- the data sets

def data_sets(args, tmp: str) -> list:
    """[(name, kind, truth_dir)] in print order."""
    root = shared_dir()
    out = []
    if "emission" in args.sets:
        out.append(("e-mission", "emission", os.path.join(root, "emission")))
    if "aalto" in args.sets:
        out.append(("Helsinki", "aalto", os.path.join(root, "aalto")))
    if "scenarios" in args.sets:
        from scenarios import write_suite
        families = args.families.split(",") if args.families else None
        regimes = args.regimes.split(",") if args.regimes else None
        for family, folder in write_suite(os.path.join(tmp, "scenarios"), families,
                                          regimes, args.seeds, args.vel).items():
            out.append((family, "scenario", folder))
    return out


def evaluate(name: str, kind: str, truth_dir: str, pred_root: str, pure: bool,
             gtfs: bool = False) -> dict:
    pred_dir = os.path.join(pred_root, re.sub(r"\W", "_", name))
    os.makedirs(pred_dir, exist_ok=True)
    t = time.perf_counter()
    if pure:
        predict_all(truth_dir, pred_dir, gtfs)
    else:
        predict_all_via_store(truth_dir, pred_dir)
    res = {"name": name, "kind": kind, "seconds": time.perf_counter() - t,
           "truth_dir": truth_dir, "pred_dir": pred_dir, **score_trips(truth_dir, pred_dir)}
    conf = mode_confusion(truth_dir, pred_dir)
    res.update({k: v for k, v in conf.items() if k != "text"})
    res["confusion_text"] = conf["text"]
    return res


# ----- printing

def _mark(value: float, target: float, at_most: bool = False) -> str:
    ok = value <= target if at_most else value >= target
    return f"{'<=' if at_most else '>='} {target} {'met' if ok else 'MISSED'}"


def print_set(res: dict, matrices: bool, days: bool) -> None:
    print(f"\n=== {res['name']} ({res['kind']}, {res['seconds']:.1f} s)")
    if days:
        print("\n".join(l for l in res["text"].splitlines() if " truth " in l))
    t = TARGETS[res["kind"]]
    print(f"  trip F1          {res['f1']:.3f}" +
          (f"  (target {_mark(res['f1'], t['f1'])})" if "f1" in t else "") +
          f"   (precision {res['precision']:.3f}, recall {res['recall']:.3f})")
    classes = ", ".join(f"{k} {v:.2f}" for k, v in res["coarse_classes"].items())
    print(f"  coarse mode      macro {res['coarse_macro']:.3f}" +
          (f"  (target {_mark(res['coarse_macro'], t['coarse_macro'])})" if "coarse_macro" in t
           else "") + f"   accuracy {res['coarse_acc']:.3f}; {classes}")
    if res["kind"] != "emission":
        recall = ", ".join(f"{k} {v:.2f}" for k, v in res.get("fine_recall", {}).items())
        print(f"  fine mode (time) accuracy {res['fine_acc']:.3f}" +
              (f"  (target {_mark(res['fine_acc'], t['fine_acc'])})" if "fine_acc" in t else "") +
              f"   macro {res['fine_macro']:.3f}; {recall}")
    if res["kind"] == "aalto":
        print(f"  PT vs car        macro {res['ptcar_macro']:.3f}  "
              f"(target {_mark(res['ptcar_macro'], t['ptcar_macro'])})")
        print(f"  vehicle at all   macro {res['vehicle_macro']:.3f}  "
              f"(target {_mark(res['vehicle_macro'], t['vehicle_macro'])})")
        print(f"  unlabelled time called a vehicle {res['unlabelled_vehicle']:.2f}  (target "
              f"{_mark(res['unlabelled_vehicle'], t['unlabelled_vehicle_max'], at_most=True)})")
    if matrices or res["kind"] != "scenario":
        print("  " + res["fine_matrix"].replace("\n", "\n  "))


def print_summary(results: list) -> None:
    print("\n=== summary (targets from issue #9)")
    print(f"{'data set':18s} {'F1':>6s} {'coarse':>7s} {'fine':>6s} {'PT/car':>7s} "
          f"{'vehicle':>7s} {'unl.veh':>7s}  target")
    for r in results:
        kind = r["kind"]
        miss = _misses(r)
        fine = f"{r['fine_acc']:6.3f}" if kind != "emission" else "     -"
        extra = (f"{r['ptcar_macro']:7.3f} {r['vehicle_macro']:7.3f} {r['unlabelled_vehicle']:7.2f}"
                 if kind == "aalto" else f"{'-':>7s} {'-':>7s} {'-':>7s}")
        print(f"{r['name']:18s} {r['f1']:6.3f} {r['coarse_macro']:7.3f} {fine} {extra}  "
              + ("met" if not miss else "MISSED: " + ", ".join(miss)))


def _misses(r: dict) -> list:
    out = []
    for key, target in TARGETS[r["kind"]].items():
        if key.endswith("_max"):
            if r[key[:-4]] > target:
                out.append(key[:-4])
        elif r[key] < target:
            out.append(key)
    return out


def regime_table(results: list, root: str) -> None:
    """Fine accuracy (time share) of each scenario family under each sampling regime,
    each cell scored by mode_confusion.py on that family's days of that regime."""
    from simulation.phones import REGIMES
    rows = [r for r in results if r["kind"] == "scenario"]
    if not rows:
        return
    print("\n=== scenario fine accuracy by sampling regime (time share)")
    print(f"{'family':18s} " + " ".join(f"{k:>11s}" for k in REGIMES))
    pooled = {k: [] for k in REGIMES}
    for r in rows:
        cells = []
        for regime in REGIMES:
            sub = os.path.join(root, "by-regime", r["name"], regime)
            days = [d for d in os.listdir(r["truth_dir"]) if f"_{regime}_" in d]
            os.makedirs(sub, exist_ok=True)
            for d in days:
                link = os.path.join(sub, d)
                if not os.path.exists(link):
                    os.symlink(os.path.join(r["truth_dir"], d), link)
            pooled[regime] += [os.path.join(r["truth_dir"], d) for d in days]
            acc = mode_confusion(sub, r["pred_dir"]).get("fine_acc", float("nan")) if days else float("nan")
            cells.append(f"{acc:11.3f}")
        print(f"{r['name']:18s} " + " ".join(cells))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pure", action="store_true", help="the engine alone, no store")
    ap.add_argument("--sets", default="emission,aalto,scenarios")
    ap.add_argument("--families", help="scenario families (default: all)")
    ap.add_argument("--regimes", help="scenario sampling regimes (default: all; "
                    "1s, dense, sparse, significant)")
    ap.add_argument("--seeds", type=int, default=2, help="scenario seeds per regime")
    ap.add_argument("--keep", metavar="DIR", help="keep the predictions (and scenarios) here")
    ap.add_argument("--matrices", action="store_true", help="print every confusion matrix")
    ap.add_argument("--days", action="store_true", help="print the scorer's per-day lines")
    ap.add_argument("--gtfs", action="store_true",
                    help="with --pure: give each scenario day its town's GTFS feed "
                         "(simulation/gtfs.py), as a household that ran `selfdata gtfs import`")
    ap.add_argument("--vel", action="store_true",
                    help="scenario days with a vel column: each GPS fix's Doppler speed "
                         "(simulation.phones.doppler_speeds); the real sets carry none")
    args = ap.parse_args(argv)
    if args.gtfs and not args.pure:
        ap.error("--gtfs needs --pure (the box holds one feed, the suite one a day)")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        os.makedirs(root, exist_ok=True)
        print("path: " + ("engine only (--pure)" if args.pure else
                          "import -> store -> pipeline -> trips/legs tables") +
              (", scenario days with their GTFS feed" if args.gtfs else "") +
              (", scenario fixes with their Doppler speed" if args.vel else ""))
        results = []
        for name, kind, truth_dir in data_sets(args, root):
            results.append(evaluate(name, kind, truth_dir, os.path.join(root, "pred"),
                                    args.pure, args.gtfs and kind == "scenario"))
            print_set(results[-1], args.matrices, args.days)
        print_summary(results)
        regime_table(results, root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
