"""Junk altitudes are not gravity (carbon/features.py, `_gravity`, `_level_p95`)."""
from carbon import features
from carbon.fix import Fix


def test_a_fall_no_road_has_is_junk_altitude_not_a_descent():
    # 100 m along, 60 m down (60 %: GeoLife's -777 or feet): not a coasting bicycle's fall
    assert not features._gravity(Fix(0, 46.0, 7.0, 5.0, 100.0), Fix(10, 46.0009, 7.0, 5.0, 40.0),
                                 100.0, 8.0)
    # a real 8 % pass over 500 m does read gravity at a coasting speed
    assert features._gravity(Fix(0, 46.0, 7.0, 5.0, 100.0), Fix(60, 46.0045, 7.0, 5.0, 60.0),
                             500.0, 8.0)

