"""A wait at a kerb is a wait for a bus only where a line stops there (round 11, feed-wait).

With the town's feed, a stop of minutes before a ride is evidence of a bus or a tram only
where one of its lines stops and the ride boarded there follows that line
(carbon.transfers._unserved, carbon.transit.TransitIndex.waited_for); elsewhere the stop is
an errand and stays a stay. And a member who got off a bus drives on only where their car
was parked: a car does not appear in the middle of a journey by public transport
(mode_params.CAR_AFTER_KERB): not after a bus or a tram, where no car park is."""
import os
import tempfile

from carbon.assign import decide
from carbon.fix import Fix
from carbon.model import Leg, Stay, Trip
from carbon.params import Context
from carbon.priors import DEFAULT
from carbon.timeline import build_timeline
from carbon.transfers import join_transfers
from carbon.transit import TransitIndex
from tests.carbon.carbon_helpers import modes_over

P = (60.17, 24.94)
WALK = {"walk": 0.0, "bike": -8.0, "bus": -30.0, "car": -30.0}
CAR = {"car": 0.0, "bus": -3.0, "tram": -4.0, "walk": -40.0, "bike": -6.0}
# a ride on the streets whose chords resemble a car's a little more than a bus's (a drive
# in town; the feed's town has bus lines only)
CARLIKE = {"car": 0.0, "bus": -0.6, "tram": -1.5, "walk": -40.0, "bike": -12.0}


def _north(m: float, east_m: float = 0.0) -> tuple:
    return P[0] + m / 111_320.0, P[1] + east_m / 55_500.0


def _leg(a, b, metres, loglik):
    return Leg(a, b, metres, "unknown", 0.0, n_points=(b - a) // 30,
               features={"acc": 8.0, "sustained": metres / (b - a)}, loglik=dict(loglik))


def _trip(legs, start, end):
    legs = decide(legs, DEFAULT)
    return Trip(legs[0].start_ts, legs[-1].end_ts, sum(g.distance_m for g in legs), legs,
                start=start, end=end)


def _feed(east_m: float, stop_here: bool) -> TransitIndex:
    """A bus line running north 6 km, `east_m` east of the errand's street, with stops every
    400 m (at the errand's place itself only if `stop_here`)."""
    index = TransitIndex()
    index.add_shape("bus", [_north(-1000, east_m), _north(6000, east_m)], 3)
    for k in range(-2, 15):
        if k != 0 or stop_here:
            index.add_stop("bus", *_north(400 * k, east_m))
    return index


def _errand(feed):
    """A drive to P, nine minutes there at the kerb, a ride 5 km north that alone reads a
    car a little more than a bus: (stays, trips) through join_transfers with the feed."""
    before = _trip([_leg(0, 300, 350.0, WALK), _leg(300, 1200, 6000.0, CAR)], _north(-6000), P)
    t = 1200 + 540
    after = _trip([_leg(t, t + 600, 5000.0, CARLIKE), _leg(t + 600, t + 900, 300.0, WALK)],
                  P, _north(5300))
    track = [Fix(t + k * 30, *_north(250.0 * k), 8.0) for k in range(21)]
    home = Stay(-3600, 0, *_north(-6000), 60, acc=8.0)
    stop = Stay(1200, t, *P, 9, acc=8.0)
    return join_transfers([home, stop], [before, after], DEFAULT, feed=(feed, track))


def _rides(trip):
    return [g.mode for g in trip.legs if g.mode not in ("walk", "run")]


def test_a_drive_after_nine_minutes_where_no_line_stops_is_a_car_trip():
    # the feed's bus line runs a street away (300 m east): no line stops at the kerb, and
    # the ride follows none: the stop is an errand, the ride the member's car
    stays, trips = _errand(_feed(300.0, stop_here=True))
    assert len(trips) == 2, [(t.start_ts, t.end_ts) for t in trips]
    assert _rides(trips[1]) == ["car"], [(g.mode, g.probs) for g in trips[1].legs]


def test_a_drive_along_a_line_from_a_kerb_where_it_does_not_stop_is_a_car_trip():
    # the line runs along the street, but has no stop where the member stood
    stays, trips = _errand(_feed(0.0, stop_here=False))
    assert len(trips) == 2
    assert _rides(trips[1]) == ["car"]


def test_the_wait_at_a_stop_of_the_line_ridden_still_joins_the_bus():
    # the same ride from a stop of the line it follows: the minutes there were the wait
    stays, trips = _errand(_feed(0.0, stop_here=True))
    assert len(trips) == 1
    assert _rides(trips[0])[-1] == "bus", [(g.mode, g.probs) for g in trips[0].legs]


# a bus ride, then a ride whose chords read a car a little more than a metro or a train
# (a metro seen every minute or two, the walk to it not resolved at those steps)
BUS = {"bus": 0.0, "tram": -1.5, "car": -6.0, "bike": -6.0, "walk": -40.0}
CHORDS = {"car": 0.0, "metro": -1.5, "train": -2.0, "bus": -3.0, "tram": -3.5, "walk": -40.0}


def test_the_members_car_does_not_appear_straight_after_a_bus():
    legs = decide([_leg(0, 417, 416.0, WALK), _leg(417, 1294, 3513.0, BUS),
                   _leg(1294, 2320, 7788.0, CHORDS), _leg(2320, 2742, 446.0, WALK)], DEFAULT)
    assert [g.mode for g in legs] != ["walk", "bus", "car", "walk"]
    assert "car" not in [g.mode for g in legs], [(g.mode, g.probs) for g in legs]


def test_the_bus_metro_day_seen_every_minute_or_two_with_its_feed_reads_bus_then_metro():
    from bench.trips import read_feed
    from simulation.scenarios import make_day, write_day
    day = make_day("bus-metro", "sparse", 1)
    with tempfile.TemporaryDirectory() as tmp:
        feed = read_feed(os.path.join(write_day(day, tmp), "gtfs"))
    tl = build_timeline([Fix(*f) for f in day.fixes], context=Context(transit=feed))
    sections = [s for t in day.truth["trips"] for s in t["sections"]]
    for mode in ("bus", "metro"):
        s = next(s for s in sections if s["mode"] == mode)
        over = modes_over(tl, s["start_ts"], s["end_ts"])
        assert max(over, key=over.get) == mode, (mode, over)
        assert "car" not in over, (mode, over)
