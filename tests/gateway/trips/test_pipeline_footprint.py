"""Each leg stores its CO2e, its avoided CO2e and the factor table version; the member's car
settings change them at once."""
from __future__ import annotations

from gateway.trips import decisions, pipeline

from pipeline_helpers import points


def _car_legs(box, member):
    return box.store.conn.execute(
        "SELECT * FROM legs WHERE member_id = ? AND mode = 'car' ORDER BY start_ts",
        (box.ids[member],)).fetchall()


def test_car_footprints_follow_the_members_car_and_occupancy(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    legs = _car_legs(box, "bob")
    assert legs
    # Default car: compact diesel, alone: 142.3 g per km (ADEME, table 2026-07).
    for g in legs:
        assert g["factor_version"] == "2026-07"
        assert g["co2_g"] == round(g["distance_m"] / 1000 * 142.3, 1)
        assert g["avoided_g"] == 0.0
    # Bob says his car is a compact petrol car and he usually drives a colleague: 169.7 / 2.
    decisions.set_vehicle(box.store, bob, car_fuel="petrol", car_size="compact", car_occupancy=2)
    legs = _car_legs(box, "bob")
    for g in legs:
        assert g["co2_g"] == round(g["distance_m"] / 1000 * 169.7 / 2, 1)
        assert g["avoided_g"] == round(g["distance_m"] / 1000 * 169.7 / 2, 1)
    # ... and it holds after a rebuild.
    pipeline.rebuild_member(box.store, bob)
    assert [g["co2_g"] for g in _car_legs(box, "bob")] == [g["co2_g"] for g in legs]
    trip = box.store.conn.execute("SELECT * FROM trips WHERE id = ?", (legs[0]["trip_id"],)).fetchone()
    total = box.store.conn.execute("SELECT sum(co2_g) FROM legs WHERE trip_id = ?",
                                   (trip["id"],)).fetchone()[0]
    assert trip["co2_g"] == round(total, 1)


def test_a_bike_leg_avoids_what_the_car_would_have_emitted(box):
    alice = box.ids["alice"]
    box.add("alice", points("alice"))
    pipeline.rebuild_member(box.store, alice)
    g = box.store.conn.execute("SELECT * FROM legs WHERE member_id = ? AND mode = 'bike' "
                               "ORDER BY start_ts LIMIT 1", (alice,)).fetchone()
    km = g["distance_m"] / 1000
    assert g["co2_g"] == round(km * 0.17, 1)                 # bike, construction included
    assert g["avoided_g"] == round(km * 142.3 - km * 0.17, 1)


def test_unknown_car_settings_are_refused(box):
    try:
        decisions.set_vehicle(box.store, box.ids["bob"], car_fuel="coal")
    except ValueError as exc:
        assert "fuel must be one of" in str(exc)
    else:
        raise AssertionError("an unknown fuel was accepted")
