"""Footprints checked by hand against shared/reference/emission-factors.md (2026-12-01)."""
import pytest

from carbon.factors import CURRENT_VERSION, table
from carbon.footprint import MemberSettings, apply_footprints, leg_footprint, train_kind
from carbon.model import Leg, Timeline, Trip


def test_twelve_km_alone_in_a_compact_petrol_car():
    alone = MemberSettings(car_fuel="petrol", car_size="compact")
    assert leg_footprint("car", 12_000, alone)[0] == pytest.approx(12 * 271.5)


def test_two_aboard_halves_it():
    two = MemberSettings(car_fuel="petrol", car_size="compact", car_occupancy=2)
    assert leg_footprint("car", 12_000, two)[0] == pytest.approx(12 * 271.5 / 2)
    # carpooling splits it with the people aboard (2 by default)
    alone = MemberSettings(car_fuel="petrol", car_size="compact")
    assert leg_footprint("carpool", 12_000, alone)[0] == pytest.approx(12 * 271.5 / 2)


def test_the_default_car_is_a_compact_diesel_driven_alone():
    assert leg_footprint("car", 10_000, MemberSettings())[0] == pytest.approx(10 * 227.6)


def test_five_km_by_bus_with_the_default_network_factor():
    co2, avoided = leg_footprint("bus", 5_000, MemberSettings())
    assert co2 == pytest.approx(5 * 147)
    # the same 5 km alone in the default car would have emitted more: the ride avoided it
    assert avoided == pytest.approx(5 * 227.6 - 5 * 147)


def test_bus_factor_is_configurable_per_network():
    co2, _ = leg_footprint("bus", 10_000, MemberSettings(bus_g_pkm=21.7))
    assert co2 == pytest.approx(10 * 21.7)


def test_450_km_by_tgv():
    # a high-speed line: held more than 200 km/h
    co2, _ = leg_footprint("train", 450_000, MemberSettings(), {"sustained": 80.0})
    assert co2 == pytest.approx(450 * 2.9)
    # or the member says it is the line they take
    co2, _ = leg_footprint("train", 450_000, MemberSettings(train_type="tgv"), {"sustained": 40.0})
    assert co2 == pytest.approx(450 * 2.9)


def test_a_700_km_flight():
    assert leg_footprint("plane", 700_000, MemberSettings())[0] == pytest.approx(700 * 224.6)
    assert leg_footprint("plane", 1_500_000, MemberSettings())[0] == pytest.approx(1500 * 184.7)


def test_train_kind_is_read_from_the_leg_not_a_distance_cliff():
    s = MemberSettings()
    # 149 km and 151 km of regional stopping service cost the same per km (no 9x cliff)
    stopping = {"sustained": 35.0, "stations": 10}
    assert train_kind(149, stopping, s) == train_kind(151, stopping, s) == "ter"
    # La Rochelle - Bordeaux, 185 km at 160 km/h stopping every ~40 km: an Intercités
    assert train_kind(185, {"sustained": 42.0, "stations": 4}, s) == "intercites"
    assert leg_footprint("train", 185_000, s, {"sustained": 42.0, "stations": 4})[0] == \
        pytest.approx(185 * 9.0)
    # more than 200 km/h held: a high-speed line
    assert train_kind(300, {"sustained": 80.0, "stations": 1}, s) == "tgv"
    # a GTFS route type settles it; the member's own line is used when the leg cannot tell
    assert train_kind(30, {"route_type": 109}, s) == "rer"
    assert train_kind(60, {"sustained": 30.0}, MemberSettings(train_type="intercites")) == "intercites"
    assert train_kind(60, {"sustained": 30.0}, s) == "ter"


def test_avoided_is_alone_in_own_car_minus_the_leg_and_never_subtracted():
    s = MemberSettings()   # compact diesel, 227.6 g per vehicle-km
    co2, avoided = leg_footprint("bike", 5_000, s)
    assert co2 == pytest.approx(5 * 0.17, abs=0.05)
    assert avoided == pytest.approx(5 * 227.6 - 5 * 0.17, abs=0.1)
    assert leg_footprint("car", 5_000, s)[1] == 0


def test_each_leg_keeps_its_factor_version():
    tl = Timeline([], [Trip(0, 100, 2000, [Leg(0, 100, 2000, "e-bike", 0.5)])])
    apply_footprints(tl, MemberSettings())
    leg = tl.trips[0].legs[0]
    assert leg.factor_version == CURRENT_VERSION == "2026-12"
    assert leg.co2_g == pytest.approx(2 * 10.95)
    assert tl.trips[0].co2_g == leg.co2_g


def test_a_stored_leg_keeps_the_table_it_was_computed_with_until_a_rebuild():
    old = Leg(0, 100, 10_000, "car", 0.9, factor_version="2026-07")
    tl = Timeline([], [Trip(0, 100, 10_000, [old])])
    apply_footprints(tl, MemberSettings(), keep_versions=True)
    assert (old.factor_version, old.co2_g) == ("2026-07", pytest.approx(10 * 142.3))
    apply_footprints(tl, MemberSettings())          # what a rebuild does
    assert (old.factor_version, old.co2_g) == ("2026-12", pytest.approx(10 * 227.6))


def test_every_factor_cites_a_source():
    for version in ("2026-07", "2026-12"):
        t = table(version)
        for key, entry in t["per_pkm"].items():
            assert entry["source"] in t["sources"], key
        assert t["per_vehicle_km"]["car"]["source"] in t["sources"]
