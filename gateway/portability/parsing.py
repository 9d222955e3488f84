"""A large file parsed in a process of its own, beside the one that stores its fixes.

Storing a Records.json on one core was parsing (ijson, the record to a ``Fix``, the
Recorder's location text and geohash of its row: about three quarters of the CPU) then
SQLite's inserts, one after the other. Here the importing process forks once per large
file (``APART_BYTES``): the child reads the stream it inherits, parses each record into a
fix and hands its fields over on a pipe, a thousand at a time, while the parent makes the
previous ones into rows (the location text, the geohash) and inserts them: the two halves
then take about as long. The parent alone writes, commits and reports, exactly as
before: the child never touches the store, so what is acknowledged, idempotent and
resumable is what it was (``importing.py``).

Memory stays bounded: the child blocks on a full pipe, which holds ``PIPE_BYTES`` (about
ten messages, so that neither half waits on each hand-over of the other), and at most one
message is being built and one read (``CHUNK`` fixes, ~0.1 MB as bytes, ~0.3 MB as
objects each side).

Fork, not a new interpreter: the child has the opened stream (a zip member inside a zip,
gzip undone) and the imported modules for free, and starts in a millisecond. It is only
done from a single-threaded process (the command line and an upload's child are; a thread
holding a lock at the fork would hold it forever in the child): otherwise the file is read
in process, to the same rows. The child dies with the parent (``PR_SET_PDEATHSIG``),
ignores Ctrl-C (the parent decides what is kept) and leaves by ``os._exit``, so it never
flushes the parent's buffers nor closes its SQLite connection.

Under an upload's limits (``child.py``: kernel limits on memory and processor time, which
Linux counts per process) no reader is forked (``can_fork``): the upload stays within them.
Nor for a zip's member: the reader's reads would move the archive's file offset, which the
parent's buffered file would not know, and the next member would be read from the wrong
place. Where a reader runs, one out of memory makes the parent raise ``MemoryError``, one
killed by a signal (the out-of-memory killer, SIGKILL) makes the parent end by the same
signal, so what watches it reads the same end as if it had parsed the file itself.
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import threading
import traceback
from multiprocessing.connection import Connection

# Smaller files are read in process: a fork costs a few milliseconds, a 4,000-file
# Takeout would feel it, and a file under 1 MiB stores in well under a second anyway.
APART_BYTES = 1 << 20
# Items a message carries: ~100 KB pickled, a few milliseconds of either side's work.
CHUNK = 1000
# The pipe's kernel buffer (Linux's F_SETPIPE_SZ; 1 MiB is the default most a user may
# ask for, /proc/sys/fs/pipe-max-size); where it cannot be set, the default 64 KiB.
PIPE_BYTES = 1 << 20
# The reader runs at a lower priority than the processes it feeds (see the module's end).
READER_NICE = 10


# Made before any child needs it: when an allocation has failed, nothing more may.
_MEMORY = pickle.dumps(("memory",))


class NoReader(OSError):
    """The reader could not be forked (a full process table, a cgroup's ``pids.max``, no
    memory for the copy): nothing of the file has been read, so it can be read in process."""


class ReaderFailed(RuntimeError):
    """The reading process failed for a reason no file explains (a bug; memory is a
    ``MemoryError``, a signal the same signal here)."""


def can_fork() -> bool:
    """A reader may be forked: a single thread, and no kernel limit on memory or processor
    time. Linux counts those per process and a forked child starts its processor time from
    zero, so under an upload's limits (``child.py``) a reader would double what the upload
    may take: there the file is read in process, within them."""
    return hasattr(os, "fork") and threading.active_count() == 1 and \
        all(resource.getrlimit(limit)[0] == resource.RLIM_INFINITY
            for limit in (resource.RLIMIT_AS, resource.RLIMIT_CPU))


class Apart:
    """``for part in Apart(items, row, errors, counter)``: ``items()`` iterated in a forked
    child, each item for which ``row(item)`` is not None sent as that row; ``part`` is a
    list of rows, or one of the other items, in the order read. When the loop ends,
    ``read`` is how many items were read, ``stopped`` the text of the ``errors`` exception
    that ended the stream (else None), and ``counter.count`` and ``budget.used`` (the
    bytes read, the decompression spent) are the child's."""

    def __init__(self, items, row, errors: tuple, counter, budget=None):
        self.items, self.row, self.errors = items, row, errors
        self.counter, self.budget = counter, budget
        self.read, self.stopped = 0, None
        self.cpu = 0.0             # the child's CPU seconds and peak RSS (kB), once reaped
        self.peak_kb = 0
        self._pid = None

    def __iter__(self):
        rfd, wfd = os.pipe()
        _widen(wfd)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(rfd)
            os.close(wfd)
            raise NoReader(exc.errno, f"no process to read the file: {exc.strerror}") from exc
        if pid == 0:
            os.close(rfd)
            _child(self, Connection(wfd, readable=False), parent)   # never returns
        os.close(wfd)
        self._pid = pid
        conn = Connection(rfd, writable=False)
        try:
            yield from self._receive(conn)
        finally:
            conn.close()
            self._reap()

    def _receive(self, conn):
        while True:
            try:
                kind, *body = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):   # OSError: it died with a message half written
                self._ended_by_signal()
                raise ReaderFailed("the process reading the file ended without a word") from None
            if kind == "parts":
                self.counter.count = body[0]
                yield from body[1]
            elif kind == "end":
                self.counter.count, self.read, self.stopped, used = body
                if self.budget is not None:
                    self.budget.used = used
                return
            elif kind == "memory":
                raise MemoryError("the process reading the file ran out of memory")
            else:
                raise ReaderFailed(f"the process reading the file failed:\n{body[0]}")

    def _ended_by_signal(self) -> None:
        """A reader killed by a signal (the kernel's processor limit, SIGXCPU; the
        out-of-memory killer): this process ends by the same one, so what watches it (an
        upload's runner) reads the same end as if it had parsed the file itself."""
        pid, self._pid = self._pid, None
        _, status, usage = os.wait4(pid, 0)
        self.cpu, self.peak_kb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        if os.WIFSIGNALED(status):
            os.kill(os.getpid(), os.WTERMSIG(status))

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        if pid is None:
            return
        try:       # done: it is leaving; stopped early (Ctrl-C, an error): it must go now
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, _, usage = os.wait4(pid, 0)
        self.cpu, self.peak_kb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _widen(fd: int) -> None:
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (OSError, ImportError):
        pass


def _child(apart: Apart, conn: Connection, parent: int) -> None:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)
        _lower_priority()
        _send_all(apart, conn)
        code = 0
    except MemoryError:
        try:
            conn.send_bytes(_MEMORY)
        except BaseException:
            pass
    except BaseException:
        try:
            conn.send_bytes(pickle.dumps(("error", traceback.format_exc()[-4000:])))
        except BaseException:
            pass
    finally:
        os._exit(code)


def _send_all(apart: Apart, conn: Connection) -> None:
    row, rows, parts, n, read, stopped = apart.row, [], [], 0, 0, None
    counter, send = apart.counter, conn.send_bytes
    try:
        for item in apart.items():
            read += 1
            made = row(item)
            if made is not None:
                rows.append(made)
            else:
                if rows:
                    parts.append(rows)
                    rows = []
                parts.append(item)
            n += 1
            if n >= CHUNK:
                if rows:
                    parts.append(rows)
                    rows = []
                send(pickle.dumps(("parts", counter.count, parts), pickle.HIGHEST_PROTOCOL))
                parts, n = [], 0
    except apart.errors as exc:
        stopped = exc
    if rows:
        parts.append(rows)
    if parts:
        send(pickle.dumps(("parts", counter.count, parts), pickle.HIGHEST_PROTOCOL))
    used = apart.budget.used if apart.budget is not None else None
    send(pickle.dumps(("end", counter.count, read, _text(stopped), used)))


def _text(exc) -> str | None:
    """The exception as the parent's report needs it (its type when it says nothing)."""
    if exc is None:
        return None
    return str(exc) if str(exc).strip() else type(exc).__name__


def _die_with(parent: int) -> None:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _lower_priority() -> None:
    """Run niced: the import's trip process, which runs beside the storing (trips/follow.py)
    and is its longest chain of work, then gets a core of its own where cores are short."""
    try:
        os.nice(READER_NICE)
    except OSError:
        pass
