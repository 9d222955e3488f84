"""The city link as pages and commands show it: a member's links and studies, what waits in
the outbox, the ledger of what was sent with its receipts, and the log of decisions."""
from __future__ import annotations

import json


def links(conn, member_id: int | None = None) -> list[dict]:
    """Links (newest first per member), with the member's name."""
    sql = ("SELECT l.*, m.name AS member FROM links l JOIN members m ON m.id = l.member_id"
           + (" WHERE l.member_id = ?" if member_id is not None else "")
           + " ORDER BY m.name, l.id DESC")
    return [dict(r) for r in conn.execute(sql, (member_id,) if member_id is not None else ())]


def known_studies(conn, aggregator: str) -> dict:
    """The studies an aggregator publishes (as last fetched), by id."""
    return {r["study_id"]: json.loads(r["definition"]) for r in conn.execute(
        "SELECT study_id, definition FROM link_studies WHERE aggregator = ? AND withdrawn = 0 "
        "ORDER BY study_id", (aggregator,))}


def consents(conn, link_id: int) -> dict:
    """study id -> the member's decision (joined, agreed fields and k, commune, from_month)."""
    out = {}
    for r in conn.execute("SELECT * FROM consents WHERE link_id = ?", (link_id,)):
        out[r["study_id"]] = {"joined": bool(r["joined"]), "agreed": json.loads(r["agreed"]),
                              "commune": bool(r["commune"]), "from_month": r["from_month"],
                              "changed_at": r["changed_at"]}
    return out


def studies_for(conn, link: dict) -> list[dict]:
    """Every study of the link's aggregator, with the member's decision about it."""
    mine = consents(conn, link["id"])
    return [{"study": study, "consent": mine.get(sid)}
            for sid, study in known_studies(conn, link["aggregator"]).items()]


def pending(conn, link_id: int) -> list[dict]:
    """What waits to go, in the order it will go."""
    return [dict(r) for r in conn.execute(
        "SELECT id, kind, study_id, month, revision, attempts, due_at, last_attempt_at, "
        "last_error, created_at FROM outbox WHERE link_id = ? AND state = 'pending' ORDER BY id",
        (link_id,))]


def refused(conn, link_id: int, limit: int = 20) -> list[dict]:
    """Messages the aggregator refused for good, newest first, with its reason."""
    return [dict(r) for r in conn.execute(
        "SELECT id, kind, study_id, month, revision, last_error, done_at FROM outbox "
        "WHERE link_id = ? AND state = 'refused' ORDER BY id DESC LIMIT ?", (link_id, limit))]


def ledger(conn, member_id: int) -> list[dict]:
    """What was sent for the member, oldest first: when, what (the exact message), and the
    aggregator's signed receipt."""
    return [{"sent_at": r["sent_at"], "aggregator": r["aggregator"], "kind": r["kind"],
             "study": r["study_id"], "month": r["month"], "revision": r["revision"],
             "status": r["status"], "count": r["count"], "digest": r["digest"],
             "message": json.loads(r["message"]), "receipt": json.loads(r["receipt"])}
            for r in conn.execute(
                "SELECT g.*, l.aggregator FROM ledger g JOIN links l ON l.id = g.link_id "
                "WHERE g.member_id = ? ORDER BY g.id", (member_id,))]


def ledger_entry(conn, outbox_id: int) -> dict | None:
    """The ledger's row for one outbox message, once it went."""
    row = conn.execute("SELECT * FROM ledger WHERE outbox_id = ?", (outbox_id,)).fetchone()
    return dict(row) if row else None


def decisions(conn, member_id: int) -> list[dict]:
    """The member's decisions in order (enrol, join, leave, delete, revoke) and what they saw."""
    return [{"at": r["at"], "aggregator": r["aggregator"], "study": r["study_id"],
             "action": r["action"], "detail": json.loads(r["detail"])}
            for r in conn.execute(
                "SELECT c.*, l.aggregator FROM consent_log c JOIN links l ON l.id = c.link_id "
                "WHERE c.member_id = ? ORDER BY c.id", (member_id,))]


def status(conn, member_id: int | None = None) -> list[dict]:
    """Per link: who, where, its state, studies joined, what waits, what was refused, when
    the last message went."""
    out = []
    for link in links(conn, member_id):
        last = conn.execute("SELECT max(sent_at) AS at, count(*) AS n FROM ledger WHERE link_id = ?",
                            (link["id"],)).fetchone()
        out.append({"member": link["member"], "aggregator": link["aggregator"],
                    "pseudonym": link["pseudonym"], "state": link["state"],
                    "enrolled_at": link["enrolled_at"],
                    "studies": {sid: c for sid, c in consents(conn, link["id"]).items()},
                    "pending": pending(conn, link["id"]), "refused": refused(conn, link["id"]),
                    "sent": last["n"], "last_sent_at": last["at"]})
    return out
