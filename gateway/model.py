"""What receivers hand to the gateway besides fixes (``carbon.fix.Fix``): events and rejections.

Receivers (OwnTracks MQTT/HTTP, gpsd, file importers) import only this module from
``gateway``; they never touch the store.
"""
from __future__ import annotations

from dataclasses import dataclass


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
