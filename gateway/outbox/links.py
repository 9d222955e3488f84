"""Links: one member enrolled with one aggregator, under a key pair of their own.

Enrolment registers only the member's new public key with a one-time token of their own; the
request holds nothing else (no box id, no name), so the city cannot link the pseudonym to the
member's person or to the other members of the box (docs/city-link.md).
"""
from __future__ import annotations

import json
import logging
import re

from carbon import summary_wire as wire

from . import http, keys
from .errors import LinkError

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not _URL.match(url):
        raise LinkError("%(url)r is not an aggregator address (http:// or https://, no query)",
                        url=url)
    return url


def find(conn, member_id: int, aggregator: str | None = None, *, states=("active",)) -> dict:
    """The member's link (to `aggregator`, or their only one), or LinkError saying why not."""
    rows = [dict(r) for r in conn.execute(
        "SELECT * FROM links WHERE member_id = ? AND state IN (%s) ORDER BY id DESC"
        % ", ".join("?" * len(states)), (member_id, *states))]
    if aggregator is not None:
        rows = [r for r in rows if r["aggregator"] == normalise_url(aggregator)]
    if not rows:
        if aggregator is None:
            raise LinkError("not enrolled with any aggregator: "
                            "selfdata link enrol URL TOKEN --member NAME")
        raise LinkError("not enrolled with %(url)s: selfdata link enrol URL TOKEN --member NAME",
                        url=aggregator)
    if len({r["aggregator"] for r in rows}) > 1:
        raise LinkError("enrolled with several aggregators: say which with --aggregator "
                        "%(urls)s", urls=" or ".join(sorted({r["aggregator"] for r in rows})))
    return rows[0]


def by_id(conn, link_id: int) -> dict:
    return dict(conn.execute("SELECT * FROM links WHERE id = ?", (link_id,)).fetchone())


def active(conn) -> list[dict]:
    """Every link the outbox works for (active, or waiting for its revocation to go)."""
    return [dict(r) for r in conn.execute(
        "SELECT * FROM links WHERE state IN ('active', 'revoking') ORDER BY id")]


def key_files(conn) -> set:
    return {r[0] for r in conn.execute("SELECT key_file FROM links WHERE state != 'revoked'")}


def check_token(token: str) -> str:
    token = token.strip().upper()
    if not wire.TOKEN_RE.match(token):
        raise LinkError("%(token)r is not an enrolment token (six groups of four letters and "
                        "digits, XXXX-XXXX-XXXX-XXXX-XXXX-XXXX)", token=token)
    return token


async def register(data_dir, url: str, token: str, timeout: float) -> tuple[str, str, dict]:
    """Make a key and enrol it with the token; (key file, public key, the aggregator's
    answer). The key file is deleted again if the aggregator did not take it."""
    name, key = keys.new_key(data_dir)
    public = key.public_key().public_bytes_raw()
    message = keys.sign(key, wire.enrol_request(token, public))
    try:
        status, answer = await http.post(url, "/enrol", wire.canonical(message), timeout)
        _check_enrolment(status, answer, public)
    except BaseException as exc:
        keys.delete_key(data_dir, name)
        if isinstance(exc, http.Unreachable):
            raise LinkError("the aggregator did not answer (%(why)s); nothing was enrolled "
                            "unless it did receive the request, in which case the token is "
                            "spent: ask for a new one if enrolling again says so",
                            why=str(exc)) from None
        raise
    return name, wire.b64(public), answer


def _check_enrolment(status: int, answer: dict, public: bytes) -> None:
    if status != 200:
        error = answer.get("error") or {}
        raise LinkError("the aggregator refused the enrolment: %(message)s (%(code)s)",
                        message=error.get("message", status), code=error.get("code", "error"))
    if answer.get("pseudonym") != wire.pseudonym_of(public):
        raise LinkError("the aggregator answered with a pseudonym that is not our key's: "
                        "nothing was kept")
    try:
        wire.unb64(answer.get("aggregator_key"), wire.KEY_BYTES, "aggregator_key")
    except wire.WireError:
        raise LinkError("the aggregator gave no usable key to check its receipts with") from None


def insert(conn, member_id: int, url: str, key_file: str, public_key: str, answer: dict,
           now: int) -> int:
    cur = conn.execute(
        "INSERT INTO links (member_id, aggregator, key_file, public_key, pseudonym, "
        "aggregator_key, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (member_id, url, key_file, public_key, answer["pseudonym"], answer["aggregator_key"], now))
    log_decision(conn, cur.lastrowid, member_id, None, "enrol", now, {"aggregator": url})
    return cur.lastrowid


def set_state(conn, link_id: int, state: str, now: int) -> None:
    conn.execute("UPDATE links SET state = ?, revoked_at = CASE WHEN ? = 'revoked' THEN ? "
                 "ELSE revoked_at END WHERE id = ?", (state, state, now, link_id))


def log_decision(conn, link_id: int, member_id: int, study_id, action: str, now: int,
                 detail: dict) -> None:
    conn.execute("INSERT INTO consent_log (link_id, member_id, study_id, action, at, detail) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (link_id, member_id, study_id, action, now, json.dumps(detail, ensure_ascii=False)))
