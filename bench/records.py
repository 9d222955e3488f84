"""Generated Google Takeout ``Records.json`` files for the import benches (`bench/import.py`,
the command line with its trip phase; `bench/upload.py`, the household page's upload), and
the child that times ``json.load`` on them.

Two histories (indented like Takeout's, a third of the records with an ``activity`` array, a
mix of ``timestamp`` with and without milliseconds): ``realistic`` (years of a member's
days) and ``never-resting`` (a random walk that never stays anywhere).
"""
from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_RECORD = """{{
    "latitudeE7": {lat},
    "longitudeE7": {lon},
    "accuracy": {acc},{motion}{activity}
    "source": "{source}",
    "deviceTag": 1978964152,
    "platformType": "ANDROID",
    "timestamp": "{stamp}"
  }}"""
# Only GPS fixes carry speed, heading and altitude (Wi-Fi and cell ones do not).
_MOTION = """
    "velocity": {vel},
    "heading": {heading},
    "altitude": {alt},
    "verticalAccuracy": {vacc},"""
_ACTIVITY = """
    "activity": [{{
      "activity": [{{
        "type": "{t1}",
        "confidence": {c1}
      }}, {{
        "type": "STILL",
        "confidence": {c2}
      }}],
      "timestamp": "{stamp}"
    }}],"""
_TYPES = ("IN_VEHICLE", "ON_FOOT", "WALKING", "ON_BICYCLE", "IN_ROAD_VEHICLE", "IN_RAIL_VEHICLE")


def _iso(ts: float, millis: bool) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{base}.{int(ts * 1000) % 1000:03d}Z" if millis else base + "Z"


def write_records(path: Path, records, seed: int) -> int:
    """Write (ts, lat, lon, acc, moving) tuples as Takeout's Records.json; returns the size."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "locations": [')
        for i, (ts, lat, lon, acc, moving) in enumerate(records):
            millis = i % 4 != 0
            activity = ""
            if i % 3 == 0:
                c1 = rnd.randint(40, 90)
                activity = _ACTIVITY.format(t1=rnd.choice(_TYPES), c1=c1, c2=100 - c1,
                                            stamp=_iso(ts + 1.5, True))
            source = "GPS" if moving or rnd.random() < 0.2 else rnd.choice(("WIFI", "WIFI", "CELL"))
            motion = "" if source != "GPS" else _MOTION.format(
                vel=rnd.randint(0, 30), heading=rnd.randint(0, 359), alt=rnd.randint(0, 80),
                vacc=rnd.randint(1, 10))
            out.write(("" if i == 0 else ", ") + _RECORD.format(
                lat=round(lat * 1e7), lon=round(lon * 1e7), acc=acc,
                motion=motion, activity=activity, source=source, stamp=_iso(ts, millis)))
        out.write("]\n}\n")
    return path.stat().st_size


def never_resting(points: int, seed: int = 4):
    """A random walk around La Rochelle, a fix every ~20-120 s, never staying anywhere."""
    rnd = random.Random(seed)
    lat, lon, ts = 46.16, -1.15, 1_500_000_000.0
    for _ in range(points):
        ts += rnd.uniform(20, 120)
        lat += rnd.uniform(-0.0005, 0.0005)
        lon += rnd.uniform(-0.0007, 0.0007)
        yield ts, lat, lon, rnd.randint(3, 60), True


_M_PER_DEG = 111_320.0
_SPEEDS = {"walk": 1.35, "bike": 4.5, "bus": 5.5, "car": 9.0, "train": 30.0}


def realistic(points: int, seed: int = 5):
    """Years of one member's days, as Android's location history samples them."""
    rnd = random.Random(seed)
    home = (46.150, -1.140)
    work = (46.160, -1.185)
    others = [(home[0] + rnd.uniform(-0.08, 0.08), home[1] + rnd.uniform(-0.11, 0.11))
              for _ in range(12)]
    far = [(44.84, -0.58), (47.22, -1.55), (48.85, 2.35)]
    day, n = 0, 0
    while n < points:
        for rec in _day(rnd, 1_500_000_000 + 86400 * day, home, work, others, far, day):
            yield rec
            n += 1
            if n >= points:
                return
        day += 1


def _day(rnd, t0: int, home, work, others, far, day: int):
    """One day: (ts, lat, lon, acc, moving) records in time order."""
    plan = _plan(rnd, day, home, work, others, far)
    t, here = t0, home
    for start_h, place, mode in plan:
        depart = t0 + int(start_h * 3600)
        yield from _stay(rnd, t, depart, here)
        t = depart
        t = yield from _move(rnd, t, here, place, mode)
        here = place
    yield from _stay(rnd, t, t0 + 86400, here)


def _plan(rnd, day: int, home, work, others, far) -> list:
    """[(departure hour, destination, mode)]"""
    if day % 97 == 50:    # a long journey now and then, back the next day
        return [(9.0, rnd.choice(far), "train")]
    if day % 97 == 51:
        return [(16.0, home, "train")]
    commute = rnd.choice(("bike", "bike", "car", "bus", "walk"))
    if day % 7 < 5:
        plan = [(7.8 + rnd.random() * 0.5, work, commute)]
        if rnd.random() < 0.5:
            lunch = (work[0] + 0.004, work[1] + 0.003)
            plan += [(12.2, lunch, "walk"), (13.0, work, "walk")]
        plan.append((17.3 + rnd.random(), home, commute))
        if rnd.random() < 0.4:
            shop = rnd.choice(others)
            plan += [(19.0, shop, "car"), (19.6, home, "car")]
        return plan
    out = []
    for k in range(rnd.randint(1, 3)):
        place = rnd.choice(others)
        mode = rnd.choice(("walk", "bike", "car"))
        out += [(10.0 + 3 * k, place, mode), (11.5 + 3 * k, home, mode)]
    return out


def _stay(rnd, t0: int, t1: int, place):
    """Wi-Fi fixes every 2-6 minutes around the place (sometimes nothing for hours)."""
    t = t0 + rnd.randint(30, 240)
    while t < t1:
        if rnd.random() < 0.02:
            t += rnd.randint(3600, 4 * 3600)      # phone off or asleep for hours
            continue
        yield (t, place[0] + rnd.gauss(0, 0.0002), place[1] + rnd.gauss(0, 0.0003),
               rnd.randint(15, 50), False)
        t += rnd.randint(120, 360)


def _move(rnd, t: int, a, b, mode: str):
    """GPS fixes every 15-60 s along a wiggly line from a to b; returns the arrival time."""
    d = math.hypot((b[0] - a[0]) * _M_PER_DEG, (b[1] - a[1]) * _M_PER_DEG * 0.69)
    v = _SPEEDS[mode] * rnd.uniform(0.8, 1.2)
    duration = max(60, int(d / v))
    k = 0.0
    while k < duration:
        f = k / duration
        wiggle = 0.002 * math.sin(f * 7.0)
        yield (int(t + k), a[0] + f * (b[0] - a[0]) + wiggle + rnd.gauss(0, 0.00005),
               a[1] + f * (b[1] - a[1]) - wiggle + rnd.gauss(0, 0.00007), rnd.randint(3, 20), True)
        k += rnd.randint(15, 60)
    return t + duration


HISTORIES = {"realistic": realistic, "never-resting": never_resting}


def generate(path: Path, points: int, history: str = "never-resting", seed: int = 4) -> int:
    """Write `points` records of one history to path; returns the file size."""
    return write_records(path, HISTORIES[history](points, seed), seed)


CHILD_JSON = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as f:
    data = json.load(f)
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"elapsed": elapsed, "cpu": cpu, "n": len(data["locations"]),
                  "hwm_kb": int(hwm)}))
"""


def child(code: str, *args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env,
                         capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"the measured process failed (exit {out.returncode}): its error above")
    return json.loads(out.stdout.strip().splitlines()[-1])


