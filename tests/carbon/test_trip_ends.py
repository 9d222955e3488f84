"""The ends of a ride when no stay separates them from the walk (issue #9: walking starts
read as bike), and the walks either side of a connection's stop."""
from carbon.timeline import build_timeline

from carbon_helpers import HOME, still, straight_track

T0 = 1_772_000_000


def _shift(place, north_m, east_m=0.0):
    return (place[0] + north_m / 111_320.0, place[1] + east_m / 78_000.0)


def _legs(tl):
    return [(leg.mode, leg.start_ts, leg.end_ts) for trip in tl.trips for leg in trip.legs]


def _ride(t, start, hops, speed, halt_s, every):
    """Straight hops of `hops` metres each at `speed`, standing `halt_s` after each but
    the last; returns (fixes, end time, end place)."""
    out, here = [], start
    for k, metres in enumerate(hops):
        there = _shift(here, metres)
        seconds = int(metres / speed)
        out += straight_track(t, here, there, seconds, every=every)[:-1]
        t += seconds
        if k < len(hops) - 1:
            out += still(t, there, halt_s, every=every)[:-1]
            t += halt_s
        here = there
    return out, t, here


def test_walks_either_side_of_a_connection_make_no_overlapping_legs():
    # 600 m walked to the station, 6 minutes in it (a stay, joined as a connection), 150 m
    # along the platform, then 20 km by train: the walks either side of the stay are one
    # walk leg, and the train starts where it ends (it had been moved back over the walk)
    t = T0 + 900
    station = _shift(HOME, 600)
    walk = straight_track(t, HOME, station, 480, every=5)
    wait = still(t + 480, station, 360, every=30)
    platform = _shift(station, 0, 150)
    along = straight_track(t + 870, station, platform, 150, every=5)
    train, t_end, there = _ride(t + 1020, platform, [5000] * 4, 25.0, 60, 5)
    pts = still(T0, HOME, 900) + walk[:-1] + wait[:-1] + along[:-1] + train + \
        still(t_end + 30, there, 900)
    tl = build_timeline(pts)
    assert len(tl.trips) == 1, _legs(tl)
    legs = _legs(tl)
    assert [m for m, _, _ in legs][-1] in ("train", "metro"), legs
    assert all(x[2] == y[1] for x, y in zip(legs, legs[1:])), legs


def test_a_drive_parked_before_a_train_stays_a_drive():
    # park-and-ride: 6 km by car with lights, 250 m walked to the station, 6 minutes there
    # (a stay, joined as a connection: a train is boarded after it), 20 km by train. The
    # joined trip keeps the drive: the train boarded after parking says nothing of it
    t = T0 + 900
    parked = _shift(HOME, 0, 60)
    walk_out = straight_track(t, HOME, parked, 45, every=5)
    drive, t1, car_park = _ride(t + 70, parked, [1000, 1500, 800, 1200, 1500], 12.0, 40, 5)
    station = _shift(car_park, 0, 250)
    walk = straight_track(t1, car_park, station, 190, every=5)
    wait = still(t1 + 190, station, 360, every=30)
    train, t2, there = _ride(t1 + 550, station, [5000] * 4, 25.0, 60, 5)
    pts = still(T0, HOME, 900) + walk_out[:-1] + still(t + 45, parked, 25, every=5)[:-1] + \
        drive + walk[1:-1] + wait[:-1] + train + still(t2 + 30, there, 900)
    tl = build_timeline(pts)
    modes = [m for m, _, _ in _legs(tl)]
    assert "car" in modes and modes.index("car") < len(modes) - 1, _legs(tl)
    assert modes[-1] in ("train", "metro"), _legs(tl)
