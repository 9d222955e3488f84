"""Times as text: the one ISO-8601 UTC formatter (OwnTracks' `isotst`, GPX, exports)."""
import functools
import math
from datetime import datetime, timezone


def iso_utc(ts: float) -> str:
    """``2024-05-01T08:30:00Z`` for epoch seconds (whole seconds, UTC); a value no calendar
    can show (a hostile payload's year 300000) says so instead of raising.

    Exports and the Recorder API write it for every point, so the date (shared by the
    points of a day) comes from a small cache and the time of day from arithmetic."""
    try:
        if isinstance(ts, float):  # datetime rounds to the microsecond before it truncates
            ts = round(ts, 6)
        days, second = divmod(math.floor(ts), 86400)
        return (f"{_date(days)}T{second // 3600:02d}:{second % 3600 // 60:02d}:"
                f"{second % 60:02d}Z")
    except (OverflowError, ValueError, OSError):
        return "out of calendar range"


@functools.lru_cache(maxsize=512)
def _date(days: int) -> str:
    return datetime.fromtimestamp(days * 86400, timezone.utc).strftime("%Y-%m-%d")
