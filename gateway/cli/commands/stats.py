"""`selfdata stats`: what the box holds and what it refused."""
from __future__ import annotations

import time

from ..context import print_json


def register(sub, common):
    p = sub.add_parser("stats", parents=[common], help="counts of fixes, events and rejections")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def collect(conn) -> dict:
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


def run(args, ctx):
    stats = collect(ctx.store.conn)
    if args.json:
        print_json(stats)
        return 0
    print(f"{stats['members']} members, {stats['devices']} devices, {stats['fixes']} fixes")
    for source, n in stats["fixes_by_source"].items():
        print(f"  {source:<20} {n}")
    if stats["events_by_type"]:
        print("events: " + ", ".join(f"{t} {n}" for t, n in stats["events_by_type"].items()))
    print(f"{stats['rejections']} messages refused")
    for r in stats["rejections_by_reason"]:
        print(f"  {r['count']:>6}  {r['reason']}")
    for d in stats["devices_seen"]:
        seen = "never" if d["last_seen_ts"] is None else time.strftime(
            "%Y-%m-%d %H:%M", time.localtime(d["last_seen_ts"]))
        print(f"  {d['device']:<30} last seen {seen}")
    return 0
