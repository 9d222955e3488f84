"""Phones that misstate their error: the fixes' own scatter (carbon.speeds.jitter_m) sets
the speed window when it says more than the claimed accuracy, so a walk is read the same
whatever the phone claims; and the degraded real days' noise keeps a re-reported cached
fix where its original was (bench/robustness.py)."""
import math
import os
import random

from carbon.fix import Fix
from carbon.speeds import jitter_m
from carbon.timeline import build_timeline
from carbon_helpers import HOME, shift, still, straight_track

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = 1_700_000_000


def _scattered(track, rms_m, rng, claim):
    """The track's fixes moved by independent errors of `rms_m` (radial rms), each
    claiming `claim` metres of accuracy."""
    s = rms_m / math.sqrt(2.0)
    return [Fix(p.ts, p.lat + rng.gauss(0, s) / 111_320.0, p.lon + rng.gauss(0, s) / 78_000.0,
                claim) for p in track]


def _walk_day(seed, claim, rms_m=30.0, speed=1.2, every=5, seconds=900):
    rng = random.Random(seed)
    end = shift(HOME, speed * seconds)
    walk = _scattered(straight_track(T0, HOME, end, seconds, every, claim)[1:-1], rms_m, rng,
                      claim)
    return still(T0 - 1200, HOME, 1200, 60, 10.0) + walk + still(T0 + seconds, end, 1200, 60, 10.0)


def _walk_legs(fixes):
    return [leg for trip in build_timeline(fixes).trips for leg in trip.legs]


def test_jitter_reads_the_independent_error_at_any_dense_sampling():
    for rms in (10.0, 30.0):
        for every in (1, 5, 10):
            rng = random.Random(int(rms) * 100 + every)
            track = straight_track(T0, HOME, shift(HOME, 1000), 800, every, 5.0)
            assert abs(jitter_m(_scattered(track, rms, rng, 5.0)) - rms) <= 0.2 * rms
    # a clean track at a steady pace shows none, whatever it claims
    assert jitter_m(straight_track(T0, HOME, shift(HOME, 1000), 800, 5, 30.0)) < 1.0


def test_jitter_leaves_out_an_error_that_wanders_slowly():
    """GPS error correlated over minutes moves neighbouring fixes together: it does not
    inflate a speed between them, and the jitter does not count it."""
    rng = random.Random(7)
    track = straight_track(T0, HOME, shift(HOME, 1000), 800, 1, 5.0)
    sigma, rho, ex, ey, out = 30.0 / math.sqrt(2), math.exp(-1 / 300.0), 0.0, 0.0, []
    for p in track:
        ex = rho * ex + rng.gauss(0, sigma * math.sqrt(1 - rho * rho))
        ey = rho * ey + rng.gauss(0, sigma * math.sqrt(1 - rho * rho))
        out.append(Fix(p.ts, p.lat + ey / 111_320.0, p.lon + ex / 78_000.0, 5.0))
    assert jitter_m(out) < 5.0


def test_a_walk_reads_the_same_whatever_accuracy_its_phone_claims():
    """A phone that claims 5 m while its fixes stray 30 m (a poor receiver, multipath):
    its walk keeps a walker's speeds and its confidence, as the same fixes claiming 30 m
    do. With the window set by the claim alone (20 s), its p85 speed rose to 2.1-2.2 m/s
    and the walk's confidence fell to 0.87-0.88 on three seeds of six."""
    for seed in range(6):
        under = _walk_legs(_walk_day(seed, claim=5.0))
        honest = _walk_legs(_walk_day(seed, claim=30.0))
        assert [leg.mode for leg in under] == ["walk"], seed
        assert under[0].confidence >= 0.95, (seed, under[0].confidence)
        assert abs(under[0].features["cruise"] - honest[0].features["cruise"]) <= 0.1, seed


def test_a_walk_seen_every_second_by_a_phone_that_under_reports_is_a_walk():
    """At 1 Hz, 25 m of independent error claimed as 5 m: the path between fixes two
    claimed accuracies apart summed the zig-zag (4.8 km for a 1.2 km walk, a 5.6 m/s
    mean) and the walk read as a bike at 0.78-0.95 on four seeds of four."""
    for seed in range(4):
        legs = _walk_legs(_walk_day(seed, claim=5.0, rms_m=25.0, speed=1.3, every=1))
        assert [leg.mode for leg in legs] == ["walk"], (seed, [leg.mode for leg in legs])
        assert legs[0].distance_m < 1.3 * 1.3 * 900, seed


def test_the_degraded_days_keep_a_repeated_fix_where_its_original_is(monkeypatch):
    """A phone re-reports its cached position identically (carbon.cleaning.drop_stale):
    one measurement, one error. The bench's noise moves both copies alike, so a repeat
    stays a repeat instead of a jump of tens of metres in a few seconds."""
    monkeypatch.syspath_prepend(os.path.join(ROOT, "bench"))
    import robustness
    rows = [{"ts": str(T0 + k * 10), "lat": "46.16", "lon": "-1.15", "acc": "8"} for k in range(3)]
    rows += [{"ts": str(T0 + 30 + k * 10), "lat": repr(46.16 + 0.001 * (k + 1)), "lon": "-1.15",
              "acc": "8"} for k in range(3)]
    for spec in ("noise20", "noise50c"):
        out = robustness.degrade(rows, spec, random.Random(1))
        assert len({(r["lat"], r["lon"]) for r in out[:3]}) == 1, spec
        assert len({(r["lat"], r["lon"]) for r in out[3:]}) == 3, spec
        assert all(float(r["acc"]) >= float(spec[5:7]) for r in out), spec
    under = robustness.degrade(rows, "noise20u", random.Random(1))
    assert all(r["acc"] == "8" for r in under)
