"""From a clean track to stays and the trips between them.

A trip runs from the last fix of one stay (departure) to the first fix of the next (arrival).
It is cut where the phone fell silent for long without covering the ground a vehicle would
have (a long gap is missing data, not a journey), and dropped when it never left the
neighbourhood of its start (GPS wander around a stay).
"""
from carbon.geo import distance_m
from carbon.model import Stay
from carbon.params import DEFAULT_PARAMS, Params
from carbon.stays import find_stays


def make_stay(points: list, first: int, last: int) -> Stay:
    seg = points[first:last + 1]
    lat = sum(p.lat for p in seg) / len(seg)
    lon = sum(p.lon for p in seg) / len(seg)
    return Stay(points[first].ts, points[last].ts, round(lat, 6), round(lon, 6), len(seg))


def _moves(stays: list, n: int) -> list:
    """(first, last) index ranges between stays, including the stay fixes on either side."""
    moves, cursor = [], 0
    for first, last in stays:
        if first > cursor or (moves == [] and first > 0):
            moves.append((cursor, first))
        cursor = last
    if n and cursor < n - 1:
        moves.append((cursor, n - 1))
    return [(a, b) for a, b in moves if b > a]


def _is_silence(p, q, params: Params) -> bool:
    dt = q.ts - p.ts
    if dt <= params.max_gap_s:
        return False
    return distance_m(p.lat, p.lon, q.lat, q.lon) / dt < params.gap_min_speed_ms


def _cut_at_gaps(points: list, a: int, b: int, params: Params) -> list:
    pieces, start = [], a
    for k in range(a, b):
        if _is_silence(points[k], points[k + 1], params):
            pieces.append((start, k))
            start = k + 1
    pieces.append((start, b))
    return [(s, e) for s, e in pieces if e > s]


def _extent(points: list, a: int, b: int) -> float:
    p0 = points[a]
    return max(distance_m(p0.lat, p0.lon, q.lat, q.lon) for q in points[a:b + 1])


def _merge_stays(x: Stay, y: Stay) -> Stay:
    n = x.n_points + y.n_points
    lat = (x.lat * x.n_points + y.lat * y.n_points) / n
    lon = (x.lon * x.n_points + y.lon * y.n_points) / n
    return Stay(x.start_ts, y.end_ts, round(lat, 6), round(lon, 6), n)


def segment_track(points: list, params: Params = DEFAULT_PARAMS) -> tuple:
    """(stays, trip index ranges) of a clean, ordered track."""
    stay_idx = find_stays(points, params)
    ranges = []
    for a, b in _moves(stay_idx, len(points)):
        for s, e in _cut_at_gaps(points, a, b, params):
            if _extent(points, s, e) >= params.min_trip_m:
                ranges.append((s, e))
    stays = [make_stay(points, f, l) for f, l in stay_idx]
    return _join_stays_without_trip(stays, ranges, points, params), ranges


def _join_stays_without_trip(stays: list, ranges: list, points: list, params: Params) -> list:
    """Consecutive stays with no trip between them and close together are one stay."""
    if not stays:
        return stays
    trip_starts = sorted(points[s].ts for s, _ in ranges)
    out = [stays[0]]
    t = 0
    for stay in stays[1:]:
        prev = out[-1]
        while t < len(trip_starts) and trip_starts[t] < prev.end_ts:
            t += 1
        moved = t < len(trip_starts) and trip_starts[t] < stay.start_ts
        near = distance_m(prev.lat, prev.lon, stay.lat, stay.lon) <= 2 * params.stay_radius_m
        if not moved and near:
            out[-1] = _merge_stays(prev, stay)
        else:
            out.append(stay)
    return out


_FALLBACK_SPEED_MS = 1.4   # walking pace, when the first steps say nothing better
_EDGE_STEPS = 3


def _edge_speed(steps: list) -> float:
    """Mean speed over a few steps next to a trip's end, skipping long silences."""
    dist = dt = 0.0
    for p, q in steps:
        if 0 < q.ts - p.ts <= 120:
            dist += distance_m(p.lat, p.lon, q.lat, q.lon)
            dt += q.ts - p.ts
    return max(dist / dt, _FALLBACK_SPEED_MS) if dt > 0 and dist > 0 else _FALLBACK_SPEED_MS


def departure_ts(seg: list, params: Params = DEFAULT_PARAMS) -> int:
    """When the member left: phones often wake up only once out of the place, so the
    departure is the first moving fix minus the time to cover the distance from the place."""
    if len(seg) < 2:
        return seg[0].ts
    p0, p1 = seg[0], seg[1]
    steps = list(zip(seg[1:1 + _EDGE_STEPS], seg[2:2 + _EDGE_STEPS]))
    back = distance_m(p0.lat, p0.lon, p1.lat, p1.lon) / _edge_speed(steps)
    return int(max(p0.ts, p1.ts - back))


def arrival_ts(seg: list, params: Params = DEFAULT_PARAMS) -> int:
    """When the member arrived: the last moving fix plus the time to reach the place."""
    if len(seg) < 2:
        return seg[-1].ts
    p0, p1 = seg[-2], seg[-1]
    steps = list(zip(seg[-2 - _EDGE_STEPS:-2], seg[-1 - _EDGE_STEPS:-1]))
    ahead = distance_m(p0.lat, p0.lon, p1.lat, p1.lon) / _edge_speed(steps)
    return int(min(p1.ts, p0.ts + ahead))
