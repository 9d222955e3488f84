"""The household page's speed and weight, on a household of 4 members with a year each.

usage: python bench/web.py [--days N] [--rounds N]
The household (simulated, ~4 x 365 days) is built once into bench/.cache/ (git-ignored)
and reused. A real gateway serves it on loopback; the server time of each request is
measured inside the application (a middleware around the handler: what the box spends,
not the client), for the day view, a trip page and the trends pages. Each page's weight
is its HTML plus every static file it loads, before map tiles. Prints the figures beside
issue #10's targets (p95 <= 100 ms, < 300 KB); never asserts.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from carbon.fix import Fix  # noqa: E402
from gateway import accounts  # noqa: E402
from gateway.accounts import broker  # noqa: E402
from gateway.queries import days as dq  # noqa: E402
from gateway.service import Gateway  # noqa: E402
from gateway.store import Store, insert_fixes  # noqa: E402
from gateway.trips import pipeline  # noqa: E402
from harness import PASSWORD, make_config  # noqa: E402
from simulation.household import START_DATE, iter_points  # noqa: E402
from webui.app import make_app  # noqa: E402

CACHE = REPO / "bench" / ".cache"
MEMBERS = ("alice", "bob", "carol", "dave")
TARGET_P95_MS, TARGET_KB = 100.0, 300
TZ_NAME = "Europe/Paris"


def build(days: int) -> Path:
    db = CACHE / f"web-{days}d.db"
    if db.exists():
        return db
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    store = Store(tmp).open()
    with store.transaction() as conn:
        for name in MEMBERS:
            accounts.add_member(conn, name, PASSWORD, is_admin=name == "alice")
            accounts.add_device(conn, name, "phone")
    for k, name in enumerate(MEMBERS):
        t0 = time.perf_counter()
        device = accounts.get_device(store.conn, name, "phone")
        plan = "alice" if k % 2 == 0 else "bob"         # the simulator knows two routines
        batch = []
        for p in iter_points(plan, days, seed=100 + k):
            batch.append(Fix(p.ts, p.lat, p.lon, p.acc, vel=p.vel, activity=p.activity))
            if len(batch) >= 50_000:
                _insert(store, device, batch)
        _insert(store, device, batch)
        pipeline.rebuild_member(store, device.member_id)
        print(f"built {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    store.close()
    tmp.rename(db)
    return db


def _insert(store, device, batch) -> None:
    with store.transaction() as conn:
        insert_fixes(conn, device, batch, "owntracks-http")
    batch.clear()


def timed_app(samples: dict):
    @web.middleware
    async def timing(request, handler):
        t0 = time.perf_counter()
        try:
            return await handler(request)
        finally:
            samples.setdefault(request.path_qs, []).append((time.perf_counter() - t0) * 1000)

    def factory(gw):
        app = make_app(gw)
        app.middlewares.insert(0, timing)
        return app
    return factory


async def weight(session, base: str, path: str) -> int:
    async with session.get(base + path) as r:
        html = await r.read()
    total = len(html)
    for asset in set(re.findall(rb'(?:src|href)="(/static/[^"#]+)', html)):
        async with session.get(base + asset.decode()) as r:
            total += len(await r.read())
    return total


async def run(days: int, rounds: int) -> None:
    source = build(days)
    work = CACHE / "run"
    shutil.rmtree(work, ignore_errors=True)
    config = make_config(work)
    config.data_dir.mkdir(parents=True)
    shutil.copy(source, config.db_path)
    config.pipeline.enabled = False        # measure the pages, not a catch-up
    store = Store(config.db_path).open()
    with store.transaction() as conn:
        broker.sync_broker_files(config, conn)
    alice = accounts.get_member(store.conn, "alice").id
    last = START_DATE + timedelta(days=days - 1)
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(TZ_NAME)
    some_days = [last - timedelta(days=d) for d in range(0, 60, 3)]
    trips = [t["id"] for d in some_days[:10] for t in dq.day(store.conn, alice, d, tz)["trips"]]
    n_fixes = store.conn.execute("SELECT count(*) FROM fixes").fetchone()[0]
    n_trips = store.conn.execute("SELECT count(*) FROM trips").fetchone()[0]
    store.close()
    samples: dict = {}
    gw = Gateway(config, web_app=timed_app(samples))
    await gw.start()
    base = f"http://127.0.0.1:{gw.web_port}"
    groups = {"day view": [f"/day/{d.isoformat()}" for d in some_days],
              "trip page": [f"/trips/{t}" for t in trips[:20]],
              "trends (week)": [f"/trends?period=week&at={last.isoformat()}"],
              "trends (month)": [f"/trends?period=month&at={last.isoformat()}"],
              "trends (year)": [f"/trends?period=year&at={last.isoformat()}"]}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            async with s.post(base + "/login", data={"name": "alice", "password": PASSWORD}):
                pass
            for _ in range(rounds):
                for paths in groups.values():
                    for path in paths:
                        async with s.get(base + path) as r:
                            assert r.status == 200, (path, r.status)
                            await r.read()
            weights = {name: max([await weight(s, base, p) for p in paths[:3]])
                       for name, paths in groups.items()}
            for path in ("/places", "/bike-days", "/devices", "/data", "/settings"):
                weights[path] = await weight(s, base, path)
    finally:
        await gw.stop()
    print(f"household: {len(MEMBERS)} members x {days} days, {n_fixes:,} fixes, {n_trips:,} "
          f"trips; {rounds} rounds; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'page':<18}{'median ms':>10}{'p95 ms':>9}{'target p95':>12}{'weight KB':>11}"
          f"{'target':>8}")
    for name, paths in groups.items():
        times = sorted(t for p in paths for t in samples.get(p, []))
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{name:<18}{statistics.median(times):>10.1f}{p95:>9.1f}{TARGET_P95_MS:>12.0f}"
              f"{weights[name] / 1024:>11.0f}{TARGET_KB:>8}")
    for path in ("/places", "/bike-days", "/devices", "/data", "/settings"):
        print(f"{path:<18}{'':>10}{'':>9}{'':>12}{weights[path] / 1024:>11.0f}{TARGET_KB:>8}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.days, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
