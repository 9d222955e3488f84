import random

from carbon.corrections import apply_corrections, correct_leg, correct_purpose
from carbon.params import Context
from simulation.household import simulate_household
from carbon.timeline import build_timeline


def _bob():
    sim = simulate_household(days=14, seed=4)
    return sim.points[sim.devices["bob"]], sim


def test_leg_correction_survives_a_rebuild_from_shuffled_fixes():
    points, _ = _bob()
    tl = build_timeline(points)
    trip = tl.trips[0]
    fix = correct_leg(trip, trip.legs[0], "motorcycle")
    again = list(points)
    random.Random(3).shuffle(again)
    rebuilt = build_timeline(again[: len(again)] + again[:50], context=Context(corrections=(fix,)))
    first = rebuilt.trips[0]
    assert first.legs[0].mode == "motorcycle" and first.legs[0].corrected


def test_purpose_correction_survives_rebuild():
    points, _ = _bob()
    tl = build_timeline(points)
    fix = correct_purpose(tl.trips[3], "accompany")
    rebuilt = build_timeline(points, context=Context(corrections=(fix,)))
    assert rebuilt.trips[3].purpose == "accompany"
    assert sum(t.purpose == "accompany" for t in rebuilt.trips) == 1


def test_recurring_trips_learn_the_corrected_mode():
    points, sim = _bob()
    tl = build_timeline(points)
    morning = tl.trips[0]                        # Monday home -> Périgny by car
    fix = correct_leg(morning, morning.legs[0], "carpool")
    rebuilt = build_timeline(points, context=Context(corrections=(fix,)))
    same_way = [t for t in rebuilt.trips if t.start and abs(t.start[0] - morning.start[0]) < 0.002
                and abs(t.end[1] - morning.end[1]) < 0.002]
    assert len(same_way) >= 5
    assert all(t.main_mode == "carpool" for t in same_way)
    # the way back is another recurring trip and is left alone
    assert any(t.main_mode == "car" for t in rebuilt.trips)


def test_correction_on_a_vanished_leg_is_ignored():
    points, _ = _bob()
    tl = build_timeline(points)
    fix = correct_leg(tl.trips[0], tl.trips[0].legs[0], "bus")
    moved = type(fix)(fix.kind, fix.start_ts - 10 * 86400, fix.end_ts - 10 * 86400, "bus")
    apply_corrections(tl, [moved])
    assert "bus" not in [l.mode for t in tl.trips for l in t.legs]
