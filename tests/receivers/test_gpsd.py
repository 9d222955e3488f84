"""The gpsd receiver against a real gpsd on loopback, fed recorded and simulated receivers.

Every gpsd here runs on 127.0.0.1 on a free port and reads a pseudo-terminal the test writes
into (see gpsd_harness). Captures come from gpsd's own regression suite with their ``.chk``
files, which hold what gpsd reports for them: expected positions are read from there.
"""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from simulation import nmea
from receivers.gpsd import GpsdReceiver, Thinner, probe
from carbon.geo import distance_m

try:
    from . import gpsd_harness as h
except ImportError:  # tests/receivers is not a package: pytest put its folder on sys.path
    import gpsd_harness as h

from gateway.config import GpsdSection
from carbon.fix import Fix

DEFAULTS = GpsdSection()
THINNING = dict(interval_s=DEFAULTS.interval_s, distance_m=DEFAULTS.distance_m,
                still_interval_s=DEFAULTS.still_interval_s,
                still_speed_ms=DEFAULTS.still_speed_ms)


@pytest.fixture(scope="module")
def gpsd_installed():
    if h.gpsd_binary() is None:
        pytest.skip("gpsd is not installed (Debian: apt-get install gpsd)")


@pytest.fixture
def serial():
    port = h.FakeSerial()
    yield port
    port.close()


@pytest.fixture
def gpsd(gpsd_installed, serial, tmp_path):
    """A gpsd reading the fake serial port; stopped after the test (also if killed in it)."""
    daemon = h.Gpsd(serial.path, tmp_path)
    yield daemon
    daemon.stop()


class Running:
    """Receivers started as tasks, cancelled at the end."""

    def __init__(self):
        self.tasks = []

    def start(self, port, **options) -> tuple[GpsdReceiver, h.Collector]:
        sink = h.Collector()
        settings = {**THINNING, "max_backoff_s": 1.0, "initial_backoff_s": 0.2, **options}
        receiver = GpsdReceiver("127.0.0.1", port, sink, **settings)
        self.tasks.append(asyncio.create_task(receiver.run()))
        return receiver, sink

    def alive(self) -> bool:
        return all(not t.done() for t in self.tasks)

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def running():
    r = Running()
    yield r
    await r.stop()


def fix_time_of_day(fix: Fix) -> str:
    return h.time_of_day(json.loads(fix.raw)["time"])


def thin_still(times: list[str], every_s: float) -> list[str]:
    """Which times of a still receiver one fix per ``every_s`` seconds keeps."""
    kept, last = [], None
    for tod in times:
        seconds = _seconds(tod)
        if last is None or seconds - last >= every_s:
            kept.append(tod)
            last = seconds
    return kept


def _seconds(tod: str) -> float:
    hh, mm, ss = tod.split(":")
    return int(hh) * 3600 + int(mm) * 60 + int(float(ss))


# --- recorded receivers ----------------------------------------------------------------------

CAPTURES = ["bu353s4.log", "bu303-moving.log", "ublox-8.log", "quectel-l76k-nmea.log"]


@pytest.mark.parametrize("name", CAPTURES)
async def test_capture_positions_match_gpsd_reference(name, gpsd, serial, running):
    expected = h.chk_fixes(name)
    assert expected and all(t.get("speed", 0) < DEFAULTS.still_speed_ms
                             for t in expected.values()), "these captures are stationary"
    await gpsd.astart()
    parked, parked_sink = running.start(gpsd.port)  # the configured defaults
    sampled, sampled_sink = running.start(gpsd.port, still_interval_s=10)
    await h.wait_until(lambda: parked.connected and sampled.connected, what="connection")

    await serial.play(h.capture_chunks(name))
    await h.settle(parked, sampled)

    # Parked with the defaults: one fix, where the receiver first had a fix.
    first = expected[min(expected)]
    assert len(parked_sink.fixes) == 1
    only = parked_sink.fixes[0]
    assert fix_time_of_day(only) == min(expected)
    assert (only.lat, only.lon) == pytest.approx((first["lat"], first["lon"]), abs=1e-7)

    # One fix every 10 s while still: the right epochs, at gpsd's reference positions.
    want = thin_still(sorted(expected), 10)
    got = [fix_time_of_day(f) for f in sampled_sink.fixes]
    assert got == want
    for fix in sampled_sink.fixes:
        ref = expected[fix_time_of_day(fix)]
        assert (fix.lat, fix.lon) == pytest.approx((ref["lat"], ref["lon"]), abs=1e-7)
        assert fix.ts % 86400 == _seconds(fix_time_of_day(fix)) % 86400
        # Fields from every TPV of the epoch: a first 2D report has no altitude or error.
        if "altMSL" in ref:
            assert fix.alt == pytest.approx(ref["altMSL"])
        if "eph" in ref:  # gpsd's own estimate from DOPs: its formula varies by release
            assert fix.acc == pytest.approx(ref["eph"], rel=0.25)
        assert fix.vel is not None and fix.vel < DEFAULTS.still_speed_ms
    assert sampled.counts["bad_json"] == 0 and running.alive()


async def test_bu353s4_first_fix_is_the_documented_one(gpsd, serial, running):
    await gpsd.astart()
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.connected, what="connection")
    await serial.play(h.capture_chunks("bu353s4.log"))
    await h.settle(receiver)

    assert len(sink.fixes) == 1
    fix = sink.fixes[0]
    assert fix.lat == pytest.approx(-37.784788333, abs=1e-9)
    assert fix.lon == pytest.approx(175.314896667, abs=1e-9)
    assert fix.alt == pytest.approx(59.9)  # altMSL, not the ellipsoid height
    assert fix.acc == pytest.approx(20.9)  # eph
    assert fix.cog == pytest.approx(181.39)
    assert fix.vel == pytest.approx(0.69 * 1852 / 3600, abs=0.01)  # knots in the RMC
    # gpsd dribbles: untimed TPVs come before the timed one of the first epoch.
    assert receiver.counts["untimed"] >= 1
    assert receiver.counts["epochs"] == 25  # one per second of the capture, merged
    assert receiver.last_fix_ts == fix.ts


async def test_receiver_without_fix_stores_nothing(gpsd, serial, running):
    await gpsd.astart()
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.connected, what="connection")
    await serial.play(h.capture_chunks("bu303-nofix.log"))
    await h.settle(receiver)

    assert sink.fixes == []
    assert receiver.counts["no_fix"] >= 1
    assert receiver.has_fix is False
    assert receiver.connected and running.alive()
    assert [d["driver"] for d in receiver.devices] == ["SiRF"]


async def test_dongle_unplugged_and_plugged_back(gpsd, serial, running):
    await gpsd.astart()
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.connected, what="connection")
    assert [d["path"] for d in receiver.devices] == [serial.path]

    assert gpsd.control(f"-{serial.path}") == "OK"
    await h.wait_until(lambda: receiver.devices == [], what="the dongle to go away")
    assert receiver.connected and running.alive()

    assert gpsd.control(f"+{serial.path}") == "OK"
    await h.wait_until(lambda: receiver.devices, what="the dongle to come back")
    await serial.play(h.capture_chunks("bu353s4.log"))
    await h.settle(receiver)
    assert len(sink.fixes) == 1 and receiver.counts["connects"] == 1


# --- a simulated drive -----------------------------------------------------------------------

def drive(duration_s: int = 600) -> list[nmea.Epoch]:
    # Ends in the past, like a real drive being reported; well after gpsd 3.22's release so
    # no week-rollover correction applies.
    start = int(time.time()) // 60 * 60 - 3600
    return nmea.simulated_drive(start, duration_s)


def assert_follows_drive(fixes: list[Fix], points: list[nmea.Epoch]) -> None:
    """Kept fixes sit on the drive, and are spaced as the thinning rule says."""
    by_ts = {p.ts: p for p in points}
    for fix in fixes:
        p = by_ts[fix.ts]
        assert distance_m(fix.lat, fix.lon, p.lat, p.lon) < 3.0
        assert fix.vel == pytest.approx(p.speed, abs=0.05)
    still = DEFAULTS.still_speed_ms
    for a, b in zip(fixes, fixes[1:]):
        dt = b.ts - a.ts
        moved = distance_m(a.lat, a.lon, b.lat, b.lon)
        if b.vel >= still:
            assert dt >= DEFAULTS.interval_s or moved >= DEFAULTS.distance_m, (a, b)
        else:  # a stop begins, or the parked reminder
            assert a.vel >= still or dt >= DEFAULTS.still_interval_s, (a, b)
    # Nothing lost while moving: every moving second has a kept fix at most interval_s
    # before it (from the first fix on).
    kept = [f.ts for f in fixes]
    for p in points:
        if p.speed >= still and p.ts >= kept[0]:
            latest = max(t for t in kept if t <= p.ts)
            assert p.ts - latest <= DEFAULTS.interval_s, p


async def test_simulated_drive_is_thinned_by_the_rule(gpsd, serial, running):
    points = drive()
    await gpsd.astart()
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.connected, what="connection")
    await serial.play(s.encode() for s in nmea.sentences(points))
    await h.settle(receiver)

    fixes = sink.fixes
    assert fixes[0].ts - points[0].ts <= 2  # the drive is seen from its start
    assert_follows_drive(fixes, points)
    # Each stop at a light, and the arrival, is kept where it happened.
    for stop in nmea.stops(points):
        assert any(f.vel < DEFAULTS.still_speed_ms and
                   distance_m(f.lat, f.lon, stop.lat, stop.lon) < 10 for f in fixes), stop
    # Far fewer fixes than the receiver's one per second.
    assert len(fixes) < receiver.counts["epochs"] / 2
    assert receiver.counts["epochs"] >= len(points) - 2


async def test_gpsd_killed_and_restarted_mid_drive(gpsd, serial, running):
    points = drive()
    half = len(points) // 2
    epochs = [s.encode() for s in nmea.sentences(points)]
    await gpsd.astart()
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.connected, what="connection")
    await serial.play(epochs[:half])
    await h.settle(receiver)
    before = len(sink.fixes)
    assert before > 0

    gpsd.kill()
    await h.wait_until(lambda: not receiver.connected, what="the receiver to notice")
    await gpsd.astart()  # same port, same device
    await h.wait_until(lambda: receiver.connected, what="reconnection")
    await serial.play(epochs[half:])
    await h.settle(receiver)

    assert len(sink.fixes) > before
    # Nothing missing around the restart: the drive is covered as if gpsd had not died.
    assert_follows_drive(sink.fixes, points)
    assert receiver.counts["disconnects"] == 1 and receiver.counts["connects"] == 2
    assert running.alive()


async def test_waits_for_gpsd_that_is_not_there_yet(gpsd, serial, running):
    receiver, sink = running.start(gpsd.port)
    await h.wait_until(lambda: receiver.counts["connect_failures"] >= 3,
                       what="connection attempts")
    assert not receiver.connected and running.alive()

    await gpsd.astart()
    await h.wait_until(lambda: receiver.connected, what="connection once gpsd is up")
    await serial.play(h.capture_chunks("bu353s4.log"))
    await h.settle(receiver)
    assert len(sink.fixes) == 1
    assert sink.fixes[0].lat == pytest.approx(-37.784788333, abs=1e-9)


# --- doctor's probe --------------------------------------------------------------------------

async def test_probe_reports_devices_and_fix(gpsd, serial):
    await gpsd.astart()
    playing = asyncio.create_task(serial.play(h.capture_chunks("bu353s4.log"), spacing=0.02))
    info = await probe("127.0.0.1", gpsd.port, timeout=5.0)
    await playing
    assert info["reachable"] and info["fix"] and info["error"] is None
    assert info["release"]
    assert [d["path"] for d in info["devices"]] == [serial.path]


async def test_probe_without_fix_and_without_gpsd(gpsd, serial):
    await gpsd.astart()
    playing = asyncio.create_task(serial.play(h.capture_chunks("bu303-nofix.log"),
                                              spacing=0.02))
    info = await probe("127.0.0.1", gpsd.port, timeout=1.5)
    await playing
    assert info["reachable"] and not info["fix"] and info["devices"]

    nobody = await probe("127.0.0.1", h.free_port(), timeout=1.0)
    assert not nobody["reachable"] and not nobody["devices"] and nobody["error"]


# --- hostile lines ---------------------------------------------------------------------------

BASE_TS = 1715672400  # 2024-05-14T07:40:00Z


def valid_tpv(i: int) -> bytes:
    t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(BASE_TS + 10 * i))
    tpv = {"class": "TPV", "device": "/dev/ttyUSB0", "mode": 3, "time": t,
           "lat": 46.15 + i * 0.001, "lon": -1.15 - i * 0.001, "altMSL": 8.0,
           "eph": 4.5, "speed": 9.0, "track": 45.0}
    if i % 7 == 3:  # valid position, odd extras: these must not cost the fix
        tpv.update({"device": ["x"], "speed": "fast", "track": None, "eph": -1, "ept": "?"})
    return json.dumps(tpv).encode()


BAD_JSON = [b"{not json", b"\xff\xfe\x00garbage", b"[" * 50000, b'{"class":"TPV",',
            b"\x00\x01\x02"]
ODD_MESSAGES = [b"[1,2,3]", b'"TPV"', b"42", b'{"class":5}', b"{}", b"null"]
BAD_TPVS = [
    b'{"class":"TPV","mode":"3","time":"2024-05-14T07:40:01Z","lat":1,"lon":1}',
    b'{"class":"TPV","mode":true,"time":"2024-05-14T07:40:01Z","lat":1,"lon":1}',
    b'{"class":"TPV","mode":7,"time":"2024-05-14T07:40:01Z","lat":1,"lon":1}',
    b'{"class":"TPV","mode":3,"time":"2024-05-14T07:40:01Z","lat":"46.1","lon":1}',
    b'{"class":"TPV","mode":3,"time":"2024-05-14T07:40:01Z","lat":NaN,"lon":1}',
    b'{"class":"TPV","mode":3,"time":"2024-05-14T07:40:01Z","lat":1e999,"lon":1}',
    b'{"class":"TPV","mode":3,"time":"2024-05-14T07:40:01Z","lat":95.0,"lon":1}',
    b'{"class":"TPV","mode":3,"time":"2024-05-14T07:40:01Z"}',
    b'{"class":"TPV","mode":3,"time":"yesterday","lat":1,"lon":1}',
    b'{"class":"TPV","mode":3,"time":12345,"lat":1,"lon":1}',
    b'{"class":"TPV","mode":3,"time":"1970-01-01T00:00:00Z","lat":1,"lon":1}',
]
HARMLESS = [b"", b"   ", b'{"class":"TPV","mode":1,"device":[1]}',
            b'{"class":"SKY","hdop":"x","satellites":7}', b'{"class":"POKE","x":1}',
            b'{"class":"DEVICES","devices":"none"}', b'{"class":"ERROR","message":"nope"}']
HUGE = b'{"class":"TPV","junk":"' + b"a" * 300_000 + b'"}'


async def test_hostile_lines_between_valid_reports(running):
    rounds = 30
    sent = []

    async def serve(reader, writer):
        writer.write(b'{"class":"VERSION","release":"fake","proto_major":3}\r\n')
        for i in range(rounds):
            writer.write(valid_tpv(i) + b"\r\n")
            sent.append(i)
            for line in BAD_JSON + ODD_MESSAGES + BAD_TPVS + HARMLESS:
                writer.write(line + b"\n")
            if i % 10 == 5:
                writer.write(HUGE + b"\n")
            await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver, sink = running.start(port, interval_s=1, max_backoff_s=30, initial_backoff_s=30)
    async with server:
        await h.wait_until(lambda: receiver.counts["disconnects"] == 1, what="the stream")

    got = [(f.ts, round(f.lat, 6), round(f.lon, 6)) for f in sink.fixes]
    want = [(BASE_TS + 10 * i, round(46.15 + i * 0.001, 6), round(-1.15 - i * 0.001, 6))
            for i in sent]
    assert got == want
    odd = [f for f in sink.fixes if (f.ts - BASE_TS) // 10 % 7 == 3]
    assert odd and all(f.vel is None and f.acc is None for f in odd)
    c = receiver.counts
    assert c["bad_json"] == rounds * len(BAD_JSON)
    assert c["odd_message"] == rounds * len(ODD_MESSAGES)
    assert c["bad_tpv"] == rounds * len(BAD_TPVS)
    assert c["oversize_line"] == 3
    assert running.alive()


async def test_fixes_wait_while_the_gateway_cannot_store_them(running):
    async def serve(reader, writer):
        writer.write(b'{"class":"VERSION","release":"fake","proto_major":3}\n')
        for i in range(6):
            writer.write(valid_tpv(i * 7) + b"\n")  # i * 7: the plain kind of valid TPV
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.close()

    failures = 2

    class FlakySink(h.Collector):
        async def __call__(self, fixes):
            nonlocal failures
            if failures:
                failures -= 1
                raise OSError("database is locked")
            await super().__call__(fixes)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver, _ = running.start(port, interval_s=1, max_backoff_s=30, initial_backoff_s=30)
    sink = receiver.sink = FlakySink()
    async with server:
        await h.wait_until(lambda: receiver.counts["disconnects"] == 1, what="the stream")

    assert [f.ts for f in sink.fixes] == [BASE_TS + 70 * i for i in range(6)]
    assert receiver.counts["sink_errors"] == 2
    assert receiver.last_fix_ts == BASE_TS + 70 * 5


# --- the thinning rule on its own ------------------------------------------------------------

def still_fixes(seconds: int, lat=46.16, lon=-1.15):
    # A parked receiver: speed near zero, position wandering by a few tens of metres.
    return [Fix(ts=1000 + t, lat=lat + (t % 3) * 0.0002, lon=lon, vel=0.2)
            for t in range(seconds)]


def test_parked_receiver_gives_one_fix_per_still_interval():
    thin = Thinner(**THINNING)
    kept = [f.ts for f in still_fixes(20 * 60 + 1) if thin.offer(f)]
    assert kept == [1000, 1300, 1600, 1900, 2200]


def test_moving_keeps_by_distance_or_time_whichever_first():
    fast = Thinner(**THINNING)  # 14 m/s: 25 m come before 5 s
    track = [Fix(ts=t, lat=46.16 + t * 14 / 111_195, lon=-1.15, vel=14.0) for t in range(30)]
    assert [f.ts for f in track if fast.offer(f)] == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                                      22, 24, 26, 28]
    slow = Thinner(**THINNING)  # 2 m/s: 5 s come before 25 m
    walk = [Fix(ts=t, lat=46.16 + t * 2 / 111_195, lon=-1.15, vel=2.0) for t in range(30)]
    assert [f.ts for f in walk if slow.offer(f)] == [0, 5, 10, 15, 20, 25]


def test_stop_is_kept_and_unknown_speed_is_estimated():
    thin = Thinner(**THINNING)
    moving = [Fix(ts=t, lat=46.16 + t * 10 / 111_195, lon=-1.15) for t in range(10)]
    stopped = [Fix(ts=10 + t, lat=moving[-1].lat, lon=-1.15) for t in range(60)]
    kept = [f.ts for f in moving + stopped if thin.offer(f)]
    # 10 m/s estimated from positions; the stop is kept when it begins, then nothing.
    assert kept == [0, 3, 6, 9, 10]


def test_same_second_and_clock_reset():
    thin = Thinner(**THINNING)
    assert thin.offer(Fix(ts=5000, lat=1, lon=1, vel=5))
    assert not thin.offer(Fix(ts=5000, lat=1.001, lon=1, vel=5))  # a 5 Hz receiver
    assert not thin.offer(Fix(ts=4990, lat=1.002, lon=1, vel=5))  # jitter back: ignored
    assert thin.offer(Fix(ts=1000, lat=1.003, lon=1, vel=5))  # a real reset: start over
