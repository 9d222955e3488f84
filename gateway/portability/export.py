"""Exports: fixes as GPX, GeoJSON, CSV and OwnTracks ``.rec`` (each reads back through the
importers unchanged), trips and legs as CSV and JSON, and a member's full archive.

Every writer streams from a cursor: memory does not grow with the history's length.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from carbon.times import iso_utc

from .. import __version__
from ..store.tables import DERIVED, member_tables

# Tables the archive writes in their own files.
_OWN_FILES = {"fixes", "events", "labelled_segments", "rejections"}


def fixes(conn, member_id: int, start: int | None = None, end: int | None = None):
    """The member's fixes with their device name, by device then time, as a cursor."""
    sql = ("SELECT f.*, d.name AS device, d.tid AS tid FROM fixes f "
           "JOIN devices d ON d.id = f.device_id WHERE f.member_id = ?")
    args = [member_id]
    if start is not None:
        sql += " AND f.ts >= ?"
        args.append(start)
    if end is not None:
        sql += " AND f.ts < ?"
        args.append(end)
    return conn.execute(sql + " ORDER BY f.device_id, f.ts", args)


def _num(value) -> str:
    """Shortest text that reads back as the same float (repr), integers without '.0'."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# ----- GPX 1.1

def write_gpx(out, rows) -> int:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" '
              'creator="selfdata-gateway" xmlns="http://www.topografix.com/GPX/1/1" '
              'xmlns:sd="https://selfdata.local/gpx/1">\n')
    device, n = None, 0
    for r in rows:
        if r["device"] != device:
            if device is not None:
                out.write("</trkseg></trk>\n")
            device = r["device"]
            out.write(f"<trk><name>{escape(device)}</name><trkseg>\n")
        out.write(_trkpt(r))
        n += 1
    if device is not None:
        out.write("</trkseg></trk>\n")
    out.write("</gpx>\n")
    return n


def _trkpt(r) -> str:
    parts = [f'<trkpt lat="{_num(r["lat"])}" lon="{_num(r["lon"])}">']
    if r["alt"] is not None:
        parts.append(f"<ele>{_num(r['alt'])}</ele>")
    parts.append(f"<time>{iso_utc(r['ts'])}</time>")
    ext = [f"<sd:{k}>{_num(r[k])}</sd:{k}>" for k in ("acc", "vel", "cog", "batt")
           if r[k] is not None]
    if r["activity"]:
        ext.append(f"<sd:activity>{escape(r['activity'])}</sd:activity>")
    if ext:
        parts.append("<extensions>" + "".join(ext) + "</extensions>")
    return "".join(parts) + "</trkpt>\n"


# ----- GeoJSON

def write_geojson(out, rows) -> int:
    out.write('{"type": "FeatureCollection", "features": [\n')
    n = 0
    for r in rows:
        coords = [r["lon"], r["lat"]] + ([r["alt"]] if r["alt"] is not None else [])
        props = {"time": iso_utc(r["ts"]), "ts": r["ts"], "device": r["device"]}
        props.update({k: r[k] for k in ("acc", "vel", "cog", "batt", "activity")
                      if r[k] is not None})
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": coords},
                   "properties": props}
        out.write((",\n" if n else "") + json.dumps(feature))
        n += 1
    out.write("\n]}\n")
    return n


# ----- CSV

CSV_HEADER = ("ts", "time", "lat", "lon", "acc", "alt", "speed", "cog", "batt", "activity",
              "device")


def write_csv(out, rows) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    n = 0
    for r in rows:
        w.writerow([r["ts"], iso_utc(r["ts"]), _num(r["lat"]), _num(r["lon"])]
                   + ["" if r[k] is None else _num(r[k]) for k in ("acc", "alt", "vel", "cog", "batt")]
                   + [r["activity"] or "", r["device"]])
        n += 1
    return n


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


def _local(ts, tz) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") if ts is not None else ""


def write_legs_csv(out, trip_iter, tz=timezone.utc) -> int:
    """One row per leg (Coach CO2's export shape): mode, distance, CO2e, purpose."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(LEG_HEADER)
    n = 0
    for trip in trip_iter:
        for leg in trip["legs"]:
            distance = _pick(leg, "distance_m")
            co2 = _pick(leg, "co2_g", "co2e_g")
            w.writerow([trip["id"], _local(trip["start_ts"], tz), _local(trip["end_ts"], tz),
                        _local(leg["start_ts"], tz), _local(leg["end_ts"], tz),
                        _pick(leg, "mode") or "unknown",
                        "" if distance is None else round(distance / 1000, 3),
                        "" if co2 is None else round(co2 / 1000, 4),
                        _pick(trip, "purpose") or "", _pick(trip, "start_place") or "",
                        _pick(trip, "end_place") or ""])
            n += 1
    return n


def write_trips_json(out, trip_iter) -> int:
    out.write("[\n")
    n = 0
    for trip in trip_iter:
        trip.pop("member_id", None)
        out.write((",\n" if n else "") + json.dumps(trip, default=str))
        n += 1
    out.write("\n]\n")
    return n


# ----- the full archive

ARCHIVE_FORMAT = "selfdata-archive"
ARCHIVE_VERSION = 1
README = """# Your selfdata archive

Everything this household box holds about {member}, written {created}.

| file | what |
|---|---|
| manifest.json | format, version, row counts and a SHA-256 checksum of every file |
| member.json | your name, display name and settings (no password) |
| devices.json | your phones and trackers (no secrets: they are re-paired after a restore) |
| fixes.jsonl | every position, one JSON object per line (ts = UTC epoch seconds, vel in m/s) |
| events.jsonl | other messages from your phones (region enter/leave, status...) |
| labelled_segments.jsonl | visits and activities imported from Google, kept as evidence |
| tables/*.jsonl | your corrections, places and other input |
| derived/trips.json, derived/legs.csv | your trips and legs (recomputed after a restore) |

Restore into a box: `selfdata import {filename} --member NAME`.
JSON Lines opens in any text editor; `derived/legs.csv` opens in a spreadsheet.
"""


class _Hashing(io.RawIOBase):
    """Counts and hashes what goes into a zip member on its way in."""

    def __init__(self, inner):
        self.inner, self.sha, self.size = inner, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.inner.write(data)


class ArchiveWriter:
    def __init__(self, path: Path):
        self.zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.files, self.counts = [], {}

    def text(self, name: str, write) -> int:
        """Write one member through ``write(text_stream) -> rows``; record its checksum."""
        with self.zf.open(name, "w", force_zip64=True) as raw:
            hashing = _Hashing(raw)
            out = io.TextIOWrapper(io.BufferedWriter(hashing, 1 << 16), encoding="utf-8",
                                   newline="")
            rows = write(out)
            out.flush()
            out.detach()
        self.files.append({"name": name, "sha256": hashing.sha.hexdigest(),
                           "bytes": hashing.size, "rows": rows})
        return rows

    def document(self, name: str, text: str, rows: int) -> None:
        def write(out):
            out.write(text)
            return rows
        self.text(name, write)

    def jsonl(self, name: str, rows) -> int:
        def write(out):
            n = 0
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
            return n
        n = self.text(name, write)
        self.counts[name.rsplit("/", 1)[-1].removesuffix(".jsonl")] = n
        return n

    def close(self, manifest: dict) -> None:
        manifest["files"] = self.files
        manifest["counts"] = self.counts
        self.zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        self.zf.close()


def _rows(cursor, devices: dict, drop=("member_id",)):
    for row in cursor:
        row = dict(row)
        for key in drop:
            row.pop(key, None)
        if "device_id" in row:
            row["device"] = devices.get(row.pop("device_id"))
        yield row


def write_archive(store, member_id: int, path: Path, tz=timezone.utc) -> dict:
    """Everything the member has, as one zip; returns the manifest."""
    conn = store.conn
    member = dict(conn.execute("SELECT * FROM members WHERE id = ?", (member_id,)).fetchone())
    devices = {r["id"]: r["name"] for r in conn.execute(
        "SELECT id, name FROM devices WHERE member_id = ?", (member_id,))}
    created = iso_utc(time.time())
    archive = ArchiveWriter(Path(path))
    readme = README.format(member=member["name"], created=created, filename=Path(path).name)
    device_rows = [{k: d[k] for k in ("name", "tid", "card_name", "created_ts")}
                   for d in conn.execute("SELECT * FROM devices WHERE member_id = ? "
                                         "ORDER BY name", (member_id,))]
    archive.document("README.md", readme, 0)
    archive.document("member.json", json.dumps(_member_info(conn, member), indent=2), 1)
    archive.document("devices.json", json.dumps(device_rows, indent=2), len(device_rows))
    archive.jsonl("fixes.jsonl", _rows(conn.execute(
        "SELECT * FROM fixes WHERE member_id = ? ORDER BY device_id, ts", (member_id,)),
        devices, drop=("member_id", "id")))
    archive.jsonl("events.jsonl", _rows(conn.execute(
        "SELECT * FROM events WHERE member_id = ? ORDER BY id", (member_id,)),
        devices, drop=("member_id", "id", "digest")))
    archive.jsonl("labelled_segments.jsonl", _rows(conn.execute(
        "SELECT * FROM labelled_segments WHERE member_id = ? ORDER BY start_ts", (member_id,)),
        devices, drop=("member_id", "id")))
    for table, _cols in member_tables(conn):
        if table in _OWN_FILES or table in DERIVED:
            continue
        archive.jsonl(f"tables/{table}.jsonl", _rows(conn.execute(
            f"SELECT * FROM {table} WHERE member_id = ?", (member_id,)), devices))
    archive.text("derived/trips.json", lambda out: write_trips_json(out, trips(conn, member_id)))
    archive.text("derived/legs.csv",
                 lambda out: write_legs_csv(out, trips(conn, member_id), tz))
    manifest = {"format": ARCHIVE_FORMAT, "format_version": ARCHIVE_VERSION,
                "gateway_version": __version__, "created": created, "member": member["name"]}
    archive.close(manifest)
    return manifest


def _member_info(conn, member: dict) -> dict:
    from .retention import get_months
    try:
        settings = json.loads(member.get("settings") or "{}")
    except ValueError:
        settings = {}
    return {"name": member["name"], "display_name": member["display_name"],
            "is_admin": bool(member["is_admin"]), "created_ts": member["created_ts"],
            "settings": settings, "retention_months": get_months(conn, member["id"])}
