"""A car or a bike stays where it was left (carbon.vehicles): the member's vehicles at hand
weigh an ambiguous trip, their absence weighs against them, and an old whereabouts says
nothing."""
import pytest

from carbon import vehicles
from carbon.corrections import correct_leg
from carbon.params import Context
from carbon.timeline import build_timeline
from carbon.vehicles import Parked, left_at

from carbon_helpers import HOME, OFFICE, PERIGNY, leg_points, still, straight_track
from simulation.household import Phone, simulate_leg

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
    here = _probs(fixes, Parked(car=left_at(HOME[0], HOME[1], T0 - 3600)))
    away = _probs(fixes, Parked(car=left_at(PERIGNY[0], PERIGNY[1], T0 - 3600)))
    assert here.get("car", 0) > plain.get("car", 0) > away.get("car", 0)


def test_a_bike_left_elsewhere_makes_a_ride_less_likely():
    fixes = _slow_ride()
    plain = _probs(fixes)
    away = _probs(fixes, Parked(bike=left_at(PERIGNY[0], PERIGNY[1], T0 - 3600)))
    here = _probs(fixes, Parked(bike=left_at(HOME[0], HOME[1], T0 - 3600)))
    assert here["bike"] > plain["bike"] > away.get("bike", 0)


def test_where_a_vehicle_was_weeks_ago_says_nothing():
    fixes = _slow_ride()
    stale = Parked(car=left_at(PERIGNY[0], PERIGNY[1], T0 - vehicles.STALE_S - 86400))
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
    assert parked.bike == ()
    (lat, lon, ts, p), = parked.car
    assert vehicles.distance_m(lat, lon, *PERIGNY) < vehicles.NEAR_M and ts == tl.trips[0].end_ts
    assert p > 0.5      # more likely than not: it read as a car
    kinds = vehicles.kinds_at({"car": {"prior": 0.4, "modes": {"car": 1.0}},
                               "bike": {"prior": 0.2, "modes": {"bike": 1.0}}},
                              parked, PERIGNY, t_end + 3600)
    # the car at hand (as likely as that drive was one) makes a car trip likelier, the
    # other kinds share what is left
    assert kinds["car"]["prior"] > 0.4 and kinds["bike"]["prior"] < 0.2
    assert kinds["car"]["prior"] + kinds["bike"]["prior"] == pytest.approx(0.6)


STATION = (46.1530, -1.1450)   # ~1.3 km from HOME
CITY = (46.2800, -1.0000)      # ~18 km from STATION


def _train_then_ride(seed=1, stop_s=420):
    """Back from the city by train, seven minutes at the station, then home by bike."""
    train, t_train = simulate_leg("train", CITY, STATION, t0=T0, seed=seed)
    t1 = t_train.end_ts + stop_s
    bike, _ = simulate_leg("bike", STATION, HOME, t0=t1, seed=seed)
    half = stop_s // 2
    return [p for p in train if p.ts <= t_train.end_ts + half] + \
        [p for p in bike if p.ts > t_train.end_ts + half]


def test_a_bike_left_at_the_station_is_ridden_home_from_it():
    """Bike-and-ride: the stop at the station where the member's bike was left in the
    morning is where they picked it up, the end of the journey home; and they came in
    without it, so the ride in is public transport (alone, with no private vehicle ruled
    out, this train reads as a car)."""
    fixes = _train_then_ride(seed=3)
    alone = build_timeline(fixes)
    assert [[leg.mode for leg in t.legs] for t in alone.trips] == [["car"], ["bike"]]
    parked = Parked(bike=left_at(STATION[0], STATION[1], T0 - 9 * 3600))
    tl = build_timeline(fixes, context=Context(parked=parked))
    assert [[leg.mode for leg in t.legs] for t in tl.trips] == [["train", "bike"]]
    assert tl.trips[0].start_ts == alone.trips[0].start_ts
    assert tl.trips[0].end_ts == alone.trips[1].end_ts


def test_a_car_errand_stays_two_trips_with_the_car_at_the_stop():
    """Driving to a shop and on: the car is where the member stopped because they came in
    it; that is an errand, not a vehicle picked up at the end of a ride in."""
    fixes = _slow_ride()
    shop_far = (SHOP[0] + 0.02, SHOP[1])
    t = fixes[-1].ts
    fixes += straight_track(t + 1, SHOP, shop_far, 300, every=10)
    fixes += still(t + 301, shop_far, 900)[1:]
    tl = build_timeline(fixes, context=Context(parked=Parked(car=left_at(HOME[0], HOME[1], T0 - 3600))))
    assert len(tl.trips) == 2


def _train_walk_drive(train_seed=6, car_seed=1):
    """Home from the city by train (a 17 km ride this trace alone reads as a car, 0.67),
    a walk home from the station, and three hours later a drive across town under
    significant-changes sampling (a few fixes: a car, a bus, a metro fit it)."""
    train, t_train = simulate_leg("train", CITY, STATION, t0=T0, seed=train_seed)
    walk, t_walk = simulate_leg("walk", STATION, HOME, t0=t_train.end_ts + 1200, seed=train_seed)
    car, _ = simulate_leg("car", HOME, OFFICE, t0=t_walk.end_ts + 3 * 3600, seed=car_seed,
                          phone=Phone(sampling="significant"))
    return [p for p in train if p.ts < t_train.end_ts + 600] + \
        [p for p in walk if t_train.end_ts + 600 <= p.ts < t_walk.end_ts + 1800] + \
        [p for p in car if p.ts >= t_walk.end_ts + 1800]


def _main(trip):
    return max(trip.legs, key=lambda g: g.distance_m)


def test_a_ride_read_as_a_car_unsure_does_not_make_the_next_drive_a_bus():
    """The car is where the train ride ended only as likely as that ride was a car: the
    member's real drive from home later keeps most of its car prior (held for certain,
    the car "parked at the station" made the drive a bus)."""
    tl = build_timeline(_train_walk_drive())
    first, drive = _main(tl.trips[0]), _main(tl.trips[-1])
    assert first.mode == "car" and first.confidence < 0.8
    assert drive.mode == "car"
    parked = vehicles.from_trips(tl.trips, tl.stays)
    assert sum(p for *_, p in parked.car) <= 1.0


def _tour(back_seed=7):
    """A drive to the office and, two hours later, back home, both under
    significant-changes sampling: the way back fits a car, an e-bike or a bike."""
    phone = Phone(sampling="significant")
    out, t_out = simulate_leg("car", HOME, OFFICE, t0=T0, seed=1, phone=phone)
    back, _ = simulate_leg("car", OFFICE, HOME, t0=t_out.end_ts + 2 * 3600, seed=back_seed,
                           phone=phone)
    return [p for p in out if p.ts < t_out.end_ts + 3600] + \
        [p for p in back if p.ts >= t_out.end_ts + 3600]


def test_a_drive_the_member_confirmed_brings_the_car_back():
    """A corrected leg is certain: once the member says they drove to the office, the car
    is there for certain and the way back from it is a car."""
    fixes = _tour()
    tl = build_timeline(fixes)
    c = correct_leg(tl.trips[0], _main(tl.trips[0]), "car")
    fixed = build_timeline(fixes, context=Context(corrections=(c,)))
    assert len(fixed.trips) == 2 and _main(fixed.trips[-1]).mode == "car"
    assert _main(fixed.trips[-1]).probs["car"] > _main(tl.trips[-1]).probs.get("car", 0)
    spot = vehicles.from_trips(fixed.trips[:1], fixed.stays).car[0]
    assert spot[3] == 1.0 and vehicles.distance_m(spot[0], spot[1], *OFFICE) < vehicles.NEAR_M


def test_a_ride_the_member_says_was_a_train_leaves_the_car_where_it_was():
    """Corrected away from the car, the ride moves no car: it stays where it was left."""
    fixes = _train_walk_drive()
    tl = build_timeline(fixes)
    c = correct_leg(tl.trips[0], _main(tl.trips[0]), "train")
    before = Parked(car=left_at(HOME[0], HOME[1], T0 - 3600))
    assert vehicles.from_trips(tl.trips[:1], tl.stays, before).car[0][3] < 1.0
    assert vehicles.from_trips(tl.trips[:1], tl.stays, before, corrections=(c,)) == before
