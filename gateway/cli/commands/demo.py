"""`selfdata demo`: start the gateway on a demo household (no hardware, no config)."""
from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ... import demo
from ...service import Gateway
from ..common import parse_when
from ..context import UsageError


def register(sub, common):
    p = sub.add_parser("demo", parents=[common],
                       help="run the gateway on a simulated household in a temporary data dir")
    p.add_argument("--port", type=int, default=8080, help="web port (default 8080)")
    p.add_argument("--mqtt-port", type=int, default=0,
                   help="port of the demo's own mosquitto (default: a free one)")
    p.add_argument("--keep", action="store_true", help="keep the data dir on exit")
    p.add_argument("--duration", type=float, default=0,
                   help="stop by itself after this many seconds (0: run until Ctrl-C)")
    p.add_argument("--replay-from", metavar="[DATE ]HH:MM",
                   help="make this moment of a simulated day (local time, e.g. 2026-03-02T08:20 "
                        "or 17:50) happen now; default: the simulated day runs on the clock")
    p.set_defaults(func=run)


def run(args, ctx):
    replay_from = _replay_from(args.replay_from, ctx.config)   # a typo fails before anything
    web_app = ctx.require_web_app()
    data_dir = Path(args.data_dir) if args.data_dir else None
    if data_dir and (data_dir / "selfdata.db").exists():
        raise UsageError(f"{data_dir} already holds a box: give the demo an empty --data-dir")
    config = demo.prepare_config(ctx.config, data_dir, args.port, args.mqtt_port)
    clock = demo.DemoClock(replay_from, config.gateway.timezone)
    print(f"preparing the demo household ({demo.HISTORY_DAYS} days of simulated history)...",
          file=sys.stderr)
    secrets, feeds = demo.create_household(config, clock)
    demo.write_config(config)
    temporary = data_dir is None and not args.keep
    try:
        asyncio.run(_serve(config, web_app, secrets, feeds, clock, args.duration,
                           temporary=temporary))
    finally:
        if temporary:
            shutil.rmtree(config.data_dir, ignore_errors=True)
    return 0


async def _serve(config, web_app, secrets, feeds, clock, duration, *, temporary):
    gw = Gateway(config, web_app=web_app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await gw.start()
    await demo.after_start(gw)
    print(demo.banner(gw, secrets, clock, temporary=temporary), flush=True)
    phones = asyncio.create_task(demo.live_phones(gw, secrets, feeds, clock))
    try:
        await asyncio.wait_for(stop.wait(), duration or None)
    except TimeoutError:
        pass
    finally:
        phones.cancel()
        await asyncio.gather(phones, return_exceptions=True)
        await gw.stop()


def _replay_from(text: str | None, config) -> datetime | None:
    if not text:
        return None
    tz = ZoneInfo(config.gateway.timezone)
    return datetime.fromtimestamp(parse_when(text, tz), tz)
