"""A member's month as the city link sees it: the stored trips as the engine's objects (for
carbon.summaries.month_summary), whether the box saw the member at all, the commune of home."""
from __future__ import annotations

from carbon.communes import commune_of
from carbon.model import Leg, Trip
from carbon.summaries import month_summary

from ..trips.context import effective_places


def trips_starting(conn, member_id: int, start: int, end: int) -> list[Trip]:
    """Trips starting in [start, end) with their legs as shown (the member's corrections
    applied), in time order. Positions are left out: a summary never needs them."""
    legs: dict[int, list] = {}
    for g in conn.execute(
            "SELECT l.trip_id, l.start_ts, l.end_ts, l.distance_m, l.mode, l.confidence, l.co2_g, "
            "l.avoided_g, l.factor_version, l.corrected FROM legs l JOIN trips t ON t.id = l.trip_id "
            "WHERE t.member_id = ? AND t.start_ts >= ? AND t.start_ts < ? ORDER BY l.trip_id, l.seq",
            (member_id, start, end)):
        legs.setdefault(g["trip_id"], []).append(
            Leg(g["start_ts"], g["end_ts"], g["distance_m"], g["mode"], g["confidence"],
                g["co2_g"], g["avoided_g"], g["factor_version"], bool(g["corrected"])))
    return [Trip(t["start_ts"], t["end_ts"], t["distance_m"], legs.get(t["id"], []),
                 purpose=t["purpose"])
            for t in conn.execute(
                "SELECT id, start_ts, end_ts, distance_m, purpose FROM trips WHERE member_id = ? "
                "AND start_ts >= ? AND start_ts < ? ORDER BY start_ts, id", (member_id, start, end))]


def seen_between(conn, member_id: int, start: int, end: int) -> bool:
    """Whether the engine saw the member at all in [start, end) (a stay or a trip): a month
    with none is unknown to the box, not a month without travel."""
    for table in ("stays", "trips"):
        if conn.execute(f"SELECT 1 FROM {table} WHERE member_id = ? AND start_ts < ? AND "
                        "end_ts >= ? LIMIT 1", (member_id, end, start)).fetchone():
            return True
    return False


def home_commune(conn, member_id: int) -> str | None:
    """The INSEE code of the commune of the member's home place, or None (no home known, or
    outside the agglomeration). Only the code ever leaves the box, and only if ticked."""
    home = next((p for p in effective_places(conn, member_id) if p.label == "home"), None)
    return commune_of(home.lat, home.lon) if home else None


def month_body(conn, member_id: int, month: str, start: int, end: int, tz,
               commune: str | None = None) -> dict | None:
    """The member's full summary body for a local month ([start, end) its bounds), or None
    when the box did not see them that month."""
    if not seen_between(conn, member_id, start, end):
        return None
    return month_summary(trips_starting(conn, member_id, start, end), month, tz, commune=commune)
