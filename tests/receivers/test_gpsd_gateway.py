"""A USB dongle end to end: real gpsd → the gateway's gpsd receiver → the store."""
from __future__ import annotations

import asyncio
import time

import pytest

from carbon.geo import distance_m
from gateway import doctor
from gateway.service import Gateway
from webui.app import make_app
from helpers import count_fixes, wait_for
from simulation import nmea

try:
    from . import gpsd_harness as h
except ImportError:  # tests/receivers is not a package: pytest put its folder on sys.path
    import gpsd_harness as h


async def test_a_drive_from_the_dongle_is_stored_for_its_device(household, tmp_path):
    if h.gpsd_binary() is None:
        pytest.skip("gpsd is not installed (the README's test command installs it)")
    serial = h.FakeSerial()
    daemon = h.Gpsd(serial.path, tmp_path)
    await daemon.astart()
    cfg = household.config
    cfg.gpsd.enabled, cfg.gpsd.port, cfg.gpsd.device = True, daemon.port, "alice/phone"
    gw = Gateway(cfg, web_app=make_app)
    await gw.start()
    try:
        check = await asyncio.to_thread(doctor.check_gpsd, cfg)  # doctor runs its own loop
        assert check.status in ("ok", "warn"), check  # reachable, a receiver
        start = int(time.time()) // 60 * 60 - 1800
        points = nmea.simulated_drive(start, 300)
        await serial.play(s.encode() for s in nmea.sentences(points))
        stored = await wait_for(lambda: count_fixes(cfg.db_path, "source = 'gpsd'") > 20, 30)
        assert stored
        rows = gw.store.conn.execute(
            "SELECT f.ts, f.lat, f.lon, f.vel FROM fixes f JOIN devices d ON d.id = f.device_id "
            "WHERE f.source = 'gpsd' AND d.name = 'phone' ORDER BY f.ts").fetchall()
        by_ts = {p.ts: p for p in points}
        for row in rows:
            p = by_ts[row["ts"]]
            assert distance_m(row["lat"], row["lon"], p.lat, p.lon) < 3
            # the RMC's knots, made m/s by gpsd (TPV speed), stored as they came
            assert row["vel"] == pytest.approx(p.speed, abs=0.05)
        assert max(row["vel"] for row in rows) > 5   # a drive's speeds, not 0s
        # Thinned: far fewer fixes than the receiver's one per second.
        assert len(rows) < len(points) / 2
        # A real dongle keeps talking while parked: the doctor then sees the fix.
        last = points[-1]
        parked = [last._replace(ts=last.ts + i + 1) for i in range(8)]
        playing = asyncio.create_task(serial.play((s.encode() for s in nmea.sentences(parked)),
                                                  spacing=0.5))
        check = await asyncio.to_thread(doctor.check_gpsd, cfg)
        await playing
        assert check.status == "ok", check
    finally:
        await gw.stop()
        daemon.stop()
        serial.close()
