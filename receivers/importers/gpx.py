"""GPX 1.0 and 1.1: track points, route points and timed waypoints.

Speed and course come from GPX 1.0's ``<speed>``/``<course>`` or any extension element of
that name (Garmin's TrackPointExtension, OsmAnd); our own export adds ``acc``, ``batt`` and
``activity`` extensions so a round trip loses nothing.
"""
from __future__ import annotations

from carbon.fix import Fix

from .base import Bad, check_position, number, parse_time
from .xmlstream import child_text, elements, local

KIND = "gpx"
_POINTS = {"trkpt": "track point", "rtept": "route point", "wpt": "waypoint"}


def _extension(elem, *names):
    for name in names:
        value = child_text(elem, name)
        if value:
            return value
    return None


def to_fix(elem) -> Fix:
    lat, lon = check_position(elem.get("lat"), elem.get("lon"))
    stamp = child_text(elem, "time")
    if not stamp:
        raise ValueError("point without a time")
    batt = number(_extension(elem, "batt"))
    return Fix(ts=parse_time(stamp), lat=lat, lon=lon,
               acc=number(_extension(elem, "acc", "accuracy")),
               alt=number(child_text(elem, "ele")),
               vel=number(_extension(elem, "speed", "vel")), cog=number(_extension(elem, "course", "cog")),
               batt=int(batt) if batt is not None else None,
               activity=_extension(elem, "activity") or None)


def read(stream, name: str = ""):
    counts = dict.fromkeys(_POINTS, 0)
    for elem in elements(stream, set(_POINTS)):
        kind = local(elem.tag)
        counts[kind] += 1
        where = f"{_POINTS[kind]} {counts[kind]}"
        if kind == "wpt" and child_text(elem, "time") is None:
            continue  # a planned waypoint (a POI), not a position someone was at
        try:
            yield to_fix(elem)
        except (ValueError, TypeError) as exc:
            yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed point", where)
