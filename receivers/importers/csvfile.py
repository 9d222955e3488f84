"""CSV with a header: a time column (``ts``/``time``/``timestamp``..., epoch s or ms or ISO),
``lat``, ``lon``, optional ``acc``, ``alt``, ``speed`` (m/s), ``cog``, ``batt``, ``activity``.
The delimiter (``,`` ``;`` or TAB) is taken from the header line."""
from __future__ import annotations

import csv
import io

from carbon.fix import Fix

from .base import Bad, check_position, number, parse_time

KIND = "csv"
ALIASES = {
    "ts": ("ts", "tst", "time", "timestamp", "datetime", "date_time", "utc", "epoch", "date"),
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
    """Our field -> column index, from a header row (first alias found wins)."""
    names = [_norm(h) for h in header]
    found = {}
    for field, aliases in ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[field] = names.index(alias)
                break
    return found


def delimiter(first_line: str) -> str:
    return max((",", ";", "\t"), key=first_line.count)


def _fix(row: list[str], cols: dict) -> Fix:
    def get(field):
        k = cols.get(field)
        return row[k].strip() if k is not None and k < len(row) else ""
    lat, lon = check_position(get("lat"), get("lon"))
    batt = number(get("batt"))
    return Fix(ts=parse_time(get("ts")), lat=lat, lon=lon, acc=number(get("acc")),
               alt=number(get("alt")), vel=number(get("vel")), cog=number(get("cog")),
               batt=int(batt) if batt is not None else None, activity=get("activity") or None)


def read(stream, name: str = ""):
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    first = text.readline()
    cols = columns(next(csv.reader([first], delimiter=delimiter(first))))
    reader = csv.reader(text, delimiter=delimiter(first))
    for row in reader:
        line = reader.line_num + 1  # physical line, header included (quoted newlines too)
        if not row or not any(cell.strip() for cell in row):
            continue
        try:
            yield _fix(row, cols)
        except (ValueError, TypeError) as exc:
            yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed row", f"line {line}")
