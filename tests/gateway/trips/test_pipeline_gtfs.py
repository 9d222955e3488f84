"""`selfdata gtfs import FEED.zip`: a tram that follows its line and halts at its stops is
called a tram (without the feed the engine can only say "bus")."""
from __future__ import annotations

import csv
import io
import json
import random
import zipfile

from simulation.household import simulate_leg, street_route
from gateway.cli import main

START, END = (46.1530, -1.1382), (46.1700, -1.1900)


def _tram_points():
    route = street_route(START, END, random.Random(5))
    pts, _ = simulate_leg("tram", START, END, seed=4, route=route)
    return route, pts


def _halts(pts) -> list:
    """Where the tram stood (fixes at zero speed between moving ones), one per halt."""
    halts, run = [], []
    for p in pts:
        if p.vel == 0.0:
            run.append(p)
        elif run:
            halts.append(run)
            run = []
    moving = [h for h in halts if 2 <= len(h) <= 10]      # not the stays at either end
    return [(sorted(p.lat for p in h)[len(h) // 2], sorted(p.lon for p in h)[len(h) // 2])
            for h in moving]


def _table(header, rows) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def write_feed(path, route, stops) -> None:
    files = {
        "routes.txt": _table(("route_id", "route_short_name", "route_type"), [("T1", "1", 0),
                                                                              ("B9", "9", 3)]),
        "trips.txt": _table(("route_id", "service_id", "trip_id", "shape_id"),
                            [("T1", "wk", "t1-a", "sh1"), ("T1", "wk", "t1-b", "sh1")]),
        "stops.txt": _table(("stop_id", "stop_name", "stop_lat", "stop_lon"),
                            [(f"s{k}", f"Stop {k}", lat, lon) for k, (lat, lon) in enumerate(stops)]),
        "shapes.txt": _table(("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
                             [("sh1", lat, lon, k) for k, (lat, lon) in enumerate(route)]),
        "stop_times.txt": _table(("trip_id", "arrival_time", "departure_time", "stop_id",
                                  "stop_sequence"),
                                 [(t, "08:00:00", "08:00:00", f"s{k}", k)
                                  for t in ("t1-a", "t1-b") for k in range(len(stops))]),
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(f"yelo/{name}", "\ufeff" + text)     # a folder and a BOM, as feeds come


def _modes(box) -> list:
    return [r[0] for r in box.store.conn.execute(
        "SELECT mode FROM legs WHERE member_id = ? ORDER BY distance_m DESC", (box.ids["alice"],))]


def test_a_feed_tells_the_tram_from_a_bus(box, tmp_path, capsys):
    route, pts = _tram_points()
    stops = _halts(pts)
    assert len(stops) >= 3
    box.add("alice", pts)
    data = ["--data-dir", str(box.store.path.parent)]
    assert main(["rebuild", "--member", "alice", *data]) == 0
    assert _modes(box)[0] != "tram"

    feed = tmp_path / "yelo.zip"
    write_feed(feed, route, stops)
    capsys.readouterr()
    assert main(["gtfs", "import", str(feed), "--rebuild", *data]) == 0
    summary = json.loads(capsys.readouterr().out.split("\n}")[0] + "}")
    assert summary["modes"] == ["bus", "tram"] and summary["stops"] == len(stops)
    assert _modes(box)[0] == "tram"

    assert main(["gtfs", "show", *data]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "yelo.zip"


def test_a_zip_that_is_not_a_feed_is_refused_clearly(box, tmp_path, capsys):
    bogus = tmp_path / "photos.zip"
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("IMG_0001.jpg", b"\xff\xd8")
    assert main(["gtfs", "import", str(bogus), "--data-dir", str(box.store.path.parent)]) == 1
    assert "not a GTFS feed (missing routes.txt, trips.txt, stops.txt)" in capsys.readouterr().err
