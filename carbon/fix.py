"""One position report: the fix, the same type from the receivers to the engine.

Receivers make it, ingest stores it, the trip engine reads it. The engine uses ``ts lat lon
acc vel activity`` and ignores the rest (``alt cog batt`` are kept for exports, ``raw`` is the
message as it came, for the Recorder API and archives).
"""
from dataclasses import dataclass


@dataclass(slots=True)
class Fix:
    ts: int                      # UTC epoch seconds
    lat: float
    lon: float
    acc: float | None = None     # horizontal accuracy radius, metres
    alt: float | None = None     # metres
    vel: float | None = None     # speed, m/s (OwnTracks' km/h is converted on parsing)
    cog: float | None = None     # course over ground, degrees
    batt: int | None = None      # battery, percent
    # The phone's own idea of what it was doing (iOS motionactivities, Google activity), in
    # our mode names or the phone's: evidence for the trip engine, never the answer.
    activity: str | None = None
    raw: str | None = None       # the message as received, when the receiver keeps it
