"""Traccar Client 9+ posts JSON to `/`: stored for the device it names, with its login."""
from __future__ import annotations

import time

import aiohttp

from harness import base_url
from helpers import basic, count_fixes


async def test_traccar_json_body_is_stored_and_bad_ones_refused_with_200(gateway):
    gw = gateway
    now = int(time.time())
    body = {"device_id": "alice/phone", "location": {
        "timestamp": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now - 60))}.000Z",
        "coords": {"latitude": 46.16, "longitude": -1.15, "accuracy": 8, "speed": 4.2,
                   "heading": 90, "altitude": 12},
        "battery": {"level": 0.8}, "is_moving": True}}
    auth = basic("alice/phone", gw.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as s:
        r = await s.post(base_url(gw) + "/", json=body, headers=auth)
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        r = await s.post(base_url(gw) + "/", data=b"{broken", headers={
            **auth, "Content-Type": "application/json"})
        assert r.status == 200 and "invalid JSON" in r.headers["X-Selfdata-Rejected"]
        r = await s.post(base_url(gw) + "/", json={**body, "device_id": "bob/phone"},
                         headers=auth)
        assert r.status == 401  # alice's phone cannot report as bob's
        r = await s.post(base_url(gw) + "/", json=body)
        assert r.status == 401
    row = gw.store.conn.execute("SELECT * FROM fixes").fetchone()
    assert count_fixes(gw.config.db_path) == 1
    assert (row["ts"], row["lat"], row["acc"], row["source"]) == (now - 60, 46.16, 8, "osmand")
    assert abs(row["vel"] - 4.2) < 1e-9 and row["batt"] == 80
