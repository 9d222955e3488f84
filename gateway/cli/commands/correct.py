"""`selfdata correct`: set a leg's mode or a trip's purpose (kept across every rebuild)."""
from __future__ import annotations

import sys

from carbon.modes import MODES

from ...trips import decisions
from ..common import member_id, parse_when, zone
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("correct", parents=[common],
                       help="correct a leg's mode or a trip's purpose")
    p.add_argument("--member", metavar="NAME", required=True)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--leg", metavar="WHEN",
                       help="a time within the leg: epoch seconds or local 'YYYY-MM-DD HH:MM'")
    which.add_argument("--trip", metavar="WHEN", help="a time within the trip")
    p.add_argument("--mode", choices=MODES, help="with --leg")
    p.add_argument("--purpose", help="with --trip: commute, home, work, other, ...")
    p.set_defaults(func=run)


def run(args, ctx):
    member = member_id(ctx, args.member)
    try:
        if args.leg:
            if not args.mode:
                raise ValueError("--leg needs --mode")
            done = decisions.correct_leg(ctx.store, member, parse_when(args.leg, zone(ctx)),
                                        args.mode)
        else:
            if not args.purpose:
                raise ValueError("--trip needs --purpose")
            done = decisions.correct_purpose(ctx.store, member, parse_when(args.trip, zone(ctx)),
                                            args.purpose)
    except (ValueError, LookupError) as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    print_json(done)
    return 0
