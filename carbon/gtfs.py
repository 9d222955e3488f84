"""A TransitIndex from a GTFS feed's tables, given as already-read CSV text or rows.

The gateway opens the zip and reads routes.txt, trips.txt, stops.txt, shapes.txt and
stop_times.txt (optional) into text; this module only parses. Stops take the modes of the
routes that serve them when stop_times is given, else every mode of the feed.

Tables are read a row at a time and shapes.txt a shape at a time (``_shapes``): a city's
shapes run to a million rows, whose dicts all at once weighed 18 times the index on a
512 MB board (bench/transit_index.py).
"""
import csv
from collections import Counter, deque

from carbon.transit import TransitIndex, route_type_mode


def _lines(text: str):
    """The lines of a CSV text one at a time (io.StringIO would copy the whole text first,
    at four bytes a character), a byte-order mark passed over."""
    start, n = (1 if text.startswith("\ufeff") else 0), len(text)
    while start < n:
        end = text.find("\n", start)
        end = n if end < 0 else end + 1
        yield text[start:end]
        start = end


def _rows(table):
    """The table's rows as dicts, one at a time: CSV text parsed as it is read, or the rows
    given (any iterable of dicts; `_shapes` reads its table twice and lists an iterator)."""
    if table is None:
        return iter(())
    if isinstance(table, str):
        return csv.DictReader(_lines(table))
    return iter(table)


def _column(table, name: str):
    """One column of the table, a row at a time (for text without a dict a row)."""
    if not isinstance(table, str):
        return (r[name] for r in _rows(table))
    rows = csv.reader(_lines(table))
    k = next(rows, [name]).index(name)
    return (r[k] for r in rows if r)


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
    for shape_id, coords in _shapes(shapes, shape_mode):
        index.add_shape(shape_mode[shape_id][0], coords, shape_mode[shape_id][1])
    stop_modes = _stop_modes(_rows(stop_times), trip_mode)
    all_modes = set(route_mode.values())
    for s in _rows(stops):
        if not s.get("stop_lat") or not s.get("stop_lon"):
            continue
        for mode in stop_modes.get(s["stop_id"], all_modes):
            index.add_stop(mode, float(s["stop_lat"]), float(s["stop_lon"]))
    return index


def _shapes(table, kept):
    """(shape_id, [(lat, lon)] in shape_pt_sequence order) of the shapes in `kept`, in the
    order they first appear, each as soon as its last row is read and every shape first
    seen before it is given. shapes.txt is usually grouped by shape_id, then one shape's
    points are held at a time, but the format does not require it: a first pass counts
    each shape's rows, so a shape whose rows are scattered is held until its last one (as
    points, never the rows' dicts), and the index is the same as from a sorted file. The
    order kept costs memory on a scattered file: every shape first seen after one that is
    still open waits for it (one stray row of the first shape at the end holds them all)."""
    if table is not None and not isinstance(table, (str, list, tuple)):
        table = list(table)     # two passes: a one-shot iterator would give no shape at all
    left = Counter(sid for sid in _column(table, "shape_id") if sid in kept)
    points, order = {}, deque()
    for r in _rows(table):
        sid = r["shape_id"]
        if sid not in left:
            continue
        pts = points.get(sid)
        if pts is None:
            pts = points[sid] = []
            order.append(sid)
        pts.append((int(r["shape_pt_sequence"]), float(r["shape_pt_lat"]),
                    float(r["shape_pt_lon"])))
        left[sid] -= 1
        while order and left[order[0]] == 0:
            done = order.popleft()
            yield done, [(lat, lon) for _, lat, lon in sorted(points.pop(done))]


def _stop_modes(rows, trip_mode: dict) -> dict:
    modes = {}
    for r in rows:
        mode = trip_mode.get(r["trip_id"])
        if mode:
            modes.setdefault(r["stop_id"], set()).add(mode)
    return modes
