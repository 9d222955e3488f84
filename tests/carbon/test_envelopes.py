"""No leg outside its mode's physical envelope, on every scenario and every real data set
(issue #9), and the envelope table itself holds its sources."""
import csv
import os

import pytest

from carbon.envelopes import ENVELOPES, violation
from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation.phones import REGIMES
from simulation.scenarios import FAMILIES, make_day

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/bench"


def _outside(tl) -> list:
    out = []
    for trip in tl.trips:
        for leg in trip.legs:
            f = leg.features or {}
            why = violation(leg.mode, leg.distance_m, leg.end_ts - leg.start_ts,
                            f.get("sustained"), f.get("hop", False))
            if why:
                out.append((leg.mode, leg.start_ts, why))
    return out


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_no_scenario_leg_is_outside_its_envelope(family):
    for regime in REGIMES:
        for seed in (0, 1):
            day = make_day(family, regime, seed)
            tl = build_timeline([Fix(*f) for f in day.fixes])
            assert not _outside(tl), (day.name, _outside(tl))


def _real_days():
    for data in ("emission", "aalto"):
        root = os.path.join(SHARED, data)
        if not os.path.isdir(root):
            continue
        for day in sorted(os.listdir(root)):
            path = os.path.join(root, day, "points.csv")
            if os.path.exists(path):
                yield f"{data}/{day}", path


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="bench data not available")
def test_no_real_leg_is_outside_its_envelope():
    days = list(_real_days())
    assert len(days) >= 15
    for name, path in days:
        with open(path, newline="") as f:
            pts = [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                       float(r["acc"]) if r.get("acc") else None) for r in csv.DictReader(f)]
        tl = build_timeline(pts)
        assert not _outside(tl), (name, _outside(tl))


def test_every_envelope_cites_its_source_and_the_185_km_ride_is_no_bike():
    assert all(e.source for e in ENVELOPES.values())
    assert violation("bike", 185_000, 2 * 3600 + 16 * 60, None)          # 82 km/h
    assert violation("car", 185_000, 2 * 3600 + 16 * 60, None) is None
    # a silent hop of 190 km in 40 minutes: no ground vehicle, and no train keeps silent
    assert violation("train", 190_000, 40 * 60, None, hop=True)
    assert violation("plane", 190_000, 40 * 60, None, hop=True) is None
    assert violation("plane", 3_000, 600, None)                          # too short to fly
