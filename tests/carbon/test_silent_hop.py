"""A long silent hop reads as what it physically was (issue #9: a phone in flight mode records
nothing between take-off and landing). The silence is evidence where the phone's own steps
show it reports while moving (carbon.silence): a flight when the member stood at both ends,
a ride the phone went dark in when they drove into it and out of it."""
import math

from carbon.fix import Fix
from carbon.footprint import MemberSettings, leg_footprint
from carbon.geo import distance_m
from carbon.params import Context
from carbon.timeline import CONTEXT_S, build_timeline, update_timeline
from simulation.scenarios import make_day

T0 = 1_772_000_000
DEP = (46.1790, -1.1950)                      # La Rochelle airport


def _east(origin, km, north_km=0.0):
    lat = origin[0] + north_km / 111.2
    return lat, origin[1] + km / (111.2 * math.cos(math.radians(lat)))


def _drive(start, t, steps, step_s, km_per_step, north=0.0, acc=12.0):
    """A significant-changes phone's fixes along a road: one every `step_s` seconds."""
    return [Fix(t + k * step_s, *_east(start, k * km_per_step, k * north), acc)
            for k in range(1, steps + 1)]


def _airport_day():
    """At the airport (a stay), then nothing for 84 minutes (gate, taxi, flight), the landing
    fix 191 km away at another airport, the terminal, and a taxi into town reported every
    5 minutes: the real held-out day's shape (38 m/s end to end)."""
    arr = _east(DEP, 191.0)
    landed = T0 + 84 * 60
    fixes = [Fix(T0 - 1800, DEP[0] + 0.0003, DEP[1], 15.0), Fix(T0 - 900, DEP[0], DEP[1] + 0.0002, 20.0),
             Fix(T0, *DEP, 20.0), Fix(landed, *arr, 40.0), Fix(landed + 1500, arr[0] + 0.0004, arr[1], 20.0)]
    taxi = _drive(arr, landed + 1500, 8, 300, 2.0, north=0.3)
    fixes += taxi + [Fix(taxi[-1].ts + 1200, taxi[-1].lat + 0.0002, taxi[-1].lon, 15.0),
                     Fix(taxi[-1].ts + 2400, taxi[-1].lat, taxi[-1].lon + 0.0002, 15.0)]
    return fixes, arr, landed


def test_a_silence_from_airport_to_airport_is_a_flight_with_its_footprint():
    fixes, arr, landed = _airport_day()
    settings = MemberSettings()
    tl = build_timeline(fixes, context=Context(vehicle=settings))
    hop = next(g for t in tl.trips for g in t.legs if g.start_ts <= landed - 600 < g.end_ts)
    assert hop.mode == "plane", [(g.mode, g.probs) for t in tl.trips for g in t.legs]
    gc = distance_m(DEP[0], DEP[1], arr[0], arr[1])
    assert abs(hop.distance_m - gc) < 0.01 * gc
    assert hop.co2_g == leg_footprint("plane", hop.distance_m, settings)[0]
    assert [g.mode for g in tl.trips[-1].legs] != ["plane"]     # the taxi stays a ride


def test_the_flight_is_decided_alike_fix_by_fix_and_in_a_rebuild():
    # fix by fix, the landing fix alone does not show how the phone reports while moving:
    # the trip stays open until the taxi's steps do, then reads as the rebuild reads it
    fixes, _, _ = _airport_day()
    full = build_timeline(fixes)
    tl = build_timeline(fixes[:3])
    for k in range(4, len(fixes) + 1):
        since = tl.resume_ts
        tl = update_timeline(tl, [p for p in fixes[:k] if since is None or p.ts >= since - CONTEXT_S])
    shape = [[(g.mode, g.start_ts, g.end_ts) for g in t.legs] for t in tl.trips]
    assert shape == [[(g.mode, g.start_ts, g.end_ts) for g in t.legs] for t in full.trips]
    assert any(g.mode == "plane" for t in tl.trips for g in t.legs)


def test_a_train_ride_reported_by_distance_stays_a_train():
    # 150-300 km by intercity under significant changes (a fix every ~500 m, at most one
    # in 5 minutes): the phone reports along the ride, no silence of a flight's length
    for seed in range(4):
        day = make_day("train-intercity", "significant", seed)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        rides = [g for t in tl.trips for g in t.legs if g.distance_m > 50_000]
        assert rides and all(g.mode == "train" for g in rides), (seed, [g.mode for g in rides])


def test_a_phone_dark_for_80_minutes_on_a_motorway_is_still_the_drive():
    # reports every 5 minutes at motorway speed up to the silence and from its end on: the
    # member drove into it and out of it (a flight needs a stop at the gate and after
    # landing), so 150 km in 80 minutes (31 m/s) is the drive the phone missed
    start = (45.0, 0.0)
    before = _drive(start, T0, 8, 300, 9.0)
    dark_end = before[-1].ts + 80 * 60
    mid = _east((before[-1].lat, before[-1].lon), 150.0)
    after = [Fix(dark_end, *mid, 12.0)] + _drive(mid, dark_end, 8, 300, 9.0)
    fixes = [Fix(T0 - 1800, *start, 15.0), Fix(T0 - 900, start[0] + 0.0002, start[1], 15.0),
             Fix(T0, *start, 15.0)] + before + after
    end = after[-1]
    fixes += [Fix(end.ts + 900, end.lat + 0.0002, end.lon, 15.0), Fix(end.ts + 1800, end.lat, end.lon, 15.0)]
    tl = build_timeline(fixes)
    modes = [g.mode for t in tl.trips for g in t.legs]
    assert "plane" not in modes and "car" in modes, modes
    hop = next(g for t in tl.trips for g in t.legs if g.start_ts <= dark_end - 600 < g.end_ts)
    assert hop.mode == "car", modes
    assert "plane" not in hop.probs, hop.probs       # not even among its runners-up
