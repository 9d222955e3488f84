"""Google Maps iOS on-device export: a top-level JSON array of segments, every value a string."""
from __future__ import annotations

from . import jsonstream
from .base import Bad
from .google_ondevice import segment_items

KIND = "google-ios"
_ARRAYS = {(): "segments"}


def read(stream, name: str = ""):
    for _, i, seg in jsonstream.items(stream, _ARRAYS):
        where = f"[{i}]"
        if isinstance(seg, jsonstream.TooBig):
            yield Bad(seg.reason, where)
            continue
        if not isinstance(seg, dict):
            yield Bad("not an object", where)
            continue
        try:
            items = segment_items(seg)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            items = [Bad(str(exc) if isinstance(exc, ValueError) else "malformed segment", where)]
        yield from items
