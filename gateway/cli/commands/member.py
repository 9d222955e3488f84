"""`selfdata member add|list|remove|passwd|share|unshare`."""
from __future__ import annotations

from ... import accounts
from ...accounts.broker import sync_broker_files
from ..context import print_json, read_secret


def register(sub, common):
    p = sub.add_parser("member", help="household members (their web login)")
    msub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = msub.add_parser("add", parents=[common], help="add a member")
    a.add_argument("name")
    a.add_argument("--display-name")
    a.add_argument("--admin", action="store_true", help="may manage the household")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)

    ls = msub.add_parser("list", parents=[common], help="list members")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)

    rm = msub.add_parser("remove", parents=[common],
                         help="remove a member with their devices and all their data")
    rm.add_argument("name")
    rm.set_defaults(func=remove)

    pw = msub.add_parser("passwd", parents=[common], help="set a member's password")
    pw.add_argument("name")
    pw.set_defaults(func=passwd)

    for verb, on in (("share", True), ("unshare", False)):
        s = msub.add_parser(verb, parents=[common],
                            help=f"{'let' if on else 'stop letting'} another member see "
                                 "this member's positions")
        s.add_argument("owner")
        s.add_argument("--with", dest="viewer", required=True, metavar="MEMBER")
        s.set_defaults(func=lambda args, ctx, on=on: share(args, ctx, on))


def _as_dict(m: accounts.Member) -> dict:
    return {"name": m.name, "display_name": m.display_name, "admin": m.is_admin}


def add(args, ctx):
    password = read_secret(f"password for {args.name}: ")
    with ctx.store.transaction() as conn:
        member = accounts.add_member(conn, args.name, password, display_name=args.display_name,
                                     is_admin=args.admin)
    if args.json:
        print_json(_as_dict(member))
    else:
        print(f"member {member.name} added")
    return 0


def list_(args, ctx):
    members = accounts.list_members(ctx.store.conn)
    if args.json:
        print_json([_as_dict(m) for m in members])
        return 0
    for m in members:
        flags = " (admin)" if m.is_admin else ""
        print(f"{m.name}{flags}" + (f"  {m.display_name}" if m.display_name else ""))
    if not members:
        print("no members yet: selfdata member add NAME")
    return 0


def remove(args, ctx):
    with ctx.store.transaction() as conn:
        member = accounts.remove_member(conn, args.name)
    _broker_changed(ctx)
    print(f"member {member.name} removed with their devices and data")
    return 0


def passwd(args, ctx):
    password = read_secret(f"new password for {args.name}: ")
    with ctx.store.transaction() as conn:
        accounts.set_password(conn, args.name, password)
    print(f"password of {args.name} changed")
    return 0


def share(args, ctx, on):
    with ctx.store.transaction() as conn:
        accounts.share(conn, args.owner, args.viewer, on=on)
    _broker_changed(ctx)
    print(f"{args.viewer} {'now sees' if on else 'no longer sees'} {args.owner}'s positions")
    return 0


def _broker_changed(ctx):
    sync_broker_files(ctx.config, ctx.store.conn, reload=True)
