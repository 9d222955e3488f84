"""`selfdata demo`: a household in La Rochelle on a throw-away box, working at once.

Two members (alice with an iPhone in HTTP mode, bob with an Android phone over MQTT) live
simulated days (``simulation.household``). Three weeks of them are the box's history; from
then on the phones replay the days in real time, each fix sent when its simulated time
comes, through the real endpoints (`POST /pub`, the broker), for as long as the demo runs:
what a newcomer sees went through the same code as a real phone's positions, and today's
trips are real trips. The demo writes its configuration into its data dir, so every
command pointed at it (`--data-dir`) talks to this box and its ports.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import aiohttp

from carbon.fix import Fix
from simulation import household as simulate

from . import accounts
from .accounts import broker
from .accounts.provisioning import phone_setup
from .config import DATA_DIR_CONFIG, Config, to_toml
from .service import Gateway
from .store import Store, insert_fixes

log = logging.getLogger(__name__)

HISTORY_DAYS = 21
# What the phones had queued when the demo started, delivered at once through the endpoints
# as the app does when it comes online: both paths carry data from the first second.
LEAD_S = 1800
LIVE_DAYS = 3650      # the replay loops over simulated days for as long as the demo runs
SEED = 1


@dataclass
class DemoMember:
    name: str
    display_name: str
    device: str
    transport: str  # "http" or "mqtt"
    password: str


MEMBERS = [DemoMember("alice", "Alice", "iphone", "http", "alice-demo"),
           DemoMember("bob", "Bob", "android", "mqtt", "bob-demo")]


# ----- the demo's clock and the phones' fixes


class DemoClock:
    """Where the simulated days sit in real time: real ts = simulated ts + ``shift``.

    By default the simulated day is today and its 08:15 happens at 08:15. ``replay_from``
    (a local time of a simulated day) makes that moment happen when the live replay
    starts instead (``start_live``), the history before it shifted alike."""

    def __init__(self, replay_from: datetime | None = None, tz: str = "Europe/Paris"):
        self.tz = ZoneInfo(tz)
        self.started = time.time()
        if replay_from is None:
            self.day, self.now_sim = datetime.fromtimestamp(self.started, self.tz).date(), None
            self.shift = 0
        else:
            moment = replay_from if replay_from.tzinfo else replay_from.replace(tzinfo=self.tz)
            self.day, self.now_sim = moment.astimezone(self.tz).date(), moment.timestamp()
            self.shift = int(self.started - self.now_sim)

    @property
    def history_end(self) -> float:
        """Simulated time before which fixes are history, stored before the box starts."""
        return (self.now_sim or self.started) - LEAD_S

    def start_live(self) -> None:
        """The replay begins: a chosen moment happens now, however long the start took."""
        if self.now_sim is not None:
            self.shift = int(time.time() - self.now_sim)


def simulated_days(member: str, day: date) -> Iterator[tuple[list, list]]:
    """(fixes, true trips) of each simulated day of ``member``, from HISTORY_DAYS before
    ``day`` on, in simulated time: the demo's household, and the truth tests check it by."""
    return simulate.iter_member_days(member, HISTORY_DAYS + LIVE_DAYS, seed=SEED,
                                     start=day - timedelta(days=HISTORY_DAYS))


class PhoneFeed:
    """One phone's fixes, stamped in real time as they are handed out: ``history()`` those
    before the clock's ``history_end``, ``live()`` the rest, in order."""

    def __init__(self, member: str, clock: DemoClock):
        self.clock = clock
        self._fixes = (p for points, _ in simulated_days(member, clock.day) for p in points)
        self._next: Fix | None = None

    def history(self) -> Iterator[Fix]:
        for p in self._fixes:
            if p.ts >= self.clock.history_end:
                self._next = p
                return
            yield self._stamped(p)

    def live(self) -> Iterator[Fix]:
        if self._next is not None:
            yield self._stamped(self._next)
        for p in self._fixes:
            yield self._stamped(p)

    def _stamped(self, p: Fix) -> Fix:
        return dataclasses.replace(p, ts=p.ts + self.clock.shift)


# ----- the box


def prepare_config(config: Config, data_dir: Path | None, port: int,
                   mqtt_port: int = 0) -> Config:
    config.gateway.data_dir = str(data_dir or tempfile.mkdtemp(prefix="selfdata-demo-"))
    config.gateway.zeroconf = False  # a demo must not claim selfdata.local on the LAN
    config.web.host, config.web.port = "127.0.0.1", port
    config.web.public_url = f"http://127.0.0.1:{port}"
    if shutil.which(config.mqtt.mosquitto_binary) or Path("/usr/sbin/mosquitto").exists():
        config.mqtt.enabled, config.mqtt.run_broker = True, True
        config.mqtt.host = config.mqtt.public_host = "127.0.0.1"
        config.mqtt.port = mqtt_port or _free_port()
        if not shutil.which(config.mqtt.mosquitto_binary):
            config.mqtt.mosquitto_binary = "/usr/sbin/mosquitto"
    else:
        log.warning("mosquitto is not installed: the demo runs without MQTT")
        config.mqtt.enabled = False
    return config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(config: Config) -> Path:
    """The demo's own settings as ``<data dir>/gateway.toml``: ``selfdata doctor
    --data-dir DIR``, ``device add`` and the others then use the demo's real ports."""
    sections = {
        "gateway": {"data_dir": config.gateway.data_dir, "zeroconf": False,
                    "timezone": config.gateway.timezone},
        "web": {"host": config.web.host, "port": config.web.port,
                "public_url": config.web.public_url},
        "mqtt": {"enabled": config.mqtt.enabled, "host": config.mqtt.host,
                 "port": config.mqtt.port, "public_host": config.mqtt.public_host,
                 "run_broker": config.mqtt.run_broker,
                 "mosquitto_binary": config.mqtt.mosquitto_binary},
    }
    head = ("# Written by `selfdata demo`: the demo box's own settings (its ports change\n"
            "# with every run). Commands given --data-dir for this folder read this file.\n\n")
    path = config.data_dir / DATA_DIR_CONFIG
    path.write_text(head + to_toml(sections))
    return path


def create_household(config: Config, clock: DemoClock) -> tuple[dict, dict]:
    """Members, devices, who sees whom, and each phone's history up to LEAD_S before the
    live replay; returns each device's secret and the phones' feeds (the rest)."""
    store = Store(config.db_path).open()
    secrets, feeds = {}, {}
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
        feeds[m.name] = PhoneFeed(m.name, clock)
        with store.transaction() as conn:
            insert_fixes(conn, device, feeds[m.name].history(), "import:simulator")
    store.close()
    return secrets, feeds


# ----- the phones


async def live_phones(gw: Gateway, secrets: dict[str, str], feeds: dict,
                      clock: DemoClock) -> None:
    """Each phone reports its fixes as their time comes, until the demo stops (what came
    due while the box started, the phones' queue, at once)."""
    clock.start_live()
    await asyncio.gather(*(_phone(gw, m, secrets[m.name], feeds[m.name]) for m in MEMBERS))


async def _phone(gw: Gateway, m: DemoMember, secret: str, feed: PhoneFeed) -> None:
    device = accounts.get_device(gw.store.conn, m.name, m.device)
    if m.transport == "mqtt" and gw.mqtt is not None:
        sender = _MqttPhone(gw, device, secret)
    else:
        sender = _HttpPhone(gw, device, secret)
    try:
        for p in feed.live():
            delay = p.ts - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await sender.send(_owntracks(p, device.tid, dense=m.transport == "http"))
            except (aiohttp.ClientError, OSError) as exc:  # the box restarting: next one
                log.warning("demo phone %s could not report: %s", device.username, exc)
    finally:
        await sender.close()


def _owntracks(p: Fix, tid: str, *, dense: bool) -> bytes:
    """The fix as the OwnTracks app sends it: move mode (a fix every few seconds, iOS
    motion activity) for the dense phone, significant changes for the other."""
    msg = {"_type": "location", "lat": p.lat, "lon": p.lon, "tst": int(p.ts), "tid": tid,
           "acc": int(p.acc or 10), "m": 2 if dense else 1}
    if dense:
        msg["t"] = "t"
    if p.vel is not None:
        msg["vel"] = int(round(p.vel * 3.6))
    if p.activity:
        msg["motionactivities"] = [p.activity]
    return json.dumps(msg).encode()


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
        # Queued while (re)connecting, as the app does: nothing is lost at start.
        self.client.max_queued_messages_set(0)
        self.client.connect_async(gw.config.mqtt.host, gw.config.mqtt.port)
        self.client.loop_start()

    async def send(self, payload: bytes) -> None:
        self.client.publish(self.topic, payload, qos=1, retain=True)

    async def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# ----- what the newcomer reads


def banner(gw: Gateway, secrets: dict[str, str], clock: DemoClock, *,
           temporary: bool = True) -> str:
    """Where everything is, with the phones' logins: enough to point curl, mosquitto_pub
    or an OwnTracks app at the demo without adding a device."""
    url, cfg = f"http://127.0.0.1:{gw.web_port}", gw.config
    lines = ["", "The selfdata demo household is running: Alice and Bob live a simulated day,",
             "their phones report in real time, as the day goes."]
    if clock.now_sim is not None:
        moment = datetime.fromtimestamp(clock.now_sim, clock.tz)
        lines.append(f"(Replayed from {moment:%A %Y-%m-%d %H:%M:%S} of the simulation on.)")
    lines += ["",
             f"  web page     {url}   (log in as alice / alice-demo or bob / bob-demo)",
             f"  Recorder API curl -u alice:alice-demo {url}/api/0/last"]
    if gw.mqtt is not None:
        lines.append(f"  MQTT broker  127.0.0.1:{cfg.mqtt.port} (mosquitto, run by the demo)")
    for m in MEMBERS:
        lines += [""] + _phone_lines(gw, m, secrets[m.name], url)
    note = " (deleted on exit unless --keep)" if temporary else ""
    lines += ["", f"  data         {cfg.data_dir}{note}",
              "  other commands use this demo with --data-dir, for instance:",
              f"    selfdata doctor --data-dir {cfg.data_dir}",
              f"    selfdata trips --member alice --data-dir {cfg.data_dir}",
              "", "Ctrl-C stops the demo.", ""]
    return "\n".join(lines)


def _phone_lines(gw: Gateway, m: DemoMember, secret: str, url: str) -> list[str]:
    device = accounts.get_device(gw.store.conn, m.name, m.device)
    mode = "mqtt" if m.transport == "mqtt" and gw.mqtt is not None else "http"
    setup = phone_setup(gw.config, device, secret, mode=mode)
    # A shell word: the JSON in single quotes, the time from `date` spliced in.
    sample = ("'" + json.dumps({"_type": "location", "lat": 46.1591, "lon": -1.152,
                                "tid": device.tid}, separators=(",", ":"))[:-1]
              + ",\"tst\":'$(date +%s)'}'")
    lines = [f"  {m.display_name}'s phone  login {device.username}  password {secret}  "
             f"({'MQTT' if mode == 'mqtt' else 'HTTP'} mode)",
             f"    OwnTracks link  {setup['owntracks_link']}",
             f"    report by hand  curl -u '{device.username}:{secret}' -H 'Content-Type: "
             f"application/json' -d {sample} {url}/pub"]
    if mode == "mqtt":
        lines.append(f"    or over MQTT    mosquitto_pub -h 127.0.0.1 -p {gw.config.mqtt.port} "
                     f"-u '{device.username}' -P '{secret}' -q 1 -t {device.topic} -m {sample}")
    return lines


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
