"""Group commit: every receiver's writes go through one task, one transaction per batch.

A receiver awaits ``submit(...)``; it returns only once the data is committed, and only
then does the receiver acknowledge (HTTP 200, MQTT PUBACK). Many small submissions share
one transaction, which is what makes thousands of fixes a second affordable on an SD card.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from carbon.fix import Fix

from .. import accounts
from .. import store as st
from ..accounts import Device
from ..model import Event, Rejection
from .quota import DailyBytes, Limits, Notes, RateQuota, raw_note

log = logging.getLogger(__name__)


# How fresh a device's last_seen_ts is kept, seconds: "last seen" to within 5 minutes.
SEEN_EVERY_S = 300.0


@dataclass(slots=True)
class Submission:
    source: str
    device: Device | None = None
    fixes: list[Fix] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # Beside ``fixes``, index for index: each one's raw JSON as the parser decoded it (or
    # None), so the writer does not decode it again for the stored location object.
    decoded: list[dict | None] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    stored: int = 0
    duplicates: int = 0
    events: int = 0
    rejected: int = 0
    notes: int = 0
    refusal: str | None = None  # why a quota refused the whole message (the HTTP header)


@dataclass(slots=True)
class Committed:
    """What one committed batch added, for live listeners (websocket, pipeline)."""

    fixes: list[tuple[Device, Fix]]
    events: list[tuple[Device, Event]]


class Ingest:
    def __init__(self, store: st.Store, *, batch_max: int = 2000, batch_wait_ms: float = 2.0,
                 keep_rejections: int = 10000, limits: Limits | None = None):
        self.store = store
        self.limits = limits or Limits()
        self._rates = RateQuota(self.limits)                 # the event loop's
        self._rate_notes = Notes()
        self._daily = DailyBytes(self.limits.device_daily_bytes)  # the writer thread's
        self._daily_notes = Notes()
        self.batch_max = batch_max
        self.batch_wait = batch_wait_ms / 1000
        self.keep_rejections = keep_rejections
        self.counts: Counter = Counter()
        self.listeners: list[Callable[[Committed], None]] = []
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="selfdata-writer")
        self._batches = 0
        self._marked: dict[int, float] = {}   # device id -> last_seen_ts last written

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="ingest-writer")

    async def stop(self) -> None:
        """Commit everything already submitted, then stop."""
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None
        self._executor.shutdown(wait=True)

    async def submit(self, sub: Submission) -> Outcome:
        """Commit what the submission holds, within the device's quotas; returns after the
        commit (a refusal by quota is an outcome too: the caller still answers)."""
        return (await self.submit_many([sub]))[0]

    async def submit_many(self, subs: list[Submission]) -> list[Outcome]:
        """Several submissions in one trip to the writer, each as ``submit`` would take it:
        their outcomes in order, returned once all are committed (in one transaction: the
        writer never splits them). MQTT hands over what paho read since the loop last
        looked: a future per message and its wake-up cost more than the message's own
        parsing."""
        if self._task is None:
            raise RuntimeError("ingest is not running")
        outcomes: list[Outcome | None] = []
        queued: list[Submission] = []
        answers: list[int | None] = []   # for each queued one, whose outcome it is
        for sub in subs:
            if sub.device is not None and not self._rates.admit(sub.device.id, _items(sub)):
                outcome, note = self._over_rate(sub)
                if note is not None:   # the refusal's record: its outcome answers nobody
                    queued.append(note)
                    answers.append(None)
                outcomes.append(outcome)
                continue
            self._cap_raw(sub)
            answers.append(len(outcomes))
            queued.append(sub)
            outcomes.append(None)
        if queued:
            fut = asyncio.get_running_loop().create_future()
            self._queue.put_nowait((queued, fut))
            for index, outcome in zip(answers, await fut):
                if index is not None:
                    outcomes[index] = outcome
        return outcomes

    async def run_write(self, fn: Callable, *args):
        """Run other writing work (``fn(*args)``, which opens its own transaction) in the
        writer thread, between two batches: one writer at a time, never a busy wait."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _over_rate(self, sub: Submission) -> tuple[Outcome, Submission | None]:
        """The refusal, and the rejection to store with it (at most one a minute)."""
        refused, reason, device = max(1, _items(sub)), self.limits.rate_reason, sub.device
        self.counts[f"{sub.source}.over_quota"] += refused
        note = None
        if self._rate_notes.worth_storing(device.id, "rate", device.username):
            note = Submission(sub.source, device, rejections=[_quota_rejection(sub, reason)])
        return Outcome(rejected=refused, refusal=reason), note

    def _cap_raw(self, sub: Submission) -> None:
        """The raw copy kept beside a fix is for exports and debugging: past the limit the
        fix is kept without it (one note per message)."""
        limit, dropped = self.limits.max_raw_bytes, None
        for fix in sub.fixes if sub.device is not None else ():
            if fix.raw and len(fix.raw) * 4 > limit and len(fix.raw.encode()) > limit:
                dropped = dropped or fix.raw
                fix.raw = None
        if dropped is not None:
            size = len(dropped.encode())
            sub.rejections.append(raw_note(sub.source, sub.device, size, limit,
                                           dropped[:200].encode()))

    async def reject(self, rejection: Rejection, device: Device | None = None) -> None:
        await self.submit(Submission(rejection.source, device, rejections=[rejection]))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            item = await self._queue.get()
            if item is None:
                break
            batch, size = [item], len(item[0])
            deadline = loop.time() + self.batch_wait
            while size < self.batch_max:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
                size += len(item[0])
            await self._commit(loop, batch)

    async def _commit(self, loop, batch) -> None:
        subs = [s for subs, _ in batch for s in subs]
        try:
            outcomes, committed = await loop.run_in_executor(self._executor, self._write, subs)
        except Exception as exc:  # the database failed: nobody gets an acknowledgement
            log.exception("ingest: batch of %d submissions not committed", len(subs))
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        start = 0
        for item_subs, fut in batch:
            if not fut.done():
                fut.set_result(outcomes[start:start + len(item_subs)])
            start += len(item_subs)
        for listener in self.listeners:
            try:
                listener(committed)
            except Exception:
                log.exception("ingest listener %r failed", listener)

    def _write(self, subs: list[Submission]):
        """Runs in the writer thread: one transaction for the whole batch."""
        now = time.time()
        conn = self.store.conn
        outcomes, committed = [], Committed([], [])
        seen: dict[int, float] = {}
        with self.store.transaction():
            # A device removed a moment ago may still be in a receiver's cache: its data is
            # refused here rather than failing the whole batch on a foreign key.
            known = accounts.device_ids(conn)
            fixes = _BatchFixes()
            for sub in subs:
                if sub.device is not None and sub.device.id not in known:
                    sub = _device_gone(sub)
                outcome = self._write_one(conn, sub, now, committed, fixes)
                if sub.device is not None and (sub.fixes or sub.events):
                    seen[sub.device.id] = now
                outcomes.append((sub, outcome))
            self._insert_fixes(conn, fixes, committed)
            # Rewriting the devices row (and, by trigger, accounts_version) at every fix adds pages
            # to every commit: ~12 MB/day of card writes for one phone (bench/wear.py).
            seen = {d: t for d, t in seen.items() if t - self._marked.get(d, -1e18) >= SEEN_EVERY_S}
            if seen:
                accounts.mark_seen(conn, seen)
                self._marked.update(seen)
            self._batches += 1
            if self._batches % 200 == 0:
                st.prune_rejections(conn, self.keep_rejections)
        # Counted once committed: a count says what the store holds (readers of the counts,
        # `stats` and the tests among them, then find the rows there).
        for sub, outcome in outcomes:
            self._count(sub, outcome)
        return [outcome for _, outcome in outcomes], committed

    def _write_one(self, conn, sub: Submission, now: float, committed: Committed,
                   fixes: "_BatchFixes") -> Outcome:
        """Events and rejections written; fixes added to the batch's one insert, counted as
        stored (and against the daily quota) until ``_insert_fixes`` finds a repeat."""
        device = sub.device
        if device is not None and self._daily.full(device.id):
            return self._over_daily(conn, sub, now)
        outcome, written = Outcome(), 0
        decoded = sub.decoded if len(sub.decoded) == len(sub.fixes) else [None] * len(sub.fixes)
        for fix, payload in zip(sub.fixes, decoded) if device is not None else ():
            fixes.add(st.fix_row(device, fix, sub.source, now, payload), device, fix, outcome)
            outcome.stored += 1
            written += len(fix.raw or "")
        for event in sub.events if device is not None else ():
            if st.insert_event(conn, device.id, device.member_id, event, sub.source, now):
                outcome.events += 1
                written += len(event.payload)
                committed.events.append((device, event))
                if event.type == "card":
                    _store_card(conn, device, event)
        for rejection in sub.rejections:
            st.insert_rejection(conn, rejection, device.member_id if device else None, now)
            written += len(rejection.reason) + min(len(rejection.payload), 200)
            if rejection.partial:
                outcome.notes += 1
            else:
                outcome.rejected += 1
        if device is not None:
            rows = outcome.stored + outcome.events + len(sub.rejections)
            self._daily.add(device.id, rows, written)
        return outcome

    def _insert_fixes(self, conn, fixes: "_BatchFixes", committed: Committed) -> None:
        """The batch's fixes in one statement: a statement per fix released and took back the
        GIL each time, which the event loop and paho's thread then waited for. A repeat
        (same device and time, a phone resending what it was not told was stored) is rare:
        when the count says there was one, the statement is undone and the fixes inserted
        one by one, to know which."""
        if not fixes.rows:
            return
        conn.execute("SAVEPOINT batch_fixes")
        if st.insert_fix_rows(conn, fixes.rows) == len(fixes.rows):
            conn.execute("RELEASE batch_fixes")
            committed.fixes.extend(fixes.stored)
            return
        conn.execute("ROLLBACK TO batch_fixes")
        conn.execute("RELEASE batch_fixes")
        for row, (device, fix), outcome in zip(fixes.rows, fixes.stored, fixes.outcomes):
            if st.insert_fix_rows(conn, [row]):
                committed.fixes.append((device, fix))
            else:
                outcome.stored -= 1
                outcome.duplicates += 1
                self._daily.add(device.id, -1, -len(fix.raw or ""))

    def _over_daily(self, conn, sub: Submission, now: float) -> Outcome:
        device, reason = sub.device, self.limits.daily_reason
        refused = max(1, _items(sub))
        self.counts[f"{sub.source}.over_quota"] += refused
        if self._daily_notes.worth_storing(device.id, "daily", device.username):
            st.insert_rejection(conn, _quota_rejection(sub, reason), device.member_id, now)
        return Outcome(rejected=refused, refusal=reason)

    def _count(self, sub: Submission, outcome: Outcome) -> None:
        c = self.counts
        c[f"{sub.source}.stored"] += outcome.stored
        c[f"{sub.source}.duplicates"] += outcome.duplicates
        c[f"{sub.source}.events"] += outcome.events
        c[f"{sub.source}.rejected"] += outcome.rejected
        c[f"{sub.source}.notes"] += outcome.notes
        if outcome.refusal is not None:
            return  # refused by quota: counted, and noted at most once a minute
        for rejection in sub.rejections:
            who = sub.device.username if sub.device else "unknown device"
            log.warning("%s source=%s device=%s where=%s reason=%s",
                        "partly kept" if rejection.partial else "rejected", sub.source, who,
                        rejection.where or "-", rejection.reason)


@dataclass(slots=True)
class _BatchFixes:
    """The fix rows of one batch, each with its device, fix and the outcome it counts in."""

    rows: list[tuple] = field(default_factory=list)
    stored: list[tuple[Device, Fix]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, row: tuple, device: Device, fix: Fix, outcome: Outcome) -> None:
        self.rows.append(row)
        self.stored.append((device, fix))
        self.outcomes.append(outcome)


def _items(sub: Submission) -> int:
    return len(sub.fixes) + len(sub.events)


def _quota_rejection(sub: Submission, reason: str) -> Rejection:
    """The stored record of a refusal by quota: the reason and the message's head."""
    if sub.fixes:
        head = (sub.fixes[0].raw or "")[:200].encode()
    elif sub.events:
        head = sub.events[0].payload[:200].encode()
    else:
        head = sub.rejections[0].payload[:200] if sub.rejections else b""
    return Rejection(sub.source, reason, head, sub.device.id, where=sub.device.topic)


def _device_gone(sub: Submission) -> Submission:
    reason = f"device {sub.device.username} was removed"
    return Submission(sub.source, None, rejections=[
        Rejection(sub.source, reason, (f.raw or "").encode()[:200]) for f in sub.fixes[:1]]
        + [Rejection(sub.source, reason, e.payload.encode()[:200]) for e in sub.events[:1]]
        + sub.rejections)


def _store_card(conn, device: Device, event: Event) -> None:
    """Keep the latest card on the device, so friends' replies can show names and faces."""
    try:
        card = json.loads(event.payload)
    except ValueError:
        return
    accounts.set_card(conn, device.id, card.get("name"), card.get("face"))
