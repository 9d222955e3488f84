"""A sparse phone's first step out of a place holds the time spent there before leaving
(carbon.features.opening_dwell_s): the leg's speed is read over the time it moved."""
from carbon.features import opening_dwell_s
from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation.scenarios import make_day

M_PER_DEG = 111_195.0


def _east(t0: int, steps: list, lat: float = 46.16, lon: float = -1.15) -> list:
    """Fixes from a place eastward: steps of (seconds, metres)."""
    out, t, x = [Fix(t0, lat, lon, 20.0)], t0, 0.0
    for dt, d in steps:
        t, x = t + dt, x + d
        out.append(Fix(t, lat, lon + x / (M_PER_DEG * 0.693), 20.0))
    return out


def test_the_standing_in_a_sparse_phones_first_step_is_taken_out_at_the_pace_after_it():
    # the fix at home, then 578 s later 1480 m down the road, then 468 m in 67 s (7 m/s):
    # at 7 m/s the first step's 1480 m took 211 s, so 367 s of it were spent at home
    fixes = _east(0, [(578, 1480.0), (67, 468.0), (70, 490.0)])
    assert 340 <= opening_dwell_s(fixes) <= 390
    # a phone stepping every 1-2 minutes from the door on: its first step is its cadence
    assert opening_dwell_s(_east(0, [(90, 400.0), (67, 468.0), (70, 490.0)])) == 0.0
    # a first step as fast as what follows held no standing
    assert opening_dwell_s(_east(0, [(300, 2100.0), (67, 468.0), (70, 490.0)])) == 0.0


def test_a_short_drive_seen_by_a_sparse_phone_after_a_fix_at_home_reads_a_car():
    """errands, sparse sampling, seed 0: a phone at home reports every 10-30 minutes, so the
    first two drives (238 s and 115 s at the wheel) each open with a 7-10 minute step from
    the place's last fix. Door to door they read 3.0 and 1.4 m/s, a bike; over the time
    they moved, a car's 7 m/s."""
    day = make_day("errands", "sparse", 0)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    first, second = tl.trips[0], tl.trips[1]
    assert [g.mode for g in first.legs] == ["car"], [(g.mode, g.probs) for g in first.legs]
    assert [g.mode for g in second.legs] == ["car"], [(g.mode, g.probs) for g in second.legs]
