"""A GTFS line is matched by what a vehicle of it does: it stands at most of the stops it
passes (carbon.transit). A car or a walker on the same street, halting at the lights,
stands near a stop now and then, by chance: not a bus."""
from carbon.fix import Fix
from carbon.geo import METRES_PER_DEGREE_LAT
from carbon.transit import TransitIndex

LAT0, LON0, T0 = 46.15, -1.15, 1_772_000_000
STOP_EVERY_M, STOPS = 400, 12


def _index():
    index = TransitIndex()
    length = STOP_EVERY_M * (STOPS + 1)
    index.add_shape("bus", [(LAT0, LON0), (LAT0 + length / METRES_PER_DEGREE_LAT, LON0)], 3)
    for k in range(1, STOPS + 1):
        index.add_stop("bus", LAT0 + k * STOP_EVERY_M / METRES_PER_DEGREE_LAT, LON0)
    return index


def _ride(speed, halts_at_m, halt_s=20, step_s=1, drop_standing=False, long_halts=()):
    """Fixes along the line at `speed`, standing `halt_s` at each distance in `halts_at_m`
    (and 150 s at each of `long_halts`: a queue)."""
    fixes, s, t = [], 0.0, T0
    halts = sorted([(m, halt_s) for m in halts_at_m] + [(m, 150) for m in long_halts])
    end = STOP_EVERY_M * (STOPS + 0.5)
    while s < end:
        if halts and s >= halts[0][0]:
            _, seconds = halts.pop(0)
            for k in range(seconds):
                t += 1
                if k == 0 or (not drop_standing and k % step_s == 0):   # the phone reports
                    # as the bus comes to a stand, then (Android) drops fixes while standing
                    fixes.append(Fix(t, LAT0 + s / METRES_PER_DEGREE_LAT, LON0, 5.0))
        s += speed
        t += 1
        if (t - T0) % step_s == 0:
            fixes.append(Fix(t, LAT0 + s / METRES_PER_DEGREE_LAT, LON0, 5.0))
    return fixes


def test_a_bus_standing_at_most_of_its_stops_is_on_the_line():
    served = [k * STOP_EVERY_M for k in range(1, STOPS + 1) if k % 5]   # skips 2 of 12
    assert _index().match(_ride(9.0, served)) == "bus"


def test_a_car_at_the_lights_beside_two_stops_of_twelve_is_not():
    lights = [k * STOP_EVERY_M + 200 for k in range(STOPS)]   # halts between the stops...
    lights += [3 * STOP_EVERY_M + 10, 8 * STOP_EVERY_M - 20]   # ...and two beside one
    assert _index().match(_ride(11.0, lights)) is None


def test_a_walk_along_the_bus_street_is_not_a_ride():
    stops = [k * STOP_EVERY_M for k in range(1, STOPS + 1)]   # waits at every crossing by a stop
    assert _index().match(_ride(1.3, stops)) is None


def test_a_phone_that_drops_fixes_while_standing_still_shows_the_dwells():
    """Fixes every 10 s and none while standing: each dwell is one long slow step."""
    served = [k * STOP_EVERY_M for k in range(1, STOPS + 1)]
    assert _index().match(_ride(9.0, served, halt_s=30, step_s=10, drop_standing=True)) == "bus"


def test_a_ride_cut_at_its_long_halts_is_matched_as_one_ride():
    """Two queues of 150 s cut the ride into three legs of four stops each, three served:
    alone, three of four is what a car at the lights gives one time in nine; the ride's
    nine of twelve is a bus."""
    from carbon.legs import split_legs
    from carbon.params import Context
    served = [k * STOP_EVERY_M for k in range(1, STOPS + 1) if k % 4]
    out = _ride(9.0, served, long_halts=[4 * STOP_EVERY_M + 200, 8 * STOP_EVERY_M + 200])
    legs = split_legs(out, context=Context(transit=_index()))
    rides = [leg for leg in legs if leg.distance_m > 800]
    assert len(rides) >= 2
    assert all(leg.features.get("route_type") == 3 for leg in rides)
