"""Google's Android on-device ``Timeline.json`` (2024+).

Top level ``{"semanticSegments": [...], "rawSignals": [...], "userLocationProfile": {...}}``;
both arrays are streamed in one pass (the file is never loaded whole), whatever their order.
"""
from __future__ import annotations

import ijson
from ijson.common import ObjectBuilder

from carbon.fix import Fix

from .base import Bad, number, parse_latlng, parse_time
from .google_ondevice import segment_items

KIND = "google-android"
_ARRAYS = {"semanticSegments.item": "semanticSegments", "rawSignals.item": "rawSignals"}


def stream_items(stream, prefixes: dict):
    """(array name, index, value) for every item of the given top-level arrays, one pass."""
    events = ijson.parse(stream, use_float=True)
    counts = dict.fromkeys(prefixes.values(), 0)
    for prefix, event, value in events:
        if prefix not in prefixes or event not in ("start_map", "start_array", "string",
                                                   "number", "boolean", "null"):
            continue
        name = prefixes[prefix]
        if event in ("start_map", "start_array"):
            builder = ObjectBuilder()
            builder.event(event, value)
            depth = 1
            for _, ev, val in events:
                builder.event(ev, val)
                depth += ev in ("start_map", "start_array")
                depth -= ev in ("end_map", "end_array")
                if depth == 0:
                    break
            value = builder.value
        yield name, counts[name], value
        counts[name] += 1


def _signal(sig: dict):
    pos = sig.get("position")
    if not isinstance(pos, dict):
        return None  # activityRecord, wifiScan: nothing positional
    lat, lon = parse_latlng(pos.get("LatLng") or pos.get("latLng") or "")
    return Fix(ts=parse_time(pos["timestamp"]), lat=lat, lon=lon,
               acc=number(pos.get("accuracyMeters")), alt=number(pos.get("altitudeMeters")),
               vel=number(pos.get("speedMetersPerSecond")))


def read(stream, name: str = ""):
    for array, i, value in stream_items(stream, _ARRAYS):
        where = f"{array}[{i}]"
        try:
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
