"""Write the scenario suite (simulation/scenarios.py) as the shared scorers read it.

usage: python bench/scenarios.py OUT_DIR [--families a,b] [--regimes 1s,dense] [--seeds N]

OUT_DIR/<family>/<family>_<regime>_<seed>/{points.csv,truth.json}: one folder per family,
so each family is scored on its own (`python bench/trips.py` does this for you, then
scores them). Prints how many days and fixes each family got.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simulation.phones import REGIMES  # noqa: E402
from simulation.scenarios import FAMILIES, scenario_days, write_day  # noqa: E402

DEFAULT_SEEDS = 2


def write_suite(root: str, families=None, regimes=None, seeds: int = DEFAULT_SEEDS,
                vel: bool = False) -> dict:
    """{family: its folder}; every family x regime x seed day written under it (`vel`: with
    the phones' Doppler speeds, see simulation.scenarios.write_day)."""
    folders = {}
    for day in scenario_days(families, regimes, seeds):
        folder = folders.setdefault(day.family, os.path.join(root, day.family))
        write_day(day, folder, vel)
    return folders


def _list(value: str | None, known) -> list | None:
    if not value:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--families")
    ap.add_argument("--regimes")
    ap.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    args = ap.parse_args(argv)
    folders = write_suite(args.out, _list(args.families, FAMILIES), _list(args.regimes, REGIMES),
                          args.seeds)
    for family, folder in folders.items():
        days = sorted(os.listdir(folder))
        fixes = sum(sum(1 for _ in open(os.path.join(folder, d, "points.csv"))) - 1 for d in days)
        print(f"{family:16s} {len(days):3d} days {fixes:8,d} fixes  {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
