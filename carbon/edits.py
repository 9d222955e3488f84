"""What the member said about a trip's shape: "I stopped here" (split) and "these two are
one journey" (merge). Applied to the engine's stays and trips after every detection, like
corrections, so they survive rebuilds.

An edit is keyed by time, not by row id: a rebuild may move a trip's ends by a few
seconds, so a merge matches the trip ending within ``MATCH_S`` of the moment it was made
on. Applying an edit twice changes nothing (a split at a trip's boundary, a merge inside
one trip), so stored trips can have the edits applied again.
"""
from dataclasses import dataclass, replace

from carbon.model import Leg, Stay, Trip

SPLIT = "split"
MERGE = "merge"
MATCH_S = 300


@dataclass(frozen=True, slots=True)
class TripEdit:
    kind: str                      # SPLIT or MERGE
    ts: int                        # split: the moment; merge: the end of the first trip
    until_ts: int | None = None    # merge: the start of the trip joined to it
    at: tuple | None = None        # split: (lat, lon) at ts
    created_ts: int = 0


def apply_edits(stays: list, trips: list, edits) -> tuple[list, list]:
    """(stays, trips) with the edits applied in the order they were made."""
    stays, trips = list(stays), sorted(trips, key=lambda t: t.start_ts)
    for e in sorted(edits, key=lambda e: e.created_ts):
        if e.kind == SPLIT:
            trips, stays = _split(trips, stays, e)
        elif e.kind == MERGE:
            trips, stays = _merge(trips, stays, e)
    return stays, trips


def _split(trips: list, stays: list, e: TripEdit) -> tuple[list, list]:
    for i, t in enumerate(trips):
        if t.start_ts < e.ts < t.end_ts:
            first, second = split_trip(t, e.ts, e.at)
            if e.at is not None:
                stays = sorted(stays + [Stay(e.ts, e.ts, e.at[0], e.at[1], 0)],
                               key=lambda s: s.start_ts)
            return trips[:i] + [first, second] + trips[i + 1:], stays
    return trips, stays


def split_trip(t: Trip, ts: int, at: tuple | None) -> tuple[Trip, Trip]:
    """The trip cut at ts; a leg running across ts is cut too, its distance shared by time."""
    before, after = [], []
    for leg in t.legs:
        if leg.end_ts <= ts:
            before.append(leg)
        elif leg.start_ts >= ts:
            after.append(leg)
        else:
            a, b = _cut_leg(leg, ts)
            before.append(a)
            after.append(b)
    first = Trip(t.start_ts, ts, sum(g.distance_m for g in before), before,
                 start=t.start, end=at or t.end, start_place=t.start_place)
    second = Trip(ts, t.end_ts, sum(g.distance_m for g in after), after,
                  start=at or t.start, end=t.end, end_place=t.end_place)
    return first, second


def _cut_leg(leg: Leg, ts: int) -> tuple[Leg, Leg]:
    share = (ts - leg.start_ts) / max(leg.end_ts - leg.start_ts, 1)
    points = round(leg.n_points * share)
    a = replace(leg, end_ts=ts, distance_m=leg.distance_m * share, n_points=points)
    b = replace(leg, start_ts=ts, distance_m=leg.distance_m * (1 - share),
                n_points=leg.n_points - points)
    return a, b


def _merge(trips: list, stays: list, e: TripEdit) -> tuple[list, list]:
    if any(t.start_ts < e.ts < t.end_ts for t in trips):
        return trips, stays                      # already one trip there
    for i, a in enumerate(trips[:-1]):
        b = trips[i + 1]
        if abs(a.end_ts - e.ts) <= MATCH_S and (
                e.until_ts is None or abs(b.start_ts - e.until_ts) <= MATCH_S):
            joined = Trip(a.start_ts, b.end_ts, a.distance_m + b.distance_m, a.legs + b.legs,
                          start=a.start, end=b.end, start_place=a.start_place,
                          end_place=b.end_place)
            between = [s for s in stays if s.start_ts >= a.end_ts and s.end_ts <= b.start_ts]
            kept = [s for s in stays if s not in between]
            return trips[:i] + [joined] + trips[i + 2:], kept
    return trips, stays
