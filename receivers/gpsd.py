"""A USB GPS dongle through gpsd: turn gpsd's JSON reports into thinned fixes.

gpsd (https://gpsd.io) owns the serial device and speaks newline-delimited JSON on TCP 2947.
This client speaks that protocol directly (it is small), so the gateway needs no Python
binding of gpsd:

1. connect, send ``?WATCH={"enable":true,"json":true};``;
2. read ``VERSION``, ``DEVICES``, then a stream of ``TPV`` (position) and ``SKY`` (satellites);
3. merge the TPVs of one epoch (receivers "dribble" sentences, so gpsd emits several TPVs per
   second, the first ones without ``time``), turn each 2D/3D epoch into a ``Fix``;
4. thin: a dongle gives one fix per second, the household needs one every few seconds or
   metres while moving and very few while parked;
5. hand the kept fixes to ``sink`` (the gateway's ingest), which returns once committed.

Bad lines are counted in ``counts`` and logged (rate-limited), never fatal. When gpsd is not
there or goes away, the receiver retries with exponential backoff, logging once per change.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timezone

from carbon.fix import Fix
from carbon.geo import distance_m

log = logging.getLogger(__name__)

# Timeouts use ``asyncio.timeout`` rather than ``wait_for``: on Python 3.11, ``wait_for`` can
# swallow a cancellation that arrives as its inner read completes, and the receiver would
# then never stop on SIGTERM.

Sink = Callable[[list[Fix]], Awaitable[None]]

WATCH = b'?WATCH={"enable":true,"json":true};\n'
READ_SIZE = 65536
# gpsd's longest reports (SKY with ~100 satellites) are a few KB; anything far longer is not
# gpsd talking, and buffering it would cost memory on a 512 MB Pi.
MAX_LINE_BYTES = 64 * 1024
# An epoch is complete when the next one starts; if the receiver goes quiet instead, emit it
# after this long without a TPV.
EPOCH_IDLE_S = 1.5
TICK_S = 0.5
INITIAL_BACKOFF_S = 1.0
CONNECT_TIMEOUT_S = 10.0
# gpsd greets every client with VERSION once its main loop runs (after probing devices, about
# a second); something on the port that stays silent longer is not a working gpsd.
BANNER_TIMEOUT_S = 15.0
# Rough metres per unit of HDOP for a consumer receiver, used only when gpsd gives no error
# estimate: an order of magnitude, like gpsd's own estimates (their confidence is unspecified).
HDOP_TO_METRES = 5.0
# Fixes kept while the sink is failing (about 3 hours at one fix every 5 s while moving).
BACKLOG_MAX = 2000
SINK_RETRY_S = 5.0
FIX_LOG_EVERY_S = 60.0
EARLIEST_TS = 946684800  # 2000-01-01: anything earlier is a receiver that lost its clock


# --- parsing ---------------------------------------------------------------------------------

def _number(value) -> float | None:
    """A finite JSON number, else None (bools are ints in Python but never numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parse_time(text) -> float | None:
    """gpsd's ISO-8601 UTC time (``2024-05-14T07:30:00.000Z``) to epoch seconds."""
    if not isinstance(text, str) or not 19 <= len(text) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def tpv_problem(tpv: dict) -> str | None:
    """Why this TPV cannot be used at all, or None. A TPV without a fix is fine (mode 0/1)."""
    mode = tpv.get("mode")
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 3:
        return f"mode is {mode!r}, not 0-3"
    if mode < 2:
        return None
    lat, lon = _number(tpv.get("lat")), _number(tpv.get("lon"))
    if lat is None or lon is None:
        return "a 2D/3D fix without numeric lat/lon"
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return f"lat/lon out of range ({lat}, {lon})"
    if "time" in tpv:
        ts = parse_time(tpv["time"])
        if ts is None:
            return f"unreadable time {str(tpv['time'])[:40]!r}"
        if ts < EARLIEST_TS:
            return f"implausible time {tpv['time']}"
    return None


def accuracy_m(tpv: dict, hdop: float | None) -> float | None:
    """Horizontal error: gpsd's ``eph``, else from ``epx``/``epy``, else a guess from HDOP."""
    eph = _number(tpv.get("eph"))
    if eph is not None and eph >= 0:
        return eph
    epx, epy = _number(tpv.get("epx")), _number(tpv.get("epy"))
    if epx is not None and epy is not None:
        return math.hypot(epx, epy)
    if hdop is not None:
        return hdop * HDOP_TO_METRES
    return None


def _first_number(tpv: dict, *keys: str) -> float | None:
    for key in keys:
        value = _number(tpv.get(key))
        if value is not None:
            return value
    return None


def _raw(tpv: dict) -> str:
    try:
        return json.dumps(tpv, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError):
        # A hostile TPV can hide NaN in a field we do not use; keep what is valid JSON.
        keep = {k: v for k, v in tpv.items()
                if isinstance(v, (str, int)) or _number(v) is not None}
        return json.dumps(keep, separators=(",", ":"))


def tpv_to_fix(tpv: dict, hdop: float | None = None) -> Fix | None:
    """One merged, validated 2D/3D epoch to a Fix; None without a usable time."""
    t = parse_time(tpv.get("time"))
    if t is None:
        return None
    speed = _number(tpv.get("speed"))
    track = _number(tpv.get("track"))
    return Fix(
        ts=int(math.floor(t)),
        lat=float(tpv["lat"]),
        lon=float(tpv["lon"]),
        acc=accuracy_m(tpv, hdop),
        # altMSL is what people call altitude; altHAE (ellipsoid) when the receiver gives
        # no geoid separation; `alt` is the deprecated name older gpsd versions use.
        alt=_first_number(tpv, "altMSL", "altHAE", "alt"),
        vel=speed if speed is not None and speed >= 0 else None,
        cog=track % 360.0 if track is not None else None,
        raw=_raw(tpv),
    )


class EpochMerger:
    """Merge the TPVs gpsd emits for one receiver epoch into one report.

    gpsd reports after each sentence of a cycle when it cannot tell where a cycle ends, so a
    1 Hz receiver may give three TPVs a second, the early ones without ``time`` or ``speed``.
    TPVs with the same (device, time) are one epoch; later fields win. Untimed TPVs carry
    their fields into the next timed one. An epoch is handed out when the next one begins
    (or on ``flush``), so its fields are as complete as gpsd will make them.
    """

    def __init__(self):
        self._epoch: dict | None = None
        self._key: tuple | None = None
        self._carry: dict = {}

    @property
    def pending(self) -> bool:
        return self._epoch is not None

    def add(self, tpv: dict) -> list[dict]:
        if "time" not in tpv:
            self._carry.update(tpv)
            return []
        device = tpv.get("device")
        key = (device if isinstance(device, str) else None, tpv["time"])
        done = []
        if self._epoch is not None and key != self._key:
            done.append(self._epoch)
            self._epoch = None
        if self._epoch is None:
            self._epoch, self._key = dict(self._carry), key
        self._carry = {}
        self._epoch.update(tpv)
        return done

    def flush(self) -> list[dict]:
        done = [self._epoch] if self._epoch is not None else []
        self._epoch, self._key, self._carry = None, None, {}
        return done


class Thinner:
    """Decide which fixes to keep.

    Moving: keep a fix once ``interval_s`` seconds or ``distance_m`` metres have passed since
    the last kept one, whichever comes first. Still (speed below ``still_speed_ms``): one every
    ``still_interval_s``, plus the first still fix after moving, because where a stop begins
    is what a trip engine needs. Distance is ignored while still: a parked receiver's position
    wanders by tens of metres.
    """

    def __init__(self, *, interval_s: float, distance_m: float, still_interval_s: float,
                 still_speed_ms: float):
        self.interval_s = interval_s
        self.distance_m = distance_m
        self.still_interval_s = still_interval_s
        self.still_speed_ms = still_speed_ms
        self.last_kept: Fix | None = None
        self._last_kept_still = False
        self._previous: Fix | None = None

    def speed(self, fix: Fix) -> float | None:
        """The fix's own speed, else the speed since the previous fix offered."""
        if fix.vel is not None:
            return fix.vel
        prev = self._previous
        if prev is None or fix.ts <= prev.ts:
            return None
        return distance_m(prev.lat, prev.lon, fix.lat, fix.lon) / (fix.ts - prev.ts)

    def offer(self, fix: Fix) -> bool:
        speed = self.speed(fix)
        self._previous = fix
        # Unknown speed counts as moving: keeping a few extra fixes beats missing a trip.
        still = speed is not None and speed < self.still_speed_ms
        last = self.last_kept
        if last is None or fix.ts < last.ts - self.still_interval_s:
            # First fix, or the receiver's clock jumped far back (a reset): start over.
            return self._keep(fix, still)
        dt = fix.ts - last.ts
        if dt <= 0:
            return False  # a second epoch in the same second (5 Hz receivers), or a repeat
        if still:
            keep = not self._last_kept_still or dt >= self.still_interval_s
        else:
            keep = dt >= self.interval_s or (
                distance_m(last.lat, last.lon, fix.lat, fix.lon) >= self.distance_m)
        return self._keep(fix, still) if keep else False

    def _keep(self, fix: Fix, still: bool) -> bool:
        self.last_kept = fix
        self._last_kept_still = still
        return True


class LineSplitter:
    """Split a byte stream into lines, dropping (and reporting as None) over-long ones."""

    def __init__(self, max_bytes: int = MAX_LINE_BYTES):
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        self._buf += chunk
        start = 0
        while True:
            nl = self._buf.find(b"\n", start)
            if nl < 0:
                break
            if self._skipping:
                self._skipping = False  # the tail of an over-long line: already reported
            elif nl - start > self.max_bytes:
                out.append(None)
            else:
                out.append(bytes(self._buf[start:nl]))
            start = nl + 1
        del self._buf[:start]
        if len(self._buf) > self.max_bytes:
            if not self._skipping:
                out.append(None)
            self._skipping = True
            self._buf.clear()
        return out


# --- the receiver ----------------------------------------------------------------------------

class GpsdReceiver:
    """Read gpsd until cancelled and hand thinned fixes to ``sink``.

    ``counts`` holds what happened (``tpv``, ``sky``, ``no_fix``, ``epochs``, ``kept``,
    ``thinned``, ``bad_json``, ``bad_tpv``, ``odd_message``, ``oversize_line``,
    ``sink_errors``, ``connects``, ``connect_failures``, ``disconnects``...).
    """

    def __init__(self, host: str, port: int, sink: Sink, *, interval_s: float = 5.0,
                 distance_m: float = 25.0, still_interval_s: float = 300.0,
                 still_speed_ms: float = 0.7, max_backoff_s: float = 60.0,
                 initial_backoff_s: float = INITIAL_BACKOFF_S):
        self.host, self.port = host, port
        self.sink = sink
        self.max_backoff_s = max_backoff_s
        self.initial_backoff_s = min(initial_backoff_s, max_backoff_s)
        self.thinner = Thinner(interval_s=interval_s, distance_m=distance_m,
                               still_interval_s=still_interval_s,
                               still_speed_ms=still_speed_ms)
        self.counts: Counter = Counter()
        self.connected = False
        self.release: str | None = None
        self.devices: list[dict] = []
        self.has_fix: bool | None = None
        self.last_fix_ts: int | None = None
        # What has been logged, per aspect, so each change is logged once.
        self._logged: dict[str, object] = {}
        self._fix_logged_at = -math.inf
        self._merger = EpochMerger()
        self._hdop: float | None = None
        self._last_tpv_at = 0.0
        self._backlog: list[Fix] = []
        self._last_sink_try = 0.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    async def run(self) -> None:
        """Connect, read, reconnect with backoff; returns only by cancellation."""
        backoff = self.initial_backoff_s
        while True:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except (OSError, TimeoutError) as exc:
                self.counts["connect_failures"] += 1
                self._went_down(f"cannot connect: {exc or type(exc).__name__}")
            else:
                talked = await self._serve(reader, writer)
                if talked:
                    self.counts["disconnects"] += 1
                    backoff = self.initial_backoff_s
                self._went_down("the connection ended")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)

    async def _serve(self, reader, writer) -> bool:
        """One connection; True when gpsd answered (so the backoff can start again small)."""
        self._merger = EpochMerger()
        self._hdop = None
        talked = False
        try:
            writer.write(WATCH)
            await writer.drain()
            talked = await self._read(reader)
        except (OSError, EOFError) as exc:
            log.debug("gpsd connection error: %s", exc)
        finally:
            talked = talked or self.connected
            self.connected = False
            writer.close()
            with suppress(Exception):
                async with asyncio.timeout(2.0):
                    await writer.wait_closed()
        # The last epoch was complete as far as gpsd will ever tell; keep it.
        for epoch in self._merger.flush():
            await self._on_epoch(epoch)
        return talked

    async def _read(self, reader) -> bool:
        splitter = LineSplitter()
        started = time.monotonic()
        while True:
            if not self.connected and time.monotonic() - started > BANNER_TIMEOUT_S:
                self._complain("no_banner", f"no VERSION from {self.where}: not gpsd?")
                return False
            try:
                async with asyncio.timeout(TICK_S):
                    chunk = await reader.read(READ_SIZE)
            except TimeoutError:
                await self._tick()
                continue
            if not chunk:
                return self.connected
            for line in splitter.feed(chunk):
                if line is None:
                    self._complain("oversize_line", f"a line longer than {MAX_LINE_BYTES} bytes")
                    continue
                try:
                    await self._on_line(line)
                except Exception as exc:  # a case this code did not foresee: skip the line
                    self._complain("internal_error", f"{type(exc).__name__}: {exc}")
                    log.debug("gpsd: line that failed: %r", line[:200], exc_info=True)
            await self._tick()

    async def _tick(self) -> None:
        """Housekeeping between reads: emit a finished epoch, retry a failed sink."""
        if self._merger.pending and time.monotonic() - self._last_tpv_at >= EPOCH_IDLE_S:
            for epoch in self._merger.flush():
                await self._on_epoch(epoch)
        if self._backlog and time.monotonic() - self._last_sink_try >= SINK_RETRY_S:
            await self._deliver([])

    # --- messages

    async def _on_line(self, line: bytes) -> None:
        line = line.strip()
        if not line:
            return
        self.counts["lines"] += 1
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: deeply nested arrays
            self._complain("bad_json", f"{type(exc).__name__}: {line[:80]!r}")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("class"), str):
            self._complain("odd_message", f"not a gpsd report: {line[:80]!r}")
            return
        kind = msg["class"]
        if kind == "TPV":
            await self._on_tpv(msg)
        elif kind == "SKY":
            self._on_sky(msg)
        elif kind == "VERSION":
            self._on_version(msg)
        elif kind in ("DEVICES", "DEVICE"):
            self._on_devices(msg)
        elif kind == "ERROR":
            self._complain("gpsd_error", str(msg.get("message"))[:200])
        else:
            self.counts["other"] += 1

    def _on_version(self, msg: dict) -> None:
        release = msg.get("release")
        self.release = release if isinstance(release, str) else "?"
        self.counts["connects"] += 1
        self.connected = True
        self._log_change("link", "up", logging.INFO,
                         f"connected to gpsd {self.release} at {self.where}")

    def _on_devices(self, msg: dict) -> None:
        if msg["class"] == "DEVICES":
            items = msg.get("devices")
            items = items if isinstance(items, list) else []
        else:
            items = [msg]
        found = [describe_device(d) for d in items if isinstance(d, dict)]
        if msg["class"] == "DEVICES":
            self.devices = found
        else:  # one device (re)identified, or gone: gpsd 3.22 says "activated": 0 when a
            # dongle is unplugged, newer releases leave "activated" out.
            paths = {d["path"] for d in found}
            self.devices = [d for d in self.devices if d["path"] not in paths]
            if isinstance(msg.get("activated"), str) and msg["activated"]:
                self.devices += found
        if not self.devices:
            self._log_change("devices", False, logging.WARNING,
                             f"gpsd at {self.where} sees no GPS receiver; is the dongle "
                             "plugged in?")
        elif self._logged.get("devices") is False:
            paths = ", ".join(d["path"] for d in self.devices)
            self._log_change("devices", True, logging.INFO, f"gpsd: GPS receiver back ({paths})")

    def _on_sky(self, msg: dict) -> None:
        self.counts["sky"] += 1
        hdop = _number(msg.get("hdop"))
        if hdop is not None and 0 < hdop < 100:
            self._hdop = hdop

    async def _on_tpv(self, msg: dict) -> None:
        self.counts["tpv"] += 1
        problem = tpv_problem(msg)
        if problem:
            self._complain("bad_tpv", problem)
            return
        self._last_tpv_at = time.monotonic()
        if msg["mode"] < 2:
            self.counts["no_fix"] += 1
            self._note_fix(False)
            done = self._merger.flush()  # the fix is lost: what was pending is complete
        else:
            self._note_fix(True)
            if "time" not in msg:
                self.counts["untimed"] += 1
            done = self._merger.add(msg)
        for epoch in done:
            await self._on_epoch(epoch)

    async def _on_epoch(self, epoch: dict) -> None:
        fix = tpv_to_fix(epoch, self._hdop)
        if fix is None:
            self._complain("bad_tpv", "an epoch without a usable time")
            return
        self.counts["epochs"] += 1
        if not self.thinner.offer(fix):
            self.counts["thinned"] += 1
            return
        self.counts["kept"] += 1
        await self._deliver([fix])

    async def _deliver(self, fixes: list[Fix]) -> None:
        batch = self._backlog + fixes
        self._last_sink_try = time.monotonic()
        try:
            await self.sink(batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the store is the gateway's business: keep and retry
            self.counts["sink_errors"] += 1
            if len(batch) > BACKLOG_MAX:
                self.counts["dropped"] += len(batch) - BACKLOG_MAX
            self._backlog = batch[-BACKLOG_MAX:]
            log.warning("gpsd: could not hand %d fixes to the gateway (%s); will retry",
                        len(batch), exc)
            return
        self._backlog = []
        self.counts["delivered"] += len(batch)
        if batch:
            self.last_fix_ts = batch[-1].ts

    # --- state and complaints, logged once per change

    def _went_down(self, reason: str) -> None:
        self.connected = False
        self.has_fix = None
        self._logged.pop("devices", None)
        self._log_change("link", "down", logging.WARNING,
                         f"gpsd at {self.where} is not available ({reason}); retrying with "
                         f"backoff up to {self.max_backoff_s:g} s")

    def _note_fix(self, has_fix: bool) -> None:
        if has_fix == self.has_fix:
            return
        self.has_fix = has_fix
        # Under trees or between buildings a receiver can gain and lose its fix every few
        # seconds: say so at most once a minute.
        now = time.monotonic()
        quiet = now - self._fix_logged_at < FIX_LOG_EVERY_S
        if not quiet:
            self._fix_logged_at = now
        log.log(logging.DEBUG if quiet else logging.INFO,
                "gpsd: the receiver has a fix" if has_fix else
                "gpsd: the receiver has no fix (it needs a view of the sky)")

    def _log_change(self, aspect: str, value, level: int, message: str) -> None:
        if self._logged.get(aspect, object()) != value:
            self._logged[aspect] = value
            log.log(level, message)

    def _complain(self, reason: str, detail: str) -> None:
        """Count; log the 1st, 10th, 100th... so a flood of garbage cannot flood the log."""
        self.counts[reason] += 1
        n = self.counts[reason]
        if n == 10 ** int(math.log10(n)):
            log.warning("gpsd: %s (%d so far): %s", reason, n, detail)


def describe_device(device: dict) -> dict:
    """The parts of a gpsd DEVICE worth showing: where, which driver, since when."""
    def text(key):
        value = device.get(key)
        return value if isinstance(value, str) else None
    return {"path": text("path") or "?", "driver": text("driver"),
            "activated": text("activated")}


async def probe(host: str, port: int, timeout: float = 2.0) -> dict:
    """Ask gpsd what it sees, for ``selfdata doctor``.

    Returns ``reachable`` (gpsd answered with its VERSION), ``release``, ``devices`` (path,
    driver, activated), ``fix`` (a device reported a 2D/3D fix within ``timeout``), ``mode``
    (the last TPV mode seen) and ``error``. Never raises for network trouble.
    """
    info = {"host": host, "port": port, "reachable": False, "release": None, "devices": [],
            "fix": False, "mode": None, "error": None}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        info["error"] = str(exc) or type(exc).__name__
        return info
    try:
        writer.write(WATCH)
        await writer.drain()
        await _probe_read(reader, info, lambda: deadline - loop.time())
    except OSError as exc:
        info["error"] = str(exc) or type(exc).__name__
    finally:
        writer.close()
        with suppress(Exception):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
    if not info["reachable"] and not info["error"]:
        info["error"] = "something listens there but it did not answer like gpsd"
    return info


async def _probe_read(reader, info: dict, remaining: Callable[[], float]) -> None:
    splitter = LineSplitter()
    while not info["fix"] and remaining() > 0:
        try:
            async with asyncio.timeout(remaining()):
                chunk = await reader.read(READ_SIZE)
        except TimeoutError:
            return
        if not chunk:
            info["error"] = "gpsd closed the connection"
            return
        for line in splitter.feed(chunk):
            try:
                msg = json.loads(line) if line else None
            except (ValueError, RecursionError):
                continue
            if isinstance(msg, dict):
                _probe_message(msg, info)


def _probe_message(msg: dict, info: dict) -> None:
    kind = msg.get("class")
    if kind == "VERSION":
        info["reachable"] = True
        info["release"] = msg.get("release")
    elif kind == "DEVICES" and isinstance(msg.get("devices"), list):
        info["devices"] = [describe_device(d) for d in msg["devices"] if isinstance(d, dict)]
    elif kind == "DEVICE":
        found = describe_device(msg)
        info["devices"] = [d for d in info["devices"] if d["path"] != found["path"]]
        if found["activated"]:  # no activation time: the device was just removed
            info["devices"].append(found)
    elif kind == "TPV" and not tpv_problem(msg):
        info["mode"] = msg["mode"]
        if msg["mode"] >= 2:
            info["fix"] = True
