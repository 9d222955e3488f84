"""Stays, trips and legs between carbon objects and their rows.

Writes are differences: in a time range, stored rows whose detection is unchanged keep their
id and are updated in place when only what follows from the member's context changed
(purpose, corrected mode, footprint); a trip that only grew (the trip in progress: same
start, same legs' starts, later end) is rewritten in place, keeping its id and leaving its
index entries alone; the rest are deleted and inserted. So a live update rewrites the last
stay or trip only, ids of untouched trips never change, and the SD card sees few writes
(docs/operations.md, "Wear").
"""
from __future__ import annotations

import json

from carbon import vehicles
from carbon.model import Leg, Stay, Trip

LO, HI = -(2 ** 62), 2 ** 62      # open bounds for a range of start_ts

_TRIP_FINISH = ("co2_g", "avoided_g", "purpose", "start_place", "end_place")
_LEG_FINISH = ("mode", "confidence", "corrected", "co2_g", "avoided_g", "factor_version",
               "probs", "features")


# ----- carbon objects -> comparable tuples

def detected_of(trips: list) -> list:
    """The engine's own (mode, confidence) per leg, taken before context is applied."""
    return [[(leg.mode, leg.confidence) for leg in t.legs] for t in trips]


def _trip_key(t: Trip, detected: list) -> tuple:
    legs = tuple((g.start_ts, g.end_ts, round(g.distance_m, 1), m, round(c, 3), g.n_points)
                 for g, (m, c) in zip(t.legs, detected))
    return (t.start_ts, t.end_ts, round(t.distance_m, 1), *(t.start or (None, None)),
            *(t.end or (None, None)), legs)


def _trip_finish(t: Trip) -> tuple:
    co2 = [g.co2_g for g in t.legs if g.co2_g is not None]
    avoided = [g.avoided_g for g in t.legs if g.avoided_g is not None]
    return (round(sum(co2), 1) if co2 else None, round(sum(avoided), 1) if avoided else None,
            t.purpose, t.start_place, t.end_place)


def _leg_finish(g: Leg) -> tuple:
    return (g.mode, round(g.confidence, 3), int(g.corrected), g.co2_g, g.avoided_g,
            g.factor_version, _dump(g.probs), _dump(g.features))


def _stay_key(s: Stay) -> tuple:
    return (s.start_ts, s.end_ts, round(s.lat, 6), round(s.lon, 6), s.n_points)


# ----- rows -> carbon objects (for applying context again without fixes)

def load_stays(conn, member_id: int, lo: int = LO, hi: int = HI) -> list:
    return [Stay(r["start_ts"], r["end_ts"], r["lat"], r["lon"], r["n_points"], r["place"])
            for r in conn.execute(
                "SELECT * FROM stays WHERE member_id = ? AND start_ts >= ? AND start_ts < ? "
                "ORDER BY start_ts", (member_id, lo, hi))]


def load_trips(conn, member_id: int, lo: int = LO, hi: int = HI) -> tuple:
    """(trips, detected, ids): stored trips as carbon objects with the engine's own modes."""
    legs_of: dict[int, list] = {}
    for r in conn.execute(
            "SELECT l.* FROM legs l JOIN trips t ON t.id = l.trip_id WHERE t.member_id = ? "
            "AND t.start_ts >= ? AND t.start_ts < ? ORDER BY l.trip_id, l.seq",
            (member_id, lo, hi)):
        legs_of.setdefault(r["trip_id"], []).append(r)
    trips, detected, ids = [], [], []
    for r in conn.execute("SELECT * FROM trips WHERE member_id = ? AND start_ts >= ? AND "
                          "start_ts < ? ORDER BY start_ts", (member_id, lo, hi)):
        rows = legs_of.get(r["id"], [])
        legs = [_leg(g) for g in rows]
        start = (r["start_lat"], r["start_lon"]) if r["start_lat"] is not None else None
        end = (r["end_lat"], r["end_lon"]) if r["end_lat"] is not None else None
        trips.append(Trip(r["start_ts"], r["end_ts"], r["distance_m"], legs, start=start, end=end))
        detected.append([(g["detected_mode"], g["detected_confidence"]) for g in rows])
        ids.append(r["id"])
    return trips, detected, ids


def parked_before(conn, member_id: int, ts: int):
    """Where the member's car and bike may have been left by the trips stored before `ts`
    (each leg's probabilities as detection gave them, a corrected leg's mode for certain:
    what a rebuild knows there), looking back as far as that still means something
    (carbon.vehicles.STALE_S). An estimate: the engine's own belief, kept with the resume
    point (pipeline_state.parked) and with each stay (stays.parked), is read first; this
    is for when there is none."""
    lo = ts - vehicles.STALE_S
    stays = load_stays(conn, member_id, lo, ts + 1)     # up to the stay starting at ts
    return vehicles.from_trips(_ended_trips(conn, member_id, lo, ts), stays)


def _ended_trips(conn, member_id: int, lo: int, ts: int) -> list:
    """The trips starting in [lo, ts) and over by ts as ``vehicles`` reads them (where and
    when each ended; its legs' detected modes and probabilities, or the member's mode for a
    corrected leg), without decoding every leg's features as ``load_trips`` does: this
    runs before every month of a rebuild, over two weeks of trips (a thousand and more on
    a history that never rests)."""
    cur = conn.cursor()
    cur.row_factory = None
    legs_of: dict[int, list] = {}
    for r in cur.execute(
            "SELECT l.trip_id, l.start_ts, l.end_ts, l.distance_m, l.detected_mode, "
            "l.detected_confidence, l.mode, l.corrected, l.probs FROM legs l "
            "JOIN trips t ON t.id = l.trip_id "
            "WHERE t.member_id = ? AND t.start_ts >= ? AND t.start_ts < ? AND t.end_ts <= ? "
            "ORDER BY l.trip_id, l.seq", (member_id, lo, ts, ts)):
        fixed = bool(r[7])
        legs_of.setdefault(r[0], []).append(Leg(
            r[1], r[2], r[3], r[6] if fixed else r[4], r[5], corrected=fixed,
            probs=None if fixed else _json(r[8])))
    return [Trip(r[1], r[2], r[3], legs_of.get(r[0], []),
                 start=(r[4], r[5]) if r[4] is not None else None,
                 end=(r[6], r[7]) if r[6] is not None else None)
            for r in cur.execute(
                "SELECT id, start_ts, end_ts, distance_m, start_lat, start_lon, end_lat, "
                "end_lon FROM trips WHERE member_id = ? AND start_ts >= ? AND start_ts < ? "
                "AND end_ts <= ? ORDER BY start_ts", (member_id, lo, ts, ts))]


def _leg(g) -> Leg:
    """A stored leg as the engine gave it (its own mode; the table it was priced with)."""
    return Leg(g["start_ts"], g["end_ts"], g["distance_m"], g["detected_mode"],
               g["detected_confidence"], n_points=g["n_points"],
               factor_version=g["factor_version"], probs=_json(g["probs"]),
               features=_json(g["features"]))


def _json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


# ----- the difference writer

def write_range(conn, member_id: int, lo: int, hi: int, stays: list, trips: list,
                detected: list) -> dict:
    """Make the stored stays and trips starting in [lo, hi) equal to these (which must all
    start in that range). Runs in the caller's transaction; returns counts of the rows
    changed, stays and trips together: "grown" counts those of "updated" that only grew in
    place (the stay or trip in progress), which the live path may hold back a while
    (pipeline.process_new)."""
    counts = {"inserted": 0, "deleted": 0, "updated": 0, "grown": 0}
    _write_stays(conn, member_id, lo, hi, stays, counts)
    stored, shapes, looks = _stored_trips(conn, member_id, lo, hi)
    new = []
    for t, d in zip(trips, detected):
        same = stored.get(_trip_key(t, d))
        if same:
            _update_trip(conn, same.pop(0), t, counts)
        else:
            new.append((t, d))
    gone = {entry[0]: None for entries in stored.values() for entry in entries}   # in order
    by_shape: dict = {}
    for i in gone:
        by_shape.setdefault(shapes[i], []).append(i)
    for t, d in new:
        same_shape = by_shape.get(_shape(t))
        if same_shape:
            grown = same_shape.pop(0)
            del gone[grown]
            _rewrite_trip(conn, grown, t, d)
            counts["updated"] += 1
            # only longer: the same modes, purpose and places as the page shows now
            counts["grown"] += looks[grown] == _look(t)
        else:
            _insert_trip(conn, member_id, t, d)
            counts["inserted"] += 1
    conn.executemany("DELETE FROM trips WHERE id = ?", [(i,) for i in gone])   # legs cascade
    counts["deleted"] += len(gone)
    return counts


_KEY_LEG = ("l.start_ts", "l.end_ts", "l.distance_m", "l.detected_mode", "l.detected_confidence",
            "l.n_points")
_KEY_TRIP = ("start_ts", "end_ts", "distance_m", "start_lat", "start_lon", "end_lat", "end_lon")
# Where the finishing columns start in the rows _stored_trips reads (after the ids and the
# key columns), and where a member's look of a trip and a leg sits among them.
_LEG_AT = 2 + len(_KEY_LEG)
_TRIP_AT = 1 + len(_KEY_TRIP)
_LOOK_AT = _TRIP_AT + _TRIP_FINISH.index("purpose")
_MODE_AT = _LEG_AT + _LEG_FINISH.index("mode")
assert _TRIP_FINISH[_LOOK_AT - _TRIP_AT:] == ("purpose", "start_place", "end_place")


def _stored_trips(conn, member_id: int, lo: int, hi: int) -> tuple[dict, dict, dict]:
    """{_trip_key: [(id, trip finish, [(leg id, leg finish)])]} of the stored trips starting
    in [lo, hi), in time order, {id: _shape} and {id: _look}: what the difference needs, read in two
    queries as plain tuples (no legs decoded, no query per trip: this runs over every trip
    of an import, twice, once detected and once with the places found after)."""
    cur = conn.cursor()
    cur.row_factory = None
    legs_of: dict[int, list] = {}
    for r in cur.execute(
            f"SELECT l.trip_id, l.id, {', '.join(_KEY_LEG)}, "
            f"{', '.join('l.' + c for c in _LEG_FINISH)} "
            "FROM legs l JOIN trips t ON t.id = l.trip_id WHERE t.member_id = ? "
            "AND t.start_ts >= ? AND t.start_ts < ? ORDER BY l.trip_id, l.seq",
            (member_id, lo, hi)):
        legs_of.setdefault(r[0], []).append(r)
    stored: dict = {}
    shapes: dict = {}
    looks: dict = {}
    for r in cur.execute(
            f"SELECT id, {', '.join(_KEY_TRIP)}, {', '.join(_TRIP_FINISH)} FROM trips "
            "WHERE member_id = ? AND start_ts >= ? AND start_ts < ? ORDER BY start_ts",
            (member_id, lo, hi)):
        legs = legs_of.get(r[0], [])
        # as _trip_key reads the trip load_trips makes of these rows
        start = (r[4], r[5]) if r[4] is not None else (None, None)
        end = (r[6], r[7]) if r[6] is not None else (None, None)
        key = (r[1], r[2], round(r[3], 1), *start, *end,
               tuple((g[2], g[3], round(g[4], 1), g[5], round(g[6], 3), g[7]) for g in legs))
        stored.setdefault(key, []).append((r[0], r[_TRIP_AT:],
                                           [(g[1], g[_LEG_AT:]) for g in legs]))
        shapes[r[0]] = (r[1], tuple(g[2] for g in legs))      # as _shape(trip)
        looks[r[0]] = (*r[_LOOK_AT:_LOOK_AT + 3], tuple(g[_MODE_AT] for g in legs))  # _look
    return stored, shapes, looks


def _write_stays(conn, member_id, lo, hi, stays, counts) -> None:
    stored = {}
    cur = conn.cursor()
    cur.row_factory = None
    for r in cur.execute("SELECT id, place, start_ts, end_ts, lat, lon, n_points FROM stays "
                         "WHERE member_id = ? AND start_ts >= ? AND start_ts < ?",
                         (member_id, lo, hi)):
        key = (r[2], r[3], round(r[4], 6), round(r[5], 6), r[6])
        stored.setdefault(key, []).append((r[0], r[1]))
    new, placed = [], []
    for s in stays:
        same = stored.get(_stay_key(s))
        if same:
            row_id, place = same.pop(0)
            if place != s.place:
                placed.append((s.place, row_id))
            continue
        new.append(s)
    conn.executemany("UPDATE stays SET place = ? WHERE id = ?", placed)
    counts["updated"] += len(placed)
    gone = {row_id: place for rows in stored.values() for row_id, place in rows}
    by_start: dict = {}
    for key, rows in stored.items():
        by_start.setdefault(key[0], []).extend(row_id for row_id, _ in rows)
    added, grown_rows, renamed = [], [], 0
    for s in new:
        # The stay in progress only grew (same start): rewritten in place, keeping its id and
        # its entry in stays_member_ts (start_ts is not assigned, so SQLite leaves the index).
        same_start = by_start.get(s.start_ts)
        if same_start:
            grown = same_start.pop(0)
            renamed += gone.pop(grown) != s.place
            grown_rows.append((s.end_ts, s.lat, s.lon, s.n_points, s.place, grown))
        else:
            added.append((member_id, s.start_ts, s.end_ts, s.lat, s.lon, s.n_points, s.place))
    conn.executemany("UPDATE stays SET end_ts = ?, lat = ?, lon = ?, n_points = ?, place = ? "
                     "WHERE id = ?", grown_rows)
    # in the stays' order, as one by one: the new rows get the same ids
    conn.executemany("INSERT INTO stays (member_id, start_ts, end_ts, lat, lon, n_points, place) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", added)
    conn.executemany("DELETE FROM stays WHERE id = ?", [(i,) for i in gone])
    counts["updated"] += len(grown_rows)
    counts["grown"] += len(grown_rows) - renamed
    counts["inserted"] += len(added)
    counts["deleted"] += len(gone)


def _insert_trip(conn, member_id: int, t: Trip, detected: list) -> None:
    co2, avoided, purpose, a, b = _trip_finish(t)
    start, end = t.start or (None, None), t.end or (None, None)
    cur = conn.execute(
        "INSERT INTO trips (member_id, start_ts, end_ts, distance_m, co2_g, avoided_g, purpose, "
        "start_place, end_place, start_lat, start_lon, end_lat, end_lon) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (member_id, t.start_ts, t.end_ts, round(t.distance_m, 1), co2, avoided, purpose, a, b,
         *start, *end))
    conn.executemany(
        "INSERT INTO legs (trip_id, member_id, seq, start_ts, end_ts, distance_m, mode, "
        "confidence, detected_mode, detected_confidence, corrected, n_points, co2_g, avoided_g, "
        "factor_version, probs, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        [(cur.lastrowid, member_id, k, g.start_ts, g.end_ts, round(g.distance_m, 1), g.mode,
          round(g.confidence, 3), m, round(c, 3), int(g.corrected), g.n_points, g.co2_g,
          g.avoided_g, g.factor_version, _dump(g.probs), _dump(g.features))
         for k, (g, (m, c)) in enumerate(zip(t.legs, detected))])


def _shape(t: Trip) -> tuple:
    """What stays when a trip only grows: its start and its legs' starts."""
    return t.start_ts, tuple(g.start_ts for g in t.legs)


def _look(t: Trip) -> tuple:
    """What a member sees of a trip besides its length: purpose, places, the legs' modes."""
    return t.purpose, t.start_place, t.end_place, tuple(g.mode for g in t.legs)


def _rewrite_trip(conn, trip_id: int, t: Trip, detected: list) -> None:
    """The trip row and its legs made equal to ``t`` in place. Only columns outside every
    index are assigned (SQLite rewrites an index's entry whenever one of its columns is in
    the SET list): the trip's and legs' leaves change, never trips_member_ts, legs_trip or
    legs_member_ts."""
    co2, avoided, purpose, a, b = _trip_finish(t)
    start, end = t.start or (None, None), t.end or (None, None)
    conn.execute(
        "UPDATE trips SET end_ts = ?, distance_m = ?, co2_g = ?, avoided_g = ?, purpose = ?, "
        "start_place = ?, end_place = ?, start_lat = ?, start_lon = ?, end_lat = ?, "
        "end_lon = ? WHERE id = ?",
        (t.end_ts, round(t.distance_m, 1), co2, avoided, purpose, a, b, *start, *end, trip_id))
    conn.executemany(
        "UPDATE legs SET end_ts = ?, distance_m = ?, mode = ?, confidence = ?, "
        "detected_mode = ?, detected_confidence = ?, corrected = ?, n_points = ?, co2_g = ?, "
        "avoided_g = ?, factor_version = ?, probs = ?, features = ? "
        "WHERE trip_id = ? AND seq = ?",
        [(g.end_ts, round(g.distance_m, 1), g.mode, round(g.confidence, 3), m, round(c, 3),
          int(g.corrected), g.n_points, g.co2_g, g.avoided_g, g.factor_version,
          _dump(g.probs), _dump(g.features), trip_id, k)
         for k, (g, (m, c)) in enumerate(zip(t.legs, detected))])


# json.dumps(value, sort_keys=True) without making an encoder per call (twice a leg a write)
_ENCODE = json.JSONEncoder(sort_keys=True).encode


def _dump(value) -> str | None:
    return _ENCODE(value) if value else None


def _update_trip(conn, entry: tuple, t: Trip, counts: dict) -> None:
    """Same detection: refresh only what the member's context decides, when it changed.
    ``entry`` is the stored trip as ``_stored_trips`` read it."""
    trip_id, row, legs = entry
    finish = _trip_finish(t)
    changed = row != finish
    if changed:
        conn.execute(f"UPDATE trips SET {', '.join(c + ' = ?' for c in _TRIP_FINISH)} "
                     "WHERE id = ?", (*finish, trip_id))
    for (leg_id, stored), g in zip(legs, t.legs):
        finish = _leg_finish(g)
        if stored != finish:
            conn.execute(f"UPDATE legs SET {', '.join(c + ' = ?' for c in _LEG_FINISH)} "
                         "WHERE id = ?", (*finish, leg_id))
            changed = True
    counts["updated"] += int(changed)
