"""KML: timed Placemark points (``<TimeStamp><when>`` + ``<Point>``) and ``gx:Track``s
(Google's old location history KML: ``<when>`` and ``<gx:coord>`` lists paired in order).

A track is paired as it streams: Google writes all its ``<when>``s before its ``<gx:coord>``s,
so what waits for its pair is kept compactly (8 bytes a time, 24 a position) and capped.
Untimed geometry (a plain LineString, an untimed Point) cannot become fixes and is reported
as such.
"""
from __future__ import annotations

import math
from array import array

from carbon.fix import Fix

from . import xmlstream
from .base import Bad, check_position, parse_time

KIND = "kml"
# A time is ~30 characters, a gx:coord ~40, a Point's coordinates ~40: the caps leave
# room for any precision. A LineString's coordinates (untimed, unused) are never kept.
TEXT_CAPS = {("when", None): 64, ("coord", "Track"): 128, ("coordinates", "Point"): 256}
# What a gx:Track may hold unpaired (a day of Google history is ~1,500): 1,000,000 times
# or positions waiting is 8-24 MB.
MAX_UNPAIRED = 1_000_000
_REASONS = 64           # distinct error messages kept per track (then a generic one)


def _cap(name: str, parent: str) -> int:
    return TEXT_CAPS.get((name, None)) or TEXT_CAPS.get((name, parent), 0)


def _coords(text: str, sep=None):
    """``lon,lat[,alt]`` (KML coordinates) or ``lon lat [alt]`` (gx:coord)."""
    parts = text.replace(",", " ").split() if sep is None else text.split(sep)
    lon, lat = float(parts[0]), float(parts[1])
    alt = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
    lat, lon = check_position(lat, lon)
    return lat, lon, alt


class _Track:
    """The ``<when>``s and ``<gx:coord>``s of one gx:Track not paired yet, in arrays; an
    unreadable one is kept as a code into ``reasons`` so its error comes out in its turn."""

    def __init__(self):
        self.times, self.coords = array("q"), array("d")
        self.t = self.c = 0           # next unpaired index in each
        self.n = 0                    # points paired so far
        self.reasons: list[str] = []
        self.overflow = 0

    def _reason(self, text: str) -> int:
        if text not in self.reasons:
            if len(self.reasons) >= _REASONS:
                text = "unreadable track point"
                if text in self.reasons:
                    return self.reasons.index(text)
            self.reasons.append(text)
        return self.reasons.index(text)

    def _full(self) -> bool:
        if len(self.times) - self.t + len(self.coords) // 3 - self.c < MAX_UNPAIRED:
            return False
        self.overflow += 1
        return True

    def add_time(self, text) -> None:
        if self._full():
            return
        if isinstance(text, xmlstream.TooLong):
            self.times.append(-1 - self._reason(text.reason))
            return
        try:
            self.times.append(parse_time(text or ""))
        except ValueError as exc:
            self.times.append(-1 - self._reason(str(exc)))

    def add_coord(self, text) -> None:
        if self._full():
            return
        if isinstance(text, xmlstream.TooLong):
            self.coords.extend((math.nan, self._reason(text.reason), 0.0))
            return
        try:
            lat, lon, alt = _coords((text or "").strip(), sep=" ")
            self.coords.extend((lat, lon, math.nan if alt is None else alt))
        except (ValueError, IndexError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else "malformed gx:coord"
            self.coords.extend((math.nan, self._reason(reason), 0.0))

    def pairs(self):
        while self.t < len(self.times) and self.c < len(self.coords) // 3:
            ts = self.times[self.t]
            lat, lon, alt = self.coords[3 * self.c:3 * self.c + 3]
            self.t += 1
            self.c += 1
            self.n += 1
            where = f"track point {self.n}"
            if ts < 0:
                yield Bad(self.reasons[-1 - ts], where)
            elif math.isnan(lat):
                yield Bad(self.reasons[int(lon)], where)
            else:
                yield Fix(ts=ts, lat=lat, lon=lon, alt=None if math.isnan(alt) else alt)
        if self.t == len(self.times) and self.c == len(self.coords) // 3:
            del self.times[:], self.coords[:]      # all paired: start again from empty
            self.t = self.c = 0


class _Placemark:
    def __init__(self):
        self.when = self.coordinates = self.problem = None
        self.point = self.line = False

    def items(self, where: str):
        if self.problem:
            return [Bad(self.problem, where)]
        if not self.point:
            return [Bad("line without times", where)] if self.line else []
        if not self.when:
            return [Bad("point without a time", where)]
        try:
            lat, lon, alt = _coords(self.coordinates or "")
            return [Fix(ts=parse_time(self.when), lat=lat, lon=lon, alt=alt)]
        except (ValueError, IndexError) as exc:
            return [Bad(str(exc) if isinstance(exc, ValueError) else "malformed coordinates",
                        where)]


def read(stream, name: str = ""):
    stack: list[str] = []           # open elements' names (never deeper than MAX_DEPTH)
    placemark, track, placemarks = None, None, 0
    for event, tag, value in xmlstream.events(stream, _cap):
        if event == "start":
            stack.append(tag)
            if tag == "Placemark" and placemark is None:
                placemark = _Placemark()
            elif tag == "Track" and track is None:
                track = _Track()
            elif placemark is not None and track is None:
                if tag == "Point":
                    placemark.point = True
                elif tag in ("LineString", "LinearRing"):
                    placemark.line = True
            continue
        if event == "deep":
            if placemark is not None:
                placemark.problem = placemark.problem or (
                    f"nests deeper than {xmlstream.MAX_DEPTH} levels")
            continue
        stack.pop()
        parent = stack[-1] if stack else ""
        if track is not None and parent == "Track":
            if tag == "when":
                track.add_time(value)
            elif tag == "coord":
                track.add_coord(value)
            yield from track.pairs()
        elif tag == "Track" and track is not None:
            if track.overflow:
                yield Bad(f"gx:Track holds more than {MAX_UNPAIRED:,} unpaired <when> or "
                          "<gx:coord>", f"track point {track.n + 1}")
            track = None
        elif placemark is not None:
            if tag == "Placemark":
                placemarks += 1
                yield from placemark.items(f"placemark {placemarks}")
                placemark = None
            elif isinstance(value, xmlstream.TooLong):
                placemark.problem = placemark.problem or value.reason
            elif tag == "when" and placemark.when is None:
                placemark.when = value.strip()
            elif tag == "coordinates" and parent == "Point" and placemark.coordinates is None:
                placemark.coordinates = value
