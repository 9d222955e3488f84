"""`selfdata gtfs`: load a public-transport feed so buses, trams and trains are told from cars."""
from __future__ import annotations

import sys

from ... import accounts
from ...trips import pipeline
from ...trips.context import configure
from ...trips.transit import FeedError, feed_info, import_feed, remove_feed
from ..common import Progress
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("gtfs", parents=[common], help="import, show or remove a GTFS feed")
    sub2 = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = sub2.add_parser("import", parents=[common], help="load FEED.zip (replaces the feed)")
    imp.add_argument("feed", metavar="FEED.zip")
    imp.add_argument("--rebuild", action="store_true",
                     help="then recompute every member's trips with it")
    imp.set_defaults(func=run_import)
    show = sub2.add_parser("show", parents=[common], help="the feed in use")
    show.set_defaults(func=run_show)
    rm = sub2.add_parser("remove", parents=[common], help="stop using the feed")
    rm.set_defaults(func=run_remove)


def run_import(args, ctx):
    try:
        summary = import_feed(ctx.store, args.feed)
    except FeedError as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    print_json(summary)
    if args.rebuild:
        configure(ctx.store, ctx.config)
        for m in accounts.list_members(ctx.store.conn):
            progress = Progress(f"rebuilding {m.name}")
            pipeline.rebuild_member(ctx.store, m.id, progress)
            progress.close()
    else:
        print("new trips use it; `selfdata rebuild --all` applies it to the history",
              file=sys.stderr)
    return 0


def run_show(args, ctx):
    print_json(feed_info(ctx.store.conn))
    return 0


def run_remove(args, ctx):
    print("feed removed" if remove_feed(ctx.store) else "no feed was loaded", file=sys.stderr)
    return 0
