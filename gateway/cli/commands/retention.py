"""`selfdata retention --member NAME (--months N | --off | --show) [--apply]`."""
from __future__ import annotations

from ... import accounts
from ...portability import retention
from ...portability.erasure import checkpoint
from ..context import UsageError, print_json


def register(sub, common):
    p = sub.add_parser("retention", parents=[common],
                       help="keep a member's raw positions for N months only (trips stay)")
    p.add_argument("--member", required=True)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--months", type=int, metavar="N", help="keep N months of raw fixes")
    what.add_argument("--off", action="store_true", help="keep raw fixes forever (default)")
    p.add_argument("--apply", action="store_true",
                   help="delete what is older now rather than at the next daily run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args, ctx) -> int:
    store = ctx.store
    member = accounts.get_member(store.conn, args.member)
    if args.months is not None and args.months < 1:
        raise UsageError("--months must be at least 1 (or use --off)")
    if args.months is not None or args.off:
        with store.transaction() as conn:
            retention.set_months(conn, member.id, None if args.off else args.months)
    deleted = None
    if args.apply:
        deleted = retention.apply(store, member.id)
        if deleted:
            checkpoint(store)
    months = retention.get_months(store.conn, member.id)
    cutoff = retention.cutoff_ts(store.conn, member.id)
    if args.json:
        print_json({"member": member.name, "months": months, "cutoff_ts": cutoff,
                    "deleted": deleted})
        return 0
    if months:
        print(f"{member.name}: raw fixes kept for {months} months, trips kept forever")
    else:
        print(f"{member.name}: raw fixes kept forever")
    if deleted is not None:
        print(f"{deleted:,} fixes older than that deleted")
    return 0
