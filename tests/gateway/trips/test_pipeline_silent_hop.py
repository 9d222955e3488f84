"""The gateway stores the flight a silence reveals (carbon.silence) as a rebuild does, fix
by fix and after a late batch: a trip waiting for fixes after it is never stored as decided
(pipeline._recompute with `until`, _resume_point)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "carbon"))

from carbon.fix import Fix  # noqa: E402
from gateway.trips import pipeline  # noqa: E402
from pipeline_helpers import Box  # noqa: E402
from test_silent_hop import DEP, T0, _drive, _east  # noqa: E402
from test_silent_hop_live import LANDED, _driven_to_the_airport, _flight  # noqa: E402


def _modes(box) -> list:
    return [[leg[3] for leg in t[-1]] for t in box.trips("alice")]


def _fix_by_fix(tmp_path, fixes) -> Box:
    box = Box(tmp_path / "live.db")
    for f in fixes:
        box.add("alice", [f])
        pipeline.process_new(box.store, box.ids["alice"])
    return box


def test_a_flight_from_the_first_stay_is_stored_as_in_a_rebuild(tmp_path):
    # no long stay before the flight: the engine's resume point is none while it is open
    taxi = _drive(_east(DEP, 191.0), LANDED + 2700, 8, 300, 2.0, north=0.3)
    taxi += [Fix(taxi[-1].ts + 1200, taxi[-1].lat + 0.0002, taxi[-1].lon, 15.0),
             Fix(taxi[-1].ts + 2400, taxi[-1].lat, taxi[-1].lon + 0.0002, 15.0)]
    box = _fix_by_fix(tmp_path, _flight(taxi))
    live = box.trips("alice")
    pipeline.rebuild_member(box.store, box.ids["alice"])
    assert _modes(box) == [["plane"], ["car"]]
    assert live == box.trips("alice")


def test_a_late_gate_fix_keeps_the_flight(tmp_path):
    box = _fix_by_fix(tmp_path, _driven_to_the_airport())
    box.add("alice", [Fix(T0 - 450, DEP[0] + 0.0001, DEP[1], 15.0)])
    pipeline.process_new(box.store, box.ids["alice"])
    live = box.trips("alice")
    pipeline.rebuild_member(box.store, box.ids["alice"])
    assert _modes(box) == [["car"], ["plane"], ["car"]]
    assert live == box.trips("alice")


def _stay(after, n):
    return [Fix(after.ts + 600 * k, after.lat + 0.00005 * (k % 2), after.lon, 10.0)
            for k in range(1, n + 1)]


def test_a_late_gate_fix_before_the_resume_point_keeps_the_flight(tmp_path):
    # the flight, a taxi to a hotel, then two outings: the resume point moves past the
    # flight, and the late batch's window ends at the arrival airport's stay, before the
    # taxi the flight's evidence is read from
    fixes = _driven_to_the_airport()
    hotel = _stay(fixes[-1], 19)
    out = _drive((hotel[-1].lat, hotel[-1].lon), hotel[-1].ts, 6, 120, 1.0, north=0.2)
    there = _stay(out[-1], 7)
    back = _drive((there[-1].lat, there[-1].lon), there[-1].ts, 6, 120, -1.0, north=0.2)
    fixes += hotel + out + there + back + _stay(back[-1], 7)
    box = _fix_by_fix(tmp_path, fixes)
    state = pipeline._state(box.store.conn, box.ids["alice"])
    assert state["resume_ts"] > LANDED
    box.add("alice", [Fix(T0 - 450, DEP[0] + 0.0001, DEP[1], 15.0)])
    pipeline.process_new(box.store, box.ids["alice"])
    live = box.trips("alice")
    pipeline.rebuild_member(box.store, box.ids["alice"])
    assert _modes(box)[:3] == [["car"], ["plane"], ["car"]]
    assert live == box.trips("alice")
