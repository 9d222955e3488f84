"""An import's trip phase in a second process, beside the storing of its fixes.

`selfdata import` of years of history stores the fixes (parsing, the Recorder's location
text, SQLite's inserts: one core busy) and then ran the trip engine over them (another
long pass on the same core). The Pi Zero 2 W has four cores: here the trip engine runs in
a child process (``python -m gateway.trips.follow DB MEMBER``) while the import is still
storing, reading back from SQLite each month of fixes once every fix before that month's
end is committed (``pipeline.follow_import``). The parent tells it, on its stdin, how far
the committed fixes reach after each batch (``hw <ts>``) and when the import ended
(``end``).

Why the result is the one the sequential phase gives: the child runs the same
``_recompute`` over the same months (the grid starts at the member's first fix, waited
for until no later batch may hold an earlier one), each month read whole from the store,
written in the same order; so the
same stays, trips and legs with the same ids. That holds while the files come in time
order, which the parent checks batch by batch, with a slack of two days (it promises the
child every fix before the latest committed one less ``SLACK_S``): a batch reaching back
before what was promised, an archive among the files, a member with trips
already computed, or a child that fails, and the parent falls back to the sequential
phase after storing (``finish`` returns False), which rewrites by difference whatever the
child wrote.

A kill part-way is safe: the fixes are the truth. The child dies with the importing
process (``PR_SET_PDEATHSIG``: an open transaction is rolled back), commits a month at a
time like the sequential phase, and saves the member's pipeline state only at its end; an
import stopped before (the parent died, or closed the child's stdin without ``end``)
leaves no state, so the next run of the pipeline rebuilds the member from their fixes.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# How long a stopped child may take to finish the month it is writing.
STOP_WAIT_S = 60
STOPPED_EXIT = 2      # the child's status when its stdin closed without ``end``
# How long either process waits for the other's transaction (a month of trips written on a
# slow card), as an upload's import child waits for the service.
BUSY_TIMEOUT_MS = 120_000
# Files are in time order but for small steps back (records of two sources interleaved,
# a generator's overlapping outings): the child is told that every fix before the latest
# committed one less this is stored, and only a fix before what it was told is disorder.
SLACK_S = 2 * 86400


class Follower:
    """The parent's side: started on the import's first committed fixes."""

    def __init__(self, db_path, member_id: int):
        self.db_path, self.member_id = str(db_path), member_id
        self.proc: subprocess.Popen | None = None
        self.failed = False       # out of order, or the child is gone: the sequential phase
        self.top = None           # the latest ts of the committed fixes
        self.claimed = None       # what the child was told: every fix before it is committed

    @property
    def running(self) -> bool:
        return self.proc is not None and not self.failed

    def committed(self, lo: int, hi: int) -> None:
        """A batch of fixes with ts in [lo, hi] is committed."""
        if self.failed:
            return
        if self.claimed is not None and lo < self.claimed:
            log.info("import out of time order (a fix at %d after fixes up to %d were "
                     "promised): trips after storing", lo, self.claimed)
            self.stop()
            return
        self.top = hi if self.top is None else max(self.top, hi)
        if self.proc is None:
            self.proc = _start(self.db_path, self.member_id)
        claim = self.top - SLACK_S
        if self.claimed is None or claim > self.claimed:
            self.claimed = claim
            self._say(f"hw {claim}\n")

    def _say(self, line: str) -> None:
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            log.warning("the import's trip process is gone: trips after storing")
            self.stop()

    def stop(self) -> None:
        """Give up following: the child stops before its next month (stdin closed)."""
        self.failed = True
        if self.proc is not None:
            _close(self.proc.stdin)
            try:
                self.proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def finish(self, progress=None) -> bool:
        """The import ended: let the child finish and wait for it. True when it computed
        the trips; False when the caller must run the sequential phase."""
        if not self.running:
            self.stop()
            return False
        self._say("end\n")
        _close(self.proc.stdin)
        for line in self.proc.stdout:
            if line.startswith("progress ") and progress is not None:
                done, total = line.split()[1:3]
                progress(int(done), int(total))
        code = self.proc.wait()
        if code != 0:
            log.warning("the import's trip process ended with status %d: trips after storing",
                        code)
            self.failed = True
            return False
        return True


def _start(db_path: str, member_id: int) -> subprocess.Popen:
    # The child imports this package from where the parent found it.
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen([sys.executable, "-m", "gateway.trips.follow", db_path,
                             str(member_id), str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)


def _die_with(parent: int) -> None:
    """SIGKILL when the importing process dies, even by SIGKILL (its open transaction, if
    any, is rolled back), and exit now if it already has."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(STOPPED_EXIT)


def _close(stream) -> None:
    try:
        stream.close()
    except (BrokenPipeError, OSError):
        pass


class Stopped(Exception):
    """The parent closed the feed without ``end``."""


class Feed:
    """The child's side of the protocol: how far the committed fixes reach."""

    def __init__(self, stream):
        self.stream, self.reach, self.ended = stream, None, False
        # Called once the import ended (every one of its fixes committed), before the last
        # months are read: what it returns is kept in ``at_end``.
        self.on_end, self.at_end = None, None

    def reached(self, ts: int) -> bool:
        """Wait until every fix before ts is committed: True; False once the import ended
        (every fix is committed then)."""
        while not self.ended and (self.reach is None or self.reach < ts):
            line = self.stream.readline()
            if not line:
                raise Stopped
            if line == "end\n":
                self.ended = True
                if self.on_end is not None:
                    self.at_end = self.on_end()
            else:
                self.reach = int(line.split()[1])
        return not self.ended


def main(argv=None) -> int:
    from ..store import Store
    from . import pipeline
    db, member, parent = (argv if argv is not None else sys.argv[1:])[:3]
    _die_with(int(parent))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    feed = Feed(sys.stdin)

    def progress(done: int, total: int) -> None:
        # Only once storing ended (the parent reads these then, and the total is known).
        if feed.ended:
            print(f"progress {done} {max(total, done)}", flush=True)

    store = Store(db)          # migrated by the parent
    store.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        result = pipeline.follow_import(store, int(member), feed, progress)
    except Stopped:
        return STOPPED_EXIT
    except KeyboardInterrupt:       # Ctrl-C reaches the whole process group
        return 130
    finally:
        store.close()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
