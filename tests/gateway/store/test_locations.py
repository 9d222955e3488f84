"""The Recorder object stored with each fix: the fast text for fixes without phone JSON
(imports, gpsd) is the general path's text, byte for byte."""
from __future__ import annotations

import random

from carbon.fix import Fix
from carbon.geo import _geohash_bits, geohash
from gateway.store.locations import _plain_location, compact, location_base, stored_location


def test_the_direct_text_is_the_general_one_whatever_the_numbers():
    rng = random.Random(3)
    direct = 0
    for _ in range(5000):
        num = lambda: rng.choice([None, 10.0, 7.5, 3, rng.uniform(0, 500), 1e-7,  # noqa: E731
                                  float("inf"), float("nan"), -float("inf")])
        fix = Fix(ts=rng.randrange(1, 2 * 10**9),
                  lat=rng.choice([46, 46.0, rng.uniform(-90, 90)]),
                  lon=rng.uniform(-180, 180), acc=num(), alt=num(), cog=num(),
                  vel=rng.choice([None, 1.25, 0.0, rng.uniform(0, 50)]),
                  batt=rng.choice([None, 0, 55]),
                  raw=rng.choice([None, "", "id=1&lat=2", '{"a":1}', "[1]",
                                  '{"_type":"transition"}']))
        tid = rng.choice(["ph", 'é"x'])
        direct += _plain_location(fix, tid) is not None
        assert stored_location(fix, tid) == compact(location_base(fix, tid))[:-1], fix
    assert direct > 1000   # many took the direct path, which is what is compared


def test_the_stored_geohash_is_the_general_one():
    rng = random.Random(5)
    for _ in range(20000):
        lat, lon = rng.uniform(-100, 100), rng.uniform(-200, 200)   # off the globe too
        assert geohash(lat, lon) == _geohash_bits(lat, lon, 7)


def test_the_parsers_decoded_json_gives_the_text_decoding_raw_gives():
    """The live ingest hands the writer the payload the OwnTracks parser decoded (which it
    changed in place: numbers from strings, a checked tst); the stored text must be the one
    decoding the raw message again gives, whatever the phone sent."""
    import json

    from receivers import owntracks as ot

    rng = random.Random(11)
    values = [None, 0, 10, 7.5, "12", "8.25", -3, 1e7, "abc", True, "", [1]]
    compared = 0
    for _ in range(3000):
        msg = {"_type": "location", "lat": rng.choice([46.1, "46.2", 45, " -1.5 "]),
               "lon": rng.choice([-1.15, "-1.2", 3]),
               "tst": rng.choice([1_700_000_000, "1700000001", 1_700_000_002.7])}
        for key in ("acc", "alt", "vel", "cog", "batt", "tid", "inregions", "conn", "topic",
                    "isotst", "motionactivities", "created_at"):
            if rng.random() < 0.4:
                msg[key] = rng.choice(values + [["home"], "ph", {"x": 1}])
        keys = list(msg)
        rng.shuffle(keys)
        raw = json.dumps({k: msg[k] for k in keys}, ensure_ascii=rng.random() < 0.5)
        try:
            parsed = ot.parse_payload(raw.encode(), now=1_800_000_000)
        except ot.Rejected:
            continue
        for tid in ("ph", 'é"x'):
            assert (stored_location(parsed.fix, tid, parsed.payload)
                    == stored_location(parsed.fix, tid)), raw
        compared += 1
    assert compared > 1000
