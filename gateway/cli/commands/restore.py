"""`selfdata restore FILE`: the whole box back from a backup (an administrator's command:
the gateway must be stopped)."""
from __future__ import annotations

from ...backup.archive import BackupError
from ...backup.restore import restore
from ..context import UsageError


def register(sub, common):
    p = sub.add_parser("restore", parents=[common],
                       help="replace this box's data with a backup (stop the gateway first)")
    p.add_argument("file", metavar="FILE", help="a file written by `selfdata backup`")
    p.add_argument("--with-config", action="store_true",
                   help="also put the backup's gateway.toml in place of the current one "
                        "(kept as .before-restore)")
    p.set_defaults(func=run)


def run(args, ctx):
    try:
        done = restore(ctx.config, args.file, with_config=args.with_config)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    m = done.manifest
    print(f"restored {args.file}: {m['fixes']} fixes from {m.get('hostname')} of {m['created']} "
          f"(selfdata {m.get('gateway_version')}, schema {m['schema']})")
    if done.migrated:
        print(f"migrated forward: {', '.join(done.migrated)}")
    if done.saved_as:
        print(f"the data it replaced is saved in {done.saved_as}")
    if done.config_written:
        print(f"configuration written to {done.config_written}")
    print("start the gateway again: sudo systemctl start selfdata-gateway")
    return 0
