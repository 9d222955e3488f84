"""Fixes posted by a phone (OwnTracks HTTP, the real ingest path) become trips by themselves."""
from __future__ import annotations

import asyncio
import json
import threading

import aiohttp

from pipeline_helpers import points
from gateway.trips import pipeline
from gateway.accounts import get_member
from helpers import basic


def base_url(gw) -> str:
    return f"http://127.0.0.1:{gw.web_port}"


def _owntracks(p) -> dict:
    msg = {"_type": "location", "lat": p.lat, "lon": p.lon, "tst": p.ts, "tid": "ph",
           "acc": int(p.acc or 10)}
    if p.vel is not None:
        msg["vel"] = int(round(p.vel * 3.6))
    return msg


async def _post_all(gw, member: str, pts, lanes: int = 8) -> None:
    """One fix per POST, as the app does, on a few connections at once (so arrivals
    interleave a little, like a queue flushed after a tunnel)."""
    secret = gw.household.secrets[f"{member}/phone"]
    async with aiohttp.ClientSession(headers=basic(f"{member}/phone", secret)) as http:
        async def lane(k: int) -> None:
            for p in pts[k::lanes]:
                async with http.post(f"{base_url(gw)}/pub", data=json.dumps(_owntracks(p)),
                                     headers={"Content-Type": "application/json"}) as resp:
                    assert resp.status == 200 and "X-Selfdata-Rejected" not in resp.headers
        await asyncio.gather(*(lane(k) for k in range(lanes)))


def _trips(conn, member_id: int) -> list:
    return [(r["start_ts"], r["end_ts"], r["distance_m"]) for r in conn.execute(
        "SELECT * FROM trips WHERE member_id = ? ORDER BY start_ts", (member_id,))]


async def test_trips_appear_after_a_phone_posts_its_fixes(gateway):
    pts = [p for p in points("bob") if p.ts < points("bob")[0].ts + 4 * 86400]  # Mon-Thu
    await _post_all(gateway, "bob", pts)
    await gateway.pipeline.idle()
    conn = gateway.store.conn
    bob = get_member(conn, "bob").id
    live = _trips(conn, bob)
    # Bob drives to work and back on weekdays: the box found those trips by itself ...
    assert len(live) >= 8
    cars = conn.execute("SELECT count(*) FROM legs WHERE member_id = ? AND mode IN "
                        "('car', 'carpool')", (bob,)).fetchone()[0]
    assert cars >= 6
    # ... and they are exactly what a full rebuild computes.
    pipeline.rebuild_member(gateway.store, bob)
    assert _trips(conn, bob) == live


async def test_the_engine_runs_in_its_own_worker_thread(gateway, monkeypatch):
    seen = []
    real = pipeline.process_new

    def spy(store, member_id, *hold):
        seen.append(threading.current_thread().name)
        return real(store, member_id, *hold)

    monkeypatch.setattr(pipeline, "process_new", spy)
    await _post_all(gateway, "alice", points("alice", 14)[:300])
    await gateway.pipeline.idle()
    assert seen and all(name.startswith("selfdata-pipeline") for name in seen)
