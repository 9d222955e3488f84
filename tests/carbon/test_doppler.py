"""The phone's own speed (Fix.vel, Doppler) read where chords a minute or two apart cannot
tell a pedelec from a car in town (carbon.features.doppler_speeds, carbon.likelihood.
measurable): a sparse ride's cruise and top are its fixes' speeds; without speeds, or with
speeds that contradict the chords (a phone stuck at 0), the leg reads as it did."""
from carbon.features import doppler_speeds
from carbon.fix import Fix
from carbon.timeline import build_timeline
from carbon_helpers import modes_over
from simulation.scenarios import make_day


def _timeline(day, vel="doppler"):
    """The day's timeline with the simulator's Doppler speeds, none, or a broken phone's 0."""
    speeds = {"doppler": day.vels, "none": [None] * len(day.fixes),
              "zero": [0.0] * len(day.fixes)}[vel]
    return build_timeline([Fix(*f, vel=v) for f, v in zip(day.fixes, speeds)])


def _share(tl, section) -> float:
    seen = modes_over(tl, section["start_ts"], section["end_ts"])
    return seen.get(section["mode"], 0) / (sum(seen.values()) or 1)


def _sections(day, mode: str) -> list:
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == mode]


def test_a_sparse_e_bike_commute_with_doppler_speed_reads_e_bike():
    """e-bike, a fix every 1-2 minutes, seeds 0 and 1: the chords (4-5 m/s, the lights'
    halts inside them) read car or bike; the fixes' own speeds, 6-7.5 m/s and never a car's
    30-50 km/h between lights, read e-bike. Without speeds no ride reads e-bike (as before)."""
    for seed in (0, 1):
        day = make_day("e-bike", "sparse", seed)
        rides = _sections(day, "e-bike")
        with_vel, without = _timeline(day), _timeline(day, "none")
        assert max(_share(with_vel, r) for r in rides) >= 0.9, seed
        assert max(_share(without, r) for r in rides) < 0.5, seed


def test_a_sparse_town_drive_with_doppler_speed_reads_car():
    """car, sparse, seed 1: the drive home's chords average 3.8 m/s (a bike's by every
    measure the fixes give: docs/engine.md, round 12 sparse-steady) and read bike; its fixes'
    speeds, above 8 m/s between the lights, read car."""
    day = make_day("car", "sparse", 1)
    home = _sections(day, "car")[-1]
    assert _share(_timeline(day), home) >= 0.9
    assert _share(_timeline(day, "none"), home) < 0.5


def test_a_phone_stuck_at_zero_speed_reads_as_one_without_speed():
    """Some phones send vel=0 with every fix. A ride whose chords cover kilometres is not
    standing: speeds averaging under half the chords' are no reading of this leg, so every
    leg reads as without speeds (and the drive home above stays what its chords say)."""
    for family, seed in (("car", 1), ("e-bike", 0)):
        day = make_day(family, "sparse", seed)
        zero, none = _timeline(day, "zero"), _timeline(day, "none")
        assert [[(g.start_ts, g.end_ts, g.mode) for g in t.legs] for t in zero.trips] == \
            [[(g.start_ts, g.end_ts, g.mode) for g in t.legs] for t in none.trips]


def _ride(speeds, step=90, pace=7.0) -> list:
    """Fixes `step` s apart along a meridian at `pace` m/s, with these speeds."""
    return [Fix(1_000_000 + k * step, 46.0 + k * step * pace / 111_195.0, -1.15, 10.0, vel=v)
            for k, v in enumerate(speeds)]


def test_too_few_speeds_or_speeds_that_contradict_the_chords_are_not_read():
    """Five speeds inside the leg at least (its two end fixes are the neighbours' too); a
    time-mean under half the chords' pace (a phone stuck at 0) or over three times it (km/h
    sent as m/s) is ignored; a walking pace is left to the chords."""
    ok = _ride([None, 6.8, 7.0, 6.9, 7.1, 6.7, None])
    assert doppler_speeds(ok, 7.0)[0] is not None
    assert doppler_speeds(_ride([9.0, 6.8, 7.0, 6.9, 7.1, 9.0]), 7.0) == (None, None)
    assert doppler_speeds(_ride([0.0] * 8), 7.0) == (None, None)
    assert doppler_speeds(_ride([25.0] * 8), 7.0) == (None, None)
    assert doppler_speeds(_ride([1.3] * 8, pace=1.3), 1.3) == (None, None)


def test_a_speed_the_phone_did_not_measure_is_not_read():
    """iOS's -1 and a NaN are no speed: the leg reads its measured speeds alone (a NaN
    counted would make the mean NaN and drop them all)."""
    clean = doppler_speeds(_ride([None, 6.8, 7.0, 6.9, 7.1, 6.7, None]), 7.0)
    noisy = doppler_speeds(_ride([None, 6.8, float("nan"), 7.0, -1.0, 6.9, 7.1, 6.7, None]), 7.0)
    assert clean[0] is not None and noisy == clean
