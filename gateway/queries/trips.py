"""A member's trips with their legs, modes and footprints: what `selfdata trips`, the exports
and the pages read."""
from __future__ import annotations


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
    footprint's factor version and whether the member corrected a leg)."""
    return [{"start_ts": t["start_ts"], "end_ts": t["end_ts"], "distance_m": t["distance_m"],
             "co2_g": t["co2_g"], "purpose": t["purpose"],
             "legs": [{"start_ts": g["start_ts"], "end_ts": g["end_ts"],
                       "distance_m": g["distance_m"], "mode": g["mode"], "co2_g": g["co2_g"],
                       "corrected": bool(g["corrected"]), "factor_version": g["factor_version"]}
                      for g in t["legs"]]}
            for t in trips(conn, member, lo, hi)]


def trips_computed(conn, member_id: int) -> bool:
    """Whether the trip engine ever ran for the member (else: `selfdata rebuild`)."""
    return conn.execute("SELECT 1 FROM pipeline_state WHERE member_id = ?",
                        (member_id,)).fetchone() is not None
