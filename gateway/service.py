"""`selfdata serve`: one asyncio process running everything the box does.

Start order: store (migrations) → ingest writer → broker files (and the child broker when
configured) → web server → MQTT subscriber → gpsd → zeroconf → the city link's outbox. Stop
order is the reverse, and the ingest writer is stopped last so that everything received is
committed.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Callable

from aiohttp import web

from receivers.mqtt import MqttSubscriber

from . import accounts
from .accounts import DeviceAuth, broker, first_run
from .config import Config
from .http_listener import RESERVED_FDS, GuardedListener, raise_open_files_limit
from .logs import flush_repeats
from .ingest import mqtt as mqtt_ingest
from .ingest.group_commit import Committed, Ingest
from .ingest.quota import Limits
from .outbox import Outbox
from .portability import retention, uploads
from .queries.friends import FriendsCache
from .store import Store
from .trips.runner import PipelineRunner

log = logging.getLogger(__name__)


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
                             keep_rejections=config.ingest.keep_rejections,
                             limits=Limits.from_config(config.ingest))
        self.device_auth = DeviceAuth(lambda: self.store.conn)       # HTTP phones
        self.devices = mqtt_ingest.DeviceDirectory(lambda: self.store.conn)  # MQTT topics
        self.mqtt_router = mqtt_ingest.MqttRouter(self.ingest, self.devices,
                                                  max_bytes=config.ingest.max_payload_bytes)
        self.friends = FriendsCache(lambda: self.store.conn,  # HTTP-mode replies
                                    max_face_bytes=config.ingest.max_face_bytes)
        self.mqtt: MqttSubscriber | None = None
        self.broker_process: broker.BrokerProcess | None = None
        self.gpsd = None
        self.setup_code: str | None = None  # the first-run code, until a member exists
        self._runner: web.AppRunner | None = None
        self.http: GuardedListener | None = None
        self._tasks: list[asyncio.Task] = []
        self._zeroconf = None
        self.ingest.listeners.append(self._on_commit)
        self.live_listeners: list = []  # the websocket hub registers here
        # The trip pipeline recomputes trips after commits, in its own worker thread.
        self.pipeline = PipelineRunner(self.store, config)
        self.ingest.listeners.append(self.pipeline.on_commit)
        # The city link: sends members' opted-in summaries by itself (gateway/outbox/).
        self.outbox = Outbox(self.store, config)

    # ----- lifecycle

    async def start(self, *, web_port: int | None = None) -> None:
        self.store.open()
        self.setup_code = accounts.ensure_setup_code(self.config, self.store.conn)
        uploads.forget_interrupted(self.config)
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
        if self.config.link.enabled:
            self._tasks.append(asyncio.create_task(self.outbox.run_forever(), name="outbox"))
        log.info("gateway ready: web on port %s, data in %s", self.web_port,
                 self.config.data_dir)
        self._announce_setup_code()

    def _announce_setup_code(self) -> None:
        """While nobody has set the box up, say how to (the console and the journal are
        where its owner looks; a LAN neighbour cannot read them)."""
        if self.setup_code is None:
            return
        if accounts.has_members(self.store.conn):  # e.g. `selfdata member add` meanwhile
            self.setup_code = None
            first_run.discard_setup_code(self.config)
            return
        log.warning("first-run setup: open %s/setup and enter the code %s (also in %s and "
                    "shown by `selfdata setup-code`)", self.config.public_url,
                    first_run.display(self.setup_code),
                    first_run.code_path(self.config))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.outbox.close()  # a message cut off mid-send goes again, the same bytes
        if self._zeroconf is not None:
            await self._zeroconf.close()
        if self.mqtt is not None:
            await self.mqtt.stop()
        if self._runner is not None:
            self.http.close()
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
        web_cfg = self.config.web
        # keepalive_timeout also runs before a connection's first request: it is the
        # header timeout too (a half-sent request head is closed when it expires).
        self._runner = web.AppRunner(self.web_app(self), access_log=None,
                                     handle_signals=False,
                                     keepalive_timeout=web_cfg.idle_timeout_s)
        await self._runner.setup()
        open_files = raise_open_files_limit()
        self.http = GuardedListener(
            self._runner, web_cfg.host, web_cfg.port if port is None else port,
            per_address=web_cfg.max_connections_per_address,
            max_connections=max(16, min(web_cfg.max_connections, open_files - RESERVED_FDS)))
        self.web_port = await self.http.start()

    async def _start_mqtt(self) -> None:
        m = self.config.mqtt
        if m.client_id and m.client_id != m.username:
            log.warning("[mqtt] client_id = %r is ignored: the broker names the gateway's "
                        "session after its username %r", m.client_id, m.username)
        # The id the broker would give it anyway (use_username_as_clientid): the same session
        # whether or not a broker binds ids to logins.
        self.mqtt = MqttSubscriber(
            m.host, m.port, client_id=m.username, username=m.username,
            password=broker.gateway_password(self.config), topics=mqtt_ingest.TOPICS,
            handler=self.mqtt_router.on_message, keepalive=m.keepalive,
            retry_seconds=m.retry_seconds)
        self.mqtt_router.publish = self.mqtt.publish
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
        next_setup_reminder = time.monotonic() + 3600
        cards_sent = False
        while True:
            await asyncio.sleep(1 if not cards_sent else 10)
            try:
                flush_repeats()  # a log flood that stopped is summed up now
                if time.monotonic() >= next_setup_reminder:
                    next_setup_reminder = time.monotonic() + 3600
                    self._announce_setup_code()
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
        loop = asyncio.get_running_loop()
        deleted = await loop.run_in_executor(None, retention.apply_all, self.store)
        if any(deleted.values()):
            log.info("retention: raw fixes deleted per member id: %s", deleted)

    async def _sync_and_reload(self) -> bool:
        if not broker.sync_broker_files(self.config, self.store.conn, reload=True):
            return False
        self.device_auth.invalidate()
        self.devices.clear()
        self.friends.clear()
        await self.publish_cards()
        return True

    async def publish_cards(self) -> None:
        if self.mqtt is not None:
            mqtt_ingest.publish_cards(self.mqtt, self.store.conn)

    # ----- after each commit

    def _on_commit(self, committed: Committed) -> None:
        self.friends.on_commit(committed)
        for listener in self.live_listeners:
            try:
                listener(committed)
            except Exception:  # one broken listener must not silence the others
                log.exception("live listener %r failed", listener)
