"""KML: timed Placemark points (``<TimeStamp><when>`` + ``<Point>``) and ``gx:Track``s
(Google's old location history KML: ``<when>`` and ``<gx:coord>`` lists paired in order).

A track is paired as it streams, so its size does not matter; untimed geometry (a plain
LineString, an untimed Point) cannot become fixes and is reported as such.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import deque

from carbon.fix import Fix

from .base import Bad, check_position, parse_time
from .xmlstream import child_text, local

KIND = "kml"


def _coords(text: str, sep=None):
    """``lon,lat[,alt]`` (KML coordinates) or ``lon lat [alt]`` (gx:coord)."""
    parts = text.replace(",", " ").split() if sep is None else text.split(sep)
    lon, lat = float(parts[0]), float(parts[1])
    alt = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
    lat, lon = check_position(lat, lon)
    return lat, lon, alt


class _Track:
    def __init__(self):
        self.times, self.coords, self.n = deque(), deque(), 0

    def pairs(self):
        while self.times and self.coords:
            self.n += 1
            yield self.n, self.times.popleft(), self.coords.popleft()


def _placemark(elem, index: int):
    where = f"placemark {index}"
    point = next((e for e in elem.iter() if local(e.tag) == "Point"), None)
    if point is None:
        has_line = any(local(e.tag) in ("LineString", "LinearRing") for e in elem.iter())
        return [Bad("line without times", where)] if has_line else []
    stamp = child_text(elem, "when")
    if not stamp:
        return [Bad("point without a time", where)]
    lat, lon, alt = _coords(child_text(point, "coordinates") or "")
    return [Fix(ts=parse_time(stamp), lat=lat, lon=lon, alt=alt)]


def read(stream, name: str = ""):
    stack, track, placemarks = [], None, 0
    for event, elem in ET.iterparse(stream, events=("start", "end")):
        tag = local(elem.tag)
        if event == "start":
            stack.append(elem)
            if tag == "Track":
                track = _Track()
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if track is not None and parent is not None and local(parent.tag) == "Track":
            if tag == "when":
                track.times.append(elem.text or "")
            elif tag == "coord":
                track.coords.append(elem.text or "")
            parent.remove(elem)
            for n, stamp, coord in track.pairs():
                yield _track_point(stamp, coord, n)
            continue
        if tag == "Track":
            track = None
        elif tag == "Placemark":
            placemarks += 1
            try:
                yield from _placemark(elem, placemarks)
            except (ValueError, IndexError) as exc:
                yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed coordinates",
                          f"placemark {placemarks}")
        # A placemark reads its children when it closes; everything else goes once done.
        if parent is not None and not _under(stack, "Placemark"):
            parent.remove(elem)


def _under(stack, name: str) -> bool:
    return any(local(e.tag) == name for e in stack)


def _track_point(stamp: str, coord: str, n: int):
    try:
        lat, lon, alt = _coords(coord.strip(), sep=" ")
        return Fix(ts=parse_time(stamp), lat=lat, lon=lon, alt=alt)
    except (ValueError, IndexError) as exc:
        return Bad(str(exc) if isinstance(exc, ValueError) else "malformed gx:coord",
                   f"track point {n}")
