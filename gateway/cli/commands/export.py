"""`selfdata export --member NAME --format FORMAT [--from --to] [--out PATH]`."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from ... import accounts
from ...portability import archive, export
from ...queries.fixes import member_fixes
from ...queries.trips import trips
from ..common import parse_when
from ..context import UsageError, print_json

FIX_WRITERS = {"gpx": export.write_gpx, "geojson": export.write_geojson, "csv": export.write_csv}
FORMATS = (*FIX_WRITERS, "rec", "trips-csv", "trips-json", "archive")


def register(sub, common):
    p = sub.add_parser("export", parents=[common],
                       help="export a member's fixes, trips or full archive",
                       description="gpx, geojson, csv: fixes (to --out or standard output); "
                                   "rec: an OwnTracks Recorder store under --out DIR; "
                                   "trips-csv (one row per leg), trips-json; archive: "
                                   "everything, as a zip `selfdata import` restores.")
    p.add_argument("--member", required=True)
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--from", dest="start", metavar="DATE",
                   help="first day or time (household time zone), e.g. 2024-05-01")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day included, or a time")
    p.add_argument("--out", metavar="PATH", help="file or directory (default: standard output; "
                                                 "the archive defaults to selfdata-NAME-DATE.zip)")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(func=run)


def run(args, ctx) -> int:
    conn = ctx.store.conn
    member = accounts.get_member(conn, args.member)
    tz = ZoneInfo(ctx.config.gateway.timezone)
    start = parse_when(args.start, tz) if args.start else None
    end = parse_when(args.end, tz, end_of_day=True) if args.end else None
    if args.format == "archive":
        args.out = args.out or f"selfdata-{member.name}-{time.strftime('%Y%m%d')}.zip"
        out = Path(args.out)
        manifest = archive.write_archive(ctx.store, member.id, out, tz)
        result = {"format": "archive", "path": str(out), "counts": manifest["counts"]}
    elif args.format == "rec":
        if not args.out:
            raise UsageError("--format rec writes a directory tree: give --out DIR")
        n = export.write_rec(Path(args.out), member.name,
                             member_fixes(conn, member.id, start, end))
        result = {"format": "rec", "path": args.out, "fixes": n}
    else:
        n = _write_text(args, lambda out: _writer(args.format, conn, member.id, start, end,
                                                  tz)(out))
        result = {"format": args.format, "path": args.out or "-", "rows": n}
    if args.json:
        print_json(result)
    elif args.out:
        details = ", ".join(f"{k} {v}" for k, v in result.items() if k not in ("path", "format"))
        print(f"{result['path']}: written ({details})", file=sys.stderr)
    return 0


def _writer(fmt, conn, member_id, start, end, tz):
    if fmt in FIX_WRITERS:
        return lambda out: FIX_WRITERS[fmt](out, member_fixes(conn, member_id, start, end))
    rows = trips(conn, member_id, start, end)
    if fmt == "trips-csv":
        return lambda out: export.write_legs_csv(out, rows, tz)
    return lambda out: export.write_trips_json(out, rows)


def _write_text(args, write) -> int:
    if not args.out:
        return write(sys.stdout)
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        return write(out)
