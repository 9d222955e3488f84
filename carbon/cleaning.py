"""Turn what phones send into a clean, ordered track.

Order of operations matters: sort and dedupe first (late and repeated arrivals are normal),
then drop imprecise fixes, then jumps, because a jump is judged against its clean neighbours.
"""
import math
import operator

from carbon.geo import distance_m, step_metres
from carbon.params import DEFAULT_PARAMS, Params
from carbon.fix import Fix

MIN_VALID_TS = 946_684_800      # 2000-01-01: earlier stamps come from a phone clock reset
_ACC_CONTEXT_FLOOR_M = 50.0     # fixes at least this good are never judged against neighbours
_ACC_CONTEXT_HALF_WINDOW = 5
# Phones interleave GPS fixes (5-10 m) with Wi-Fi or cell ones (30-100 m) when they change
# provider, in and out of buildings: between two GPS fixes a few seconds away, the network
# fix says nothing the GPS does not, and its error zig-zags the track (a 5 m/s walk). Such a
# fix is dropped when both neighbours are GPS-grade and close in time.
_INTERLEAVED_MIN_M = 25.0       # a worse fix than this may be a network one...
_INTERLEAVED_FACTOR = 4.0       # ... when both neighbours are this much better...
_INTERLEAVED_SPAN_S = 60.0      # ... and each within this of it


def _valid(p: Fix) -> bool:
    if p.ts is None or p.ts < MIN_VALID_TS:
        return False
    if not (math.isfinite(p.lat) and math.isfinite(p.lon)):
        return False
    if not (-90.0 <= p.lat <= 90.0 and -180.0 <= p.lon <= 180.0):
        return False
    return not (p.lat == 0.0 and p.lon == 0.0)   # "null island": an unset fix


def _sort_key(p: Fix):
    # The most accurate of several fixes with one timestamp wins; the remaining fields make the
    # choice independent of arrival order.
    acc = p.acc if p.acc is not None else math.inf
    return (p.ts, acc, p.lat, p.lon)


def sort_dedupe(points) -> list:
    """Valid fixes ordered by time, one per second (ingest already makes device+ts unique)."""
    valid = [p for p in points if _valid(p)]
    stamps = [p.ts for p in valid]
    # The store hands fixes over in time order, one a second for one device: then sorting
    # and deduplicating would give them back unchanged (one comparison a fix, in C).
    if all(map(operator.lt, stamps, stamps[1:])):
        return valid
    ordered = sorted(valid, key=_sort_key)
    out = []
    last_ts = None
    for p in ordered:
        if p.ts != last_ts:
            out.append(p)
            last_ts = p.ts
    return out


def _acc(p: Fix) -> float:
    return p.acc if p.acc is not None else 0.0


def drop_imprecise(points: list, params: Params = DEFAULT_PARAMS) -> list:
    """Drop cell-tower guesses and fixes much worse than the ones around them.

    The relative test keeps a 120 m fix in a building where everything is 120 m, and drops a
    120 m fix between 10 m GPS fixes, which would otherwise look like a detour.
    """
    out = []
    n = len(points)
    accs = _accs(points)
    max_acc = params.max_acc_m
    for i, acc in enumerate(accs):
        if acc > max_acc:
            continue
        if acc > _ACC_CONTEXT_FLOOR_M:
            lo, hi = max(0, i - _ACC_CONTEXT_HALF_WINDOW), min(n, i + _ACC_CONTEXT_HALF_WINDOW + 1)
            around = sorted(accs[lo:hi])
            if acc > params.rel_acc_factor * max(around[len(around) // 2], 10.0):
                continue
        if acc > _INTERLEAVED_MIN_M and 0 < i < n - 1 and _between_gps(points[i - 1], points[i],
                                                                     points[i + 1]):
            continue
        out.append(points[i])
    return out


def _accs(points: list) -> list:
    """_acc of every fix, in one pass."""
    return [0.0 if p.acc is None else p.acc for p in points]


def _between_gps(a: Fix, p: Fix, b: Fix) -> bool:
    """`p` is a network fix between two GPS-grade ones a few seconds away (see above)."""
    worst = _INTERLEAVED_FACTOR * max(_acc(a), _acc(b))
    return (a.acc is not None and b.acc is not None and _acc(p) >= worst
            and p.ts - a.ts <= _INTERLEAVED_SPAN_S and b.ts - p.ts <= _INTERLEAVED_SPAN_S)


def _speed(a: Fix, b: Fix) -> float:
    dt = b.ts - a.ts
    d = distance_m(a.lat, a.lon, b.lat, b.lon)
    # Both fixes may be off by their accuracy: only the excess is evidence of speed.
    d = max(0.0, d - 0.5 * (_acc(a) + _acc(b)))
    return d / dt if dt > 0 else math.inf


def _step_speeds(points: list, dists: list) -> list:
    """_speed of each consecutive pair, from already computed distances."""
    out = []
    accs = _accs(points)
    stamps = [p.ts for p in points]
    for d, ta, tb, aa, ab in zip(dists, stamps, stamps[1:], accs, accs[1:]):
        dt = tb - ta
        d = d - 0.5 * (aa + ab)
        d = d if d > 0.0 else 0.0       # max(0.0, d), NaN included
        out.append(d / dt if dt > 0 else math.inf)
    return out


def drop_jumps(points: list, params: Params = DEFAULT_PARAMS) -> list:
    """Remove out-and-back spikes and fixes no vehicle could have reached."""
    return _drop_jumps(points, params)[0]


def _drop_jumps(points: list, params: Params) -> tuple:
    """(drop_jumps' fixes, their step distances when none was dropped, else None)."""
    n = len(points)
    dists = step_metres(points)
    v = _step_speeds(points, dists)
    keep = [True] * n
    spike = params.spike_speed_ms
    for i in range(1, n - 1):
        if v[i - 1] > spike and v[i] > spike:
            a, b = points[i - 1], points[i + 1]
            if dists[i - 1] + dists[i] > 2.0 * distance_m(a.lat, a.lon, b.lat, b.lon):
                keep[i] = False
    out, last = [], -1
    max_speed = params.max_speed_ms
    for i, p in enumerate(points):
        if not keep[i]:
            continue
        if out:
            speed = v[i - 1] if last == i - 1 else _speed(out[-1], p)
            if speed > max_speed:
                continue
        out.append(p)
        last = i
    return out, (dists if len(out) == n else None)


def drop_stale(points: list) -> list:
    """Drop a fix that repeats the previous position while the member moves on.

    Phones (Android's fused provider, iOS before the GPS answers) re-report their last cached
    position with a new timestamp; two real measurements are never within a metre of each
    other while moving. At a stay such repeats are harmless ("still here"), but between
    moving fixes they fake a standstill followed by a burst (a bike at 0 then 14 m/s): the
    step after the repeat really started at the repeated fix's first report."""
    return _drop_stale(points, step_metres(points))


def _drop_stale(points: list, dists: list) -> list:
    out, last = [], -1
    n = len(points)
    for i, p in enumerate(points):
        if out and i + 1 < n:
            prev = out[-1]
            d = dists[i - 1] if last == i - 1 else distance_m(p.lat, p.lon, prev.lat, prev.lon)
            if d <= _SAME_POSITION_M:
                q = points[i + 1]
                if dists[i] > max(_acc(p), _acc(q), _STALE_MOVE_M):
                    continue
        out.append(p)
        last = i
    return out


_STALE_MOVE_M = 20.0    # a next fix further than this (and than the accuracies) has moved on
_SAME_POSITION_M = 1.0  # re-reports come back identical or rounded; real fixes wander more


def clean(points, params: Params = DEFAULT_PARAMS) -> list:
    """Sorted, deduplicated, precise, jump-free fixes; the input may be in any order."""
    return smooth(unsmoothed(points, params))


def unsmoothed(points, params: Params = DEFAULT_PARAMS) -> list:
    """clean's fixes before smooth moves them (the same fixes, one for one): what the
    phone measured, whose scatter tells its error (carbon.speeds.jitter_m)."""
    track, dists = _drop_jumps(drop_imprecise(sort_dedupe(points), params), params)
    # Usually no jump is dropped: the steps measured for it are drop_stale's too.
    return _drop_stale(track, step_metres(track) if dists is None else dists)


def smooth(points: list) -> list:
    """Each fix moved to the per-axis median of itself and its two neighbours.

    A median ignores one wild fix of any size (a wifi guess 200 m off a walk) yet keeps a real
    turn, where a mean would smear both; fixes far apart in time are left alone.
    """
    out = points[:1]
    # The median of three, max(min(x, y), min(max(x, y), z)), written out with the same
    # comparisons (the same value, signed zeros included): this runs for every fix of
    # every history, and two calls a fix cost more than the comparisons.
    for a, p, b in zip(points, points[1:], points[2:]):
        if b.ts - a.ts > _SMOOTH_MAX_SPAN_S:
            out.append(p)
            continue
        x, y, z = a.lat, p.lat, b.lat
        lo, hi = (y if y < x else x), (y if y > x else x)
        mid = z if z < hi else hi
        lat = mid if mid > lo else lo
        x, y, z = a.lon, p.lon, b.lon
        lo, hi = (y if y < x else x), (y if y > x else x)
        mid = z if z < hi else hi
        lon = mid if mid > lo else lo
        out.append(p if lat == p.lat and lon == p.lon else
                   Fix(p.ts, lat, lon, p.acc, p.alt, vel=p.vel, activity=p.activity))
    if len(points) > 1:
        out.append(points[-1])
    return out


_SMOOTH_MAX_SPAN_S = 180
