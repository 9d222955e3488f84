"""A leg's mode and the probabilities the member sees agree: the mode is the leg's most
probable one, its confidence that mode's probability (the household page asks about the
least certain legs first, and shows the runners-up). The one exception the model allows:
a mode no single kind of trip can carry beside the trip's other legs (a bike ride in the
middle of a car trip), docs/engine.md "the mode model"."""
import csv
import os

import pytest

from carbon import mode_params as mp
from carbon.decode import decode
from carbon.fix import Fix
from carbon.timeline import build_timeline
from simulation.phones import REGIMES
from simulation.scenarios import FAMILIES, make_day

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/bench"


def _one_kind_carries(modes: list) -> bool:
    return any(all(kind["modes"].get(m, 0) > 0 for m in modes) for kind in mp.TRIP_KINDS.values())


def _disagreements(tl) -> list:
    out = []
    for trip in tl.trips:
        for k, leg in enumerate(trip.legs):
            probs = leg.probs or {}
            if not probs:
                out.append((leg.start_ts, leg.mode, "no probabilities"))
                continue
            top = max(probs, key=probs.get)
            if abs(probs.get(leg.mode, 0.0) - leg.confidence) > 0.0015:
                out.append((leg.start_ts, leg.mode, leg.confidence, probs))
            elif probs[top] > probs.get(leg.mode, 0.0) + 0.0015:
                others = [g.mode for j, g in enumerate(trip.legs) if j != k]
                if _one_kind_carries(others + [top]):
                    out.append((leg.start_ts, leg.mode, leg.confidence, probs))
    return out


def _read(path: str) -> list:
    with open(path, newline="") as f:
        return [Fix(int(float(r["ts"])), float(r["lat"]), float(r["lon"]),
                    float(r["acc"]) if r.get("acc") else None) for r in csv.DictReader(f)]


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="bench data not available")
def test_every_real_leg_reads_as_its_most_probable_mode():
    days = [(f"{data}/{day}", os.path.join(SHARED, data, day, "points.csv"))
            for data in ("emission", "aalto") if os.path.isdir(os.path.join(SHARED, data))
            for day in sorted(os.listdir(os.path.join(SHARED, data)))]
    days = [(name, path) for name, path in days if os.path.exists(path)]
    assert len(days) >= 15
    legs = 0
    for name, path in days:
        tl = build_timeline(_read(path))
        legs += sum(len(t.legs) for t in tl.trips)
        assert not _disagreements(tl), (name, _disagreements(tl))
    assert legs > 100


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_scenario_leg_reads_as_its_most_probable_mode(family):
    for regime in REGIMES:
        day = make_day(family, regime, 0)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        assert not _disagreements(tl), (day.name, _disagreements(tl))


def test_a_mode_several_kinds_of_trip_share_gathers_their_belief():
    # A Helsinki commuter train seen like a metro: on foot the metro is a little likelier,
    # but a train is also what a cyclist or a driver would have taken (the bike and car
    # kinds), so the model believes train overall. The single likeliest kind's best path
    # (metro) is not what it believes.
    modes, margs = decode([{"metro": 0.6, "train": 0.0}])
    assert margs[0]["train"] > margs[0]["metro"]
    assert modes == ["train"]


def test_a_long_clear_leg_decides_the_trip_not_a_short_doubtful_one():
    # 30 s that reads a little more like a bike, then a 40-minute drive: the trip is a car
    # trip (a cyclist does not drive), and the short leg the walk to the car.
    short = {"walk": -0.3, "bike": 0.0}
    drive = {"car": 0.0, "bus": -4.0}
    modes, margs = decode([short, drive], weights=[30, 2400])
    assert modes == ["walk", "car"]
    assert margs[0]["walk"] > margs[0].get("bike", 0.0)
