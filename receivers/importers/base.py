"""What importers yield besides fixes, and the small parsers every format shares."""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone


class NotLocationHistory(Exception):
    """The content is not something we import; the message says what it was recognised as."""


@dataclass(slots=True)
class Bad:
    """A record that could not be used: ``reason`` is short and stable (it is counted),
    ``where`` locates it in the file (``locations[1234]``, ``line 56``)."""

    reason: str
    where: str


@dataclass(slots=True)
class Segment:
    """A labelled stretch of time from an exporter that already segmented the history
    (Google's visits and activity segments). Kept as evidence and as labelled data to
    measure the trip engine against; ``mode`` is in our mode names."""

    kind: str                 # "visit" or "activity"
    start_ts: int
    end_ts: int
    lat: float | None = None
    lon: float | None = None
    end_lat: float | None = None
    end_lon: float | None = None
    label: str = ""           # Google's activity type, or the visit's place id
    mode: str | None = None
    confidence: float | None = None
    distance_m: float | None = None
    place_name: str | None = None
    semantic_type: str | None = None


_UTC = timezone.utc


def parse_time(value) -> int:
    """ISO-8601 (Z, offset, fraction of any length, naive = UTC) or epoch s/ms, to epoch s.

    Raises ValueError with a readable message.
    """
    if value.__class__ is str and value[4:5] == "-":
        # The common case, a million times an import: ISO text as it came (what strip()
        # would change, fromisoformat refuses, and the general path below says why).
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_UTC)
            return plausible(int(moment.timestamp()))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch_seconds(value)
    text = str(value).strip()
    # All digits is epoch s or ms (fromisoformat would read "1646121720000" as a date).
    if text[4:5] != "-" and text.lstrip("-").replace(".", "", 1).isdigit():
        return epoch_seconds(float(text))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unreadable time {text[:40]!r}" if text else "empty time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return plausible(int(moment.timestamp()))


def epoch_seconds(number: float) -> int:
    """Epoch seconds or milliseconds (told apart by size: ms since 1970 are > 1e11)."""
    if not math.isfinite(number):
        raise ValueError("time is not a number")
    if abs(number) > 1e11:
        number /= 1000.0
    return plausible(int(number))


EARLIEST = 631152000        # 1990-01-01: older is a zeroed or rolled-over clock
FUTURE_SLACK = 86400


def plausible(ts: int) -> int:
    if ts < EARLIEST:
        raise ValueError("time before 1990")
    if ts > time.time() + FUTURE_SLACK:
        raise ValueError("time in the future")
    return ts


def check_position(lat, lon) -> tuple[float, float]:
    """Floats within the globe (0,0 is Google's and GPS loggers' 'no fix'), else ValueError."""
    lat, lon = float(lat), float(lon)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("coordinates are not numbers")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError("coordinates out of range")
    if lat == 0.0 and lon == 0.0:
        raise ValueError("null island (0, 0)")
    return lat, lon


_LATLNG = re.compile(r"^\s*(?:geo:)?\s*(-?\d+(?:\.\d+)?)\s*°?\s*,\s*(-?\d+(?:\.\d+)?)\s*°?\s*$")


def parse_latlng(text) -> tuple[float, float]:
    """``"46.1°, -1.1°"``, ``"46.1, -1.1"`` or ``"geo:46.1,-1.1"`` (Google's on-device exports)."""
    m = _LATLNG.match(str(text))
    if not m:
        raise ValueError(f"unreadable coordinates {str(text)[:40]!r}")
    return check_position(m.group(1), m.group(2))


def number(value) -> float | None:
    """A float from a number or a numeric string (iOS exports quote everything), or None."""
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


KMH = 1 / 3.6   # OwnTracks' vel (km/h) -> m/s, the fixes' unit


def owntracks_named(time_key: str | None, speed_key: str | None) -> bool:
    """Whether a record's speed is OwnTracks' ``vel`` in km/h: named ``vel`` beside a time
    named ``tst`` (the apps' and the Recorder's vocabulary: its GeoJSON and CSV exports, and
    ours of /api/0/locations). Every other speed a file names is m/s: ``speed`` (GPX 1.0,
    our exports' CSV), ``velocity`` (Takeout), and ``vel`` beside ``ts`` (our GeoJSON export)."""
    return speed_key == "vel" and time_key in ("tst", "isotst")


def text(value, cap: int) -> str | None:
    """A string field for the store (a label, a place name, an activity), at most ``cap``
    characters: rows are written 5,000 at a time, so no field may be unbounded. Anything
    but a string or a number (an object where a name was expected) gives None."""
    if isinstance(value, str):
        return value[:cap]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)[:cap]
    return None


LABEL_CAP = 256         # a Google place id is 27 characters, a place name rarely 100


def lines(stream, limit: int, block: int = 64 * 1024):
    """``(line number, bytes)`` for each line of a binary stream (ending in ``\\n``,
    ``\\r\\n`` or ``\\r``, kept), ``bytes`` ``None`` for a line longer than ``limit``
    bytes: its rest is read and dropped as it streams, never held."""
    number, carry, dropping = 0, b"", False
    while True:
        data = stream.read(block)
        pieces = (carry + data).splitlines(keepends=True) if data else ([carry] if carry else [])
        # The last piece may go on in the next block (a "\r" may be half of a "\r\n").
        carry = pieces.pop() if data and pieces and not pieces[-1].endswith(b"\n") else b""
        for line in pieces:
            if dropping:                # the end of an over-long line
                dropping = False
                continue
            number += 1
            yield number, line if len(line) <= limit + 2 else None
        if len(carry) > limit + 2:
            if not dropping:
                number += 1
                yield number, None
            carry, dropping = b"", True
        if not data:
            return
