"""A device's history for the Recorder API is concatenated in SQL from what was computed
when each fix was written (``fixes.loc``, ``fixes.ghash``) and the local time. It must be
exactly what the Python enrichment (the reference, which /last and the live pushes use)
makes of the same fixes, byte for byte, whatever the phone sent: a history a client has
already seen must not change because the box became faster."""
from __future__ import annotations

import json
import random

import pytest

from carbon.fix import Fix
from gateway import accounts
from gateway.queries import recorder as rq
from gateway.queries.local_time import household_zone
from gateway.store import Store, fill_locations, insert_fixes
from gateway.store.locations import compact, stored_location

ZONES = ["Europe/Paris", None, "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu"]
# Around Paris' 2024 changes (31 March 01:00Z, 27 October 01:00Z), and in 1890 (local mean
# time, an offset of +0:09:21).
EDGES = [1711846800, 1729990800, -2500000000]
WHOLE = {"from_ts": None, "to_ts": None}


def _raw(rng: random.Random, ts: int, lat: float, lon: float) -> str | None:
    """Payloads as phones, importers and odd clients leave them in ``raw``."""
    kind = rng.random()
    if kind < 0.08:
        return rng.choice([None, "", "not json", "[1,2]", '{"_type":"transition"}',
                           "id=phone&lat=46.1&lon=-1.1", '"text"'])
    p: dict = {"_type": "location", "lat": lat, "lon": lon, "tst": ts}
    for key, values in (("acc", [10, "15", 7.5]), ("alt", [12, -3.25]), ("vel", [18, 0]),
                        ("batt", [77]), ("cog", [270]), ("tid", ["ph", "", 5, None]),
                        ("inregions", [["home"], "home", []]), ("SSID", ["café ☕"]),
                        ("t", ["u"]), ("conn", ["w"]), ("m", [1]),
                        ("extra", [{"tid": "zz", "lat": 1, "inregions": 3}])):
        if rng.random() < 0.6:
            p[key] = rng.choice(values)
    if rng.random() < 0.1:  # keys the Recorder adds itself: a Recorder export played back
        key = rng.choice(["username", "ghash", "tzname", "isolocal", "isotst", "topic"])
        p[key] = rng.choice(["America/New_York", "Not/A_Zone", "x", 3])
    keys = list(p)
    rng.shuffle(keys)
    return json.dumps({k: p[k] for k in keys}, ensure_ascii=rng.random() < 0.5)


def _fixes(n: int = 400, seed: int = 8) -> list[Fix]:
    rng = random.Random(seed)
    stamps = set()
    for edge in EDGES:
        stamps.update(edge + d for d in (-3601, -1, 0, 1, 1799, 3600))
    while len(stamps) < n:
        stamps.add(rng.randrange(1, 2_100_000_000))
    out = []
    for ts in sorted(stamps):
        lat = rng.choice([round(rng.uniform(-89, 89), 6), rng.uniform(-89, 89), 46.0])
        lon = rng.choice([round(rng.uniform(-179, 179), 6), rng.uniform(-179, 179), -1.0])
        num = lambda: rng.choice([None, 10.0, 7.5, rng.uniform(0, 500)])  # noqa: E731
        out.append(Fix(ts=ts, lat=lat, lon=lon, acc=num(), alt=num(), cog=num(),
                       vel=rng.choice([None, 0.0, 1.25, 5.0, 2.5 / 3.6, rng.uniform(0, 60)]),
                       batt=rng.choice([None, 0, 100]), raw=_raw(rng, ts, lat, lon)))
    return out


@pytest.fixture
def history(tmp_path):
    store = Store(tmp_path / "s.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", "correct horse battery", display_name="Alice")
        device, _ = accounts.add_device(conn, "alice", "phone")
        insert_fixes(conn, device, _fixes(), "owntracks-http")
    info = rq.visible_devices(store.conn, device.member_id)[0]
    yield store.conn, info
    store.close()


def _reference(conn, info, zone, **window) -> list[str]:
    return [compact(rq.enrich(r, info, zone, card=False))
            for r in rq.iter_fixes(conn, info, **window)]


@pytest.mark.parametrize("zone_name", ZONES)
def test_the_history_is_the_python_enrichment_byte_for_byte(history, zone_name):
    conn, info = history
    zone = household_zone(zone_name)
    texts = list(rq.iter_location_texts(conn, info, zone, **WHOLE))
    assert len(texts) == 400
    assert texts == _reference(conn, info, zone, **WHOLE)
    fast = sum(1 for r in conn.execute("SELECT loc FROM fixes") if r[0] is not None)
    assert fast > 300  # most fixes took the SQL path: the test compares the two paths


@pytest.mark.parametrize("window", [
    {"from_ts": 1711846800 - 2, "to_ts": 1711846800 + 1800},     # exclusive bounds
    {"from_ts": None, "to_ts": 1729990800, "limit": 5},            # the newest 5 before
    {"from_ts": None, "to_ts": None, "limit": 7, "newest_first": True},
])
def test_windows_and_orders_are_those_of_the_stored_fixes(history, window):
    conn, info = history
    zone = household_zone("Europe/Paris")
    texts = list(rq.iter_location_texts(conn, info, zone, **window))
    assert texts and texts == _reference(conn, info, zone, **window)


def test_plain_values_are_those_of_the_objects(history):
    """GeoJSON and CSV read the plain values: the same numbers, of the same types."""
    conn, info = history
    objects = [rq.enrich(r, info, None, card=False) for r in rq.iter_fixes(conn, info, **WHOLE)]
    values = list(rq.iter_location_values(conn, info, **WHOLE))
    assert len(values) == len(objects) == 400
    for v, obj in zip(values, objects):
        expected = [obj["tst"], obj["isotst"], obj["tid"], obj["lat"], obj["lon"],
                    *(obj.get(k) for k in ("acc", "alt", "vel", "cog", "batt"))]
        assert [(x, type(x)) for x in v] == [(x, type(x)) for x in expected], obj


def test_dicts_parse_back_to_the_objects(history):
    conn, info = history
    zone = household_zone("Europe/Paris")
    objects = [rq.enrich(r, info, zone, card=False) for r in rq.iter_fixes(conn, info, **WHOLE)]
    assert list(rq.iter_locations(conn, info, zone, **WHOLE)) == objects


def test_fixes_stored_before_the_migration_read_the_same_then_get_filled(history):
    conn, info = history
    zone = household_zone("Europe/Paris")
    before = list(rq.iter_location_texts(conn, info, zone, **WHOLE))
    conn.execute("UPDATE fixes SET loc = NULL, ghash = NULL")  # as m0007 leaves old rows
    assert list(rq.iter_location_texts(conn, info, zone, **WHOLE)) == before
    batches = []
    while n := fill_locations(conn, limit=150):
        batches.append(n)
    assert batches == [150, 150, 100]  # bounded batches, each row once
    assert list(rq.iter_location_texts(conn, info, zone, **WHOLE)) == before
    for r in rq.iter_fixes(conn, info, **WHOLE):
        loc = conn.execute("SELECT loc FROM fixes WHERE device_id = ? AND ts = ?",
                           (info.id, r["ts"])).fetchone()[0]
        assert loc == stored_location(r, info.tid)
