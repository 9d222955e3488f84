"""What receivers hand to the gateway: fixes, events and rejections.

Receivers (OwnTracks MQTT/HTTP, gpsd, file importers) import only this module from
``gateway``; they never touch the store.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Fix:
    """One position report. ``vel`` is in m/s (OwnTracks' km/h is converted on parsing)."""

    ts: int
    lat: float
    lon: float
    acc: float | None = None
    alt: float | None = None
    vel: float | None = None
    cog: float | None = None
    batt: int | None = None
    raw: str | None = None
    # The phone's own idea of what it was doing (iOS motionactivities, Google activity):
    # evidence for the trip engine, never the answer.
    activity: str | None = None


@dataclass(slots=True)
class Event:
    """A non-location OwnTracks message kept as it came (transition, card, status, lwt...)."""

    type: str
    ts: int | None
    payload: str
    topic: str = ""


@dataclass(slots=True)
class Rejection:
    """Something that could not be used: counted, logged, kept for `selfdata doctor`."""

    source: str
    reason: str
    payload: bytes = b""
    device_id: int | None = None
    where: str = ""
    # A part of a message dropped while the rest was kept (a card's broken face): recorded
    # like a rejection, counted apart.
    partial: bool = False
