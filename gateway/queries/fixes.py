"""A member's stored fixes, streamed from a cursor (exports, the household page's map)."""
from __future__ import annotations


def member_fixes(conn, member_id: int, start: int | None = None, end: int | None = None):
    """The member's fixes with their device name, by device then time, as a cursor."""
    sql = ("SELECT f.*, d.name AS device, d.tid AS tid FROM fixes f "
           "JOIN devices d ON d.id = f.device_id WHERE f.member_id = ?")
    args = [member_id]
    if start is not None:
        sql += " AND f.ts >= ?"
        args.append(start)
    if end is not None:
        sql += " AND f.ts < ?"
        args.append(end)
    return conn.execute(sql + " ORDER BY f.device_id, f.ts", args)
