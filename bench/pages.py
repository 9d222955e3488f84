"""What the database's page size costs besides wear: the file's size and the CPU of reading
a month of fixes, for each page size (bench/wear.py measures the bytes written).

    .venv/bin/python bench/pages.py [--fixes N] [--sizes 4096,2048,1024]

Fixes of about 400 bytes as ingest stores them (a raw OwnTracks payload and its location
object), one member, one every 30 s; then the pipeline's query for a month of them
(gateway/trips/pipeline.py `_points`), 20 months read, CPU time (a shared machine: the
load average is printed beside). No target of its own: issue #12's is the wear.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite3  # noqa: E402

from gateway import accounts  # noqa: E402
from gateway.store import Store  # noqa: E402

T0 = 1_700_000_000
MONTH_S = 31 * 86400


def one(path: Path, page: int, n: int) -> tuple[int, float]:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA page_size = {page}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    store = Store(path).open()
    with store.transaction() as conn:
        member = accounts.add_member(conn, "alice", None).id
        device = accounts.add_device(conn, "alice", "phone")[0].id
        raw = json.dumps({"_type": "location", "lat": 46.15, "lon": -1.15, "tst": T0, "acc": 5,
                          "batt": 80, "vel": 5, "conn": "m", "alt": 12, "cog": 100, "tid": "ph"})
        conn.executemany(
            "INSERT INTO fixes (device_id, member_id, ts, lat, lon, acc, source, received_ts, "
            "raw, loc) VALUES (?, ?, ?, ?, ?, 5, 'owntracks-mqtt', 0, ?, ?)",
            [(device, member, T0 + 30 * i, 46.15 + (i % 120) * 1e-3, -1.15, raw, raw)
             for i in range(n)])
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    size = path.stat().st_size
    store = Store(path)
    span = max(30 * n - MONTH_S, 1)
    cpu = time.process_time()
    for k in range(20):
        lo = T0 + k * span // 20
        store.conn.execute("SELECT ts, lat, lon, acc, vel, activity FROM fixes WHERE member_id = ? "
                           "AND ts >= ? AND ts < ? ORDER BY ts", (member, lo, lo + MONTH_S)).fetchall()
    cpu = time.process_time() - cpu
    store.close()
    return size, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fixes", type=int, default=200_000)
    ap.add_argument("--sizes", default="4096,2048,1024")
    args = ap.parse_args()
    print(f"bench/pages.py: {args.fixes:,} fixes; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="pages-") as tmp:
        for page in (int(s) for s in args.sizes.split(",")):
            size, cpu = one(Path(tmp) / f"p{page}.db", page, args.fixes)
            print(f"  {page:>5}-byte pages: file {size / 1e6:6.1f} MB, 20 months of fixes read "
                  f"in {cpu:.2f} s CPU")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
