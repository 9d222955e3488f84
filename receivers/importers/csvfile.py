"""CSV with a header: a time column (``ts``/``time``/``timestamp``..., epoch s or ms or ISO),
``lat``, ``lon``, optional ``acc``, ``alt``, ``speed`` (m/s), ``cog``, ``batt``, ``activity``;
a ``vel`` column beside a ``tst`` or ``isotst`` one is OwnTracks' km/h (the Recorder's CSV: base.owntracks_named).
The delimiter (``,`` ``;`` or TAB) is taken from the header line."""
from __future__ import annotations

import csv

from carbon.fix import Fix

from .base import KMH, Bad, check_position, lines, number, owntracks_named, parse_time, text

KIND = "csv"
# A GPS logger's row is under 200 bytes and 30 columns; a line of 64 KiB or 256 fields is
# no position record (and csv would build every field of it).
MAX_LINE = 64 * 1024
MAX_FIELDS = 256
ALIASES = {
    "ts": ("ts", "tst", "isotst", "time", "timestamp", "datetime", "date_time", "utc", "epoch", "date"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "acc": ("acc", "accuracy", "hacc", "horizontal_accuracy", "accuracy_m"),
    "alt": ("alt", "altitude", "ele", "elevation"),
    "vel": ("speed", "vel", "velocity", "speed_ms"),
    "cog": ("cog", "course", "bearing", "heading"),
    "batt": ("batt", "battery"),
    "activity": ("activity", "mode"),
}


def _norm(name: str) -> str:
    return name.strip().strip('"').lower().replace(" ", "_").replace("(m)", "").rstrip("_")


def columns(header: list[str]) -> dict[str, int]:
    """Our field -> column index, from a header row (first alias found wins); ``kmh`` -> 1
    when the speed column is OwnTracks' ``vel`` in km/h."""
    names = [_norm(h) for h in header]
    found = {}
    for field, aliases in ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[field] = names.index(alias)
                break
    named = {f: names[k] for f, k in found.items()}
    if owntracks_named(named.get("ts"), named.get("vel")):
        found["kmh"] = 1
    return found


def delimiter(first_line: str) -> str:
    return max((",", ";", "\t"), key=first_line.count)


def _fix(row: list[str], cols: dict) -> Fix:
    def get(field):
        k = cols.get(field)
        return row[k].strip() if k is not None and k < len(row) else ""
    lat, lon = check_position(get("lat"), get("lon"))
    batt, vel = number(get("batt")), number(get("vel"))
    if vel is not None and "kmh" in cols:
        vel *= KMH
    return Fix(ts=parse_time(get("ts")), lat=lat, lon=lon, acc=number(get("acc")),
               alt=number(get("alt")), vel=vel, cog=number(get("cog")),
               batt=int(batt) if batt is not None else None,
               activity=text(get("activity"), 64) or None)


class _Lines:
    """The decoded lines csv reads: an over-long line is left out and noted; a row whose
    quoted fields run on over lines past ``MAX_LINE`` bytes raises ``csv.Error`` (csv then
    starts afresh at the next line), so no row is ever built larger than that."""

    def __init__(self, stream):
        self.source = lines(stream, MAX_LINE)
        self.number = 0          # the physical line last handed to csv
        self.too_long: list[int] = []
        self.row_bytes = 0       # of the row being read (reset by the reader)
        self.row_start = 0       # its first line

    def header(self) -> str:
        for self.number, raw in self.source:
            if raw is None:
                raise csv.Error(f"the header line is longer than {MAX_LINE:,} bytes")
            return raw.decode("utf-8-sig", errors="replace")
        return ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        for self.number, raw in self.source:
            if raw is None:
                self.too_long.append(self.number)
                continue
            if not self.row_bytes:
                self.row_start = self.number
            self.row_bytes += len(raw)
            if self.row_bytes > MAX_LINE:
                self.row_bytes = 0
                raise csv.Error(f"a quoted field runs on past {MAX_LINE:,} bytes")
            return raw.decode("utf-8", errors="replace")
        raise StopIteration


def read(stream, name: str = ""):
    source = _Lines(stream)
    first = source.header()
    cols = columns(next(csv.reader([first], delimiter=delimiter(first)), []))
    reader = csv.reader(source, delimiter=delimiter(first))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            row = None
        except csv.Error as exc:
            row = Bad(f"unreadable row: {exc}", f"line {source.row_start}")
        source.row_bytes = 0
        for n in source.too_long:
            yield Bad(f"line longer than {MAX_LINE:,} bytes", f"line {n}")
        source.too_long.clear()
        if row is None:
            return
        if isinstance(row, Bad):
            yield row
            continue
        where = f"line {source.number}"
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) > MAX_FIELDS:
            yield Bad(f"row with more than {MAX_FIELDS} fields", where)
            continue
        try:
            yield _fix(row, cols)
        except (ValueError, TypeError) as exc:
            yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed row", where)
