"""A halt serves one place, however many stops a feed has there (carbon.transit._places).

Round 11 (errand-stops): a car parked by a corner where several lines stop (a shop's, a
home's) stands there as it leaves and as it parks; counted stop by stop, those two halts
"served" eight stops and the drive along the line became a bus (errands under dense
sampling with the town's feed 0.929 -> 0.897). A bus still serves its stops, each with its
twin across the street."""
from carbon.fix import Fix
from carbon.geo import METRES_PER_DEGREE_LAT
from carbon.transit import TransitIndex

LAT0, LON0, T0 = 46.15, -1.15, 1_772_000_000
EAST_M = 1 / 78_000.0      # degrees of longitude per metre, near La Rochelle


def _north(m: float, east_m: float = 0.0) -> tuple:
    return LAT0 + m / METRES_PER_DEGREE_LAT, LON0 + east_m * EAST_M


def _feed(length_m: float, stop_every_m: float, corners=(), twins=False) -> TransitIndex:
    index = TransitIndex()
    index.add_shape("bus", [_north(0), _north(length_m)], 3)
    k = 1
    while k * stop_every_m < length_m:
        index.add_stop("bus", *_north(k * stop_every_m))
        if twins:      # the other direction's stop, across the street
            index.add_stop("bus", *_north(k * stop_every_m + 15, 12))
        k += 1
    for at in corners:     # four lines' stops (termini, both directions) at one corner
        for dn, de in ((0, 0), (8, 6), (-6, 10), (12, -5)):
            index.add_stop("bus", *_north(at + dn, de))
    return index


def _drive(length_m: float, speed: float, stand_s=(30, 30), halts=(), halt_s=20):
    """1 Hz fixes along the street: standing stand_s[0] at the start, halt_s at each of
    `halts`, stand_s[1] at the end."""
    fixes, t, s = [], T0, 0.0

    def stand(seconds):
        nonlocal t
        for _ in range(seconds):
            fixes.append(Fix(t, *_north(s), 5.0))
            t += 1

    stand(stand_s[0])
    todo = sorted(halts)
    while s < length_m:
        if todo and s >= todo[0]:
            todo.pop(0)
            stand(halt_s)
        fixes.append(Fix(t, *_north(s), 5.0))
        s += speed
        t += 1
    stand(stand_s[1])
    return fixes


def test_a_car_leaving_and_parking_by_corners_of_stops_is_not_a_bus():
    feed = _feed(1600, 500, corners=(0, 1600))
    assert feed.match(_drive(1600, 11.0)) is None


def test_a_bus_standing_at_its_stops_with_their_twins_is_on_the_line():
    feed = _feed(4000, 400, twins=True)
    served = [k * 400 for k in range(1, 10) if k != 5]      # skips one of nine
    assert feed.match(_drive(4000, 9.0, stand_s=(20, 20), halts=served)) == "bus"


def test_a_car_at_the_lights_by_two_twinned_stops_is_not_a_bus():
    feed = _feed(4000, 400, twins=True)
    lights = [k * 400 + 200 for k in range(9)] + [1205, 2805]
    assert feed.match(_drive(4000, 11.0, stand_s=(5, 5), halts=lights)) is None


def test_stops_served_are_counted_on_the_places_passed():
    # a stop R, and one 30 m north and 35 m west of it, one 30 m north and 35 m east (each
    # 46 m from R, 70 m apart): passed, all three are R's place (within AT_STOP_M of it);
    # served, the two outer ones must count as that one place too. Counted apart they were
    # two places served of one passed (the round 11 review), a chance test's "2 of 1"
    from carbon.transit import _count, _places
    lat, lon = 46.16, -1.15
    north, side = 30 / 111_000, 35 / 77_200
    r, x, y = ("bus", lat, lon), ("bus", lat + north, lon - side), ("bus", lat + north, lon + side)
    place = _places({r, x, y})
    assert _count(set(place.values())) == {"bus": 1}
    assert _count({place[x], place[y]}) == {"bus": 1}
