"""Power loss, as near as a test gets to it: SIGKILL (no handler, nothing flushed) of the
gateway's processes in the middle of their work, again and again:

- `selfdata serve` during bursts of phones' positions over MQTT (QoS 1, a real mosquitto)
  and HTTP (`/pub`, clients that retry until they get a 200);
- `selfdata import` in the middle of a large GPX file;
- `selfdata rebuild` in the middle of recomputing a member's trips.

A supervisor starts `serve` again each time it dies (what `Restart=on-failure` does on the
box). Afterwards the database passes `PRAGMA integrity_check`, every acknowledged position
(MQTT PUBACK, HTTP 200) is stored exactly once, the interrupted import and rebuild complete
when run again, and the service answers.

A SIGKILL loses what the process held, never what SQLite committed: the database's own
durability against a cut of power rests on `synchronous = FULL` (docs/operations.md)."""
from __future__ import annotations

import asyncio
import random
import sqlite3
import subprocess
import time
from datetime import datetime, timezone

import aiohttp

from helpers import basic
from gateway_process import SELFDATA
from supervisor import Supervisor
from test_nothing_lost import Box, MqttStream, _messages, _payload, _seed

ROUNDS = 3
MQTT_TOTAL = 3000
HTTP_TOTAL = 600
GPX_POINTS = 40_000


def _gpx(path, start: int, n: int) -> None:
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?>\n<gpx version="1.1" creator="test" '
                'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n')
        for i in range(n):
            # a walk and a ride, back and forth, a point every 5 s
            lat = 46.15 + 0.02 * ((i // 720) % 2) + (i % 720) * 2e-5
            lon = -1.15 + (i % 720) * 2e-5
            when = datetime.fromtimestamp(start + 5 * i, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write(f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"><time>{when}</time></trkpt>\n')
        f.write("</trkseg></trk></gpx>\n")


def _kill_midway(command: list[str], rng: random.Random, started_when,
                 within_s: float = 0.5) -> int:
    """Run a CLI command, SIGKILL it once it has visibly started working (at a random
    moment up to `within_s` after); its exit code."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not started_when() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, within_s))
    proc.kill()
    return proc.wait(10)


async def _http_burst(box: Box, messages, acked: set) -> None:
    sem = asyncio.Semaphore(8)
    async with aiohttp.ClientSession() as session:
        async def one(i, user, tst):
            async with sem:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        async with session.post(box.gateway.url + "/pub",
                                                json=_payload(i, tst),
                                                headers=basic(user, box.secrets[user]),
                                                timeout=aiohttp.ClientTimeout(total=10)) as r:
                            if r.status == 200:
                                acked.add((user, tst))
                                return
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        pass
                    await asyncio.sleep(0.1)
        await asyncio.gather(*(one(i, u, t) for i, (u, t) in enumerate(messages)))


def _count(box: Box, sql: str, *args) -> int:
    conn = sqlite3.connect(box.config.db_path, timeout=30)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def test_sigkill_during_ingest_import_and_rebuild_repeated(tmp_path):
    rng = random.Random(_seed())
    box = Box(tmp_path, extra_devices=[("alice", "tablet")])
    supervisor = Supervisor(box.gateway)
    supervisor.start()
    supervisor.wait_up()
    gpx = tmp_path / "walks.gpx"
    gpx_start = 1_700_000_000
    _gpx(gpx, gpx_start, GPX_POINTS)
    config = str(box.gateway.config_path)
    http_acked: set = set()
    mqtt_sent: list = []
    try:
        for round_ in range(ROUNDS):
            base = int(time.time()) - 10 * 86400 + round_ * 100_000
            # 1. ingest: MQTT and HTTP at once, the gateway killed in the middle
            mqtt = _messages(["alice/phone", "bob/phone"], MQTT_TOTAL, base)
            http = _messages(["alice/tablet"], HTTP_TOTAL, base + 50_000)
            stream = MqttStream(box, mqtt, rate=800)
            stream.start()
            loop = asyncio.new_event_loop()
            burst = loop.create_task(_http_burst(box, http, http_acked))
            killer_deadline = time.monotonic() + 60
            before = box.count()
            while box.count() < before + 200 and time.monotonic() < killer_deadline:
                loop.run_until_complete(asyncio.sleep(0.02))
            loop.run_until_complete(asyncio.sleep(rng.uniform(0, 0.4)))
            box.gateway.kill()
            loop.run_until_complete(burst)
            loop.close()
            stream.finish()
            mqtt_sent += mqtt
            # 2. an import killed midway, then run again
            imported = lambda: _count(box, "SELECT count(*) FROM fixes WHERE source LIKE "
                                           "'import%'") > 0
            # the first round strikes mid-file: a quiet machine stores the 40,000 fixes in
            # about 0.6 s, so its kill comes within 0.1 s of the first stored batch
            _kill_midway([str(SELFDATA), "import", str(gpx), "--member", "bob", "--device",
                          "gpx", "--config", config], rng, imported,
                         within_s=0.1 if round_ == 0 else 0.5)
            at_kill = _count(box, "SELECT count(*) FROM fixes WHERE source LIKE 'import%'")
            if round_ == 0:      # struck mid-file (later rounds re-read what is stored)
                assert 0 < at_kill < GPX_POINTS, at_kill
            assert _count(box, "PRAGMA integrity_check") == "ok"
            # 3. a rebuild killed midway, then run again
            _kill_midway([str(SELFDATA), "rebuild", "--member", "bob", "--config", config], rng,
                         lambda: True)
            assert _count(box, "PRAGMA integrity_check") == "ok"
            supervisor.wait_up()
        done = subprocess.run([str(SELFDATA), "import", str(gpx), "--member", "bob", "--device",
                               "gpx", "--config", config], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        done = subprocess.run([str(SELFDATA), "rebuild", "--member", "bob", "--config", config],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        supervisor.wait_up()
        assert box.gateway.health() is not None
    finally:
        supervisor.stop()
        box.close()
    assert supervisor.restarts >= ROUNDS
    assert _count(box, "PRAGMA integrity_check") == "ok"
    stored = box.stored()
    missing_http = http_acked - stored
    assert len(http_acked) == HTTP_TOTAL * ROUNDS and not missing_http, sorted(missing_http)[:5]
    missing_mqtt = set(mqtt_sent) - stored      # every one was PUBACKed (MqttStream checks)
    assert not missing_mqtt, sorted(missing_mqtt)[:5]
    # exactly once: no duplicates of any (device, ts)
    assert _count(box, "SELECT count(*) FROM (SELECT device_id, ts FROM fixes GROUP BY 1, 2 "
                       "HAVING count(*) > 1)") == 0
    assert _count(box, "SELECT count(*) FROM fixes WHERE source LIKE 'import%'") == GPX_POINTS
    assert _count(box, "SELECT count(*) FROM trips t JOIN members m ON m.id = t.member_id "
                       "WHERE m.name = 'bob'") > 0
