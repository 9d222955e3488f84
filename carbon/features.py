"""The numbers a leg's mode is read from: a speed profile, stops and accelerations."""
from dataclasses import dataclass

from carbon.geo import distance_m

STOP_SPEED_MS = 0.8      # below this a vehicle is standing (GPS noise keeps speeds above 0)
_STOP_MIN_S = 8.0        # shorter dips are noise
_STOP_MAX_S = 150.0      # longer stops are queues or stays, not a service stop
_STOP_RADIUS_M = 15.0
_LONE_STEP_S = 20.0     # a step this long is decided by one fix at each end
SUSTAIN_S = 120.0        # two minutes: longer than any fix error lasts, shorter than a leg


@dataclass(slots=True)
class LegFeatures:
    duration_s: float
    distance_m: float
    mean_ms: float          # distance / duration, stops included
    p50_ms: float           # percentiles of windowed speed, weighted by time
    p85_ms: float
    p95_ms: float
    stop_share: float       # share of time standing
    stops_per_km: float     # short stops (a bus stop, a light), per km
    max_step_s: float       # longest time without a fix
    # p85 of the displacement speed over SUSTAIN_S windows (None: leg shorter than one):
    # what the member kept up, whatever the fix noise or a single wrong fix says
    sustained_p85_ms: float | None = None
    # p85 / p95 of speeds each capped by its faster neighbour (see _open_spikes): a speed
    # that only one step reached is one wrong fix, not a vehicle
    p85_held_ms: float = 0.0
    p95_held_ms: float = 0.0


def _weighted_percentiles(values: list, weights: list, qs: tuple) -> list:
    pairs = sorted(zip(values, weights))
    total = sum(weights) or 1.0
    out, acc, idx = [], 0.0, 0
    for q in qs:
        target = q * total
        while idx < len(pairs) - 1 and acc + pairs[idx][1] < target:
            acc += pairs[idx][1]
            idx += 1
        out.append(pairs[idx][0] if pairs else 0.0)
    return out


def _stops(points: list) -> int:
    """Short halts: fixes that stay within their own noise of one spot for 8-150 s.

    Read from positions, not windowed speeds, which smooth a 20 s bus stop away."""
    count, i, n = 0, 0, len(points)
    while i < n - 1:
        a = points[i]
        radius = max(_STOP_RADIUS_M, 1.5 * (a.acc or 0.0))
        j = i + 1
        while j < n and distance_m(a.lat, a.lon, points[j].lat, points[j].lon) <= radius:
            j += 1
        held = points[j - 1].ts - a.ts
        if _STOP_MIN_S <= held <= _STOP_MAX_S and points[j - 1].ts - points[j - 2].ts <= 30:
            count += 1
        i = max(j - 1, i + 1)
    return count


def _open_spikes(speeds: list, dts: list) -> list:
    """Each sparse step's speed capped at the higher of its neighbours': a speed only counts
    if the next or previous step comes close to it. One wrong fix makes a single fast step
    (a 30 s step at 14 m/s in a bike ride); a vehicle keeps its speed over consecutive steps.
    Steps shorter than _LONE_STEP_S already carry the speed of a window of fixes."""
    n = len(speeds)
    if n < 3:
        return list(speeds)
    out = []
    for k in range(n):
        if dts[k] < _LONE_STEP_S:
            out.append(speeds[k])
            continue
        near = max(speeds[k - 1] if k > 0 else 0.0, speeds[k + 1] if k + 1 < n else 0.0)
        out.append(min(speeds[k], near))
    return out


def _sustained_p85(points: list) -> float | None:
    """p85 (time-weighted) of the straight-line speed from each fix to the first one at
    least SUSTAIN_S later (the whole leg if shorter; None below half of it). Noise of tens
    of metres is a fraction of a metre per second over two minutes, and a phone jumping between two positions makes no headway at all."""
    n = len(points)
    window = min(SUSTAIN_S, points[-1].ts - points[0].ts) if n > 1 else 0
    if window < SUSTAIN_S / 2:
        return None
    values, weights, j = [], [], 0
    for i in range(n - 1):
        p = points[i]
        while j < n - 1 and points[j].ts < p.ts + window:
            j += 1
        q = points[j]
        if q.ts - p.ts < window:
            break
        values.append(distance_m(p.lat, p.lon, q.lat, q.lon) / (q.ts - p.ts))
        weights.append(min(points[i + 1].ts - p.ts, 120) or 1)
    if not values:
        return None
    return _weighted_percentiles(values, weights, (0.85,))[0]


def leg_features(points: list, speeds: list, dists: list) -> LegFeatures:
    """Features of fixes points[0..n] whose n steps have the given speeds and distances."""
    dts = [max(0, q.ts - p.ts) for p, q in zip(points, points[1:])]
    duration = float(points[-1].ts - points[0].ts) if len(points) > 1 else 0.0
    distance = sum(dists)
    if not speeds or duration <= 0:
        return LegFeatures(duration, distance, 0, 0, 0, 0, 1, 0, 0)
    weights = [min(dt, 120) or 1 for dt in dts]   # a long gap says little about speed
    p50, p85, p95 = _weighted_percentiles(speeds, weights, (0.5, 0.85, 0.95))
    h85, h95 = _weighted_percentiles(_open_spikes(speeds, dts), weights, (0.85, 0.95))
    stand = sum(w for v, w in zip(speeds, weights) if v < STOP_SPEED_MS)
    km = max(distance / 1000.0, 0.05)
    return LegFeatures(
        duration_s=duration, distance_m=distance, mean_ms=distance / duration,
        p50_ms=p50, p85_ms=p85, p95_ms=p95,
        stop_share=stand / sum(weights), stops_per_km=_stops(points) / km,
        max_step_s=max(dts) if dts else 0.0,
        sustained_p85_ms=_sustained_p85(points), p85_held_ms=h85, p95_held_ms=h95)
