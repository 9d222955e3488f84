"""Times as text: the one ISO-8601 UTC formatter (OwnTracks' `isotst`, GPX, exports)."""
from datetime import datetime, timezone


def iso_utc(ts: float) -> str:
    """``2024-05-01T08:30:00Z`` for epoch seconds (whole seconds, UTC); a value no calendar
    can show (a hostile payload's year 300000) says so instead of raising."""
    try:
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return "out of calendar range"
