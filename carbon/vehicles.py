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

The state is a belief, not a certainty: the surveys' tours know which trips used the car,
detection only knows how probable that is. A trip that used the car with probability p
(its legs' probabilities, or 1 / 0 for a leg the member corrected) leaves it where it
ended with probability p; with 1 - p it is wherever it was before. So each vehicle is at
a few spots, each with its probability, and a trip's kinds of trip are those expected over
where the vehicles may be: each case's priors (its factors applied, normalised) weighed by
its probability, the earlier decisions marginalised (a forward filter: the prior of the
trip given every trip before it). A 10 km train ride that reads 0.7 as a car does not move
the car for certain, and the member's real drives later keep most of their prior. Pure and
deterministic: a rebuild and an incremental update agree when the update starts from the
same state: the one detection had at the resume point (`carbon.Timeline.parked`, which
`update_timeline` and the gateway's pipeline_state keep, handed back as
`carbon.Context.parked`). Read back from the trips before it (`from_trips`), it is only an
estimate: those are the trips as joined and decided again, not the ones the filter ran over.
"""
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace

from carbon.corrections import LEG_MODE, best_match
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
# The belief keeps the spots that still matter: below this probability a spot moves a
# factor by a few per cent at most (what is left is "not known", factor 1). Measured:
# 0.005 and 8 spots give the same figures on every set (docs/engine.md, round 7).
MIN_P = 0.02
MAX_SPOTS = 4


@dataclass(frozen=True, slots=True)
class Parked:
    """Where the member's car and bike may be: per vehicle, the spots (lat, lon, ts, p)
    it may have been left at, latest first, p the probability that it is there (the rest:
    not known). () : nothing known."""
    car: tuple = ()
    bike: tuple = ()


UNKNOWN = Parked()


def left_at(lat: float, lon: float, ts: int, p: float = 1.0) -> tuple:
    """A vehicle's belief: left at (lat, lon) at ts with probability p."""
    return ((lat, lon, ts, p),)


def used(trip) -> tuple:
    """(p_car, p_bike): the probability that the trip used the member's car, their bike.
    A trip uses one private vehicle (its kind); each leg's probabilities say how likely it
    was ridden on it, and the likeliest leg says it for the trip. A leg the member
    corrected is certain."""
    car = bike = 0.0
    for leg in trip.legs:
        if leg.corrected or not leg.probs:
            probs = {leg.mode: 1.0}
        else:
            probs = leg.probs
        car = max(car, sum(p for m, p in probs.items() if m in CAR_MODES))
        bike = max(bike, sum(p for m, p in probs.items() if m in CYCLE_MODES))
    return min(car, 1.0), min(bike, 1.0)


def _moved(spots: tuple, spot: tuple, p: float) -> tuple:
    """The belief once a trip took the vehicle to `spot` with probability p."""
    if p < MIN_P:
        return spots
    rest = tuple((a, b, t, w * (1.0 - p)) for a, b, t, w in spots if w * (1.0 - p) >= MIN_P)
    return (spot + (p,),) + rest[:MAX_SPOTS - 1]


def after(parked: Parked, trip, at) -> Parked:
    """The state once `trip` is over: a vehicle it used is left `at` (lat, lon), where it
    ended, with the probability that it used it."""
    if at is None:
        return parked
    car, bike = used(trip)
    if car < MIN_P and bike < MIN_P:
        return parked
    spot = (at[0], at[1], trip.end_ts)
    return Parked(_moved(parked.car, spot, car), _moved(parked.bike, spot, bike))


def leg_corrections(corrections) -> tuple:
    """The member's leg corrections in the order they made them (the latest wins)."""
    return tuple(sorted((c for c in corrections or () if c.kind == LEG_MODE),
                        key=lambda c: c.created_ts))


def corrected(trip, corrections: tuple):
    """The trip as the member corrected it (`corrections`: leg_corrections): a leg that
    a correction overlaps, as carbon.corrections matches them, has that mode for certain."""
    legs = None
    for c in corrections:
        if c.end_ts <= trip.start_ts or c.start_ts >= trip.end_ts:
            continue
        legs = legs or list(trip.legs)
        best = best_match(legs, c)
        if best is not None:
            k = next(k for k, leg in enumerate(legs) if leg is best)
            legs[k] = replace(best, mode=c.value, corrected=True)
    return trip if legs is None else replace(trip, legs=legs)


def from_trips(trips, stays, parked: Parked = UNKNOWN, corrections=()) -> Parked:
    starts = [s.start_ts for s in stays]
    corrections = leg_corrections(corrections)
    for trip in trips:
        parked = after(parked, corrected(trip, corrections), arrived(stays, starts, trip))
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
    return start is not None and ts - spot[2] <= STALE_S


def _within(spot, start, radius_m: float) -> bool:
    return distance_m(spot[0], spot[1], start[0], start[1]) <= radius_m


def parked_at(parked: Parked, start, ts: int, radius_m: float) -> frozenset:
    """The kinds of the member's vehicles more likely than not parked within `radius_m`
    of `start` at `ts`."""
    return frozenset(name for name, spots in (("car", parked.car), ("bike", parked.bike))
                     if sum(s[3] for s in spots
                            if _known(s, start, ts) and _within(s, start, radius_m)) >= 0.5)


_CACHE: dict = {}


def _cases(spots: tuple, start, ts: int, name: str) -> list:
    """[(probability, factor)]: each spot the vehicle may be at, and not known."""
    known = [s for s in spots if _known(s, start, ts)]
    out = [(s[3], AT_HAND if _within(s, start, NEAR_M) else ELSEWHERE[name]) for s in known]
    return out + [(max(0.0, 1.0 - sum(p for p, _ in out)), 1.0)]


def kinds_at(kinds: dict, parked: Parked, start, ts: int) -> dict:
    """The kinds of trip leaving `start` (lat, lon) at `ts`, their priors those expected
    over where the vehicles may be (each case's priors normalised, weighed by its
    probability; their total kept)."""
    car = _cases(parked.car, start, ts, "car")
    bike = _cases(parked.bike, start, ts, "bike")
    if len(car) == 1 and len(bike) == 1:
        return kinds
    key = (id(kinds), tuple(car), tuple(bike))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is kinds:
        return hit[1]
    mixed = dict.fromkeys(kinds, 0.0)
    for pc, fc in car:
        for pb, fb in bike:
            w = {k: v["prior"] * (fc if k == "car" else fb if k == "bike" else 1.0)
                 for k, v in kinds.items()}
            z = sum(w.values()) or 1.0      # every prior 0: nothing to weigh
            for k in kinds:
                mixed[k] += pc * pb * w[k] / z
    total = sum(v["prior"] for v in kinds.values())
    out = {k: dict(v, prior=mixed[k] * total) for k, v in kinds.items()}
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (kinds, out)
    return out
