"""The OsmAnd protocol's speed, in the unit each app sends it, stored in m/s, through real
HTTP on loopback (receivers/osmand.py, "Speed"): OsmAnd's online tracking sends m/s (its
``hdop``, its timestamp in milliseconds tell it), Traccar Client knots, Traccar Client 9's
JSON m/s; ``ingest.osmand_speed_unit`` says it for an app nothing tells apart (GPSLogger).
A sparse drive sent as OsmAnd sends it reads car, its fixes' speeds read as measured."""
from __future__ import annotations

import time

import aiohttp
import pytest

from carbon.fix import Fix
from gateway.service import Gateway
from gateway.trips import pipeline
from harness import base_url
from helpers import basic
from simulation.scenarios import make_day
from webui.app import make_app

KNOT = 1852 / 3600


async def _get(gw, params: dict) -> None:
    auth = basic("alice/phone", gw.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as s:
        r = await s.get(base_url(gw) + "/", params={"id": "alice/phone", **params}, headers=auth)
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers, r.headers


def _osmand(fix: Fix, vel) -> dict:
    """OsmAnd's template as Traccar documents it: lat={0} lon={1} timestamp={2} (epoch ms)
    hdop={3} (its accuracy) altitude={4} speed={5} (Location.getSpeed(): m/s, 0.0 when the
    position has none, as a network position)."""
    return {"lat": str(fix.lat), "lon": str(fix.lon), "timestamp": str(fix.ts * 1000),
            "hdop": str(fix.acc or 0.0), "altitude": "0.0", "speed": str(vel or 0.0)}


def _vel(gw, ts: int) -> float:
    return gw.store.conn.execute("SELECT vel FROM fixes WHERE ts = ?", (ts,)).fetchone()[0]


async def test_each_app_s_speed_is_stored_in_metres_a_second(gateway):
    gw, now = gateway, int(time.time())
    await _get(gw, {"lat": "46.16", "lon": "-1.15", "timestamp": str((now - 300) * 1000),
                    "hdop": "8.0", "speed": "13.9"})                      # OsmAnd: m/s
    await _get(gw, {"lat": "46.16", "lon": "-1.15", "timestamp": str(now - 200),
                    "speed": "27.0", "bearing": "90.0", "accuracy": "0.0", "batt": "80.0"})
    auth = basic("alice/phone", gw.household.secrets["alice/phone"])
    body = {"device_id": "alice/phone", "location": {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 100)),
        "coords": {"latitude": 46.16, "longitude": -1.15, "accuracy": 8, "speed": 13.9}}}
    async with aiohttp.ClientSession() as s:
        assert (await s.post(base_url(gw) + "/", json=body, headers=auth)).status == 200
    assert _vel(gw, now - 300) == pytest.approx(13.9)               # 50 km/h
    assert _vel(gw, now - 200) == pytest.approx(27.0 * KNOT)        # Traccar Client's knots
    assert _vel(gw, now - 100) == pytest.approx(13.9)               # Traccar Client 9's JSON


async def test_the_setting_says_the_unit_of_an_app_nothing_tells_apart(household):
    """GPSLogger's %SPD is m/s and its query looks like Traccar Client's: the box is told."""
    household.config.ingest.osmand_speed_unit = "m/s"
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    gw.household = household
    try:
        now = int(time.time())
        await _get(gw, {"lat": "46.16", "lon": "-1.15", "timestamp": str(now - 60),
                        "speed": "13.9", "accuracy": "6"})
        assert _vel(gw, now - 60) == pytest.approx(13.9)
    finally:
        await gw.stop()


async def test_a_sparse_drive_sent_by_osmand_reads_car(gateway):
    """car, sparse, seed 1 (tests/carbon/test_doppler.py): the drive home's chords read a
    bike's 3.8 m/s; its fixes' speeds, sent by OsmAnd in m/s, read car. Read as knots (the
    receiver before round 13) they were 0.51 of the phone's, a bike's again."""
    gw = gateway
    day = make_day("car", "sparse", 1)
    for values, vel in zip(day.fixes, day.vels):
        await _get(gw, _osmand(Fix(*values), vel))
    member = gw.store.conn.execute("SELECT id FROM members WHERE name = 'alice'").fetchone()[0]
    pipeline.rebuild_member(gw.store, member)
    home = [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car"][-1]
    legs = gw.store.conn.execute(
        "SELECT mode, max(start_ts, ?) AS a, min(end_ts, ?) AS b FROM legs WHERE member_id = ? "
        "AND end_ts > ? AND start_ts < ?", (home["start_ts"], home["end_ts"], member,
                                            home["start_ts"], home["end_ts"])).fetchall()
    car = sum(r["b"] - r["a"] for r in legs if r["mode"] == "car")
    assert car >= 0.9 * (home["end_ts"] - home["start_ts"]), [tuple(r) for r in legs]


async def test_hdop_senders_that_are_not_osmand_keep_their_own_unit(gateway):
    """An ESP32/Arduino TraccarClient library sends hdop, a ms timestamp and knots, with
    ``accuracy``; OpenWrt gpoint hdop, seconds and km/h, with ``satellites``: neither is
    OsmAnd's whole signature, so their speed reads knots (Traccar's unit; gpoint's box sets
    ingest.osmand_speed_unit), not m/s: a car at 50 km/h (27 kn) is stored at 13.9 m/s."""
    gw, now = gateway, int(time.time())
    await _get(gw, {"lat": "46.16", "lon": "-1.15", "altitude": "12.0", "hdop": "0.90",
                    "speed": "27", "timestamp": str((now - 300) * 1000), "accuracy": "4.0"})
    await _get(gw, {"lat": "46.16", "lon": "-1.15", "timestamp": str(now - 200), "hdop": "0.9",
                    "altitude": "12.0", "speed": "27", "satellites": "9"})
    assert _vel(gw, now - 300) == pytest.approx(27 * KNOT)
    assert _vel(gw, now - 200) == pytest.approx(27 * KNOT)
