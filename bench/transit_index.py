"""Memory and build time of a big feed's TransitIndex (carbon.transit), which the gateway
keeps for the service's life (gateway.trips.transit) on a 512 MB board: 600 synthetic
shapes of 1000 points each (a city's bus network with detailed shapes), random walks around
Helsinki. Traced by tracemalloc from before the shapes are read, so the coordinates the
index keeps count (the input lists are dropped after the build, as gtfs does).

    PYTHONPATH=$PWD python bench/transit_index.py [--shapes 600] [--points 1000]
"""
import argparse
import gc
import random
import time
import tracemalloc

from carbon.transit import TransitIndex

TARGET_MB = 60.0      # for 600 x 1000: a tenth of the board's memory at most


def _shapes(n: int, points: int) -> list:
    rng = random.Random(0)
    shapes = []
    for _ in range(n):
        lat, lon = 60.1 + rng.random() * 0.2, 24.8 + rng.random() * 0.3
        pts = []
        for _ in range(points):
            lat += rng.gauss(0, 0.0002)
            lon += rng.gauss(0, 0.0004)
            pts.append((lat, lon))
        shapes.append(pts)
    return shapes


def _build(shapes: list) -> TransitIndex:
    index = TransitIndex()
    for pts in shapes:
        index.add_shape("bus", pts, 3)
    return index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", type=int, default=600)
    ap.add_argument("--points", type=int, default=1000)
    args = ap.parse_args()
    shapes = _shapes(args.shapes, args.points)
    t0 = time.perf_counter()
    _build(shapes)
    built_s = time.perf_counter() - t0
    del shapes
    gc.collect()
    tracemalloc.start()
    shapes = _shapes(args.shapes, args.points)
    index = _build(shapes)
    del shapes
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    target = TARGET_MB * args.shapes * args.points / 600_000
    verdict = "met" if held / 1e6 <= target else "MISSED"
    print(f"{args.shapes} shapes x {args.points} points: index {held / 1e6:.1f} MB held "
          f"(target <= {target:.0f} MB {verdict}), peak {peak / 1e6:.1f} MB while built; "
          f"built in {built_s:.2f} s")
    assert index.segments


if __name__ == "__main__":
    main()
