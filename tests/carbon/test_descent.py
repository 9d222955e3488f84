"""A bicycle's top is not bounded by its motor: down a 5-6 % grade any bicycle coasts at
11-13 m/s (carbon.mode_params.coasting_ms), past a pedelec's 25 km/h assistance cap
(EN 15194). Where a phone seen every minute or two reports its altitude, the speeds gravity
gives on a descent are left out of the chords' top and the two-minute headway
(carbon.features._gravity); a flat drive that held 10 m/s keeps them."""
import math
import random

from carbon.corrections import correct_leg
from carbon.features import leg_features
from carbon.fix import Fix
from carbon.geo import distance_m
from carbon.params import Context
from carbon.timeline import build_timeline
from carbon_helpers import modes_over
from simulation import motion, scenarios
from simulation.itinerary import Itinerary
from simulation.motion import KINEMATICS as K
from simulation.phones import REGIMES, observe, with_altitude
from simulation.routes import point_at, streets
from simulation.scenarios import make_day
from test_learning import T0, _ebike_commutes


def _corrected_commutes():
    """Four days of sparse e-bike commutes on the flat, the member correcting each of the
    first four rides to e-bike (as test_sparse_chord_top)."""
    points = _ebike_commutes(4, "sparse")
    tl = build_timeline(points)
    mains = [max(t.legs, key=lambda g: g.distance_m) for t in tl.trips]
    return points, tuple(correct_leg(t, m, "e-bike", created_ts=k)
                         for k, (t, m) in enumerate(zip(tl.trips[:4], mains)))


def _downhill_ride(seed: int):
    """A sparse e-bike commute of 7-9 km whose 3-5 km descent falls at 5-6 %: the rider
    coasts at 11.7-13.0 m/s there, braking at lights and corners. Its fixes report GPS
    altitude. Returns the fixes and the ride's (start, end)."""
    rng = random.Random(seed)
    it = Itinerary(scenarios.ORIGIN, T0)
    work = point_at(it.xy, rng.uniform(7000, 9000), rng.uniform(0, 2 * math.pi))
    it.stay(3600)
    start = it.t
    with scenarios.trip(it):
        route = streets(it.xy, work, rng, block=(300, 800))
        a = rng.uniform(0.15, 0.3) * route.length
        b = min(a + rng.uniform(3000, 5000), route.length - 300)
        grade = rng.uniform(0.05, 0.06)
        it.leg("e-bike", route, K["e-bike"], rng, stops=motion.lights(route, rng, 0.3, (5, 30)),
               descents=[(a, b, motion.descent_speed(grade))])
    end = it.t
    it.stay(3600)
    fixes = observe(it.samples, REGIMES["sparse"], scenarios.ORIGIN, rng)
    fixes = with_altitude(fixes, it.samples, lambda s: 400.0 - grade * (min(max(s, a), b) - a),
                          rng)
    return fixes, (start, end)


def test_a_sparse_e_bike_ride_down_a_long_descent_reads_e_bike_after_corrections():
    """Twelve such rides, a day after four corrected flat commutes: 5 read e-bike, the rest
    bus or car (chords down the descent held at 9.5-12 m/s, against the e-bike's top of 8.0
    m/s with a tail of 0.06: ~10 log units; two-minute headways of 8-11 m/s); now 9 do. The
    three left are seen by fixes of 18-26 m, whose fall the altitude's error hides."""
    points, corrections = _corrected_commutes()
    read = 0
    for seed in range(12):
        fixes, (t0, t1) = _downhill_ride(seed)
        shift = points[-1].ts + 86400 - fixes[0][0]
        day = points + [Fix(f[0] + shift, *f[1:]) for f in fixes]
        tl = build_timeline(day, context=Context(corrections=corrections))
        seen = modes_over(tl, t0 + shift, t1 + shift)
        read += seen.get("e-bike", 0) > 0.5 * sum(seen.values())
    assert read >= 8, read


def _flat_altitude(fixes, seed):
    rng = random.Random(seed)
    return [Fix(*f[:4], None if (f[3] or 10) > 60 else round(30.0 + rng.gauss(0, 1.5 * (f[3] or 10)), 1),
                *f[4:]) for f in fixes]


def test_a_flat_drive_that_held_10_m_s_stays_no_e_bike_with_its_altitudes():
    """car, sparse, seeds 5 and 7 (test_sparse_chord_top): the drives held 10.0 and 10.6 m/s
    over two chords on the flat; with altitudes that only err (GPS noise, 1.5 x the fix's
    accuracy) no step reads as a descent and the drive is still no e-bike for the member
    who rides one."""
    points, corrections = _corrected_commutes()
    for seed in (5, 7):
        day = make_day("car", "sparse", seed)
        shift = points[-1].ts + 86400 - day.fixes[0][0]
        fixes = points + [Fix(f.ts + shift, f.lat, f.lon, f.acc, f.alt, f.vel)
                          for f in _flat_altitude(day.fixes, seed)]
        tl = build_timeline(fixes, context=Context(corrections=corrections))
        drive = next(s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car")
        seen = modes_over(tl, drive["start_ts"] + shift, drive["end_ts"] + shift)
        assert seen.get("e-bike", 0) < 0.5 * sum(seen.values()), (seed, seen)


def _line(speed: float, grade: float, step_s: int = 90, n: int = 12, acc: float = 8.0):
    """Fixes every step_s seconds along a straight road at this speed, falling at grade."""
    out, lat0, lon0 = [], 46.15, -1.15
    for k in range(n):
        d = speed * step_s * k
        out.append(Fix(T0 + step_s * k, lat0 + d / 111_195.0, lon0, acc, 300.0 - grade * d))
    return out


def _features(points):
    dists = [distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(points, points[1:])]
    speeds = [d / (b.ts - a.ts) for d, a, b in zip(dists, points, points[1:])]
    return leg_features(points, speeds, dists)


def test_gravity_explains_a_coasting_speed_not_an_engines():
    """Down a 5 % grade, 12 m/s is a coasting bicycle's (11.7 m/s): left out of the chords'
    top. 20 m/s down the same grade is beyond any coasting bicycle: a motor's, kept."""
    assert _features(_line(12.0, 0.05)).p95_level_held_ms == 0.0
    assert _features(_line(20.0, 0.05)).p95_level_held_ms is None
    assert _features(_line(12.0, 0.0)).p95_level_held_ms is None
