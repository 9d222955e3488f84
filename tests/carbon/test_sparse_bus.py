"""A bus seen every minute or two that pulls out of its stop into a jam: its one fast chord
(490 m in 64 s) is the bus, not a moment of the walk to the stop (carbon.legs._Runs.ridden),
so the crawl after it lies between two legs of the bus and reads as the bus queuing."""
from carbon.fix import Fix
from carbon_helpers import modes_over
from carbon.timeline import build_timeline
from simulation.scenarios import make_day

M_PER_DEG = 111_195.0


def test_a_bus_that_pulls_out_into_a_jam_seen_every_minute_is_one_bus_ride():
    """bus, sparse sampling, seed 0: the walk to the stop, 160 s waiting, a 64 s chord at
    7.7 m/s as the bus leaves, then 40 minutes crawling through a congested centre at
    ~1 m/s between fixes 60-120 s apart. With the fast chord absorbed into the walk (its
    64 s are under the two minutes a leg needs), the walk, the wait and the crawl were one
    2916 s walk leg and the bus 0.12 of the ride; the chord is ground no one on foot covers."""
    day = make_day("bus", "sparse", 0)
    ride = next(s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "bus")
    tl = build_timeline([Fix(*f) for f in day.fixes])
    seen = modes_over(tl, ride["start_ts"], ride["end_ts"])
    assert seen.get("bus", 0) >= 0.8 * (ride["end_ts"] - ride["start_ts"]), seen


def _walk_with_a_jump(jump_m: float) -> list:
    """30 minutes at home (a fix every 10 min), a 20-minute walk east at 1.3 m/s seen every
    60 s with 15 m fixes, one of them `jump_m` north of the way, then 30 minutes at the
    place reached."""
    lat, lon, k = 46.16, -1.15, M_PER_DEG * 0.693
    out, t = [], 0
    for _ in range(4):
        out.append(Fix(t, lat, lon, 15.0))
        t += 600
    t -= 600
    for i in range(1, 21):
        north = jump_m if i == 10 else 0.0
        out.append(Fix(t + 60 * i, lat + north / M_PER_DEG, lon + 78.0 * i / k, 15.0))
    end = t + 60 * 20
    for j in range(1, 4):
        out.append(Fix(end + 600 * j, lat, lon + 1560.0 / k, 15.0))
    return out


def test_a_walk_seen_every_minute_with_one_fix_off_the_way_stays_a_walk():
    # the guard: a fix 400 m off a walk makes two 60 s chords of 6.7 m/s, out and back;
    # they are one wrong fix (carbon.legs._jumps), not a ride
    tl = build_timeline(_walk_with_a_jump(400.0))
    seen = modes_over(tl, 1800, 3000)
    assert seen.get("walk", 0) >= 0.9 * sum(seen.values()), seen
