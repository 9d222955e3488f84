"""Fixes minutes apart with the town's feed (carbon.transit.TransitIndex.line_path): the
fixes, not the chords between them, lie on a line's shape, in order along it, and the shape
between them is the path ridden. A tram line followed under significant changes (a fix
every ~500 m / 5 minutes, no halt seen) is no evidence of a tram; a car driven along a bus
line stays a car."""
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


def _sections(day, mode):
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == mode]


def _share(tl, s, mode):
    return modes_over(tl, s["start_ts"], s["end_ts"]).get(mode, 0) / (s["end_ts"] - s["start_ts"])


@pytest.mark.parametrize("seed", [1, 3])
def test_a_tram_line_followed_at_a_distance_filters_steps_is_no_evidence(seed):
    """A distance filter reports by distance moved, never during a dwell at a stop: a
    tram and a bike on the tram's street show the same (tests/carbon/test_tram_decoys.py),
    so the ride reads as it does without the feed (round 11, tram-decoys)."""
    day = make_day("tram", "significant", seed)
    fixes = [Fix(*f) for f in day.fixes]
    with_feed = build_timeline(fixes, context=Context(transit=_feed(day)))
    without = build_timeline(fixes)
    rides = _sections(day, "tram")
    assert rides
    for s in rides:
        # the feed's line is no evidence here, so it must cost the ride nothing (a timetable
        # or the phone's activity could raise it one day: at least as much tram as without)
        assert _share(with_feed, s, "tram") >= _share(without, s, "tram")


@pytest.mark.parametrize("regime,seed", [("sparse", 0), ("sparse", 1), ("sparse", 3),
                                         ("significant", 3), ("significant", 4)])
def test_a_car_along_a_bus_line_stays_a_car(monkeypatch, regime, seed):
    # the off-peak day this was written on: at a big city's peak the ride is another
    # (docs/engine.md, known weaknesses, "A whole ride in a big city's jam")
    monkeypatch.setattr(scenarios, "PEAK_SHARE", 0.0)
    day = make_day("car", regime, seed)
    feed = _feed(day)
    fixes = [Fix(*f) for f in day.fixes]
    with_feed = build_timeline(fixes, context=Context(transit=feed))
    along = [s for s in _sections(day, "car")
             if feed.line_path([p for p in fixes if s["start_ts"] <= p.ts <= s["end_ts"]])[0] == "bus"]
    assert along       # the day drives along a line of its feed
    for s in along:
        assert _share(with_feed, s, "car") >= 0.8
        assert _share(with_feed, s, "bus") == 0.0


def _l_line():
    """A bus line 1 km east then 1 km north (46.16 N), and fixes 5 minutes apart on it."""
    index = TransitIndex()
    east = [(46.16, -1.15 + k * 0.0026) for k in range(6)]          # ~200 m a point
    north = [(46.16 + k * 0.0018, east[-1][1]) for k in range(1, 6)]
    index.add_shape("bus", east + north, 3)
    fixes = [Fix(1000 + 300 * k, lat, lon, 10.0) for k, (lat, lon) in
             enumerate([east[0], east[3], north[0], north[2], north[4]])]
    return index, fixes


def test_fixes_in_order_on_a_shape_give_its_mode_and_path():
    index, fixes = _l_line()
    mode, bend = index.line_path(fixes)
    assert mode == "bus" and 1.05 < bend < 1.3     # the corner the chord 3 -> north 0 cuts
    reversed_ride = [Fix(f.ts, g.lat, g.lon, g.acc) for f, g in zip(fixes, fixes[::-1])]
    assert index.line_path(reversed_ride)[0] == "bus"      # the other direction, same streets


def test_fixes_out_of_order_or_off_the_shape_follow_no_line():
    index, fixes = _l_line()
    shuffled = [Fix(f.ts, g.lat, g.lon, g.acc) for f, g in zip(fixes, [fixes[k] for k in (0, 3, 1, 4, 2)])]
    assert index.line_path(shuffled) == (None, None)
    off = [Fix(f.ts, f.lat + 0.0015, f.lon + 0.002, f.acc) for f in fixes]   # streets 150 m away
    assert index.line_path(off) == (None, None)
