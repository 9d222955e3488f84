"""`selfdata import FILE... --member NAME [--device NAME] [--json]`."""
from __future__ import annotations

import sys

from ...portability import importing
from ...portability.reports import ImportReport, Progress
from ..context import print_json


def register(sub, common):
    p = sub.add_parser(
        "import", parents=[common],
        help="import location history files (Google Takeout or phone Timeline, GPX, KML, "
             "GeoJSON, CSV, an OwnTracks Recorder store, a selfdata archive)",
        description="The format is recognised from the content. Zip archives (a whole "
                    "Google Takeout), gzip files and directories are accepted. Running the "
                    "same import again adds nothing.")
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--member", required=True)
    p.add_argument("--device", help="the device the fixes belong to (created if needed; "
                                    "default: 'import', or each Recorder device's own name)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def progress_bar(stream=sys.stderr):
    """A one-line bar with rate and ETA, redrawn in place (only used on a terminal)."""
    def show(p: Progress) -> None:
        done = p.bytes_done / p.bytes_total if p.bytes_total else 0.0
        width = 30
        filled = int(done * width)
        if p.phase == "trips":
            stream.write(f"\rtrips [{'#' * filled}{'.' * (width - filled)}] {done:4.0%}   ")
        else:
            eta = f"{p.eta:5.0f} s left" if p.eta is not None else ""
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:4.0%} "
                         f"{p.rate / 1e6:6.1f} MB/s {eta}  {p.fixes:,} fixes   ")
        stream.flush()
    return show


def run(args, ctx) -> int:
    store = ctx.store
    created = importing.prepare_member(store, args.member, args.paths)
    tty = sys.stderr.isatty() and not args.json
    try:
        importer = importing.Importer(store, args.member, device=args.device,
                                      progress=progress_bar() if tty else None)
        report = importer.run(args.paths)
    except FileNotFoundError as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    finally:
        if tty:
            sys.stderr.write("\n")
    if args.json:
        print_json({**report.as_dict(), "member_created": created})
    else:
        print_summary(report, created)
    return 0 if report.ok else 1


def print_summary(report: ImportReport, member_created: bool) -> None:
    if member_created:
        print(f"member {report.member} created (no password yet: selfdata member passwd "
              f"{report.member})")
    for name in report.devices_created:
        print(f"device {report.member}/{name} created for imported fixes")
    for f in report.files:
        if f.refused:
            label = "skipped" if f.skipped else "REFUSED"
            print(f"{f.name}: {label}: {f.refused}")
            continue
        line = (f"{f.name} ({f.kind}): {f.fixes:,} fixes imported, {f.duplicates:,} duplicates "
                f"skipped")
        if f.segments:
            line += f", {f.segments:,} visits/activities"
        if f.events:
            line += f", {f.events:,} events"
        print(line)
        for reason, count in f.rejected.most_common():
            print(f"    {count:,} rejected: {reason} (e.g. {', '.join(f.examples[reason])})")
        if f.stopped:
            print(f"    INCOMPLETE: {f.stopped}")
    if report.restored:
        print("restored: " + ", ".join(f"{k} {v:,}" for k, v in report.restored.items()))
    t = report.totals()
    print(f"total: {t['fixes_imported']:,} fixes imported, {t['duplicates_skipped']:,} "
          f"duplicates skipped, {t['rejected']:,} rejected in {report.elapsed:.1f} s")
    if report.pipeline:
        print(report.pipeline)
