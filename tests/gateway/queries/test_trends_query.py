"""Trends: periods, per-mode sums that match the legs, low-carbon share, avoided apart."""
from __future__ import annotations

from datetime import date

from gateway.queries import trends as tq
from gateway.queries.days import day_bounds

from pagebox import TZ, LAST_DAY, member_id


def test_periods_are_calendar_weeks_months_and_years():
    assert tq.periods("week", date(2026, 3, 12), 2) == [
        (date(2026, 3, 2), date(2026, 3, 9)), (date(2026, 3, 9), date(2026, 3, 16))]
    assert tq.periods("month", date(2026, 1, 20), 2) == [
        (date(2025, 12, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(2026, 2, 1))]
    assert tq.periods("year", date(2026, 6, 1), 1) == [(date(2026, 1, 1), date(2027, 1, 1))]


def test_a_period_sums_its_legs_per_mode(history_store):
    conn, alice = history_store.conn, member_id(history_store, "alice")
    data = tq.trends(conn, alice, "week", LAST_DAY, TZ, count=3)
    cur = data["current"]
    lo, _ = day_bounds(cur["start"], TZ)
    hi, _ = day_bounds(tq.shift("week", cur["start"], 1), TZ)
    legs = conn.execute("SELECT mode, distance_m, co2_g FROM legs WHERE member_id = ? AND "
                        "start_ts >= ? AND start_ts < ?", (alice, lo, hi)).fetchall()
    assert abs(cur["distance_m"] - sum(g[1] for g in legs)) < 1e-6
    assert set(cur["modes"]) == {g[0] for g in legs}
    assert 0 <= cur["low_carbon_share"] <= 1
    assert abs(cur["low_carbon_m"] - sum(g[1] for g in legs if g[0] in tq.LOW_CARBON)) < 1e-6


def test_the_usual_is_the_average_of_earlier_periods_with_trips(history_store):
    data = tq.trends(history_store.conn, member_id(history_store, "bob"), "week", LAST_DAY, TZ,
                     count=4)
    earlier = [p for p in data["periods"][:-1] if p["distance_m"] > 0]
    assert len(earlier) == 1     # two simulated weeks: one before the current
    assert data["average_before"]["co2_g"] == earlier[0]["co2_g"]
    assert data["car_g_per_km"] > 100
