"""Fixes a minute or two apart show no peak, but the fastest speed two consecutive chords held
is a floor under it (carbon.likelihood: `chord_top`, read against each mode's top speed as a
bound only): a held 10 m/s is no pedelec's (assistance stops at 25 km/h, EN 15194), a held
34 m/s no metro's (80-100 km/h at most)."""
from carbon.corrections import correct_leg
from carbon.fix import Fix
from carbon.params import Context
from carbon.timeline import build_timeline
from carbon_helpers import modes_over
from simulation.scenarios import make_day
from test_learning import _ebike_commutes


def _after_ebike_corrections(day) -> tuple:
    """The timeline of four days of sparse e-bike commutes, the member correcting each of
    the first four rides to e-bike, then `day`'s fixes a day later; and the shift given to
    `day`'s times."""
    points = _ebike_commutes(4, "sparse")
    tl = build_timeline(points)
    mains = [max(t.legs, key=lambda g: g.distance_m) for t in tl.trips]
    corrections = tuple(correct_leg(t, m, "e-bike", created_ts=k)
                        for k, (t, m) in enumerate(zip(tl.trips[:4], mains)))
    shift = points[-1].ts + 86400 - day.fixes[0][0]
    fixes = points + [Fix(f[0] + shift, *f[1:]) for f in day.fixes]
    return build_timeline(fixes, context=Context(corrections=corrections)), shift


def test_an_e_bike_riders_drive_whose_chords_held_10_m_s_is_not_an_e_bike():
    """car, sparse, seeds 5 and 7: the first drive's chords held 10.0 and 10.6 m/s over two
    steps (36-38 km/h for minutes); a member whose corrections taught the engine they ride
    an e-bike had those drives read e-bike (0.65, 0.55): its mean and its p85 chord are
    within an e-bike's, and nothing read the chord above its cap."""
    for seed in (5, 7):
        day = make_day("car", "sparse", seed)
        tl, shift = _after_ebike_corrections(day)
        drive = next(s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car")
        seen = modes_over(tl, drive["start_ts"] + shift, drive["end_ts"] + shift)
        assert seen.get("e-bike", 0) < 0.5 * sum(seen.values()), (seed, seen)


def test_a_train_whose_chords_held_34_m_s_seen_every_minute_is_no_metro():
    """bike-train, sparse, seed 3: the ride, joined with the bike ride off it, holds 34.6 m/s
    over two chords (125 km/h, beyond any metro's 80-100 km/h) and read metro 0.39 (bus
    before it); the train's time is now read train."""
    day = make_day("bike-train", "sparse", 3)
    ride = next(s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "train")
    seen = modes_over(build_timeline([Fix(*f) for f in day.fixes]),
                      ride["start_ts"], ride["end_ts"])
    assert seen.get("train", 0) >= 0.8 * (ride["end_ts"] - ride["start_ts"]), seen
