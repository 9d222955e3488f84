"""Where legs start and end: one jump of a fix at the end of a walk, the wait of a
connection (real cases: shankari 2016-08-11 21:40, 2016-06-20 23:54, 2015-07-22 16:02,
2015-aug-27 00:43)."""
from carbon.fix import Fix
from carbon.timeline import build_timeline

from carbon_helpers import HOME, legs_of, shift, still, straight_track

T0 = 1_772_000_000


def test_one_jump_at_the_end_of_a_walk_is_not_a_ride():
    # a 12-minute walk at 1.1 m/s (a fix every 30 s, acc 40 m), one fix 240 m ahead after
    # 60 s (a wifi position catching up: 4 m/s), two minutes standing, then the last 100 m
    # walked to the door. The 60 s step is the only fast evidence: no bike leg.
    a = shift(HOME, 800)
    walk = straight_track(T0 + 900, HOME, a, 720, every=30, acc=40.0)
    b = shift(a, 240)
    jump = [Fix(T0 + 1680, *b, 40.0)]
    stand = still(T0 + 1710, b, 90, every=30, acc=40.0)
    door = shift(b, 100)
    tail = straight_track(T0 + 1830, b, door, 90, every=30, acc=40.0)
    pts = still(T0, HOME, 900) + walk + jump + stand + tail[1:] + still(T0 + 1950, door, 900)
    modes = [m for m, _, _ in legs_of(build_timeline(pts))]
    assert modes == ["walk"], modes


def test_the_wait_of_a_connection_is_in_a_leg():
    # walk 600 m to a bus stop, six minutes there (a stay, joined as a connection: only a
    # scheduled departure makes people wait), then 6 km by bus, halting every 400 m: the
    # joined trip's legs cover it without a hole, the wait on foot
    stop = shift(HOME, 600)
    walk = straight_track(T0 + 900, HOME, stop, 480, every=10, acc=10.0)
    wait = still(T0 + 1410, stop, 360, every=30, acc=10.0)
    bus, t = [], T0 + 1800
    for k in range(15):             # 400 m at 8 m/s, then 25 s at the stop
        a, b = shift(stop, 400 * k), shift(stop, 400 * (k + 1))
        bus += straight_track(t, a, b, 50, every=10, acc=10.0)[:-1] + still(t + 50, b, 25, every=10)
        t += 75
    pts = still(T0, HOME, 900) + walk + wait + bus + still(t + 60, shift(stop, 6000), 900)
    tl = build_timeline(pts)
    assert len(tl.trips) == 1
    legs = legs_of(tl)
    assert [m for m, _, _ in legs] == ["walk", "bus"], legs
    assert all(x[2] == y[1] for x, y in zip(legs, legs[1:])), legs
    assert legs[0][2] >= T0 + 1770          # the walk leg ends when the bus moves


def test_the_wait_between_a_ride_and_the_train_is_the_trains():
    # cycling 1.8 km at 4.5 m/s, rolling 250 m into the station at 1.8 m/s, standing 4
    # minutes on the platform (a short stay, joined as a connection), then the train: the
    # ride ends when the cyclist stops and the wait is the train's, as for a halt inside
    # one fast stretch (legs._split_at_halt)
    station = shift(HOME, 2050)
    town = shift(station, 20_000)
    slow_from = shift(HOME, 1800)
    ride = straight_track(T0 + 900, HOME, slow_from, 400, every=20, acc=20.0)
    roll = straight_track(T0 + 1300, slow_from, station, 140, every=20, acc=20.0)
    stop = T0 + 1440
    wait = still(stop + 30, station, 240, every=30, acc=20.0)
    train = straight_track(stop + 300, station, town, 900, every=30, acc=20.0)
    pts = still(T0, HOME, 900) + ride + roll[1:] + wait + train[1:] + still(stop + 1230, town, 900)
    tl = build_timeline(pts)
    assert len(tl.trips) == 1
    legs = legs_of(tl)
    # the 140 s at 1.8 m/s may be read as pushing the bike in (a walk leg, which then takes
    # the wait, as a connection's walk does) or as the end of the ride
    assert [m for m, _, _ in legs] in (["bike", "car"], ["bike", "train"],
                                       ["bike", "walk", "train"]), legs
    assert all(x[2] == y[1] for x, y in zip(legs, legs[1:])), legs
    assert legs[0][2] <= stop + 30 and legs[-1][1] >= stop, (legs, stop)


def test_after_alighting_a_long_stop_before_riding_on_is_a_stay():
    # the train (20 km in 15 minutes), six minutes at the arrival station, then the ride
    # home: getting the bike out takes a minute or two; six minutes is something else (a
    # coffee, a shop), and nothing scheduled was waited for: two trips, the train ending
    # when it stops, the ride starting when it moves
    station = shift(HOME, 20_000)
    dest = shift(station, 1800)
    train = straight_track(T0 + 900, HOME, station, 900, every=30, acc=20.0)
    arrive = T0 + 1800
    wait = still(arrive + 30, station, 360, every=30, acc=20.0)
    ride = straight_track(arrive + 420, station, dest, 400, every=20, acc=20.0)
    pts = still(T0, HOME, 900) + train + wait + ride[1:] + still(arrive + 850, dest, 900)
    tl = build_timeline(pts)
    assert [t.main_mode for t in tl.trips] in (["train", "bike"], ["car", "bike"]), tl.trips
    assert tl.trips[0].end_ts <= arrive + 60 and tl.trips[1].start_ts >= arrive + 300


def test_a_day_of_driving_at_a_fix_a_minute_is_not_measured_at_every_change_of_pace(monkeypatch):
    # a car whose minute chords alternate 13 and 8 m/s (a bike's 12 m/s mean limit between
    # them) offers a cut off the train at every step: each measured side is O(n), so a day
    # of it took seconds; measured nearest the vehicle first, a bounded number of them
    import math
    import random
    import carbon.legs as legs
    from carbon.fix import Fix
    from carbon.timeline import build_timeline
    rng, lat, lon, heading, pts = random.Random(0), 45.0, 0.0, 0.0, []
    for k in range(1440):
        pts.append(Fix(1_772_000_000 + k * 60, lat, lon, 10.0))
        v = 13.0 if k % 2 else 8.0
        heading += rng.gauss(0, 0.3)
        lat += v * 60 * math.cos(heading) / 111_200
        lon += v * 60 * math.sin(heading) / (111_200 * math.cos(math.radians(lat)))
    calls = []
    real = legs.leg_features
    monkeypatch.setattr(legs, "leg_features", lambda *a, **k: calls.append(1) or real(*a, **k))
    tl = build_timeline(pts)
    assert len(tl.trips) == 1 and len(tl.trips[0].legs) == 1
    assert len(calls) <= 2 * legs._MEASURED + 10, len(calls)
