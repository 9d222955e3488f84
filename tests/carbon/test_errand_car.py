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


def _park_and_ride(seed: int) -> list:
    """Park and ride where the rails run beside the car park (most P+R sites; a street
    parking on a tram line): drive 7 km, park with the track 25 m off, walk 150 m to the
    platform, wait 8 minutes, and the train leaves the other way, past the car within its
    first 20 s (review13b's repro, at 1 s)."""
    rng, t, x, y, out = random.Random(seed), T0, 0.0, -7000.0, []
    my, mx = 1 / M_PER_DEG, 1 / (M_PER_DEG * math.cos(math.radians(LAT)))

    def put(n=1, dx=0.0, dy=0.0, sd=0.0):
        nonlocal t, x, y
        for _ in range(n):
            t, x, y = t + 1, x + dx, y + dy
            out.append(Fix(t, LAT + (y + rng.gauss(0, sd) + rng.gauss(0, 3)) * my,
                           LON + (x + rng.gauss(0, sd / 2) + rng.gauss(0, 3)) * mx, 6.0))
    put(900)                                            # home
    put(60, dx=1.2)                                     # to the car
    x = 0.0
    while y < -150:                                     # 12 m/s, lights every 800 m
        t += 0 if int(y) % 800 > 30 else 24
        put(dy=12.0)
    for k in range(15):                                 # into the space
        put(dy=10.0 * (15 - k) / 15)
    put(20)
    car_y = y
    put(115, dx=25.0 / 115, dy=1.3)                     # to the platform
    x -= 5.0
    put(480, sd=3.0)                                    # 8 minutes' wait
    x, v = 25.0, 0.0
    while y > car_y - 10_000:                           # the train, south past the car
        v = min(v + 0.8, 22.0)
        put(dy=-v)
    put(30)
    put(200, dx=1.3)                                    # walk out
    put(900)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_train_leaving_past_the_parked_car_is_a_train_not_the_car_again(seed):
    tl = build_timeline(_park_and_ride(seed))
    assert len(tl.trips) == 1, [[(g.mode, round(g.distance_m)) for g in t.legs] for t in tl.trips]
    rides = [(g.mode, g.distance_m) for g in tl.trips[0].legs if g.mode != "walk"]
    assert [m for m, _ in rides] == ["car", "train"], rides
    assert rides[1][1] > 9000


def test_the_car_is_reached_on_foot_a_train_passes_it():
    before, stay, ride, track = _case(off_x=10.0, stay_x=150.0)
    assert _back_at_the_car(before, stay, ride, track)
    # the ride leaves from the platform 140 m off and passes the car 10 s later, at 13 m/s
    at = track[0].__class__
    k = next(i for i, p in enumerate(track) if p.ts >= ride.start_ts)
    lon_of = (lambda x: LON + x / (M_PER_DEG * math.cos(math.radians(LAT))))
    passing = [at(ride.start_ts, LAT, lon_of(140.0), 10.0), at(ride.start_ts + 10, LAT, lon_of(10.0), 10.0)]
    passing += [at(ride.start_ts + 10 + 10 * j, LAT, lon_of(10.0 - 140 * j), 10.0) for j in range(1, 6)]
    assert not _back_at_the_car(before, stay, ride, track[:k] + passing)
