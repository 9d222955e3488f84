"""A walk's trip ends when the walker arrives, not where a reference's pipeline puts its end.

e-mission's Android segmentation ends a trip at the median fix of the five minutes that
showed the phone still (bench/edges.py replays it: 39 of its 46 reference ends to the
second), 38-121 s (quartiles) after this engine's arrival: on its reference days that
standing time is labelled walking and is most of the WALK time in no leg (docs/engine.md,
"Where e-mission's walking time in no leg is"). The member stood there: a trip that ended
a minute or two late would show an arrival the member did not make, so the engine keeps
the physical one, on a phone like e-mission's (a fix every 30 s, 5-15 m of wander)."""
import random

from carbon.fix import Fix
from carbon.timeline import build_timeline

from carbon_helpers import HOME

T0 = 1_772_000_000
STEP_S = 30


def _shift(place, north_m, east_m=0.0):
    return (place[0] + north_m / 111_320.0, place[1] + east_m / 78_000.0)


def _fixes(rng, t0, t1, where, wander_m=8.0):
    """A fix every STEP_S from t0 to t1 at where(t), wandering as GPS does at 30 s steps."""
    out = []
    for t in range(t0, t1, STEP_S):
        lat, lon = where(t)
        lat, lon = _shift((lat, lon), rng.gauss(0, wander_m), rng.gauss(0, wander_m))
        out.append(Fix(t, lat, lon, rng.choice((10.0, 16.0, 24.0))))
    return out


def _walk_day(seed):
    """20 minutes at home, 650 m walked at 1.3 m/s, 15 minutes standing at the door."""
    rng = random.Random(seed)
    leave = T0 + 1200
    arrive = leave + 500
    door = _shift(HOME, 0, 650)
    fixes = _fixes(rng, T0, leave, lambda t: HOME)
    fixes += _fixes(rng, leave, arrive, lambda t: _shift(HOME, 0, 1.3 * (t - leave)), 4.0)
    fixes += _fixes(rng, arrive, arrive + 900, lambda t: door)
    return fixes, leave, arrive


def test_a_walk_ends_when_the_walker_arrives_not_minutes_into_the_standing():
    for seed in range(5):
        fixes, leave, arrive = _walk_day(seed)
        trips = build_timeline(fixes).trips
        assert len(trips) == 1, (seed, [(t.start_ts, t.end_ts) for t in trips])
        trip = trips[0]
        assert [leg.mode for leg in trip.legs] == ["walk"], seed
        # one 30 s step either side: the fixes say no more of when the walker stopped
        assert abs(trip.end_ts - arrive) <= STEP_S, (seed, trip.end_ts - arrive)
        assert abs(trip.start_ts - leave) <= STEP_S, (seed, trip.start_ts - leave)
