"""Household members: their web login (Argon2id, memory-hard), names and settings."""
from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from dataclasses import dataclass

from ..said import Said

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@functools.cache
def _hasher():
    """Argon2 on first use (a login or a new password), not at every start of the box."""
    from argon2 import PasswordHasher
    # Modest Argon2id parameters: a login on a Pi Zero 2 W stays well under a second.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class AccountError(Said):
    """A member or device operation that cannot be done, said plainly."""


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    display_name: str | None
    is_admin: bool


def check_name(kind: str, name: str) -> str:
    name = name.strip().lower()
    if not NAME_RE.match(name):
        if kind == "member":
            raise AccountError("member name %(name)r is not allowed: use 1-32 lower-case "
                               "letters, digits, '-' or '_', starting with a letter or digit "
                               "(it becomes part of MQTT topics)", name=name)
        raise AccountError("device name %(name)r is not allowed: use 1-32 lower-case letters, "
                           "digits, '-' or '_', starting with a letter or digit (it becomes "
                           "part of MQTT topics)", name=name)
    return name


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError
    if not stored:
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# ----- members

def _member(row) -> Member:
    return Member(row["id"], row["name"], row["display_name"], bool(row["is_admin"]))


def add_member(conn, name: str, password: str | None, *, display_name: str | None = None,
               is_admin: bool = False) -> Member:
    name = check_name("member", name)
    hashed = hash_password(password) if password is not None else None
    try:
        cur = conn.execute(
            "INSERT INTO members (name, display_name, password_hash, is_admin, created_ts) "
            "VALUES (?, ?, ?, ?, ?)", (name, display_name, hashed, int(is_admin), int(time.time())))
    except sqlite3.IntegrityError:
        raise AccountError("a member named %(name)r already exists", name=name) from None
    return Member(cur.lastrowid, name, display_name, is_admin)


def get_member(conn, name: str) -> Member:
    row = conn.execute("SELECT * FROM members WHERE name = ?", (name.strip().lower(),)).fetchone()
    if row is None:
        raise AccountError("no member named %(name)r (see `selfdata member list`)", name=name)
    return _member(row)


def member_by_id(conn, member_id: int) -> Member | None:
    row = conn.execute("SELECT * FROM members WHERE id = ?", (member_id,)).fetchone()
    return _member(row) if row else None


def list_members(conn) -> list[Member]:
    return [_member(r) for r in conn.execute("SELECT * FROM members ORDER BY name")]


def has_members(conn) -> bool:
    """False until first-run setup has made the first member."""
    return conn.execute("SELECT 1 FROM members LIMIT 1").fetchone() is not None


def password_hash(conn, member_id: int) -> str | None:
    """The stored hash (a cached Basic login is only trusted while it is unchanged); None
    when the member is gone."""
    row = conn.execute("SELECT password_hash FROM members WHERE id = ?", (member_id,)).fetchone()
    return row[0] if row else None


def member_settings(conn, member_id: int) -> dict:
    """The member's settings (``members.settings`` JSON: their vehicle...), {} when unset."""
    row = conn.execute("SELECT settings FROM members WHERE id = ?", (member_id,)).fetchone()
    try:
        settings = json.loads(row["settings"] or "{}") if row else {}
    except ValueError:
        settings = {}
    return settings if isinstance(settings, dict) else {}


def set_member_settings(conn, member_id: int, settings: dict) -> None:
    conn.execute("UPDATE members SET settings = ? WHERE id = ?", (json.dumps(settings), member_id))


def fill_profile(conn, member_id: int, *, display_name: str | None, settings: dict | None) -> None:
    """Give the member this display name and these settings where they have none yet (an
    archive restored into a box keeps what the member already set there)."""
    row = conn.execute("SELECT display_name, settings FROM members WHERE id = ?",
                       (member_id,)).fetchone()
    if not row["display_name"] and display_name:
        conn.execute("UPDATE members SET display_name = ? WHERE id = ?", (display_name, member_id))
    if row["settings"] in ("", "{}") and settings:
        set_member_settings(conn, member_id, settings)


def set_password(conn, name: str, password: str) -> None:
    """A new password, and the member logged out everywhere: whoever knew the old one
    (the reason to change it) must not keep a browser session made with it."""
    member = get_member(conn, name)
    conn.execute("UPDATE members SET password_hash = ? WHERE id = ?",
                 (hash_password(password), member.id))
    # sessions.end_member_sessions, inlined: sessions.py imports Member from here.
    conn.execute("DELETE FROM sessions WHERE member_id = ?", (member.id,))


def check_login(conn, name: str, password: str) -> Member | None:
    row = conn.execute("SELECT * FROM members WHERE name = ?",
                       (name.strip().lower(),)).fetchone()
    if row is None:
        verify_password(_dummy_hash(), password)  # same time whether the name exists or not
        return None
    return _member(row) if verify_password(row["password_hash"], password) else None


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password")


def remove_member(conn, name: str) -> Member:
    member = get_member(conn, name)
    conn.execute("DELETE FROM members WHERE id = ?", (member.id,))
    return member
