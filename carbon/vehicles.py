"""Where the member's own vehicles are: a car or a bike stays where it was left.

A member can only leave with a vehicle that is where they are. Arriving somewhere by car
leaves the car there: the next trip out of that place is very likely by car (it has to be
brought back), and a ride on a bike from there needs a bike that is not there; leaving by
bus from work leaves the car at home. Tour-based models of mode choice make this a hard
constraint (vehicle availability along a tour: Miller, Roorda & Carrasco 2005, "A
tour-based model of travel mode choice", Transportation 32; Cirillo & Axhausen 2002,
"Mode choice of complex tours", ETH IVT report 120). Here it is soft: households share a
car, people keep a bike at work or take a shared one, and detection can be wrong about the
trip that left the vehicle. It moves the *kind* of trip (carbon.mode_params.TRIP_KINDS):
evidence from the trace still decides, the prior only weighs ambiguous trips (a slow car
in traffic against a bike, a car against a bus).

The state is where each vehicle was last left: the end of the last trip that used it (its
detected modes). Pure and deterministic: a rebuild and an incremental update agree when
the update starts from the same state (`carbon.Context.parked`, or the trips before it).
"""
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from carbon.geo import distance_m

CAR_MODES = frozenset({"car", "carpool", "motorcycle"})
CYCLE_MODES = frozenset({"bike", "e-bike", "e-scooter"})
# A vehicle parked within a few minutes' walk of where the trip starts is at hand (street
# parking, a car park, the bike shed: typically a few hundred metres from the door).
NEAR_M = 400.0
# Factors on the kind's prior. At hand: it must be taken home some time, and it is the
# obvious way to go; elsewhere: someone else's car, a shared or second bike. Deliberately
# mild against the surveys' near-certainty (car tours come back by car): the trip that
# "left" the vehicle may itself be misread, and a strong factor carries one error on to
# the next trips (4 or 8 instead of 2 cost Helsinki's PT-vs-car 3 points; docs/engine.md).
AT_HAND = 2.0
ELSEWHERE = {"car": 0.4, "bike": 0.5}


# A vehicle the member has not used for this long may have been moved by someone else in
# the household (or sold, or lent): where it is is no longer known. This also bounds how
# far back the gateway reads to know where the vehicles are.
STALE_S = 14 * 86400


@dataclass(frozen=True, slots=True)
class Parked:
    """(lat, lon, ts) where and when the member last left their car and their bike; None:
    not known."""
    car: tuple | None = None
    bike: tuple | None = None


UNKNOWN = Parked()


def after(parked: Parked, trip, at) -> Parked:
    """The state once `trip` is over: a vehicle it used is left `at` (lat, lon), where it
    ended."""
    modes = {leg.mode for leg in trip.legs}
    if at is None or not modes & (CAR_MODES | CYCLE_MODES):
        return parked
    spot = (at[0], at[1], trip.end_ts)
    return Parked(spot if modes & CAR_MODES else parked.car,
                  spot if modes & CYCLE_MODES else parked.bike)


def from_trips(trips, stays, parked: Parked = UNKNOWN) -> Parked:
    starts = [s.start_ts for s in stays]
    for trip in trips:
        parked = after(parked, trip, arrived(stays, starts, trip))
    return parked


def arrived(stays: list, starts: list, trip):
    """Where the trip ended: the stay it reached (its centre is steadier than the first
    fix after arriving, which a sparse phone may take hundreds of metres away), else its
    last fix."""
    k = bisect_left(starts, trip.end_ts)
    if k < len(stays) and stays[k].start_ts - trip.end_ts <= _NEXT_S:
        return (stays[k].lat, stays[k].lon)
    return trip.end


def left(stays: list, ends: list, trip):
    """Where the trip started: the stay it left, else its first fix."""
    k = bisect_right(ends, trip.start_ts) - 1
    if k >= 0 and trip.start_ts - stays[k].end_ts <= _NEXT_S:
        return (stays[k].lat, stays[k].lon)
    return trip.start


_NEXT_S = 600   # a stay this close in time to a trip's end (or start) is where it was


def _known(spot, start, ts: int) -> bool:
    """Where the vehicle was left, and recently enough to say it is still there."""
    return spot is not None and start is not None and ts - spot[2] <= STALE_S


def _within(spot, start, radius_m: float) -> bool:
    return distance_m(spot[0], spot[1], start[0], start[1]) <= radius_m


def _factor(spot, start, ts: int, name: str) -> float | None:
    """The factor on the kind's prior: AT_HAND or ELSEWHERE (None: nothing known)."""
    if not _known(spot, start, ts):
        return None
    return AT_HAND if _within(spot, start, NEAR_M) else ELSEWHERE[name]


def parked_at(parked: Parked, start, ts: int, radius_m: float) -> frozenset:
    """The kinds of the member's vehicles parked within `radius_m` of `start` at `ts`."""
    return frozenset(name for name, spot in (("car", parked.car), ("bike", parked.bike))
                     if _known(spot, start, ts) and _within(spot, start, radius_m))


_CACHE: dict = {}


def kinds_at(kinds: dict, parked: Parked, start, ts: int) -> dict:
    """The kinds of trip, their priors moved by which vehicles are at `start` (lat, lon)
    when the trip leaves at `ts`."""
    car = _factor(parked.car, start, ts, "car")
    bike = _factor(parked.bike, start, ts, "bike")
    if car is None and bike is None:
        return kinds
    key = (id(kinds), car, bike)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is kinds:
        return hit[1]
    out = dict(kinds)
    for name, factor in (("car", car), ("bike", bike)):
        if factor is not None and name in out:
            out[name] = dict(out[name], prior=out[name]["prior"] * factor)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (kinds, out)
    return out
