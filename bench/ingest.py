"""Ingest throughput and the gateway's memory, against a real `selfdata serve` subprocess.

usage: python bench/ingest.py [--only mqtt,http,memory] [--mqtt-messages N] [--http-requests N]
                              [--fixes N] [--keep DIR] [--paho-phones]

Prints (never asserts), each figure beside its target:
- MQTT end-to-end: 5 phones (QoS 1, persistent sessions, 100 in flight each; lean MQTT
  3.1.1 publishers, or paho with --paho-phones) publish 50,000 locations to a real
  mosquitto on loopback; timed from the first publish until all are committed in the
  database (target >= 5,000/s). Also the backlog case: the same volume queued by the broker
  while the gateway is down, drained after it starts.
- HTTP `POST /pub`: 20,000 requests, 50 in flight over aiohttp (target >= 1,500/s).
- Resident memory (VmRSS) of the gateway process: idle on an empty household after 200 /pub
  requests (target <= 45 MB), and on a store of 1,000,000 fixes (inserted with
  gateway.store.insert_fix_rows before the start) after an hour of a household's traffic,
  played 60 times faster than real (``_hour_of_traffic``: phones over MQTT and HTTP, the
  web frontend's polls, websocket and track loads; target <= 80 MB). Also the peak (VmHWM).
The client runs on the same machine as the gateway, so client CPU is part of the picture.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "gateway" / "ingest")]

import aiohttp  # noqa: E402

from gateway import accounts
from gateway.accounts import broker  # noqa: E402
from gateway.store import Store, fix_row, insert_fix_rows  # noqa: E402
from carbon.fix import Fix  # noqa: E402
from gateway_process import GatewayProcess  # noqa: E402
from harness import Household, Mosquitto, free_port, make_config  # noqa: E402
from helpers import Phone, basic, location  # noqa: E402

TARGET_MQTT = 5000
TARGET_HTTP = 1500
TARGET_IDLE_MB = 45
TARGET_LOADED_MB = 80
DEVICES = ["alice/phone", "alice/tablet", "bob/phone", "bob/watch", "carol/phone"]


def line(label: str, value: str, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{label:<52} {value:>14}   target {target}{verdict}", flush=True)


class Box:
    """A household with five devices, optionally a mosquitto, and a gateway subprocess."""

    def __init__(self, root: Path, name: str, *, mqtt: bool, ingest: dict | None = None,
                 sections: dict | None = None):
        self.dir = root / name
        self.mqtt_port = free_port() if mqtt else None
        self.config = make_config(self.dir, mqtt_port=self.mqtt_port)
        household = Household(self.config)
        self.secrets = dict(household.secrets)
        store = Store(self.config.db_path).open()
        with store.transaction() as conn:
            accounts.add_member(conn, "carol", "correct horse battery", display_name="Carol")
            for user in DEVICES:
                if user not in self.secrets:
                    device, secret = accounts.add_device(conn, *user.split("/"))
                    self.secrets[user] = secret
            broker.sync_broker_files(self.config, conn)
        store.close()
        self.broker = Mosquitto(self.config, self.mqtt_port).start() if mqtt else None
        self.gateway = GatewayProcess(self.dir, free_port(), mqtt_port=self.mqtt_port,
                                      ingest=ingest, log_level="WARNING")
        if sections:  # extra TOML sections (e.g. [pipeline]) appended to the test config
            from gateway_process import write_config
            import tomllib
            current = tomllib.loads(self.gateway.config_path.read_text())
            for section, values in sections.items():
                current.setdefault(section, {}).update(values)
            write_config(self.gateway.config_path, current)

    def count(self) -> int:
        conn = sqlite3.connect(self.config.db_path, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM fixes").fetchone()[0]
        finally:
            conn.close()

    def close(self):
        self.gateway.stop()
        if self.broker:
            self.broker.stop()


# ----- MQTT


def _payloads(n_per_device: int, base: int) -> dict[str, list[bytes]]:
    rng = random.Random(1)
    out = {}
    for d, user in enumerate(DEVICES):
        out[user] = [json.dumps(location(base + i, lat=46.15 + rng.uniform(-0.05, 0.05),
                                         lon=-1.15 + rng.uniform(-0.05, 0.05), vel=rng.randrange(60),
                                         batt=rng.randrange(100), tid=user[-2:])).encode()
                     for i in range(n_per_device)]
    return out


def _publish_all(box: Box, payloads: dict[str, list[bytes]], phones) -> float:
    """Each phone publishing as fast as the broker takes it (paho: each in its own
    thread). Returns when the broker acknowledged everything; the time that took."""
    started = time.monotonic()
    if isinstance(phones, LeanPhones):
        phones.publish_all(payloads)
        return time.monotonic() - started

    def run(user):
        infos = [phones[user].publish(f"owntracks/{user}", p) for p in payloads[user]]
        for info in infos:
            info.wait_for_publish(300)

    threads = [threading.Thread(target=run, args=(u,)) for u in DEVICES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


class LeanPhones:
    """The bench's phones without paho: each device one connection to the broker (its own
    login, a persistent session), QoS 1 PUBLISHes with at most ``window`` unacknowledged,
    as the paho phones had (``max_inflight_messages_set(100)``), done when the broker has
    sent a PUBACK for every one. The broker and the gateway see exactly what paho phones
    send; the bench's own processor time per message is a small fraction of paho's (a
    ``threading.Condition`` and a lock per publish), which on a 2-core machine it took
    from the gateway and mosquitto. ``--paho-phones`` measures with paho instead."""

    def __init__(self, port: int, secrets: dict[str, str], window: int = 100):
        self.port, self.secrets, self.window = port, secrets, window

    def publish_all(self, payloads: dict[str, list[bytes]]) -> None:
        asyncio.run(self._all(payloads))

    async def _all(self, payloads) -> None:
        await asyncio.gather(*(self._one(user, payloads[user]) for user in payloads))

    async def _one(self, user: str, messages: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(_connect_packet(f"phone-{user}", user, self.secrets[user]))
            head = await reader.readexactly(4)
            if head[0] != 0x20 or head[3] != 0:
                raise RuntimeError(f"{user}: the broker refused the connection ({head!r})")
            topic = f"owntracks/{user}".encode()
            window = asyncio.Semaphore(self.window)
            acks = asyncio.create_task(self._acks(reader, window, len(messages)))
            for i, payload in enumerate(messages):
                await window.acquire()
                writer.write(_publish_packet(topic, payload, i % 65535 + 1))
                if i % 50 == 0:
                    await writer.drain()
            await asyncio.wait_for(acks, 300)
            writer.write(b"\xe0\x00")  # DISCONNECT
            await writer.drain()
        finally:
            writer.close()

    @staticmethod
    async def _acks(reader, window: asyncio.Semaphore, expected: int) -> None:
        while expected:
            packet = await reader.readexactly(4)
            if packet[0] == 0x40:  # PUBACK
                expected -= 1
                window.release()


def _mqtt_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def _remaining(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def _connect_packet(client_id: str, user: str, password: str) -> bytes:
    # MQTT 3.1.1, flags: username, password, no clean session; keepalive 60 s.
    body = (_mqtt_string("MQTT") + b"\x04\xc0" + (60).to_bytes(2, "big")
            + _mqtt_string(client_id) + _mqtt_string(user) + _mqtt_string(password))
    return b"\x10" + _remaining(len(body)) + body


def _publish_packet(topic: bytes, payload: bytes, mid: int) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic + mid.to_bytes(2, "big") + payload
    return b"\x32" + _remaining(len(body)) + body   # PUBLISH, QoS 1


def _wait_count(box: Box, expected: int, timeout: float = 600) -> float:
    """When the store holds ``expected`` fixes. ``count(*)`` walks the whole table (tens of
    ms at 100,000 fixes, every 20 ms: CPU taken from the gateway), so the newest rowid is
    watched (never below the count) and the count confirms it."""
    deadline = time.monotonic() + timeout
    conn = sqlite3.connect(box.config.db_path, timeout=30)
    try:
        while True:
            newest = conn.execute("SELECT max(rowid) FROM fixes").fetchone()[0] or 0
            if newest >= expected and box.count() >= expected:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {box.count()} of {expected} fixes after {timeout}s")
            time.sleep(0.02)
    finally:
        conn.close()


def bench_mqtt(root: Path, total: int, *, paho_phones: bool = False) -> None:
    box = Box(root, "mqtt", mqtt=True)
    try:
        box.gateway.start()
        per_device = total // len(DEVICES)
        if paho_phones:
            phones = {u: Phone(box.mqtt_port, u, box.secrets[u]) for u in DEVICES}
        else:
            phones = LeanPhones(box.mqtt_port, box.secrets)
        print(f"    (phones: {'paho' if paho_phones else 'lean MQTT 3.1.1 publishers'}, "
              "QoS 1, persistent sessions, 100 in flight each)")
        live = _payloads(per_device, int(time.time()) - 30 * 86400)
        cpu0 = _cpu_s(box.gateway)
        started = time.monotonic()
        publish_s = [0.0]
        publisher = threading.Thread(target=lambda: publish_s.__setitem__(
            0, _publish_all(box, live, phones)))
        publisher.start()
        done = _wait_count(box, per_device * len(DEVICES))
        publisher.join()
        rate = per_device * len(DEVICES) / (done - started)
        line(f"MQTT end-to-end, {per_device * len(DEVICES):,} msgs / {len(DEVICES)} devices",
             f"{rate:,.0f} /s", f">= {TARGET_MQTT:,}/s", rate >= TARGET_MQTT)
        print(f"    (the broker took them all in {publish_s[0]:.1f}s: "
              f"{per_device * len(DEVICES) / publish_s[0]:,.0f}/s published)")
        _cpu_line(box, per_device * len(DEVICES), cpu0)

        # The backlog: the gateway was down while the phones kept publishing.
        box.gateway.terminate()
        backlog = _payloads(per_device, int(time.time()) - 20 * 86400)
        _publish_all(box, backlog, phones)
        started = time.monotonic()
        box.gateway.start(wait_mqtt=False)
        done = _wait_count(box, 2 * per_device * len(DEVICES))
        rate = per_device * len(DEVICES) / (done - started)
        line("MQTT backlog drained after a restart (incl. start)", f"{rate:,.0f} /s",
             f">= {TARGET_MQTT:,}/s", rate >= TARGET_MQTT)
        _cpu_line(box, per_device * len(DEVICES), 0.0)
        for phone in phones.values() if paho_phones else ():
            phone.close()
    finally:
        box.close()


def _cpu_line(box: Box, fixes: int, cpu0: float) -> None:
    """The gateway's own processor time for the phase (user + system, all its threads): on
    a machine shared with other work this is steadier than the wall-clock rate, and
    fixes / CPU second is what one free core would give the gateway alone."""
    cpu = _cpu_s(box.gateway) - cpu0
    print(f"    (gateway CPU {cpu:.1f}s: {cpu / fixes * 1e6:,.0f} us a fix, "
          f"{fixes / cpu:,.0f} fixes per CPU second; peak RSS {_hwm_kb(box.gateway) / 1024:.0f} MB; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")


# ----- HTTP


async def _http_load(box: Box, n: int, in_flight: int, base: int) -> tuple[float, int]:
    url = box.gateway.url + "/pub"
    auth = {u: basic(u, box.secrets[u]) for u in DEVICES}
    bodies = [(DEVICES[i % len(DEVICES)], json.dumps(location(base + i, batt=i % 100)).encode())
              for i in range(n)]
    queue = bodies[::-1]
    errors = 0

    async def worker(session):
        nonlocal errors
        while queue:
            user, body = queue.pop()
            async with session.post(url, data=body, headers={
                    **auth[user], "Content-Type": "application/json"}) as r:
                await r.read()
                if r.status != 200 or "X-Selfdata-Rejected" in r.headers:
                    errors += 1

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        # One request per device first: the first check of a device secret is a slow hash.
        for user in DEVICES:
            async with session.post(url, json=location(base - 1000), headers=auth[user]) as r:
                await r.read()
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
        return time.monotonic() - started, errors


def bench_http(root: Path, total: int, in_flight: int = 50) -> None:
    # Fifty phones, here all from 127.0.0.1: the per-address connection cap must allow them.
    box = Box(root, "http", mqtt=False,
              sections={"web": {"max_connections_per_address": in_flight + 8}})
    try:
        box.gateway.start()
        cpu0 = _cpu_s(box.gateway)
        elapsed, errors = asyncio.run(_http_load(box, total, in_flight,
                                                 int(time.time()) - 40 * 86400))
        rate = total / elapsed
        line(f"HTTP /pub, {total:,} requests, {in_flight} in flight", f"{rate:,.0f} /s",
             f">= {TARGET_HTTP:,}/s", rate >= TARGET_HTTP)
        _cpu_line(box, total, cpu0)
        if errors:
            print(f"    ({errors} answers were not a plain 200)")
        stored = box.count()
        if stored != total + len(DEVICES):
            print(f"    (WARNING: {stored} fixes stored for {total + len(DEVICES)} distinct sent)")
    finally:
        box.close()


# ----- memory


def _day_trace(rng: random.Random, day_start: int, home, work):
    """One weekday as a phone reports it: sparse fixes at home and at work, a fix every
    ~15 s on the two commutes. Yields (ts, lat, lon, vel m/s)."""
    def still(t0, t1, where, step):
        t = t0
        while t < t1:
            yield t, where[0] + rng.gauss(0, 0.00005), where[1] + rng.gauss(0, 0.00005), 0.0
            t += step + rng.randrange(-30, 30)

    def move(t0, t1, a, b):
        t = t0
        while t < t1:
            f = (t - t0) / (t1 - t0)
            yield (t, a[0] + (b[0] - a[0]) * f + rng.gauss(0, 0.00003),
                   a[1] + (b[1] - a[1]) * f + rng.gauss(0, 0.00003), 6.0)
            t += 15 + rng.randrange(-3, 4)

    h = 3600
    yield from still(day_start, day_start + 7 * h + 1800, home, 600)
    yield from move(day_start + 7 * h + 1800, day_start + 8 * h, home, work)
    yield from still(day_start + 8 * h, day_start + 17 * h + 1800, work, 300)
    yield from move(day_start + 17 * h + 1800, day_start + 18 * h, work, home)
    yield from still(day_start + 18 * h, day_start + 24 * h, home, 300)


def _insert_fixes(box: Box, n: int) -> float:
    """n fixes spread over the devices, in big transactions, raw JSON as OwnTracks sends it:
    each device lives realistic days (home, commute, work, commute, home), going back in
    time as far as needed."""
    rng = random.Random(7)
    store = Store(box.config.db_path).open()
    conn = store.conn
    devices = [accounts.get_device(conn, *u.split("/")) for u in DEVICES]
    per_device = n // len(devices)
    started = time.monotonic()
    received = time.time()
    today = int(time.time()) // 86400 * 86400
    for device in devices:
        home = (46.16 + rng.uniform(-0.02, 0.02), -1.15 + rng.uniform(-0.02, 0.02))
        work = (46.15 + rng.uniform(-0.03, 0.03), -1.17 + rng.uniform(-0.03, 0.03))
        days = per_device // 400 + 2  # ~450 fixes a day
        rows, count = [], 0
        for day in range(days, 0, -1):
            for ts, lat, lon, vel in _day_trace(rng, today - day * 86400, home, work):
                if count == per_device:
                    break
                count += 1
                raw = (f'{{"_type":"location","acc":10,"batt":{count % 100},"lat":{lat:.6f},'
                       f'"lon":{lon:.6f},"tid":"{device.tid}","tst":{ts},'
                       f'"vel":{round(vel * 3.6)}}}')
                fix = Fix(ts=ts, lat=lat, lon=lon, acc=10.0, alt=None, vel=vel, cog=None,
                          batt=count % 100, raw=raw)
                rows.append(fix_row(device, fix, "owntracks-http", received))
                if len(rows) == 100_000:
                    with store.transaction():
                        insert_fix_rows(conn, rows)
                    rows = []
        if rows:
            with store.transaction():
                insert_fix_rows(conn, rows)
    store.close()
    return time.monotonic() - started


def _settle_rss(gp: GatewayProcess, seconds: float = 3.0) -> int:
    time.sleep(seconds)
    return gp.rss_kb()


def _cpu_s(gp: GatewayProcess) -> float:
    fields = Path(f"/proc/{gp.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_idle(gp: GatewayProcess, timeout: float = 900) -> float:
    """Until the process uses under 5% of a CPU over 3 s (background work done)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = _cpu_s(gp)
        time.sleep(3)
        if _cpu_s(gp) - before < 0.15:
            break
    return time.monotonic() - started


def _hwm_kb(gp: GatewayProcess) -> int:
    for text in Path(f"/proc/{gp.pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1])
    return 0


# ----- an hour of a household's traffic, faster than real

HOUR_S = 3600
PACE = 60          # simulated seconds per wall-clock second: the hour lasts a minute
REPORT_S = 5       # a phone on the move reports every 5 s
MQTT_PHONES = DEVICES[:3]   # the others report over HTTP /pub


async def _hour_of_traffic(box: Box, start_ts: int) -> dict:
    """One hour of what a household does, PACE times faster: five phones on the move
    report every REPORT_S (three over MQTT, two over /pub: 3,600 fixes); the OwnTracks web
    frontend keeps /ws/last open, polls /api/0/last every 10 s and reloads the day's track
    (/api/0/locations) every 5 minutes; once, someone downloads the month as GPX and logs
    in on the household page. What a faster hour cannot show: caches that expire by the
    clock (a Basic login is remembered 5 minutes: here it never expires)."""
    phones = {u: Phone(box.mqtt_port, u, box.secrets[u], client_id=f"hour-{u}")
              for u in MQTT_PHONES}
    member = basic("alice", "correct horse battery")
    counts = Counter()
    base = box.gateway.url
    day = time.strftime("%Y-%m-%dT00:00:00", time.gmtime(start_ts))
    month = time.strftime("%Y-%m-01", time.gmtime(start_ts - 28 * 86400))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        ws = await http.ws_connect(base + "/ws/last", headers=member)
        reader = asyncio.create_task(_drain(ws, counts))
        rng = random.Random(11)
        wall0 = time.monotonic()
        for t in range(0, HOUR_S, REPORT_S):
            await _report_all(http, box, phones, start_ts + t, rng, counts)
            if t % 10 == 0:
                await _get(http, base + "/api/0/last", member, counts)
            if t % 300 == 0:
                await _get(http, f"{base}/api/0/locations?user=alice&device=phone&from={day}",
                           member, counts)
            if t == HOUR_S // 2:
                await _get(http, f"{base}/api/0/locations?user=alice&device=phone"
                           f"&from={month}&format=gpx", member, counts)
                await http.post(base + "/login", allow_redirects=False,
                                data={"name": "alice", "password": "correct horse battery"})
            ahead = wall0 + (t + REPORT_S) / PACE - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
        await ws.close()
        await reader
    for phone in phones.values():
        phone.close()
    return counts


async def _report_all(http, box: Box, phones: dict, ts: int, rng, counts) -> None:
    for k, user in enumerate(DEVICES):
        body = location(ts, lat=46.15 + k * 0.01 + rng.uniform(-1e-3, 1e-3),
                        lon=-1.15 + rng.uniform(-1e-3, 1e-3), vel=rng.randrange(5, 40),
                        batt=80, tid=user[-2:], t="u", conn="m")
        if user in phones:
            phones[user].publish(f"owntracks/{user}", body)
            counts["mqtt"] += 1
        else:
            async with http.post(box.gateway.url + "/pub", json=body,
                                 headers=basic(user, box.secrets[user])) as r:
                await r.read()
                counts["http" if r.status == 200 else "http refused"] += 1


async def _get(http, url: str, auth: dict, counts) -> None:
    async with http.get(url, headers=auth) as r:
        counts[f"read {r.status}"] += 1
        async for _ in r.content.iter_chunked(1 << 16):
            pass


async def _drain(ws, counts) -> None:
    async for _ in ws:
        counts["pushed"] += 1


def bench_memory(root: Path, n_fixes: int, sections: dict | None = None, tag: str = "") -> None:
    box = Box(root, "memory" + (tag and f"-{tag}"), mqtt=True, sections=sections)
    label = f" ({tag})" if tag else ""
    try:
        box.gateway.start()
        asyncio.run(_http_load(box, 200, 10, int(time.time()) - 50 * 86400))
        idle = _settle_rss(box.gateway)
        line(f"gateway RSS idle, empty household{label}", f"{idle / 1024:,.1f} MB",
             f"<= {TARGET_IDLE_MB} MB", idle / 1024 <= TARGET_IDLE_MB)
        box.gateway.terminate()

        took = _insert_fixes(box, n_fixes)
        print(f"    ({box.count():,} fixes inserted in {took:.0f}s; database "
              f"{box.config.db_path.stat().st_size / 2**20:,.0f} MB)")
        box.gateway.start()
        after_start = _settle_rss(box.gateway, 1.0)
        started = time.monotonic()
        counts = asyncio.run(_hour_of_traffic(box, int(time.time()) - HOUR_S))
        print(f"    (an hour of traffic in {time.monotonic() - started:.0f}s: "
              + ", ".join(f"{v:,} {k}" for k, v in sorted(counts.items())) + ")")
        loaded = _settle_rss(box.gateway)
        peak = _hwm_kb(box.gateway)
        line(f"gateway RSS, {box.count():,} fixes, after an hour{label}",
             f"{loaded / 1024:,.1f} MB", f"<= {TARGET_LOADED_MB} MB",
             loaded / 1024 <= TARGET_LOADED_MB)
        print(f"    (right after start {after_start / 1024:.1f} MB; peak VmHWM {peak / 1024:.1f} MB)")
        took = _wait_idle(box.gateway)
        idle_after = box.gateway.rss_kb()
        peak = _hwm_kb(box.gateway)
        line(f"gateway RSS once idle again{label}", f"{idle_after / 1024:,.1f} MB",
             f"<= {TARGET_LOADED_MB} MB", idle_after / 1024 <= TARGET_LOADED_MB)
        line(f"gateway peak RSS (VmHWM) over the whole run{label}", f"{peak / 1024:,.1f} MB",
             f"<= {TARGET_LOADED_MB} MB", peak / 1024 <= TARGET_LOADED_MB)
        print(f"    (busy for {took:.0f}s after the traffic: the trip pipeline catching up "
              "with fixes it had not seen)")
    finally:
        box.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="mqtt,http,memory")
    parser.add_argument("--mqtt-messages", type=int, default=50_000)
    parser.add_argument("--http-requests", type=int, default=20_000)
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--no-pipeline-too", action="store_true",
                        help="also measure memory with the trip pipeline off")
    parser.add_argument("--keep", metavar="DIR", help="keep the data dirs here")
    parser.add_argument("--paho-phones", action="store_true",
                        help="MQTT phones as paho clients (the bench's own CPU is then much "
                             "higher) instead of the lean publishers")
    args = parser.parse_args()
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        print("mosquitto is not installed (apt-get install mosquitto)", file=sys.stderr)
        return 2
    root = Path(args.keep or tempfile.mkdtemp(prefix="selfdata-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    print(f"selfdata ingest bench on {os.cpu_count()} CPUs; data in {root}")
    try:
        if "mqtt" in only:
            bench_mqtt(root, args.mqtt_messages, paho_phones=args.paho_phones)
        if "http" in only:
            bench_http(root, args.http_requests)
        if "memory" in only:
            bench_memory(root, args.fixes)
            if args.no_pipeline_too:
                bench_memory(root, args.fixes, {"pipeline": {"enabled": False}}, "pipeline off")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
