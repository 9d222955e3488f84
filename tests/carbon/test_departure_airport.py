"""The minutes at a departure airport are check-in, bag drop and security, no kerb's wait
(carbon.transfers._boards_flight, the mirror of _landed): the drive to the airport is not
joined to the flight, nor decided with it as one journey (before, round 13 review: 6 of 12
out-and-back days joined them, 4 read the drive as a bus)."""
import pytest

from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation.scenarios import make_day


def _trips(regime, seed):
    day = make_day("plane-twice", regime, seed)
    tl = build_timeline([Fix(int(t), lat, lon, acc) for t, lat, lon, acc in day.fixes])
    return [[g.mode for g in t.legs] for t in tl.trips]


@pytest.mark.parametrize("regime,seed", [("1s", 0), ("1s", 2), ("dense", 2), ("sparse", 0)])
def test_the_drive_to_the_airport_is_its_own_trip_and_no_bus(regime, seed):
    trips = _trips(regime, seed)
    flights = [k for k, t in enumerate(trips) if "plane" in t]
    assert len(flights) == 2, trips
    home = trips[flights[1]]
    assert set(home) <= {"plane", "walk"}, trips     # before: bus+walk+plane+walk
    drive = trips[flights[1] - 1]
    assert "bus" not in drive, trips
