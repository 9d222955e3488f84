"""A distance filter's chords between faster ones (issue #9, OwnTracks significant changes:
a report once the member is ~500 m from the last one, never within 5 minutes of it). A
chord is a lower bound of the member's pace: the path between two reports bends. A chord
at the 5-minute floor netted faster than a walker's usual pace is no evidence of a walk
between two faster runs; one the filter closed later, by distance, can be."""
from carbon.fix import Fix
from carbon.legs import _netted_past_a_walk
from carbon.timeline import build_timeline

from tests.carbon.carbon_helpers import modes_over

T0 = 1_772_000_000


def _north(p, metres, ts):
    return Fix(ts, p.lat + metres / 111_000, p.lon, 8.0)


def _reports(steps, start_ts):
    """home, then (seconds, metres) steps north from the first report 520 m out, then the
    member stays where the last report is (its next report an hour later, 520 m back)."""
    home = Fix(T0, 46.16, -1.15, 8.0)
    out = [home, _north(home, 520, start_ts)]
    for dt, d in steps:
        out.append(_north(out[-1], d, out[-1].ts + dt))
    out.append(_north(out[-1], -520, out[-1].ts + 3600))
    return out


def test_a_run_reported_at_the_floor_is_not_cut_by_a_chord_round_a_bend():
    # A run at ~2.6 m/s (780 m per 5 minutes on the chord); one report 510 m on after 5
    # minutes: 1.7 m/s on the chord, a walker's only if brisk and dead straight, a runner's
    # round any block. Before: cut run / walk / run, the middle five minutes a walk.
    steps = [(300, 780)] * 3 + [(300, 510)] + [(300, 780)] * 3
    fixes = _reports(steps, T0 + 3600)
    tl = build_timeline(fixes)
    assert tl.trips[0].end_ts >= fixes[-2].ts       # one run to where the member stayed
    a, b = fixes[4].ts, fixes[5].ts        # the slow chord
    over = modes_over(tl, a, b)
    assert over.get("walk", 0) == 0, over


def test_a_chord_closed_by_distance_or_at_a_trips_end_still_counts_as_walked():
    # 500 m in 420 s: the member was within 500 m of the last report for 7 minutes, which a
    # walker at 1.2 m/s is; 500 m in 300 s nets 1.67 m/s, past a walker's usual 1.3-1.5.
    assert not _netted_past_a_walk(420, 500)
    assert _netted_past_a_walk(300, 500)
    assert not _netted_past_a_walk(60, 120)     # a sparse phone's minute: seen, not a chord
    # the same floor chord at the trip's end is the walk from the vehicle: it keeps its time
    steps = [(300, 780)] * 4 + [(300, 510)]
    fixes = _reports(steps, T0 + 3600)
    tl = build_timeline(fixes)
    assert len(tl.trips[0].legs) == 2, [[g.mode for g in t.legs] for t in tl.trips]


def _pedalled_share(regime: str, which) -> float:
    from carbon.fix import Fix as _Fix
    from simulation import scenarios
    rode = total = 0
    for seed in range(8):
        day = scenarios.make_day("bike-train", regime, seed)
        tl = build_timeline([_Fix(*f) for f in day.fixes])
        rides = [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "bike"]
        for ride in which(rides):
            over = modes_over(tl, ride["start_ts"], ride["end_ts"])
            rode += over.get("bike", 0) + over.get("e-bike", 0)
            total += ride["end_ts"] - ride["start_ts"]
    return rode / total


def test_the_ride_off_the_train_reported_by_distance_is_mostly_a_bike_leg():
    # Significant changes: the train's braking, the walk off it and the first metres ridden
    # are one 5-minute chord, and the ride home two or three more at 3-4 m/s. Two chords
    # of a cyclist's pace after the one that left the train's are all ridden, and a ride
    # to the train cut off first leaves the ride off it to cut too; the chord that left the
    # train's pace at 1.9-2.2 m/s holds the walk off it but is mostly ridden, not a walk
    # leg. Before: the ride home was train kilometres on 5 of these 8 days (0.31 of its
    # time a bike; 0.65 with the two chords and the second cut, 0.87 with the chord ridden).
    assert _pedalled_share("significant", lambda rides: rides[-1:]) >= 0.8



def test_a_motorway_drive_seen_every_minute_or_two_keeps_its_town_stretches():
    # The second cut off the train is a distance filter's only: at 1-2 minute steps a car's
    # town stretches either side of the motorway read pedalled as well, and cutting both off
    # read them as bikes (0.46 of the drives' time a car, against 0.58 with one cut).
    from carbon.fix import Fix as _Fix
    from simulation import scenarios
    car = total = 0
    for seed in range(8):
        day = scenarios.make_day("car-highway", "sparse", seed)
        tl = build_timeline([_Fix(*f) for f in day.fixes])
        for s in (s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "car"):
            car += modes_over(tl, s["start_ts"], s["end_ts"]).get("car", 0)
            total += s["end_ts"] - s["start_ts"]
    assert car >= 0.52 * total, car / total
