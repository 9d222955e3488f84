"""Restore a member's archive (`selfdata export --format archive`) into this box, for the
member the import runs for (the one logged in, for an upload): their display name,
settings and retention where unset, their devices by name, fixes, events, labelled
segments, corrections and the places they named. Derived tables are not restored: the
trip engine recomputes them.

Everything is checked first (``archive_schema``): every file of the zip, every row, every
column, the manifest's checksums and counts. An archive holding anything else is refused
whole before a row is written. Then rows are only added (INSERT OR IGNORE), in batches, so
a restore run again completes an interrupted one without duplicates. This is the
per-member restore; a whole box (accounts, visibility, every member) is restored by an
administrator on the box, never from an upload.
"""
from __future__ import annotations

import time

from carbon.fix import Fix
from receivers.importers.base import NotLocationHistory
from receivers.importers.selfdata_archive import Archive

from .. import accounts
from .. import store as st
from ..model import Event
from ..trips import decisions
from . import archive_schema as schema
from .reports import FileReport
from .retention import get_months, set_months
from .segments import SEGMENT_COLUMNS, insert_segment_rows


class ArchiveRestore:
    """One archive restored through an import run (``importing.Importer``): its store, its
    member, its devices and its report."""

    def __init__(self, importer):
        self.imp = importer
        self.member_id = importer.member.id
        self.devices: dict[str, accounts.Device] = {}
        self.skipped = 0            # places the engine found itself: it finds them again

    def run(self, path: str) -> None:
        report = FileReport(path, kind="selfdata-archive")
        self.imp.report.files.append(report)
        try:
            archive = Archive(path)
        except NotLocationHistory as exc:
            report.refused = str(exc)
            return
        try:
            member, device_names = self._check(archive)
            self._restore_member(member)
            for name in device_names:
                self.devices[name] = self.imp.device_for(name, override=False)
            self.imp.report.restored = self._restore_rows(archive, report)
        except (NotLocationHistory, schema.Invalid) as exc:
            report.refused = f"archive refused, nothing restored: {exc}"
        finally:
            archive.close()

    # ----- everything checked before anything is written
    def _check(self, archive: Archive) -> tuple[dict, list[str]]:
        schema.check_names(archive.names())
        member = schema.check_member(archive.json("member.json", {}))
        device_names = schema.check_devices(archive.json("devices.json", []))
        known = set(device_names)

        def check(name, number, row):
            if name not in schema.LINK_FILES:      # read, never written back
                _checked_row(name, number, row, known)
        rows = archive.verify(check)
        _check_counts(archive.manifest, rows)
        return member, device_names

    def _restore_member(self, info: dict) -> None:
        with self.imp.store.transaction() as conn:
            accounts.fill_profile(conn, self.member_id, display_name=info["display_name"],
                                  settings=info["settings"])
            if info["retention_months"] and get_months(conn, self.member_id) is None:
                set_months(conn, self.member_id, info["retention_months"])

    # ----- the rows, file by file, in batches
    def _restore_rows(self, archive: Archive, report: FileReport) -> dict:
        writers = {"fixes.jsonl": self._write_fixes, "events.jsonl": self._write_events,
                   "labelled_segments.jsonl": self._write_segments,
                   "tables/corrections.jsonl": self._write_corrections,
                   "tables/places.jsonl": self._write_places,
                   "tables/trip_edits.jsonl": self._write_trip_edits}
        counts = {}
        for name, (table, _columns) in schema.ROW_FILES.items():
            counts[table] = self._restore_file(archive, name, writers[name], report)
        if self.skipped:
            counts["places_recomputed"] = self.skipped
        return counts

    def _restore_file(self, archive: Archive, name: str, write, report: FileReport) -> int:
        added, batch = 0, []
        for number, row in archive.rows(name):
            batch.append(_checked_row(name, number, row, self.devices))
            if len(batch) >= self.imp.batch_size:
                added += self._commit(write, batch, report)
                batch = []
        return added + self._commit(write, batch, report)

    def _commit(self, write, batch: list[dict], report: FileReport) -> int:
        if not batch:
            return 0
        with self.imp.store.transaction() as conn:
            started = time.monotonic()      # once the lock is ours: what phones wait for
            added = write(conn, batch, report)
            self.imp.job_progress(conn, force=False)
        self.imp.adapt_batch(time.monotonic() - started)
        self.imp.tick(force=False)
        return added

    def _write_fixes(self, conn, rows: list[dict], report: FileReport) -> int:
        # Through fix_row, as every fix is stored: its Recorder object and geohash too.
        fix_rows = [st.fix_row(self.devices[r["device"]],
                               Fix(ts=r["ts"], lat=r["lat"], lon=r["lon"], acc=r["acc"],
                                   alt=r["alt"], vel=r["vel"], cog=r["cog"], batt=r["batt"],
                                   activity=r["activity"], raw=r["raw"]),
                               r["source"], r["received_ts"]) for r in rows]
        new = st.insert_fix_rows(conn, fix_rows)
        report.fixes += new
        report.duplicates += len(rows) - new
        self.imp.report.widen(min(r["ts"] for r in rows), max(r["ts"] for r in rows))
        return new

    def _write_events(self, conn, rows: list[dict], report: FileReport) -> int:
        added = 0
        for r in rows:
            event = Event(r["type"], r["ts"], r["payload"], r["topic"] or "")
            added += st.insert_event(conn, self.devices[r["device"]].id, self.member_id,
                                     event, r["source"], r["received_ts"])
        report.events += added
        return added

    def _write_segments(self, conn, rows: list[dict], report: FileReport) -> int:
        for r in rows:
            r["member_id"], r["label"] = self.member_id, r["label"] or ""
        added = insert_segment_rows(conn, [tuple(r[c] for c in SEGMENT_COLUMNS) for r in rows])
        report.segments += added
        return added

    def _write_corrections(self, conn, rows: list[dict], _report) -> int:
        return sum(decisions.restore_correction(conn, self.member_id, r) for r in rows)

    def _write_places(self, conn, rows: list[dict], _report) -> int:
        mine = [r for r in rows if r["source"] == "member"]
        self.skipped += len(rows) - len(mine)
        return sum(decisions.restore_place(conn, self.member_id, r) for r in mine)

    def _write_trip_edits(self, conn, rows: list[dict], _report) -> int:
        return sum(decisions.restore_trip_edit(conn, self.member_id, r) for r in rows)


def _checked_row(name: str, number: int, row, devices) -> dict:
    """One row against its file's schema; a device must be one of devices.json's."""
    where = f"{name} line {number:,}"
    row = schema.check_row(where, row, schema.ROW_FILES[name][1])
    if "device" in row:
        if row["device"] not in devices:
            raise schema.Invalid(f"{where}: device {row['device'][:32]!r} is not in "
                                 "devices.json")
    if name == "tables/corrections.jsonl":
        schema.check_correction(where, row)
    elif "start_ts" in row and row["start_ts"] > row["end_ts"]:
        raise schema.Invalid(f"{where}: start_ts is after end_ts")
    return row


def _check_counts(manifest: dict, rows: dict[str, int]) -> None:
    """The manifest's row counts say what the archive holds: they must be what it holds."""
    counts = manifest.get("counts", {})
    if not isinstance(counts, dict):
        raise schema.Invalid("manifest.json: counts is not an object")
    expected = {name.rsplit("/", 1)[-1].removesuffix(".jsonl"): n for name, n in rows.items()}
    for key in sorted(set(counts) | set(expected)):
        if counts.get(key) != expected.get(key):
            raise schema.Invalid(f"manifest.json counts {key!r}: {counts.get(key)!r}, but the "
                                 f"archive holds {expected.get(key, 0):,} rows")
