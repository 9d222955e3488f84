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
    # abs(d) > _LONG_HOP_DEG, spelt as comparisons (a call fewer; NaN still goes flat)
    if (dlat > _LONG_HOP_DEG or dlat < -_LONG_HOP_DEG or dlon > _LONG_HOP_DEG
            or dlon < -_LONG_HOP_DEG):
        return haversine_m(lat1, lon1, lat2, lon2)
    x = dlon * _cos((lat1 + lat2) * 0.5 * _DEG)
    return _M_PER_DEG * _sqrt(x * x + dlat * dlat)


_cos, _sqrt = math.cos, math.sqrt
_M_PER_DEG = EARTH_RADIUS_M * _DEG      # the same product as EARTH_RADIUS_M * _DEG * ...


def metres_per_degree_lon(lat: float) -> float:
    return EARTH_RADIUS_M * _DEG * math.cos(lat * _DEG)


METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * _DEG


# ----- geohash

GEOHASH_PRECISION = 7  # the OwnTracks Recorder's default: cells of about 153 m x 153 m
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


def geohash(lat: float, lon: float, precision: int = GEOHASH_PRECISION) -> str:
    """Standard geohash (precision 1-12). Repeated halving of the longitude and latitude
    ranges is the same as taking the leading bits of each coordinate scaled to [0, 1):
    quantise both, interleave the bits (longitude first), read 5 bits per character. It is
    computed for every stored fix, so this avoids a Python loop per bit."""
    if precision == 7:
        return _geohash7(lat, lon)
    return _geohash_bits(lat, lon, precision)


def _geohash_bits(lat: float, lon: float, precision: int) -> str:
    bits = 5 * precision
    lon_bits, lat_bits = (bits + 1) // 2, bits // 2
    x = min(int((lon + 180.0) / 360.0 * (1 << lon_bits)), (1 << lon_bits) - 1)
    y = min(int((lat + 90.0) / 180.0 * (1 << lat_bits)), (1 << lat_bits) - 1)
    # The last bit is a longitude bit when the count is odd, a latitude bit when even.
    code = _spread(x) | (_spread(y) << 1) if bits % 2 else (_spread(x) << 1) | _spread(y)
    return "".join(_BASE32[(code >> (5 * i)) & 31] for i in range(precision - 1, -1, -1))


def _spread(v: int) -> int:
    """Put the bits of a 32-bit value on the even positions of a 64-bit one."""
    v &= 0xFFFFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    return (v | (v << 1)) & 0x5555555555555555


_SPREAD9 = [_spread(v) for v in range(512)]
_PAIRS = [a + b for a in _BASE32 for b in _BASE32]   # 10 bits -> their two characters


def _geohash7(lat: float, lon: float) -> str:
    """Precision 7 (18 longitude bits, 17 latitude bits), the one stored with every fix of
    every import: the same quantisation as ``geohash``, the interleaving and the reading
    done by table lookups."""
    x = min(int((lon + 180.0) / 360.0 * (1 << 18)), (1 << 18) - 1)
    y = min(int((lat + 90.0) / 180.0 * (1 << 17)), (1 << 17) - 1)
    if x < 0 or y < 0:  # off the globe: the general path says what it says
        return _geohash_bits(lat, lon, 7)
    code = (_SPREAD9[x & 511] | _SPREAD9[x >> 9] << 18
            | (_SPREAD9[y & 511] | _SPREAD9[y >> 9] << 18) << 1)
    return (_PAIRS[code >> 25] + _PAIRS[(code >> 15) & 1023] + _PAIRS[(code >> 5) & 1023]
            + _BASE32[code & 31])


def step_metres(points: list) -> list:
    """Distances between consecutive fixes, in one pass (the hot loop of every stage:
    the flat formula inlined, haversine for the rare long hop)."""
    out = []
    append, cos, sqrt = out.append, math.cos, math.sqrt
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
            x = dlon * cos((lat0 + lat1) * 0.5 * _DEG)
            append(k * sqrt(x * x + dlat * dlat))
        else:
            append(haversine_m(lat0, lon0, lat1, lon1))
        lat0, lon0 = lat1, lon1
    return out
