"""A car in a jam is a car (issue #9, round 11): between two drives of one trip, stretches at
walking or cycling pace are the car crawling (decode's `car~jam` state, chained over the
pieces the legs cut a jam into), never a bike ride or a bus between two trains; a walk from
the parked car and back stays a walk."""

from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation import motion, scenarios
from simulation.motion import KINEMATICS as K
from simulation.routes import Route, point_at, smooth_line, streets

from tests.carbon.carbon_helpers import itinerary_day, modes_over

T0 = 1_772_000_000


def _day(build, regime="1s", seed=0):
    fixes, it = itinerary_day(build, regime, seed, T0)
    return build_timeline(fixes), it


def _span(it, mode):
    """(start, end) of the truth's sections of `mode`, first to last."""
    sections = [s for t in it.trips for s in t["sections"] if s["mode"] == mode]
    return sections[0]["start_ts"], sections[-1]["end_ts"]


def _jammed_motorway(length_m, jam):
    def drive(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            it.wait(20)
            route = smooth_line(it.xy, point_at(it.xy, length_m, 0.7), rng, 800, 1500)
            a, b = jam[0] * route.length, jam[1] * route.length
            it.leg("car", route, K["car_highway"], rng, env="open",
                   stops=motion.congestion(route.length, rng, a, b), limit=[(a, b, 6.0)])
            scenarios.walk_for(it, rng, (40, 60))
    return drive


def _share(tl, span, mode):
    over = modes_over(tl, *span)
    return over.get(mode, 0) / max(1, sum(over.values()))


def test_a_motorway_drive_through_a_long_jam_reads_car_over_its_span():
    # 60 km of motorway, 12 km of it stop-and-go (a halt every 20-120 m, bursts to 6 m/s):
    # before, the jam read as a bus and the motorway either side as trains or the bus
    for seed in (1, 2):
        tl, it = _day(_jammed_motorway(60_000, (0.3, 0.5)), "1s", seed)
        span = _span(it, "car")
        assert _share(tl, span, "car") >= 0.9, modes_over(tl, *span)
        assert not modes_over(tl, *span).get("train"), modes_over(tl, *span)


def test_the_suites_jammed_motorway_days_read_car_at_one_fix_a_second():
    # the eight-seed bench's jam days (car-highway 1 s seeds 5 and 7 read 0.2-0.4 car)
    for seed in range(8):
        day = scenarios.make_day("car-highway", "1s", seed)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        sections = [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car"]
        span = (sections[0]["start_ts"], sections[-1]["end_ts"])
        assert _share(tl, span, "car") >= 0.9, (seed, modes_over(tl, *span))


def _out_and_back(it, rng, metres):
    """A walk from where the car stands and back to it (a cash machine, a drop-off)."""
    there = point_at(it.xy, metres, 1.0)
    route = Route([it.xy, there, it.xy])
    it.wait(rng.uniform(*scenarios.GET_OUT_S))      # getting out of the car, locking it
    it.leg("walk", route, K["walk"], rng, env="street")
    it.wait(rng.uniform(*scenarios.GET_IN_S))       # getting back in


def test_a_walk_from_the_car_and_back_between_two_drives_stays_a_walk():
    # the jam state lies between two drives too: a stop of three minutes there, walked to a
    # cash machine and back, is the member on foot
    def errand(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            home = it.xy
            it.leg("car", streets(it.xy, point_at(home, 3000, 0.2), rng), K["car"], rng)
            _out_and_back(it, rng, 120)      # ~3 minutes: no stay
            it.leg("car", streets(it.xy, point_at(home, 6000, 0.4), rng), K["car"], rng)
            scenarios.walk_for(it, rng, (40, 60))
    for seed in (0, 1):
        tl, it = _day(errand, "1s", seed)
        walk = [s for t in it.trips for s in t["sections"] if s["mode"] == "walk"][1]
        over = modes_over(tl, walk["start_ts"] + 20, walk["end_ts"] - 20)
        assert over.get("walk", 0) >= 0.7 * sum(over.values()), over


# The jam state is the car crawling between two drives: only a stretch no walk explains, and
# only between legs a car's drive explains, may open it (carbon.decode._crawled). Elsewhere
# its prior would lend the car kind evidence of its own: a sparse phone's metro journeys,
# whose rides read near-ties with a car, became car trips through their transfer walks.
from carbon.decode import decode  # noqa: E402

_DRIVE = {"car": -3.0, "metro": -3.4, "train": -3.6, "bus": -4.0}
_METRO = {"metro": -3.5, "train": -4.0, "car": -6.2, "bus": -6.0}
_WALK = {"walk": -1.5, "bike": -4.0, "bus": -6.0, "tram": -6.0, "car": -20.0}
_CRAWL = {"walk": -9.0, "bike": -3.0, "bus": -4.0, "tram": -4.0, "car": -20.0}


def _margs(legs, jams):
    return decode(legs, weights=[600] * len(legs), jams=jams)[1]


def test_a_walk_between_two_car_like_rides_lends_the_car_kind_nothing():
    # at a fix every two minutes a transfer walk reads the member on foot better than a
    # crawl: the jam state must not add the car kind a tenth of the walk's mass
    legs = [_DRIVE, _WALK, _DRIVE]
    with_jam = _margs(legs, [None, -2.0, None])
    without = _margs(legs, None)
    for a, b in zip(with_jam, without):
        assert a.get("car", 0.0) <= b.get("car", 0.0) + 1e-9, (with_jam, without)


def test_a_crawl_no_walker_keeps_between_two_drives_is_the_car():
    legs = [_DRIVE, _CRAWL, _DRIVE]
    mode = decode(legs, weights=[600] * 3, jams=[None, -1.0, None])[0][1]
    assert mode == "car~jam" or mode == "car", mode


def test_no_jam_between_a_car_like_ride_and_a_metro_ride():
    # a slow stretch between a car-like leg and one that reads clearly as a metro is the
    # metro halting or a change: the car cannot go on as a metro
    legs = [_DRIVE, _CRAWL, _METRO]
    with_jam = _margs(legs, [None, -1.0, None])
    without = _margs(legs, None)
    assert with_jam[1].get("car", 0.0) <= without[1].get("car", 0.0) + 1e-9, with_jam
