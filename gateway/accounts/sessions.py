"""Web sessions: the server-side record behind a browser's login cookie.

A session is a random 256-bit token given to the browser once; the table keeps only its
SHA-256, so a leaked backup logs nobody in. Each session has its own CSRF token (the
synchronizer token every form and script sends back). Expiry slides with use up to an
absolute cap; logout ends one session, a password change ends all of the member's.

    with store.transaction() as conn:
        token, session = sessions.start_session(conn, member.id, Lifetime(14 * 86400, 90 * 86400))
    ...
    session = sessions.find_session(store.conn, token)   # None once ended or expired
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from .members import Member

# Writing last_seen on every request would wear the SD card for nothing: once every few
# minutes keeps the sliding expiry right to within that.
TOUCH_EVERY_S = 300
# A member logging in from a script in a loop must not grow the table without end.
MAX_PER_MEMBER = 32
USER_AGENT_CHARS = 120


@dataclass(frozen=True, slots=True)
class Lifetime:
    idle_s: int      # ends this long after the last use
    max_s: int       # and never later than this after the login


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: str
    member: Member
    csrf_token: str
    created_ts: int
    last_seen_ts: int
    expires_ts: int
    user_agent: str

    def touch_due(self, now: float | None = None) -> bool:
        return (now or time.time()) - self.last_seen_ts >= TOUCH_EVERY_S


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_agent(user_agent: str) -> str:
    """A hint for a list of sessions ("Firefox on Android"), never trusted: printable
    ASCII, bounded."""
    return "".join(c for c in user_agent if " " <= c <= "~")[:USER_AGENT_CHARS]


def start_session(conn, member_id: int, lifetime: Lifetime, *, user_agent: str = "",
                  now: float | None = None) -> tuple[str, Session]:
    """A new session (always a new token: a login never reuses one, so a token planted
    before the login is worthless). Returns the token for the cookie and the session."""
    now = int(now or time.time())
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + min(lifetime.idle_s, lifetime.max_s)
    conn.execute("DELETE FROM sessions WHERE expires_ts <= ?", (now,))
    conn.execute(
        "INSERT INTO sessions (id_hash, member_id, csrf_token, created_ts, last_seen_ts, "
        "expires_ts, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (_hash(token), member_id, csrf, now, now, expires, _clean_agent(user_agent)))
    conn.execute(
        "DELETE FROM sessions WHERE member_id = ? AND id_hash NOT IN (SELECT id_hash FROM "
        "sessions WHERE member_id = ? ORDER BY last_seen_ts DESC LIMIT ?)",
        (member_id, member_id, MAX_PER_MEMBER))
    found = find_session(conn, token, now=now)
    assert found is not None
    return token, found


def find_session(conn, token: str, *, now: float | None = None) -> Session | None:
    """The live session of this cookie token, with its member; None when unknown, ended
    or expired."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        "SELECT s.*, m.name, m.display_name, m.is_admin FROM sessions s "
        "JOIN members m ON m.id = s.member_id WHERE s.id_hash = ? AND s.expires_ts > ?",
        (_hash(token), int(now or time.time()))).fetchone()
    if row is None:
        return None
    member = Member(row["member_id"], row["name"], row["display_name"], bool(row["is_admin"]))
    return Session(row["id_hash"], member, row["csrf_token"], row["created_ts"],
                   row["last_seen_ts"], row["expires_ts"], row["user_agent"])


def touch_session(conn, session: Session, lifetime: Lifetime, *,
                  now: float | None = None) -> None:
    """Slide the expiry: idle time counts from now, never past the absolute cap."""
    now = int(now or time.time())
    expires = min(session.created_ts + lifetime.max_s, now + lifetime.idle_s)
    conn.execute("UPDATE sessions SET last_seen_ts = ?, expires_ts = ? WHERE id_hash = ?",
                 (now, expires, session.id_hash))


def end_session(conn, token: str) -> None:
    conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(token),))


def end_member_sessions(conn, member_id: int) -> int:
    """Log the member out everywhere (a password change, a lost phone); the count ended."""
    return conn.execute("DELETE FROM sessions WHERE member_id = ?", (member_id,)).rowcount

