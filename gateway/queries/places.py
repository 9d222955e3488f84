"""A member's places as they are shown: theirs first, then the detected ones."""
from __future__ import annotations

from ..trips.context import effective_places


def member_places(conn, member_id: int) -> list[dict]:
    """Named and detected places (``selfdata place list``, the household page)."""
    return [{"id": p.id, "lat": p.lat, "lon": p.lon, "label": p.label, "name": p.name,
             "visits": p.visits, "dwell_h": round(p.dwell_s / 3600, 1)}
            for p in effective_places(conn, member_id)]
