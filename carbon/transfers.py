"""Waiting for a connection is part of the journey, not a stay.

A short stop where the mode changes and one side is a motor vehicle (walk to the station,
wait, ride the train) joins the two trips: people describe "I went to work by bike and train",
not two trips. The same short stop between two walks or two drives stays a stop (an errand).
"""
from carbon.geo import distance_m
from carbon.legs import FOOT_MODES, carry_bike
from carbon.model import Leg, Stay, Trip
from carbon.params import DEFAULT_PARAMS, Params

MOTOR_MODES = frozenset({"car", "carpool", "motorcycle", "bus", "tram", "train", "metro", "boat",
                         "plane"})


def is_transfer(before: Trip, stay: Stay, after: Trip, params: Params = DEFAULT_PARAMS) -> bool:
    if after.start_ts - before.end_ts > params.transfer_max_s:
        return False
    a, b = before.legs[-1].mode, after.legs[0].mode
    return a != b and (a in MOTOR_MODES or b in MOTOR_MODES)


def _cover_wait(x: Trip, y: Trip) -> None:
    """Give the connection between x and y (the stop that was a stay) to a leg, so the
    joined trip's legs cover it. The member is out of any vehicle there: the walk leg on
    either side takes it (the walk to the car ends when the car moves, the walk to the bus
    stop includes the wait at it). Waiting *for* a vehicle is part of using it: between a
    ride and a motor vehicle the wait goes to the motor side, as for a halt inside a fast
    stretch (legs._split_at_halt): the wait for the train; between two motor vehicles, to
    the one boarded next. After alighting to ride on, nothing of the vehicle is left (a
    stop that is a stay is longer than any station halt): the member is on foot, getting
    from the vehicle to the bike (walking it out of the station, unlocking it), so that
    time is a walk leg of its own until the ride moves."""
    before, after = x.legs[-1], y.legs[0]
    if y.start_ts <= x.end_ts:
        return
    if before.mode in FOOT_MODES:
        before.end_ts = y.start_ts
    elif after.mode in FOOT_MODES or after.mode in MOTOR_MODES:
        after.start_ts = x.end_ts
    elif before.mode in MOTOR_MODES:
        x.legs.append(Leg(x.end_ts, y.start_ts, _gap_m(x, y), "walk", 0.5))
    else:
        before.end_ts = y.start_ts


def _gap_m(x: Trip, y: Trip) -> float:
    """Ground covered between the arrival of x and the departure of y."""
    if x.end is None or y.start is None:
        return 0.0
    return round(distance_m(x.end[0], x.end[1], y.start[0], y.start[1]), 1)


def _join(x: Trip, y: Trip) -> Trip:
    _cover_wait(x, y)
    legs = carry_bike(x.legs + y.legs)
    return Trip(x.start_ts, y.end_ts, round(sum(leg.distance_m for leg in legs), 1), legs,
                start=x.start, end=y.end)


def join_transfers(stays: list, trips: list, params: Params = DEFAULT_PARAMS) -> tuple:
    """(stays, trips) with transfer stops dissolved into the trips around them."""
    seq = sorted(stays + trips, key=lambda item: (item.start_ts, isinstance(item, Trip)))
    out = []
    for item in seq:
        if (isinstance(item, Trip) and len(out) >= 2 and isinstance(out[-1], Stay)
                and isinstance(out[-2], Trip) and is_transfer(out[-2], out[-1], item, params)):
            out.pop()
            out.append(_join(out.pop(), item))
        else:
            out.append(item)
    return [s for s in out if isinstance(s, Stay)], [t for t in out if isinstance(t, Trip)]
