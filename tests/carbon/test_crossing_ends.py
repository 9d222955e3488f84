"""A crossing's ends are no halt in it (round 13, ferry-channel): `legs._unbroken` refused a
silence slower than the ride's pace and any halt, as where a halt could hide; but a phone
that naps over the berthing (the OS suspends the app for minutes: the suite's dense phones
0.3 times an hour) holds the last minutes of the crossing, the berthing and the walk off in
one slow silence, and a leg that opens at the pier holds the vessel standing before it
casts off. Either read metro or bus on main (798599f: the ferry family's dense cell 0.853,
one crossing of four). Before the ride first keeps its pace or after it last does, a
silence or a halt is its end."""
import math

from carbon import build_timeline
from carbon.fix import Fix
from simulation import scenarios
from simulation.motion import KINEMATICS as K
from simulation.routes import fairway, point_at
from tests.carbon.carbon_helpers import itinerary_day, modes_over


def _crossing(it, rng):
    with scenarios.trip(it):
        scenarios.walk(it, rng, scenarios._far(rng, it.xy, 300, 600))
        it.wait(rng.uniform(180, 600), env="open")
        end = point_at(it.xy, rng.uniform(6000, 12000), rng.uniform(0, 2 * math.pi))
        it.leg("boat", fairway(it.xy, end, rng, "open"), K["boat"], rng, env="open")
        scenarios.walk(it, rng, scenarios._far(rng, it.xy, 300, 600))


def _boat_read(regime, seed, silent):
    fixes, it = itinerary_day(_crossing, regime, seed)
    boat = [s for t in it.truth("x", "UTC")["trips"] for s in t["sections"]
            if s["mode"] == "boat"][0]
    a, b = silent(boat)
    kept = [f for f in fixes if not a <= f.ts <= b]
    over = modes_over(build_timeline(kept), boat["start_ts"], boat["end_ts"])
    return max(over, key=over.get), over


def test_a_crossing_whose_phone_naps_over_the_berthing_is_a_boat():
    # silent from 4 minutes before the berth to a minute into the walk off: boat on 7 of 10
    # days (main: 0, metro or bus); on the other three the metro, which reads the silence
    # as a tunnel, still leads by 0.05-0.10
    read = [_boat_read("1s", seed, lambda s: (s["end_ts"] - 240, s["end_ts"] + 60))
            for seed in range(10)]
    assert sum(mode == "boat" for mode, _ in read) >= 6, read


def test_a_crossing_that_opens_with_the_vessel_standing_at_the_pier_is_a_boat():
    # the ferry family's dense day 6: its first leg opens at the pier with a 28 s step at
    # 0.6 m/s (the phone dropped the standing fixes before), a halt at its first fix, read
    # bus 0.61 on main's rule
    from simulation.scenarios import make_day
    day = make_day("ferry", "dense", 6)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    for s in [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "boat"]:
        over = modes_over(tl, s["start_ts"], s["end_ts"])
        assert max(over, key=over.get) == "boat", (s, over)
