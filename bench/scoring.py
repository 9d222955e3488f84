"""The shared scorers, called as they are (never reimplemented): parse what they print.

`score_trips.py` gives trip precision/recall/F1 and a distance-weighted coarse mode
accuracy (WALK, BIKE, VEHICLE, AIR) per class and its macro mean; `mode_confusion.py`
gives modes by time share: confusion matrices (fine, public transport vs car, a vehicle
at all), each granularity's accuracy and macro, and how much unlabelled time (walking and
waiting between logged legs) was called a vehicle.
"""
import os
import re
import subprocess
import sys

SHARED = "/work/shared/bench"
_HERE = os.path.dirname(os.path.abspath(__file__))
_LOCAL = os.path.normpath(os.path.join(_HERE, "..", "..", "shared", "bench"))


def shared_dir() -> str:
    return _LOCAL if os.path.isdir(_LOCAL) else SHARED


def _run(script: str, *args) -> str:
    path = os.path.join(shared_dir(), script)
    return subprocess.run([sys.executable, path, *args], capture_output=True, text=True,
                          check=True).stdout


def score_trips(truth_dir: str, pred_dir: str) -> dict:
    out = _run("score_trips.py", truth_dir, pred_dir)
    last = out.strip().splitlines()[-1]
    figures = dict(re.findall(r"([A-Za-z0-9-]+) ([0-9.]+)", last))
    per_class = re.search(r"per-class mode recall \(distance-weighted\): (.*)", out)
    classes = dict((k, float(v)) for k, v in re.findall(r"([A-Z]+) ([0-9.]+)",
                                                          per_class.group(1) if per_class else ""))
    return {"f1": float(figures["F1"]), "precision": float(figures["precision"]),
            "recall": float(figures["recall"]), "coarse_acc": float(figures["mode-accuracy"]),
            "coarse_macro": float(figures["mode-macro"]), "coarse_classes": classes,
            "text": out}


def mode_confusion(truth_dir: str, pred_dir: str) -> dict:
    out = _run("mode_confusion.py", truth_dir, pred_dir)
    res = {"text": out}
    for name, key in (("fine", "fine"), ("PT vs car", "ptcar"), ("vehicle", "vehicle")):
        m = re.search(rf"^{re.escape(name)}\s+recall by time share: (.*); accuracy ([0-9.na]+), "
                      rf"macro ([0-9.na]+)", out, re.M)
        if m:
            res[key + "_recall"] = dict((k, float(v)) for k, v in
                                        re.findall(r"([\w()-]+) ([0-9.]+)", m.group(1)))
            res[key + "_acc"], res[key + "_macro"] = float(m.group(2)), float(m.group(3))
    m = re.search(r"detected as a vehicle: ([0-9.na]+)", out)
    res["unlabelled_vehicle"] = float(m.group(1)) if m else float("nan")
    res["fine_matrix"] = _block(out, "-- fine confusion")
    return res


def _block(text: str, head: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(head):
            j = i + 1
            while j < len(lines) and lines[j].strip():
                j += 1
            return "\n".join(lines[i:j])
    return ""
