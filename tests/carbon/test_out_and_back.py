"""A walk from the parked car and back between two drives (round 12, errand-walks): shorter
than a leg's two minutes, it is still the member on foot when it went out from the car and
came back to it (`legs._Runs.out_and_back`), where a car crawling in a queue moves on along
its road and a bus at its stop stands."""

from carbon.timeline import build_timeline
from simulation import scenarios
from simulation.motion import KINEMATICS as K
from simulation.routes import Route, point_at, streets

from tests.carbon.carbon_helpers import itinerary_day, modes_over


def _errand(metres, stand):
    """Drive, get out, walk `metres` from the car to a cash machine or a shop, stand, walk
    back to the car, get in, drive on (a trip: no stay)."""
    def build(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            home = it.xy
            it.leg("car", streets(it.xy, point_at(home, 3000, 0.2), rng), K["car"], rng)
            car, there = it.xy, point_at(it.xy, metres, 1.0)
            it.wait(rng.uniform(*scenarios.GET_OUT_S))      # getting out, locking
            it.leg("walk", Route([car, there]), K["walk"], rng, env="street")
            if stand:
                it.wait(stand)
            it.leg("walk", Route([there, car]), K["walk"], rng, env="street")
            it.wait(rng.uniform(*scenarios.GET_IN_S))       # getting in, starting
            it.leg("car", streets(it.xy, point_at(home, 6000, 0.4), rng), K["car"], rng)
            scenarios.walk_for(it, rng, (40, 60))
    return build


def _walk_share(tl, it):
    walks = [s for t in it.trips for s in t["sections"] if s["mode"] == "walk"][1:-1]
    over = modes_over(tl, walks[0]["start_ts"] + 15, walks[-1]["end_ts"] - 15)
    return over.get("walk", 0) / max(1, sum(over.values())), over


def test_a_walk_of_a_minute_from_the_car_and_back_is_a_walk():
    # 60-90 m each way (45-70 s of walking each way), standing 0-60 s: before, every one
    # of these went into one car leg (its walking evidence under min_leg_s)
    for metres, stand, seed in ((60, 0, 0), (60, 60, 1), (75, 30, 2), (90, 0, 3)):
        fixes, it = itinerary_day(_errand(metres, stand), "1s", seed)
        tl = build_timeline(fixes)
        share, over = _walk_share(tl, it)
        assert len(tl.trips) == 1, (metres, stand, seed)
        assert share >= 0.7, (metres, stand, seed, over)


def test_a_car_crawling_at_walking_pace_between_two_drives_is_the_car():
    # a queue at a works or a school gate: 80-120 s at 1-1.5 m/s, moving on along the
    # road; it never comes back to where it slowed down, so it is no walk from the car
    def build(it, rng):
        with scenarios.trip(it):
            scenarios.walk_for(it, rng, (40, 60))
            home = it.xy
            route = streets(it.xy, point_at(home, 4000, 0.3), rng)
            a = 0.45 * route.length
            it.leg("car", route, K["car"], rng, limit=[(a, a + 120.0, 1.2)])
            scenarios.walk_for(it, rng, (40, 60))
    for seed in range(4):
        fixes, it = itinerary_day(build, "1s", seed)
        tl = build_timeline(fixes)
        car = [s for t in it.trips for s in t["sections"] if s["mode"] == "car"][0]
        over = modes_over(tl, car["start_ts"], car["end_ts"])
        assert over.get("walk", 0) <= 0.05 * sum(over.values()), (seed, over)
