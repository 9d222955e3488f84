"""Trip and mode detection on the real e-mission days, scored by the shared scorer.

usage: python bench/trips.py [EMISSION_DIR] [--keep DIR]
Prints the scorer's per-day lines, then trip F1 and mode-macro against their targets.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from carbon.points import Point  # noqa: E402
from carbon.timeline import build_timeline  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "emission"))
FALLBACK_DIR = "/work/shared/bench/emission"
TARGET_F1, TARGET_MACRO = 0.90, 0.85


def read_points(path: str) -> list:
    with open(path, newline="") as f:
        return [Point(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
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
    args = [a for a in argv if a != "--keep" and a != keep]
    data_dir = args[0] if args else (DEFAULT_DIR if os.path.isdir(DEFAULT_DIR) else FALLBACK_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        pred_dir = keep or tmp
        os.makedirs(pred_dir, exist_ok=True)
        predict_all(data_dir, pred_dir)
        f1, macro = score(data_dir, pred_dir)
    print(f"trip F1    {f1:.3f}  (target >= {TARGET_F1})")
    print(f"mode-macro {macro:.3f}  (target >= {TARGET_MACRO})")


if __name__ == "__main__":
    main(sys.argv[1:])
