"""What the household page decides goes through gateway.trips.decisions and survives a
rebuild: a leg's mode with or without "similar trips", a split, a merge, merged places."""
from __future__ import annotations

import shutil

import pytest

from gateway.queries import days as dq
from gateway.queries.tracks import trip_points
from gateway.store import Store
from gateway.trips import decisions, pipeline

from pagebox import TZ, WORKDAY, member_id


@pytest.fixture
def store(household_db, tmp_path):
    shutil.copy(household_db, tmp_path / "s.db")
    s = Store(tmp_path / "s.db").open()
    yield s
    s.close()


def _trips(store, name, day=WORKDAY):
    return dq.day(store.conn, member_id(store, name), day, TZ)["trips"]


def test_a_correction_without_similar_trips_changes_that_leg_only(store):
    alice = member_id(store, "alice")
    days = [WORKDAY, WORKDAY.replace(day=WORKDAY.day + 7)]
    morning = [_trips(store, "alice", d)[0] for d in days]
    leg = morning[0]["legs"][-1]
    before = morning[1]["legs"][-1]["mode"]
    decisions.correct_leg(store, alice, (leg["start_ts"] + leg["end_ts"]) // 2, "e-scooter",
                          similar=False)
    assert _trips(store, "alice", days[0])[0]["legs"][-1]["mode"] == "e-scooter"
    assert _trips(store, "alice", days[1])[0]["legs"][-1]["mode"] == before
    pipeline.rebuild_member(store, alice)
    assert _trips(store, "alice", days[0])[0]["legs"][-1]["mode"] == "e-scooter"


def test_a_split_and_a_merge_survive_a_rebuild(store):
    bob = member_id(store, "bob")
    trips = _trips(store, "bob")
    n = len(trips)
    first = trips[0]
    points = trip_points(store.conn, bob, first)
    middle = points[len(points) // 2]
    decisions.split_trip(store, bob, first["id"], middle["ts"], middle["lat"], middle["lon"])
    assert len(_trips(store, "bob")) == n + 1
    pipeline.rebuild_member(store, bob)
    after = _trips(store, "bob")
    assert len(after) == n + 1 and after[0]["end_ts"] == middle["ts"] == after[1]["start_ts"]
    decisions.merge_with_next(store, bob, after[0]["id"])
    pipeline.rebuild_member(store, bob)
    merged = _trips(store, "bob")
    assert len(merged) == n and merged[0]["start_ts"] == first["start_ts"]
    assert merged[0]["end_ts"] == first["end_ts"]


def test_trips_of_another_member_cannot_be_split(store):
    alice_trip = _trips(store, "alice")[0]
    with pytest.raises(LookupError):
        decisions.merge_with_next(store, member_id(store, "bob"), alice_trip["id"])


def test_two_places_merged_are_one_from_then_on(store):
    alice = member_id(store, "alice")
    decisions.name_place(store, alice, 46.1602, -1.1515, "Town hall", "work")
    market = (46.1665, -1.1440)
    decisions.merge_places(store, alice, market, (46.1602, -1.1515))
    pipeline.rebuild_member(store, alice)
    names = {i["name"] for d in (WORKDAY.replace(day=3), WORKDAY.replace(day=5))
             for i in dq.day(store.conn, alice, d, TZ)["timeline"] if i["kind"] == "stay"}
    assert "Town hall" in names
    stays_at_market = [i for i in dq.day(store.conn, alice, WORKDAY.replace(day=3), TZ)["timeline"]
                       if i["kind"] == "stay" and abs(i["lat"] - market[0]) < 0.001]
    assert stays_at_market and all(s["name"] == "Town hall" for s in stays_at_market)


def test_a_purpose_for_similar_trips_reaches_the_same_journey_on_other_days(store):
    bob = member_id(store, "bob")
    days = [WORKDAY, WORKDAY.replace(day=WORKDAY.day + 7)]
    trip = _trips(store, "bob", days[0])[0]
    decisions.correct_purpose(store, bob, (trip["start_ts"] + trip["end_ts"]) // 2, "school",
                              similar=True)
    assert _trips(store, "bob", days[1])[0]["purpose"] == "school"
    pipeline.rebuild_member(store, bob)
    assert [_trips(store, "bob", d)[0]["purpose"] for d in days] == ["school", "school"]
    evening = _trips(store, "bob", days[1])[1]
    assert evening["purpose"] != "school"          # the way back is another journey
