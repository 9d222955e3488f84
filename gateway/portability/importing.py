"""Import location histories: expand paths, sniff each stream, read it, write in batches.
A selfdata archive among the paths is restored (``restore.py``).

Write policy: fixes are committed in batches (``batch_size`` rows, one transaction each).
A failure part-way (a truncated file, a crash, Ctrl-C) keeps the batches already committed
and never alters anything stored before: rows are only ever added with INSERT OR IGNORE on
(device, ts), so running the same import again completes it without duplicates. One
transaction per file would instead hold the write lock for minutes on a Pi and block the
phones' live ingest, and a half-imported file is no worse than a half-uploaded one.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import time
import xml.etree.ElementTree as ET
import zipfile
import zlib
from typing import Callable

import ijson

from carbon.fix import Fix
from receivers.importers import detect, sources
from receivers.importers.base import Bad, NotLocationHistory, Segment
from receivers.importers.selfdata_archive import is_archive

from .. import accounts
from .. import store as st
from ..model import Event
from ..trips import pipeline
from .reports import FileReport, ImportReport, Progress
from .restore import ArchiveRestore
from .segments import insert_segment_rows, segment_row

log = logging.getLogger(__name__)
BATCH = 5000
DEFAULT_DEVICE = "import"
# What a damaged or truncated stream raises somewhere below a reader.
STREAM_ERRORS = (ijson.JSONError, ET.ParseError, EOFError, zlib.error, zipfile.BadZipFile,
                 csv.Error, UnicodeDecodeError, OSError)


class _Writer:
    """Collects one file's rows and commits them ``batch_size`` at a time."""

    def __init__(self, importer: "Importer", report: FileReport, device: accounts.Device,
                 source: str):
        self.imp, self.report, self.device, self.source = importer, report, device, source
        self.fixes, self.segments, self.events = [], [], []
        self.lo = self.hi = None
        self.received = time.time()

    def add(self, item) -> None:
        if isinstance(item, Fix):
            self.fixes.append(st.fix_row(self.device.id, self.device.member_id, item,
                                         self.source, self.received))
            ts = int(item.ts)
            if self.lo is None or ts < self.lo:
                self.lo = ts
            if self.hi is None or ts > self.hi:
                self.hi = ts
            if len(self.fixes) >= self.imp.batch_size:
                self.flush()
        elif isinstance(item, Bad):
            self.report.reject(item)
        else:
            # Segments and events count toward the batch too: a file of nothing else
            # would otherwise be held whole until its end.
            if isinstance(item, Segment):
                self.segments.append(segment_row(self.device.member_id, item, self.source))
            elif isinstance(item, Event):
                self.events.append(item)
            if len(self.segments) + len(self.events) >= self.imp.batch_size:
                self.flush()

    def flush(self) -> None:
        if not (self.fixes or self.segments or self.events):
            return
        with self.imp.store.transaction() as conn:
            new = st.insert_fix_rows(conn, self.fixes)
            self.report.segments += insert_segment_rows(conn, self.segments)
            for event in self.events:
                self.report.events += st.insert_event(conn, self.device.id,
                                                      self.device.member_id, event,
                                                      self.source, self.received)
            self.report.fixes += new
            self.report.duplicates += len(self.fixes) - new
            self.imp.job_progress(conn, force=False)
        self.fixes, self.segments, self.events = [], [], []
        self.imp.tick(force=False)


class Importer:
    """One import run for one member. ``progress`` receives ``Progress`` a few times a second."""

    def __init__(self, store: st.Store, member: str, *, device: str | None = None,
                 progress: Callable[[Progress], None] | None = None, batch_size: int = BATCH,
                 run_pipeline: bool = True):
        self.store = store
        self.member = accounts.get_member(store.conn, member)
        self.device_name = device
        self.progress = progress
        self.batch_size = batch_size
        self.run_pipeline = run_pipeline
        self.report = ImportReport(self.member.name)
        self._devices: dict[str, accounts.Device] = {}
        self._started = time.monotonic()
        self._last_tick = 0.0
        self._last_job = 0.0
        self._done_bytes = 0
        self._total = 0
        self._current = ("", None)       # (name, counter of the stream being read)
        self.job_id = None

    # ----- progress
    def bytes_done(self) -> int:
        counter = self._current[1]
        return self._done_bytes + (counter.count if counter is not None else 0)

    def tick(self, force: bool) -> None:
        now = time.monotonic()
        if self.progress is None or (not force and now - self._last_tick < 0.2):
            return
        self._last_tick = now
        self.progress(Progress(min(self.bytes_done(), self._total), self._total,
                               now - self._started, self._current[0],
                               sum(f.fixes for f in self.report.files)))

    def job_progress(self, conn, force: bool = True) -> None:
        # Totals walk every file's report: at most twice a second, or a 4,000-file
        # Takeout (a flush per file) turns quadratic.
        now = time.monotonic()
        if self.job_id is not None and (force or now - self._last_job >= 0.5):
            self._last_job = now
            totals = self.report.totals()
            conn.execute("UPDATE import_jobs SET bytes_done = ?, current = ?, fixes = ?, "
                         "duplicates = ?, rejected = ? WHERE id = ?",
                         (self.bytes_done(), self._current[0], totals["fixes_imported"],
                          totals["duplicates_skipped"], totals["rejected"], self.job_id))

    # ----- devices
    def device_for(self, hint: str | None, *, override: bool = True) -> accounts.Device:
        """--device if given, else the Recorder store's device name, else `import`."""
        name = (self.device_name if override else None) or hint or DEFAULT_DEVICE
        try:
            name = accounts.check_name("device", name)
        except accounts.AccountError:
            name = DEFAULT_DEVICE
        if name not in self._devices:
            conn = self.store.conn
            if conn.in_transaction:      # called while restoring rows: already writing
                self._devices[name] = self._get_or_add_device(conn, name)
            else:
                with self.store.transaction() as conn:
                    self._devices[name] = self._get_or_add_device(conn, name)
        return self._devices[name]

    def _get_or_add_device(self, conn, name: str) -> accounts.Device:
        try:
            return accounts.get_device(conn, self.member.name, name)
        except accounts.AccountError:
            # The secret is discarded: nothing logs in as an import device.
            device, _secret = accounts.add_device(conn, self.member.name, name)
            self.report.devices_created.append(name)
            return device

    # ----- the run
    def run(self, paths) -> ImportReport:
        paths = [str(p) for p in paths]
        archives = [p for p in paths if is_archive(p)]
        plain = sources.expand([p for p in paths if p not in archives])
        self._total = sum(s.size for s in plain) + sum(_size(p) for p in archives)
        self._start_job(paths)
        status = "failed"
        try:
            for path in archives:
                self._restore(path)
            for source in plain:
                self._import_source(source)
            status = "done"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self.report.elapsed = time.monotonic() - self._started
            self.tick(force=True)
            self._finish_job(status)
        if self.run_pipeline and self.report.first_ts is not None:
            self.report.pipeline = rebuild(self.store, self.member.id, self.report.first_ts,
                                           self.report.last_ts, self._pipeline_progress)
        return self.report

    def _restore(self, path: str) -> None:
        try:
            ArchiveRestore(self).run(path)
        finally:
            self._done_bytes += _size(path)

    def _import_source(self, source: sources.Source) -> None:
        report = FileReport(source.name)
        self.report.files.append(report)
        try:
            stream, counter = source.open()
        except (OSError, zipfile.BadZipFile) as exc:
            report.refused = f"cannot be opened: {exc}"
            return
        self._current = (source.name, counter)
        try:
            with stream:
                self._read_stream(source, stream, counter, report)
        finally:
            self._done_bytes += source.size
            self._current = ("", None)

    def _read_stream(self, source, stream, counter, report: FileReport) -> None:
        try:
            kind = detect.sniff(stream.peek(detect.SNIFF_BYTES)[:detect.SNIFF_BYTES])
        except NotLocationHistory as exc:
            report.refused, report.skipped = str(exc), bool(source.container)
            return
        except STREAM_ERRORS as exc:
            report.refused = f"cannot be read: {exc}"
            return
        device = self.device_for(source.device_hint)
        report.kind, report.device = kind, device.name
        writer = _Writer(self, report, device, f"import:{kind}")
        read = 0
        try:
            for item in detect.READERS[kind](stream, source.name):
                writer.add(item)
                read += 1
        except STREAM_ERRORS as exc:
            report.stopped = (f"stopped near byte {counter.count:,} of {source.size:,} after "
                              f"{read:,} records: {_first_line(exc)}")
        writer.flush()
        if writer.lo is not None:
            self.report.widen(writer.lo, writer.hi)

    def _pipeline_progress(self, *args, **_kw) -> None:
        """Forward the trip engine's progress (done, total) or a fraction, as phase 'trips'."""
        if self.progress is None or not args:
            return
        done, total = (args[0], args[1]) if len(args) > 1 and args[1] else (args[0], 1)
        self.progress(Progress(int(done), int(total), time.monotonic() - self._started,
                               "trips", 0, phase="trips"))

    # ----- the job row the web page polls
    def _start_job(self, paths) -> None:
        with self.store.transaction() as conn:
            cur = conn.execute("INSERT INTO import_jobs (member_id, started_ts, paths, "
                               "bytes_total) VALUES (?, ?, ?, ?)",
                               (self.member.id, time.time(), json.dumps(paths), self._total))
        # Set once committed: a web request waiting for the id then finds the row.
        self.job_id = cur.lastrowid

    def _finish_job(self, status: str) -> None:
        with self.store.transaction() as conn:
            self.job_progress(conn)
            conn.execute("UPDATE import_jobs SET status = ?, finished_ts = ?, report = ? "
                         "WHERE id = ?", (status, time.time(),
                                          json.dumps(self.report.as_dict()), self.job_id))


def prepare_member(store, name: str, paths) -> bool:
    """Restoring an archive into an empty box creates its member (without a password: set
    one with `selfdata member passwd`). Returns True when the member was created."""
    try:
        accounts.get_member(store.conn, name)
        return False
    except accounts.AccountError:
        if not any(is_archive(p) for p in paths):
            raise
    with store.transaction() as conn:
        accounts.add_member(conn, name, None)
    return True


def _first_line(exc: Exception) -> str:
    """yajl's messages draw an arrow on further lines: the first one says it all."""
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def rebuild(store, member_id: int, start: int, end: int, progress=None) -> str:
    """Let the trip engine recompute the imported range; say what happened."""
    pipeline.process_range(store, member_id, start, end, progress=progress)
    return "trips recomputed for the imported period"
