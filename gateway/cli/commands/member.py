"""`selfdata member add|list|remove|passwd|show|hide`.

`member show bob --to alice` lets alice see bob's positions, `member hide bob --from alice`
stops it. The old spelling `member share|unshare bob --with alice` is accepted until the next
release, with a notice.
"""
from __future__ import annotations

import sys

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

    show = msub.add_parser("show", parents=[common],
                           help="let another member see this member's positions: "
                                "show bob --to alice")
    show.add_argument("owner", metavar="MEMBER", help="whose positions")
    show.add_argument("--to", dest="viewer", required=True, metavar="VIEWER",
                      help="who may now see them")
    show.set_defaults(func=lambda args, ctx: visibility(args, ctx, visible=True))
    hide = msub.add_parser("hide", parents=[common],
                           help="stop another member seeing this member's positions: "
                                "hide bob --from alice")
    hide.add_argument("owner", metavar="MEMBER", help="whose positions")
    hide.add_argument("--from", dest="viewer", required=True, metavar="VIEWER",
                      help="who may no longer see them")
    hide.set_defaults(func=lambda args, ctx: visibility(args, ctx, visible=False))

    # The spelling before visibility had its own name; accepted until the next release.
    for verb, visible in (("share", True), ("unshare", False)):
        old = msub.add_parser(verb, parents=[common],
                              help=f"old spelling of `member {'show' if visible else 'hide'}`")
        old.add_argument("owner")
        old.add_argument("--with", dest="viewer", required=True, metavar="MEMBER")
        old.set_defaults(func=lambda args, ctx, verb=verb, visible=visible:
                         _old_spelling(args, ctx, verb, visible))


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


def visibility(args, ctx, *, visible: bool):
    with ctx.store.transaction() as conn:
        (accounts.show_to if visible else accounts.hide_from)(conn, args.owner, args.viewer)
    _broker_changed(ctx)
    print(f"{args.viewer} {'now sees' if visible else 'no longer sees'} {args.owner}'s positions")
    return 0


def _old_spelling(args, ctx, verb: str, visible: bool):
    new = (f"member show {args.owner} --to {args.viewer}" if visible
           else f"member hide {args.owner} --from {args.viewer}")
    print(f"selfdata: `member {verb}` is now `{new}`; the old spelling goes in the next "
          "release", file=sys.stderr)
    return visibility(args, ctx, visible=visible)


def _broker_changed(ctx):
    sync_broker_files(ctx.config, ctx.store.conn, reload=True)
