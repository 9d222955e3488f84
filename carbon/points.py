"""The engine's input: one position report, already decoded by the gateway."""
from dataclasses import dataclass


@dataclass(slots=True)
class Point:
    ts: int                      # UTC epoch seconds
    lat: float
    lon: float
    acc: float | None = None     # horizontal accuracy radius, metres
    vel: float | None = None     # speed reported by the phone, m/s
    activity: str | None = None  # the phone's own guess (evidence only), already in our mode names
