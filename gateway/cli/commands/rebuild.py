"""`selfdata rebuild`: recompute a member's stays, trips and legs from all their fixes."""
from __future__ import annotations

import sys

from ... import accounts
from ...trips import pipeline
from ...trips.context import configure
from ..common import Progress, member_id
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("rebuild", parents=[common],
                       help="recompute trips from stored fixes (corrections are kept)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="NAME")
    who.add_argument("--all", action="store_true", help="every member of the household")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run)


def run(args, ctx):
    if args.all:
        configure(ctx.store, ctx.config)
        names = [m.name for m in accounts.list_members(ctx.store.conn)]
    else:
        member_id(ctx, args.member)
        names = [args.member]
    results = {}
    for name in names:
        progress = Progress(f"rebuilding {name}")
        results[name] = pipeline.rebuild_member(ctx.store, member_id(ctx, name), progress)
        progress.close()
    if args.json:
        print_json(results)
    else:
        for name, c in results.items():
            print(f"{name}: {c['trips']} trips, {c['legs']} legs, {c['stays']} stays, "
                  f"{c['places']} places", file=sys.stdout)
            moved = c.get("factor_table", {})
            if moved.get("moved"):
                older = ", ".join(f"{n} from {v}" for v, n in sorted(moved["from"].items()))
                print(f"{name}: {moved['moved']} legs now priced with factor table "
                      f"{moved['version']} ({older})", file=sys.stdout)
    return 0
