"""Google's Android on-device ``Timeline.json`` (2024+).

Top level ``{"semanticSegments": [...], "rawSignals": [...], "userLocationProfile": {...}}``;
both arrays are streamed in one pass (the file is never loaded whole), whatever their order.
"""
from __future__ import annotations

from carbon.fix import Fix

from . import jsonstream
from .base import Bad, number, parse_latlng, parse_time
from .google_ondevice import segment_items

KIND = "google-android"
_ARRAYS = {("semanticSegments",): "semanticSegments", ("rawSignals",): "rawSignals"}


def _signal(sig: dict):
    pos = sig.get("position")
    if not isinstance(pos, dict):
        return None  # activityRecord, wifiScan: nothing positional
    lat, lon = parse_latlng(pos.get("LatLng") or pos.get("latLng") or "")
    return Fix(ts=parse_time(pos["timestamp"]), lat=lat, lon=lon,
               acc=number(pos.get("accuracyMeters")), alt=number(pos.get("altitudeMeters")),
               vel=number(pos.get("speedMetersPerSecond")))


def read(stream, name: str = ""):
    for array, i, value in jsonstream.items(stream, _ARRAYS):
        where = f"{array}[{i}]"
        try:
            if isinstance(value, jsonstream.TooBig):
                raise ValueError(value.reason)
            if not isinstance(value, dict):
                raise ValueError("not an object")
            if array == "semanticSegments":
                items = segment_items(value)
            else:
                fix = _signal(value)
                items = [fix] if fix else []
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            items = [Bad(str(exc) if isinstance(exc, ValueError) else "malformed item", where)]
        yield from items
