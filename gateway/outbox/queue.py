"""The outbox queue: which months are due, the body each should carry, and the signed
messages waiting to go.

A month is queued once it has settled (over, plus the grace days) for every study the member
joined, with only the fields that study asked for. Each pass computes the body again from the
stored trips: the same canonical bytes as the last message queued or sent means nothing to do;
other bytes mean a new message. A message that never left the box is simply rewritten; once it
may have reached the city (sent, or tried), the change goes as a replacement at a higher
revision, so the city never holds two copies of a month.
"""
from __future__ import annotations

import logging
import time

from carbon import summary_wire as wire

from ..queries import link as read
from ..queries.summaries import home_commune, month_body
from . import keys, links, months
from .studies import beyond_consent

log = logging.getLogger(__name__)


class MonthCache:
    """Each member's full body per month, computed once per pass (several studies share it)."""

    def __init__(self, conn, tz):
        self.conn, self.tz, self._bodies, self._homes = conn, tz, {}, {}

    def home(self, member_id: int):
        if member_id not in self._homes:
            self._homes[member_id] = home_commune(self.conn, member_id)
        return self._homes[member_id]

    def body(self, member_id: int, month: str):
        key = (member_id, month)
        if key not in self._bodies:
            start, end = months.bounds(month, self.tz)
            self._bodies[key] = month_body(self.conn, member_id, month, start, end, self.tz,
                                           commune=self.home(member_id))
        return self._bodies[key]


def study_body(full: dict, study: dict, commune: bool, month: str) -> dict:
    """What goes for one study: the fields it asked for, the commune only if ticked."""
    if not commune:
        full = {k: v for k, v in full.items() if k != "commune"}
    body = wire.body_for_study(full, study["fields"])
    return wire.check_body(body, month, asked=study["fields"])


def wanted(cache: MonthCache, member_id: int, study: dict, consent: dict, month: str):
    """(the body this month should carry for the study, None) or (None, why nothing goes)."""
    if not consent or not consent["joined"]:
        return None, "not joined"
    if month < consent["from_month"]:
        return None, f"before {consent['from_month']}, the first month agreed to"
    if not wire.month_in_study(study, month):
        return None, "outside the study's period"
    gap = beyond_consent(study, consent["agreed"])
    if gap:
        return None, gap
    full = cache.body(member_id, month)
    if full is None:
        return None, "the box has no positions of that month"
    return study_body(full, study, consent["commune"], month), None


def due_months(consent: dict, now: float, tz, grace_days: int, resend_months: int) -> list:
    """Settled months from the first agreed to, within the window of corrections still sent."""
    first = max(consent["from_month"], months.add(months.month_of(now, tz), -resend_months))
    return [m for m in months.between(first, months.last_closed(now, tz))
            if months.settles_at(m, tz, grace_days) <= now]


# ----- the rows

def latest(conn, link_id: int, study_id: str, month: str):
    """The last message for a study-month that counts (waiting, sent or refused)."""
    return conn.execute(
        "SELECT * FROM outbox WHERE link_id = ? AND kind = 'summary' AND study_id = ? AND month = ? "
        "AND state IN ('pending', 'sent', 'refused') ORDER BY revision DESC, id DESC LIMIT 1",
        (link_id, study_id, month)).fetchone()


def next_revision(conn, link_id: int, study_id: str, month: str) -> int:
    """Higher than anything this link ever signed for the study-month, whatever became of it
    (a cancelled or superseded message may still have reached the city)."""
    row = conn.execute("SELECT max(revision) FROM outbox WHERE link_id = ? AND kind = 'summary' "
                       "AND study_id = ? AND month = ?", (link_id, study_id, month)).fetchone()
    return (row[0] or 0) + 1


def decide(conn, link_id: int, study_id: str, month: str, body: dict) -> tuple:
    """("same", row): already queued or sent with these bytes; ("rewrite", row): waiting and
    never tried, so it can change in place; ("new", revision): a new message."""
    text = wire.canonical(body).decode()
    last = latest(conn, link_id, study_id, month)
    if last is not None and last["body"] == text:
        return "same", last
    if last is not None and last["state"] == "pending" and last["attempts"] == 0:
        return "rewrite", last
    return "new", next_revision(conn, link_id, study_id, month)


def summary_message(link: dict, key, study_id: str, month: str, revision: int, body: dict) -> dict:
    return keys.sign(key, wire.envelope(link["pseudonym"], study_id, month, revision, body))


def queue_summary(conn, link: dict, key, study_id: str, month: str, body: dict, now: int,
                  delay: float) -> tuple:
    """Make the outbox hold this body for the study-month; (what was done, due when)."""
    verdict, found = decide(conn, link["id"], study_id, month, body)
    if verdict == "same":
        return "unchanged", found["due_at"]
    revision = found["revision"] if verdict == "rewrite" else found
    message = summary_message(link, key, study_id, month, revision, body)
    text, digest = wire.canonical(message).decode(), wire.digest(message)
    if verdict == "rewrite":
        conn.execute("UPDATE outbox SET body = ?, message = ?, digest = ? WHERE id = ?",
                     (wire.canonical(body).decode(), text, digest, found["id"]))
        return "rewritten", found["due_at"]
    conn.execute("UPDATE outbox SET state = 'superseded', done_at = ? WHERE link_id = ? AND "
                 "kind = 'summary' AND study_id = ? AND month = ? AND state = 'pending'",
                 (now, link["id"], study_id, month))
    conn.execute(
        "INSERT INTO outbox (link_id, member_id, kind, study_id, month, revision, body, message, "
        "digest, created_at, due_at) VALUES (?, ?, 'summary', ?, ?, ?, ?, ?, ?, ?, ?)",
        (link["id"], link["member_id"], study_id, month, revision, wire.canonical(body).decode(),
         text, digest, now, int(now + delay)))
    return ("queued" if revision == 1 else "replacement"), int(now + delay)


def queue_control(conn, link: dict, message: dict, study_id, now: int) -> int:
    """A signed deletion or revocation, due at once (the member asked for it now)."""
    cur = conn.execute(
        "INSERT INTO outbox (link_id, member_id, kind, study_id, message, digest, created_at, "
        "due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (link["id"], link["member_id"], message["type"], study_id,
         wire.canonical(message).decode(), wire.digest(message), now, now))
    return cur.lastrowid


def cancel(conn, link_id: int, now: int, study_ids=None, month: str | None = None) -> int:
    """Waiting summaries that must not go any more (the member left; the month's data is
    gone). Returns how many."""
    sql = ("UPDATE outbox SET state = 'cancelled', done_at = ? WHERE link_id = ? AND "
           "kind = 'summary' AND state = 'pending'")
    args = [now, link_id]
    if study_ids is not None:
        sql += " AND study_id IN (%s)" % ", ".join("?" * len(study_ids))
        args += list(study_ids)
    if month is not None:
        sql += " AND month = ?"
        args.append(month)
    return conn.execute(sql, args).rowcount


# ----- one planning pass over a link

def plan_link(store, config, link: dict, now: float, tz, rng) -> list[tuple]:
    """Queue what is due for one link; [(study, month, what was done, due when)] for what
    changed."""
    if link["state"] != "active":
        return []
    try:
        key = keys.load_key(config.data_dir, link["key_file"])
    except keys.KeyMissing as exc:
        log.error("link %s cannot sign: %s", link["id"], exc)
        return []
    conn = store.conn
    cache, section = MonthCache(conn, tz), config.link
    studies = read.known_studies(conn, link["aggregator"])
    wanted_bodies, gone = [], []
    for study_id, consent in read.consents(conn, link["id"]).items():
        study = studies.get(study_id)
        if study is None:              # withdrawn by the city: nothing more goes for it
            gone.append(study_id)
            continue
        if not consent["joined"]:
            continue
        for month in due_months(consent, now, tz, section.grace_days, section.resend_months):
            body, why = wanted(cache, link["member_id"], study, consent, month)
            wanted_bodies.append((study_id, month, body, why))
    done = []
    with store.transaction() as conn:
        if gone and cancel(conn, link["id"], int(now), gone):
            done.append((",".join(gone), None, "cancelled: the study was withdrawn", None))
        for study_id, month, body, why in wanted_bodies:
            if body is None:
                if cancel(conn, link["id"], int(now), [study_id], month):
                    done.append((study_id, month, f"cancelled: {why}", None))
                continue
            what, due = queue_summary(conn, link, key, study_id, month, body, int(now),
                                      rng.uniform(0, section.jitter_s))
            if what != "unchanged":
                done.append((study_id, month, what, due))
    return done


def plan(store, config, now: float | None, tz, rng) -> list[dict]:
    """Queue what is due for every active link; what changed, one dict each."""
    now = time.time() if now is None else now
    out = []
    for link in links.active(store.conn):
        out += [{"link_id": link["id"], "member_id": link["member_id"], "study": study,
                 "month": month, "what": what, "due_at": due}
                for study, month, what, due in plan_link(store, config, link, now, tz, rng)]
    return out
