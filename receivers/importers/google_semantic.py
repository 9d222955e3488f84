"""Google Takeout *Semantic Location History* monthly files: ``{"timelineObjects": [...]}``.

Each object is a ``placeVisit`` or an ``activitySegment``. Both become a labelled
``Segment``; their positions become fixes: the visit's place at its start and end, the
segment's ends, its ``simplifiedRawPath`` points (timed), or failing those its
``waypointPath`` (untimed: times are spread along the path by distance, and the fix says so
in ``raw``, because a trip with no points between its ends cannot be measured).
"""
from __future__ import annotations

import json
import math

from carbon.fix import Fix

from . import jsonstream
from .activity import mode_of
from .base import LABEL_CAP, Bad, Segment, check_position, parse_time, text

KIND = "google-semantic"
_ARRAYS = {("timelineObjects",): "timelineObjects"}


def _e7(obj: dict, lat_key: str, lon_key: str):
    if not isinstance(obj, dict) or obj.get(lat_key) is None or obj.get(lon_key) is None:
        return None
    return check_position(int(obj[lat_key]) / 1e7, int(obj[lon_key]) / 1e7)


def _duration(obj: dict) -> tuple[int, int]:
    d = obj.get("duration") or {}
    start = d.get("startTimestamp") or d.get("startTimestampMs")
    end = d.get("endTimestamp") or d.get("endTimestampMs")
    if start is None or end is None:
        raise ValueError("no duration")
    return parse_time(start), parse_time(end)


def _visit(v: dict):
    start, end = _duration(v)
    loc = v.get("location") or {}
    pos = _e7(loc, "latitudeE7", "longitudeE7") or _e7(v, "centerLatE7", "centerLngE7")
    lat, lon = pos if pos else (None, None)
    yield Segment("visit", start, end, lat, lon, label=text(loc.get("placeId"), LABEL_CAP) or "",
                  confidence=_num(v.get("visitConfidence")),
                  place_name=text(loc.get("name"), LABEL_CAP),
                  semantic_type=text(loc.get("semanticType"), LABEL_CAP))
    if pos:
        yield Fix(ts=start, lat=lat, lon=lon)
        if end != start:
            yield Fix(ts=end, lat=lat, lon=lon)
    yield from _raw_path(v, None)


def _segment(a: dict):
    start, end = _duration(a)
    first = _e7(a.get("startLocation"), "latitudeE7", "longitudeE7")
    last = _e7(a.get("endLocation"), "latitudeE7", "longitudeE7")
    google_type = text(a.get("activityType"), LABEL_CAP) or ""
    mode = mode_of(google_type)
    probability = next((x.get("probability") for x in a.get("activities") or ()
                        if x.get("activityType") == google_type), None)
    yield Segment("activity", start, end, *(first or (None, None)), *(last or (None, None)),
                  label=google_type, mode=mode, confidence=_num(probability),
                  distance_m=_num(a.get("distance")))
    if first:
        yield Fix(ts=start, lat=first[0], lon=first[1], activity=mode)
    if last:
        yield Fix(ts=end, lat=last[0], lon=last[1], activity=mode)
    timed = list(_raw_path(a, mode))
    yield from timed if timed else _waypoints(a, start, end, first, last, mode)


def _raw_path(obj: dict, mode):
    for p in (obj.get("simplifiedRawPath") or {}).get("points") or ():
        pos = _e7(p, "latE7", "lngE7")
        stamp = p.get("timestamp") or p.get("timestampMs")
        if pos and stamp is not None:
            yield Fix(ts=parse_time(stamp), lat=pos[0], lon=pos[1],
                      acc=_num(p.get("accuracyMeters")), activity=mode)


def _waypoints(a: dict, start: int, end: int, first, last, mode):
    points = [_e7(w, "latE7", "lngE7") for w in (a.get("waypointPath") or {}).get("waypoints") or ()]
    points = [p for p in points if p]
    path = ([first] if first else []) + points + ([last] if last else [])
    if len(points) == 0 or len(path) < 2:
        return
    cumulative = [0.0]
    for (la1, lo1), (la2, lo2) in zip(path, path[1:]):
        cumulative.append(cumulative[-1] + _metres(la1, lo1, la2, lo2))
    total = cumulative[-1] or 1.0
    offset = 1 if first else 0
    raw = json.dumps({"interpolated": "google waypointPath"})
    for k, (lat, lon) in enumerate(points):
        ts = start + round((end - start) * cumulative[k + offset] / total)
        if start < ts < end:
            yield Fix(ts=ts, lat=lat, lon=lon, activity=mode, raw=raw)


def _metres(lat1, lon1, lat2, lon2) -> float:
    """Equirectangular distance: only used to spread times, so a few % error is fine."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371000.0 * math.hypot(x, math.radians(lat2 - lat1))


def _num(value):
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def read(stream, name: str = ""):
    for _, i, obj in jsonstream.items(stream, _ARRAYS):
        where = f"timelineObjects[{i}]"
        try:
            if isinstance(obj, jsonstream.TooBig):
                items = [Bad(obj.reason, where)]
            elif not isinstance(obj, dict):
                items = [Bad("not an object", where)]
            elif "placeVisit" in obj:
                items = list(_visit(obj["placeVisit"]))
            elif "activitySegment" in obj:
                items = list(_segment(obj["activitySegment"]))
            else:
                items = [Bad("neither placeVisit nor activitySegment", where)]
        except (ValueError, TypeError, AttributeError) as exc:
            items = [Bad(str(exc) if isinstance(exc, ValueError) else "malformed object", where)]
        yield from items
