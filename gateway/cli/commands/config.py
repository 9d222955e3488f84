"""`selfdata config`: the effective configuration and where it came from."""
from __future__ import annotations

from ...config import to_toml
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("config", parents=[common],
                       help="print the effective configuration (defaults, file, environment)")
    p.add_argument("--json", action="store_true", help="as JSON instead of TOML")
    p.set_defaults(func=run)


def run(args, ctx):
    if args.json:
        print_json({"source": ctx.config.source, **ctx.config.as_dict()})
        return 0
    # The same form as the file: a line of it can be copied into gateway.toml.
    print(f"# the effective configuration, from {ctx.config.source}")
    print(to_toml(ctx.config.as_dict()), end="")
    return 0
