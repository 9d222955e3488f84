"""From a clean track to stays and the trips between them.

A trip runs from the last fix of one stay (departure) to the first fix of the next (arrival).
It is cut where the phone fell silent for long without covering the ground a vehicle would
have (a long gap is missing data, not a journey), or reported nothing at all for an hour or
more that no flight explains (the logger off between two sessions), except for the silence of a phone asleep at
a stay that wakes up a short hop away and records densely (that hop is the trip leaving the
place), and dropped when it never gets `min_trip_m` from where it left (GPS wander).
"""
from bisect import bisect_left, bisect_right

from carbon.envelopes import ENVELOPES
from carbon.geo import distance_m
from carbon.model import Stay
from carbon.params import DEFAULT_PARAMS, Params
from carbon.stays import _WALK_IN_MS, WALK_PACE_MS, find_stays, quiet_until, step_weights, weighted_median


def make_stay(points: list, first: int, last: int) -> Stay:
    """A stay lasts until the member could have left: its last fix, or later when the phone
    fell asleep there (see carbon.stays.quiet_until)."""
    seg = points[first:last + 1]
    lat = sum(p.lat for p in seg) / len(seg)
    lon = sum(p.lon for p in seg) / len(seg)
    end = quiet_until(points, last) if last + 1 < len(points) else points[last].ts
    return Stay(points[first].ts, end, round(lat, 6), round(lon, 6), len(seg), acc=_acc(seg))


def _acc(seg: list) -> float | None:
    """The stay's accuracy over its time (a fix weighs the time it stands for, so the
    dense fixes of the walk in do not outvote the few reported inside). A stay seen by
    one fix (a phone asleep at the place until it left) has that fix's accuracy."""
    if len(seg) == 1:
        return seg[0].acc
    accs, weights = [p.acc for p in seg[:-1]], step_weights(seg, 300)   # a fix a step
    if None in accs:        # the steps of fixes without an accuracy left out
        kept = [k for k, a in enumerate(accs) if a is not None]
        accs, weights = [accs[k] for k in kept], [weights[k] for k in kept]
    return round(weighted_median(accs, weights), 1) if accs else None


def _moves(stays: list, n: int) -> list:
    """(first, last, stay before or None, stay after or None) index ranges between stays,
    including the stay fixes on either side."""
    moves, cursor, before = [], 0, None
    for k, (first, last) in enumerate(stays):
        if first > cursor:
            moves.append((cursor, first, before, k))
        cursor, before = last, k
    if n and cursor < n - 1:
        moves.append((cursor, n - 1, before, None))
    return moves


def _is_silence(p, q, params: Params, stamps: list | None = None,
                ends: tuple | None = None) -> bool:
    """Is p -> q missing data rather than travel? Slow for its length of time (a phone
    asleep at a place it then left), or, with the phone silent throughout (`stamps`: every
    fix's time, those cleaning dropped included), long whatever its speed on the ground: a
    phone that records while moving is silent on a ride for minutes (a tunnel, the longest
    17-25 minutes; the OS's naps), for the length of a flight in flight mode, and for hours
    only when it was off (a logger switched off, a battery or an app dead: a GeoLife
    trajectory is one session, the next starts hours later elsewhere). Over those hours the
    member stayed and travelled unseen, and the hop between the two ends is no one ride:
    a 20 km hop in four hours read as one 4-hour bus ride. A flight's hop is kept (the
    plane's envelope: a ground vehicle's phone keeps reporting), and so is a ride the
    phone reported only by cell positions cleaning dropped (a train's hour of 400-1800 m
    guesses, e-mission's shankari 2016-08-11): that phone was on."""
    dt = q.ts - p.ts
    if dt <= params.max_gap_s:
        return False
    d = distance_m(p.lat, p.lon, q.lat, q.lon)
    if d / dt < params.gap_min_speed_ms:
        return True
    return dt >= params.session_gap_s and not _flown(d, dt) and \
        d / dt < _crawl_ms(ends) and _quiet(stamps, p.ts, q.ts, params.session_gap_s)


def _crawl_ms(ends: tuple) -> float:
    """The mean speed under which an hour's silence is the logger off. Over hours off the
    member stayed and travelled unseen, and the hop between the sessions averages a crawl
    (GeoLife's sessions, an app killed and restarted: 0.1-2.4 m/s). A ride dark for an hour
    (battery optimisation, a dead zone, a short flight in flight mode) averages its own
    speed: ride speed held over the hour (_RIDE_MS) is travel, and so is half the ride
    speed both ends were moving at (`ends`: the speeds before p and after q, or None)."""
    if ends is None or min(ends) < _RIDE_MS:
        return _RIDE_MS
    return min(_RIDE_MS, 0.5 * min(ends))


def _end_speeds(points: list, k: int) -> tuple | None:
    """The ride speeds over the minutes before fix k and after fix k+1 (None where unseen)."""
    before, after = _speed_around(points, k, -1), _speed_around(points, k + 1, +1)
    return None if before is None or after is None else (before, after)


def _quiet(stamps: list | None, t0: float, t1: float, least: float) -> bool:
    """Did the phone report nothing at all for `least` seconds or more between t0 and t1
    (a fix cleaning dropped counts: the phone was on; a cold start's first fixes, dropped
    next to the silence, say nothing of the hours before)?"""
    if stamps is None:
        return False
    inside = stamps[bisect_left(stamps, t0):bisect_right(stamps, t1)]
    return any(b - a >= least for a, b in zip(inside, inside[1:]))


def _flown(d: float, dt: float) -> bool:
    """Could only a flight have covered d metres in dt seconds (the plane's envelope)?"""
    plane = ENVELOPES["plane"]
    return d / dt >= plane.min_mean_ms and d >= plane.min_distance_m


def _awake_after(points: list, k: int, params: Params) -> bool:
    """The phone records densely after fix k: it woke because the member moved."""
    return k + 1 < len(points) and points[k + 1].ts - points[k].ts <= 2 * params.speed_window_s


FILTER_STEP_M = 400.0   # OwnTracks' significant changes report every ~500 m (iOS: also at
#                         most every 5 min; Android: locatorDisplacement 500 m), less noise


def _reports_by_distance(points: list, k: int, b: int, to_stay: bool) -> bool:
    """Does the phone report by distance across the silent step k -> k+1 out of a stay? A
    distance filter reports only once the member is ~500 m from its last report, indoors or
    not, and then again only every ~500 m: the hop out of the place is such a step, and so
    is the next one (or the hop reaches the next stay: the whole trip in one report)."""
    if not filter_step(points[k], points[k + 1]):
        return False
    if k + 1 == b:
        return to_stay or _left_a_filtered_stay(points, k)
    return filter_step(points[k + 1], points[k + 2])


def _filter_stay(points: list, k: int, a: int, b: int) -> bool:
    """Was fix k, before a silence, a distance filter's second report at a place: the fix
    before it there (the member stopped: two reports minutes apart and metres away),
    reached by a filter's step, and the hops on either side of the silence filter steps
    too? Such a phone is silent while the member stays. One report is no stop: the last
    fix aboard a bus before the logger died looks the same (GeoLife's sessions, sparse)."""
    if k - 2 < a or filter_step(points[k - 1], points[k]):
        return False
    return filter_step(points[k - 2], points[k - 1]) and filter_step(points[k], points[k + 1]) \
        and (k + 1 == b or filter_step(points[k + 1], points[k + 2]))


def filter_step(p, q) -> bool:
    """Is p -> q as long as a distance filter's step between two reports?"""
    return distance_m(p.lat, p.lon, q.lat, q.lon) >= FILTER_STEP_M


def _left_a_filtered_stay(points: list, k: int) -> bool:
    """The data ends with one fix a filter's step from a stay that was itself one filter
    report (reached 400 m or more from the fix before it, then silence): a phone that
    reports only by distance saw the member leave and cover ~500 m. Its next report, from
    wherever the member is now, makes that fix a stay and the hop a trip (the hop reaches
    the next stay); the trip is read the same before that report comes. A phone that
    reports at places shows the stay by more than one fix, and a lone fix there stays a
    passive update."""
    return k + 2 == len(points) and k >= 1 and filter_step(points[k - 1], points[k])


def read_before_stay(points: list, ranges: list) -> int | None:
    """The first fix's ts of the stay the last trip leaves when that trip may be the lone
    last report of `_left_a_filtered_stay`, else None. Its reading depends on the fix before
    the stay, which detection restarting at the stay no longer has (carbon.timeline: the
    window holds only CONTEXT_S before it): no restart there until the next report, which
    reads the hop without it (it reaches a stay or is a second filter step)."""
    if not ranges:
        return None
    s, e = ranges[-1]
    lone = e == s + 1 and _left_a_filtered_stay(points, s) and filter_step(points[s], points[e])
    return points[s].ts if lone else None


def _wake_hop(points: list, k: int, a: int, b: int, from_stay: bool, to_stay: bool,
              params: Params) -> bool:
    """Is the silent step k -> k+1 the phone asleep at a stay rather than missing data?
    Trackers stop at a stay and wake on a geofence or a distance filter a few hundred metres
    out, then record densely: that hop is the trip leaving the place. A silence just before
    reaching a stay after recorded movement is the arrival. A lone fix after a silence with
    nothing following is a passive location update, not evidence of a trip."""
    p, q = points[k], points[k + 1]
    if distance_m(p.lat, p.lon, q.lat, q.lon) > params.wake_hop_m:
        return False
    if from_stay and k == a:
        return _awake_after(points, k + 1, params) or \
            _reports_by_distance(points, k, b, to_stay)
    return to_stay and k + 1 == b


def _cut_at_gaps(points: list, a: int, b: int, params: Params, from_stay: bool = False,
                 to_stay: bool = False, stamps: list | None = None) -> list:
    """Pieces of a move between silences (a long gap is missing data, not a journey)."""
    pieces, start = [], a
    for k in range(a, b):
        # out of a stay a distance filter is silent for hours by design (it reports nothing
        # at a place): the stay lasted, then the trip left it
        filtered = from_stay and k == a and _reports_by_distance(points, k, b, to_stay)
        quiet = None if filtered else stamps
        if _is_silence(points[k], points[k + 1], params, quiet, _end_speeds(points, k)) and \
                not _wake_hop(points, k, a, b, from_stay, to_stay, params):
            pieces.append((start, k))
            # a distance filter's silence after its report at a place it did not show
            # (a second report there): the member stayed at k, and the hop leaves it
            start = k if quiet is not None and _filter_stay(points, k, a, b) else k + 1
    pieces.append((start, b))
    return [(s, e) for s, e in pieces if e > s]


def _extent(points: list, a: int, b: int) -> float:
    p0 = points[a]
    return max(distance_m(p0.lat, p0.lon, q.lat, q.lon) for q in points[a:b + 1])


def _merge_stays(x: Stay, y: Stay) -> Stay:
    n = x.n_points + y.n_points
    lat = (x.lat * x.n_points + y.lat * y.n_points) / n
    lon = (x.lon * x.n_points + y.lon * y.n_points) / n
    return Stay(x.start_ts, y.end_ts, round(lat, 6), round(lon, 6), n, acc=x.acc)


def segment_track(points: list, params: Params = DEFAULT_PARAMS, anchored: bool = False,
                  places: tuple = (), stamps: list | None = None) -> tuple:
    """(stays, trip index ranges) of a clean, ordered track (`anchored`: it starts with a
    known stay's first fix; `places`: the member's places, where a stop is always a stay;
    `stamps`: the sorted times of every fix before cleaning, to tell a phone off from one
    whose positions cleaning dropped)."""
    stay_idx = [(f, l) for f, l in find_stays(points, params, anchored)
                if not _halt_in_ride(points, f, l, places)]
    ranges, left = [], set()
    for a, b, before, after in _moves(stay_idx, len(points)):
        for s, e in _cut_at_gaps(points, a, b, params, before is not None, after is not None,
                                 stamps):
            if _extent(points, s, e) >= params.min_trip_m:
                ranges.append((s, e))
                if before is not None:
                    left.add(before)
    stays = [make_stay(points, f, l) for f, l in stay_idx]
    return _join_stays_without_trip(stays, left, params), ranges


HALT_MAX_S = 420.0      # a station stop lasts up to ~7 minutes (2-6 min on intercity lines)
_RIDE_MS = 10.0         # 36 km/h held over minutes: no town street, no walk, no bike
_AROUND_S = (60.0, 600.0)


def _halt_in_ride(points: list, first: int, last: int, places: tuple) -> bool:
    """A stop inside a fast movement, far from the member's places, is a station (or a
    traffic stop), not a stay: the member arrived at ride speed and left at ride speed
    minutes later, with no walk in or out. Nobody gets off a train for an errand of four
    minutes and back onto the same line; at a shop the member arrives and leaves on foot."""
    if quiet_until(points, last) - points[first].ts > HALT_MAX_S:
        return False
    if _near_place(points[first], places):
        return False
    return _ride_speed(points, first, -1) and _ride_speed(points, last, +1)


def _ride_speed(points: list, k: int, direction: int) -> bool:
    """Covered ground at ride speed over the minutes before (-1) or after (+1) fix k?"""
    v = _speed_around(points, k, direction)
    return v is not None and v >= _RIDE_MS


def _speed_around(points: list, k: int, direction: int) -> float | None:
    """The speed over the minutes before (-1) or after (+1) fix k (None: no fix 1-10 min
    away on that side)."""
    j = k
    while 0 <= j + direction < len(points) and abs(points[j].ts - points[k].ts) < _AROUND_S[0]:
        j += direction
    dt = abs(points[j].ts - points[k].ts)
    if dt < _AROUND_S[0] or dt > _AROUND_S[1]:
        return None
    p, q = points[k], points[j]
    return distance_m(p.lat, p.lon, q.lat, q.lon) / dt


def _near_place(p, places: tuple) -> bool:
    from carbon.places import PLACE_RADIUS_M
    return any(distance_m(p.lat, p.lon, pl.lat, pl.lon) <= PLACE_RADIUS_M for pl in places)


def _join_stays_without_trip(stays: list, left: set, params: Params) -> list:
    """Consecutive stays with no trip between them (`left` holds the indexes of stays a trip
    left) and close together are one stay."""
    out = []
    for k, stay in enumerate(stays):
        if out and k - 1 not in left and \
                distance_m(out[-1].lat, out[-1].lon, stay.lat, stay.lon) <= 2 * params.stay_radius_m:
            out[-1] = _merge_stays(out[-1], stay)
        else:
            out.append(stay)
    return out


def departure_ts(seg: list, params: Params = DEFAULT_PARAMS) -> int:
    """When the member left: phones often wake up only once out of the place (a geofence of
    100-200 m, a distance filter), so the departure is the first moving fix minus the time to
    walk there from the place: everyone leaves a building on foot, whatever they ride next."""
    if len(seg) < 2:
        return seg[0].ts
    p0, p1 = seg[0], seg[1]
    out = distance_m(p0.lat, p0.lon, p1.lat, p1.lon)
    return int(max(p0.ts, p1.ts - out / _own_pace(seg, out)))


def _own_pace(seg: list, out: float) -> float:
    """The pace the member walked out of the place at. A distance filter reports the moment
    the member is another ~500 m on (and not within its 5-minute floor), so when the hop out
    and the next step are both its reports, the next step's length over its time is the
    member's own pace, and walkers range 0.6-1.6 m/s (Bohannon 1997): a stroll's first
    500 m took 8 minutes, not 6. A next step faster than a brisk walk was ridden (the walk
    out was at most that brisk pace); any other phone's next step says nothing of it."""
    if len(seg) < 3 or out < FILTER_STEP_M:
        return WALK_PACE_MS
    p1, p2 = seg[1], seg[2]
    d, dt = distance_m(p1.lat, p1.lon, p2.lat, p2.lon), p2.ts - p1.ts
    if dt <= 0 or d < FILTER_STEP_M:
        return WALK_PACE_MS
    # slower than the slowest walking (stays._WALK_IN_MS) the next step held a wait
    return min(WALK_PACE_MS, max(_WALK_IN_MS, d / dt))


def arrival_ts(seg: list, params: Params = DEFAULT_PARAMS, after=None) -> int:
    """When the member arrived: the first fix of the next stay, a real observation of the
    member at the place (phones record densely until they notice the stop), unless the phone
    fell silent on the way in: then the last moving fix plus the walk to the place. `after`:
    the fix after seg[-1] (None: the data ends there, on the move)."""
    if len(seg) < 3:
        return seg[-1].ts      # one hop between two stays: the phone woke at the new place
    p0, p1 = seg[-2], seg[-1]
    if after is None:
        return p1.ts + _filter_wait(p0, p1)
    if _silent_on_the_way(p0, p1, after, params):
        # a phone that reports every step of distance fell silent before the next one: the
        # member stopped somewhere within that step, on average half of it after p1
        return int(min(p1.ts + min(p1.ts - p0.ts, _LAST_STEP_S) / 2,
                       quiet_until([p1, after], 0)))
    ahead = distance_m(p0.lat, p0.lon, p1.lat, p1.lon) / WALK_PACE_MS
    return int(min(p1.ts, p0.ts + max(ahead, 2 * params.speed_window_s)))


_MOVING_MS = 0.5        # a step covered at this pace or more ended on the move
_LAST_STEP_S = 600.0    # a distance filter's step walked: ~500 m at a slow 0.85 m/s; a
#                         longer silent step before the stay's first fix was no filter step
#                         (a flight, a tunnel, a phone off) and says nothing of when, after
#                         that fix, the member stopped


def _filter_wait(p0, p1) -> int:
    """The data ends on the move at p1. A phone that reports by distance (its last step a
    filter's, FILTER_STEP_M or more covered moving) has not yet seen the member cover
    another step: they stopped within it, on average half the last step after p1, as when
    its next report comes from the way out (_silent_on_the_way); so a trip's end is the
    same before and after the phone's next report. Another phone saw them last at p1."""
    dt = p1.ts - p0.ts
    d = distance_m(p0.lat, p0.lon, p1.lat, p1.lon)
    if dt <= 0 or d < FILTER_STEP_M or d / dt < _MOVING_MS:
        return 0
    return int(min(dt, _LAST_STEP_S) / 2)


def _silent_on_the_way(p0, p1, after, params: Params) -> bool:
    """Was p1, the next stay's first fix, reported on the way rather than at the place? The
    phone reached it moving, then fell silent (a stay seen only through a silence) and was
    never seen there again: the next fix is beyond the stay radius, on the way out. A phone
    that reports at places (every 10-30 minutes) shows the place itself, and p1 is there."""
    dt = p1.ts - p0.ts
    if dt <= 0 or after.ts - p1.ts < params.stay_min_s:
        return False
    if distance_m(p0.lat, p0.lon, p1.lat, p1.lon) / dt < _MOVING_MS:
        return False
    return distance_m(p1.lat, p1.lon, after.lat, after.lon) > params.stay_radius_m
