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
    name.add_argument("--json", action="store_true")
    name.set_defaults(func=run_name)
    show = sub2.add_parser("list", parents=[common], help="the member's places")
    show.add_argument("--member", metavar="NAME", required=True)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_list)


def run_name(args, ctx):
    try:
        done = decisions.name_place(ctx.store, member_id(ctx, args.member), args.lat, args.lon,
                                   args.name or None, args.label)
    except ValueError as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(done)
        return 0
    what = " and ".join(repr(x) if x == done["name"] else x
                        for x in (done["name"], done["label"]) if x) or "no name"
    print(f"the place at {done['lat']}, {done['lon']} is now {what}; trips follow")
    return 0


def run_list(args, ctx):
    places = member_places(ctx.store.conn, member_id(ctx, args.member))
    if args.json:
        print_json(places)
        return 0
    if not places:
        print(f"no places yet: they appear once {args.member} has stayed somewhere a few times")
        return 0
    print(f"  {'place':<20} {'position':<22} {'visits':>6} {'hours':>8}")
    for p in places:
        name = " / ".join(x for x in (p["name"], p["label"]) if x) or "-"
        print(f"  {name:<20} {p['lat']:.5f}, {p['lon']:.5f}   {p['visits']:>6} "
              f"{p['dwell_h']:>8.1f}")
    return 0
