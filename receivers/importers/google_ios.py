"""Google Maps iOS on-device export: a top-level JSON array of segments, every value a string."""
from __future__ import annotations

import ijson

from .base import Bad
from .google_ondevice import segment_items

KIND = "google-ios"


def read(stream, name: str = ""):
    for i, seg in enumerate(ijson.items(stream, "item")):
        try:
            items = segment_items(seg) if isinstance(seg, dict) else None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            items = [Bad(str(exc) if isinstance(exc, ValueError) else "malformed segment",
                         f"[{i}]")]
        yield from items if items is not None else [Bad("not an object", f"[{i}]")]
