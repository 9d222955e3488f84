"""What the member decides: a leg's mode, a trip's purpose, a place's name, their vehicle.

Each is stored as member input (corrections, places, members.settings) and then applied
again to the stored trips without re-reading fixes (`trips.pipeline.reapply`), so the answer
shows at once and survives every rebuild.
"""
from __future__ import annotations

import time

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


def correct_leg(store, member_id: int, leg_ts: int, mode: str) -> dict:
    """The member says the leg under leg_ts was in `mode`; similar trips learn it."""
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


def correct_purpose(store, member_id: int, trip_ts: int, purpose: str) -> dict:
    if not purpose or len(purpose) > 40:
        raise ValueError("a purpose is a short word (commute, home, work, other, ...)")
    with member_lock(store, member_id):
        conn = store.conn
        row = _leg_at(conn, member_id, int(trip_ts), "trips")
        trip = _trip_objects(conn, member_id, row)
        c = make_purpose_correction(trip, purpose, created_ts=time.time_ns() // 1000)
        with store.transaction() as conn:
            member_context.store_correction(conn, member_id, c)
        reapply(store, member_id)
        return {"trip_start_ts": row["start_ts"], "purpose": purpose, "was": row["purpose"]}


def name_place(store, member_id: int, lat: float, lon: float, name: str | None,
               label: str | None = None) -> dict:
    """The member names a place (and may say it is home or work); trips follow."""
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
            if mine:
                conn.execute("UPDATE places SET name = coalesce(?, name), label = coalesce(?, label) "
                             "WHERE id = ?", (name, label, mine[0]["id"]))
            else:
                key = f"{lat:.4f},{lon:.4f}"
                conn.execute("INSERT INTO places (member_id, place_key, lat, lon, label, name, "
                             "source) VALUES (?, ?, ?, ?, ?, ?, 'member')",
                             (member_id, key, round(lat, 5), round(lon, 5), label, name))
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
