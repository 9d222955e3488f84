"""A big city's peak in the suite (simulation.motion.stop_and_go, scenarios.peak_drive /
peak_bus / peak_bike): the kinematics the held-out GeoLife days show, and every other day
the day it was before the peak was drawn."""
import random

from simulation import scenarios
from simulation.itinerary import Itinerary
from simulation.routes import point_at, streets


def _speeds(build, seed):
    it = Itinerary(scenarios.ORIGIN, 0)
    with scenarios.trip(it):
        build(it, random.Random(seed))
    return it, sorted(s.v for s in it.samples)


def _q(v, q):
    return v[int(q * (len(v) - 1))]


def test_a_taxi_at_the_peak_goes_8_to_15_km_h_in_waves_of_one_to_three_minutes():
    for seed in range(4):
        it, v = _speeds(lambda it, rng: scenarios.peak_drive(it, rng, point_at(it.xy, 6000, 1.0)),
                        seed)
        door_to_door = sum(
            ((b.x - a.x) ** 2 + (b.y - a.y) ** 2) ** 0.5
            for a, b in zip(it.samples, it.samples[1:])) / len(it.samples)
        assert 2.2 <= door_to_door <= 4.2, (seed, door_to_door)      # 8-15 km/h
        standing = sum(x < 0.1 for x in v) / len(v)
        assert 0.25 <= standing <= 0.5, (seed, standing)
        assert 4.0 <= _q(v, 0.95) <= 11.0, (seed, _q(v, 0.95))      # bursts, a car's
        # the waves: halts start every 1-3 minutes (median), over the congested part
        starts = [b.t for a, b in zip(it.samples, it.samples[1:]) if a.v >= 0.1 > b.v]
        gaps = sorted(b - a for a, b in zip(starts, starts[1:]))
        assert 45 <= gaps[len(gaps) // 2] <= 180, (seed, gaps[len(gaps) // 2])


def test_a_bus_at_the_peak_has_geolifes_median_and_85th_percentile():
    # issue #9's GeoLife bus in congestion: median 0.8 m/s, 85th percentile 6 m/s
    def ride(it, rng):
        scenarios.peak_bus(it, rng, streets(it.xy, point_at(it.xy, 6000, 1.0), rng))
    for seed in range(4):
        _it, v = _speeds(ride, seed)
        assert 0.5 <= _q(v, 0.5) <= 1.6, (seed, _q(v, 0.5))
        assert 4.0 <= _q(v, 0.85) <= 8.0, (seed, _q(v, 0.85))


def test_a_cyclist_beside_the_queue_never_creeps_in_waves():
    for seed in range(4):
        _it, v = _speeds(lambda it, rng: scenarios.peak_bike(it, rng, point_at(it.xy, 6000, 1.0)),
                         seed)
        creeping = sum(0.3 <= x < 2.0 for x in v) / len(v)     # accelerating off the lights
        assert creeping < 0.1, (seed, creeping)
        assert _q(v, 0.85) <= 5.8, (seed, _q(v, 0.85))


def test_a_day_off_peak_is_the_day_it_was_whatever_the_peak_share(monkeypatch):
    # the peak is drawn from its own generator: a day that is not at the peak draws nothing
    # more from the day's own, so its fixes and truth are those of a suite without peaks
    days = {}
    for share in (scenarios.PEAK_SHARE, 0.0):
        monkeypatch.setattr(scenarios, "PEAK_SHARE", share)
        for family in ("car", "bus", "bike", "plane"):
            for seed in range(4):
                if random.Random(f"{family}/dense/{seed}/peak").random() < 0.3:
                    continue
                day = scenarios.make_day(family, "dense", seed)
                days.setdefault((family, seed), []).append((day.fixes, day.truth))
    assert len(days) >= 8
    for key, (a, b) in days.items():
        assert a == b, key
