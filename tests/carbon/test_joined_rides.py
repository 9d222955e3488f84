"""One ride of one vehicle is one ride, however many parts the legs cut it in: its length is
what the phone's track covers, and its mode is judged on its whole length (carbon.assign)."""
import csv
import os

import pytest

from carbon.assign import decide
from carbon.cleaning import clean
from carbon.features import LegFeatures
from carbon.fix import Fix
from carbon.geo import distance_m
from carbon.likelihood import ride_loglik, ride_terms
from carbon.model import Leg
from carbon.priors import DEFAULT as DEFAULT_PRIORS
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


def _part(t0: int, km: float, mean: float, blind: float, sustained: float) -> Leg:
    """One part of a ride seen every ~38 s, mostly through network positions (blind)."""
    duration = km * 1000 / mean
    f = LegFeatures(duration_s=duration, distance_m=km * 1000, mean_ms=mean, p50_ms=mean,
                    p85_ms=sustained * 1.2, p95_ms=sustained * 1.4, stop_share=0.1,
                    stops_per_km=0.0, max_step_s=300, sustained_p85_ms=sustained,
                    p85_held_ms=sustained * 1.2, p95_held_ms=sustained * 1.4,
                    median_step_s=38, n_fixes=int(duration / 38), blind_share=blind)
    terms = ((ride_terms(f), f.distance_m),)
    return Leg(t0, t0 + int(duration), km * 1000, "unknown", 0.0, n_points=f.n_fixes,
               loglik=ride_loglik(terms), terms=terms,
               features={"mean": mean, "distance": km * 1000, "duration": int(duration)})


def _ride(parts: tuple) -> list:
    legs, t = [], 0
    for km, mean, blind, sustained in parts:
        legs.append(_part(t, km, mean, blind, sustained))
        t = legs[-1].end_ts
    return legs


def test_a_long_ride_cut_in_parts_is_judged_on_its_whole_length():
    """e-mission 2016-07-22's shape: a 74 km ride at 10-13 m/s, cut in four parts of 7-27 km.
    Each part alone is a metro's length and reads metro over train; one ride of 74 km is a
    commuter or regional train's (a metro line that long is almost unheard of). Summed part
    by part, the metro never paid for 74 km and the joined ride read metro (0.84 on that
    day); decided as one ride (a connection, an update), it now reads train."""
    legs = _ride(((27, 11.8, 0.72, 16.6), (7, 10.3, 1.0, 10.3), (16, 13.0, 0.52, 19.5),
                  (24, 10.6, 1.0, 10.6)))
    assert all(g.loglik["metro"] > g.loglik["train"] for g in legs)
    joined = decide(legs, DEFAULT_PRIORS)
    assert len(joined) == 1 and joined[0].distance_m == 74000
    assert joined[0].loglik["train"] > joined[0].loglik["metro"] + 1.0
    again = decide(joined, DEFAULT_PRIORS)
    assert again[0].mode == "train" and again[0].confidence >= 0.8


def test_a_metro_ride_cut_in_parts_stays_a_metro():
    """The same sampling over 12 km in four parts: a metro's length, and a metro it stays."""
    legs = _ride(((3, 9.5, 1.0, 10.0), (3, 10.0, 0.8, 11.0), (3, 9.0, 1.0, 9.5),
                  (3, 10.5, 0.9, 12.0)))
    again = decide(decide(legs, DEFAULT_PRIORS), DEFAULT_PRIORS)
    assert len(again) == 1 and again[0].mode == "metro"
