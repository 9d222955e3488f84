"""Streaming encoders: GPX, GeoJSON, CSV and JSON arrays, one set for the exports
(`selfdata export`, the archive) and the OwnTracks Recorder API (`/api/0/locations`).

An encoder writes a head, one piece per item, then a tail, and counts the items; it holds
one item at a time, so memory does not grow with a history's length. The format is the
encoder's; what goes in is the caller's: the exports write fixes as stored (``vel`` in m/s,
readable back by our importers), the Recorder API writes the Recorder's location objects, so
CSV columns, GeoJSON properties and JSON values are given as functions of an item.

    encoder = GpxEncoder(extensions=True)
    n = encoder.write(out, rows)            # to a text stream
    data = encoder.chunk(rows, 500)         # or the next 500 items as bytes (the API hands
                                            # a worker thread's encoding to the event loop)
"""
from __future__ import annotations

import csv
import io
import itertools
from html import escape as _escape
from typing import Callable, Iterable

from carbon.times import iso_utc

from ..store.locations import compact  # noqa: F401 (the encoders' own, re-exported)


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as XML entities (xml.sax.saxutils.escape's output, without
    loading the xml package into the service for it)."""
    return _escape(text, quote=False)


GPX_EXTENSIONS = "https://selfdata.local/gpx/1"
# Fix values written as GPX extensions (<sd:acc>...) when asked, so a GPX export reads back
# with everything the box knew.
_EXTENSION_KEYS = ("acc", "vel", "cog", "batt")


def number(value) -> str:
    """Shortest text that reads back as the same float (repr), integers without '.0'."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class Encoder:
    content_type = "application/octet-stream"

    def __init__(self):
        self.count = 0

    def head(self) -> str:
        return ""

    def item(self, item) -> str:
        raise NotImplementedError

    def tail(self) -> str:
        return ""

    def encode(self, items: Iterable, n: int | None = None) -> str:
        """The next ``n`` items (all when None), counted."""
        parts = []
        for item in itertools.islice(items, n):
            parts.append(self.item(item))
            self.count += 1
        return "".join(parts)

    def chunk(self, items, n: int) -> bytes:
        return self.encode(items, n).encode()

    def write(self, out, items: Iterable) -> int:
        """Head, every item, tail to a text stream; returns how many items."""
        out.write(self.head())
        for item in items:
            out.write(self.item(item))
            self.count += 1
        out.write(self.tail())
        return self.count


class JsonArrayEncoder(Encoder):
    """``open``, the items' ``value(item)`` as compact JSON separated by ``sep``, then
    ``close`` (a string, or a function of the count: the Recorder's ``"count"`` comes last
    because it is known last). With ``encoded``, ``value(item)`` is already JSON text
    (built by SQLite, or pieced together faster than ``json.dumps`` would)."""

    content_type = "application/json"

    def __init__(self, value: Callable = lambda item: item, *, open: str = "[",
                 close: str | Callable[[int], str] = "]", sep: str = ",",
                 encoded: bool = False):
        super().__init__()
        self.value, self._open, self._close, self.sep = value, open, close, sep
        self.encoded = encoded

    def head(self) -> str:
        return self._open

    def item(self, item) -> str:
        return (self.sep if self.count else "") + self._text(item)

    def _text(self, item) -> str:
        return self.value(item) if self.encoded else compact(self.value(item))

    def encode(self, items: Iterable, n: int | None = None) -> str:
        texts = [self._text(item) for item in itertools.islice(items, n)]
        if not texts:
            return ""
        lead = self.sep if self.count else ""
        self.count += len(texts)
        return lead + self.sep.join(texts)

    def tail(self) -> str:
        return self._close(self.count) if callable(self._close) else self._close


class GeoJsonEncoder(JsonArrayEncoder):
    """A FeatureCollection of points: ``coordinates(item)`` (by default ``[lon, lat]``, and
    the altitude when ``altitude`` and known) with ``properties(item)``."""

    content_type = "application/geo+json"

    def __init__(self, properties: Callable[[object], dict] | None = None, *,
                 altitude: bool = True, lines: bool = False,
                 feature: Callable[[object], str] | None = None):
        """``feature``, when given, writes an item's whole Feature as JSON text itself
        (``point_feature`` helps) instead of ``properties``."""
        nl = "\n" if lines else ""
        super().__init__(feature or self._feature,
                         open='{"type":"FeatureCollection","features":[' + nl,
                         close=nl + "]}" + nl, sep="," + nl, encoded=True)
        self.properties, self.altitude = properties, altitude

    def _coordinates(self, item) -> list:
        coords = [item["lon"], item["lat"]]
        if self.altitude and item["alt"] is not None:
            coords.append(item["alt"])
        return coords

    def _feature(self, item) -> str:
        return point_feature(compact(self._coordinates(item)), compact(self.properties(item)))


def point_feature(coordinates: str, properties: str) -> str:
    """A GeoJSON Point Feature from its coordinates and properties as JSON text: the same
    text as one dumps of the nested feature, cheaper (a year is 300,000 features)."""
    return ('{"type":"Feature","geometry":{"type":"Point","coordinates":' + coordinates
            + '},"properties":' + properties + "}")


class LineStringEncoder(JsonArrayEncoder):
    """One GeoJSON LineString feature through the items, in the order given."""

    content_type = "application/geo+json"

    def __init__(self):
        # Stored coordinates are floats, whose JSON is their repr: no dumps per point.
        super().__init__(lambda item: f"[{item['lon']!r},{item['lat']!r}]", encoded=True,
                         open='{"type":"Feature","properties":{},"geometry":'
                              '{"type":"LineString","coordinates":[',
                         close="]}}")


class GpxEncoder(Encoder):
    """GPX 1.1. Items are fixes as stored (``ts lat lon alt``, and with ``extensions`` also
    ``acc vel cog batt activity`` as ``<sd:...>`` elements). With a ``title`` everything is
    one track of that name; without, a track starts whenever the item's ``device`` changes."""

    content_type = "application/gpx+xml"

    def __init__(self, *, title: str | None = None, extensions: bool = False):
        super().__init__()
        self.title, self.extensions = title, extensions
        self._track = None

    def head(self) -> str:
        ns = f' xmlns:sd="{GPX_EXTENSIONS}"' if self.extensions else ""
        text = ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
                f'creator="selfdata-gateway" xmlns="http://www.topografix.com/GPX/1/1"{ns}>\n')
        if self.title is not None:
            self._track = self.title
            text += f"<trk><name>{escape(self.title)}</name><trkseg>\n"
        return text

    def item(self, p) -> str:
        text = ""
        if self.title is None and p["device"] != self._track:
            if self._track is not None:
                text += "</trkseg></trk>\n"
            self._track = p["device"]
            text += f"<trk><name>{escape(self._track)}</name><trkseg>\n"
        return text + self._trkpt(p)

    def _trkpt(self, p) -> str:
        alt = p["alt"]
        ele = "" if alt is None else f"<ele>{number(alt)}</ele>"  # GPX wants ele before time
        text = (f'<trkpt lat="{number(p["lat"])}" lon="{number(p["lon"])}">{ele}'
                f"<time>{iso_utc(p['ts'])}</time>")
        if self.extensions:
            text += self._extensions(p)
        return text + "</trkpt>\n"

    @staticmethod
    def _extensions(p) -> str:
        ext = [f"<sd:{k}>{number(p[k])}</sd:{k}>" for k in _EXTENSION_KEYS if p[k] is not None]
        if p["activity"]:
            ext.append(f"<sd:activity>{escape(p['activity'])}</sd:activity>")
        return "<extensions>" + "".join(ext) + "</extensions>" if ext else ""

    def tail(self) -> str:
        return ("</trkseg></trk>\n" if self._track is not None else "") + "</gpx>\n"


class CsvEncoder(Encoder):
    """A header of ``columns``, then ``row(item)`` (a list of cell values) per item; one CSV
    writer per chunk, not per line (the exports' hot path)."""

    content_type = "text/csv"

    def __init__(self, columns, row: Callable[[object], list]):
        super().__init__()
        self.columns, self.row = list(columns), row

    def head(self) -> str:
        return self._lines([self.columns])

    def item(self, item) -> str:
        return self._lines([self.row(item)])

    def encode(self, items, n: int | None = None) -> str:
        rows = []
        for item in itertools.islice(items, n):
            rows.append(self.row(item))
            self.count += 1
        return self._lines(rows)

    def write(self, out, items) -> int:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for item in items:
            writer.writerow(self.row(item))
            self.count += 1
        return self.count

    @staticmethod
    def _lines(rows) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
