"""Restore a full archive (`selfdata export --format archive`) into this box, for the member
the import runs for: their profile and retention where unset, devices by name (re-paired
later: no secret travels), fixes, events, labelled segments and their input (corrections,
places...). Derived tables are not restored: the trip engine recomputes them.

Like every import, rows are only added (INSERT OR IGNORE), in batches, so a restore run
again completes an interrupted one without duplicates.
"""
from __future__ import annotations

import json
from collections import Counter

import sqlite_utils

from receivers.importers.base import NotLocationHistory
from receivers.importers.selfdata_archive import Archive

from .. import accounts
from .. import store as st
from ..model import Event
from ..store.tables import DERIVED, LINK, member_tables
from .reports import FileReport
from .retention import set_months
from .segments import _INSERT_SEGMENT, SEGMENT_COLUMNS


class ArchiveRestore:
    """One archive restored through an import run (``importing.Importer``): its store, its
    member, its devices and its report."""

    def __init__(self, importer):
        self.imp = importer
        self._columns: dict[str, list[str]] = {}   # archive tables restored, by name

    def run(self, path: str) -> None:
        report = FileReport(path, kind="selfdata-archive")
        self.imp.report.files.append(report)
        archive = Archive(path)
        try:
            archive.verify()
            counts = Counter()
            self._restore_member(archive)
            for info in archive.json("devices.json", []):
                self.imp.device_for(info["name"], override=False)
            counts["fixes"] = self._restore_fixes(archive, report)
            counts["events"] = self._restore_rows(archive, "events.jsonl", self._insert_event)
            counts["labelled_segments"] = self._restore_rows(
                archive, "labelled_segments.jsonl", self._insert_segment)
            restorable = {t for t, _ in member_tables(self.imp.store.conn)} - DERIVED - LINK
            for name in archive.names("tables/"):
                table = name[len("tables/"):-len(".jsonl")]
                if table not in restorable:   # accounts, bookkeeping, derived, link: never rows
                    continue
                counts[table] = self._restore_rows(
                    archive, name, lambda conn, row, t=table: self._insert_generic(conn, t, row))
            self.imp.report.restored = dict(counts)
        except NotLocationHistory as exc:
            report.refused = str(exc)
        finally:
            archive.close()

    def _restore_member(self, archive: Archive) -> None:
        info = archive.json("member.json", {})
        with self.imp.store.transaction() as conn:
            accounts.fill_profile(conn, self.imp.member.id, display_name=info.get("display_name"),
                                  settings=info.get("settings"))
            if info.get("retention_months"):
                set_months(conn, self.imp.member.id, int(info["retention_months"]))

    def _restore_fixes(self, archive: Archive, report: FileReport) -> int:
        rows = []
        for r in archive.rows("fixes.jsonl"):
            device = self.imp.device_for(r["device"], override=False)
            rows.append((device.id, device.member_id, r["ts"], r["lat"], r["lon"], r.get("acc"),
                         r.get("alt"), r.get("vel"), r.get("cog"), r.get("batt"),
                         r.get("activity"), r["source"], r["received_ts"], r.get("raw")))
            if len(rows) >= self.imp.batch_size:
                self._commit_fix_rows(rows, report)
                rows = []
        self._commit_fix_rows(rows, report)
        return report.fixes

    def _commit_fix_rows(self, rows, report: FileReport) -> None:
        if not rows:
            return
        with self.imp.store.transaction() as conn:
            new = st.insert_fix_rows(conn, rows)
        report.fixes += new
        report.duplicates += len(rows) - new
        self.imp.report.widen(min(r[2] for r in rows), max(r[2] for r in rows))
        self.imp.tick(force=False)

    def _restore_rows(self, archive: Archive, name: str, insert) -> int:
        added, batch = 0, []
        for row in archive.rows(name):
            batch.append(row)
            if len(batch) >= self.imp.batch_size:
                added += self._commit_rows(batch, insert)
                batch = []
        return added + self._commit_rows(batch, insert)

    def _commit_rows(self, batch, insert) -> int:
        if not batch:
            return 0
        with self.imp.store.transaction() as conn:
            before = conn.total_changes
            for row in batch:
                insert(conn, row)
            return conn.total_changes - before

    def _insert_event(self, conn, row: dict) -> None:
        device = self.imp.device_for(row.pop("device"), override=False)
        st.insert_event(conn, device.id, self.imp.member.id,
                        Event(row["type"], row.get("ts"), row["payload"], row.get("topic", "")),
                        row["source"], row["received_ts"])

    def _insert_segment(self, conn, row: dict) -> None:
        row["member_id"] = self.imp.member.id
        conn.execute(_INSERT_SEGMENT, [row.get(c) for c in SEGMENT_COLUMNS])

    def _insert_generic(self, conn, table: str, row: dict) -> None:
        """Member input kept by other capabilities (corrections, places): same columns,
        this member, devices by name; ids are the new box's own."""
        columns = self._columns.get(table)
        if columns is None:
            columns = self._columns[table] = list(sqlite_utils.Database(conn)[table].columns_dict)
        if not columns:
            return
        if "device" in row and "device_id" in columns:
            row["device_id"] = self.imp.device_for(row.pop("device"), override=False).id
        row["member_id"] = self.imp.member.id
        row.pop("id", None)
        keys = [k for k in row if k in columns]
        conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(keys)}) "
                     f"VALUES ({', '.join('?' * len(keys))})",
                     [json.dumps(row[k]) if isinstance(row[k], (dict, list)) else row[k]
                      for k in keys])
