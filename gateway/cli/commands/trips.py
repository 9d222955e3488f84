"""`selfdata trips`: a member's trips with their legs, modes and CO2e."""
from __future__ import annotations

import json
import sys
from datetime import datetime

from ...portability.encoders import CsvEncoder
from ...queries.trips import trip_list, trips_computed
from ..common import day_bounds, member_id, zone

CSV_HEADER = ("trip_start_ts", "trip_end_ts", "trip_start", "purpose", "trip_distance_m",
              "trip_co2_g", "leg_start_ts", "leg_end_ts", "leg_start", "mode", "leg_distance_m",
              "leg_co2_g", "corrected", "factor_version")


def register(sub, common):
    p = sub.add_parser("trips", parents=[common], help="list a member's trips, legs and CO2e")
    p.add_argument("--member", metavar="NAME", required=True)
    p.add_argument("--from", dest="first", metavar="DATE", help="first local day (YYYY-MM-DD)")
    p.add_argument("--to", dest="last", metavar="DATE", help="last local day, included")
    p.add_argument("--format", choices=("json", "csv", "table"), default="table")
    p.set_defaults(func=run)


def run(args, ctx):
    tz = zone(ctx)
    lo, hi = day_bounds(args.first, args.last, tz)
    member = member_id(ctx, args.member)
    trips = trip_list(ctx.store.conn, member, lo, hi)
    if not trips and not trips_computed(ctx.store.conn, member):
        print(f"trips were never computed for {args.member}: selfdata rebuild --member "
              f"{args.member}", file=sys.stderr)
    if args.format == "json":
        json.dump(trips, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "csv":
        write_csv(sys.stdout, trips, tz)
    else:
        write_table(sys.stdout, trips, tz)
    return 0


def _local(ts: int, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, tz).strftime(fmt)


def write_csv(out, trips: list, tz) -> None:
    """One row per leg, each carrying its trip's columns (opens in a spreadsheet)."""
    stamp = "%Y-%m-%dT%H:%M:%S%z"

    def row(item) -> list:
        t, g = item
        return [t["start_ts"], t["end_ts"], _local(t["start_ts"], tz, stamp), t["purpose"] or "",
                t["distance_m"], _num(t["co2_g"]), g["start_ts"], g["end_ts"],
                _local(g["start_ts"], tz, stamp), g["mode"], g["distance_m"], _num(g["co2_g"]),
                int(g["corrected"]), g["factor_version"] or ""]
    CsvEncoder(CSV_HEADER, row).write(out, ((t, g) for t in trips for g in t["legs"]))


def _num(value) -> str:
    return "" if value is None else value


def write_table(out, trips: list, tz) -> None:
    if not trips:
        print("no trips in this period", file=out)
        return
    day = None
    for t in trips:
        d = _local(t["start_ts"], tz, "%A %Y-%m-%d")
        if d != day:
            print(d, file=out)
            day = d
        legs = ", ".join(f"{g['mode']}{'*' if g['corrected'] else ''} {g['distance_m'] / 1000:.1f} km"
                         for g in t["legs"])
        co2 = "" if t["co2_g"] is None else f"{t['co2_g']:.0f} g CO2e"
        print(f"  {_local(t['start_ts'], tz, '%H:%M')}-{_local(t['end_ts'], tz, '%H:%M')}  "
              f"{(t['purpose'] or '-'):<8} {t['distance_m'] / 1000:6.1f} km  {co2:>14}  {legs}",
              file=out)
    print("(* corrected by you)", file=out)
