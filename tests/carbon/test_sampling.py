"""The same movement, reported at different rates, reads as the same leg: a finer sampling
is more information, never a different phenomenon (a logger at 1 Hz, a tracker every
5-20 s). Each ride is generated once and observed by several phones (simulation/)."""
import random

from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation import motion, scenarios
from simulation.itinerary import Itinerary
from simulation.motion import KINEMATICS as K
from simulation.phones import REGIMES, observe
from simulation.routes import streets

T0 = 1_772_000_000


def _ride(seed: int, cruise: float):
    """A commute by bike through town, with lights: its 1 Hz motion and its truth."""
    rng = random.Random(seed)
    it = Itinerary(scenarios.ORIGIN, T0)
    it.stay(1800)
    with scenarios.trip(it):
        route = streets(it.xy, (4500.0, 3000.0), rng, block=(80, 250))
        halts = motion.lights(route, rng, 0.4, (5, 40))
        it.leg("bike", route, K["bike"], rng, stops=halts, cruise=cruise)
    it.stay(1800)
    return it


def _legs(it, regime: str, seed: int) -> list:
    rng = random.Random(f"{regime}/{seed}")
    fixes = observe(it.samples, REGIMES[regime], scenarios.ORIGIN, rng)
    return [g for t in build_timeline([Fix(*f) for f in fixes]).trips for g in t.legs]


def test_a_ride_reported_every_second_is_the_ride_reported_every_ten():
    # a brisk cyclist, 18-19 km/h between lights
    for seed in range(4):
        it = _ride(seed, cruise=5.2)
        for regime in ("1s", "dense"):
            rides = [g for g in _legs(it, regime, seed) if g.distance_m > 1000]
            assert [g.mode for g in rides] == ["bike"], (seed, regime, rides)


def test_a_ride_reported_every_second_is_as_long_as_the_ride():
    # Summing every 1 Hz step adds each fix's error to the path (a metre a second while
    # standing at a light): the ride read 3-6 % longer than it was, its speed with it.
    for seed in range(4):
        it = _ride(seed, cruise=4.6)
        true_m = it.trips[0]["sections"][0]["distance_m"]
        ride = max(_legs(it, "1s", seed), key=lambda g: g.distance_m)
        measured = ride.features["distance"]
        assert abs(measured - true_m) < 0.03 * true_m, (seed, measured, true_m)
