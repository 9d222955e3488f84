"""GPX 1.0 and 1.1: track points, route points and timed waypoints.

Speed and course come from GPX 1.0's ``<speed>``/``<course>`` or any extension element of
that name (Garmin's TrackPointExtension, OsmAnd); our own export adds ``acc``, ``batt`` and
``activity`` extensions so a round trip loses nothing.
"""
from __future__ import annotations

from carbon.fix import Fix

from . import xmlstream
from .base import Bad, check_position, number, parse_time

KIND = "gpx"
_POINTS = {"trkpt": "track point", "rtept": "route point", "wpt": "waypoint"}
# The only texts kept, each capped: a time is ~30 characters, a number a dozen; 64 leaves
# room for any fraction or offset. Everything else (names, descriptions, links) is dropped
# as it streams.
TEXT_CAP = 64
_TEXTS = ("time", "ele", "speed", "vel", "course", "cog", "acc", "accuracy", "batt", "activity")


def _cap(name: str, parent: str) -> int:
    return TEXT_CAP if name in _TEXTS else 0


def _first(texts: dict, *names):
    for name in names:
        value = texts.get(name)
        if value:
            return value
    return None


def to_fix(attrs: dict, texts: dict) -> Fix:
    """A fix from a point's attributes and the texts of its children and extensions
    (``speed``/``course`` from GPX 1.0 or any extension of that name)."""
    lat, lon = check_position(attrs.get("lat"), attrs.get("lon"))
    stamp = texts.get("time")
    if not stamp:
        raise ValueError("point without a time")
    batt = number(_first(texts, "batt"))
    return Fix(ts=parse_time(stamp), lat=lat, lon=lon,
               acc=number(_first(texts, "acc", "accuracy")),
               alt=number(texts.get("ele")),
               vel=number(_first(texts, "speed", "vel")), cog=number(_first(texts, "course", "cog")),
               batt=int(batt) if batt is not None else None,
               activity=_first(texts, "activity") or None)


def read(stream, name: str = ""):
    counts = dict.fromkeys(_POINTS, 0)
    point = attrs = texts = problem = None   # the point being read
    depth = 0                                # elements open inside it
    for event, tag, value in xmlstream.events(stream, _cap):
        if point is None:
            if event == "start" and tag in _POINTS:
                point, attrs, texts, problem, depth = tag, value, {}, None, 0
            continue
        if event == "start":
            depth += 1
        elif event == "deep":
            problem = problem or f"nests deeper than {xmlstream.MAX_DEPTH} levels"
        elif depth:
            depth -= 1
            if isinstance(value, xmlstream.TooLong):
                problem = problem or value.reason
            elif value is not None:
                texts.setdefault(tag, value.strip())
        else:   # the point closes
            counts[point] += 1
            item = _point(point, attrs, texts, problem, f"{_POINTS[point]} {counts[point]}")
            point = None
            if item is not None:
                yield item


def _point(kind: str, attrs: dict, texts: dict, problem, where: str):
    if problem:
        return Bad(problem, where)
    if kind == "wpt" and "time" not in texts:
        return None  # a planned waypoint (a POI), not a position someone was at
    try:
        return to_fix(attrs, texts)
    except (ValueError, TypeError) as exc:
        return Bad(str(exc) if isinstance(exc, ValueError) else "malformed point", where)
