"""Import benchmark: a 1,000,000-point Google ``Records.json`` (about 300 MB), then the
review's hostile uploads.

    .venv/bin/python bench/import.py [--points N] [--keep DIR] [--no-bombs | --only-bombs]

Generates the file in a temporary directory (realistic, indented like Takeout's, a third of
the records with an ``activity`` array, a mix of ``timestamp`` with and without
milliseconds), imports it into a fresh store in a child process and reports the time,
points per second and the child's peak resident memory (VmHWM) against the targets, beside
the time ``json.load`` alone takes on the same file (also in a child, with its memory).

Then each bomb of ``bench/bombs.py`` (nesting, 30 million numbers in one item, a 300 MiB
GPX ``<desc>`` and ``.rec`` line, a 1,000- and a 4,000-file Takeout, a zip bomb, a gzip
bomb) is imported the same way: its time and the importing process's peak resident memory
beside the target (150 MB whatever the input), and what the report said about it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bombs  # noqa: E402

TARGET_S = 30.0
TARGET_MB = 150.0
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


def generate(path: Path, points: int, seed: int = 4) -> int:
    """A random walk around La Rochelle, a fix every ~20-120 s; returns the file size."""
    rnd = random.Random(seed)
    lat, lon, ts = 46.16, -1.15, 1_500_000_000.0
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "locations": [')
        for i in range(points):
            ts += rnd.uniform(20, 120)
            lat += rnd.uniform(-0.0005, 0.0005)
            lon += rnd.uniform(-0.0007, 0.0007)
            millis = i % 4 != 0
            activity = ""
            if i % 3 == 0:
                c1 = rnd.randint(40, 90)
                activity = _ACTIVITY.format(t1=rnd.choice(_TYPES), c1=c1, c2=100 - c1,
                                            stamp=_iso(ts + 1.5, True))
            source = rnd.choice(("WIFI", "WIFI", "GPS", "CELL"))
            motion = "" if source != "GPS" else _MOTION.format(
                vel=rnd.randint(0, 30), heading=rnd.randint(0, 359), alt=rnd.randint(0, 80),
                vacc=rnd.randint(1, 10))
            out.write(("" if i == 0 else ", ") + _RECORD.format(
                lat=round(lat * 1e7), lon=round(lon * 1e7), acc=rnd.randint(3, 60),
                motion=motion, activity=activity, source=source, stamp=_iso(ts, millis)))
        out.write("]\n}\n")
    return path.stat().st_size


_CHILD_IMPORT = """
import json, sys, time
from gateway import accounts
from gateway.portability.importing import Importer
from gateway.store import Store
store = Store(sys.argv[2]).open()
with store.transaction() as conn:
    accounts.add_member(conn, "bench", None)
t0, c0 = time.perf_counter(), time.process_time()
report = Importer(store, "bench", run_pipeline=False).run([sys.argv[1]])
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"elapsed": elapsed, "cpu": cpu, "fixes": report.totals()["fixes_imported"],
                  "rejected": report.totals()["rejected"], "hwm_kb": int(hwm)}))
"""
_CHILD_JSON = """
import json, sys, time
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    data = json.load(f)
elapsed = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"elapsed": elapsed, "n": len(data["locations"]), "hwm_kb": int(hwm)}))
"""


def child(code: str, *args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# (label, builder) in the order printed; each builder writes into the given path.
BOMBS = (
    ("JSON nested 20,000 deep (gz)", "deep.json.gz", lambda p: bombs.deep_json(p, 20_000)),
    ("JSON nested 2,000,000 deep (gz)", "deeper.json.gz", lambda p: bombs.deep_json(p, 2_000_000)),
    ("one item of 30M numbers (gz)", "numbers.json.gz", bombs.many_numbers),
    ("GPX with a 300 MiB <desc> (gz)", "desc.gpx.gz", bombs.gpx_desc),
    (".rec with a 300 MiB line (gz)", "line.rec.gz", bombs.rec_line),
    ("Takeout zip, 1,000 files", "takeout-1000.zip", lambda p: bombs.many_members(p, 1000)),
    ("Takeout zip, 4,000 files", "takeout-4000.zip", lambda p: bombs.many_members(p, 4000)),
    ("zip bomb (1 GiB member)", "zipbomb.zip", lambda p: bombs.zip_bomb(p, 1024)),
    ("gzip bomb (1 GiB of blanks)", "gzbomb.json.gz", bombs.gzip_bomb),
)


def _verdict(report: dict) -> str:
    """What the report said about the bomb, in one line."""
    for f in report["files"]:
        said = f["refused"] or f["stopped"]
        if said:
            return said[:160]
        if f["rejected"]:
            reason, count = next(iter(f["rejected"].items()))
            return f"rejected {count} x {reason!r} at {f['rejected_examples'][reason][0]}"
    return f"{len(report['files'])} file(s) read, nothing refused"


def run_bombs(work: Path) -> None:
    print(f"\nbombs: time, peak RSS of the importing process (target <= {TARGET_MB:.0f} MB "
          "whatever the input)")
    for label, name, build in BOMBS:
        path = build(work / name)
        db = work / "bomb.db"
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        out = bombs.import_in_child(db, path)
        ok = "OK " if out["peak_mb"] <= TARGET_MB else "MISS"
        print(f"  {label:33s} {path.stat().st_size / 1e6:6.2f} MB on disk  {out['elapsed']:5.1f} s "
              f"(cpu {out['cpu']:4.1f} s)  peak {out['peak_mb']:4.0f} MB {ok} "
              f"fixes {out['report']['fixes_imported']:,}\n      {_verdict(out['report'])}",
              flush=True)
        path.unlink()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    ap.add_argument("--skip-json-load", action="store_true")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--no-bombs", action="store_true", help="only the realistic file")
    group.add_argument("--only-bombs", action="store_true", help="only the hostile uploads")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.only_bombs:
            realistic(work, args)
        if not args.no_bombs:
            run_bombs(work)
    return 0


def realistic(work: Path, args) -> None:
    records, db = work / "Records.json", work / "bench.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    size = generate(records, args.points)
    print(f"generated {records} : {args.points:,} points, {size / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.1f} s")
    imp = child(_CHILD_IMPORT, records, db)
    rate = imp["fixes"] / imp["elapsed"]
    mb = imp["hwm_kb"] / 1024
    print(f"import      : {imp['elapsed']:6.1f} s  {rate:10,.0f} points/s  peak RSS "
          f"{mb:6.0f} MB   ({imp['fixes']:,} fixes, {imp['rejected']} rejected)")
    # Wall time is the target; CPU time shows what other load on the machine cost.
    print(f"              cpu {imp['cpu']:.1f} s, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"targets     : {'OK ' if imp['elapsed'] <= TARGET_S else 'MISS'} <= {TARGET_S:.0f} s"
          f"            {'OK ' if mb <= TARGET_MB else 'MISS'} <= {TARGET_MB:.0f} MB")
    if not args.skip_json_load:
        js = child(_CHILD_JSON, records)
        print(f"json.load   : {js['elapsed']:6.1f} s  (parse only, no store)   peak RSS "
              f"{js['hwm_kb'] / 1024:6.0f} MB")
    print(f"database    : {db.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
