"""A stay ends where the member left it, even when the way out stays inside its radius.

Round 11 (errand-stops): a car parked 30-80 m from the shop is walked to and then driven
off, often back past the door; a phone reporting every second shows that stretch on the
move, so the trip starts with the walk, not when the car passes the door
(carbon.stays._off_the_ride)."""
import random

from carbon import build_timeline
from carbon.fix import Fix

from carbon_helpers import HOME, shift

T0 = 1_772_400_000


def _day(walk_north_m: float, walk_s: int, back_past_door: bool, seed: int = 1):
    rng = random.Random(seed)
    fixes, t = [], T0

    def at(place, acc=8.0):
        # a 1 Hz phone's fixes at rest drift by a metre or two around the place
        fixes.append(Fix(t, *shift(place, rng.gauss(0, 1.5), rng.gauss(0, 1.5)), acc))

    for _ in range(600):                         # ten minutes at the shop
        at(HOME)
        t += 1
    walk_start = t
    for k in range(walk_s):                      # the walk to the car
        at(shift(HOME, walk_north_m * k / walk_s))
        t += 1
    car = shift(HOME, walk_north_m)
    heading = -1.0 if back_past_door else 1.0
    for k in range(150):                         # 10 m/s away, past the door or not
        at(shift(car, heading * 10.0 * k))
        t += 1
    end = shift(car, heading * 1500.0)
    for _ in range(600):
        at(end)
        t += 1
    return build_timeline(fixes), walk_start


def test_a_drive_back_past_the_door_starts_the_trip_at_the_walk():
    tl, walk_start = _day(40.0, 30, back_past_door=True)
    assert len(tl.trips) == 1
    # the member left the shop at walk_start: the trip starts within a walker's first
    # ten metres or so, not ~35 s later when the car passes the door
    assert tl.trips[0].start_ts <= walk_start + 15
    assert tl.stays[0].end_ts <= walk_start + 15


def test_a_drive_straight_out_starts_the_trip_at_the_walk_too():
    tl, walk_start = _day(40.0, 30, back_past_door=False)
    assert len(tl.trips) == 1
    assert tl.trips[0].start_ts <= walk_start + 15


def test_the_member_at_rest_is_not_trimmed_off_the_stay():
    tl, walk_start = _day(40.0, 30, back_past_door=True)
    # ten minutes at the shop stay a stay of about ten minutes
    assert tl.stays[0].end_ts - tl.stays[0].start_ts >= 560
    assert tl.stays[0].end_ts >= walk_start - 5
