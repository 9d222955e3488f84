"""shapes.txt read a shape at a time (carbon.gtfs._shapes): a file not grouped by shape_id,
its rows in any order, gives the index a grouped and sorted one gives."""
import random

from carbon.fix import Fix
from carbon.gtfs import build_transit_index

ROUTES = "route_id,route_type\nB,3\nT,0\n"
TRIPS = "route_id,trip_id,shape_id\nB,b1,sb\nT,t1,st\n"
STOPS = "stop_id,stop_lat,stop_lon\np,60.17,24.94\n"
HEADER = "shape_id,shape_pt_sequence,shape_pt_lat,shape_pt_lon\n"


def _line(k: int):
    """A bus line running east and a tram line crossing it northward, 40 points each."""
    return ([("sb", n, 60.17 + 0.0001 * k, 24.90 + 0.001 * n) for n in range(40)] if k == 0
            else [("st", n, 60.15 + 0.001 * n, 24.92) for n in range(40)])


def _text(rows) -> str:
    return HEADER + "".join(f"{s},{n},{lat:.6f},{lon:.6f}\n" for s, n, lat, lon in rows)


def _index(rows):
    return build_transit_index(ROUTES, TRIPS, STOPS, _text(rows))


def test_unsorted_shapes_build_the_sorted_index():
    rows = _line(0) + _line(1)
    shuffled = rows[1:]
    random.Random(3).shuffle(shuffled)
    shuffled = rows[:1] + shuffled      # the same shape first seen first: the same ids
    assert [r[0] for r in shuffled[:12]].count("sb") not in (0, 12)    # interleaved
    grouped, scattered = _index(rows), _index(shuffled)
    for name in ("lat", "lon", "along", "shape_of", "shape_mode", "shape_type"):
        assert list(getattr(scattered, name)) == list(getattr(grouped, name)), name
    assert {c: list(v) for c, v in scattered.segments.items()} == \
        {c: list(v) for c, v in grouped.segments.items()}
    # what the engine asks of it
    ride = [Fix(60 * n, 60.17, 24.90 + 0.004 * n, 10.0) for n in range(9)]
    tram = [Fix(60 * n, 60.15 + 0.004 * n, 24.92, 10.0) for n in range(9)]
    for index in (grouped, scattered):
        assert index.line_path(ride)[0] == "bus" and index.line_path(tram)[0] == "tram"
    assert scattered.line_path(ride) == grouped.line_path(ride)
    assert scattered.line_path(tram) == grouped.line_path(tram)
    for lat, lon in ((60.17, 24.92), (60.16, 24.92), (60.17, 24.93), (60.10, 24.80)):
        assert scattered.modes_on_route(lat, lon) == grouped.modes_on_route(lat, lon)
    assert grouped.modes_on_route(60.17, 24.92) == {"bus", "tram"}


def test_any_order_of_first_appearance_reads_the_same_lines():
    rows = _line(1) + _line(0)          # the tram first: other ids, the same answers
    random.Random(5).shuffle(rows)
    scattered, grouped = _index(rows), _index(_line(0) + _line(1))
    for lat, lon in ((60.17, 24.92), (60.16, 24.92), (60.17, 24.93)):
        assert scattered.modes_on_route(lat, lon) == grouped.modes_on_route(lat, lon)
    ride = [Fix(60 * n, 60.17, 24.90 + 0.004 * n, 10.0) for n in range(9)]
    assert scattered.line_path(ride) == grouped.line_path(ride)


def test_rows_given_as_dicts_still_build():
    rows = [dict(zip(("shape_id", "shape_pt_sequence", "shape_pt_lat", "shape_pt_lon"),
                     map(str, r))) for r in _line(0)[::-1]]
    index = build_transit_index(ROUTES, TRIPS, STOPS, rows)
    assert list(index.lat) == list(_index(_line(0)).lat)


def test_building_from_text_never_holds_every_row():
    # 60 shapes x 400 points: the rows' dicts all at once weighed ~18 times the index
    import gc
    import tracemalloc
    rows = [(f"s{k}", n, 60.1 + 0.001 * k + 0.0001 * n, 24.8 + 0.0002 * n)
            for k in range(60) for n in range(400)]
    trips = "route_id,trip_id,shape_id\n" + "".join(f"B,b{k},s{k}\n" for k in range(60))
    text = _text(rows)
    del rows
    gc.collect()
    tracemalloc.start()
    index = build_transit_index(ROUTES, trips, STOPS, text)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(index.lat) == 60 * 400
    assert peak < 2 * held


def test_shapes_given_as_a_one_shot_iterator_are_all_read():
    # the rows of a csv.DictReader or a generator can be read once; the two passes list them
    rows = [{"shape_id": s, "shape_pt_sequence": str(n), "shape_pt_lat": str(lat),
             "shape_pt_lon": str(lon)} for s, n, lat, lon in _line(0) + _line(1)]
    once = build_transit_index(ROUTES, TRIPS, STOPS, iter(rows))
    listed = build_transit_index(ROUTES, TRIPS, STOPS, rows)
    assert len(once.lat) == len(listed.lat) == 80
    assert once.modes_on_route(60.17, 24.92) == {"bus", "tram"}
