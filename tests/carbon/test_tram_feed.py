"""A tram ride along its line, with the town's feed, reads tram even where the phone cannot
show its halts (a fix every 1-2 minutes): the leg follows the feed's tram line and no bus
line, and GTFS route_type says which vehicle runs there (carbon.legs._off_line). Without
the feed a tram moves like a bus in town, and nothing may claim it is a tram."""
import math

import pytest

from carbon.fix import Fix
from carbon.params import Context
from carbon.timeline import build_timeline
from simulation.gtfs import feed_tables
from simulation.scenarios import make_day
from carbon.gtfs import build_transit_index
from carbon.mode_params import OFF_LINE_FACTOR


def _feed(day):
    return build_transit_index(**{name[:-4]: rows for name, rows in feed_tables(day.lines).items()})


def _tram_rides(day, tl):
    """(truth section, the engine's leg at its middle) for each tram section of the day."""
    legs = [g for t in tl.trips for g in t.legs]
    out = []
    for trip in day.truth["trips"]:
        for s in trip["sections"]:
            if s["mode"] == "tram":
                mid = (s["start_ts"] + s["end_ts"]) / 2
                out.append((s, next((g for g in legs if g.start_ts <= mid <= g.end_ts), None)))
    return out


@pytest.mark.parametrize("regime", ["sparse", "dense"])
def test_a_tram_ride_along_its_line_reads_tram_with_the_feed(regime):
    day = make_day("tram", regime, 0)
    fixes = [Fix(*f) for f in day.fixes]
    with_feed = _tram_rides(day, build_timeline(fixes, context=Context(transit=_feed(day))))
    assert with_feed and all(g is not None for _s, g in with_feed)
    # every ride of this day reads tram (sparse: no halt can be seen; dense: a phone that
    # drops fixes while standing shows four of six dwells, too few for the chance test)
    assert [g.mode for _s, g in with_feed] == ["tram"] * len(with_feed)
    without = _tram_rides(day, build_timeline(fixes))
    assert not any(g is not None and g.mode == "tram" and g.confidence >= 0.8
                   for _s, g in without)


def test_a_feed_without_bus_lines_says_nothing_of_buses():
    """One operator's feed (its trams) is no evidence against another's buses on the
    tram's street: only the modes a feed has lines of are taken as absent. The same tram
    line read from both feeds gives the ride the same path (carbon.transit.line_path), so
    what the full feed adds against the bus is its absence from the bus lines alone."""
    day = make_day("tram", "sparse", 0)
    fixes = [Fix(*f) for f in day.fixes]
    trams_only = build_transit_index(**{name[:-4]: rows for name, rows in feed_tables(
        [line for line in day.lines if line[0] == 0]).items()})
    only = _tram_rides(day, build_timeline(fixes, context=Context(transit=trams_only)))
    full = _tram_rides(day, build_timeline(fixes, context=Context(transit=_feed(day))))
    for (_s, g), (_s2, g_full) in zip(only, full):
        assert g.loglik["bus"] - g.loglik["car"] == pytest.approx(
            g_full.loglik["bus"] - g_full.loglik["car"] - math.log(OFF_LINE_FACTOR))
    assert all(g.loglik["bus"] < g.loglik["tram"] for _s, g in full)
