"""A crossing seen by a phone reporting every minute or two (round 11, air-water-sparse):
a halt cannot be seen at such steps, but what it costs can, so a ride whose every step kept
its pace halted nowhere (carbon.legs._paced), and after a wait at the pier it is a ferry."""
import math
import random

import pytest

from carbon import Fix, build_timeline
from tests.carbon.carbon_helpers import HOME, modes_over, shift


def _line(t0, a, b, speed, rng, every=(60, 120), halt_every_m=None, halt_s=40,
          silent=None, acc=8.0):
    """Fixes from a to b at `speed`, reported every `every` seconds; optionally a halt of
    `halt_s` every `halt_every_m` (a bus at its stops) or no fix over `silent` (t0-relative
    seconds, a tunnel)."""
    dy, dx = (b[0] - a[0]) * 111_320.0, (b[1] - a[1]) * 78_000.0
    length = math.hypot(dx, dy)
    out, t, s, next_halt, halted_until = [], 0.0, 0.0, halt_every_m, -1.0
    due = 0.0
    while s < length:
        if t >= due:
            if not (silent and silent[0] <= t <= silent[1]):
                k = s / length
                out.append(Fix(int(t0 + t), a[0] + (b[0] - a[0]) * k + rng.gauss(0, 3) / 111_320.0,
                               a[1] + (b[1] - a[1]) * k + rng.gauss(0, 3) / 78_000.0, acc))
            due = t + rng.uniform(*every)
        if t >= halted_until:
            s += speed
            if next_halt and s >= next_halt:
                halted_until, next_halt = t + halt_s, next_halt + halt_every_m
        t += 1.0
    out.append(Fix(int(t0 + t), b[0], b[1], acc))
    return out


def _stand(t0, place, seconds, rng, every=(60, 120)):
    out, t = [], 0.0
    while t < seconds:
        out.append(Fix(int(t0 + t), place[0] + rng.gauss(0, 3) / 111_320.0,
                       place[1] + rng.gauss(0, 3) / 78_000.0, 10.0))
        t += rng.uniform(*every)
    return out


def _day(seed, wait_s=360, **ride):
    """Home, a walk to the pier, a wait there, 8 km at 7.5 m/s, a walk, an hour ashore."""
    rng = random.Random(seed)
    t0 = 1_772_000_000
    pier, island = shift(HOME, 500), shift(HOME, 8500)
    landing = shift(island, 0, 400)
    fixes = _stand(t0, HOME, 3600, rng, every=(600, 1800))
    t = fixes[-1].ts + 60
    fixes += _line(t, HOME, pier, 1.3, rng)
    t = fixes[-1].ts + 60
    fixes += _stand(t, pier, wait_s, rng)
    start = fixes[-1].ts + 60
    fixes += _line(start, pier, island, 7.5, rng, **ride)
    end = fixes[-1].ts
    fixes += _line(end + 60, island, landing, 1.3, rng)
    fixes += _stand(fixes[-1].ts + 600, landing, 3600, rng, every=(600, 1800))
    return build_timeline(fixes), start, end


def _share(tl, mode, a, b):
    over = modes_over(tl, a, b)
    return over.get(mode, 0) / max(1, sum(over.values()))


def test_a_crossing_seen_every_minute_or_two_after_a_wait_is_a_boat():
    for seed in range(3):
        tl, a, b = _day(seed)
        assert _share(tl, "boat", a, b) > 0.8, (seed, modes_over(tl, a, b))


def test_a_ride_that_halts_at_stops_is_not_a_boat():
    # the same ride and wait, halting 40 s every 500 m: a bus at its stops
    for seed in range(3):
        tl, a, b = _day(seed, halt_every_m=500)
        assert _share(tl, "boat", a, b) < 0.2, (seed, modes_over(tl, a, b))


def test_a_ride_through_a_tunnel_is_not_a_boat():
    # the phone sees nothing for six minutes in the middle: a halt could hide there
    for seed in range(3):
        tl, a, b = _day(seed, silent=(300, 660))
        assert _share(tl, "boat", a, b) < 0.2, (seed, modes_over(tl, a, b))


def test_a_paced_ride_without_a_wait_is_not_a_boat():
    # nobody waited for a service: one's own vehicle on an open road
    for seed in range(3):
        tl, a, b = _day(seed, wait_s=0)
        assert _share(tl, "boat", a, b) < 0.2, (seed, modes_over(tl, a, b))


def _taxi(day):
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car"]


@pytest.mark.parametrize("seed", [3, 7])
def test_the_taxi_from_the_arrival_airport_stays_a_car(monkeypatch, seed):
    # a phone reporting every minute or two, asleep in the terminal: the time there is seen
    # by one indoor position, then the car leaves. That stay was read as a kerb's wait for a
    # bus (a one-fix stay had no accuracy, so it was never "indoors")
    from simulation import scenarios
    from simulation.scenarios import make_day
    # the off-peak day this was written on: at a big city's peak the ride is another
    # (docs/engine.md, known weaknesses, "A whole ride in a big city's jam")
    monkeypatch.setattr(scenarios, "PEAK_SHARE", 0.0)
    day = make_day("plane", "sparse", seed)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    for s in _taxi(day):
        a, b = s["start_ts"], s["end_ts"]
        assert _share(tl, "car", a, b) > 0.8, modes_over(tl, a, b)
