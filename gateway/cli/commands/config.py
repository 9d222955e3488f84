"""`selfdata config`: the effective configuration and where it came from."""
from __future__ import annotations

from ..context import print_json


def register(sub, common):
    p = sub.add_parser("config", parents=[common],
                       help="print the effective configuration (defaults, file, environment)")
    p.set_defaults(func=run)


def run(args, ctx):
    print(f"# from {ctx.config.source}")
    print_json(ctx.config.as_dict())
    return 0
