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
    assert res["ptcar_macro"] >= 0.92      # measured 0.939 (0.952 before the decision by marginals)
    # measured 0.937: 0.979 before each leg took its most probable mode; one 17-minute bus
    # ride of dev5 (bike 0.46, bus 0.32, tram 0.21) now reads as the bike the model believes
    assert res["vehicle_macro"] >= 0.92
    assert res["unlabelled_vehicle"] <= 0.5   # measured 0.39
