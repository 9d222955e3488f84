"""A TransitIndex from a GTFS feed's tables, given as already-read CSV text or rows.

The gateway opens the zip and reads routes.txt, trips.txt, stops.txt, shapes.txt and
stop_times.txt (optional) into text; this module only parses. Stops take the modes of the
routes that serve them when stop_times is given, else every mode of the feed.
"""
import csv
import io

from carbon.transit import TransitIndex, route_type_mode


def _rows(table) -> list:
    if table is None:
        return []
    if isinstance(table, str):
        return list(csv.DictReader(io.StringIO(table.lstrip("\ufeff"))))
    return list(table)


def build_transit_index(routes, trips, stops, shapes=None, stop_times=None) -> TransitIndex:
    """routes/trips/stops/shapes/stop_times: CSV text or lists of dicts (GTFS column names)."""
    route_mode, route_kind = {}, {}
    for r in _rows(routes):
        mode = route_type_mode(int(r["route_type"]))
        if mode:
            route_mode[r["route_id"]] = mode
            route_kind[r["route_id"]] = int(r["route_type"])
    shape_mode, trip_mode = {}, {}
    for t in _rows(trips):
        mode = route_mode.get(t["route_id"])
        if mode:
            trip_mode[t["trip_id"]] = mode
            if t.get("shape_id"):
                shape_mode[t["shape_id"]] = (mode, route_kind[t["route_id"]])
    index = TransitIndex()
    for shape_id, coords in _shapes(_rows(shapes)).items():
        if shape_id in shape_mode:
            index.add_shape(shape_mode[shape_id][0], coords, shape_mode[shape_id][1])
    stop_modes = _stop_modes(_rows(stop_times), trip_mode)
    all_modes = set(route_mode.values())
    for s in _rows(stops):
        if not s.get("stop_lat") or not s.get("stop_lon"):
            continue
        for mode in stop_modes.get(s["stop_id"], all_modes):
            index.add_stop(mode, float(s["stop_lat"]), float(s["stop_lon"]))
    return index


def _shapes(rows: list) -> dict:
    points = {}
    for r in rows:
        points.setdefault(r["shape_id"], []).append(
            (int(r["shape_pt_sequence"]), float(r["shape_pt_lat"]), float(r["shape_pt_lon"])))
    return {sid: [(lat, lon) for _, lat, lon in sorted(pts)] for sid, pts in points.items()}


def _stop_modes(rows: list, trip_mode: dict) -> dict:
    modes = {}
    for r in rows:
        mode = trip_mode.get(r["trip_id"])
        if mode:
            modes.setdefault(r["stop_id"], set()).add(mode)
    return modes
