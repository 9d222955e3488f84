"""Exports: fixes as GPX, GeoJSON, CSV and OwnTracks ``.rec`` (each reads back through the
importers unchanged), trips and legs as CSV and JSON. The full archive is ``archive.py``.

Every writer streams from a cursor (``gateway.queries.fixes``, ``gateway.queries.trips``)
through the encoders the Recorder API uses too (``encoders.py``): memory does not grow with
the history's length.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from carbon.times import iso_utc

from .encoders import CsvEncoder, GeoJsonEncoder, GpxEncoder, JsonArrayEncoder, number


# ----- fixes: GPX 1.1, GeoJSON, CSV

CSV_HEADER = ("ts", "time", "lat", "lon", "acc", "alt", "speed", "cog", "batt", "activity",
              "device")


def write_gpx(out, rows) -> int:
    """One track per device, every value the box knows (the extensions read back)."""
    return GpxEncoder(extensions=True).write(out, rows)


def write_geojson(out, rows) -> int:
    return GeoJsonEncoder(_fix_properties, lines=True).write(out, rows)


def _fix_properties(r) -> dict:
    props = {"time": iso_utc(r["ts"]), "ts": r["ts"], "device": r["device"]}
    props.update({k: r[k] for k in ("acc", "vel", "cog", "batt", "activity") if r[k] is not None})
    return props


def write_csv(out, rows) -> int:
    return CsvEncoder(CSV_HEADER, _fix_csv_row).write(out, rows)


def _fix_csv_row(r) -> list:
    return ([r["ts"], iso_utc(r["ts"]), number(r["lat"]), number(r["lon"])]
            + ["" if r[k] is None else number(r[k]) for k in ("acc", "alt", "vel", "cog", "batt")]
            + [r["activity"] or "", r["device"]])


# ----- OwnTracks Recorder store

def rec_payload(r) -> str:
    """The fix as an OwnTracks location message (``vel`` in km/h, as the apps send it).
    A fix that came from OwnTracks keeps its original message."""
    raw = r["raw"]
    if raw and raw.startswith("{") and '"_type"' in raw:
        try:
            msg = json.loads(raw)
            if msg.get("_type") == "location" and msg.get("tst") == r["ts"]:
                return json.dumps(msg, separators=(",", ":"))
        except ValueError:
            pass
    msg = {"_type": "location", "tst": r["ts"], "lat": r["lat"], "lon": r["lon"],
           "tid": r["tid"]}
    for key in ("acc", "alt", "cog", "batt"):
        if r[key] is not None:
            msg[key] = r[key]
    if r["vel"] is not None:
        msg["vel"] = round(r["vel"] * 3.6, 3)
    if r["activity"]:
        msg["motionactivities"] = [r["activity"]]
    return json.dumps(msg, separators=(",", ":"))


def write_rec(root: Path, member: str, rows) -> int:
    """``root/rec/<member>/<device>/YYYY-MM.rec``, the Recorder's own layout (UTC months)."""
    handle, key, n = None, None, 0
    try:
        for r in rows:
            month = time.strftime("%Y-%m", time.gmtime(r["ts"]))
            if (r["device"], month) != key:
                if handle:
                    handle.close()
                key = (r["device"], month)
                folder = Path(root) / "rec" / member / r["device"]
                folder.mkdir(parents=True, exist_ok=True)
                handle = open(folder / f"{month}.rec", "a", encoding="utf-8")
            handle.write(f"{iso_utc(r['ts'])}\t{'*':<18}\t{rec_payload(r)}\n")
            n += 1
    finally:
        if handle:
            handle.close()
    return n


# ----- trips and legs (the trip engine's tables)

LEG_HEADER = ("trip_id", "trip_start", "trip_end", "leg_start", "leg_end", "mode",
              "distance_km", "co2e_kg", "purpose", "from_place", "to_place")


def _pick(row: dict, *names):
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    return None


def _local(ts, tz) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts is not None else ""


def write_legs_csv(out, trip_iter, tz=timezone.utc) -> int:
    """One row per leg (Coach CO2's export shape): mode, distance, CO2e, purpose."""
    legs = ((trip, leg) for trip in trip_iter for leg in trip["legs"])
    return CsvEncoder(LEG_HEADER, lambda item: _leg_row(*item, tz)).write(out, legs)


def _leg_row(trip: dict, leg: dict, tz) -> list:
    distance = _pick(leg, "distance_m")
    co2 = _pick(leg, "co2_g", "co2e_g")
    return [trip["id"], _local(trip["start_ts"], tz), _local(trip["end_ts"], tz),
            _local(leg["start_ts"], tz), _local(leg["end_ts"], tz),
            _pick(leg, "mode") or "unknown",
            "" if distance is None else round(distance / 1000, 3),
            "" if co2 is None else round(co2 / 1000, 4),
            _pick(trip, "purpose") or "", _pick(trip, "start_place") or "",
            _pick(trip, "end_place") or ""]


def write_trips_json(out, trip_iter) -> int:
    """A JSON array, one trip (with its legs) per line."""
    return JsonArrayEncoder(lambda t: {k: v for k, v in t.items() if k != "member_id"},
                            open="[\n", close="\n]\n", sep=",\n").write(out, trip_iter)
