"""Google Takeout ``Records.json``: ``{"locations": [...]}``, raw points with E7 integers."""
from __future__ import annotations

from carbon.fix import Fix

from . import jsonstream
from .activity import best_mode
from .base import Bad, check_position, parse_time

KIND = "google-records"
_WRAP = 1 << 32
_ARRAYS = {("locations",): "locations"}


def _e7(value) -> float:
    # Old exports wrote some negative coordinates as unsigned 32-bit integers.
    value = int(value)
    if value > 1_800_000_000:
        value -= _WRAP
    return value / 1e7


def _time(rec: dict) -> int:
    stamp = rec.get("timestamp")
    if stamp is not None:
        return parse_time(stamp)
    stamp = rec.get("timestampMs")      # pre-2022 files: epoch milliseconds as a string
    if stamp is not None:
        return int(float(stamp) // 1000)
    raise ValueError("no timestamp")


def _activity(rec: dict) -> str | None:
    entries = rec.get("activity")
    if not entries:
        return None
    # The first entry is the one closest to the fix; each lists types with confidences.
    first = entries[0] if isinstance(entries, list) else None
    if not isinstance(first, dict):
        return None
    return best_mode((a.get("type"), a.get("confidence")) for a in first.get("activity") or ())


def to_fields(rec: dict) -> tuple:
    """The fix of a record as ``Fix``'s fields in order (ts lat lon acc alt vel cog batt
    activity raw): what a parsing process hands over (``gateway.portability.parsing``), a
    million times a file, so built without a ``Fix`` in between."""
    get = rec.get       # each field looked up once
    lat, lon = get("latitudeE7"), get("longitudeE7")
    # The usual record: E7 integers on the globe, not both zero. Their quotient by 1e7 is
    # then within [-90, 90] and [-180, 180] (division rounds monotonically) and finite:
    # what _e7 and check_position make of them, without their calls.
    if (lat.__class__ is int and lon.__class__ is int and -900_000_000 <= lat <= 900_000_000
            and -1_800_000_000 <= lon <= 1_800_000_000 and (lat or lon)):
        lat, lon = lat / 1e7, lon / 1e7
    elif lat is None or lon is None:
        raise ValueError("no coordinates")
    else:
        lat, lon = check_position(_e7(lat), _e7(lon))
    stamp = get("timestamp")
    ts = parse_time(stamp) if stamp is not None else _time(rec)
    return (ts, lat, lon, get("accuracy"), get("altitude"), get("velocity"), get("heading"),
            None, _activity(rec) if get("activity") else None, None)


def to_fix(rec: dict) -> Fix:
    return Fix(*to_fields(rec))


def read(stream, name: str = ""):
    """``Fix`` or ``Bad`` for each record."""
    for item in read_fields(stream, name):
        yield item if item.__class__ is Bad else Fix(*item)


def read_fields(stream, name: str = ""):
    """``read`` with each fix as its fields (``to_fields``), for a parsing process."""
    for _, i, rec in jsonstream.items(stream, _ARRAYS):
        try:
            yield to_fields(rec)
        except (ValueError, TypeError, AttributeError) as exc:
            if isinstance(rec, jsonstream.TooBig):
                reason = rec.reason
            else:
                reason = str(exc) if isinstance(exc, ValueError) else "malformed record"
            yield Bad(reason, f"locations[{i}]")
