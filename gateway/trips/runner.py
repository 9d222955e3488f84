"""The live path: ingest commits in, trips recomputed shortly after, off the event loop.

Ingest calls `on_commit` on the event-loop thread after each committed batch; it only
notes which members got fixes and arms one timer. When the timer fires (`debounce_s` after
the first of a burst, not reset by later ones, so a phone sending every second is still
processed), the members go to a single worker thread that runs `pipeline.process_new`.
During a flood (a phone's week-long queue draining, a bench) ingest comes first: the run
waits for a moment without commits, for at most `MAX_DEFER_S`, since both share the CPU.
Ingest never waits for the engine, and the engine never runs in the ingest writer thread.
At start the worker catches up with fixes stored while the service was down (imports from
the command line, a crash). The engine (`pipeline` and `carbon`, 2 MB resident) is imported
by the first run that has fixes to compute: a box with nothing new holds none of it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from .household import configure

log = logging.getLogger(__name__)

QUIET_S = 0.5       # no commit for this long: the flood is over, or there was none
MAX_DEFER_S = 30.0  # trips are never later than this behind a continuous flood


class PipelineRunner:
    def __init__(self, store, config=None, debounce_s: float | None = None):
        self.store = store
        self.config = config
        section = getattr(config, "pipeline", None)
        self.debounce_s = debounce_s if debounce_s is not None else (
            section.debounce_s if section else 2.0)
        self.enabled = section.enabled if section else True
        # A run that only makes the stay or trip in progress longer is held back this long
        # (pipeline.Hold); a member's held fixes get a run of their own then, should no
        # new fix come to trigger one.
        self.hold_s = section.progress_every_s if section else 0.0
        self._follow_ups: dict[int, asyncio.TimerHandle] = {}
        self.runs = 0                     # batches of members processed (for tests, stats)
        self.failures = 0
        self._pending: set[int] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._inflight: set = set()
        self._last_commit = 0.0
        self._first_pending = 0.0
        # Called in the worker thread after each run (the service gives memory back then).
        self.after_run = None

    async def start(self) -> None:
        if not self.enabled:
            return
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="selfdata-pipeline")
        if self.config is not None:
            configure(self.store, self.config)
        self._submit(None)                # catch up with everything stored meanwhile

    async def stop(self) -> None:
        """Finish the run in progress (members left pending are caught up at next start)."""
        if self._executor is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()
        for handle in self._follow_ups.values():
            handle.cancel()
        self._follow_ups.clear()
        executor, self._executor = self._executor, None
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await self._loop.run_in_executor(executor, self.store.close)  # the worker's connection
        executor.shutdown(wait=True)

    def on_commit(self, committed) -> None:
        """Ingest listener, on the event loop: note the members, arm the timer, return."""
        if self._executor is None or not committed.fixes:
            return
        self.request(device.member_id for device, _ in committed.fixes)

    def request(self, member_ids) -> None:
        """Fixes of these members were stored (by ingest, or by an import's child process):
        compute them as the live path does, on the event loop."""
        if self._executor is None:
            return
        self._pending.update(member_ids)
        self._last_commit = time.monotonic()
        if self._timer is None:
            self._first_pending = self._last_commit
            self._timer = self._loop.call_later(self.debounce_s, self._fire)

    def _fire(self) -> None:
        now = time.monotonic()
        if now - self._last_commit < QUIET_S and now - self._first_pending < MAX_DEFER_S:
            self._timer = self._loop.call_later(QUIET_S, self._fire)  # still flooding
            return
        self._timer = None
        members, self._pending = self._pending, set()
        if members and self._executor is not None:
            self._submit(sorted(members))

    def _submit(self, members) -> None:
        fut = self._loop.run_in_executor(self._executor, self._work, members)
        self._inflight.add(fut)
        fut.add_done_callback(self._inflight.discard)

    def _work(self, members) -> None:
        """In the worker thread: one member's failure never stops the others'."""
        if members is None:
            members = catch_up(self.store.conn)
            if not members:
                return
        from . import pipeline
        held = []
        for member_id in members:
            try:
                pipeline.process_new(self.store, member_id, self.hold_s)
            except Exception:
                self.failures += 1
                log.exception("trip pipeline failed for member %d", member_id)
            if self.hold_s and catch_up(self.store.conn, member_id):
                held.append(member_id)
        if held and self._loop is not None:
            self._loop.call_soon_threadsafe(self._follow_up, held)
        self.runs += 1
        if self.after_run is not None:
            self.after_run()

    def _follow_up(self, members) -> None:
        """On the event loop: the held members' fixes computed again once the hold is over
        (a phone that went quiet mid-trip still gets its trip written); one at a time per
        member, the first one due being the one that writes."""
        if self._executor is None:
            return
        for member_id in members:
            if member_id not in self._follow_ups:
                self._follow_ups[member_id] = self._loop.call_later(
                    self.hold_s, self._due, member_id)

    def _due(self, member_id: int) -> None:
        del self._follow_ups[member_id]
        self.request([member_id])

    async def idle(self) -> None:
        """Wait until nothing is pending or running (tests, the demo)."""
        while self._timer is not None or self._inflight or self._pending:
            if self._inflight:
                await asyncio.gather(*list(self._inflight), return_exceptions=True)
            else:
                await asyncio.sleep(0.05)


def catch_up(conn, only: int | None = None) -> list[int]:
    """The members (or only this one) whose fixes the pipeline has not all seen (what
    `pipeline.process_new` would compute for), found without loading the engine. It errs
    on the side of a run: a table emptied and filled again (ids restarting below a member's
    cursor) counts."""
    restarted = conn.execute(
        "SELECT (SELECT max(id) FROM fixes) < (SELECT max(last_fix_id) FROM pipeline_state)"
    ).fetchone()[0]
    members = []
    for member_id, cursor in conn.execute(
            "SELECT m.id, s.last_fix_id FROM members m LEFT JOIN pipeline_state s "
            "ON s.member_id = m.id WHERE ? IS NULL OR m.id = ? ORDER BY m.id",
            (only, only)).fetchall():
        if restarted or _unseen(conn, member_id, cursor):
            members.append(member_id)
    return members


def _unseen(conn, member_id: int, cursor: int | None) -> bool:
    if cursor is None:      # never computed: any fix of theirs, through the member's index
        return conn.execute("SELECT 1 FROM fixes WHERE member_id = ? LIMIT 1",
                            (member_id,)).fetchone() is not None
    # `+member_id` keeps SQLite on the primary key: only rows past the cursor are read (a
    # member without a cursor would make that a scan of every fix, at every start).
    return conn.execute("SELECT 1 FROM fixes WHERE id > ? AND +member_id = ? LIMIT 1",
                        (cursor, member_id)).fetchone() is not None
