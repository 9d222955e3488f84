"""Trip and mode detection on the real e-mission days, scored by the shared scorer.

usage: python bench/trips.py [EMISSION_DIR] [--keep DIR] [--pure]
Default: the box's own path. Each day's points.csv is imported into a temporary store (one
member per day) by `gateway.portability.importing`, the pipeline rebuilds each member, and the trips are
read back from the trips/legs tables. --pure calls the engine directly (detect_trips) for
comparison. Prints the scorer's per-day lines, then trip F1 and mode-macro against targets.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from carbon.fix import Fix  # noqa: E402
from carbon.timeline import build_timeline  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "emission"))
FALLBACK_DIR = "/work/shared/bench/emission"
TARGET_F1, TARGET_MACRO = 0.90, 0.85


def read_points(path: str) -> list:
    with open(path, newline="") as f:
        return [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                      float(r["acc"]) if r.get("acc") not in (None, "") else None)
                for r in csv.DictReader(f)]


def detect_trips(points: list) -> list:
    """The one call the gateway's `selfdata import` will make: fixes in, trips out (JSON-able)."""
    tl = build_timeline(points)
    return [{"start_ts": t.start_ts, "end_ts": t.end_ts, "distance_m": t.distance_m,
             "legs": [{"start_ts": g.start_ts, "end_ts": g.end_ts, "mode": g.mode,
                       "distance_m": g.distance_m} for g in t.legs]} for t in tl.trips]


def predict_all(data_dir: str, out_dir: str) -> None:
    for day in sorted(os.listdir(data_dir)):
        csv_path = os.path.join(data_dir, day, "points.csv")
        if os.path.exists(csv_path):
            with open(os.path.join(out_dir, day + ".json"), "w") as f:
                json.dump(detect_trips(read_points(csv_path)), f)


def predict_all_via_store(data_dir: str, out_dir: str) -> None:
    """The import, the detection and the tables, as `selfdata import` then `selfdata trips`."""
    from gateway import accounts
    from gateway.trips import pipeline
    from gateway.queries.trips import trip_list
    from gateway.store import Store
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "selfdata.db")).open()
        for day in sorted(os.listdir(data_dir)):
            csv_path = os.path.join(data_dir, day, "points.csv")
            if not os.path.exists(csv_path):
                continue
            name = "d" + re.sub(r"[^a-z0-9]", "", day.lower())[:30]
            with store.transaction() as conn:
                member = accounts.add_member(conn, name, None)
            _import(store, name, member.id, csv_path)
            pipeline.rebuild_member(store, member.id)
            with open(os.path.join(out_dir, day + ".json"), "w") as f:
                json.dump(trip_list(store.conn, member.id, None, None), f)
        store.close()


def _import(store, name: str, member_id: int, csv_path: str) -> None:
    try:
        from gateway.portability.importing import Importer
    except ImportError:      # no importer yet: the store's own write primitive
        Importer = None
    if Importer is not None:
        report = Importer(store, name, run_pipeline=False).run([csv_path])
        if report.ok:
            return
        print(f"{csv_path}: the importer refused it, inserting directly", file=sys.stderr)
    from gateway import accounts
    from carbon.fix import Fix
    from gateway.store import insert_fixes
    with store.transaction() as conn:
        device, _ = accounts.add_device(conn, name, "bench")
        insert_fixes(conn, device,
                     [Fix(p.ts, p.lat, p.lon, p.acc) for p in read_points(csv_path)], "import:csv")


def score(data_dir: str, pred_dir: str) -> tuple:
    scorer = os.path.join(os.path.dirname(data_dir.rstrip("/")), "score_trips.py")
    out = subprocess.run([sys.executable, scorer, data_dir, pred_dir], capture_output=True,
                         text=True, check=True).stdout
    print(out, end="")
    f1 = float(re.search(r"F1 ([0-9.]+)", out).group(1))
    macro = float(re.search(r"mode-macro ([0-9.]+)", out).group(1))
    return f1, macro


def main(argv: list) -> None:
    keep = argv[argv.index("--keep") + 1] if "--keep" in argv else None
    pure = "--pure" in argv
    args = [a for a in argv if a not in ("--keep", "--pure") and a != keep]
    data_dir = args[0] if args else (DEFAULT_DIR if os.path.isdir(DEFAULT_DIR) else FALLBACK_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        pred_dir = keep or tmp
        os.makedirs(pred_dir, exist_ok=True)
        if pure:
            predict_all(data_dir, pred_dir)
        else:
            predict_all_via_store(data_dir, pred_dir)
        f1, macro = score(data_dir, pred_dir)
    print("path       " + ("engine only (--pure)" if pure else
                            "import -> store -> pipeline -> trips/legs tables"))
    print(f"trip F1    {f1:.3f}  (target >= {TARGET_F1})")
    print(f"mode-macro {macro:.3f}  (target >= {TARGET_MACRO})")


if __name__ == "__main__":
    main(sys.argv[1:])
