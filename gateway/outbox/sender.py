"""Sending: one pass takes the oldest waiting message of each link, in order, and records
what the aggregator answered.

Crash safety: the attempt is committed before the request goes (so a crash counts it and
backs off), and the receipt with the message's new state after it, in one transaction. A
crash in between leaves the message waiting with the very bytes that went; the next pass
sends them again and the city answers with the receipt it gave the first time (a replay).

One pass at a time per box (a file lock in the data dir): the service, `selfdata link send`
and a member leaving never send for the same link at once, so a member who stops is sure
nothing of theirs is in flight once `leave` returns.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
from dataclasses import dataclass

from carbon import summary_wire as wire

from . import http, keys, links

log = logging.getLogger(__name__)

LOCK_FILE = "outbox.lock"
PATHS = {"summary": "/summaries", "delete": "/delete", "revoke": "/revoke"}
# Answers that mean "not now" rather than "never": storage down, the city's clock behind ours.
RETRY_CODES = {"unavailable", "month_not_over"}
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@contextlib.asynccontextmanager
async def send_lock(data_dir):
    """The box's one sending pass at a time, across processes (the service, the CLI)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a+") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def backoff(attempts: int, section, rng) -> float:
    """Exponential from backoff_min_s up to backoff_max_s, drawn in [half, all] of it so that
    messages that failed together do not come back together."""
    base = min(section.backoff_max_s, section.backoff_min_s * 2 ** max(0, attempts - 1))
    return rng.uniform(base / 2, base)


@dataclass
class Answer:
    """What became of one attempt: done (with the receipt), retry, refused, conflict, revoked."""
    outcome: str
    reason: str = ""
    receipt: dict | None = None
    status: str = ""
    count: int | None = None


def heads(conn, now: float, link_ids=None) -> list:
    """The oldest waiting message of each working link, when it is due by `now` (later
    messages of a link wait behind it: months arrive in order)."""
    rows = conn.execute(
        "SELECT o.* FROM outbox o JOIN links l ON l.id = o.link_id "
        "WHERE o.state = 'pending' AND l.state IN ('active', 'revoking') AND o.id = "
        "(SELECT min(id) FROM outbox p WHERE p.link_id = o.link_id AND p.state = 'pending') "
        "AND o.due_at <= ? ORDER BY o.due_at, o.id", (int(now),)).fetchall()
    return [r for r in rows if link_ids is None or r["link_id"] in link_ids]


def mark_attempt(store, entry, now: float, delay: float) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                     "due_at = ? WHERE id = ?", (int(now), int(now + delay), entry["id"]))


async def attempt(entry, link: dict, timeout: float) -> Answer:
    """Send one stored message as it is and read the answer."""
    try:
        status, answer = await http.post(link["aggregator"], PATHS[entry["kind"]],
                                         entry["message"].encode("utf-8"), timeout)
    except http.Unreachable as exc:
        return Answer("retry", str(exc))
    return judge(json.loads(entry["message"]), link, status, answer)


def judge(sent: dict, link: dict, status: int, answer: dict) -> Answer:
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    code = error.get("code", "")
    receipt = answer.get("receipt")
    if status == 200 or (code == "replay" and isinstance(receipt, dict)):
        problem = keys.receipt_problem(receipt, sent, link["aggregator_key"])
        if problem:     # not proof the city has it: keep the message and try again later
            return Answer("retry", problem)
        return Answer("done", receipt=receipt, status=receipt["status"], count=receipt["count"])
    reason = f"{code or status}: {error.get('message', '')}".strip()
    if code == "replay":            # a deletion or revocation already applied: its answer was lost
        return Answer("done", receipt=answer, status="already applied")
    if code == "revoked_key":
        return Answer("done" if sent["type"] == "revoke" else "revoked", reason,
                      receipt=answer, status="revoked")
    if code == "revision_conflict":
        return Answer("conflict", reason)
    if code in RETRY_CODES or status in RETRY_STATUSES or not code:
        return Answer("retry", reason)
    return Answer("refused", reason)


def record(store, entry, link: dict, answer: Answer, now: float) -> None:
    """The answer into the outbox, the ledger and the link, in one transaction."""
    now = int(now)
    with store.transaction() as conn:
        if answer.outcome == "retry":
            conn.execute("UPDATE outbox SET last_error = ? WHERE id = ?", (answer.reason, entry["id"]))
            return
        state = {"done": "sent", "conflict": "superseded"}.get(answer.outcome, "refused")
        conn.execute("UPDATE outbox SET state = ?, last_error = ?, done_at = ? WHERE id = ?",
                     (state, answer.reason or None, now, entry["id"]))
        if answer.outcome == "done":
            _ledger(conn, entry, answer, now)
            if entry["kind"] == "revoke":
                links.set_state(conn, link["id"], "revoked", now)
        if answer.outcome == "revoked":     # the city revoked the key: nothing more can go
            links.set_state(conn, link["id"], "revoked", now)
            conn.execute("UPDATE outbox SET state = 'cancelled', done_at = ? WHERE link_id = ? "
                         "AND state = 'pending'", (now, link["id"]))


def _ledger(conn, entry, answer: Answer, now: int) -> None:
    conn.execute(
        "INSERT INTO ledger (link_id, member_id, outbox_id, kind, study_id, month, revision, "
        "digest, message, receipt, status, count, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry["link_id"], entry["member_id"], entry["id"], entry["kind"], entry["study_id"],
         entry["month"], entry["revision"], entry["digest"], entry["message"],
         json.dumps(answer.receipt, sort_keys=True), answer.status, answer.count, now))


def _next(store, clock, link_ids, skip: set, only) -> tuple:
    """The next message to send and its link, or (None, None)."""
    for entry in heads(store.conn, clock(), link_ids):
        link = links.by_id(store.conn, entry["link_id"])
        if link["aggregator"] not in skip and only in (None, entry["link_id"]):
            return entry, link
    return None, None


async def send_heads(db, store, config, clock, rng, *, link_ids=None, spread: bool = False,
                     at_once: bool = False) -> list:
    """Send due messages until none is left that can go; what became of each (a dict per
    attempt: outcome done, retry, refused, conflict or revoked). `db(fn, *args)` runs the store's work off the event loop. With
    `spread` (the service), one link per pass: members of one box that were due together
    (after the box was off) leave in different passes. With `at_once`, what waits goes now,
    its jitter and backoff skipped (a person asked for it)."""
    out, unreachable, served = [], set(), None
    due_by = (lambda: float(2 ** 62)) if at_once else clock
    while True:
        entry, link = await db(_next, store, due_by, link_ids, unreachable,
                               served if spread else None)
        if entry is None:
            return out
        await db(mark_attempt, store, entry, clock(),
                 backoff(entry["attempts"] + 1, config.link, rng))
        answer = await attempt(entry, link, config.link.timeout_s)
        await db(record, store, entry, link, answer, clock())
        served = entry["link_id"]
        out.append({"id": entry["id"], "member_id": entry["member_id"], "kind": entry["kind"],
                    "study": entry["study_id"], "month": entry["month"],
                    "revision": entry["revision"], "outcome": answer.outcome,
                    "status": answer.status, "reason": answer.reason})
        _log(entry, answer)
        if answer.outcome == "retry":     # the rest of this aggregator waits for the next pass
            unreachable.add(link["aggregator"])
        if answer.outcome == "done" and entry["kind"] == "revoke":
            keys.delete_key(config.data_dir, link["key_file"])   # it can sign nothing any more


def _log(entry, answer: Answer) -> None:
    what = f"{entry['kind']} {entry['study_id'] or ''} {entry['month'] or ''}".strip()
    if answer.outcome == "done":
        log.info("city link: %s (link %s, revision %s) %s", what, entry["link_id"],
                 entry["revision"], answer.status)
    else:
        log.warning("city link: %s (link %s) %s: %s", what, entry["link_id"], answer.outcome,
                    answer.reason)
