"""What the member decides: a leg's mode, a trip's purpose, a place's name, their vehicle.

Each is stored as member input (corrections, places, members.settings) and then applied
again to the stored trips without re-reading fixes (`trips.pipeline.reapply`), so the answer
shows at once and survives every rebuild.
"""
from __future__ import annotations

import time
from dataclasses import replace

from carbon.corrections import correct_leg as make_leg_correction
from carbon.corrections import correct_purpose as make_purpose_correction

from carbon.modes import MODES

from .. import accounts
from . import context as member_context
from .pipeline import member_lock, reapply
from .rows import load_trips


def _leg_at(conn, member_id: int, ts: int, table: str):
    """The member's leg (or trip) under ts: the one containing it, else one starting within
    a minute of it (times typed to the minute)."""
    row = conn.execute(f"SELECT * FROM {table} WHERE member_id = ? AND start_ts <= ? AND "
                       "end_ts >= ? ORDER BY start_ts DESC LIMIT 1", (member_id, ts, ts)).fetchone()
    if row is None:
        row = conn.execute(f"SELECT * FROM {table} WHERE member_id = ? AND abs(start_ts - ?) <= 60 "
                           "ORDER BY abs(start_ts - ?) LIMIT 1", (member_id, ts, ts)).fetchone()
    if row is None:
        raise LookupError(f"no {table[:-1]} at {ts}")
    return row


def _trip_objects(conn, member_id: int, trip_row):
    trips, _detected, _ids = load_trips(conn, member_id, trip_row["start_ts"], trip_row["start_ts"] + 1)
    trip = next(t for t, i in zip(trips, _ids) if i == trip_row["id"])
    return trip


def correct_leg(store, member_id: int, leg_ts: int, mode: str, *, similar: bool = True) -> dict:
    """The member says the leg under leg_ts was in `mode`; with ``similar``, trips between
    the same places learn it (the page's "apply to similar trips")."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
    with member_lock(store, member_id):
        conn = store.conn
        leg = _leg_at(conn, member_id, int(leg_ts), "legs")
        trip_row = conn.execute("SELECT * FROM trips WHERE id = ?", (leg["trip_id"],)).fetchone()
        trip = _trip_objects(conn, member_id, trip_row)
        target = trip.legs[leg["seq"]]
        target.mode = leg["mode"]           # what the member saw and corrects away from
        c = make_leg_correction(trip, target, mode, created_ts=time.time_ns() // 1000)
        if not similar:
            c = replace(c, main_leg=False)      # only main legs teach recurring trips
        with store.transaction() as conn:
            member_context.store_correction(conn, member_id, c)
        reapply(store, member_id)
        return {"leg_start_ts": leg["start_ts"], "leg_end_ts": leg["end_ts"], "mode": mode,
                "was": leg["mode"], "teaches": _teaches(store, member_id)}


def _teaches(store, member_id: int) -> str:
    """The member's corrections also move their priors (their speeds, the modes they use),
    which detection reads: the next rebuild applies them to every trip."""
    n = store.conn.execute("SELECT count(*) FROM corrections WHERE member_id = ? AND kind = "
                           "'leg_mode'", (member_id,)).fetchone()[0]
    return f"{n} leg corrections teach detection (selfdata rebuild applies them everywhere)"


def correct_purpose(store, member_id: int, trip_ts: int, purpose: str, *,
                    similar: bool = False) -> dict:
    """The trip under trip_ts had this purpose; with ``similar``, so have the trips between
    the same places (the page's "apply to similar trips")."""
    if not purpose or len(purpose) > 40:
        raise ValueError("a purpose is a short word (commute, home, work, other, ...)")
    with member_lock(store, member_id):
        conn = store.conn
        row = _leg_at(conn, member_id, int(trip_ts), "trips")
        trip = _trip_objects(conn, member_id, row)
        c = make_purpose_correction(trip, purpose, created_ts=time.time_ns() // 1000)
        if similar:
            c = replace(c, main_leg=True)
        with store.transaction() as conn:
            member_context.store_correction(conn, member_id, c)
        reapply(store, member_id)
        return {"trip_start_ts": row["start_ts"], "purpose": purpose, "was": row["purpose"]}


def name_place(store, member_id: int, lat: float, lon: float, name: str | None,
               label: str | None = None, *, private: bool | None = None) -> dict:
    """The member names a place (and may say it is home or work, or private); trips
    follow."""
    if label not in (None, "home", "work"):
        raise ValueError("label must be home or work")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError("latitude and longitude out of range")
    from carbon.geo import distance_m
    from carbon.places import PLACE_RADIUS_M
    with member_lock(store, member_id):
        with store.transaction() as conn:
            mine = [r for r in conn.execute("SELECT * FROM places WHERE member_id = ? AND "
                                            "source = 'member'", (member_id,))
                    if distance_m(r["lat"], r["lon"], lat, lon) <= PLACE_RADIUS_M]
            if label:   # one home and one work: the label moves here
                conn.execute("UPDATE places SET label = NULL WHERE member_id = ? AND "
                             "source = 'member' AND label = ?", (member_id, label))
            flag = None if private is None else int(bool(private))
            if mine:
                conn.execute("UPDATE places SET name = coalesce(?, name), label = coalesce(?, label), "
                             "private = coalesce(?, private) WHERE id = ?",
                             (name, label, flag, mine[0]["id"]))
            else:
                key = f"{lat:.4f},{lon:.4f}"
                conn.execute("INSERT INTO places (member_id, place_key, lat, lon, label, name, "
                             "source, private) VALUES (?, ?, ?, ?, ?, ?, 'member', ?)",
                             (member_id, key, round(lat, 5), round(lon, 5), label, name,
                              flag or 0))
        reapply(store, member_id)
    return {"lat": lat, "lon": lon, "name": name, "label": label}


def set_vehicle(store, member_id: int, **values) -> dict:
    """Update the member's vehicle settings; footprints follow at once. Returns the
    settings and whether detection itself needs a rebuild (the modes they own changed)."""
    values = {k: v for k, v in values.items() if v is not None}
    member_context.check_vehicle(values)
    with member_lock(store, member_id):
        with store.transaction() as conn:
            settings = accounts.member_settings(conn, member_id)
            vehicle = settings.get("vehicle", {})
            before = sorted(vehicle.get("owns", []))
            if "owns" in values:
                values["owns"] = sorted(set(values["owns"]))
            vehicle.update(values)
            settings["vehicle"] = vehicle
            accounts.set_member_settings(conn, member_id, settings)
        reapply(store, member_id)
    return {"vehicle": vehicle, "needs_rebuild": sorted(vehicle.get("owns", [])) != before}


def _own_place(conn, member_id: int, lat: float, lon: float) -> str:
    """The place_key of the member's own place at (lat, lon), made when there is none."""
    from carbon.geo import distance_m
    from carbon.places import PLACE_RADIUS_M
    for r in conn.execute("SELECT * FROM places WHERE member_id = ? AND source = 'member'",
                          (member_id,)):
        if distance_m(r["lat"], r["lon"], lat, lon) <= PLACE_RADIUS_M:
            return r["place_key"]
    key = f"{lat:.4f},{lon:.4f}"
    conn.execute("INSERT INTO places (member_id, place_key, lat, lon, source) "
                 "VALUES (?, ?, ?, ?, 'member')", (member_id, key, round(lat, 5), round(lon, 5)))
    return key


def merge_places(store, member_id: int, here: tuple, into: tuple) -> dict:
    """The place at ``here`` (lat, lon) is the same as the one at ``into``: stays at it are
    shown as that place from now on (both become the member's own places)."""
    with member_lock(store, member_id):
        with store.transaction() as conn:
            target = _own_place(conn, member_id, *into)
            source = _own_place(conn, member_id, *here)
            if source == target:
                raise ValueError("these are the same place already")
            # Whatever was merged into the one that goes now joins the target directly.
            conn.execute("UPDATE places SET merged_into = ? WHERE member_id = ? AND "
                         "merged_into = ?", (target, member_id, source))
            conn.execute("UPDATE places SET merged_into = ?, label = NULL WHERE member_id = ? "
                         "AND place_key = ? AND source = 'member'", (target, member_id, source))
        reapply(store, member_id)
    return {"merged": source, "into": target}


def split_trip(store, member_id: int, trip_id: int, ts: int, lat: float, lon: float) -> dict:
    """The member stopped at (lat, lon) at ts: the trip becomes two, from now on."""
    from carbon.edits import SPLIT, TripEdit
    with member_lock(store, member_id):
        row = _own_trip(store.conn, member_id, trip_id)
        if not row["start_ts"] < ts < row["end_ts"]:
            raise ValueError("a trip is split at a moment inside it")
        edit = TripEdit(SPLIT, int(ts), None, (float(lat), float(lon)), time.time_ns() // 1000)
        with store.transaction() as conn:
            member_context.store_edit(conn, member_id, edit)
        reapply(store, member_id)
    return {"split_at": int(ts)}


def merge_with_next(store, member_id: int, trip_id: int) -> dict:
    """This trip and the next one are one journey (the stop between was a red light, a
    queue): joined from now on."""
    from carbon.edits import MERGE, TripEdit
    with member_lock(store, member_id):
        conn = store.conn
        row = _own_trip(conn, member_id, trip_id)
        nxt = conn.execute("SELECT * FROM trips WHERE member_id = ? AND start_ts >= ? AND id != ? "
                           "ORDER BY start_ts LIMIT 1", (member_id, row["end_ts"], trip_id)).fetchone()
        if nxt is None:
            raise ValueError("there is no next trip to join")
        edit = TripEdit(MERGE, row["end_ts"], nxt["start_ts"], None, time.time_ns() // 1000)
        with store.transaction() as conn:
            member_context.store_edit(conn, member_id, edit)
        reapply(store, member_id)
    return {"merged": [row["start_ts"], nxt["start_ts"]]}


def _own_trip(conn, member_id: int, trip_id: int):
    row = conn.execute("SELECT * FROM trips WHERE id = ? AND member_id = ?",
                       (trip_id, member_id)).fetchone()
    if row is None:
        raise LookupError("no such trip")
    return row
# ----- decisions restored from the member's archive (gateway.portability.restore), inside
# the restore's transaction. Rows are only added: what the member decided on this box wins.

def restore_correction(conn, member_id: int, row: dict) -> bool:
    """One correction from an archive (checked by ``portability.archive_schema``): it names
    its trip by times and ends, never by an id, so it applies to the trips rebuilt here."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO corrections (member_id, kind, start_ts, end_ts, value, "
        "created_ts, trip_start_lat, trip_start_lon, trip_end_lat, trip_end_lon, "
        "trip_distance_m, main_leg, was, leg_features) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (member_id, row["kind"], row["start_ts"], row["end_ts"], row["value"],
         row["created_ts"], row["trip_start_lat"], row["trip_start_lon"], row["trip_end_lat"],
         row["trip_end_lon"], row["trip_distance_m"], int(row["main_leg"] or 0),
         row.get("was"), row.get("leg_features")))
    return cur.rowcount > 0


def restore_place(conn, member_id: int, row: dict) -> bool:
    """One place the member named, from an archive. Its label (home, work) is kept only
    when no place of theirs has it here yet: a member has one home."""
    label = row["label"]
    if label and conn.execute("SELECT 1 FROM places WHERE member_id = ? AND source = 'member' "
                              "AND label = ?", (member_id, label)).fetchone():
        label = None
    cur = conn.execute(
        "INSERT OR IGNORE INTO places (member_id, place_key, lat, lon, label, name, source, "
        "visits, dwell_s, private, merged_into) VALUES (?, ?, ?, ?, ?, ?, 'member', ?, ?, ?, ?)",
        (member_id, row["place_key"], row["lat"], row["lon"], label, row["name"],
         row["visits"] or 0, row["dwell_s"] or 0, int(bool(row.get("private"))),
         row.get("merged_into")))
    return cur.rowcount > 0


def restore_trip_edit(conn, member_id: int, row: dict) -> bool:
    """One split or join of trips from an archive: it names its moment, never a trip id, so
    it applies to the trips rebuilt here; the same edit twice is kept once."""
    if conn.execute("SELECT 1 FROM trip_edits WHERE member_id = ? AND kind = ? AND ts = ? "
                    "AND until_ts IS ?", (member_id, row["kind"], row["ts"],
                                          row["until_ts"])).fetchone():
        return False
    conn.execute("INSERT INTO trip_edits (member_id, kind, ts, until_ts, lat, lon, created_ts) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (member_id, row["kind"], row["ts"],
                                                  row["until_ts"], row["lat"], row["lon"],
                                                  row["created_ts"]))
    return True
