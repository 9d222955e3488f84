"""Member corrections, applied after every detection so that they survive rebuilds.

A correction is keyed by the time span it was made on, not by a row id: a rebuild may cut a
leg a few seconds differently, and the corrected leg is the one that overlaps it most. A leg
correction also remembers where its trip went, so that similar trips between the same two
places (the daily commute) get the corrected mode by default ("recurring trips").
"""
from dataclasses import dataclass, field

from carbon.geo import distance_m

LEG_MODE = "leg_mode"
TRIP_PURPOSE = "trip_purpose"
MIN_OVERLAP = 0.5            # share of the shorter span that must overlap
SAME_PLACE_M = 250.0
SAME_DISTANCE = 0.3          # relative difference in trip length
LEARNED_CONFIDENCE = 0.9


@dataclass(frozen=True, slots=True)
class Correction:
    kind: str                    # LEG_MODE or TRIP_PURPOSE
    start_ts: int                # span of the leg (or trip) as the member saw it
    end_ts: int
    value: str                   # the mode or the purpose
    created_ts: int = 0          # later corrections win
    trip_start: tuple | None = None   # (lat, lon) of the trip's ends, for recurring trips
    trip_end: tuple | None = None
    trip_distance_m: float | None = None
    main_leg: bool = False       # the corrected leg carried most of its trip; for a purpose:
                                 # the member asked for it on similar trips too
    was: str | None = None       # the mode the member corrected away from
    # what the engine measured on the leg (carbon.likelihood.measurable), so that the
    # member's own speeds teach the model (carbon.priors)
    features: dict | None = field(default=None, compare=False, hash=False)


def correct_leg(trip, leg, mode: str, created_ts: int = 0) -> Correction:
    """The correction to store when a member sets a leg's mode."""
    main = leg.distance_m >= 0.5 * max(trip.distance_m, 1.0)
    return Correction(LEG_MODE, leg.start_ts, leg.end_ts, mode, created_ts,
                      trip.start, trip.end, trip.distance_m, main, leg.mode,
                      dict(leg.features) if leg.features else None)


def correct_purpose(trip, purpose: str, created_ts: int = 0) -> Correction:
    return Correction(TRIP_PURPOSE, trip.start_ts, trip.end_ts, purpose, created_ts,
                      trip.start, trip.end, trip.distance_m)


def _overlap_share(a0, a1, b0, b1) -> float:
    overlap = min(a1, b1) - max(a0, b0)
    shorter = max(min(a1 - a0, b1 - b0), 1)
    return overlap / shorter if overlap > 0 else 0.0


def best_match(items, c: Correction):
    """The item (trip or leg) the correction overlaps most, by share of the shorter, or None."""
    best, best_share = None, MIN_OVERLAP
    for item in items:
        share = _overlap_share(item.start_ts, item.end_ts, c.start_ts, c.end_ts)
        if share >= best_share:
            best, best_share = item, share
    return best


def _similar(trip, c: Correction) -> bool:
    if not (c.trip_start and c.trip_end and trip.start and trip.end and c.trip_distance_m):
        return False
    if distance_m(*trip.start, *c.trip_start) > SAME_PLACE_M:
        return False
    if distance_m(*trip.end, *c.trip_end) > SAME_PLACE_M:
        return False
    return abs(trip.distance_m - c.trip_distance_m) <= SAME_DISTANCE * c.trip_distance_m


def apply_corrections(timeline, corrections, recurring: bool = True) -> None:
    """Apply corrections in place: direct ones first, then learned ones on similar trips."""
    ordered = sorted(corrections, key=lambda c: c.created_ts)
    corrected_trips, purposed_trips = set(), set()
    for c in ordered:
        trip = best_match(timeline.trips, c)
        if trip is None:
            continue
        if c.kind == TRIP_PURPOSE:
            trip.purpose = c.value
            purposed_trips.add(id(trip))
            continue
        leg = best_match(trip.legs, c)
        if leg is not None:
            leg.mode, leg.confidence, leg.corrected = c.value, 1.0, True
            corrected_trips.add(id(trip))
    if recurring:
        _apply_recurring(timeline, [c for c in ordered if c.kind == LEG_MODE and c.main_leg],
                         corrected_trips)
        # A purpose given "for similar trips" (main_leg set on a purpose correction) goes to
        # the trips between the same places that were not given one directly.
        for c in (c for c in ordered if c.kind == TRIP_PURPOSE and c.main_leg):
            for trip in timeline.trips:
                if id(trip) not in purposed_trips and _similar(trip, c):
                    trip.purpose = c.value


def _apply_recurring(timeline, learned: list, corrected_trips: set) -> None:
    if not learned:
        return
    for trip in timeline.trips:
        if id(trip) in corrected_trips or not trip.legs:
            continue
        match = None
        for c in learned:           # oldest first, so the latest similar correction wins
            if _similar(trip, c):
                match = c
        if match is not None:
            main = max(trip.legs, key=lambda leg: leg.distance_m)
            if main.confidence < LEARNED_CONFIDENCE:
                main.mode, main.confidence = match.value, LEARNED_CONFIDENCE
