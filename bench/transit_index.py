"""Memory and build time of a big feed's TransitIndex (carbon.transit), which the gateway
keeps for the service's life (gateway.trips.transit) on a 512 MB board: 600 synthetic
shapes of 1000 points each (a city's bus network with detailed shapes), random walks around
Helsinki. Traced by tracemalloc from before the shapes are read, so the coordinates the
index keeps count (the input lists are dropped after the build, as gtfs does).

Then the build's own peak from the same shapes as a feed's CSV text (carbon.gtfs, as the
gateway hands the stored feed over: traced from after the text is made, so the text itself
is not counted), and the gateway's `selfdata gtfs import` of them as a zip
(gateway.trips.transit.read_feed and the check build import_feed makes): neither has a
target in issue #9; the board has 512 MB.

    PYTHONPATH=$PWD python bench/transit_index.py [--shapes 600] [--points 1000]
"""
import argparse
import csv
import gc
import io
import os
import sys
import tempfile
import random
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from carbon.gtfs import build_transit_index  # noqa: E402
from carbon.transit import TransitIndex  # noqa: E402

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


def _feed(shapes: list) -> dict:
    """The shapes as a feed's reduced tables (CSV text, shapes.txt grouped by shape_id)."""
    def text(header, rows):
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return out.getvalue()
    return {"routes": text(("route_id", "route_type"), [("r", 3)]),
            "trips": text(("route_id", "trip_id", "shape_id"),
                          [("r", f"t{k}", f"s{k}") for k in range(len(shapes))]),
            "stops": text(("stop_id", "stop_lat", "stop_lon"),
                          [(f"p{k}", *pts[0]) for k, pts in enumerate(shapes)]),
            "shapes": text(("shape_id", "shape_pt_sequence", "shape_pt_lat", "shape_pt_lon"),
                           [(f"s{k}", n, f"{lat:.6f}", f"{lon:.6f}")
                            for k, pts in enumerate(shapes) for n, (lat, lon) in enumerate(pts)])}


def _peak(build) -> float:
    """tracemalloc's peak (MB) while `build()` runs, what it returns dropped after."""
    gc.collect()
    tracemalloc.start()
    result = build()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak / 1e6


def _zipped(feed: dict, folder: str) -> str:
    import zipfile
    path = os.path.join(folder, "feed.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in feed.items():
            zf.writestr(f"{name}.txt", body)
    return path


def _import(path: str):
    """What `selfdata gtfs import` does before storing: the zip reduced, the index built
    from the reduced tables as a check (gateway.trips.transit.import_feed)."""
    from gateway.trips.transit import read_feed
    feed = read_feed(path)
    build_transit_index(feed["routes"], feed["trips"], feed["stops"], feed["shapes"],
                        feed["stop_times"])
    return feed


def build_peaks(shapes: list) -> None:
    feed = _feed(shapes)
    mb = sum(map(len, feed.values())) / 1e6
    peak = _peak(lambda: build_transit_index(feed["routes"], feed["trips"], feed["stops"],
                                             feed["shapes"]))
    print(f"built from the feed's CSV text ({mb:.1f} MB, not counted): peak {peak:.1f} MB "
          f"(no target)")
    with tempfile.TemporaryDirectory() as folder:
        path = _zipped(feed, folder)
        del feed
        peak = _peak(lambda: _import(path))
    print(f"selfdata gtfs import of it as a zip (read_feed, then the check build): peak "
          f"{peak:.1f} MB (no target)")


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
    del index
    build_peaks(_shapes(args.shapes, args.points))


if __name__ == "__main__":
    main()
