"""Private places: where a member marked a place private, its coordinates never reach
anyone else (another member's Recorder API and live socket, their phones' friends, an
export made for someone else). The member themselves always sees their own data.

A fix is hidden when it lies within ``PRIVATE_RADIUS_M`` of one of the owner's private
places: a little more than the radius a place is recognised in, so the last steps to the
door do not draw the way in.
"""
from __future__ import annotations

import json
import time

from carbon.geo import distance_m
from carbon.places import PLACE_RADIUS_M

PRIVATE_RADIUS_M = PLACE_RADIUS_M + 100.0
_CACHE_S = 5.0


def private_places(conn, member_id: int) -> list[tuple[float, float]]:
    """(lat, lon) of the member's private places."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT lat, lon FROM places WHERE member_id = ? AND private = 1", (member_id,))]


def inside(zones, lat: float, lon: float) -> bool:
    return any(distance_m(lat, lon, zlat, zlon) <= PRIVATE_RADIUS_M for zlat, zlon in zones)


class PrivacyFilter:
    """What one viewer may not see of the others: ``hides(owner_id, lat, lon)``. The
    owners' private places are read once per few seconds, not once per fix."""

    def __init__(self, conn, viewer_id: int):
        self.conn, self.viewer_id = conn, viewer_id
        self._zones: dict[int, tuple[list, float]] = {}

    def zones(self, owner_id: int) -> list:
        hit = self._zones.get(owner_id)
        if hit is None or hit[1] < time.monotonic():
            hit = (private_places(self.conn, owner_id), time.monotonic() + _CACHE_S)
            self._zones[owner_id] = hit
        return hit[0]

    def hides(self, owner_id: int, lat: float, lon: float) -> bool:
        if owner_id == self.viewer_id:
            return False
        zones = self.zones(owner_id)
        return bool(zones) and inside(zones, lat, lon)

    def rows(self, owner_id: int, rows):
        """The rows the viewer may see, lazily: rows with ``lat``/``lon`` keys or attributes,
        or Recorder location objects as JSON text. The member's own rows, and those of a
        member with no private place, pass untouched (the usual case costs nothing)."""
        if owner_id == self.viewer_id or not self.zones(owner_id):
            return rows
        zones = self.zones(owner_id)
        return (r for r in rows if not inside(zones, *_position(r)))


def _position(row) -> tuple[float, float]:
    if isinstance(row, str):                 # a location object built in SQL
        loc = json.loads(row)
        return loc["lat"], loc["lon"]
    if hasattr(row, "_fields"):              # queries.recorder.LocationValues
        return row.lat, row.lon
    return row["lat"], row["lon"]
