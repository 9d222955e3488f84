"""`selfdata demo`: a household in La Rochelle on a throw-away box, working at once.

Two members (alice with an iPhone in HTTP mode, bob with an Android phone over MQTT) get
three weeks of simulated history, then their phones keep reporting live through the real
endpoints (`POST /pub`, the broker), so everything a newcomer sees went through the same
code as a real phone's positions.
"""
from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from carbon.fix import Fix
from simulation import household as simulate

from . import accounts
from .accounts import broker
from .config import Config
from .service import Gateway
from .store import Store, insert_fixes

log = logging.getLogger(__name__)

HISTORY_DAYS = 21
LIVE_INTERVAL_S = 2.0


@dataclass
class DemoMember:
    name: str
    display_name: str
    device: str
    transport: str  # "http" or "mqtt"
    password: str


MEMBERS = [DemoMember("alice", "Alice", "iphone", "http", "alice-demo"),
           DemoMember("bob", "Bob", "android", "mqtt", "bob-demo")]


def prepare_config(config: Config, data_dir: Path | None, port: int) -> Config:
    config.gateway.data_dir = str(data_dir or tempfile.mkdtemp(prefix="selfdata-demo-"))
    config.gateway.zeroconf = False  # a demo must not claim selfdata.local on the LAN
    config.web.host, config.web.port = "127.0.0.1", port
    config.web.public_url = f"http://127.0.0.1:{port}"
    if shutil.which(config.mqtt.mosquitto_binary) or Path("/usr/sbin/mosquitto").exists():
        config.mqtt.enabled, config.mqtt.run_broker = True, True
        config.mqtt.host = "127.0.0.1"
        config.mqtt.port = _free_port()
        config.mqtt.public_host = "127.0.0.1"
        if not shutil.which(config.mqtt.mosquitto_binary):
            config.mqtt.mosquitto_binary = "/usr/sbin/mosquitto"
    else:
        log.warning("mosquitto is not installed: the demo runs without MQTT")
        config.mqtt.enabled = False
    return config


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_household(config: Config, today: date) -> dict[str, str]:
    """Members, devices, who sees whom and simulated history; returns each device's secret."""
    store = Store(config.db_path).open()
    secrets = {}
    start = today - timedelta(days=HISTORY_DAYS)
    with store.transaction() as conn:
        for m in MEMBERS:
            accounts.add_member(conn, m.name, m.password, display_name=m.display_name,
                                is_admin=m.name == "alice")
            device, secret = accounts.add_device(conn, m.name, m.device)
            secrets[m.name] = secret
        accounts.show_to(conn, "alice", "bob")
        accounts.show_to(conn, "bob", "alice")
        broker.sync_broker_files(config, conn)
    for m in MEMBERS:
        device = accounts.get_device(store.conn, m.name, m.device)
        with store.transaction() as conn:
            points = simulate.iter_points(m.name, HISTORY_DAYS, start=start)
            insert_fixes(conn, device.id, device.member_id, (_fix(p) for p in points),
                         "import:simulator")
    store.close()
    return secrets


def _fix(p) -> Fix:
    return Fix(ts=p.ts, lat=p.lat, lon=p.lon, acc=p.acc, vel=p.vel, activity=p.activity)


def _owntracks(p, tid: str, ts: int) -> bytes:
    msg = {"_type": "location", "lat": p.lat, "lon": p.lon, "tst": ts, "tid": tid,
           "acc": int(p.acc or 10), "t": "t", "m": 2}
    if p.vel is not None:
        msg["vel"] = int(round(p.vel * 3.6))
    return json.dumps(msg).encode()


async def live_phones(gw: Gateway, secrets: dict[str, str], today: date) -> None:
    """Each phone replays a simulated day from now on, one fix every few seconds."""
    tasks = [asyncio.create_task(_phone(gw, m, secrets[m.name], today)) for m in MEMBERS]
    await asyncio.gather(*tasks)


async def _phone(gw: Gateway, m: DemoMember, secret: str, today: date) -> None:
    device = accounts.get_device(gw.store.conn, m.name, m.device)
    day_points, _ = next(iter(simulate.iter_member_days(m.name, 1, seed=7, start=today)))
    moving = [p for p in day_points if (p.vel or 0) > 1.0] or day_points
    if m.transport == "mqtt" and gw.mqtt is not None:
        sender = _MqttPhone(gw, device, secret)
    else:
        sender = _HttpPhone(gw, device, secret)
    try:
        for p in moving:
            await sender.send(_owntracks(p, device.tid, int(time.time())))
            await asyncio.sleep(LIVE_INTERVAL_S)
    finally:
        await sender.close()


class _HttpPhone:
    def __init__(self, gw, device, secret):
        self.session = aiohttp.ClientSession(auth=aiohttp.BasicAuth(device.username, secret))
        self.url = f"http://127.0.0.1:{gw.web_port}/pub"

    async def send(self, payload: bytes) -> None:
        async with self.session.post(self.url, data=payload,
                                     headers={"Content-Type": "application/json"}) as resp:
            await resp.read()

    async def close(self) -> None:
        await self.session.close()


class _MqttPhone:
    def __init__(self, gw, device, secret):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        self.topic = device.topic
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"demo-{device.name}",
                                  clean_session=False)
        self.client.username_pw_set(device.username, secret)
        self.client.connect_async(gw.config.mqtt.host, gw.config.mqtt.port)
        self.client.loop_start()

    async def send(self, payload: bytes) -> None:
        self.client.publish(self.topic, payload, qos=1, retain=True)

    async def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def banner(gw: Gateway, *, temporary: bool = True) -> str:
    url = f"http://127.0.0.1:{gw.web_port}"
    lines = ["", "selfdata demo household is running", f"  web page   {url}",
             "  logins     alice / alice-demo    bob / bob-demo",
             f"  API        curl -u alice:alice-demo {url}/api/0/last"]
    if gw.mqtt is not None:
        lines.append(f"  MQTT       127.0.0.1:{gw.config.mqtt.port} (mosquitto, child process)")
    note = " (deleted on exit unless --keep)" if temporary else ""
    lines += [f"  data       {gw.config.data_dir}{note}",
              "  Alice's phone posts over HTTP, Bob's over MQTT, every few seconds.",
              "  Ctrl-C stops.", ""]
    return "\n".join(lines)


# --- trip pipeline: the newcomer sees trips at once
async def after_start(gw: Gateway) -> None:
    """Both members' trips computed from the simulated history before the banner shows.
    The service's start-up catch-up rebuilds members never processed: wait for it; with
    the live pipeline disabled, rebuild here."""
    from .trips import pipeline

    def rebuild_all() -> None:
        try:
            for m in MEMBERS:
                member = accounts.get_member(gw.store.conn, m.name)
                pipeline.rebuild_member(gw.store, member.id)
        finally:
            gw.store.close()      # this worker thread's connection

    if gw.pipeline.enabled:
        await gw.pipeline.idle()
    else:
        await asyncio.to_thread(rebuild_all)
