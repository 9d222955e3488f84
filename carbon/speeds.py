"""Speeds that a mode can be read from.

Speed from one fix to the next is dominated by position noise when fixes are seconds apart
(20 m of noise over 5 s reads as 4 m/s), so each step gets the displacement speed over a window
of about a minute centred on it. A step long enough to stand out of the noise (a phone with
a distance filter reports every 50 m) keeps its own speed: a window would blend it with the
pauses around it.
"""
from carbon.geo import distance_m

_MIN_NOISE_M = 10.0     # even a good fix wanders this much
_NOISE_MULTIPLE = 3.0   # a step this many accuracies long is mostly real movement...
_OWN_STEP_S = 8.0       # ... if it also took a while: a 100 m jump in a second or two
#                         is a multipath excursion in a street canyon (longer steps are
#                         capped by their neighbours, carbon.features._open_spikes)


def window_speeds(points: list, window_s: float) -> list:
    """One speed (m/s) per step between consecutive fixes."""
    n = len(points)
    out = []
    a = 0
    b = 1
    half = window_s / 2
    for k in range(n - 1):
        centre = (points[k].ts + points[k + 1].ts) / 2
        while a < k and points[a + 1].ts <= centre - half:
            a += 1
        if b < k + 1:
            b = k + 1
        while b < n - 1 and points[b].ts < centre + half:
            b += 1
        p, q = points[k], points[k + 1]
        step = distance_m(p.lat, p.lon, q.lat, q.lon)
        if step >= _NOISE_MULTIPLE * max(_acc(p), _acc(q), _MIN_NOISE_M) and \
                q.ts - p.ts >= _OWN_STEP_S:
            out.append(step / (q.ts - p.ts))
            continue
        pa, pb = points[a], points[b]
        dt = pb.ts - pa.ts
        out.append(distance_m(pa.lat, pa.lon, pb.lat, pb.lon) / dt if dt > 0 else 0.0)
    return out


def _acc(p) -> float:
    return p.acc if p.acc is not None else _MIN_NOISE_M


def step_distances(points: list) -> list:
    return [distance_m(p.lat, p.lon, q.lat, q.lon) for p, q in zip(points, points[1:])]
