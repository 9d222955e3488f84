"""`selfdata backup`: the database (an online copy, safe while the gateway runs), the
configuration, keys, broker accounts and certificates, in one file."""
from __future__ import annotations

from ... import backup
from ..context import UsageError, print_json


def register(sub, common):
    p = sub.add_parser("backup", parents=[common],
                       help="write a backup file (safe while the gateway runs)")
    p.add_argument("--to", metavar="DIR|FILE",
                   help="a folder (a USB stick: the file gets a dated name) or a .tar.gz path "
                        "(default: [backup] dir, else <data_dir>/backups)")
    p.add_argument("--keep-days", type=int, metavar="N",
                   help="delete the folder's backups older than N days (default: [backup] "
                        "keep_days; 0 keeps all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args, ctx):
    try:
        made = backup.create(ctx.config, args.to, keep_days=args.keep_days)
    except backup.BackupError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print_json({"path": str(made.path), "size": made.size, "files": made.files,
                    "fixes": made.fixes, "schema": made.schema,
                    "deleted": [str(p) for p in made.deleted]})
    else:
        print(f"backup written: {made.path} ({made.size / 1e6:.1f} MB, {made.fixes} fixes, "
              f"{made.files} files, schema {made.schema}, {made.seconds:.1f} s)")
        for path in made.deleted:
            print(f"deleted old backup: {path}")
    return 0
