"""`selfdata link ...`: the city link (docs/city-link.md), thin over gateway.outbox.

    selfdata link enrol URL TOKEN --member NAME
    selfdata link studies [--member NAME]
    selfdata link join --member NAME [--study ID] [--commune] [--from YYYY-MM]
    selfdata link preview --member NAME --month YYYY-MM [--study ID] [--json]
    selfdata link send
    selfdata link ledger --member NAME [--json]
    selfdata link status [--member NAME] [--json]
    selfdata link leave --member NAME [--study ID] [--delete]
    selfdata link revoke --member NAME [--delete]
    selfdata link compare --member NAME [--json]
"""
from __future__ import annotations

import asyncio

from ... import accounts
from ...outbox import Outbox
from ...outbox import months
from ...queries import link as read
from ..common import member_id, zone
from ..context import UsageError, print_json
from .. import link_output as out


def register(sub, common):
    p = sub.add_parser("link", help="the city link: send opted-in monthly summaries to the "
                       "city's aggregator")
    lsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_, setup, func in _COMMANDS:
        q = lsub.add_parser(name, parents=[common], help=help_)
        setup(q)
        q.set_defaults(func=func)


def _member(q, required=True):
    q.add_argument("--member", metavar="NAME", required=required)
    q.add_argument("--aggregator", metavar="URL", help="when the member enrolled with several")


def _json(q):
    q.add_argument("--json", action="store_true", help="print JSON")


def _with_outbox(ctx, work):
    """Run `work(outbox)` on a fresh event loop, closing the outbox after."""
    async def main():
        outbox = Outbox(ctx.store, ctx.config)
        try:
            return await work(outbox)
        finally:
            await outbox.close()
    return asyncio.run(main())


def _month(text: str) -> str:
    try:
        return months.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# ----- commands

def enrol(args, ctx):
    mid = member_id(ctx, args.member)
    done = _with_outbox(ctx, lambda o: o.enrol(mid, args.url, args.token))
    print(f"{args.member} enrolled with {done['aggregator']} as {done['pseudonym']}")
    print("studies: " + (", ".join(done["studies"]) or "none published yet"))
    print(f"next: selfdata link join --member {args.member} [--study ID] [--commune]")
    return 0


def studies(args, ctx):
    mid = member_id(ctx, args.member) if args.member else None
    found = _with_outbox(ctx, lambda o: o.studies(mid, args.aggregator))
    if args.json:
        print_json(found)
    else:
        out.studies(found)
    return 0


def join(args, ctx):
    mid = member_id(ctx, args.member)
    first = _month(args.from_month) if args.from_month else None
    done = _with_outbox(ctx, lambda o: o.join(mid, args.study, commune=args.commune,
                                              from_month=first, aggregator=args.aggregator,
                                              lang=args.lang))
    if args.json:
        print_json(done)
        return 0
    print(f"{args.member} joined {done['study']} ({done['title']}) from {done['from_month']}"
          + (", with the commune of home" if done["commune"] else ", without the commune"))
    print(f"what {done['from_month']} sends (stop any time: selfdata link leave --member "
          f"{args.member} [--delete]):")
    out.preview_item(done["preview"])
    return 0


def preview(args, ctx):
    mid = member_id(ctx, args.member)
    commune = {"yes": True, "no": False}.get(args.commune)
    shown = _with_outbox(ctx, lambda o: o.preview(mid, _month(args.month), study_id=args.study,
                                                  commune=commune, aggregator=args.aggregator,
                                                  lang=args.lang))
    if args.json:
        print_json(shown)
    elif not shown["studies"]:
        print(f"{args.member} has joined no study: nothing is sent "
              f"(see one with --study ID, e.g. --study carbon-monthly)")
    else:
        for item in shown["studies"]:
            out.preview_item(item)
    return 0


def send(args, ctx):
    done = _with_outbox(ctx, lambda o: o.send_due(at_once=args.now))
    names = {m.id: m.name for m in accounts.list_members(ctx.store.conn)}
    if args.json:
        print_json(done)
        return 0
    out.send_report(done, names, zone(ctx))
    return 0


def ledger(args, ctx):
    rows = read.ledger(ctx.store.conn, member_id(ctx, args.member))
    if args.json:
        print_json(rows)
    else:
        out.ledger(rows, zone(ctx), args.member)
    return 0


def status(args, ctx):
    mid = member_id(ctx, args.member) if args.member else None
    links = read.status(ctx.store.conn, mid)
    if args.json:
        print_json(links)
    else:
        out.status(links, zone(ctx))
    return 0


def leave(args, ctx):
    mid = member_id(ctx, args.member)
    done = _with_outbox(ctx, lambda o: o.leave(mid, args.study, delete=args.delete,
                                               aggregator=args.aggregator))
    if args.json:
        print_json(done)
        return 0
    left = ", ".join(done["left"]) or "no study"
    print(f"{args.member} left {left}; {done['cancelled']} waiting summaries will not be sent")
    if args.delete:
        out.control("deletion of what was sent", done["deletion"])
    return 0


def revoke(args, ctx):
    mid = member_id(ctx, args.member)
    done = _with_outbox(ctx, lambda o: o.revoke(mid, delete=args.delete, aggregator=args.aggregator))
    if args.json:
        print_json(done)
        return 0
    print(f"{args.member}'s link to {done['aggregator']} ends; left "
          f"{', '.join(done['left']) or 'no study'}")
    out.control("revocation" + (" with deletion" if args.delete else ""), done["revocation"])
    return 0


def compare(args, ctx):
    mid = member_id(ctx, args.member)
    found = _with_outbox(ctx, lambda o: o.compare(mid, args.aggregator))
    if args.json:
        print_json(found)
    else:
        out.comparison(found)
    return 0


def _setup_enrol(q):
    q.add_argument("url", help="the aggregator's address, e.g. https://carbone.larochelle.fr")
    q.add_argument("token", help="the member's own one-time enrolment token")
    q.add_argument("--member", metavar="NAME", required=True)


def _setup_join(q):
    _member(q)
    q.add_argument("--study", metavar="ID", help="default: the standing monthly carbon summary")
    q.add_argument("--commune", action="store_true", help="also send the commune of home")
    q.add_argument("--from", dest="from_month", metavar="YYYY-MM",
                   help="first month to send (default: the last month that ended)")
    q.add_argument("--lang", choices=("en", "fr"), default="en")
    _json(q)


def _setup_preview(q):
    _member(q)
    q.add_argument("--month", required=True, metavar="YYYY-MM")
    q.add_argument("--study", metavar="ID", help="one study, joined or not")
    q.add_argument("--commune", choices=("yes", "no"), help="show the effect of ticking it")
    q.add_argument("--lang", choices=("en", "fr"), default="en")
    _json(q)


def _setup_leave(q):
    _member(q)
    q.add_argument("--study", metavar="ID", help="one study (default: all)")
    q.add_argument("--delete", action="store_true",
                   help="also ask the city to delete what was sent (a signed request)")
    _json(q)


def _setup_revoke(q):
    _member(q)
    q.add_argument("--delete", action="store_true", help="delete everything sent first")
    _json(q)


def _setup_send(q):
    q.add_argument("--now", action="store_true",
                   help="do not wait for each message's random moment (members then arrive "
                        "at the city together)")
    _json(q)


def _setup_member_json(q):
    _member(q)
    _json(q)


def _setup_optional_member(q):
    _member(q, required=False)
    _json(q)


_COMMANDS = [
    ("enrol", "enrol a member with the city's aggregator (their own token)", _setup_enrol, enrol),
    ("studies", "the studies the aggregator publishes", _setup_optional_member, studies),
    ("join", "join a study: its months are sent once over", _setup_join, join),
    ("preview", "exactly what a month would send, as JSON and in words", _setup_preview, preview),
    ("send", "send what is due now (the service does it by itself)", _setup_send, send),
    ("ledger", "what was sent when, with the city's receipts", _setup_member_json, ledger),
    ("status", "links, studies joined, what waits and why", _setup_optional_member, status),
    ("leave", "leave a study (or all), optionally deleting what was sent", _setup_leave, leave),
    ("revoke", "end the link: revoke the member's key", _setup_revoke, revoke),
    ("compare", "households like yours: the commune's published figures beside yours",
     _setup_member_json, compare),
]

