import random

from carbon.cleaning import clean
from carbon.fix import Fix
from carbon.timeline import build_timeline

from carbon_helpers import leg_points


def _summary(tl):
    return [(t.start_ts, t.end_ts, round(t.distance_m), [(l.mode, l.start_ts, l.end_ts) for l in t.legs])
            for t in tl.trips], [(s.start_ts, s.end_ts) for s in tl.stays]


def test_out_of_order_and_duplicates_give_the_ordered_result():
    points, _ = leg_points("bike", seed=5)
    shuffled = points + random.Random(1).sample(points, len(points) // 5)   # re-sent fixes
    random.Random(2).shuffle(shuffled)
    assert _summary(build_timeline(shuffled)) == _summary(build_timeline(points))
    assert build_timeline(points).trips   # and there is something to compare


def test_duplicate_timestamp_keeps_the_most_accurate_fix_whatever_the_order():
    good, bad = Fix(1_772_000_000, 46.15, -1.15, 5.0), Fix(1_772_000_000, 46.16, -1.15, 150.0)
    assert clean([bad, good]) == clean([good, bad]) == [good]


def test_junk_fixes_are_dropped():
    base = [Fix(1_772_000_000 + 10 * k, 46.15 + k * 1e-4, -1.15, 10.0) for k in range(10)]
    junk = [Fix(0, 46.15, -1.15, 10.0),                  # clock reset
            Fix(1_772_000_005, 0.0, 0.0, 10.0),          # null island
            Fix(1_772_000_015, 46.20, -1.15, 1500.0),    # cell tower guess
            Fix(1_772_000_025, 46.25, -1.15, 10.0)]      # 11 km away for 5 s: a jump
    assert clean(base + junk) == base


def test_a_stale_repeat_while_moving_is_dropped_but_not_at_rest():
    from carbon.cleaning import drop_stale
    from carbon.fix import Fix
    moving = [Fix(0, 46.0, -1.0, 10.0), Fix(30, 46.001, -1.0, 10.0),
              Fix(60, 46.001, -1.0, 10.0), Fix(90, 46.003, -1.0, 10.0)]
    assert [p.ts for p in drop_stale(moving)] == [0, 30, 90]   # 60 re-reported 30's position
    resting = [Fix(t, 46.0, -1.0, 10.0) for t in (0, 30, 60, 90)]
    assert drop_stale(resting) == resting


def test_network_fixes_interleaved_with_gps_do_not_make_a_walk_a_run():
    """A phone switching between GPS (5 m) and Wi-Fi positions (40-60 m, 100 m off the
    street) every ten seconds: the walk at 1.4 m/s must not zig-zag into a 5 m/s run."""
    t0, gps, mixed = 1_772_000_000, [], []
    for k in range(60):
        p = Fix(t0 + 10 * k, 46.15 + k * 14 / 111_320, -1.15, 5.0)
        gps.append(p)
        mixed.append(p)
        if 0 < k < 59:
            mixed.append(Fix(t0 + 10 * k + 5, p.lat, -1.15 + (130 if k % 2 else -130) / 77_000, 45.0))
    assert clean(mixed) == clean(gps)
    # a Wi-Fi fix with no GPS beside it (indoors, in a tunnel) is kept
    alone = [Fix(t0, 46.15, -1.15, 5.0), Fix(t0 + 300, 46.15, -1.1499, 45.0),
             Fix(t0 + 600, 46.15, -1.15, 5.0)]
    assert len(clean(alone)) == 3
