"""`selfdata upgrade WHEEL`: install a newer gateway, rolling back if it does not answer."""
from __future__ import annotations

import sys

from ...backup import upgrade as up
from ..context import UsageError


def register(sub, common):
    p = sub.add_parser("upgrade", parents=[common],
                       help="install a newer gateway wheel (backup first, rollback if unhealthy)")
    p.add_argument("wheel", metavar="WHEEL", help="selfdata_gateway-<version>-py3-none-any.whl")
    p.add_argument("--stop-command", default=up.Service.stop,
                   help=f"how the service is stopped (default: {up.Service.stop})")
    p.add_argument("--start-command", default=up.Service.start,
                   help=f"how it is started (default: {up.Service.start})")
    p.add_argument("--health-url", help="what must answer ok with the new version "
                                        "(default: http://127.0.0.1:<[web] port>/healthz)")
    p.add_argument("--timeout", type=float, default=90.0, metavar="S",
                   help="how long the new version has to answer (default 90 s)")
    p.set_defaults(func=run)


def run(args, ctx):
    url = args.health_url or f"http://127.0.0.1:{ctx.config.web.port}/healthz"
    service = up.Service(args.stop_command, args.start_command, url, args.timeout)
    try:
        done = up.upgrade(ctx.config, args.wheel, service)
    except up.UpgradeError as exc:
        raise UsageError(str(exc)) from None
    for step in done.steps:
        print(f"  {step}")
    if done.rolled_back:
        print(f"selfdata: {done.new_version} did not work ({done.reason}); rolled back to "
              f"{done.old_version}, database as of {done.backup}", file=sys.stderr)
        return 3
    print(f"upgraded {done.old_version} -> {done.new_version} (backup: {done.backup})")
    return 0
