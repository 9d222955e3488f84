"""A car or a bike stays where it was left (carbon.vehicles): the member's vehicles at hand
weigh an ambiguous trip, their absence weighs against them, and an old whereabouts says
nothing."""
from carbon import vehicles
from carbon.params import Context
from carbon.timeline import build_timeline
from carbon.vehicles import Parked

from carbon_helpers import HOME, PERIGNY, leg_points, still, straight_track

T0 = 1_772_700_000
SHOP = (46.1700, -1.1350)      # ~1.5 km from HOME


def _probs(fixes, parked=None) -> dict:
    """The probabilities of the longest leg of the (one) trip."""
    tl = build_timeline(fixes, context=Context(parked=parked))
    assert len(tl.trips) == 1
    leg = max(tl.trips[0].legs, key=lambda g: g.distance_m)
    return leg.probs


def _slow_ride():
    """From home to a shop at 4.6 m/s with a stop on the way: a slow car in traffic or a
    brisk bike ride, the trace alone can hardly say."""
    mid = ((HOME[0] + SHOP[0]) / 2, (HOME[1] + SHOP[1]) / 2)
    t = T0 + 900
    track = still(T0, HOME, 900)
    track += straight_track(t, HOME, mid, 160, every=10)[1:]
    track += still(t + 160, mid, 60, every=20)[1:]
    track += straight_track(t + 220, mid, SHOP, 160, every=10)[1:]
    track += still(t + 380, SHOP, 900)[1:]
    return track


def test_a_car_left_at_the_start_makes_the_trip_likelier_by_car():
    fixes = _slow_ride()
    plain = _probs(fixes)
    here = _probs(fixes, Parked(car=(HOME[0], HOME[1], T0 - 3600)))
    away = _probs(fixes, Parked(car=(PERIGNY[0], PERIGNY[1], T0 - 3600)))
    assert here.get("car", 0) > plain.get("car", 0) > away.get("car", 0)


def test_a_bike_left_elsewhere_makes_a_ride_less_likely():
    fixes = _slow_ride()
    plain = _probs(fixes)
    away = _probs(fixes, Parked(bike=(PERIGNY[0], PERIGNY[1], T0 - 3600)))
    here = _probs(fixes, Parked(bike=(HOME[0], HOME[1], T0 - 3600)))
    assert here["bike"] > plain["bike"] > away.get("bike", 0)


def test_where_a_vehicle_was_weeks_ago_says_nothing():
    fixes = _slow_ride()
    stale = Parked(car=(PERIGNY[0], PERIGNY[1], T0 - vehicles.STALE_S - 86400))
    assert _probs(fixes, stale) == _probs(fixes)


def test_the_next_trip_leaves_with_the_car_it_arrived_in():
    """A day's trips carry the state: after a drive to Périgny, the car is there, and the
    next trip out of Périgny has it at hand."""
    fixes, truth = leg_points("car", HOME, PERIGNY, seed=5)
    t_end = truth.end_ts
    tl = build_timeline(fixes)
    assert [t.main_mode for t in tl.trips] == ["car"]
    stays = tl.stays
    parked = vehicles.from_trips(tl.trips, stays)
    assert parked.bike is None
    lat, lon, ts = parked.car
    assert vehicles.distance_m(lat, lon, *PERIGNY) < vehicles.NEAR_M and ts == tl.trips[0].end_ts
    kinds = vehicles.kinds_at({"car": {"prior": 0.4, "modes": {"car": 1.0}},
                               "bike": {"prior": 0.2, "modes": {"bike": 1.0}}},
                              parked, PERIGNY, t_end + 3600)
    assert kinds["car"]["prior"] == 0.4 * vehicles.AT_HAND and kinds["bike"]["prior"] == 0.2
