"""What Google's two on-device Timeline exports share: the ``semanticSegments`` items.

Android writes ``{"latLng": "46.1°, -1.1°"}`` objects and real numbers; iOS writes every value
as a string and positions as ``"geo:46.1,-1.1"`` directly; both are handled here so the two
readers stay thin. A segment is a visit, an activity or a timeline path (or several).
"""
from __future__ import annotations

from carbon.fix import Fix

from .activity import mode_of
from .base import LABEL_CAP, Segment, number, parse_latlng, parse_time, text


def _position(value):
    if isinstance(value, dict):
        value = value.get("latLng") or value.get("LatLng")
    return parse_latlng(value) if value else None


def _visit(seg: dict, start: int, end: int):
    visit = seg["visit"]
    top = visit.get("topCandidate") or {}
    pos = _position(top.get("placeLocation"))
    lat, lon = pos if pos else (None, None)
    yield Segment("visit", start, end, lat, lon,
                  label=text(top.get("placeId") or top.get("placeID"), LABEL_CAP) or "",
                  confidence=number(visit.get("probability")),
                  semantic_type=text(top.get("semanticType"), LABEL_CAP))
    # Nested visits (hierarchyLevel > 0: the mall around the shop) repeat the same times.
    if pos and int(number(visit.get("hierarchyLevel")) or 0) == 0:
        yield Fix(ts=start, lat=lat, lon=lon)
        if end != start:
            yield Fix(ts=end, lat=lat, lon=lon)


def _activity(seg: dict, start: int, end: int):
    act = seg["activity"]
    top = act.get("topCandidate") or {}
    google_type = text(top.get("type"), LABEL_CAP) or ""
    mode = mode_of(google_type)
    first, last = _position(act.get("start")), _position(act.get("end"))
    yield Segment("activity", start, end, *(first or (None, None)), *(last or (None, None)),
                  label=google_type, mode=mode,
                  confidence=number(top.get("probability") or act.get("probability")),
                  distance_m=number(act.get("distanceMeters")))
    if first:
        yield Fix(ts=start, lat=first[0], lon=first[1], activity=mode)
    if last and end != start:
        yield Fix(ts=end, lat=last[0], lon=last[1], activity=mode)


def _path(seg: dict, start: int):
    for p in seg.get("timelinePath") or ():
        pos = _position(p.get("point"))
        if p.get("time"):
            ts = parse_time(p["time"])
        elif p.get("durationMinutesOffsetFromStartTime") is not None:
            ts = start + round(60 * float(p["durationMinutesOffsetFromStartTime"]))
        else:
            raise ValueError("timelinePath point without a time")
        if pos:
            yield Fix(ts=ts, lat=pos[0], lon=pos[1])


def segment_items(seg: dict) -> list:
    """Fixes and Segments of one semantic segment; raises ValueError/TypeError when malformed."""
    if "startTime" not in seg:
        raise ValueError("segment without startTime")
    start = parse_time(seg["startTime"])
    end = parse_time(seg.get("endTime") or seg["startTime"])
    items = []
    if isinstance(seg.get("visit"), dict):
        items.extend(_visit(seg, start, end))
    if isinstance(seg.get("activity"), dict):
        items.extend(_activity(seg, start, end))
    items.extend(_path(seg, start))
    return items
