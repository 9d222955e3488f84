"""`selfdata doctor`: check the box and explain what is wrong."""
from __future__ import annotations

import dataclasses

from ...doctor import FAIL, run_checks
from ..context import print_json

MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


def register(sub, common):
    p = sub.add_parser("doctor", parents=[common], help="check the box and say what is wrong")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args, ctx):
    checks = run_checks(ctx.config)
    if args.json:
        print_json([dataclasses.asdict(c) for c in checks])
    else:
        for c in checks:
            print(f"{MARKS[c.status]} {c.name}: {c.summary}")
            if c.advice:
                print(f"    → {c.advice}")
    return 1 if any(c.status == FAIL for c in checks) else 0
