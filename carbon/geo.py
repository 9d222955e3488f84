"""Distances on the Earth's surface.

Most distances the engine needs are between neighbouring fixes (metres to a few km), where an
equirectangular projection is accurate to well under 0.1 % and several times cheaper than
haversine; longer hops (a flight, a gap) use haversine.
"""
import math

EARTH_RADIUS_M = 6_371_000.0
_DEG = math.pi / 180.0
_LONG_HOP_DEG = 0.5  # beyond ~50 km the flat approximation starts to drift


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = lat1 * _DEG, lat2 * _DEG
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((lon2 - lon1) * _DEG / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    if abs(dlat) > _LONG_HOP_DEG or abs(dlon) > _LONG_HOP_DEG:
        return haversine_m(lat1, lon1, lat2, lon2)
    x = dlon * math.cos((lat1 + lat2) * 0.5 * _DEG)
    return EARTH_RADIUS_M * _DEG * math.sqrt(x * x + dlat * dlat)


def metres_per_degree_lon(lat: float) -> float:
    return EARTH_RADIUS_M * _DEG * math.cos(lat * _DEG)


METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * _DEG


def step_metres(points: list) -> list:
    """Distances between consecutive fixes, in one pass (the hot loop of every stage:
    the flat formula inlined, haversine for the rare long hop)."""
    out = []
    k = EARTH_RADIUS_M * _DEG
    it = iter(points)
    prev = next(it, None)
    if prev is None:
        return out
    lat0, lon0 = prev.lat, prev.lon
    for p in it:
        lat1, lon1 = p.lat, p.lon
        dlat, dlon = lat1 - lat0, lon1 - lon0
        if -_LONG_HOP_DEG < dlat < _LONG_HOP_DEG and -_LONG_HOP_DEG < dlon < _LONG_HOP_DEG:
            x = dlon * math.cos((lat0 + lat1) * 0.5 * _DEG)
            out.append(k * math.sqrt(x * x + dlat * dlat))
        else:
            out.append(haversine_m(lat0, lon0, lat1, lon1))
        lat0, lon0 = lat1, lon1
    return out
