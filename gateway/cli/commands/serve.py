"""`selfdata serve`: run the gateway until SIGTERM or Ctrl-C."""
from __future__ import annotations

import asyncio

from ...service import Gateway


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
    asyncio.run(Gateway(ctx.config, web_app=ctx.require_web_app()).run_until_signalled())
    return 0
