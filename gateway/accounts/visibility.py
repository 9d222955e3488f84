"""Visibility: which member sees whom inside the household (on their phone's map, in the
Recorder API and on the pages).

A row ``visibility(owner_id, viewer_id)`` lets the viewer see the owner's positions; a member
always sees their own. This is not a *share*: in this project a share is a signed summary
sent to the city (docs/architecture.md, "One name per concept").
"""
from __future__ import annotations

from .members import AccountError, get_member


def show_to(conn, owner: str, viewer: str) -> None:
    """Let ``viewer`` see ``owner``'s positions (``selfdata member show OWNER --to VIEWER``)."""
    _set(conn, owner, viewer, visible=True)


def hide_from(conn, owner: str, viewer: str) -> None:
    """Stop ``viewer`` seeing ``owner``'s positions (``selfdata member hide OWNER --from VIEWER``)."""
    _set(conn, owner, viewer, visible=False)


def _set(conn, owner: str, viewer: str, *, visible: bool) -> None:
    o, v = get_member(conn, owner), get_member(conn, viewer)
    if o.id == v.id:
        raise AccountError("a member always sees their own data")
    if visible:
        conn.execute("INSERT OR IGNORE INTO visibility (owner_id, viewer_id) VALUES (?, ?)",
                     (o.id, v.id))
    else:
        conn.execute("DELETE FROM visibility WHERE owner_id = ? AND viewer_id = ?", (o.id, v.id))


def visible_member_ids(conn, viewer_id: int) -> list[int]:
    """The viewer and every member who lets them see their positions."""
    rows = conn.execute("SELECT owner_id FROM visibility WHERE viewer_id = ?", (viewer_id,))
    return [viewer_id] + [r[0] for r in rows]
