"""`selfdata place`: name a member's places (and say which is home or work)."""
from __future__ import annotations

import sys

from ...trips import decisions
from ...queries.places import member_places
from ..common import member_id
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("place", parents=[common], help="list or name a member's places")
    sub2 = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    name = sub2.add_parser("name", parents=[common], help="name the place at LAT LON")
    name.add_argument("--member", metavar="NAME", required=True)
    name.add_argument("lat", type=float)
    name.add_argument("lon", type=float)
    name.add_argument("name", help="what the member calls it ('' for no name)")
    name.add_argument("--label", choices=("home", "work"), help="this is home (or work)")
    name.set_defaults(func=run_name)
    show = sub2.add_parser("list", parents=[common], help="the member's places")
    show.add_argument("--member", metavar="NAME", required=True)
    show.set_defaults(func=run_list)


def run_name(args, ctx):
    try:
        done = decisions.name_place(ctx.store, member_id(ctx, args.member), args.lat, args.lon,
                                   args.name or None, args.label)
    except ValueError as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    print_json(done)
    return 0


def run_list(args, ctx):
    print_json(member_places(ctx.store.conn, member_id(ctx, args.member)))
    return 0
