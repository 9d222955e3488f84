"""Speeds in files, in the unit each producer writes, stored in m/s. OwnTracks' ``vel`` is
km/h: a phone's message posted to /pub over real HTTP, then the box's own Recorder API
exports of it (GeoJSON, CSV: the OwnTracks Recorder's formats, ``vel`` beside ``tst``)
imported into another box, read back at the phone's speed, not 3.6 times it. Takeout's
``velocity`` is m/s (Records.schema.json: "Measured velocity (ground speed) in meters per
second"); our exports' ``speed`` and GeoJSON ``vel`` beside ``ts`` are m/s."""
from __future__ import annotations

import json

import aiohttp
import pytest

from gateway import accounts
from gateway.store import Store
from harness import PASSWORD, base_url
from helpers import basic
from portability_helpers import fixes_of, run_import, write

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def _fresh(tmp_path) -> Store:
    s = Store(tmp_path / "other" / "selfdata.db").open()
    with s.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    return s


async def _recorder_exports(gw) -> dict:
    phone = basic("alice/phone", gw.household.secrets["alice/phone"])
    body = {"_type": "location", "lat": 46.15, "lon": -1.15, "tid": "ph", "acc": 10,
            "tst": T0, "vel": 36}
    out = {}
    async with aiohttp.ClientSession() as s:
        async with s.post(base_url(gw) + "/pub", data=json.dumps(body), headers=phone) as r:
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        window = {"user": "alice", "device": "phone", "from": "2023-11-01", "to": "2023-12-01"}
        for name, extra in (("geojson", {"format": "geojson"}), ("csv", {"format": "csv"}),
                            ("fields.csv", {"format": "csv", "fields": "isotst,lat,lon,vel"})):
            async with s.get(base_url(gw) + "/api/0/locations", params={**window, **extra},
                             headers=basic("alice", PASSWORD)) as r:
                assert r.status == 200
                out[name] = await r.text()
    return out


async def test_the_recorder_s_exports_read_back_at_the_phone_s_speed(gateway, tmp_path):
    exports = await _recorder_exports(gateway)
    assert gateway.store.conn.execute("SELECT vel FROM fixes").fetchone()[0] == 10.0  # 36 km/h
    for name, text in exports.items():
        other = _fresh(tmp_path / name)
        run_import(other, write(tmp_path / name / f"export.{name}", text))
        assert [vel for (vel,) in fixes_of(other, columns="vel")] == [pytest.approx(10.0)], name
        other.close()


def test_takeout_records_velocity_is_metres_a_second(store, tmp_path):
    records = {"locations": [
        {"latitudeE7": 461591234, "longitudeE7": -11512345, "accuracy": 8, "velocity": 14,
         "timestamp": "2024-05-02T08:00:00Z"},
        {"latitudeE7": 461601234, "longitudeE7": -11502345, "accuracy": 8,
         "timestamp": "2024-05-02T08:01:00Z"}]}
    run_import(store, write(tmp_path / "Records.json", records))
    assert [vel for (vel,) in fixes_of(store, columns="vel")] == [14.0, None]


def test_a_vel_beside_our_own_time_names_is_metres_a_second(store, tmp_path):
    """Our GeoJSON export writes ``vel`` (m/s) beside ``ts`` and ``time``: not the Recorder's."""
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.15, 46.15]},
               "properties": {"time": "2023-11-14T22:13:20Z", "ts": T0, "vel": 10.0}}
    run_import(store, write(tmp_path / "ours.geojson",
                            {"type": "FeatureCollection", "features": [feature]}))
    assert [vel for (vel,) in fixes_of(store, columns="vel")] == [10.0]
