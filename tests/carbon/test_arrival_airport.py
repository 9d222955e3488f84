"""After a flight, the time at the arrival airport (deplaning, passport control, baggage
claim) is no wait for a service: the ride out of the airport is decided on its own, and
the trip leaving the airport starts when the member left it (carbon.transfers._landed)."""
import pytest

from carbon import Fix, build_timeline
from tests.carbon.carbon_helpers import modes_over


def _sections(day, mode):
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == mode]


# the days whose terminal a phone reporting every minute or two saw as two stays, parted
# by a slow 200-340 m "walk" between the landing fix and a GPS-quality fix in the terminal:
# each stay under a connection's 20 minutes, so the taxi's trip was joined to the walk as a
# connection and its 15-17 minutes there read as a kerb's wait for a bus
@pytest.mark.parametrize("seed", [0, 2, 5, 6])
def test_the_taxi_after_a_terminal_seen_as_two_stays_is_a_car(seed):
    from simulation.scenarios import make_day
    day = make_day("plane", "sparse", seed)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    (taxi,) = _sections(day, "car")
    a, b = taxi["start_ts"], taxi["end_ts"]
    seen = modes_over(tl, a, b)
    assert seen.get("car", 0) > 0.8 * (b - a), seen
    # the trip that carries the taxi starts when the member left the airport, within the
    # scorer's 15 minutes, not at the terminal walk half an hour before
    (out,) = [t for t in tl.trips if t.start_ts <= a + 60 and t.end_ts >= b - 60]
    assert abs(out.start_ts - (a - 300)) < 900, (out.start_ts - a)
