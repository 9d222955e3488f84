"""A member's places as they are shown: theirs first, then the detected ones."""
from __future__ import annotations

from ..trips.context import effective_places


def member_places(conn, member_id: int) -> list[dict]:
    """Named and detected places (``selfdata place list``, the household page)."""
    return [{"id": p.id, "lat": p.lat, "lon": p.lon, "label": p.label, "name": p.name,
             "visits": p.visits, "dwell_h": round(p.dwell_s / 3600, 1)}
            for p in effective_places(conn, member_id)]


def places_page(conn, member_id: int) -> list[dict]:
    """The member's places for their places page: home and work first, then by visits;
    each with whether it is private, what it was merged into, and an id for forms
    (``source:place_key``: the member's own rows and detected ones are apart)."""
    rows = {(r["source"], r["place_key"]): dict(r) for r in conn.execute(
        "SELECT * FROM places WHERE member_id = ?", (member_id,))}
    shown = []
    for p in effective_places(conn, member_id):
        mine = rows.get(("member", p.id))
        row = next((r for r in rows.values() if r["place_key"] == p.id
                    and abs(r["lat"] - p.lat) < 1e-6 and abs(r["lon"] - p.lon) < 1e-6), mine)
        shown.append({"key": f"{row['source']}:{row['place_key']}" if row else p.id,
                      "lat": p.lat, "lon": p.lon, "name": p.name, "label": p.label,
                      "visits": p.visits, "dwell_h": round(p.dwell_s / 3600, 1),
                      "private": bool(row and row["private"]),
                      "merged_into": row["merged_into"] if row else None,
                      "own": bool(row and row["source"] == "member")})
    order = {"home": 0, "work": 1}
    shown.sort(key=lambda p: (order.get(p["label"], 2), p["merged_into"] is not None,
                              -p["visits"]))
    return shown


def place_by_key(conn, member_id: int, key: str) -> dict | None:
    """One of the member's places by its page id (``source:place_key``), else None."""
    source, _, place_key = key.partition(":")
    row = conn.execute("SELECT * FROM places WHERE member_id = ? AND source = ? AND "
                       "place_key = ?", (member_id, source, place_key)).fetchone()
    return dict(row) if row else None
