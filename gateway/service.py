"""`selfdata serve`: one asyncio process running everything the box does.

Start order: store (migrations) → ingest writer → broker files (and the child broker when
configured) → web server → MQTT subscriber → gpsd → zeroconf. Stop order is the reverse,
and the ingest writer is stopped last so that everything received is committed.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Callable

from aiohttp import web

from receivers.mqtt import MqttSubscriber
from receivers import owntracks as ot

from . import accounts
from .accounts import DeviceAuth, broker
from .config import Config
from .ingest.group_commit import Committed, Ingest, Submission
from .ingest.owntracks import ingest_payload, our_card
from .model import Rejection
from .queries import friends as friends_query
from .store import Store
from .trips.runner import PipelineRunner

log = logging.getLogger(__name__)

MQTT_TOPICS = ["owntracks/#"]
# Sub-topics a phone publishes on (owntracks.md 1.5); anything else is refused and counted.
KNOWN_SUBTOPICS = {"", "event", "info", "waypoint", "waypoints", "status", "step", "steps",
                   "dump", "beacon", "request", "lwt"}


class Gateway:
    """The box's one process. ``web_app(gateway) -> aiohttp.web.Application`` is the web
    application's factory (``webui.app.make_app``, handed over by the ``selfdata`` command and
    by tests): the gateway serves it without importing ``webui``. Without one, no web server
    runs (phones in HTTP mode then cannot report)."""

    def __init__(self, config: Config, web_app: Callable[["Gateway"], web.Application] | None = None):
        self.config = config
        self.web_app = web_app
        self.web_port: int | None = None
        self.store = Store(config.db_path)
        self.ingest = Ingest(self.store, batch_max=config.ingest.batch_max,
                             batch_wait_ms=config.ingest.batch_wait_ms,
                             keep_rejections=config.ingest.keep_rejections)
        self.device_auth = DeviceAuth(lambda: self.store.conn)
        self.mqtt: MqttSubscriber | None = None
        self.broker_process: broker.BrokerProcess | None = None
        self.gpsd = None
        self._runner: web.AppRunner | None = None
        self._friends: dict[int, tuple[set, list]] = {}
        self._devices: dict[str, tuple[accounts.Device | None, float]] = {}
        self._tasks: list[asyncio.Task] = []
        self._zeroconf = None
        self.ingest.listeners.append(self._on_commit)
        self.live_listeners: list = []  # the websocket hub registers here
        # The trip pipeline recomputes trips after commits, in its own worker thread.
        self.pipeline = PipelineRunner(self.store, config)
        self.ingest.listeners.append(self.pipeline.on_commit)

    # ----- lifecycle

    async def start(self, *, web_port: int | None = None) -> None:
        self.store.open()
        self._forget_uploads()
        await self.ingest.start()
        await self.pipeline.start()  # trip pipeline: catches up, then follows ingest
        with self.store.transaction() as conn:
            broker.sync_broker_files(self.config, conn)
        if self.config.mqtt.enabled and self.config.mqtt.run_broker:
            self.broker_process = broker.BrokerProcess(self.config)
            await self.broker_process.start()
        await self._start_web(web_port)
        if self.config.mqtt.enabled:
            await self._start_mqtt()
        if self.config.gpsd.enabled:
            self._start_gpsd()
        if self.config.gateway.zeroconf and self.web_port:
            await self._start_zeroconf()
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        log.info("gateway ready: web on port %s, data in %s", self.web_port,
                 self.config.data_dir)

    def _forget_uploads(self) -> None:
        """Uploads of imports a crash interrupted: no import runs before start, and the
        import itself can be run again (it is idempotent)."""
        folder = self.config.data_dir / "uploads"
        for leftover in folder.glob("*") if folder.is_dir() else ():
            log.warning("removing %s, left by an interrupted import", leftover.name)
            leftover.unlink(missing_ok=True)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._zeroconf is not None:
            await self._zeroconf.close()
        if self.mqtt is not None:
            await self.mqtt.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.ingest.stop()  # after the receivers: whatever they submitted commits
        await self.pipeline.stop()  # trip pipeline: what is left is caught up at next start
        if self.broker_process is not None:
            await self.broker_process.stop()
        self.store.close()
        log.info("gateway stopped cleanly")

    async def run_until_signalled(self, *, web_port: int | None = None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start(web_port=web_port)
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            await self.stop()

    async def _start_web(self, port: int | None) -> None:
        if self.web_app is None:
            log.warning("no web application given: the web server is not started")
            return
        self._runner = web.AppRunner(self.web_app(self), access_log=None,
                                     handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.web.host,
                           self.config.web.port if port is None else port,
                           reuse_address=True)
        await site.start()
        self.web_port = site._server.sockets[0].getsockname()[1]

    async def _start_mqtt(self) -> None:
        self.mqtt = MqttSubscriber(
            self.config.mqtt.host, self.config.mqtt.port, client_id=self.config.mqtt.client_id,
            username=self.config.mqtt.username, password=broker.gateway_password(self.config),
            topics=MQTT_TOPICS, handler=self.on_mqtt_message,
            keepalive=self.config.mqtt.keepalive, retry_seconds=self.config.mqtt.retry_seconds)
        await self.mqtt.start()

    def _start_gpsd(self) -> None:
        from .ingest.gpsd import start_gpsd
        self.gpsd = start_gpsd(self)

    async def _start_zeroconf(self) -> None:
        from .announce import Announcer
        try:
            self._zeroconf = await Announcer.start(self.config, self.web_port)
        except Exception as exc:  # no multicast (containers, CI): the box still works by IP
            log.warning("zeroconf announcement unavailable: %s", exc)

    async def _housekeeping(self) -> None:
        """Keep the broker files in step with devices added from the command line, and
        apply members' retention settings once a day (first a minute after start)."""
        next_retention = time.monotonic() + 60
        cards_sent = False
        while True:
            await asyncio.sleep(1 if not cards_sent else 10)
            try:
                if not cards_sent and self.mqtt is not None and self.mqtt.connected:
                    await self.publish_cards()  # retained: phones that connect later see them
                    cards_sent = True
                await self._sync_and_reload()
                if time.monotonic() >= next_retention:
                    next_retention = time.monotonic() + 86400
                    await self._apply_retention()
            except Exception:
                log.exception("housekeeping failed")

    async def _apply_retention(self) -> None:
        from .portability import retention
        loop = asyncio.get_running_loop()
        deleted = await loop.run_in_executor(None, retention.apply_all, self.store)
        if any(deleted.values()):
            log.info("retention: raw fixes deleted per member id: %s", deleted)

    async def _sync_and_reload(self) -> bool:
        if not broker.sync_broker_files(self.config, self.store.conn, reload=True):
            return False
        self.device_auth.invalidate()
        self._devices.clear()
        self._friends.clear()
        await self.publish_cards()
        return True

    # ----- receivers

    def device(self, member: str, name: str) -> accounts.Device | None:
        """Device lookup for MQTT topics, cached briefly (devices change from the CLI)."""
        key = f"{member}/{name}"
        hit = self._devices.get(key)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        try:
            device = accounts.get_device(self.store.conn, member, name)
        except accounts.AccountError:
            device = None
        self._devices[key] = (device, time.monotonic() + 30)
        return device

    async def on_mqtt_message(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            member, name, subtopic = ot.parse_topic(topic)
        except ot.Rejected as exc:
            await self.ingest.reject(Rejection("owntracks-mqtt", exc.reason, payload,
                                               where=topic))
            return
        if subtopic == "cmd":
            return  # commands go to phones; seeing our own is normal
        device = self.device(member, name)
        if device is None:
            await self.ingest.reject(Rejection("owntracks-mqtt", "unknown device", payload,
                                               where=topic))
            return
        if subtopic not in KNOWN_SUBTOPICS:
            await self.ingest.submit(Submission("owntracks-mqtt", device, rejections=[
                Rejection("owntracks-mqtt", f"unknown topic '{subtopic}'", payload, device.id,
                          where=topic)]))
            return
        await ingest_payload(self.ingest, device, payload, "owntracks-mqtt", subtopic=subtopic,
                             max_bytes=self.config.ingest.max_payload_bytes)

    async def publish_cards(self) -> None:
        """Retained cards, so phones show household names instead of two-letter tids."""
        if self.mqtt is None:
            return
        conn = self.store.conn
        for device in accounts.list_devices(conn):
            row = conn.execute("SELECT card_name FROM devices WHERE id = ?",
                               (device.id,)).fetchone()
            if row["card_name"]:
                continue  # the phone publishes its own
            member = accounts.member_by_id(conn, device.member_id)
            self.mqtt.publish(f"{device.topic}/info", our_card(device, member.display_name),
                              retain=True)

    # ----- read side shared by web handlers

    def has_members(self) -> bool:
        return self.store.conn.execute("SELECT 1 FROM members LIMIT 1").fetchone() is not None

    def friends(self, member_id: int) -> list[dict]:
        """The HTTP-mode reply for a member, cached until one of the members it shows
        reports a new position or card."""
        cached = self._friends.get(member_id)
        if cached is None:
            conn = self.store.conn
            visible = set(accounts.visible_member_ids(conn, member_id))
            cached = self._friends[member_id] = (visible, friends_query.friends_reply(conn, member_id))
        return cached[1]

    def _on_commit(self, committed: Committed) -> None:
        changed = {d.member_id for d, _ in committed.fixes}
        changed |= {d.member_id for d, e in committed.events if e.type == "card"}
        if changed:
            for viewer in [v for v, (seen, _) in self._friends.items() if seen & changed]:
                del self._friends[viewer]
        for listener in self.live_listeners:
            try:
                listener(committed)
            except Exception:  # one broken listener must not silence the others
                log.exception("live listener %r failed", listener)
