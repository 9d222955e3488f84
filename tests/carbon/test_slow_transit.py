"""Public transport that moves slowly: a tram or a bus crawling in stop-and-go, buses in a
congested centre seen every minute (issue #9: "a bus in congestion read as bike then car";
Helsinki dev5's tram 9, whose first minutes crawl, read as a bike)."""
import csv
import os
import random

import pytest

from carbon.fix import Fix
from carbon_helpers import modes_over
from carbon.mode_params import PUBLIC
from carbon.timeline import build_timeline
from simulation import motion
from simulation.itinerary import Itinerary
from simulation.motion import KINEMATICS as K
from simulation.phones import REGIMES, Regime, observe
from simulation.routes import streets
from simulation.scenarios import FIRST_DAY, ORIGIN, trip, walk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AALTO = os.path.join(ROOT, "..", "shared", "bench", "aalto")
if not os.path.isdir(AALTO):
    AALTO = "/work/shared/bench/aalto"
DEV5 = os.path.join(AALTO, "aalto_dev5", "points.csv")


def _points(path):
    with open(path, newline="") as f:
        return [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                    float(r["acc"]) if r["acc"] else None) for r in csv.DictReader(f)]


@pytest.mark.skipif(not os.path.exists(DEV5), reason="bench data not available")
def test_a_tram_that_leaves_in_stop_and_go_is_public_transport():
    # Helsinki dev5, tram 9 Simonkatu -> Länsiterminaali (2 km in 10 minutes, logged by
    # hand 12:10-12:20 UTC): its first two and a half minutes crawl (5-6 m/s bursts between
    # halts), which the legs read as a slow stretch; the rider stayed aboard, so the run
    # after it was boarded from no walk and shows no wait at a stop (a wait of 0 s counted
    # against every public mode: the ride read as a bike at 0.97)
    tl = build_timeline(_points(DEV5))
    seen = modes_over(tl, 1472213400, 1472214000)
    public = sum(s for m, s in seen.items() if m in PUBLIC)
    assert public >= 0.8 * sum(seen.values()), seen


# ---- a bus in a congested centre, seen once a minute --------------------------------

EVERY_MINUTE = Regime("60s", (60, 60), stay_every_s=(600, 900))


def _ride(seed: int, mode: str, regime: Regime = EVERY_MINUTE) -> tuple:
    """(fixes, ride seconds, ride metres, {mode: seconds} over the ride): a walk to a stop,
    a wait, a 5 km ride, a walk, between two long stays, seen every 60 s. "bus": stops
    every 300-500 m, and a congested centre over half of it (a halt every 20-120 m for 5-40
    s, as simulation.scenarios.bus_day: median 0.8 m/s, p85 ~6 m/s, the issue's bus);
    "bike": a steady cyclist at the bus's own average speed, door to door."""
    rng = random.Random(f"slow-transit/{seed}")
    it = Itinerary(ORIGIN, int(FIRST_DAY.timestamp()))
    it.stay(1800)
    dest = (5000.0, 0.0)
    with trip(it):
        walk(it, rng, (200.0, 150.0))
        if mode == "bus":
            it.wait(rng.uniform(120, 480))
        route = streets(it.xy, dest, rng)
        t0 = it.t
        if mode == "bus":
            halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
            a = 0.25 * route.length
            halts += motion.congestion(route.length, rng, a, a + 0.5 * route.length)
            it.leg("bus", route, K["bus"], rng, stops=halts,
                   limit=[(a, a + 0.5 * route.length, 6.0)])
        else:
            it.leg("bike", route, K["bike_slow"], rng, cruise=_BUS_AVERAGE[seed])
        ride = (t0, it.t, route.length)
        walk(it, rng, (dest[0] + 150.0, 100.0))
    it.stay(1800)
    fixes = [Fix(*f) for f in observe(it.samples, regime, ORIGIN, rng)]
    tl = build_timeline(fixes)
    return ride[1] - ride[0], ride[2], modes_over(tl, ride[0], ride[1])


_BUS_AVERAGE = {}


def _bus(seed):
    seconds, metres, seen = _ride(seed, "bus")
    _BUS_AVERAGE[seed] = metres / seconds
    return seconds, seen


def test_a_bus_crawling_through_a_congested_centre_is_one_bus_ride_seen_every_second():
    # the same jammed bus seen by a logger: the crawl (stop-and-go at ~1.5 m/s over half the
    # line) is a slow stretch the legs cut out of the ride, a walk by its pace; between two
    # legs of the bus, with the bus moving on after a queue's halt (no wait at a stop) and
    # bursts of 3-6 m/s between its halts, it is the bus queuing (carbon.decode's queue
    # state), not the rider getting off to walk 2.5 km along the line and boarding again
    for seed in range(5):
        seconds, _metres, seen = _ride(seed, "bus", REGIMES["1s"])
        vehicle = sum(s for m, s in seen.items() if m not in ("walk", "run", "bike", "e-bike"))
        assert vehicle >= 0.8 * seconds, (seed, seconds, seen)


def _change(seed: int, regime: Regime) -> tuple:
    """(the change's walk span, {mode: seconds} over it): two bus rides of 3 km joined by a
    250-400 m walk to the next line's stop and a 2-4 minute wait there."""
    rng = random.Random(f"slow-transit/change/{seed}")
    it = Itinerary(ORIGIN, int(FIRST_DAY.timestamp()))
    it.stay(1800)
    with trip(it):
        walk(it, rng, (200.0, 150.0))
        it.wait(rng.uniform(120, 300))
        for k, dest in enumerate(((3000.0, 300.0), (3300.0, 3300.0))):
            if k:
                a = it.t
                walk(it, rng, (it.xy[0] + rng.uniform(250, 400), it.xy[1]))
                span = (a, it.t)
                it.wait(rng.uniform(120, 240))
            route = streets(it.xy, dest, rng)
            halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
            it.leg("bus", route, K["bus"], rng, stops=halts)
        walk(it, rng, (it.xy[0] + 150.0, it.xy[1] + 100.0))
    it.stay(1800)
    tl = build_timeline([Fix(*f) for f in observe(it.samples, regime, ORIGIN, rng)])
    return span, modes_over(tl, *span)


def test_a_change_between_two_buses_stays_a_walk():
    # the guard for the queue state: a slow stretch between two bus legs that is a walk of
    # a few hundred metres at a walker's pace, then a wait at the next stop, is the member
    # changing buses, not the bus queuing
    for regime in ("1s", "dense"):
        for seed in range(3):
            (a, b), seen = _change(seed, REGIMES[regime])
            assert seen.get("walk", 0) >= 0.8 * (b - a), (regime, seed, b - a, seen)


@pytest.mark.xfail(strict=True, reason="at a fix a minute two of the three rides are one leg "
                   "(the crawl is not cut out of it), whose mean speed of 2.2-2.5 m/s is a "
                   "bike's: no queue between two rides to read (docs/engine.md, known "
                   "weaknesses)")
def test_a_bus_in_a_congested_centre_seen_every_minute_is_a_vehicle():
    for seed in range(3):
        seconds, seen = _bus(seed)
        vehicle = sum(s for m, s in seen.items() if m not in ("walk", "run", "bike", "e-bike"))
        assert vehicle >= 0.8 * seconds, (seed, seconds, seen)


def test_a_steady_cyclist_at_a_congested_bus_average_speed_is_no_vehicle():
    # the guard for whatever makes the jammed bus above a vehicle: a rider holding the
    # bus's 2.3-2.6 m/s door to door, steadily, shows none of its stop-and-go (its
    # two-minute headway is its mean, the bus's 2.7 times it). At 8-9 km/h, steady, for
    # half an hour the engine reads a run as often as a bike (the slow steady
    # cycling, a matter of priors): either is a leg on foot or pedalled, not a vehicle
    for seed in range(3):
        _bus(seed)
        seconds, _metres, seen = _ride(seed, "bike")
        unmotorised = sum(s for m, s in seen.items() if m in ("walk", "run", "bike", "e-bike"))
        assert unmotorised >= 0.95 * seconds, (seed, _BUS_AVERAGE[seed], seen)


def test_a_slow_stretch_after_a_bus_with_a_walk_after_it_is_no_bus_queue():
    """A bus queuing lies between two legs of that bus (carbon.decode's queue state). Each
    leg decided on its own belief could call a slow stretch the bus queuing while the leg
    after it is decided a walk: the member walked off the bus, and the stretch is a walk."""
    from carbon.decode import VEHICLE_OF, decode
    bus = {"car": -12.0, "bus": -2.0, "walk": -12.0}
    slow = {"car": -12.0, "bus": -12.0, "walk": -12.0}
    on_foot = {"car": -8.0, "bus": -8.0, "walk": 0.0}
    modes, _ = decode([bus, slow, on_foot], queues=[None, -3.0, None])
    assert modes[0] == "bus" and modes[2] == "walk", modes
    assert modes[1] not in VEHICLE_OF, modes


def _leg(a, b, metres, loglik, queue=None):
    from carbon.model import Leg
    return Leg(a, b, metres, "unknown", 0.0, n_points=(b - a) // 10, features={"acc": 8.0},
               loglik=dict(loglik), queue_loglik=queue)


def test_a_stop_of_minutes_between_two_bus_trips_is_no_bus_queue():
    """Two trips decided as one across a stop (carbon.transfers.connection): a bus ride
    ending in a slow stretch, five minutes standing, a bus ride. A queue's halt lasts
    seconds to a signal cycle; five minutes at a stop is the member waiting for the next
    bus, so the slow stretch before it is a walk to that stop, not the first bus queuing."""
    from carbon.model import Stay, Trip
    from carbon.priors import DEFAULT
    from carbon.transfers import connection
    ride = {"bus": 0.0, "tram": -3.0, "car": -4.0, "walk": -40.0, "bike": -12.0}
    slow = {"walk": -3.0, "bus": -25.0, "tram": -25.0, "car": -25.0, "bike": -8.0}
    before = Trip(0, 900, 4300.0, [_leg(0, 600, 4000.0, ride), _leg(600, 900, 300.0, slow, -2.5)])
    stop = Stay(900, 1200, 60.17, 24.94, 30, acc=8.0)
    after = Trip(1200, 1800, 4000.0, [_leg(1200, 1800, 4000.0, ride)])
    legs = connection(before, stop, after, DEFAULT, frozenset())
    assert legs is not None
    assert [leg.mode for leg in legs] == ["bus", "walk", "bus"], [(g.mode, g.probs) for g in legs]
