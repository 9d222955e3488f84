"""Member B cannot reach member A's days, trips, places, exports or import jobs by changing
an id or a date in a URL: every handler scopes by the logged-in member, and someone else's
id is answered exactly like one that does not exist."""
from __future__ import annotations

import json
import re
import time

from gateway import accounts
from gateway.queries import days as dq
from gateway.queries.imports import import_jobs

from page_client import get, logged_in
from pagebox import TZ, WORKDAY, member_id
from harness import base_url


async def test_bob_cannot_reach_alices_trips_days_places_exports_or_imports(history_gateway):
    gw = history_gateway
    conn = gw.store.conn
    alice = member_id(gw.store, "alice")
    alice_trip = dq.day(conn, alice, WORKDAY, TZ)["trips"][0]
    leg = alice_trip["legs"][0]
    async with logged_in(gw, "alice") as session:          # alice starts an import
        async with session.post(base_url(gw) + "/api/1/imports", data=b"lat,lon,time\n") as r:
            assert r.status == 202
    job = import_jobs(conn, alice)[0]["id"]
    async with logged_in(gw, "bob") as bob:
        for path in (f"/trips/{alice_trip['id']}", f"/trips/{alice_trip['id']}/track.json",
                     f"/data/imports/{job}", f"/api/1/imports/{job}", "/trips/999999"):
            status, body = await get(bob, gw, path)
            assert status == 404, (path, status)
        for path, data in ((f"/trips/{alice_trip['id']}/legs/{leg['id']}", {"mode": "car"}),
                           (f"/trips/{alice_trip['id']}/purpose", {"purpose": "other"}),
                           (f"/trips/{alice_trip['id']}/merge", {}),
                           (f"/trips/{alice_trip['id']}/split", {"fix": "1"}),
                           ("/places/save", {"place": "auto:x", "name": "mine"})):
            async with bob.post(base_url(gw) + path, data=data, allow_redirects=False) as r:
                assert r.status == 404, (path, r.status)
        # The same day, the same URL: bob sees his own day, never alice's trips.
        status, body = await get(bob, gw, f"/day/{WORKDAY.isoformat()}")
        assert status == 200 and f"/trips/{alice_trip['id']}\"" not in body
        status, body = await get(bob, gw, f"/day/{WORKDAY.isoformat()}/track.json")
        assert alice_trip["id"] not in {leg["trip_id"] for leg in json.loads(body)["legs"]}
        # Exports and places are bob's only.
        status, body = await get(bob, gw, "/data/export?format=trips-json")
        assert status == 200 and json.loads(body)
        assert {t["member_id"] if "member_id" in t else None for t in json.loads(body)} == {None}
        alice_starts = {t["start_ts"] for t in dq.day(conn, alice, WORKDAY, TZ)["trips"]}
        assert not alice_starts & {t["start_ts"] for t in json.loads(body)}
        status, body = await get(bob, gw, "/data/export?format=csv")
        alice_device = accounts.get_device(conn, "alice", "phone")
        first = conn.execute("SELECT ts FROM fixes WHERE device_id = ? LIMIT 1",
                             (alice_device.id,)).fetchone()[0]
        assert f"\n{first}," not in body
        status, body = await get(bob, gw, "/places")
        assert "auto:" in body and _place_keys(body) == _place_keys_of(conn, member_id(gw.store, "bob"))
    # Alice's trip is untouched by bob's tries.
    assert dq.day(conn, alice, WORKDAY, TZ)["trips"][0]["legs"][0]["mode"] == leg["mode"]


def _place_keys(html: str) -> set:
    return set(re.findall(r'name="place" value="([^"]+)"', html))


def _place_keys_of(conn, member: int) -> set:
    from gateway.queries.places import places_page
    return {p["key"] for p in places_page(conn, member)}


async def test_a_date_that_is_no_date_is_not_found(history_gateway):
    async with logged_in(history_gateway, "bob") as bob:
        for path in ("/day/2026-02-30", "/day/../../etc", "/day/x/track.json",
                     "/trips/abc", "/bike-days?year=99999"):
            status, _ = await get(bob, history_gateway, path)
            assert status == 404, path
