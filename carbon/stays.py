"""Staypoints: runs of fixes that stay within a radius for a minimum duration.

A run is grown around its running centroid, so one noisy anchor does not end it, and one fix
that strays out and comes back (a reflected GPS fix) does not end it either. Fixes far apart
in time but close in space (a phone that stops reporting at home) are a stay too: this is how
sparse "significant changes" tracks show stays.
"""
from carbon.geo import distance_m
from carbon.params import DEFAULT_PARAMS, Params

_STRAY_TOLERANCE = 1   # fixes allowed outside the radius before the run is over


def _grow(points: list, i: int, radius: float) -> int:
    """Index of the last fix that belongs to a run anchored at i."""
    p = points[i]
    sum_lat, sum_lon, k = p.lat, p.lon, 1
    last_in = i
    j = i + 1
    n = len(points)
    while j < n and j - last_in <= _STRAY_TOLERANCE + 1:
        q = points[j]
        if distance_m(p.lat, p.lon, q.lat, q.lon) <= radius:
            sum_lat += q.lat
            sum_lon += q.lon
            k += 1
            last_in = j
        j += 1
    return last_in


def find_stays(points: list, params: Params = DEFAULT_PARAMS) -> list:
    """(first, last) index pairs of the stays in a clean, ordered track."""
    stays = []
    i, n = 0, len(points)
    while i < n:
        last = _grow(points, i, params.stay_radius_m)
        if points[last].ts - points[i].ts >= params.stay_min_s:
            stays.append((i, last))
            i = last + 1
        else:
            i += 1
    return stays
