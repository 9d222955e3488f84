"""`selfdata demo`: start the gateway on a demo household (no hardware, no config)."""
from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from datetime import date
from pathlib import Path

from ... import demo
from ...service import Gateway


def register(sub, common):
    p = sub.add_parser("demo", parents=[common],
                       help="run the gateway on a simulated household in a temporary data dir")
    p.add_argument("--port", type=int, default=8080, help="web port (default 8080)")
    p.add_argument("--keep", action="store_true", help="keep the data dir on exit")
    p.add_argument("--duration", type=float, default=0,
                   help="stop by itself after this many seconds (0: run until Ctrl-C)")
    p.set_defaults(func=run)


def run(args, ctx):
    web_app = ctx.require_web_app()
    data_dir = Path(args.data_dir) if args.data_dir else None
    config = demo.prepare_config(ctx.config, data_dir, args.port)
    today = date.today()
    print("preparing the demo household (three weeks of simulated history)...",
          file=sys.stderr)
    secrets = demo.create_household(config, today)
    try:
        asyncio.run(_serve(config, web_app, secrets, today, args.duration,
                           temporary=data_dir is None and not args.keep))
    finally:
        if not args.keep and data_dir is None:
            shutil.rmtree(config.data_dir, ignore_errors=True)
    return 0


async def _serve(config, web_app, secrets, today, duration, *, temporary):
    gw = Gateway(config, web_app=web_app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await gw.start()
    after_start = getattr(demo, "after_start", None)
    if after_start is not None:
        await after_start(gw)
    print(demo.banner(gw, temporary=temporary), flush=True)
    phones = asyncio.create_task(demo.live_phones(gw, secrets, today))
    try:
        if duration:
            await asyncio.wait_for(stop.wait(), duration)
        else:
            await stop.wait()
    except TimeoutError:
        pass
    finally:
        phones.cancel()
        await asyncio.gather(phones, return_exceptions=True)
        await gw.stop()
