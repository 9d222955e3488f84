"""`selfdata compact`: an older box's database rewritten with the small pages new boxes have
(fewer bytes written to the SD card by every commit: docs/operations.md, "Wear"). An
administrator's command: the gateway must be stopped."""
from __future__ import annotations

from ...backup.lock import Busy, DataDirLock
from ...store import pages
from ..context import UsageError


def register(sub, common):
    p = sub.add_parser("compact", parents=[common],
                       help="rewrite the database with 1 kB pages (stop the gateway first)")
    p.set_defaults(func=run)


def run(args, ctx):
    db = ctx.config.db_path
    if not db.exists():
        raise UsageError(f"no database at {db}")
    try:
        lock = DataDirLock(ctx.config.data_dir, "selfdata compact").acquire()
    except Busy as exc:
        raise UsageError(f"{exc}: stop the gateway first (sudo systemctl stop "
                         "selfdata-gateway)") from None
    try:
        done = pages.convert(db)
    except pages.PagesError as exc:
        raise UsageError(str(exc)) from None
    finally:
        lock.release()
    if done.before == done.after:
        print(f"{db} already has {done.after}-byte pages: nothing to do")
    else:
        print(f"{db}: pages of {done.before} bytes rewritten as {done.after} "
              f"({done.size_before / 1e6:.1f} MB -> {done.size_after / 1e6:.1f} MB)")
    return 0
