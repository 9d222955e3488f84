"""A car or a bike along a tram line of the town's feed, seen minutes apart, is no tram
(carbon.legs._sparse_line_factor): trams run the main streets that cars and bikes use
(simulation.scenarios.TRAM_DECOY_SHARE), so following a tram line's shape is a tram only
where the fixes show its dwells at the line's stops (transit.TransitIndex.dwells_shown),
and never at a distance filter's steps, which no dwell shows in."""
import pytest

from carbon.fix import Fix
from carbon.gtfs import build_transit_index
from carbon.params import Context
from carbon.timeline import build_timeline
from carbon.transit import TransitIndex
from simulation import scenarios
from simulation.gtfs import feed_tables
from simulation.scenarios import make_day

from carbon_helpers import modes_over


def _feed(day):
    return build_transit_index(**{name[:-4]: rows for name, rows in feed_tables(day.lines).items()})


def _share(tl, s, mode):
    return modes_over(tl, s["start_ts"], s["end_ts"]).get(mode, 0) / (s["end_ts"] - s["start_ts"])


def _along_a_tram_line(day, feed, fixes, mode):
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == mode
            and feed.line_path([p for p in fixes if s["start_ts"] <= p.ts <= s["end_ts"]])[0] == "tram"]


@pytest.mark.parametrize("family,regime,seed", [
    ("car", "sparse", 0), ("car", "sparse", 5), ("car", "significant", 0),
    ("car", "significant", 3), ("bike", "sparse", 13),
    ("bike", "significant", 0),
    ("bike", "significant", 1), ("bike", "significant", 3)])
def test_a_car_or_a_bike_along_a_tram_line_stays_itself(monkeypatch, family, regime, seed):
    monkeypatch.setattr(scenarios, "TRAM_DECOY_SHARE", 1.0)   # every street on a tram line
    # the off-peak day this was written on: at a big city's peak the ride is another
    # (docs/engine.md, known weaknesses, "A whole ride in a big city's jam")
    monkeypatch.setattr(scenarios, "PEAK_SHARE", 0.0)
    day = make_day(family, regime, seed)
    feed, fixes = _feed(day), [Fix(*f) for f in day.fixes]
    tl = build_timeline(fixes, context=Context(transit=feed))
    along = _along_a_tram_line(day, feed, fixes, family)
    assert along       # the day follows a tram line of its feed
    for s in along:
        assert _share(tl, s, family) >= 0.8
        assert _share(tl, s, "tram") == 0.0


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_a_tram_ridden_at_a_location_historys_steps_reads_tram(monkeypatch, seed):
    monkeypatch.setattr(scenarios, "TRAM_DECOY_SHARE", 1.0)   # its walks on tram lines too
    day = make_day("tram", "sparse", seed)
    fixes = [Fix(*f) for f in day.fixes]
    with_feed = build_timeline(fixes, context=Context(transit=_feed(day)))
    rides = [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "tram"]
    assert rides
    for s in rides:
        assert _share(with_feed, s, "tram") >= 0.6


def _stops_line():
    """A tram line 3 km east (46.16 N), a stop every 500 m."""
    index = TransitIndex()
    pts = [(46.16, -1.15 + k * 0.0013) for k in range(31)]          # ~100 m a point
    index.add_shape("tram", pts, 0)
    for lat, lon in pts[::5]:
        index.add_stop("tram", lat, lon)
    return index, pts


def test_fixes_at_the_stops_half_the_time_show_dwells_and_a_fifth_do_not():
    index, pts = _stops_line()
    dwelling = [0, 2, 5, 7, 10, 12, 15, 17, 20, 22]    # a fix at every stop, one between
    at_stops = [Fix(1000 + 90 * k, *pts[i], 10.0) for k, i in enumerate(dwelling)]
    k, n = index.fixes_at_stops(at_stops, "tram")
    assert (k, n) == (5, 10) and index.dwells_shown(at_stops, "tram")
    passing = [Fix(1000 + 90 * k, *pts[2 + 3 * k], 10.0) for k in range(9)]   # every 300 m
    k, n = index.fixes_at_stops(passing, "tram")
    assert k <= 2 and not index.dwells_shown(passing, "tram")
