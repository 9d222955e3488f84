"""`selfdata serve`: run the gateway until SIGTERM or Ctrl-C."""
from __future__ import annotations

import asyncio

from ...backup.lock import Busy, DataDirLock
from ...service import Gateway
from ..context import UsageError


def register(sub, common):
    p = sub.add_parser("serve", parents=[common], help="run the gateway")
    p.add_argument("--port", type=int, help="web server port (overrides [web] port)")
    p.add_argument("--host", help="web server address (overrides [web] host)")
    p.add_argument("--run-broker", action="store_true",
                   help="run mosquitto as a child process from the generated files")
    p.set_defaults(func=run)


def run(args, ctx):
    if args.host:
        ctx.config.web.host = args.host
    if args.port is not None:
        ctx.config.web.port = args.port
    if args.run_broker:
        ctx.config.mqtt.run_broker = True
    web_app = ctx.require_web_app()
    try:   # one gateway per data directory, and none while a restore replaces it
        lock = DataDirLock(ctx.config.data_dir, "selfdata serve").acquire()
    except Busy as exc:
        raise UsageError(f"cannot start: {exc}") from None
    try:
        asyncio.run(Gateway(ctx.config, web_app=web_app).run_until_signalled())
    finally:
        lock.release()
    return 0
