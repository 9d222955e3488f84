"""The engine's entry points: fixes in, a timeline of stays and trips out.

Incremental contract
--------------------
A timeline only changes after its last *closed, long* stay when new fixes arrive in time
order: that stay has been left (a trip follows it) and lasted longer than any connection
(Params.transfer_max_s), so neither its start nor anything before it can change; later stays
may still grow, be cut differently or be dissolved into a trip as a connection. So

    prev = build_timeline(points)
    ...new fixes arrive...
    since = prev.resume_ts                        # None: pass every fix
    tl = update_timeline(prev, fixes_with_ts_at_or_after(since - CONTEXT_S))

gives the same stays and trips as rebuilding from every fix (the CONTEXT_S margin lets the
first fixes of the window be cleaned and smoothed against the same neighbours as in a rebuild). A late batch whose earliest fix
is at ts changes the timeline from the last stay starting at or before ts:

    since = recompute_from(prev, ts)
    tl = update_timeline(prev, fixes_with_ts_at_or_after(since - CONTEXT_S), since=since)

Everything that starts before `since` is kept as it was; the caller must pass *all* fixes from
`since - CONTEXT_S` to now (not only the new ones).
"""
import math
import operator
from bisect import bisect_left
from dataclasses import replace

from carbon.assign import decide
from carbon.cleaning import smooth, unsmoothed
from carbon.geo import distance_m
from carbon.legs import split_legs
from carbon.speeds import jitter_m
from carbon.mode_params import LOOP_MIN_M, LOOP_PROB, LOOP_RADIUS_M
from carbon.model import Timeline, Trip
from carbon.params import DEFAULT_PARAMS, Context, Params
from carbon.priors import DEFAULT as DEFAULT_PRIORS, learn
from carbon.transfers import access_walks, join_transfers, landed_before
from carbon.trips import arrival_ts, departure_ts, read_before_stay, segment_track
from carbon import silence, vehicles

_TS = operator.attrgetter("ts")
CONTEXT_S = 600   # fixes this long before `since` are needed to clean the first ones alike
# How far behind the resume point a late batch still restarts from the belief detection had
# there (Timeline.beliefs): a phone's queue held back for hours or days, never weeks; where
# a vehicle was two weeks ago says nothing any more either (carbon.vehicles.STALE_S).
BELIEFS_S = vehicles.STALE_S


def priors_for(context: Context):
    """The member's priors: given, or learned from their corrections."""
    if getattr(context, "priors", None) is not None:
        return context.priors
    return learn(context.corrections) if context.corrections else DEFAULT_PRIORS


def _trip(points: list, a: int, b: int, params: Params, context: Context, priors,
          raw: list | None = None, unsettled: list | None = None) -> Trip:
    """`raw`: the track before smoothing, fix for fix (its scatter is the fixes' jitter).
    `unsettled`: gets (the trip's first fix's ts, read_to) when its decision read fixes after
    it (carbon.silence.phone_step): no resume point between the two, as a later fix up to
    read_to (math.inf: not all in yet) could decide it again."""
    seg = points[a:b + 1]
    jitter = jitter_m(raw[a:b + 1]) if raw is not None else None
    legs = split_legs(seg, params, context, priors.ranges, jitter)
    if not legs:
        return None
    legs[0].start_ts = departure_ts(seg, params)
    legs[-1].end_ts = arrival_ts(seg, params, points[b + 1] if b + 1 < len(points) else None)
    _loop_evidence(legs, seg)
    if silence.dark_hops(seg):
        step, settled, read_to = silence.phone_step(points, a, b)
        if read_to > seg[-1].ts and unsettled is not None:
            unsettled.append((seg[0].ts, read_to))
        silence.weigh(legs, seg, step if settled else None)
    access_walks(legs)
    legs = decide(legs, priors, context.owned_modes)
    _flight_ends(legs, seg, points[b + 1] if b + 1 < len(points) else None, params)
    distance = round(sum(leg.distance_m for leg in legs), 1)
    return Trip(legs[0].start_ts, legs[-1].end_ts, distance, legs,
                start=(round(seg[0].lat, 6), round(seg[0].lon, 6)),
                end=(round(seg[-1].lat, 6), round(seg[-1].lon, 6)))


def _flight_ends(legs: list, seg: list, after, params: Params) -> None:
    """A trip that begins (ends) with a flight seen as one silent hop: the phone was in flight
    mode from gate to gate, so the member left the last fix before the hop no earlier than
    the flight's block time before the first fix after it (params.flight_fixed_s +
    distance / flight_cruise_ms) and after that last fix: the trip starts then, if later.
    When the first fix after the hop ends the trip, the member left the plane
    params.deplane_s after it (never past the next fix). Both ends only move later, and
    within the hop (the departure airport's fixes before it stay with the trip's place)."""
    if legs[0].mode != "plane" and legs[-1].mode != "plane":
        return                  # most trips: not a fix pair measured for them
    steps = [(distance_m(p.lat, p.lon, q.lat, q.lon), k) for k, (p, q) in
             enumerate(zip(seg, seg[1:]))]
    if not steps:
        return
    d, k = max(steps)
    p, q = seg[k], seg[k + 1]
    if q.ts <= p.ts:
        return
    first, last = legs[0], legs[-1]
    before = [f for f in seg[:k] if f.ts >= first.start_ts]
    if (first.mode == "plane" and first.start_ts <= p.ts and q.ts <= first.end_ts
            and all(distance_m(f.lat, f.lon, p.lat, p.lon) <= 2 * params.stay_radius_m
                    for f in before)):
        # the leg's fixes before the hop are at the departure airport: the member was still
        # there at p, and took off no later than the block time before q
        left = q.ts - (params.flight_fixed_s + d / params.flight_cruise_ms)
        if left - p.ts > params.flight_spread_s:    # p is older than the block time can tell
            first.start_ts = int(left)
    if last.mode == "plane" and k + 1 == len(seg) - 1 and last.end_ts <= q.ts:
        end = q.ts + params.deplane_s
        if after is not None:
            end = min(end, after.ts)
        last.end_ts = int(max(last.end_ts, end))


def _loop_evidence(legs: list, seg: list) -> None:
    """A trip that comes back to where it started without stopping is done for its own
    sake (a run, a stroll, a ride), which public transport and cars rarely are; a run
    from one place to another is rare. Applies to the legs that make most of the trip."""
    total = sum(leg.distance_m for leg in legs)
    if total < LOOP_MIN_M:
        return
    loop = distance_m(seg[0].lat, seg[0].lon, seg[-1].lat, seg[-1].lon) <= LOOP_RADIUS_M
    for leg in legs:
        if leg.distance_m >= 0.6 * total and leg.loglik:
            for m in leg.loglik:
                p = LOOP_PROB.get(m, LOOP_PROB["other"])
                leg.loglik[m] += math.log(p if loop else 1.0 - p)
            if leg.features is not None:
                leg.features["loop"] = loop


def detect(points, params: Params = DEFAULT_PARAMS, context: Context | None = None,
           since: int | None = None, earlier: list = (), landed: bool = False) -> Timeline:
    """Stays, trips and legs with inferred modes; nothing member-specific applied yet.
    With `since`, fixes before it only serve as cleaning context; `earlier`: the stays
    before it (where the first trip may have left from, carbon.vehicles.left); `landed`: the
    member still at an arrival airport at `since` (carbon.transfers.landed_before)."""
    context = context or Context()
    priors = priors_for(context)
    raw = unsmoothed(points, params)
    track = smooth(raw)
    if since is not None:
        # the clean track is in strictly increasing time: the fixes from `since` on are
        # a suffix, found by bisection rather than a comparison a fix; `raw` is one for
        # one with the track's fixes
        start = bisect_left(track, since, key=_TS)
        raw, track = raw[start:], track[start:]
    stays, ranges = segment_track(track, params, anchored=since is not None,
                                  places=tuple(context.places),
                                  stamps=sorted(p.ts for p in points))
    unsettled = []
    trips, trip_priors, hand, states = _trips(track, ranges, list(earlier) + stays, params,
                                              context, priors, raw, unsettled)
    stays, trips = join_transfers(stays, trips, priors, context.owned_modes, params,
                                  trip_priors, hand, (context.transit, track), landed)
    # a trip read from the fix before the stay it leaves: no restart at that stay either
    lone = read_before_stay(track, ranges)
    resume = _resume_ts(stays, trips, params,
                        unsettled + ([(lone, math.inf)] if lone is not None else []))
    open_ts = min((first for first, upto in unsettled if upto == math.inf), default=None)
    return Timeline(stays, trips, resume, _parked_at(states, resume), open_ts, tuple(states))


def _trips(track: list, ranges: list, stays: list, params: Params, context: Context,
           priors, raw: list | None = None, unsettled: list | None = None) -> tuple:
    """The trips in order, each decided knowing where the member's vehicles were left
    (carbon.vehicles); the priors each was decided with, and the vehicles parked at
    its first fix, for the connections; and the states the belief went through
    ([(a trip's first fix's ts, the belief before it)], then the belief after the last)."""
    parked = waiting = context.parked or vehicles.UNKNOWN
    corrections = vehicles.leg_corrections(_certain(context))
    starts, ends = [s.start_ts for s in stays], [s.end_ts for s in stays]
    trips, trip_priors, hand, states = [], {}, {}, []
    for a, b in ranges:
        states.append((track[a].ts, parked))
        probe = Trip(track[a].ts, track[b].ts, 0.0, [], start=(track[a].lat, track[a].lon),
                     end=(track[b].lat, track[b].lon))
        kinds = vehicles.kinds_at(priors.kinds, parked, vehicles.left(stays, ends, probe),
                                 probe.start_ts)
        mine = priors if kinds is priors.kinds else replace(priors, kinds=kinds)
        trip = _trip(track, a, b, params, context, mine, raw, unsettled)
        if trip is not None:
            trips.append(trip)
            trip_priors[id(trip)] = mine
            # the vehicles at hand, and those of them that waited there before the ride in
            # (picked up after it) rather than came with it (an errand)
            near = (probe.start, probe.start_ts, params.stay_radius_m)
            hand[id(trip)] = (vehicles.parked_at(parked, *near),
                              vehicles.parked_at(waiting, *near))
            waiting, parked = parked, vehicles.after(
                parked, vehicles.corrected(trip, corrections),
                vehicles.arrived(stays, starts, probe))
    states.append((None, parked))
    return trips, trip_priors, hand, states


def _parked_at(states: list, ts: int | None):
    """The belief as detection had it at `ts` (a resume point: a long stay's start, every
    trip before it over): the one before the first trip starting at or after ts, which
    every later trip was decided from. The trips detected before ``join_transfers``
    count, as the filter ran over them, not the joined ones a store keeps."""
    if ts is None:
        return None
    return next(parked for start, parked in states if start is None or start >= ts)


def belief_at(tl: Timeline, ts: int):
    """Where detection believed the member's vehicles were at a stay starting at `ts`, as it
    decided the trips after it (what an update from that stay starts from). `ts` must be
    at or after where `tl`'s detection started (its first belief is the one it started
    from); None: no beliefs."""
    return _parked_at(tl.beliefs, ts) if tl.beliefs else None


def _certain(context: Context) -> tuple:
    """The corrections detection knows (see Context.certain)."""
    return context.corrections if context.certain is None else context.certain


def _resume_ts(stays: list, trips: list, params: Params, held: list = ()) -> int | None:
    """`held`: (first fix, read_to) of the trips whose decision read fixes after them up to
    read_to (carbon.silence), or read the fix before the stay it left (read_to: math.inf,
    carbon.trips.read_before_stay): the restart is at a stay before such a trip or after
    read_to."""
    last_departure = trips[-1].start_ts if trips else None
    for stay in reversed(stays):
        if last_departure is not None and last_departure >= stay.end_ts and \
                stay.duration_s > params.transfer_max_s and \
                all(stay.end_ts <= first or stay.start_ts >= upto for first, upto in held):
            return stay.start_ts
    return None


def _finish(tl: Timeline, context: Context) -> Timeline:
    """Apply what the member's context brings: places and purposes, corrections, footprints."""
    if context.places:
        from carbon.places import assign_places
        assign_places(tl, context.places)
    if context.corrections:
        from carbon.corrections import apply_corrections
        apply_corrections(tl, context.corrections)
    if context.vehicle is not None:
        from carbon.footprint import apply_footprints
        apply_footprints(tl, context.vehicle)
    return tl


def build_timeline(points, params: Params = DEFAULT_PARAMS, context: Context | None = None) -> Timeline:
    """The member's timeline from fixes in any order (duplicates and junk are tolerated)."""
    context = context or Context()
    return _finish(detect(points, params, context), context)


def recompute_from(tl: Timeline, ts: int, params: Params = DEFAULT_PARAMS) -> int | None:
    """Where to restart `tl` for fixes at or after ts (``restart_stay`` over its stays);
    None means rebuild from the first fix."""
    def last_starts(bound: int, n: int) -> list:
        starts = []
        for stay in tl.stays:
            if stay.start_ts > bound:
                break
            if stay.duration_s > params.transfer_max_s:
                starts.append(stay.start_ts)
        return starts[-n:]
    return restart_stay(last_starts, ts, tl.resume_ts, _forgotten(tl))


def restart_stay(last_starts, ts: int, resume_ts: int | None,
                 forgotten: tuple | None = None) -> int | None:
    """The one restart rule of a late batch whose first fix is at ts, for a timeline in
    memory (``recompute_from``) and a store's stays (the gateway's window): the start of the
    stay before the last stay starting at or before ts, both longer than transfer_max_s,
    as a resume point is (``_resume_ts``), and no later than resume_ts (after it
    everything is provisional: a trip there may still wait for later fixes,
    carbon.silence). None: rebuild from the first fix. A shorter stay is a short stop
    whose start is its arrival, not where its run began (detection from there would not
    see it), or a stop the trips either side of it may still join as a connection once
    the late fixes decide the ride after it (a drive read car before them, bus after, the
    stop its wait: errands sparse, round 13 errand-car); restarted there, the trip before
    it was kept as it stood and the connection never decided again. The same holds of a change a
    joint decision reads across (two buses kept as two trips and decided as one journey,
    carbon.transfers._changed; a connecting flight at the gate): restarted there, the
    ride after it was decided alone (round 13, long-restart: the second bus stored as a
    car on 3 of 8 bus-change histories, engine and gateway).

    `last_starts(bound, n)`: the starts, in time order, of the last n stays longer than
    transfer_max_s that start at or before bound (a list's tail, or one query of a store).
    `forgotten`: (after, upto), where a restart has no belief of the vehicles kept
    (``_forgotten``); None: every one is kept (the gateway's stays.parked, which asks
    for a rebuild itself where a stay stored before m0014 has none)."""
    if resume_ts is None:
        return None
    starts = last_starts(min(ts, resume_ts), 2)
    # the stay found may be the one the late fixes fall in: they move its centre, so where
    # its first fixes are within its radius, so its start; only the stay before it is kept
    if len(starts) < 2:
        return None
    since = starts[-2]
    if forgotten is not None and forgotten[0] < since <= forgotten[1]:
        return None     # where the vehicles were then is no longer known: rebuild, not guess
    return since


def _forgotten(tl: Timeline) -> tuple | None:
    """(after, upto): the restarts whose beliefs update_timeline dropped (those older than
    BELIEFS_S before the resume point): after a trip (its start: after) with no belief kept
    at or before them (the first kept: upto; update_timeline reads beliefs older than the
    restart). Reading the vehicles back from the trips there is an estimate that a rebuild
    does not make (the trips were joined and decided again since). None: none dropped."""
    if not tl.beliefs or not tl.trips:
        return None
    first = tl.beliefs[0][0]       # None only as the last entry (after the last trip)
    return None if first is None else (tl.trips[0].start_ts, first)


def extend_stay(prev: Timeline, fix, params: Params = DEFAULT_PARAMS) -> bool:
    """Fast path for one new fix while the member is still at their last stay (the common
    case: a phone at home or at work). Extends that stay in place and returns True when the
    fix is later than everything and within the stay's radius; False means "call
    update_timeline". Only the stay's end moves; the next update_timeline reconciles the rest."""
    if not prev.stays or fix.ts <= prev.stays[-1].end_ts:
        return False
    stay = prev.stays[-1]
    if prev.trips and prev.trips[-1].end_ts > stay.start_ts:
        return False                      # a trip has left this stay already
    if (fix.acc or 0.0) > params.max_acc_m:
        return True                       # cleaning would drop it: nothing changes
    if distance_m(stay.lat, stay.lon, fix.lat, fix.lon) > 0.5 * params.stay_radius_m:
        return False
    stay.end_ts = fix.ts
    return True


def update_timeline(prev: Timeline, points_since, params: Params = DEFAULT_PARAMS,
                    context: Context | None = None, since: int | None = None,
                    landed: bool | None = None) -> Timeline:
    """prev with everything from `since` (default prev.resume_ts) recomputed from points_since,
    which must hold every fix with ts >= since - CONTEXT_S (older ones are ignored). From
    prev.resume_ts, the trips are decided from prev.parked, where detection believed the
    vehicles were there (a caller whose leg corrections before it changed since passes
    Context.parked instead, or rebuilds); from elsewhere, from a belief read back from
    prev's trips. `landed`: the member still at an arrival airport at `since`
    (carbon.transfers.landed_before; None: read from prev's stays and trips before it)."""
    context = context or Context()
    since = prev.resume_ts if since is None else since
    if since is None:
        return build_timeline(points_since, params, context)
    before = [t for t in prev.trips if t.start_ts < since]
    if context.parked is None and prev.parked is not None and since == prev.resume_ts:
        # where the vehicles were left, as the detection that found the resume point knew
        # it: what a rebuild from the first fix knows there
        context = replace(context, parked=prev.parked)
    elif context.parked is None and prev.beliefs and prev.beliefs[0][0] is not None \
            and prev.beliefs[0][0] < since:
        # a late batch: the belief detection had before the first trip from `since` on,
        # the rebuild's too when the fixes before `since` are as they were
        context = replace(context, parked=_parked_at(prev.beliefs, since))
    elif before and context.parked is None:   # else read back from the trips (an estimate)
        context = replace(context, parked=vehicles.from_trips(
            before, [s for s in prev.stays if s.start_ts <= since],
            corrections=_certain(context)))
    kept = [s for s in prev.stays if s.start_ts < since]
    if landed is None:      # as the rebuild's join_transfers has it there
        landed = landed_before(kept, before, since, params)
    fresh = detect([p for p in points_since if p.ts >= since - CONTEXT_S], params, context, since,
                   kept[-1:], landed)
    stays = kept + fresh.stays
    trips = before + fresh.trips
    resume = fresh.resume_ts if fresh.resume_ts is not None else since
    parked = fresh.parked if fresh.resume_ts is not None else context.parked
    # bounded as the late batches it serves are: for one from further back than BELIEFS_S
    # before the resume point recompute_from says rebuild, so a live timeline carries no
    # more beliefs than that span's trips
    horizon = resume - BELIEFS_S
    beliefs = tuple(b for b in prev.beliefs if b[0] is not None and horizon <= b[0] < since) \
        + fresh.beliefs
    return _finish(Timeline(stays, trips, resume, parked, fresh.open_ts, beliefs), context)
