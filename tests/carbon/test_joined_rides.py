"""One ride of one vehicle is one ride, however many parts the legs cut it in: its length is
what the phone's track covers, and its mode is judged on its whole length (carbon.assign)."""
import csv
import os

import pytest

from carbon.cleaning import clean
from carbon.fix import Fix
from carbon.geo import distance_m
from carbon.timeline import build_timeline

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/bench"


def _read(path: str) -> list:
    with open(path, newline="") as f:
        return [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                    float(r["acc"]) if r.get("acc") else None) for r in csv.DictReader(f)]


def _days() -> list:
    return [os.path.join(SHARED, data, day, "points.csv")
            for data in ("emission", "aalto") if os.path.isdir(os.path.join(SHARED, data))
            for day in sorted(os.listdir(os.path.join(SHARED, data)))
            if os.path.exists(os.path.join(SHARED, data, day, "points.csv"))]


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="bench data not available")
def test_no_real_ride_is_longer_than_its_track():
    """A leg's distance is the member's path (what the footprint is computed on): never much
    more than the cleaned fixes over its span cover. Its ends may lie a little beyond its
    first and last fix (the walk out of a place), hence 1.3. Until round 10 a ride joined
    while a connection was decided was joined a second time when the stop was then read as
    a change (carbon.transfers): e-mission 2015-aug-27's 40.6 km metro read 67.3 km."""
    days = _days()
    assert len(days) >= 15
    long_legs = 0
    for path in days:
        fixes = _read(path)
        points = clean(fixes)
        for trip in build_timeline(fixes).trips:
            for leg in trip.legs:
                if leg.distance_m < 1000:
                    continue
                seg = [p for p in points if leg.start_ts <= p.ts <= leg.end_ts]
                track = sum(distance_m(p.lat, p.lon, q.lat, q.lon) for p, q in zip(seg, seg[1:]))
                assert leg.distance_m <= 1.3 * track + 100, (path, leg.start_ts, leg.mode,
                                                             leg.distance_m, round(track))
                long_legs += 1
    assert long_legs >= 50
