"""A car parked for an errand does not move (carbon.transfers._back_at_the_car, round 13
errand-car): the member drives, parks, walks 60-300 m to a shop, spends minutes inside
(a dense phone napping there), walks back to the car and drives off from the same spot.
The stop is an errand, two car trips; joined as a connection, the drive after it read as a
bus or a metro boarded after a wait of ten minutes."""
import math
import random

import pytest

from carbon.fix import Fix
from carbon.model import Leg, Stay, Trip
from carbon.timeline import build_timeline
from carbon.transfers import _back_at_the_car

M_PER_DEG = 111_195.0
LAT, LON = 46.16, -1.15
T0 = 1_772_000_000


class _Walker:
    """Fixes every `step` s of a member moving on a plane (x east, y north, metres)."""

    def __init__(self, seed: int, step: int = 10):
        self.rng, self.step, self.t, self.x, self.y, self.out = random.Random(seed), step, T0, 0.0, 0.0, []

    def fix(self, acc: float = 12.0) -> None:
        lat = LAT + (self.y + self.rng.gauss(0, 4)) / M_PER_DEG
        lon = LON + (self.x + self.rng.gauss(0, 4)) / (M_PER_DEG * math.cos(math.radians(LAT)))
        self.out.append(Fix(int(self.t), lat, lon, acc))

    def stand(self, gaps: list, acc: float = 12.0) -> None:
        for dt in gaps:
            self.t += dt
            self.fix(acc)

    def move(self, dx: float, dy: float, speed: float, halts=()) -> None:
        dist = math.hypot(dx, dy)
        n = max(1, int(dist / (speed * self.step)))
        for i in range(n):
            self.x, self.y, self.t = self.x + dx / n, self.y + dy / n, self.t + dist / n / speed
            self.t += 25 if i in halts else 0       # a red light
            self.fix()


def _errand(walk_m: float, seed: int) -> list:
    w = _Walker(seed)
    w.stand([60] * 30)                                  # home
    w.move(0, 40, 1.3)                                  # to the car
    w.move(1500, 0, 7.5, halts=(5, 12))
    w.move(0, 500, 7.0, halts=(3,))
    w.move(walk_m, 0, 1.3)                              # parked: to the shop's door
    w.stand([30, 250, 240, 140], acc=20.0)              # 11 minutes inside, the phone napping
    w.move(-walk_m, 0, 1.3)                             # back to the car
    w.move(0, 900, 7.0, halts=(4,))
    w.move(1200, 0, 7.5, halts=(6,))
    w.move(0, 30, 1.3)
    w.stand([60] * 30)
    return w.out


@pytest.mark.parametrize("walk_m", [100.0, 200.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_drive_off_from_where_the_car_was_parked_is_a_car_trip_of_its_own(walk_m, seed):
    tl = build_timeline(_errand(walk_m, seed))
    assert len(tl.trips) == 2, [[(g.mode, g.probs) for g in t.legs] for t in tl.trips]
    shop = next(s for s in tl.stays if s.start_ts > tl.trips[0].start_ts)
    assert shop.duration_s >= 600
    for trip in tl.trips:
        assert [g.mode for g in trip.legs if g.mode != "walk"] == ["car"], \
            [(g.mode, g.probs) for g in trip.legs]


def _case(off_x: float, stay_x: float) -> tuple:
    """A drive east ending at x=0, a walk to a stop at stay_x, a ride leaving from off_x."""
    def at(ts, x):
        return Fix(ts, LAT, LON + x / (M_PER_DEG * math.cos(math.radians(LAT))), 10.0)
    track = [at(T0 + k * 10, -1000 + 100 * k) for k in range(11)]                 # the drive
    track += [at(T0 + 100 + k * 10, stay_x * k / 8) for k in range(1, 9)]         # the walk
    track += [at(T0 + 800 + k * 10, off_x + 80 * k) for k in range(12)]           # the ride
    drive = Leg(T0, T0 + 100, 1000.0, "car", 0.6)
    before = Trip(T0, T0 + 180, 1100.0, [drive, Leg(T0 + 100, T0 + 180, 100.0, "walk", 1.0)])
    stay = Stay(T0 + 180, T0 + 800, LAT, LON + stay_x / (M_PER_DEG * math.cos(math.radians(LAT))), 5)
    ride = Leg(T0 + 800, T0 + 910, 880.0, "bus", 0.5)
    return before, stay, ride, track


def test_only_a_ride_from_the_cars_own_spot_after_walking_away_is_the_car_again():
    assert _back_at_the_car(*_case(off_x=10.0, stay_x=150.0))        # back at the car
    assert not _back_at_the_car(*_case(off_x=150.0, stay_x=150.0))   # a bus from the stop
    assert not _back_at_the_car(*_case(off_x=10.0, stay_x=20.0))     # stood by the car
