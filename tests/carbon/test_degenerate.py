"""Degenerate histories: the engine gives sensible answers (its speed on them is measured in
bench/import.py and bench/pipeline.py, never asserted here)."""
import math
import random

from carbon.fix import Fix
from carbon.timeline import build_timeline

T0 = 1_772_000_000


def test_a_phone_jittering_in_place_for_a_month_is_one_stay():
    rnd = random.Random(5)
    pts = [Fix(T0 + 60 * k, 46.16 + rnd.gauss(0, 0.0002), -1.15 + rnd.gauss(0, 0.0003),
                 rnd.choice((10.0, 20.0, 40.0, 65.0))) for k in range(30 * 24 * 60)]
    tl = build_timeline(pts)
    assert tl.trips == [] and len(tl.stays) == 1
    assert tl.stays[0].duration_s >= 30 * 86400 - 3600


def test_a_history_that_never_rests_still_gives_trips_with_legs_covering_them():
    rnd = random.Random(4)
    lat, lon, ts, pts = 46.16, -1.15, float(T0), []
    for _ in range(20_000):
        ts += rnd.uniform(20, 120)
        lat += rnd.uniform(-0.0005, 0.0005)
        lon += rnd.uniform(-0.0007, 0.0007)
        pts.append(Fix(int(ts), lat, lon, float(rnd.randint(3, 60))))
    tl = build_timeline(pts)
    assert tl.trips
    for t in tl.trips:
        assert t.legs and t.legs[0].start_ts == t.start_ts and t.legs[-1].end_ts == t.end_ts
        assert all(a.end_ts == b.start_ts for a, b in zip(t.legs, t.legs[1:]))
        assert all(g.mode in ("walk", "run", "bike") for g in t.legs)   # ~1 m/s meanders


def test_twenty_hours_of_driving_without_a_stop_are_car_legs():
    rnd = random.Random(6)
    lat, lon, h, pts = 46.16, -1.15, 0.0, []
    for k in range(20 * 360):                  # a fix every 10 s
        h += rnd.gauss(0, 0.05)
        v = 20 + rnd.gauss(0, 2)
        lat += v * 10 * math.cos(h) / 111_000
        lon += v * 10 * math.sin(h) / 78_000
        pts.append(Fix(T0 + 10 * k, lat, lon, 8.0))
    tl = build_timeline(pts)
    legs = [g for t in tl.trips for g in t.legs]
    assert legs and sum(g.distance_m for g in legs) > 0.9 * 20 * 3600 * 20
    assert all(g.mode in ("car", "train", "bus") for g in legs)


def test_duplicated_timestamps_give_the_trips_of_the_clean_history():
    rnd = random.Random(7)
    base = []
    for k in range(400):                        # stay, walk 2 km, stay
        moving = 100 <= k < 300
        base.append(Fix(T0 + 10 * k, 46.16 + (0.00009 * (k - 100) if moving else
                                             0.018 if k >= 300 else 0.0),
                        -1.15, 8.0))
    noisy = [Fix(p.ts, p.lat + rnd.gauss(0, 1e-6), p.lon, p.acc + j) for p in base
             for j in range(5)]
    rnd.shuffle(noisy)
    a, b = build_timeline(base), build_timeline(noisy)
    assert [(t.start_ts, t.end_ts, [g.mode for g in t.legs]) for t in a.trips] == \
        [(t.start_ts, t.end_ts, [g.mode for g in t.legs]) for t in b.trips]
    assert [g.mode for t in a.trips for g in t.legs] == ["walk"]
