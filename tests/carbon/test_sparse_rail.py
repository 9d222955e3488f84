"""A phone in significant-changes mode (a fix per ~500 m, at most one per 5 minutes) still
tells an intercity train from a motorway drive: the chords between its fixes are speeds the
member held for minutes, and a car's stay under the motorway limit (130 km/h in France:
3 % of drivers observed above 150 km/h) where an intercity line runs at 160-200 km/h."""
import math
import random

from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation import scenarios
from simulation.itinerary import Itinerary
from simulation.motion import KINEMATICS as K
from simulation.phones import REGIMES, observe
from simulation.routes import point_at, smooth_line

T0 = 1_772_000_000


def _longest_leg(it, seed: int):
    rng = random.Random(f"significant/{seed}")
    fixes = observe(it.samples, REGIMES["significant"], scenarios.ORIGIN, rng)
    legs = [g for t in build_timeline([Fix(*f) for f in fixes]).trips for g in t.legs]
    return max(legs, key=lambda g: g.distance_m)


def _journey(seed: int, go) -> Itinerary:
    rng = random.Random(seed)
    it = Itinerary(scenarios.ORIGIN, T0)
    it.stay(3600)
    with scenarios.trip(it):
        go(it, rng)
    it.stay(3600)
    return it


def _intercity(it, rng):
    scenarios.TRAINS["intercity"](it, rng, None)


def _motorway_at_125(it, rng):
    scenarios.walk_for(it, rng, (30, 60))
    far = point_at(it.xy, rng.uniform(80_000, 150_000), rng.uniform(0, 2 * math.pi))
    route = smooth_line(it.xy, far, rng, radius_m=800, wiggle_m=1500)
    it.leg("car", route, K["car_highway"], rng, env="open", cruise=125 / 3.6)
    scenarios.walk_for(it, rng, (30, 60))


def test_an_intercity_ride_seen_every_five_minutes_is_rail():
    for seed in range(10, 14):
        ride = _longest_leg(_journey(seed, _intercity), seed)
        assert ride.mode == "train", (seed, ride.mode, ride.probs, ride.features)


def test_a_motorway_drive_at_125_seen_every_five_minutes_stays_a_car():
    for seed in range(10, 14):
        drive = _longest_leg(_journey(seed, _motorway_at_125), seed)
        assert drive.mode == "car", (seed, drive.mode, drive.probs, drive.features)
