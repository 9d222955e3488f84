"""The day view's read: stays and trips of one local day in order, totals, the calendar."""
from __future__ import annotations

from datetime import date, timedelta

from carbon.modes import MODES
from gateway.queries import days as dq
from gateway.queries.confidence import ASK_PER_DAY, leg_certainty, to_ask

from pagebox import TZ, WORKDAY, FIRST_DAY, LAST_DAY, member_id


def test_a_workday_is_stays_and_trips_in_time_order(history_store):
    view = dq.day(history_store.conn, member_id(history_store, "alice"), WORKDAY, TZ)
    kinds = [i["kind"] for i in view["timeline"]]
    assert kinds.count("trip") >= 2 and kinds[0] == "stay"
    starts = [i["start_ts"] for i in view["timeline"]]
    assert starts == sorted(starts)
    home = [i for i in view["timeline"] if i["kind"] == "stay" and i["label"] == "home"]
    assert home, "the night before is spent at home"
    for trip in view["trips"]:
        assert trip["legs"] and all(g["mode"] in MODES for g in trip["legs"])


def test_totals_add_the_legs_and_keep_avoided_apart(history_store):
    view = dq.day(history_store.conn, member_id(history_store, "bob"), WORKDAY, TZ)
    legs = [g for t in view["trips"] for g in t["legs"]]
    totals = view["totals"]
    assert totals["trips"] == len(view["trips"]) >= 2
    assert abs(totals["distance_m"] - sum(g["distance_m"] for g in legs)) < 1e-6
    assert abs(totals["co2_g"] - sum(g["co2_g"] or 0 for g in legs)) < 1e-6
    assert totals["co2_g"] > 0          # bob drives: a footprint, never lowered by avoided
    assert totals["avoided_g"] == sum(g["avoided_g"] or 0 for g in legs)


def test_a_day_shows_only_its_member(history_store):
    alice, bob = member_id(history_store, "alice"), member_id(history_store, "bob")
    a = dq.day(history_store.conn, alice, WORKDAY, TZ)
    b = dq.day(history_store.conn, bob, WORKDAY, TZ)
    assert {t["id"] for t in a["trips"]}.isdisjoint({t["id"] for t in b["trips"]})
    assert all(t["member_id"] == alice for t in a["trips"])


def test_a_clock_change_day_is_23_hours():
    lo, hi = dq.day_bounds(date(2026, 3, 29), TZ)
    assert hi - lo == 23 * 3600


def test_the_calendar_knows_the_days_with_trips(history_store):
    busy = dq.days_with_trips(history_store.conn, member_id(history_store, "alice"), FIRST_DAY,
                              LAST_DAY + timedelta(days=5), TZ)
    assert WORKDAY in busy and FIRST_DAY <= min(busy) and max(busy) <= LAST_DAY
    first = dq.first_day(history_store.conn, member_id(history_store, "alice"), TZ)
    assert FIRST_DAY - timedelta(days=1) <= first <= FIRST_DAY   # the night before counts


def test_at_most_a_few_least_sure_legs_are_asked_about():
    legs = [{"id": i, "confidence": c, "corrected": 0}
            for i, c in enumerate([0.9, 0.2, 0.5, 0.1, 0.4, 0.55, 0.7])]
    asked = to_ask(legs)
    assert asked == {3, 1, 4} and len(asked) == ASK_PER_DAY


def test_a_corrected_leg_is_certain_and_a_store_without_confidence_asks_nothing():
    assert leg_certainty({"id": 1, "confidence": 0.1, "corrected": 1}) == 1.0
    assert leg_certainty({"id": 1}) == 1.0            # no confidence column: all certain
    assert to_ask([{"id": 1}, {"id": 2}]) == set()
