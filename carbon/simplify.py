"""Douglas-Peucker line simplification, for drawing a track at a given map zoom.

A track of a few thousand fixes draws as well with a few hundred points once no kept
segment strays more than a pixel or two from the fixes it stands for. The tolerance is in
metres; ``tolerance_for_zoom`` turns "a pixel and a half at this zoom" into metres.
Iterative (an explicit stack): a long straight motorway track must not hit the recursion
limit.
"""
import math

from carbon.geo import METRES_PER_DEGREE_LAT, metres_per_degree_lon

EARTH_M_PER_PX_Z0 = 156543.03      # web-mercator metres per pixel at zoom 0, at the equator


def tolerance_for_zoom(zoom: int, lat: float, pixels: float = 1.5) -> float:
    return pixels * EARTH_M_PER_PX_Z0 * math.cos(math.radians(lat)) / (2 ** zoom)


def _offset_m(p, a, b, kx: float) -> float:
    """Distance in metres from p to the segment a-b, on a local flat projection."""
    ax, ay = a[1] * kx, a[0] * METRES_PER_DEGREE_LAT
    bx, by = b[1] * kx, b[0] * METRES_PER_DEGREE_LAT
    px, py = p[1] * kx, p[0] * METRES_PER_DEGREE_LAT
    dx, dy = bx - ax, by - ay
    span = dx * dx + dy * dy
    t = 0.0 if span == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / span))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def simplify(points: list, tolerance_m: float) -> list:
    """The points (sequences starting with lat, lon) to keep, in order, ends always kept."""
    n = len(points)
    if n < 3 or tolerance_m <= 0:
        return list(points)
    kx = metres_per_degree_lon(points[n // 2][0])
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        worst, worst_d = None, tolerance_m
        for i in range(first + 1, last):
            d = _offset_m(points[i], points[first], points[last], kx)
            if d > worst_d:
                worst, worst_d = i, d
        if worst is not None:
            keep[worst] = True
            stack.append((first, worst))
            stack.append((worst, last))
    return [p for p, k in zip(points, keep) if k]
