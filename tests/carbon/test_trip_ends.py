"""The walk at the ends of a ride when no stay separates it from the ride (issue #9: walking
starts read as bike): to the parked car, from the bike shed, off the bus. A slow stretch at a
trip's end, at walking pace for 30 s or more seen with steps of 20 s at most, is a walk leg
(legs.EDGE_WALK_S); a bus halting at its stops keeps one bus leg. And the walks either side
of a connection's stop, and the drive before a park-and-ride."""
from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation.scenarios import make_day

from carbon_helpers import HOME, legs_of, shift, still, straight_track

T0 = 1_772_000_000


def _ride(t, start, hops, speed, halt_s, every):
    """Straight hops of `hops` metres each at `speed`, standing `halt_s` after each but
    the last; returns (fixes, end time, end place)."""
    out, here = [], start
    for k, metres in enumerate(hops):
        there = shift(here, metres)
        seconds = int(metres / speed)
        out += straight_track(t, here, there, seconds, every=every)[:-1]
        t += seconds
        if k < len(hops) - 1:
            out += still(t, there, halt_s, every=every)[:-1]
            t += halt_s
        here = there
    return out, t, here


def _walk_car_walk(vehicle_ms, hops, every):
    """80 m walked in 60 s to the vehicle, 25 s getting in (unlocking, the seat belt), the
    ride with halts at lights, then 100 m walked in 75 s to the door."""
    t = T0 + 900
    parked = shift(HOME, 0, 80)
    walk_out = straight_track(t, HOME, parked, 60, every=every)
    getting_in = still(t + 60, parked, 25, every=every)
    ride, t_end, there = _ride(t + 85, parked, hops, vehicle_ms, 40, every)
    door = shift(there, 0, 100)
    walk_in = straight_track(t_end, there, door, 75, every=every)
    pts = still(T0, HOME, 900) + walk_out[:-1] + getting_in[:-1] + ride + walk_in + \
        still(t_end + 75 + 60, door, 900)
    return pts, (t, t + 60, t + 85), (t_end, t_end + 75)


def _near(leg, span, slack=20):
    """The leg is the walk of `span` (start, end[, the vehicle's start]) within `slack`
    seconds: the standing while getting in goes to the walk or to the ride."""
    end_hi = span[-1] if len(span) > 2 else span[1]
    return abs(leg[1] - span[0]) <= slack and span[1] - slack <= leg[2] <= end_hi + slack


def test_the_walk_to_the_car_and_from_it_are_walk_legs():
    for every in (1, 5):
        pts, out, back = _walk_car_walk(11.0, [900, 1200, 700, 1400], every)
        legs = legs_of(build_timeline(pts))
        assert [m for m, _, _ in legs] == ["walk", "car", "walk"], (every, legs)
        assert _near(legs[0], out) and _near(legs[-1], back), (every, legs, out, back)


def test_the_walk_from_the_bike_shed_is_a_walk_leg():
    pts, out, back = _walk_car_walk(4.5, [800, 900, 600], 1)
    legs = legs_of(build_timeline(pts))
    assert [m for m, _, _ in legs] == ["walk", "bike", "walk"], legs
    assert _near(legs[0], out) and _near(legs[-1], back), (legs, out, back)


def test_a_bus_halting_at_its_stops_is_one_bus_leg():
    # 300 m to the stop, 3 minutes' wait (no stay: shorter than 5 minutes), 4.8 km with a
    # 25 s halt every 400 m (standing, nobody walks), then 150 m to the door
    t = T0 + 900
    stop = shift(HOME, 300)
    walk = straight_track(t, HOME, stop, 230, every=5)
    wait = still(t + 230, stop, 180, every=5)
    bus, t_end, there = _ride(t + 410, stop, [400] * 12, 8.0, 25, 5)
    door = shift(there, 150)
    walk_in = straight_track(t_end, there, door, 115, every=5)
    pts = still(T0, HOME, 900) + walk[:-1] + wait[:-1] + bus + walk_in + \
        still(t_end + 175, door, 900)
    legs = legs_of(build_timeline(pts))
    assert [m for m, _, _ in legs] == ["walk", "bus", "walk"], legs
    assert _near(legs[-1], (t_end, t_end + 115)), legs


def test_the_walks_of_a_simulated_car_day_are_walk_legs():
    # the scenario suite's car day at 1 s (GPS noise, corners, lights, getting in): each
    # walk of 45 s or more at the ends of a drive is mostly read as a walk
    day = make_day("car", "1s", seed=0)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    walks = [(s["start_ts"], s["end_ts"]) for t in day.truth["trips"] for s in t["sections"]
             if s["mode"] == "walk" and s["end_ts"] - s["start_ts"] >= 45]
    assert walks
    for a, b in walks:
        read = sum(max(0, min(b, leg.end_ts) - max(a, leg.start_ts))
                   for trip in tl.trips for leg in trip.legs if leg.mode == "walk")
        assert read >= 0.6 * (b - a), (a, b, legs_of(tl))


def test_walks_either_side_of_a_connection_make_no_overlapping_legs():
    # 600 m walked to the station, 6 minutes in it (a stay, joined as a connection), 150 m
    # along the platform, then 20 km by train: the walks either side of the stay are one
    # walk leg, and the train starts where it ends (it had been moved back over the walk)
    t = T0 + 900
    station = shift(HOME, 600)
    walk = straight_track(t, HOME, station, 480, every=5)
    wait = still(t + 480, station, 360, every=30)
    platform = shift(station, 0, 150)
    along = straight_track(t + 870, station, platform, 150, every=5)
    train, t_end, there = _ride(t + 1020, platform, [5000] * 4, 25.0, 60, 5)
    pts = still(T0, HOME, 900) + walk[:-1] + wait[:-1] + along[:-1] + train + \
        still(t_end + 30, there, 900)
    tl = build_timeline(pts)
    assert len(tl.trips) == 1, legs_of(tl)
    legs = legs_of(tl)
    assert [m for m, _, _ in legs][-1] in ("train", "metro"), legs
    assert all(x[2] == y[1] for x, y in zip(legs, legs[1:])), legs


def _park_and_ride(platform_m: float) -> list:
    """park-and-ride: 6 km by car with lights, 250 m walked to the station, 6 minutes there
    (a stay, joined as a connection: a train is boarded after it), `platform_m` walked
    along the platform, then 20 km by train."""
    t = T0 + 900
    parked = shift(HOME, 0, 60)
    walk_out = straight_track(t, HOME, parked, 45, every=5)
    drive, t1, car_park = _ride(t + 70, parked, [1000, 1500, 800, 1200, 1500], 12.0, 40, 5)
    station = shift(car_park, 0, 250)
    walk = straight_track(t1, car_park, station, 190, every=5)
    wait = still(t1 + 190, station, 360, every=30)
    platform, t_board, along = station, t1 + 550, []
    if platform_m:
        platform, t_board = shift(station, platform_m, 0), t1 + 700
        along = straight_track(t1 + 550, station, platform, 150, every=5)[:-1]
    train, t2, there = _ride(t_board, platform, [5000] * 4, 25.0, 60, 5)
    return still(T0, HOME, 900) + walk_out[:-1] + still(t + 45, parked, 25, every=5)[:-1] + \
        drive + walk[1:-1] + wait[:-1] + along + train + still(t2 + 30, there, 900)


def test_a_drive_parked_before_a_train_stays_a_drive():
    # the joined trip keeps the drive: the train boarded after parking says nothing of it
    legs = legs_of(build_timeline(_park_and_ride(0)))
    modes = [m for m, _, _ in legs]
    assert "car" in modes and modes.index("car") < len(modes) - 1, legs
    assert modes[-1] in ("train", "metro"), legs


def test_a_drive_parked_then_a_walk_along_the_platform_is_one_walk_between():
    # 150 m walked along the platform after the wait: the walk from the car park and the
    # one on the platform are one walk between the drive and the train, never two in a row
    modes = [m for m, _, _ in legs_of(build_timeline(_park_and_ride(150)))]
    assert "car" in modes and modes[-1] in ("train", "metro"), modes
    assert all(a != b for a, b in zip(modes, modes[1:])), modes
