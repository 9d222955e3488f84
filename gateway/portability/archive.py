"""The full archive: everything a member has, as one zip that `selfdata import` restores
(``restore.py``) and any text editor or spreadsheet opens.

Files are written as streams, each hashed on its way into the zip (the manifest lists a
SHA-256 per file and the row counts).
"""
from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from datetime import timezone
from pathlib import Path

from carbon.times import iso_utc

from .. import __version__
from ..queries.trips import trips
from .archive_schema import LINK_FILES, ROW_FILES, exportable_settings
from .export import write_legs_csv, write_trips_json

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
| tables/*.jsonl | your corrections, places and trip edits (splits, joins); the city link's records (consents, the ledger of what was sent...: not restored, a new box enrols again) |
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


def _rows(cursor, devices: dict, drop=()):
    for row in cursor:
        row = dict(row)
        for key in drop:
            row.pop(key, None)
        if "device_id" in row:
            row["device"] = devices.get(row.pop("device_id"))
        yield row


def _select(table: str, columns: dict, order: str) -> str:
    """The columns a restore reads back (``archive_schema``), and nothing else: no id of
    this box, no column a later migration added before the schema knows it."""
    names = [("device_id" if c == "device" else c) for c, col in columns.items()
             if not col.ignored]
    return f"SELECT {', '.join(names)} FROM {table} WHERE member_id = ? ORDER BY {order}"


# Fixes in the order of their one index, (member_id, ts, device_id): a year is read, never sorted.
_ORDER = {"fixes": "ts, device_id", "events": "id", "labelled_segments": "start_ts",
          "corrections": "start_ts, created_ts", "places": "source, place_key",
          "trip_edits": "created_ts, id"}


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
    for name, (table, columns) in ROW_FILES.items():
        archive.jsonl(name, _rows(conn.execute(_select(table, columns, _ORDER[table]),
                                               (member_id,)), devices))
    for name in LINK_FILES:          # theirs to read; a restore never brings a link
        table = name[len("tables/"):-len(".jsonl")]
        archive.jsonl(name, _rows(conn.execute(
            f"SELECT * FROM {table} WHERE member_id = ? ORDER BY rowid", (member_id,)),
            devices, drop=("member_id",)))
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
            "settings": exportable_settings(settings),
            "retention_months": get_months(conn, member["id"])}
