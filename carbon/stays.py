"""Staypoints: runs of fixes that stay within a radius for a minimum duration.

A run is grown around its running centroid, so one noisy anchor does not end it, and one fix
that strays out and comes back (a reflected GPS fix) does not end it either. Fixes far apart
in time but close in space (a phone that stops reporting at home) are a stay too: this is how
sparse "significant changes" tracks show stays. So is a run followed by a long silence over
a short hop: trackers sleep while the phone is still and wake a few hundred metres out, so the
member stayed at the run's place for the silence minus the time to walk the hop.
"""
import math
from operator import sub

from carbon.features import DWELL_MIN_S, opening_dwell_s
from carbon.geo import METRES_PER_DEGREE_LAT, distance_m
from carbon.params import DEFAULT_PARAMS, Params

_STRAY_TOLERANCE = 1   # fixes allowed outside the radius before the run is over...
_STRAY_MAX_M = 400.0   # ... unless the run is one fix so far and the next is this far and
#                        beyond three accuracies: a reflected GPS fix or a Wi-Fi guess strays
#                        tens to a few hundred metres, and a phone that reports at places
#                        keeps its tolerance, while a distance-filtered phone (OwnTracks'
#                        ~500 m) never reports twice at a place and only once the member has
#                        gone (carbon.trips.FILTER_STEP_M)
WALK_PACE_MS = 1.4     # the slowest way to cover a hop: the dwell it implies is the longest
_CORE_M = 25.0         # fixes at rest wander this much around a place (GPS outdoors, wifi in)
_GPS_ACC_M = 30.0      # accuracy of a GPS fix in town; worse ones are network positions
_MAX_WEIGHT_S = 300    # a fix stands for the time to the next one, up to five minutes
_WALK_IN_S = 20.0      # the approach is judged over this long at least (a 1 Hz fix's noise
#                        is metres, a walker's 20 s is 15-30 m)...
_WALK_IN_MAX_S = 90.0  # ... and not over longer steps: a sparse phone's chord says nothing
#                        of when, within it, the member stopped
_WALK_IN_MS = 0.6      # the slowest walking (a stroll, a shop's aisle: older adults' slow
#                        gait 0.6-0.8 m/s, Bohannon 1997), over the 20 s: the member still
#                        had 12 m to walk; fixes at rest drift far less (the phone may then
#                        fall quiet, so a later fix says where they stopped, not how fast)
_WALK_IN_NOISE_M = 10.0  # and never less ground than this (GPS errors at rest are correlated
#                          over minutes: two fixes 20 s apart drift by metres, not by their
#                          accuracy), plus the judged fix's slack when it is a network
#                          position (it wanders that much further at rest: see _slack)


def _grow(points: list, i: int, radius: float) -> int:
    """Index of the last fix that belongs to a run anchored at i: each fix is judged against
    the centroid of the run so far, so a run anchored on a fix still walking in cannot stretch
    to twice the radius (an anchor on the edge would reach a place 150 m further on)."""
    p = points[i]
    sum_lat, sum_lon, k = p.lat, p.lon, 1
    last_in = i
    j = i + 1
    n = len(points)
    # the flat distance, inlined: this loop runs for every fix of every history
    m_lat = METRES_PER_DEGREE_LAT
    m_lon = m_lat * math.cos(math.radians(p.lat))
    while j < n and j - last_in <= _STRAY_TOLERANCE + 1:
        q = points[j]
        dy = (q.lat - sum_lat / k) * m_lat
        dx = (q.lon - sum_lon / k) * m_lon
        reach = radius + (0.5 * (q.acc - _GPS_ACC_M) if q.acc and q.acc > _GPS_ACC_M else 0.0)
        d2 = dx * dx + dy * dy
        if d2 <= reach * reach:
            sum_lat += q.lat
            sum_lon += q.lon
            k += 1
            last_in = j
        elif k == 1 and d2 > _STRAY_MAX_M * _STRAY_MAX_M and \
                d2 > (reach + 3.0 * (q.acc or 0.0)) ** 2:
            break       # not a stray: a report from elsewhere (see _STRAY_MAX_M)
        j += 1
    return last_in


def _slack(q) -> float:
    """Extra reach for a fix less precise than GPS: a Wi-Fi position indoors (accuracy
    50-100 m) wanders further than the radius allows for GPS, while the member sits still."""
    return 0.5 * max(0.0, (q.acc or 0.0) - _GPS_ACC_M)


def quiet_until(points: list, last: int) -> int:
    """Latest time the member can still have been at fix `last`: the next fix's time minus
    the walk to it (a phone asleep at a place reports again only once out of it)."""
    if last + 1 >= len(points):
        return points[last].ts
    p, q = points[last], points[last + 1]
    walk = distance_m(p.lat, p.lon, q.lat, q.lon) / WALK_PACE_MS
    return max(p.ts, int(q.ts - walk))


def _median(values: list) -> float:
    v = sorted(values)
    return v[len(v) // 2]


def weighted_median(values: list, weights: list) -> float:
    pairs = sorted(zip(values, weights))
    half, acc = sum(weights) / 2.0, 0.0
    for v, w in pairs:
        acc += w
        if acc >= half:
            return v
    return pairs[-1][0]


def _core(points: list, i: int, last: int):
    """A predicate: is a fix at the place itself, within the wander of fixes at rest
    (_CORE_M) of the run's median position? The median weighs each fix by the time it
    stands for, so sixty fixes of a one-second walk in do not outvote the few fixes a
    phone reports in ten minutes at the shop."""
    return _near(_centre(points, i, last))


def _near(centre: tuple):
    lat, lon = centre
    return lambda p: distance_m(lat, lon, p.lat, p.lon) <= _CORE_M + _slack(p)


def _settle(points: list, i: int, last: int, params: Params, anchored: bool) -> tuple:
    """(first, last, grown) of the stay whose run i..last was found by the scan.

    The run's radius must tolerate GPS wander, so it also catches the last ~50 s of the
    approach and the first of the way out: the member arrived at the first fix at the place's
    core and left after the last one (see _core), unless the phone fell silent there. The run
    is grown again once from that arrival, so the stay is the same whether the scan anchored
    it on an approaching fix (a rebuild) or on the stay's own start (an incremental update
    from it, `anchored`: its start is known and not trimmed again). If the run from the
    arrival is too short to be a stay, the stay keeps the scan's start. The walk in and the
    walk out inside the core are then taken off it (_off_the_walks)."""
    radius = params.stay_radius_m
    first = i
    if not anchored:
        near = _core(points, i, last)
        while first < last and not near(points[first]):
            first += 1
    grown = _grow(points, first, radius) if first > i else last
    if first > i and quiet_until(points, grown) - points[first].ts < params.stay_min_s:
        # A short stop (the run only just reaches stay_min_s with its approach): it is a
        # stay, but the member still arrived when they reached its core, not while walking
        # in across the radius. Such a stay is never a resume point (see recompute_from).
        grown = last
    centre = _centre(points, first, grown)
    near = _near(centre)
    end = grown
    while end > first and not near(points[end]) and not _falls_silent(points, end, params):
        end -= 1
    first, end = _off_the_walks(points, first, end, grown, centre, params, anchored)
    return first, end, grown


def _off_the_walks(points: list, first: int, end: int, grown: int, centre: tuple,
                   params: Params, anchored: bool) -> tuple:
    """(first, end) without the walk in and the walk out inside the core (see _walking),
    as long as what is left is still a stay (a shorter one keeps its core's edges)."""
    arrived = first
    # never past the stay's end: a run whose fixes near the place all come closer still is
    # a walk through, not an arrival (the stay keeps its core's edges)
    while not anchored and arrived < end and \
            _walking(points, arrived, arrived, grown, centre, 1):
        arrived += 1
    if quiet_until(points, end) - points[arrived].ts >= params.stay_min_s:
        first = arrived
    left = end
    while left > first and _walking(points, left, first, left, centre, -1) and \
            not _falls_silent(points, left, params):
        left -= 1
    if quiet_until(points, left) - points[first].ts >= params.stay_min_s:
        end = left
    return first, end


def step_weights(seg: list, cap) -> list:
    """``min(max(q.ts - p.ts, 1), cap)`` of each step p -> q of seg: the time a fix stands
    for. The same values and types as those calls (each spelt as its comparison: max(d, 1)
    is 1 when 1 > d, else d), without two calls a fix: this runs over every fix of every
    stay, twice, then for the stay's accuracy."""
    ts = [p.ts for p in seg]
    return [cap if cap < (x := (1 if 1 > d else d)) else x for d in map(sub, ts[1:], ts)]


def _centre(points: list, i: int, last: int) -> tuple:
    """The place's position: the time-weighted median of the run's fixes (see _core)."""
    seg = points[i:last + 1]
    weights = step_weights(seg, _MAX_WEIGHT_S) + [1]
    return weighted_median([p.lat for p in seg], weights), \
        weighted_median([p.lon for p in seg], weights)


def _walking(points: list, k: int, lo: int, hi: int, centre: tuple, way: int) -> bool:
    """Is fix k, inside the place's core, still on the walk in (way 1: the fixes after it
    come steadily closer to where the member came to rest) or already on the walk out
    (way -1: the fixes before it were closer)? The core's 25 m is the wander of fixes at
    rest, and a walker crosses it in about 20 s, so an arrival read at the core's edge
    comes that early. Fixes at rest drift by metres (plus a network position's slack); a
    walker closes in on the place by 12 m or more over 20 s."""
    p = points[k]
    j = k + way
    while lo <= j <= hi and abs(points[j].ts - p.ts) < _WALK_IN_S:
        j += way
    if not lo <= j <= hi or abs(points[j].ts - p.ts) > _WALK_IN_MAX_S:
        j -= way      # the phone fell quiet at rest (or the place ends): its last fix before
    q = points[j]
    dt = abs(q.ts - p.ts)
    if j == k or dt < _WALK_IN_S / 2:
        return False
    lat, lon = centre
    closer = distance_m(lat, lon, p.lat, p.lon) - distance_m(lat, lon, q.lat, q.lon)
    return closer >= max(_WALK_IN_MS * min(dt, _WALK_IN_S), _WALK_IN_NOISE_M + _slack(p))


def _falls_silent(points: list, k: int, params: Params) -> bool:
    """The phone went quiet after fix k (it sleeps at a place): the member was still there."""
    return quiet_until(points, k) - points[k].ts >= params.stay_min_s


def _held_before_a_drive(points: list, i: int, last: int, params: Params) -> bool:
    """Did the run i..last last stay_min_s once the step after its last fix is read at the
    pace driven after it (features.opening_dwell_s), not walked (quiet_until)? A car parked
    for an errand, seen by one fix of a phone stepping by the clock (every 1-2 minutes on
    the move, rarely at a place), then a long step netted slower than a walk and chords at
    a vehicle's pace after it: nobody drives off slower than they go on, so the rest of the
    step was spent at the fix (errands_sparse_1: 463 s to the next fix 374 m on, 6 m/s after
    it; walked, the stop was 196 s, no stay; driven, 400 s: the truth is 403). A step netted
    at walking pace or more may have been walked (a walk ends at a vehicle's door as well as
    at a shop), and a distance filter's next step is its 5-minute floor (DWELL_MIN_S or
    more): its report came on the way, short of where the member waited (a platform)."""
    if last + 2 >= len(points) or points[last + 1].ts - points[i].ts < params.stay_min_s:
        return False    # the step after the run cannot hold what it lacks
    p, q, r = points[last], points[last + 1], points[last + 2]
    if distance_m(p.lat, p.lon, q.lat, q.lon) >= WALK_PACE_MS * (q.ts - p.ts) or \
            r.ts - q.ts >= DWELL_MIN_S:
        return False
    return p.ts + opening_dwell_s(points[last:]) - points[i].ts >= params.stay_min_s


def find_stays(points: list, params: Params = DEFAULT_PARAMS, anchored: bool = False) -> list:
    """(first, last) index pairs of the stays in a clean, ordered track. `anchored`: the
    track starts with a stay's first fix (an incremental update from that stay)."""
    stays = []
    i, n = 0, len(points)
    while i < n:
        last = _grow(points, i, params.stay_radius_m)
        if quiet_until(points, last) - points[i].ts >= params.stay_min_s or \
                _held_before_a_drive(points, i, last, params):
            first, end, grown = _settle(points, i, last, params, anchored and i == 0)
            stays.append((first, end))
            i = grown + 1
        else:
            i += 1
    return stays
