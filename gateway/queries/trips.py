"""A member's trips with their legs, modes and footprints: what `selfdata trips`, the exports
and the pages read."""
from __future__ import annotations

from ..trips.context import effective_places


def trips(conn, member_id: int, start: int | None = None, end: int | None = None):
    """Trips overlapping [start, end) with their legs, as dicts, in time order."""
    sql, args = "SELECT * FROM trips WHERE member_id = ?", [member_id]
    if start is not None:
        sql += " AND end_ts >= ?"
        args.append(start)
    if end is not None:
        sql += " AND start_ts < ?"
        args.append(end)
    read = conn.cursor()
    for trip in read.execute(sql + " ORDER BY start_ts", args):
        trip = dict(trip)
        trip["legs"] = [dict(leg) for leg in conn.execute(
            "SELECT * FROM legs WHERE trip_id = ? ORDER BY seq", (trip["id"],))]
        yield trip


def trip_list(conn, member: int, lo: int | None, hi: int | None) -> list:
    """Trips of [lo, hi) with their legs, as the JSON the issue specifies (plus the
    footprint's factor version, whether the member corrected a leg, and what the member
    calls the places at either end: ``from``/``to``, None for a place with no name)."""
    names = place_names(conn, member)
    return [{"start_ts": t["start_ts"], "end_ts": t["end_ts"], "distance_m": t["distance_m"],
             "co2_g": t["co2_g"], "purpose": t["purpose"],
             "from": names.get(t["start_place"]), "to": names.get(t["end_place"]),
             "legs": [{"start_ts": g["start_ts"], "end_ts": g["end_ts"],
                       "distance_m": g["distance_m"], "mode": g["mode"], "co2_g": g["co2_g"],
                       "corrected": bool(g["corrected"]), "factor_version": g["factor_version"]}
                      for g in t["legs"]]}
            for t in trips(conn, member, lo, hi)]


def trips_computed(conn, member_id: int) -> bool:
    """Whether the trip engine ever ran for the member (else: `selfdata rebuild`)."""
    return conn.execute("SELECT 1 FROM pipeline_state WHERE member_id = ?",
                        (member_id,)).fetchone() is not None


def trip_for(conn, member_id: int, trip_id: int) -> dict | None:
    """One of the member's trips with its legs; None for another member's or an unknown id
    (answered alike, so an id says nothing about who owns it)."""
    row = conn.execute("SELECT * FROM trips WHERE id = ? AND member_id = ?",
                       (trip_id, member_id)).fetchone()
    if row is None:
        return None
    trip = dict(row)
    trip["legs"] = [dict(g) for g in conn.execute(
        "SELECT * FROM legs WHERE trip_id = ? ORDER BY seq", (trip_id,))]
    return trip


def neighbour_trip_ids(conn, member_id: int, trip: dict) -> tuple[int | None, int | None]:
    """The ids of the member's trips just before and after this one."""
    before = conn.execute("SELECT id FROM trips WHERE member_id = ? AND start_ts < ? "
                          "ORDER BY start_ts DESC LIMIT 1", (member_id, trip["start_ts"])).fetchone()
    after = conn.execute("SELECT id FROM trips WHERE member_id = ? AND start_ts > ? "
                         "ORDER BY start_ts LIMIT 1", (member_id, trip["start_ts"])).fetchone()
    return (before[0] if before else None, after[0] if after else None)
def place_names(conn, member_id: int) -> dict[str, str]:
    """Each place's key (as trips name their ends) -> the member's name for it, else
    ``home``/``work`` when the engine recognised it as such."""
    return {p.id: p.name or p.label for p in effective_places(conn, member_id)
            if p.name or p.label}
