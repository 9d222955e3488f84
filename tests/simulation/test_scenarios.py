"""The scenario generator: deterministic, physically sane, every regime samples as it says."""
import json
import math

import pytest

from simulation.phones import REGIMES
from simulation.scenarios import FAMILIES, make_day, write_day

# What each mode's true sections may average (m/s), stops included: a generous physical box,
# so that a broken kinematics model (a bus at 40 m/s, a walk at 3) shows up here.
_MEAN_MS = {"walk": (0.8, 1.8), "run": (2.3, 3.8), "bike": (2.5, 6.5), "e-bike": (4.5, 7.5),
            "car": (2.5, 36.0), "bus": (1.0, 9.0), "tram": (3.0, 9.0), "metro": (6.0, 16.0),
            "train": (15.0, 80.0), "plane": (40.0, 250.0), "boat": (4.0, 10.0)}


def _sections(day):
    for trip in day.truth["trips"]:
        for s in trip["sections"]:
            yield s


def test_the_same_seed_gives_the_same_day():
    a, b = make_day("bus", "dense", 1), make_day("bus", "dense", 1)
    assert a.fixes == b.fixes and a.truth == b.truth
    assert make_day("bus", "dense", 2).fixes != a.fixes


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_moves_at_its_modes_speeds(family):
    day = make_day(family, "1s", 0)
    seen = set()
    for s in _sections(day):
        if s["mode"] == "UNKNOWN" or s["end_ts"] - s["start_ts"] < 60:
            continue
        mean = s["distance_m"] / (s["end_ts"] - s["start_ts"])
        lo, hi = _MEAN_MS[s["mode"]]
        assert lo <= mean <= hi, (family, s)
        seen.add(s["mode"])
    assert seen, family
    starts = [t["start_ts"] for t in day.truth["trips"]]
    assert starts == sorted(starts)
    assert all(t["start_ts"] < t["end_ts"] for t in day.truth["trips"])


def test_regimes_sample_as_phones_do():
    steps = {}
    for regime in REGIMES:
        day = make_day("car", regime, 0)
        trip = day.truth["trips"][0]
        moving = [f for f in day.fixes if trip["start_ts"] + 60 <= f[0] <= trip["end_ts"] - 60]
        dts = sorted(b[0] - a[0] for a, b in zip(moving, moving[1:]))
        steps[regime] = dts[len(dts) // 2] if dts else math.inf
    assert steps["1s"] == 1
    assert 5 <= steps["dense"] <= 25
    assert 55 <= steps["sparse"] <= 130
    assert steps["significant"] >= 300        # ~500 m and at most every 5 minutes


def test_underground_the_phone_is_silent_or_jumps_by_kilometres():
    for seed in range(6):
        day = make_day("metro", "dense", seed)
        section = next(s for s in _sections(day) if s["mode"] == "metro")
        inside = [f for f in day.fixes if section["start_ts"] < f[0] < section["end_ts"]]
        assert not inside or max(f[3] for f in inside) >= 100


def test_a_flight_is_silent_from_gate_to_gate():
    day = make_day("plane", "1s", 0)
    flight = next(s for s in _sections(day) if s["mode"] == "plane")
    assert not [f for f in day.fixes if flight["start_ts"] < f[0] < flight["end_ts"]]
    assert flight["distance_m"] >= 190_000


def test_days_are_written_as_the_shared_scorers_read_them(tmp_path):
    day = make_day("walk", "dense", 0)
    folder = write_day(day, str(tmp_path))
    truth = json.load(open(f"{folder}/truth.json"))
    assert truth["trips"] and truth["tz"] == "Europe/Paris"
    header = open(f"{folder}/points.csv").readline().strip()
    assert header == "ts,lat,lon,acc"


@pytest.mark.parametrize("family", ["car-highway", "car", "bike"])
def test_the_phones_speed_is_written_in_metres_a_second(family):
    """What `--vel` writes is what the engine reads (Fix.vel, m/s): on a 1 s track the fixes'
    own speeds over half a minute average what the positions travelled in it (the chords'
    noise averaged out), not 3.6 times it (km/h) nor 1.94 (knots)."""
    from carbon.geo import distance_m
    day = next(d for d in (make_day(family, "1s", seed) for seed in range(6))
               if any(v is not None for v in d.vels))
    f, ratios = day.fixes, []
    for k in range(0, len(f) - 30, 30):
        vels = day.vels[k:k + 30]
        if f[k + 30][0] - f[k][0] != 30 or None in vels:
            continue
        moved = distance_m(f[k][1], f[k][2], f[k + 30][1], f[k + 30][2]) / 30
        if moved > 3.0:
            ratios.append(sum(vels) / 30 / moved)
    ratios.sort()
    assert len(ratios) > 10 and 0.9 < ratios[len(ratios) // 2] < 1.2, (family, ratios)


def _errand_by_car(seed):
    """An errands day by car, its samples (the true 1 Hz motion) and its trips."""
    import random
    from simulation.itinerary import Itinerary
    from simulation.scenarios import ORIGIN, errands_day
    while True:
        it = Itinerary(ORIGIN, 0)
        errands_day(it, random.Random(f"errand-car/{seed}"))
        if any(s["mode"] == "car" for t in it.trips for s in t["sections"]):
            return {s.t: (s.x, s.y) for s in it.samples}, it.trips
        seed += 1000


def test_an_errand_car_is_where_it_was_parked():
    """A drive after a shop starts where the last one stopped: the member walked from the
    parked car to the door, shopped, and walked back to the car (the walk back used to
    head off in a new direction, and the car moved between two drives)."""
    walks = []
    for seed in range(8):
        at, trips = _errand_by_car(seed)
        drives = [next(s for s in t["sections"] if s["mode"] == "car") for t in trips]
        for before, trip, drive_off, nxt in zip(drives, trips, drives[1:], trips[1:]):
            parked, door = at[before["end_ts"]], at[trip["end_ts"]]
            assert math.dist(parked, at[drive_off["start_ts"]]) < 1.0
            assert math.dist(door, at[nxt["start_ts"] + 1]) < 5.0    # out of the shop's door
            walks.append(math.dist(parked, door))
        stops = [b["start_ts"] - a["end_ts"] for a, b in zip(trips, trips[1:])]
        assert all(180 <= s <= 1200 for s in stops)
    assert all(3.0 <= w <= 310.0 for w in walks)
    assert any(w < 20.0 for w in walks) and any(w > 60.0 for w in walks)
