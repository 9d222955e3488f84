"""A member's stored fixes, streamed from a cursor (exports, the household page's map)."""
from __future__ import annotations

from ..store import DERIVED_FIX_COLUMNS, FIX_COLUMNS

# Everything stored but the Recorder API's own cache (``fixes.loc`` is as long as ``raw``).
_COLUMNS = ", ".join(f"f.{c}" for c in ("id", *FIX_COLUMNS) if c not in DERIVED_FIX_COLUMNS)


def member_fixes(conn, member_id: int, start: int | None = None, end: int | None = None):
    """The member's fixes with their device name, by device then time, as a cursor.

    Devices outside in id order (CROSS JOIN keeps SQLite from reordering; ``+`` keeps it
    off the devices' name index), each device's fixes in time order from the (member_id,
    ts, device_id) index: no sort of the whole history."""
    sql = (f"SELECT {_COLUMNS}, d.name AS device, d.tid AS tid FROM devices d CROSS JOIN "
           "fixes f ON f.member_id = d.member_id AND f.device_id = d.id WHERE +d.member_id = ?")
    args = [member_id]
    if start is not None:
        sql += " AND f.ts >= ?"
        args.append(start)
    if end is not None:
        sql += " AND f.ts < ?"
        args.append(end)
    return conn.execute(sql + " ORDER BY d.id, f.ts", args)
