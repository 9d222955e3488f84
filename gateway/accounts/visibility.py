"""Which member sees whom inside the household (on their phone's map and in the API).

Each row of ``shares`` lets a viewer see an owner's positions; a member always sees their own.
"""
from __future__ import annotations

from .members import AccountError, get_member


def share(conn, owner: str, viewer: str, *, on: bool = True) -> None:
    """Let ``viewer`` see ``owner``'s positions (or stop it)."""
    o, v = get_member(conn, owner), get_member(conn, viewer)
    if o.id == v.id:
        raise AccountError("a member always sees their own data")
    if on:
        conn.execute("INSERT OR IGNORE INTO shares (owner_id, viewer_id) VALUES (?, ?)",
                     (o.id, v.id))
    else:
        conn.execute("DELETE FROM shares WHERE owner_id = ? AND viewer_id = ?", (o.id, v.id))


def visible_member_ids(conn, viewer_id: int) -> list[int]:
    """The viewer and every member who shares with them."""
    rows = conn.execute("SELECT owner_id FROM shares WHERE viewer_id = ?", (viewer_id,))
    return [viewer_id] + [r[0] for r in rows]
