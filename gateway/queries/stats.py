"""Counts of what the box holds and what it refused, for `selfdata stats` and the pages."""
from __future__ import annotations


def box_stats(conn) -> dict:
    """What the box holds and what it refused (`selfdata stats`)."""
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
    return {
        "members": one("SELECT count(*) FROM members"),
        "devices": one("SELECT count(*) FROM devices"),
        "fixes": one("SELECT count(*) FROM fixes"),
        "fixes_by_source": {r[0]: r[1] for r in conn.execute(
            "SELECT source, count(*) FROM fixes GROUP BY source ORDER BY source")},
        "events_by_type": {r[0]: r[1] for r in conn.execute(
            "SELECT type, count(*) FROM events GROUP BY type ORDER BY type")},
        "rejections": one("SELECT count(*) FROM rejections"),
        "rejections_by_reason": [{"reason": r[0], "count": r[1]} for r in conn.execute(
            "SELECT reason, count(*) AS n FROM rejections GROUP BY reason ORDER BY n DESC "
            "LIMIT 10")],
        "devices_seen": [{"device": f"{r[0]}/{r[1]}", "last_seen_ts": r[2]} for r in conn.execute(
            "SELECT m.name, d.name, d.last_seen_ts FROM devices d JOIN members m "
            "ON m.id = d.member_id ORDER BY m.name, d.name")],
    }


def recent_rejections(conn, member_id: int, limit: int = 20) -> list[dict]:
    """What was refused from the member's devices, newest first (their page shows it)."""
    return [dict(r) for r in conn.execute(
        "SELECT received_ts, source, reason, payload_head FROM rejections WHERE member_id = ? "
        "ORDER BY id DESC LIMIT ?", (member_id, limit))]
