"""Import location histories: expand paths, sniff each stream, read it, write in batches.
A selfdata archive among the paths is restored (``restore.py``).

Write policy: fixes are committed in batches (at most ``batch_size`` rows, one transaction
each, fewer when a transaction takes longer than ``transaction_ms``: the phones' ingest
waits for the write lock while it is held).
A failure part-way (a truncated file, a crash, Ctrl-C) keeps the batches already committed
and never alters anything stored before: rows are only ever added with INSERT OR IGNORE on
(device, ts), so running the same import again completes it without duplicates. One
transaction per file would instead hold the write lock for minutes on a Pi and block the
phones' live ingest, and a half-imported file is no worse than a half-uploaded one.
"""
from __future__ import annotations

import csv
import logging
import operator
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
from ..trips import follow as follow_mod
from ..trips import pipeline
from . import jobs, parsing
from .reports import FileReport, ImportReport, Progress
from .restore import ArchiveRestore
from .segments import insert_segment_rows, segment_row

log = logging.getLogger(__name__)
BATCH = 5000
_TS = operator.itemgetter(st.FIX_COLUMNS.index("ts"))
# How long one import transaction may hold the write lock while phones' fixes wait for it:
# a phone's post then waits at most about this long, plus SQLite's busy-wait step.
TRANSACTION_MS = 100
MIN_BATCH = 100
# A small file's last rows wait this long at most for the next files' (a Takeout of
# thousands of small files then commits a few times a second, not once per file: every
# commit is a moment the phones' ingest waits).
WAIT_S = 0.5
DEFAULT_DEVICE = "import"
TRIPS_DONE = "trips recomputed for the imported period"
# What a damaged or truncated stream raises somewhere below a reader.
STREAM_ERRORS = (ijson.JSONError, ET.ParseError, EOFError, zlib.error, zipfile.BadZipFile,
                 csv.Error, UnicodeDecodeError, OSError)


class _Writer:
    """Collects one file's rows until the importer commits them (``Importer.commit``)."""

    def __init__(self, importer: "Importer", report: FileReport, device: accounts.Device,
                 source: str):
        self.imp, self.report, self.device, self.source = importer, report, device, source
        self.fixes, self.segments, self.events = [], [], []
        self.lo = self.hi = None
        self.batch_lo = self.batch_hi = None     # of the fixes not committed yet
        self._spanned = 0                        # rows of ``fixes`` in those spans
        self.received = time.time()

    def add(self, item) -> None:
        if isinstance(item, Fix):
            self.fixes.append(st.fix_row(self.device, item, self.source, self.received))
            if len(self.fixes) >= self.imp.batch_size:
                self.imp.commit([self])
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
                self.imp.commit([self])

    def add_rows(self, rows: list) -> None:
        """Fix rows made elsewhere (``parsing.Apart``), committed as ``add`` would."""
        start = 0
        while start < len(rows):
            take = max(1, self.imp.batch_size - len(self.fixes))
            self.fixes.extend(rows[start:start + take])
            start += take
            if len(self.fixes) >= self.imp.batch_size:
                self.imp.commit([self])

    def span(self) -> None:
        """Fold the times of the rows collected since the last call into the batch's span
        and the file's (once a batch, at C speed, rather than four comparisons a fix)."""
        rows = self.fixes[self._spanned:] if self._spanned else self.fixes
        self._spanned = len(self.fixes)
        if not rows:
            return
        times = list(map(_TS, rows))
        lo, hi = min(times), max(times)
        self.batch_lo = lo if self.batch_lo is None else min(lo, self.batch_lo)
        self.batch_hi = hi if self.batch_hi is None else max(hi, self.batch_hi)
        self.lo = lo if self.lo is None else min(lo, self.lo)
        self.hi = hi if self.hi is None else max(hi, self.hi)

    def pending(self) -> int:
        return len(self.fixes) + len(self.segments) + len(self.events)

    def write(self, conn) -> None:
        """Insert the rows collected, in the caller's transaction, and count them."""
        new = st.insert_fix_rows(conn, self.fixes)
        self.report.segments += insert_segment_rows(conn, self.segments)
        for event in self.events:
            self.report.events += st.insert_event(conn, self.device.id, self.device.member_id,
                                                  event, self.source, self.received)
        self.report.fixes += new
        self.report.duplicates += len(self.fixes) - new
        self.fixes, self.segments, self.events = [], [], []
        self.batch_lo = self.batch_hi = None
        self._spanned = 0


class Importer:
    """One import run for one member. ``progress`` receives ``Progress`` a few times a second."""

    def __init__(self, store: st.Store, member: str, *, device: str | None = None,
                 progress: Callable[[Progress], None] | None = None, batch_size: int = BATCH,
                 run_pipeline: bool = True, job_id: int | None = None,
                 transaction_ms: float = TRANSACTION_MS, follow: bool = True,
                 apart_bytes: int = parsing.APART_BYTES):
        self.store = store
        self.member = accounts.get_member(store.conn, member)
        self.device_name = device
        self.progress = progress
        self.batch_size = self.max_batch = batch_size
        self.transaction_s = transaction_ms / 1000
        self.run_pipeline = run_pipeline
        # The trip phase beside the storing, in a second process (trips/follow.py).
        self.follow = follow
        self._follower: follow_mod.Follower | None = None
        # Files at least this large are parsed in a process of their own (parsing.py).
        self.apart_bytes = apart_bytes
        self.files_apart = 0
        self.apart_cpu, self.apart_kb = 0.0, 0     # their CPU seconds, peak RSS (benches)
        self._busy_ms = 0                # the connection's busy timeout while following
        self.stored_cpu = None
        self.report = ImportReport(self.member.name)
        self._devices: dict[str, accounts.Device] = {}
        self._started = time.monotonic()
        self._last_tick = 0.0
        self._last_job = 0.0
        self._done_bytes = 0
        self._total = 0
        self._current = ("", None)       # (name, counter of the stream being read)
        self._waiting: list[_Writer] = []  # files read whose last rows are not committed
        self._waiting_since = 0.0
        self.job_id = job_id             # given: a job row the service made (an upload)
        self._own_job = job_id is None
        self.finishing = None            # called with the connection that ends the job

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
            jobs.progress(conn, self.job_id, self.bytes_done(), self._current[0],
                          self.report.totals())

    # ----- writing
    def commit(self, writers) -> None:
        """One transaction for these files' collected rows."""
        writers = [w for w in writers if w.pending()]
        if not writers:
            return
        for writer in writers:
            writer.span()
        spans = [(w.batch_lo, w.batch_hi) for w in writers if w.batch_lo is not None]
        with self.store.transaction() as conn:
            started = time.monotonic()      # once the lock is ours: what phones wait for
            for writer in writers:
                writer.write(conn)
            self.job_progress(conn, force=False)
        self.adapt_batch(time.monotonic() - started)
        if self._follower is not None and spans:
            self._follower.committed(min(s[0] for s in spans), max(s[1] for s in spans))
        self.tick(force=False)

    def file_done(self, writer: _Writer) -> None:
        """A file is read: its last rows are committed with the next files', once they make
        a batch or have waited ``WAIT_S``."""
        if writer.pending():
            if not self._waiting:
                self._waiting_since = time.monotonic()
            self._waiting.append(writer)
        if (sum(w.pending() for w in self._waiting) >= self.batch_size
                or time.monotonic() - self._waiting_since >= WAIT_S):
            self.commit_waiting()

    def commit_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        self.commit(waiting)

    def adapt_batch(self, took_s: float) -> None:
        """Halve the batch when a transaction held the lock too long (a slow card, a busy
        box), grow it back while they are quick: the lock is held about ``transaction_ms``
        at most, whatever the machine."""
        if took_s > self.transaction_s:
            self.batch_size = max(MIN_BATCH, self.batch_size // 2)
        elif took_s < self.transaction_s / 4:
            self.batch_size = min(self.max_batch, self.batch_size * 2)

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
            # Nothing logs in as a device made for imported history.
            device = accounts.add_history_device(conn, self.member.name, name)
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
        # The batches are committed without an fsync each (synchronous NORMAL: still atomic
        # and in order, a crash of this process loses none of them); the job's last
        # transaction is committed with FULL again, whose fsync of the WAL puts every batch
        # before it on the card. An import is acknowledged when it ends: a power cut before
        # that may lose its last batches, which running it again completes (rows are only
        # added, never duplicated). On an SD card that spares one fsync per batch.
        _synchronous(self.store.conn, "NORMAL")
        self._start_following(archives)
        try:
            for path in archives:
                self._restore(path)
            for source in plain:
                self._import_source(source)
            self.commit_waiting()
            status = "done"
        except KeyboardInterrupt:
            status = "interrupted"
            self._commit_read_files()
            raise
        finally:
            self.report.elapsed = time.monotonic() - self._started
            self.stored_cpu = time.process_time()      # where the storing ended (benches)
            self.tick(force=True)
            _synchronous(self.store.conn, "FULL")
            if status != "done":
                self._end_following(False)      # it leaves no state: the next run rebuilds
            self._finish_job(status)
        if self.run_pipeline:
            self._trip_phase()
        return self.report

    def _start_following(self, archives) -> None:
        """The trip phase beside the storing (trips/follow.py), where it can be."""
        conn = self.store.conn
        if not (self.run_pipeline and self.follow and not archives and self.store.path.is_file()
                and pipeline.can_follow(conn, self.member.id)):
            return
        self._follower = follow_mod.Follower(self.store.path, self.member.id)
        # The trip process holds the write lock for a month's rows at a time (as the phase
        # after storing did): the batches wait for it as an upload's child does.
        self._busy_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout = {max(self._busy_ms, follow_mod.BUSY_TIMEOUT_MS)}")

    def _end_following(self, finish: bool) -> bool:
        """Let the trip process finish (True when it computed the trips), or stop it."""
        follower, self._follower = self._follower, None
        if follower is None:
            return False
        done = follower.finish(self._pipeline_progress) if finish else follower.stop()
        self.store.conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        return bool(done)

    def _trip_phase(self) -> None:
        if self._end_following(True):
            self.report.pipeline = TRIPS_DONE
        elif self.report.first_ts is not None:
            self.report.pipeline = rebuild(self.store, self.member.id, self.report.first_ts,
                                           self.report.last_ts, self._pipeline_progress)

    def _commit_read_files(self) -> None:
        """Ctrl-C: the files read to their end are kept, as if each had been committed."""
        try:
            self.commit_waiting()
        except Exception:
            log.exception("the last files read could not be committed")

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
        items = detect.READERS[kind]
        # a zip's member (it shares the archive's budget) is read here: see parsing.py
        if source.size >= self.apart_bytes and source.budget is None and parsing.can_fork():
            try:
                read, stopped = self._read_apart(writer, kind, source, stream, counter)
            except parsing.NoReader as exc:     # before the first byte: the same rows here
                log.warning("import: %s: %s; reading it in this process", source.name, exc)
                read, stopped = self._read_here(writer, items, source, stream)
        else:
            read, stopped = self._read_here(writer, items, source, stream)
        if stopped is not None:
            report.stopped = (f"stopped near byte {counter.count:,} of {source.size:,} after "
                              f"{read:,} records: {_first_line(stopped)}")
        writer.span()
        self.file_done(writer)
        if writer.lo is not None:
            self.report.widen(writer.lo, writer.hi)

    def _read_here(self, writer: _Writer, items, source, stream):
        """(records read, the error that stopped the stream or None), read in process."""
        read = 0
        try:
            for item in items(stream, source.name):
                writer.add(item)
                read += 1
        except STREAM_ERRORS as exc:
            return read, exc
        return read, None

    def _read_apart(self, writer: _Writer, kind: str, source, stream, counter):
        """The same, parsed and made into rows in a forked process (``parsing.py``) while
        this one inserts them."""
        device, tag, received, row = writer.device, writer.source, writer.received, st.fields_row

        if kind in detect.FIELD_READERS:      # it yields the fields already
            items, fields = detect.FIELD_READERS[kind], _given_fields
        else:
            items, fields = detect.READERS[kind], _fields_of
        apart = parsing.Apart(lambda: items(stream, source.name), fields, STREAM_ERRORS,
                              counter, source.budget)
        for part in apart:
            if part.__class__ is list:
                # The rows here (location text, geohash): the two halves then take about
                # as long (16-17 s of CPU each for a million Records.json records, at load 3).
                writer.add_rows([row(device, f, tag, received) for f in part])
            else:
                writer.add(part)
        self.files_apart += 1
        self.apart_cpu += apart.cpu
        self.apart_kb = max(self.apart_kb, apart.peak_kb)
        return apart.read, apart.stopped

    def _pipeline_progress(self, *args, **_kw) -> None:
        """Forward the trip engine's progress (done, total) or a fraction, as phase 'trips'."""
        if self.progress is None or not args:
            return
        done, total = (args[0], args[1]) if len(args) > 1 and args[1] else (args[0], 1)
        self.progress(Progress(int(done), int(total), time.monotonic() - self._started,
                               "trips", 0, phase="trips"))

    # ----- the job row the web page polls
    def _start_job(self, paths) -> None:
        if not self._own_job:
            return
        with self.store.transaction() as conn:
            job_id = jobs.create(conn, self.member.id, paths, self._total, runner="cli",
                                 pid=os.getpid())
        # Set once committed: a web request waiting for the id then finds the row.
        self.job_id = job_id

    def _finish_job(self, status: str) -> None:
        note = jobs.INTERRUPTED if status == "interrupted" else None
        with self.store.transaction() as conn:
            self.job_progress(conn)
            if self.finishing is not None:
                self.finishing(conn)
            if self._own_job or status == "done":
                jobs.finish(conn, self.job_id, status, self.report.as_dict(), note)
            else:
                jobs.keep_report(conn, self.job_id, self.report.as_dict())


def _fields_of(item):
    """In the parsing process: a fix as its fields (a plain tuple), else None."""
    return st.fields(item) if item.__class__ is Fix else None


def _given_fields(item):
    """The same, for a reader that yields the fields already (``detect.FIELD_READERS``)."""
    return item if item.__class__ is tuple else None


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


def _synchronous(conn, level: str) -> None:
    """SQLite refuses to change it inside a transaction (never the case between batches)."""
    if not conn.in_transaction:
        conn.execute(f"PRAGMA synchronous = {level}")


def _first_line(exc: Exception | str) -> str:
    """yajl's messages draw an arrow on further lines: the first one says it all (a text:
    the reading process's ``str`` of the exception, or its type when that was empty)."""
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
    return TRIPS_DONE
