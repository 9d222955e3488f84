"""The town's GTFS feed a simulated day comes with (simulation/gtfs.py)."""
import csv
import os

from carbon.fix import Fix
from carbon.gtfs import build_transit_index
from simulation import scenarios
from simulation.scenarios import make_day, write_day


def _index(folder):
    tables = {}
    for name in ("routes", "trips", "stops", "shapes", "stop_times"):
        with open(os.path.join(folder, "gtfs", name + ".txt"), newline="") as f:
            tables[name] = f.read()
    return build_transit_index(**tables)


def _fixes_of(day, mode):
    spans = [(s["start_ts"], s["end_ts"]) for t in day.truth["trips"] for s in t["sections"]
             if s["mode"] == mode]
    a, b = spans[0]
    return [Fix(ts, lat, lon, acc) for ts, lat, lon, acc in day.fixes if a <= ts <= b]


def test_a_tram_ride_follows_a_tram_line_of_the_feed_and_the_walk_does_not(tmp_path):
    day = make_day("tram", "1s", 0)
    index = _index(write_day(day, str(tmp_path)))
    assert index.match(_fixes_of(day, "tram")) == "tram"
    assert index.match(_fixes_of(day, "walk")) != "tram"


def test_the_feed_holds_each_kind_of_line_ridden(tmp_path):
    for family, route_type in (("metro", "1"), ("train-regional", "2"), ("ferry", "4"),
                               ("bus", "3")):
        folder = write_day(make_day(family, "dense", 1), str(tmp_path))
        with open(os.path.join(folder, "gtfs", "routes.txt"), newline="") as f:
            types = {r["route_type"] for r in csv.DictReader(f)}
        assert route_type in types, family


def test_the_feed_never_changes_the_day(monkeypatch):
    """The feed draws from its own generators: the day is the same with every street on a
    bus or a tram line or none, so figures with and without a feed are of the same days,
    and the bus lines are the same with the tram lines or without."""
    monkeypatch.setattr(scenarios, "DECOY_SHARE", 0.0)
    monkeypatch.setattr(scenarios, "TRAM_DECOY_SHARE", 0.0)
    none = make_day("car", "dense", 0)
    monkeypatch.setattr(scenarios, "DECOY_SHARE", 1.0)
    buses = make_day("car", "dense", 0)
    monkeypatch.setattr(scenarios, "TRAM_DECOY_SHARE", 1.0)
    every = make_day("car", "dense", 0)
    assert none.fixes == every.fixes == buses.fixes and none.truth == every.truth
    assert not none.lines
    assert every.lines and {t for t, _shape, _stops in every.lines} == {0, 3}
    assert [line for line in every.lines if line[0] == 3] == buses.lines
