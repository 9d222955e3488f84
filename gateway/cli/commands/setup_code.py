"""`selfdata setup-code`: the code that first-run setup asks for, while no member exists."""
from __future__ import annotations

from ... import accounts
from ...accounts import first_run


def register(sub, common):
    p = sub.add_parser("setup-code", parents=[common],
                       help="show the first-run setup code (until the first member exists)")
    p.set_defaults(func=run)


def run(args, ctx):
    code = accounts.ensure_setup_code(ctx.config, ctx.store.conn)
    if code is None:
        print("this box is set up already: members log in at "
              f"{ctx.config.public_url}/login (`selfdata member passwd NAME` resets a password)")
        return 1
    print(first_run.display(code))
    print(f"open {ctx.config.public_url}/setup and enter it to create the first member",
          flush=True)
    return 0
