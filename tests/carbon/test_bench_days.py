"""The real days (e-mission, Helsinki): a floor under the measured scores, to catch
regressions. The floors sit a little under what is measured, not at the targets."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared", "bench")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/bench"
EMISSION, AALTO = os.path.join(SHARED, "emission"), os.path.join(SHARED, "aalto")


def _bench():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import trips as bench
    return bench


@pytest.mark.skipif(not os.path.isdir(EMISSION), reason="bench data not available")
def test_emission_days_score(tmp_path):
    bench = _bench()
    bench.predict_all(EMISSION, str(tmp_path))
    f1, macro = bench.score(EMISSION, str(tmp_path))
    assert f1 >= 0.90       # measured 0.925 (2026-12, the mode model and vehicles at hand)
    assert macro >= 0.80    # measured 0.814


@pytest.mark.skipif(not os.path.isdir(AALTO), reason="bench data not available")
def test_helsinki_participants_score(tmp_path):
    bench = _bench()
    res = bench.evaluate("Helsinki", "aalto", AALTO, str(tmp_path), pure=True)
    assert res["ptcar_macro"] >= 0.93      # measured 0.944 with round 7 merged (0.939 before)
    # measured 0.964 with round 7 merged (target 0.95): 0.937 while dev5's tram 9, crawling
    # out of its stop, carried a boarding wait of 0 s after the crawl and read as a bike
    assert res["vehicle_macro"] >= 0.95
    assert res["unlabelled_vehicle"] <= 0.5   # measured 0.39


@pytest.mark.skipif(not os.path.isdir(AALTO), reason="bench data not available")
def test_helsinki_at_a_fix_every_30_s_keeps_its_public_transport(tmp_path):
    # a phone that samples every 30 s (bench/robustness.py thin30): measured PT/car 0.809,
    # vehicle 0.939; 0.785 / 0.882 while the car's jam state decided the connections
    # (a tram crawling into a change made the rides either side one car, the morning's
    # rides bikes: docs/engine.md, round 11, car-seeds-2)
    bench = _bench()
    import robustness
    robustness.write_degraded(AALTO, str(tmp_path / "days"), "thin30", 0)
    res = bench.evaluate("Helsinki", "aalto", str(tmp_path / "days"), str(tmp_path / "out"),
                         pure=True)
    assert res["ptcar_macro"] >= 0.80
    assert res["vehicle_macro"] >= 0.92
