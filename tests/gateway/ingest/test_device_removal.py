"""A removed device is refused at once, and its id never comes back, as the review attacked:
bob's phone keeps posting (HTTP and MQTT) while `selfdata device remove bob phone` runs in
another process, then a new device is added. Before, the new device got the removed one's id
and bob's cached login wrote into it for ~10 s.

The service is a real `selfdata serve` subprocess with a real mosquitto; the command line is
the real `selfdata` in a third process.
"""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
import time

import aiohttp

from harness import Household, Mosquitto, free_port, make_config, require
from gateway_process import SELFDATA, GatewayProcess
from helpers import Phone, basic, location


def _cli(gw: GatewayProcess, *args: str) -> str:
    out = subprocess.run([str(SELFDATA), *args, "--config", str(gw.config_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    return out.stdout


def _query(db, sql: str, *params):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class HttpPhone:
    """Bob's phone in HTTP mode: posts a location every 10 ms, noting each answer's time."""

    def __init__(self, url: str, auth: dict):
        self.url, self.auth = url, auth
        self.answers: list[tuple[float, int, int]] = []  # (sent at, tst, status)
        self.running = True

    async def run(self, base: int) -> None:
        async with aiohttp.ClientSession() as session:
            i = 0
            while self.running:
                sent = time.monotonic()
                async with session.post(self.url, json=location(base + i),
                                        headers=self.auth) as r:
                    await r.read()
                    self.answers.append((sent, base + i, r.status))
                i += 1
                await asyncio.sleep(0.01)


class MqttPhone(threading.Thread):
    """Bob's phone in MQTT mode, publishing until stopped (the broker cuts it off)."""

    def __init__(self, port: int, secret: str, base: int):
        super().__init__(daemon=True)
        self.phone = Phone(port, "bob/phone", secret)
        self.base, self.running, self.sent = base, True, 0

    def run(self):
        while self.running:
            self.phone.publish("owntracks/bob/phone", location(self.base + self.sent))
            self.sent += 1
            time.sleep(0.01)
        self.phone.close()


async def test_a_device_removed_from_the_command_line_is_refused_at_once(tmp_path):
    require("mosquitto")
    port = free_port()
    config = make_config(tmp_path / "data", mqtt_port=port)
    household = Household(config)   # alice/phone, then bob/phone: bob's is the newest id
    secret = household.secrets["bob/phone"]
    mosquitto = Mosquitto(config, port).start()
    gw = GatewayProcess(config.data_dir, free_port(), mqtt_port=port)
    old_id = _query(config.db_path, "SELECT id FROM devices WHERE name = 'phone' "
                    "AND member_id = (SELECT id FROM members WHERE name = 'bob')")[0][0]
    http = HttpPhone(gw.url + "/pub", basic("bob/phone", secret))
    mqtt_phone = None
    try:
        await asyncio.to_thread(gw.start)
        base = int(time.time()) - 3600
        poster = asyncio.create_task(http.run(base))
        mqtt_phone = MqttPhone(port, secret, base - 100_000)
        mqtt_phone.start()
        while len([a for a in http.answers if a[2] == 200]) < 20:   # its login is cached
            await asyncio.sleep(0.05)

        await asyncio.to_thread(_cli, gw, "device", "remove", "bob", "phone")
        removed_at = time.monotonic()
        await asyncio.to_thread(_cli, gw, "device", "add", "alice", "tablet")
        await asyncio.sleep(1.5)                  # the old phone keeps trying
        await asyncio.to_thread(_cli, gw, "device", "add", "bob", "phone")  # same name again
        await asyncio.sleep(1.0)
        http.running = mqtt_phone.running = False
        await poster
        mqtt_phone.join(10)

        after = [status for sent, _, status in http.answers if sent > removed_at]
        assert after and set(after) == {401}, f"answers after the removal: {set(after)}"
        new_ids = dict(_query(config.db_path, "SELECT m.name || '/' || d.name, d.id "
                              "FROM devices d JOIN members m ON m.id = d.member_id"))
        assert new_ids["alice/tablet"] > old_id and new_ids["bob/phone"] > old_id
        # Nothing of the old phone anywhere: not in the new devices, not under bob.
        assert _query(config.db_path, "SELECT count(*) FROM fixes WHERE device_id IN (?, ?)",
                      new_ids["alice/tablet"], new_ids["bob/phone"]) == [(0,)]
        assert _query(config.db_path, "SELECT count(*) FROM fixes WHERE member_id = "
                      "(SELECT id FROM members WHERE name = 'bob')") == [(0,)]
        assert mqtt_phone.sent > 50, "the MQTT phone did not keep publishing"
        refused = dict(_query(config.db_path, "SELECT reason, count(*) FROM rejections "
                              "GROUP BY reason"))
        assert set(refused) <= {"owntracks/bob/phone: unknown device",
                                "device bob/phone was removed"}, refused
        assert gw.proc.poll() is None
    finally:
        if mqtt_phone is not None:
            mqtt_phone.running = False
        gw.stop()
        mosquitto.stop()
