"""A trace that never rests (a tracker on a delivery bike) must not grow memory without end."""
from __future__ import annotations

import math

from gateway.trips import pipeline
from carbon.fix import Fix
from gateway.store import insert_fixes


def _never_resting(days: int, every_s: int = 120):
    """Round and round a 5 km loop at 10 m/s, day and night."""
    t0, radius = 1_767_225_600, 800.0
    for k in range(days * 86400 // every_s):
        angle = k * every_s * 10.0 / radius
        lat = 46.16 + radius * math.sin(angle) / 111_320
        lon = -1.15 + radius * math.cos(angle) / (111_320 * math.cos(math.radians(46.16)))
        yield Fix(ts=t0 + k * every_s, lat=lat, lon=lon, acc=10.0, vel=10.0)


def test_rebuild_cuts_a_restless_timeline_instead_of_carrying_it_all(box, monkeypatch):
    device = box.devices["alice"]
    with box.store.transaction() as conn:
        total = insert_fixes(conn, device.id, device.member_id, _never_resting(70), "gpsd")
    monkeypatch.setattr(pipeline, "MAX_CARRY", 5000)
    windows = []
    detect = pipeline._detect
    monkeypatch.setattr(pipeline, "_detect",
                        lambda window, *a: windows.append(len(window)) or detect(window, *a))
    pipeline.rebuild_member(box.store, box.ids["alice"])
    month = 31 * 86400 // 120
    assert len(windows) >= 3  # three calendar months were read
    # Without the cut the last window would hold every fix of the 70 days.
    context = pipeline.CONTEXT_S // 120 + 1
    assert max(windows) <= 5000 // 2 + context + month < total
