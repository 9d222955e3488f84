"""A GTFS feed for the trip engine: read the zip with bounded memory, keep what it needs.

A city's feed is mostly timetables (stop_times.txt runs to millions of rows); the engine
only needs which modes serve which stops, the route shapes and the stops. The zip is read
as a stream, reduced to that, and stored as CSV text in `transit_feed`; parsing proper is
`carbon.gtfs.build_transit_index`, which turns the reduced tables into a TransitIndex.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from pathlib import PurePosixPath

from carbon.gtfs import build_transit_index
from carbon.transit import route_type_mode

log = logging.getLogger(__name__)

REQUIRED = ("routes.txt", "trips.txt", "stops.txt")
_cache: dict = {}           # database path -> (imported_ts, TransitIndex)
_cache_lock = threading.Lock()


class FeedError(ValueError):
    """A file that is not a usable GTFS feed, and why."""


def _members(zf: zipfile.ZipFile) -> dict:
    """GTFS file name -> zip member (feeds are sometimes zipped inside a folder)."""
    out = {}
    for name in zf.namelist():
        base = PurePosixPath(name).name
        if base.endswith(".txt") and base not in out:
            out[base] = name
    return out


def _rows(zf, members, name):
    if name not in members:
        return
    with zf.open(members[name]) as raw:
        yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))


def _csv(header: tuple, rows) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def _shape_rows(rows, kept: dict, points: list):
    """The rows of shapes.txt whose shape a kept trip follows, streamed from the zip's
    member into the reduced table's text (a city's million rows are never all held: they
    were, as tuples, 10 times the index); points[0] counts them."""
    for r in rows:
        if r["shape_id"] in kept:
            points[0] += 1
            yield r["shape_id"], r["shape_pt_sequence"], r["shape_pt_lat"], r["shape_pt_lon"]


def read_feed(path) -> dict:
    """The reduced tables of a GTFS zip (CSV text) and a summary of what they hold."""
    import zipfile           # when a feed is imported, not with every run of the engine
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FeedError(f"{path}: not a readable zip file ({exc})") from None
    with zf:
        members = _members(zf)
        missing = [n for n in REQUIRED if n not in members]
        if missing:
            raise FeedError(f"{path}: not a GTFS feed (missing {', '.join(missing)})")
        try:
            return _reduce(zf, members)
        except (KeyError, ValueError, csv.Error, UnicodeDecodeError) as exc:
            raise FeedError(f"{path}: damaged GTFS table: {exc}") from None


def _reduce(zf, members) -> dict:
    routes = [(r["route_id"], r["route_type"]) for r in _rows(zf, members, "routes.txt")]
    route_mode = {rid: route_type_mode(int(rt)) for rid, rt in routes}
    route_mode = {rid: m for rid, m in route_mode.items() if m}
    trip_mode, shape_trip, mode_trip = {}, {}, {}
    for t in _rows(zf, members, "trips.txt"):
        mode = route_mode.get(t["route_id"])
        if not mode:
            continue
        trip_mode[t["trip_id"]] = mode
        mode_trip.setdefault(mode, (t["route_id"], t["trip_id"]))
        if t.get("shape_id"):
            shape_trip.setdefault(t["shape_id"], (t["route_id"], t["trip_id"]))
    served = set()          # (stop_id, mode): all the engine needs from the timetables
    for r in _rows(zf, members, "stop_times.txt"):
        mode = trip_mode.get(r["trip_id"])
        if mode:
            served.add((r["stop_id"], mode))
    del trip_mode
    points = [0]            # shape points kept, counted as they are written
    shapes = _csv(("shape_id", "shape_pt_sequence", "shape_pt_lat", "shape_pt_lon"),
                  _shape_rows(_rows(zf, members, "shapes.txt"), shape_trip, points))
    stop_rows = [(r["stop_id"], r["stop_lat"], r["stop_lon"])
                 for r in _rows(zf, members, "stops.txt") if r.get("stop_lat") and r.get("stop_lon")]
    kept_trips = {tid: (rid, sid) for sid, (rid, tid) in shape_trip.items()}
    for mode, (rid, tid) in mode_trip.items():
        kept_trips.setdefault(tid, (rid, ""))
    rep = {mode: tid for mode, (_, tid) in mode_trip.items()}
    modes = sorted(set(route_mode.values()))
    return {
        "routes": _csv(("route_id", "route_type"), routes),
        "trips": _csv(("route_id", "trip_id", "shape_id"),
                      [(rid, tid, sid) for tid, (rid, sid) in kept_trips.items()]),
        "stops": _csv(("stop_id", "stop_lat", "stop_lon"), stop_rows),
        "shapes": shapes,
        "stop_times": _csv(("trip_id", "stop_id"), [(rep[m], s) for s, m in sorted(served)]),
        "summary": {"routes": len(route_mode), "modes": modes, "stops": len(stop_rows),
                    "shapes": len(shape_trip), "shape_points": points[0],
                    "stops_served": len({s for s, _ in served})},
    }


def import_feed(store, path, name: str | None = None) -> dict:
    """Read, check (the engine must be able to index it) and store a feed; replaces the
    previous one. Returns the summary."""
    feed = read_feed(path)
    build_transit_index(feed["routes"], feed["trips"], feed["stops"], feed["shapes"],
                        feed["stop_times"])
    summary = feed.pop("summary")
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO transit_feed (id, name, imported_ts, summary, routes, "
                     "trips, stops, shapes, stop_times) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (name or PurePosixPath(str(path)).name, time.time_ns(), json.dumps(summary),
                      feed["routes"], feed["trips"], feed["stops"], feed["shapes"],
                      feed["stop_times"]))
    return summary


def feed_info(conn) -> dict | None:
    row = conn.execute("SELECT name, imported_ts, summary FROM transit_feed").fetchone()
    if row is None:
        return None
    return {"name": row["name"], "imported": int(row["imported_ts"] // 1_000_000_000),
            **json.loads(row["summary"])}


def remove_feed(store) -> bool:
    with store.transaction() as conn:
        return conn.execute("DELETE FROM transit_feed").rowcount > 0


def transit_index(store):
    """The stored feed's TransitIndex (built once per feed and process), or None."""
    row = store.conn.execute("SELECT imported_ts FROM transit_feed").fetchone()
    key = str(store.path)
    if row is None:
        _cache.pop(key, None)
        return None
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit[0] == row["imported_ts"]:
            return hit[1]
        feed = store.conn.execute("SELECT * FROM transit_feed").fetchone()
        index = build_transit_index(feed["routes"], feed["trips"], feed["stops"], feed["shapes"],
                                    feed["stop_times"])
        _cache[key] = (row["imported_ts"], index)
        return index
