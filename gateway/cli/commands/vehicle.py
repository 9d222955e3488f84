"""`selfdata vehicle`: the member's car, occupancy and the vehicles they use."""
from __future__ import annotations

import sys

from carbon.factors import CAR_FUELS, CAR_SIZES, TRAIN_KINDS

from carbon.modes import MODES

from ...trips import decisions, pipeline
from ...trips.context import vehicle_settings
from ..common import Progress, member_id
from ..context import print_json


def register(sub, common):
    p = sub.add_parser("vehicle", parents=[common],
                       help="show or set a member's vehicle settings (footprints follow)")
    p.add_argument("--member", metavar="NAME", required=True)
    p.add_argument("--fuel", choices=CAR_FUELS)
    p.add_argument("--size", choices=CAR_SIZES)
    p.add_argument("--occupancy", type=float, help="people usually in the member's car")
    p.add_argument("--carpool-occupancy", type=float, help="people aboard when carpooling")
    p.add_argument("--motorcycle", choices=("light", "large"))
    p.add_argument("--train-type", choices=TRAIN_KINDS,
                   help="the line the member takes (ter, intercites, tgv, rer), for train "
                        "legs whose own speed and stops cannot tell")
    p.add_argument("--owns", metavar="MODES",
                   help="comma-separated vehicles the member uses, e.g. e-bike,car "
                        "('' for none); changes detection, so trips are rebuilt")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args, ctx):
    member = member_id(ctx, args.member)
    values = {"car_fuel": args.fuel, "car_size": args.size, "car_occupancy": args.occupancy,
              "carpool_occupancy": args.carpool_occupancy, "motorcycle_kind": args.motorcycle,
              "train_type": args.train_type}
    if args.owns is not None:
        owns = [m.strip() for m in args.owns.split(",") if m.strip()]
        bad = [m for m in owns if m not in MODES]
        if bad:
            print(f"selfdata: unknown mode {', '.join(bad)}", file=sys.stderr)
            return 1
        values["owns"] = owns
    if all(v is None for v in values.values()):
        _show(args, vehicle_settings(ctx.store.conn, member))
        return 0
    try:
        done = decisions.set_vehicle(ctx.store, member, **values)
    except ValueError as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    if done["needs_rebuild"]:
        progress = Progress(f"rebuilding {args.member}")
        pipeline.rebuild_member(ctx.store, member, progress)
        progress.close()
    _show(args, done["vehicle"])
    return 0


LABELS = {"car_fuel": "car fuel", "car_size": "car size", "car_occupancy": "people in the car",
          "carpool_occupancy": "people when carpooling", "motorcycle_kind": "motorcycle",
          "owns": "vehicles used"}


def _show(args, vehicle: dict) -> None:
    if args.json:
        print_json(vehicle)
        return
    if not vehicle:
        print(f"{args.member}: no vehicle settings; footprints use the factor table's "
              "averages (--fuel, --size... set them)")
        return
    print(f"{args.member}'s vehicles (footprints use them):")
    for key, value in vehicle.items():
        shown = (", ".join(value) or "none") if isinstance(value, list) else value
        print(f"  {LABELS.get(key, key):<24} {shown}")
