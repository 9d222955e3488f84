"""`selfdata serve`: one asyncio process running everything the box does.

Start order: store (migrations; imports a crash interrupted are marked so) → ingest writer →
the TLS certificate (made or renewed) → broker files (and the child broker when configured)
→ web server (plain HTTP, and HTTPS) → MQTT subscriber → gpsd → zeroconf → the city link's
outbox. Stop order is the reverse (import children stopped once the web server is), and the
ingest writer is stopped last so that everything received is
committed.
"""
from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
import time
from typing import Callable

from aiohttp import web

from receivers.mqtt import MqttSubscriber

from . import accounts, tls
from .accounts import DeviceAuth, broker, classify_import_devices, first_run
from .config import Config
from .http_listener import RESERVED_FDS, GuardedListener, raise_open_files_limit
from .logs import flush_repeats
from .outbox import waiting
from .ingest import mqtt as mqtt_ingest
from .ingest.group_commit import Committed, Ingest
from .ingest.quota import Limits
from .portability.runner import ImportRunner
from .queries.friends import FriendsCache
from .store import Store, fill_locations
from .trips.runner import PipelineRunner

log = logging.getLogger(__name__)

# How often the certificate is checked against the box's names and addresses (a new DHCP
# lease, a renamed box) and its expiry: a minute, since the box may start before DHCP has
# given it its address (a few milliseconds of work; nothing is written unless it changed).
TLS_CHECK_S = 60.0


M_MMAP_THRESHOLD = -3        # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own default, kept fixed


def trim_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim): after a burst
    (an import, the trip engine's first pass) about a megabyte comes back."""
    import ctypes
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def return_freed_memory() -> None:
    """Blocks above 128 KiB are mapped and unmapped, never kept in the heap.

    glibc raises that threshold by itself up to 32 MB whenever such a block is freed; after
    one Argon2 login (19 MB of working memory) the next ones come from the heap, and the
    freed megabytes stay resident for good: 20 MB of the 71 MB the box held after an hour
    of traffic (bench/ingest.py). Setting the threshold once disables that. No-op off glibc.
    """
    import ctypes
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (AttributeError, OSError):  # musl, macOS: their allocators do not do this
        pass


# Container objects allocated (net) before the youngest generation is collected; Python's
# default is 700. In a burst of MQTT messages tens of thousands are in flight at once, and
# every tenth young collection of the default led to a full one walking all of them again:
# a fifth of the gateway's processor time at 50,000 messages (bench/ingest.py). Only
# reference cycles wait for the collector (everything else is freed at once), so this holds
# at most a few thousand more dead objects, well under a megabyte.
GC_YOUNG_THRESHOLD = 7000


def collect_garbage_less_often() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


class Gateway:
    """The box's one process. ``web_app(gateway) -> aiohttp.web.Application`` is the web
    application's factory (``webui.app.make_app``, handed over by the ``selfdata`` command and
    by tests): the gateway serves it without importing ``webui``. Without one, no web server
    runs (phones in HTTP mode then cannot report)."""

    def __init__(self, config: Config, web_app: Callable[["Gateway"], web.Application] | None = None):
        self.config = config
        self.web_app = web_app
        self.web_port: int | None = None
        self.https_port: int | None = None  # set while HTTPS is served
        self.tls = tls.BoxTls(config) if config.tls_wanted else None
        self.https: GuardedListener | None = None
        self._https_wanted_port: int | None = None
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
        self.pipeline.after_run = trim_memory  # the engine's bursts are the box's largest
        self.ingest.listeners.append(self.pipeline.on_commit)
        # Uploads are imported by child processes; their fixes then go through the pipeline.
        self.imports = ImportRunner(
            self.store, config, on_finished=lambda member: self.pipeline.request([member]))

    @functools.cached_property
    def outbox(self):
        """The city link: sends members' opted-in summaries by itself (gateway/outbox/).
        Made on first use, so that a box with the link off never loads it."""
        from .outbox import Outbox
        return Outbox(self.store, self.config)

    # ----- lifecycle

    async def start(self, *, web_port: int | None = None, https_port: int | None = None) -> None:
        return_freed_memory()
        collect_garbage_less_often()
        self.store.open()
        self.setup_code = accounts.ensure_setup_code(self.config, self.store.conn)
        self.imports.recover()    # jobs a crash left running: interrupted, uploads removed
        await self.ingest.start()
        await self.pipeline.start()  # trip pipeline: catches up, then follows ingest
        self._refresh_tls(starting=True)
        with self.store.transaction() as conn:
            classify_import_devices(conn)     # devices older than their kind (m0009)
            broker.sync_broker_files(self.config, conn)
        broker.sync_listeners(self.config, self._lan_plain_addresses())
        if self.config.mqtt.enabled and self.config.mqtt.run_broker:
            self.broker_process = broker.BrokerProcess(self.config)
            self.broker_process.lan_addresses = self._lan_plain_addresses()
            await self.broker_process.start()
        self._https_wanted_port = self.config.web.https_port if https_port is None else https_port
        await self._start_web(web_port)
        if self.config.mqtt.enabled:
            await self._start_mqtt()
        if self.config.gpsd.enabled:
            self._start_gpsd()
        if self.config.gateway.zeroconf and self.web_port:
            await self._start_zeroconf()
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        self._tasks.append(asyncio.create_task(self._fill_locations(), name="fill-locations"))
        if self.config.link.enabled:
            self._tasks.append(asyncio.create_task(self._city_link(), name="outbox"))
        log.info("gateway ready: web on port %s%s, data in %s", self.web_port,
                 f", HTTPS on port {self.https_port}" if self.https_port else "",
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
        if "outbox" in self.__dict__:  # only if made (the property above)
            await self.outbox.close()  # a message cut off mid-send goes again, the same bytes
        if self._zeroconf is not None:
            await self._zeroconf.close()
        if self.mqtt is not None:
            await self.mqtt.stop()
        if self._runner is not None:
            self.http.close()
            if self.https is not None:
                self.https.close()
            await self._runner.cleanup()
        await self.imports.stop()  # children stopped: what they committed stays
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
        self._max_connections = max(16, min(web_cfg.max_connections, open_files - RESERVED_FDS))
        self.http = GuardedListener(
            self._runner, web_cfg.host, web_cfg.port if port is None else port,
            per_address=web_cfg.max_connections_per_address,
            max_connections=self._max_connections)
        self.web_port = await self.http.start()
        await self._start_https()

    async def _start_https(self) -> None:
        """HTTPS beside plain HTTP, once the box has its certificate (plain HTTP then
        redirects pages to it: webui/tls.py)."""
        if self.tls is None or self.tls.names is None or self._runner is None or self.https:
            return
        web_cfg = self.config.web
        self.https = GuardedListener(
            self._runner, web_cfg.host, self._https_wanted_port,
            per_address=web_cfg.max_connections_per_address,
            max_connections=self._max_connections, ssl=self.tls.server_context(),
            handshake_timeout=web_cfg.idle_timeout_s)
        self.https_port = await self.https.start()

    # ----- TLS

    def _refresh_tls(self, *, starting: bool = False) -> bool:
        """Make or renew the certificate for the box's names now; True when it changed.
        Before the clock is set: "on" refuses to start, "auto" serves plain HTTP until then."""
        if self.tls is None:
            return False
        try:
            return self.tls.refresh().changed
        except tls.ClockNotSet as exc:
            if starting and self.config.web.tls == "on":
                raise
            if starting or self.tls.names is None:
                log.warning("no HTTPS yet: %s; plain HTTP meanwhile, retried every %d s",
                            exc, TLS_CHECK_S)
            return False

    def _lan_plain_addresses(self) -> list[str]:
        if not self.config.mqtt.lan_plain:
            return []
        return [a for a in tls.lan_addresses() if not a.startswith("fe80")]

    async def _check_tls(self) -> None:
        loop = asyncio.get_running_loop()
        changed = await loop.run_in_executor(None, self._refresh_tls)
        if changed:
            self.tls.reload()
        await self._start_https()
        addresses = self._lan_plain_addresses()
        if broker.sync_listeners(self.config, addresses) or changed:
            if self.broker_process is not None:
                self.broker_process.lan_addresses = addresses
                log.info("restarting the child broker for its new listeners or certificate")
                await self.broker_process.restart()

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
            handler=self.mqtt_router.on_messages, keepalive=m.keepalive,
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

    async def _city_link(self) -> None:
        """The outbox's task, once the box has a link: until then a look now and then
        (the outbox's own interval, at most a minute) without loading the link's code."""
        pause = min(60.0, self.config.link.send_interval_s)
        while "outbox" not in self.__dict__ and not waiting.in_use(self.store.conn,
                                                                   self.config.data_dir):
            await asyncio.sleep(pause)
        await self.outbox.run_forever()

    async def _housekeeping(self) -> None:
        """Keep the broker files in step with devices added from the command line, give
        freed memory back every minute, and apply members' retention settings once a day
        (first a minute after start)."""
        next_retention = time.monotonic() + 60
        next_trim = time.monotonic() + 60
        next_setup_reminder = time.monotonic() + 3600
        next_tls = time.monotonic() + TLS_CHECK_S
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
                if time.monotonic() >= next_trim:
                    next_trim = time.monotonic() + 60
                    trim_memory()
                if time.monotonic() >= next_tls:
                    next_tls = time.monotonic() + TLS_CHECK_S
                    await self._check_tls()
                if time.monotonic() >= next_retention:
                    next_retention = time.monotonic() + 86400
                    await self._apply_retention()
            except Exception:
                log.exception("housekeeping failed")

    async def _fill_locations(self) -> None:
        """Fixes stored before migration m0007 get their Recorder objects, one short batch
        at a time in the ingest writer thread (until then they are read the slow way)."""
        total = 0
        try:
            while n := await self.ingest.run_write(self._fill_batch):
                total += n
                await asyncio.sleep(0.05)  # phones first: let waiting batches commit
        except Exception:
            log.exception("filling in the stored fixes' Recorder objects failed")
        if total:
            log.info("Recorder objects computed for %d fixes stored before", total)

    def _fill_batch(self) -> int:
        with self.store.transaction() as conn:
            return fill_locations(conn)

    async def _apply_retention(self) -> None:
        from .portability import retention  # once a day: erasure's code is not held idle
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
