"""Tracks for the map: a trip's or a day's cleaned fixes, cut into its legs (coloured by
mode) and simplified for a few zoom levels, so a phone draws hundreds of points, not
thousands, and a zoomed-in map still follows the streets.

The fixes are cleaned by the engine's own cleaning (``carbon.cleaning.clean``): the map
shows the track the trips were computed from, without the jumps it ignored.
"""
from __future__ import annotations

from carbon.cleaning import clean
from carbon.fix import Fix
from carbon.simplify import simplify, tolerance_for_zoom

# The map picks the finest level at or below its zoom: town (11), streets (14), close (17).
ZOOM_LEVELS = (11, 14, 17)
POINTS_ZOOM = 15          # the trip page lists the points kept at this zoom


def cleaned_fixes(conn, member_id: int, start_ts: int, end_ts: int,
                  ids: dict | None = None) -> list[Fix]:
    """The cleaned fixes of [start_ts, end_ts]; ``ids`` (when given) is filled with
    ts -> stored fix id, so a point on the page can name the fix it would delete."""
    rows = conn.execute("SELECT id, ts, lat, lon, acc, vel FROM fixes WHERE member_id = ? AND "
                        "ts >= ? AND ts <= ? ORDER BY ts", (member_id, start_ts, end_ts)).fetchall()
    if ids is not None:
        for r in rows:
            ids.setdefault(r[1], r[0])
    return clean(Fix(r[1], r[2], r[3], r[4], vel=r[5]) for r in rows)


def _levels(points: list) -> dict:
    if not points:
        return {}
    lat = points[len(points) // 2][0]
    return {str(z): [[round(p[0], 6), round(p[1], 6)]
                     for p in simplify(points, tolerance_for_zoom(z, lat))]
            for z in ZOOM_LEVELS}


def legs_track(conn, member_id: int, trips: list[dict]) -> dict:
    """{"legs": [{mode, trip_id, levels: {zoom: [[lat, lon], ...]}}], "bounds"} for trips
    (as ``queries.trips.trips`` gives them) on one map."""
    if not trips:
        return {"legs": [], "bounds": None}
    fixes = cleaned_fixes(conn, member_id, min(t["start_ts"] for t in trips),
                          max(t["end_ts"] for t in trips))
    out, lats, lons, i = [], [], [], 0
    for t in trips:
        for g in t["legs"]:
            while i < len(fixes) and fixes[i].ts < g["start_ts"]:
                i += 1
            j = i
            while j < len(fixes) and fixes[j].ts <= g["end_ts"]:
                j += 1
            points = [(f.lat, f.lon) for f in fixes[i:j]]
            if len(points) < 2 and t.get("start_lat") is not None:
                points = [(t["start_lat"], t["start_lon"]), (t["end_lat"], t["end_lon"])]
            levels = _levels(points)
            finest = levels.get(str(ZOOM_LEVELS[-1]), [])
            lats += [p[0] for p in finest]
            lons += [p[1] for p in finest]
            out.append({"mode": g["mode"], "trip_id": t["id"], "leg_id": g["id"],
                        "levels": levels})
            i = max(i, j - 1)      # legs share their boundary fix
    bounds = [[min(lats), min(lons)], [max(lats), max(lons)]] if lats else None
    return {"legs": out, "bounds": bounds}


def trip_points(conn, member_id: int, trip: dict) -> list[dict]:
    """The points a member can act on (split here, delete this one): those the map keeps at
    street zoom, which include any spike a jump left."""
    ids: dict = {}
    fixes = cleaned_fixes(conn, member_id, trip["start_ts"], trip["end_ts"], ids)
    if not fixes:
        return []
    lat = fixes[len(fixes) // 2].lat
    kept = simplify([(f.lat, f.lon, f) for f in fixes], tolerance_for_zoom(POINTS_ZOOM, lat))
    return [{"id": ids[f.ts], "ts": f.ts, "lat": f.lat, "lon": f.lon, "acc": f.acc,
             "vel": f.vel} for _, _, f in kept]
