"""The phone's own speed (Fix.vel, Doppler) read where chords a minute or two apart cannot
tell a pedelec from a car in town (carbon.features.doppler_speeds, carbon.likelihood.
measurable): a sparse ride's cruise and top are its fixes' speeds; without speeds, or with
speeds that contradict the chords (a phone stuck at 0), the leg reads as it did."""
from carbon.features import bad_accuracy, doppler_speeds
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


def test_a_network_position_s_speed_is_not_read():
    """A Wi-Fi or cell position (accuracy past the trip's bad_accuracy) measured no Doppler:
    the 0 an app sends with it (Android's fused provider, OwnTracks' vel) is no instant of
    the ride. A drive at 14 m/s whose GPS fixes alternate with network ones at 0 reads its
    GPS speeds' p85, not a p85 dragged down to the network's 0s."""
    gps = _ride([None, 14.0, 13.5, 14.5, 14.2, 13.8, None], pace=14.0)
    mixed = _ride([None] + [v for v in (14.0, 0.0, 13.5, 0.0, 14.5, 0.0, 14.2, 0.0, 13.8)]
                  + [None], pace=14.0)
    for k in (2, 4, 6, 8):
        mixed[k].acc = 800.0
    bad = bad_accuracy(10.0)
    assert doppler_speeds(mixed, 14.0, bad) == doppler_speeds(gps, 14.0, bad)
    assert doppler_speeds(mixed, 14.0, bad)[0] >= 13.5


def test_fixes_of_one_second_stand_for_no_time():
    """Fixes stamped the second of the fix before them (an app repeating its last position)
    are that instant again, no sample of the ride: four real speeds and three copies are
    fewer than DOPPLER_MIN_FIXES (the copies once counted, the middle ones weighing a full
    second each, as a fix of a 1 s track does)."""
    ride = _ride([None, 7.0, 6.9, 7.1, 7.0, None])
    copies = ride[:3] + [Fix(ride[2].ts, ride[2].lat, ride[2].lon, 10.0, vel=6.9)
                         for _ in range(3)] + ride[3:]
    assert doppler_speeds(ride, 7.0) == (None, None)
    assert doppler_speeds(copies, 7.0) == (None, None)


def test_a_speed_no_phone_measures_is_not_read():
    """Past 2000 km/h (MAX_REPORTED_MS, the receivers' bound) a speed is a unit gone wrong
    in a file, not an instant: the leg reads its other speeds."""
    clean = doppler_speeds(_ride([None, 6.8, 7.0, 6.9, 7.1, 6.7, None]), 7.0)
    wild = doppler_speeds(_ride([None, 6.8, 7.0, 5000.0, 6.9, 7.1, 6.7, None]), 7.0)
    assert clean[0] is not None and wild == clean
