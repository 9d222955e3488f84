import pytest

from carbon.factors import CURRENT_VERSION, table
from carbon.footprint import MemberSettings, apply_footprints, leg_footprint
from carbon.model import Leg, Timeline, Trip


def test_bus_uses_the_network_default_of_147_g_per_pkm():
    co2, _ = leg_footprint("bus", 12_500, MemberSettings())
    assert co2 == pytest.approx(12.5 * 147)


def test_bus_factor_is_configurable_per_network():
    co2, _ = leg_footprint("bus", 10_000, MemberSettings(bus_g_pkm=21.7))
    assert co2 == pytest.approx(10 * 21.7)


def test_car_is_per_vehicle_km_divided_by_occupancy():
    s = MemberSettings(car_fuel="petrol", car_size="saloon")
    assert leg_footprint("car", 10_000, s)[0] == pytest.approx(10 * 189.3)
    assert leg_footprint("carpool", 10_000, s)[0] == pytest.approx(10 * 189.3 / 2)
    family = MemberSettings(car_fuel="electric", car_size="small", car_occupancy=3)
    assert leg_footprint("car", 9_000, family)[0] == pytest.approx(9 * 57.6 / 3)


def test_planes_by_distance_band_and_trains_by_kind():
    s = MemberSettings()
    assert leg_footprint("plane", 800_000, s)[0] == pytest.approx(800 * 224.6)
    assert leg_footprint("plane", 1_500_000, s)[0] == pytest.approx(1500 * 184.7)
    assert leg_footprint("train", 470_000, s)[0] == pytest.approx(470 * 2.9)      # TGV
    assert leg_footprint("train", 30_000, s)[0] == pytest.approx(30 * 27.7)       # TER


def test_avoided_is_alone_in_own_car_minus_the_leg_and_never_subtracted():
    s = MemberSettings()   # compact diesel, 142.3 g/km
    co2, avoided = leg_footprint("bike", 5_000, s)
    assert co2 == pytest.approx(5 * 0.17, abs=0.05)
    assert avoided == pytest.approx(5 * 142.3 - 5 * 0.17, abs=0.1)
    assert leg_footprint("car", 5_000, s)[1] == 0
    assert leg_footprint("bus", 5_000, s)[1] == 0       # 147 > 142.3: nothing avoided


def test_each_leg_keeps_its_factor_version():
    tl = Timeline([], [Trip(0, 100, 2000, [Leg(0, 100, 2000, "e-bike", 0.5)])])
    apply_footprints(tl, MemberSettings())
    leg = tl.trips[0].legs[0]
    assert leg.factor_version == CURRENT_VERSION
    assert leg.co2_g == pytest.approx(2 * 10.95)
    assert tl.trips[0].co2_g == leg.co2_g


def test_every_factor_cites_a_source():
    t = table()
    for key, entry in t["per_pkm"].items():
        assert entry["source"] in t["sources"], key
