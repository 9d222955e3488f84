"""Forfait mobilités durables days: home-work days mainly by bike, e-bike, e-scooter or
carpool, counted once per day."""
from __future__ import annotations

from datetime import datetime

from carbon.summaries import SUSTAINABLE_COMMUTE_MODES
from gateway.queries.bike_days import bike_days
from gateway.queries.trips import trips

from pagebox import TZ, FIRST_DAY, member_id


def _expected(conn, member):
    days = set()
    for t in trips(conn, member):
        main = max(t["legs"], key=lambda g: g["distance_m"])["mode"] if t["legs"] else None
        if t["purpose"] == "commute" and main in SUSTAINABLE_COMMUTE_MODES:
            days.add(datetime.fromtimestamp(t["start_ts"], TZ).date())
    return days


def test_bike_days_are_the_commute_days_by_bike_or_carpool(history_store):
    conn = history_store.conn
    for name in ("alice", "bob"):
        found = bike_days(conn, member_id(history_store, name), FIRST_DAY.year, TZ)
        assert {d["date"] for d in found["days"]} == _expected(conn, member_id(history_store, name))
        assert found["count"] == len(found["days"]) == sum(found["by_month"].values())
    alice = bike_days(conn, member_id(history_store, "alice"), FIRST_DAY.year, TZ)
    assert alice["count"] >= 4                      # she bikes to work most weekdays
    assert all(set(d["modes"]) <= SUSTAINABLE_COMMUTE_MODES for d in alice["days"])


def test_another_year_has_none(history_store):
    assert bike_days(history_store.conn, member_id(history_store, "alice"), 2019, TZ)["count"] == 0
