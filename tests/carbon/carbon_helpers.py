"""Shared builders for the carbon tests (plain functions, no fixtures magic)."""
import random

from carbon.fix import Fix
from simulation import scenarios
from simulation.household import PLACES, Phone, simulate_leg
from simulation.itinerary import Itinerary
from simulation.phones import REGIMES, observe

HOME, OFFICE, PERIGNY = PLACES["home"], PLACES["alice_work"], PLACES["bob_work"]


def leg_points(mode, start=HOME, end=PERIGNY, seed=3, sampling="dense", **kw):
    return simulate_leg(mode, start, end, seed=seed, phone=Phone(sampling=sampling), **kw)


def modes_of(timeline):
    return [leg.mode for trip in timeline.trips for leg in trip.legs]


def main_modes(timeline):
    return [trip.main_mode for trip in timeline.trips]


def straight_track(t0, start, end, seconds, every=5, acc=8.0):
    """Fixes along a straight line at constant speed (no noise): for edge-case tests."""
    n = seconds // every
    return [Fix(t0 + k * every, start[0] + (end[0] - start[0]) * k / n,
                  start[1] + (end[1] - start[1]) * k / n, acc) for k in range(n + 1)]


def still(t0, place, seconds, every=60, acc=10.0):
    return [Fix(t0 + k * every, place[0], place[1], acc) for k in range(seconds // every + 1)]


def shift(place, north_m, east_m=0.0):
    """The place moved north and east by so many metres (near La Rochelle's latitude)."""
    return (place[0] + north_m / 111_320.0, place[1] + east_m / 78_000.0)


def legs_of(timeline):
    """Every leg of the timeline as (mode, start, end)."""
    return [(leg.mode, leg.start_ts, leg.end_ts) for trip in timeline.trips for leg in trip.legs]


def modes_over(timeline, a: int, b: int) -> dict:
    """{mode: seconds} of the timeline's legs over [a, b]."""
    out = {}
    for trip in timeline.trips:
        for leg in trip.legs:
            s = min(b, leg.end_ts) - max(a, leg.start_ts)
            if s > 0:
                out[leg.mode] = out.get(leg.mode, 0) + s
    return out


def itinerary_day(build, regime, seed, t0=1_772_000_000):
    """(fixes, itinerary) of a day built by `build(it, rng)` between two half-hour stays at
    the suite's origin, seen under sampling `regime`."""
    rng = random.Random(seed)
    it = Itinerary(scenarios.ORIGIN, t0)
    it.stay(1800)
    build(it, rng)
    it.stay(1800)
    return [Fix(*f) for f in observe(it.samples, REGIMES[regime], scenarios.ORIGIN, rng)], it
