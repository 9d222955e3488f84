"""A walk from the parked car and back needs the car standing at both ends (round 13,
errand-halt; review13's finding 3): getting out and locking, getting back in, at the one
place the car was left (`legs._Runs._at_the_car`, `PARKED_HALT_S`). A vehicle's manoeuvre at
a walker's pace that brings its ends back together rolls through them: a U-turn into a dead
end, a car park's aisle searched, a bus round its terminus loop. Each read car + walk + car
on 798599f / abee657 (a U-turn on 6 of 8 days at 1 s, an aisle on 7 of 8)."""

import math

from carbon.timeline import build_timeline
from simulation import scenarios
from simulation.motion import KINEMATICS as K
from simulation.motion import spaced_stops
from simulation.routes import Route, point_at, streets

from tests.carbon.carbon_helpers import itinerary_day, modes_over


def _join(*routes):
    pts = []
    for r in routes:
        pts += r.pts if not pts else r.pts[1:]
    return Route(pts)


def _manoeuvre(shape, vslow, halts=lambda m, rng: [], kin="car", served=False):
    """A drive of 1.5-3 km, the manoeuvre `shape(xy, heading)` (points from xy back near
    it) at `vslow` m/s at most, 1.5-3 km on; the truth's span of it kept in `span`."""
    span = []

    def build(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            it.wait(20)
            a = streets(it.xy, point_at(it.xy, rng.uniform(1500, 3000), rng.uniform(0, 6.28)), rng)
            x = a.pts[-1]
            h = math.atan2(x[1] - a.pts[-2][1], x[0] - a.pts[-2][0])
            m = Route([x] + shape(x, h, rng))
            b = streets(m.pts[-1], point_at(m.pts[-1], rng.uniform(1500, 3000),
                                            h + rng.uniform(-1, 1)), rng)
            route = _join(a, m, b)
            s0, s1 = a.length, a.length + m.length
            stops = [(s0 + s, w) for s, w in halts(m, rng)]
            if served:      # a bus line's stops every 300-500 m outside the loop
                stops += [(s, w) for s, w in spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
                          if not s0 - 30 <= s <= s1 + 30]
                it.line(3, route, [s for s, _ in stops])
            t = it.t
            samples = it.leg(kin if kin == "bus" else "car", route, K[kin], rng, stops=stops,
                             limit=[(s0 - 15, s1 + 5, vslow)])
            dist, prev, ts = 0.0, None, []
            for smp in samples:
                if prev is not None:
                    dist += math.hypot(smp.x - prev.x, smp.y - prev.y)
                prev = smp
                if s0 <= dist <= s1:
                    ts.append(smp.t)
            span[:] = [ts[0], ts[-1]] if ts else [t, t]
            scenarios.walk_for(it, rng, (40, 60))
    return build, span


def _walk_days(build, span, regime, seeds):
    """Days (of `seeds`) on which the manoeuvre's span reads walk for a third of it or more."""
    hit = []
    for seed in seeds:
        fixes, _ = itinerary_day(build, regime, seed)
        tl = build_timeline(fixes)
        over = modes_over(tl, span[0] - 10, span[1] + 10)
        if over.get("walk", 0) > 0.3 * (span[1] - span[0]):
            hit.append((seed, over))
    return hit


def test_a_u_turn_into_a_dead_end_at_a_crawl_is_the_car():
    # 40-80 m into a dead end at 1.2-2 m/s, turned in 3-8 s, back out: its ends meet, it
    # halts only at its far end
    def shape(x, h, rng):
        d = rng.uniform(40, 80)
        shape.d = d
        return [point_at(x, d, h + 1.57), point_at(x, 3, h + 1.57)]
    build, span = _manoeuvre(shape, 1.6, halts=lambda m, rng: [(shape.d, rng.uniform(3, 8))])
    assert _walk_days(build, span, "1s", range(8)) == []


def test_a_car_park_aisle_searched_and_left_is_the_car():
    # down an aisle 60-100 m at 1.5-2.2 m/s, across 15 m, up the next, out beside the entry
    def shape(x, h, rng):
        d = rng.uniform(60, 100)
        end = point_at(x, d, h + 1.57)
        return [end, point_at(end, 15, h), point_at(x, 15, h), point_at(x, 3, h)]
    build, span = _manoeuvre(shape, 1.9)
    for regime in ("1s", "dense"):
        assert _walk_days(build, span, regime, range(8)) == [], regime


def test_a_bus_round_its_terminus_loop_with_a_layover_is_the_bus():
    # a turning circle of radius 20 m at 2 m/s, a layover of 30-150 s half way round
    def shape(x, h, rng):
        c = point_at(x, 30, h)
        pts = [point_at(c, 20, h + math.pi + k * 2 * math.pi / 12) for k in range(13)]
        return pts + [point_at(x, 5, h + 3.0)]
    build, span = _manoeuvre(shape, 2.0, kin="bus", served=True,
                             halts=lambda m, rng: [(m.length * 0.55, rng.uniform(30, 150))])
    for regime in ("1s", "dense"):
        assert _walk_days(build, span, regime, range(8)) == [], regime


def test_an_errand_from_the_standing_car_is_a_walk_at_one_fix_a_second_and_dense():
    # the case the rule is for, with the car's standstills (scenarios.GET_OUT_S, GET_IN_S):
    # 60-90 m from the car and back, standing 0-60 s at the far end
    def build(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            it.wait(20)
            it.leg("car", streets(it.xy, point_at(it.xy, rng.uniform(1500, 3000),
                                                  rng.uniform(0, 6.28)), rng), K["car"], rng)
            car, there = it.xy, point_at(it.xy, rng.uniform(60, 90), rng.uniform(0, 6.28))
            it.wait(rng.uniform(*scenarios.GET_OUT_S))
            it.leg("walk", Route([car, there]), K["walk"], rng)
            it.wait(rng.uniform(0, 60))
            it.leg("walk", Route([there, car]), K["walk"], rng)
            it.wait(rng.uniform(*scenarios.GET_IN_S))
            it.leg("car", streets(it.xy, point_at(it.xy, rng.uniform(1500, 3000),
                                                  rng.uniform(0, 6.28)), rng), K["car"], rng)
            scenarios.walk_for(it, rng, (40, 60))
    for regime, least in (("1s", 8), ("dense", 2)):   # main abee657: 8 and 3 of 8
        walked = 0
        for seed in range(8):
            fixes, it = itinerary_day(build, regime, seed)
            tl = build_timeline(fixes)
            walks = [s for t in it.trips for s in t["sections"] if s["mode"] == "walk"][1:-1]
            over = modes_over(tl, walks[0]["start_ts"] + 10, walks[-1]["end_ts"] - 10)
            walked += over.get("walk", 0) >= 0.6 * sum(over.values())
        assert walked >= least, (regime, walked)
