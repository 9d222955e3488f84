"""`selfdata stats`: what the box holds and what it refused."""
from __future__ import annotations

import time

from ...queries.stats import box_stats
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("stats", parents=[common], help="counts of fixes, events and rejections")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args, ctx):
    stats = box_stats(ctx.store.conn)
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
