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
    # Default car: compact diesel, alone: 227.6 g per vehicle-km (ADEME impactCO2's 142.3
    # per passenger at 1.6 aboard, table 2026-12).
    for g in legs:
        assert g["factor_version"] == "2026-12"
        assert g["co2_g"] == round(g["distance_m"] / 1000 * 227.6, 1)
        assert g["avoided_g"] == 0.0
    # Bob says his car is a compact petrol car and he usually drives a colleague: 271.5 / 2.
    decisions.set_vehicle(box.store, bob, car_fuel="petrol", car_size="compact", car_occupancy=2)
    legs = _car_legs(box, "bob")
    for g in legs:
        assert g["co2_g"] == round(g["distance_m"] / 1000 * 271.5 / 2, 1)
        assert g["avoided_g"] == round(g["distance_m"] / 1000 * 271.5 / 2, 1)
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
    assert g["avoided_g"] == round(km * 227.6 - km * 0.17, 1)


def test_unknown_car_settings_are_refused(box):
    try:
        decisions.set_vehicle(box.store, box.ids["bob"], car_fuel="coal")
    except ValueError as exc:
        assert "fuel must be one of" in str(exc)
    else:
        raise AssertionError("an unknown fuel was accepted")


def test_a_rebuild_moves_legs_to_the_current_factor_table_and_says_so(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    # legs priced with the first table (2026-07: cars per passenger-km at 1.6 aboard)
    with box.store.transaction() as conn:
        conn.execute("UPDATE legs SET factor_version = '2026-07', co2_g = round(distance_m / "
                     "1000 * 142.3, 1) WHERE member_id = ? AND mode = 'car'", (bob,))
    n = len(_car_legs(box, "bob"))
    # anything short of a rebuild keeps them on their table
    decisions.set_vehicle(box.store, bob, car_occupancy=1)
    assert {g["factor_version"] for g in _car_legs(box, "bob")} == {"2026-07"}
    assert all(g["co2_g"] == round(g["distance_m"] / 1000 * 142.3, 1) for g in _car_legs(box, "bob"))
    done = pipeline.rebuild_member(box.store, bob)
    assert done["factor_table"]["version"] == "2026-12"
    assert done["factor_table"]["moved"] >= n and done["factor_table"]["from"]["2026-07"] >= n
    assert all(g["factor_version"] == "2026-12" and g["co2_g"] == round(g["distance_m"] / 1000 * 227.6, 1)
               for g in _car_legs(box, "bob"))
