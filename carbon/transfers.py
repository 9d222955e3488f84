"""Waiting for a connection is part of the journey, not a stay.

A short stop where the mode changes and one side is a motor vehicle (walk to the station,
wait, ride the train) joins the two trips: people describe "I went to work by bike and train",
not two trips. The same short stop between two walks or two drives stays a stop (an errand).
"""
from carbon.legs import carry_bike
from carbon.model import Stay, Trip
from carbon.params import DEFAULT_PARAMS, Params

MOTOR_MODES = frozenset({"car", "carpool", "motorcycle", "bus", "tram", "train", "metro", "boat",
                         "plane"})


def is_transfer(before: Trip, stay: Stay, after: Trip, params: Params = DEFAULT_PARAMS) -> bool:
    if after.start_ts - before.end_ts > params.transfer_max_s:
        return False
    a, b = before.legs[-1].mode, after.legs[0].mode
    return a != b and (a in MOTOR_MODES or b in MOTOR_MODES)


def _join(x: Trip, y: Trip) -> Trip:
    return Trip(x.start_ts, y.end_ts, round(x.distance_m + y.distance_m, 1),
                carry_bike(x.legs + y.legs),
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
