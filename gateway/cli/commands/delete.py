"""`selfdata delete --member NAME (--from/--to | --day DATE | --fix ID | --all) [--yes]`."""
from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

from ... import accounts
from ...portability import erasure
from ..common import parse_day, parse_when
from ..context import UsageError, print_json


def register(sub, common):
    p = sub.add_parser("delete", parents=[common],
                       help="erase a member's data for a period, a day, one fix, or all",
                       description="Deletion is real: rows are overwritten (secure_delete), "
                                   "the write-ahead log is truncated, --all also vacuums. Trips "
                                   "of the period are recomputed from what is left.")
    p.add_argument("--member", required=True)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--from", dest="start", metavar="DATE|TIME",
                      help="start of the period (household time zone); with --to")
    what.add_argument("--day", metavar="DATE", help="one calendar day, e.g. 2024-05-01")
    what.add_argument("--fix", type=int, metavar="ID", help="one position, by its id")
    what.add_argument("--all", action="store_true",
                      help="everything the member owns (the account and devices stay)")
    p.add_argument("--to", dest="end", metavar="DATE|TIME",
                   help="end of the period: a date is included whole")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _confirm(args, what: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"this deletes {what} for good: add --yes to confirm")
    answer = input(f"delete {what} of {args.member} for good? [y/N] ")
    return answer.strip().lower() in ("y", "yes", "o", "oui")


def run(args, ctx) -> int:
    store = ctx.store
    member = accounts.get_member(store.conn, args.member)
    tz_name = ctx.config.gateway.timezone
    tz = ZoneInfo(tz_name)
    if args.start or args.end:
        if not (args.start and args.end):
            raise UsageError("--from needs --to")
        start, end = parse_when(args.start, tz), parse_when(args.end, tz, end_of_day=True)
        if end <= start:
            raise UsageError("--to is before --from")
        what = f"everything from {args.start} to {args.end}"
    elif args.day:
        start, end = erasure.day_range(parse_day(args.day), tz_name)
        what = f"everything on {args.day}"
    elif args.fix is not None:
        what = f"fix {args.fix}"
    else:
        what = "ALL the data"
    if not _confirm(args, what):
        print("nothing deleted")
        return 1
    if args.all:
        result = erasure.erase_all(store, member.id)
    elif args.fix is not None:
        try:
            result = erasure.erase_fix(store, member.id, args.fix)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    else:
        result = erasure.erase_range(store, member.id, start, end)
    if args.json:
        print_json(result.as_dict())
    else:
        rows = ", ".join(f"{n:,} {t}" for t, n in result.rows.items()) or "nothing"
        print(f"deleted: {rows}")
        print(result.checkpoint)
        if result.pipeline:
            print(result.pipeline)
    return 0
