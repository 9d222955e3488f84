"""The same movement seen by every phone: is the engine independent of the sampling?

usage: python bench/sampling.py [--families a,b] [--regimes a,b] [--seeds N]

`bench/trips.py` scores each regime on days of its own (each family x regime x seed draws
its own day), so its 1 s and dense cells differ by the days as well as by the sampling.
Here each family's day is drawn once per seed (its 1 s day of bench/trips.py) and observed
by each regime's phone (simulation/phones.py), then scored by mode_confusion.py (fine
accuracy by time share): a cell that differs from its row's others is the sampling alone.
"""
import argparse
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scoring import mode_confusion  # noqa: E402
from simulation import scenarios as sc  # noqa: E402
from simulation.itinerary import Itinerary  # noqa: E402
from simulation.phones import REGIMES, observe  # noqa: E402
from trips import predict_all  # noqa: E402


def observed_day(family: str, regime: str, seed: int) -> sc.Day:
    """The movement of `make_day(family, "1s", seed)`, reported by a `regime` phone."""
    rng = random.Random(f"{family}/1s/{seed}")
    it = Itinerary(sc.ORIGIN, int(sc.FIRST_DAY.timestamp()) + 86400 * (seed % 28))
    it.feed_rng = random.Random(f"{family}/1s/{seed}/feed")
    it.tram_rng = random.Random(f"{family}/1s/{seed}/tram")
    sc.FAMILIES[family](it, rng)
    seen = random.Random(f"{family}/{regime}/{seed}/observed")
    tunnel = seen.choice(("silent", "network"))
    fixes = observe(it.samples, REGIMES[regime], sc.ORIGIN, seen, tunnel=tunnel)
    name = f"{family}_{regime}_{seed}"
    return sc.Day(name, family, regime, fixes, it.truth(name, sc.TZ), it.lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default=",".join(sc.FAMILIES))
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    regimes = args.regimes.split(",")
    print(f"{'family':18s}" + "".join(f"{r:>12s}" for r in regimes))
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families.split(","):
            cells = []
            for regime in regimes:
                truth = os.path.join(tmp, family, regime)
                pred = os.path.join(tmp, family, regime + "-pred")
                os.makedirs(pred)
                for seed in range(args.seeds):
                    sc.write_day(observed_day(family, regime, seed), truth)
                predict_all(truth, pred)
                cells.append(mode_confusion(truth, pred).get("fine_acc", float("nan")))
            print(f"{family:18s}" + "".join(f"{c:12.3f}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
