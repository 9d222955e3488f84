"""The OwnTracks-Recorder-compatible API: `/api/0/*` and the `/ws/last` websocket, so the
stock OwnTracks web frontend and Recorder tools work against the box.

Contract: ../shared/reference/owntracks.md 3.1, 3.3, 3.4 and 4; our differences are listed
in docs/recorder-api.md. The member is already known (``webui.auth.require_member``); every
read goes through ``gateway.queries.recorder`` with the member's id, so a member never gets
data of someone who does not let them see it, whatever the parameters.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from carbon.fix import Fix
from carbon.times import iso_utc
from gateway import __version__, accounts
from gateway.queries import recorder as rq
from gateway.portability import encoders
from gateway.store import connect

from .keys import GATEWAY, MEMBER, RECORDER_CORS, RECORDER_HUB, RECORDER_ZONE

log = logging.getLogger(__name__)

VERSION = {"version": __version__, "git": f"selfdata-gateway-{__version__}"}
DEFAULT_HISTORY_S = 6 * 3600  # the Recorder's DEFAULT_HISTORY_HOURS
# The Recorder's accepted `from`/`to` forms, all UTC (owntracks.md 3.1).
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H", "%Y-%m-%d", "%Y-%m")
# Parameters a proxy may force with an `X-Limit-<name>` header, as with the Recorder.
HEADER_PARAMS = ("user", "device", "from", "to", "fields", "limit", "format")
CHUNK_ROWS = 500          # rows encoded per worker-thread hop while streaming
WS_QUEUE = 1000           # per-socket backlog; beyond it the oldest item is dropped
WS_HEARTBEAT_S = 25.0     # pings keep idle sockets (and the proxies between) alive
WS_MAX_FRAME = 64 * 1024   # clients only send "LAST" and "EXIT"
CSV_FIELDS = ("tst", "isotst", "tid", "lat", "lon", "acc", "alt", "vel", "cog", "batt")


def setup(app: web.Application) -> None:
    gw = app[GATEWAY]
    app[RECORDER_ZONE] = rq.household_zone(gw.config.gateway.timezone)
    # Optional `[recorder_api] cors_origins = ["http://host:port"]` in the config file: a
    # frontend served from another origin may then send the member's credentials.
    section = gw.config.extra.get("recorder_api", {})
    app[RECORDER_CORS] = frozenset(section.get("cors_origins", ()))
    hub = app[RECORDER_HUB] = LiveHub(gw, app[RECORDER_ZONE])
    app.on_startup.append(hub.attach)
    app.on_shutdown.append(hub.close_all)  # else open sockets hold the shutdown for a minute
    app.on_cleanup.append(hub.detach)
    for path, handler in (("/api/0/version", version), ("/api/0/list", list_),
                          ("/api/0/last", last), ("/api/0/locations", locations)):
        app.router.add_get(path, handler)
        app.router.add_post(path, handler)
    app.router.add_get("/ws/last", ws_last)


# ----- request helpers


async def params(request: web.Request) -> dict[str, str]:
    """Query string, then a form body, then `X-Limit-*` headers; lower-cased and stripped
    like the Recorder does (names are lower case everywhere). Empty values count as absent."""
    values = {k: v for k, v in request.query.items()}
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        values.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for name in HEADER_PARAMS:
        header = request.headers.get(f"X-Limit-{name}")
        if header is not None:
            values[name] = header
    return {k: v.strip().lower() for k, v in values.items() if v.strip()}


def cors_headers(request: web.Request) -> dict[str, str]:
    """`*` as the Recorder does: it lets tools read, and browsers never send credentials
    with it, so another site cannot read a member's data. A configured origin is echoed
    with credentials allowed (the frontend served elsewhere, `credentials: "include"`)."""
    allowed = request.app[RECORDER_CORS]
    origin = request.headers.get("Origin")
    if origin and origin in allowed:
        return {"Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    headers = {"Access-Control-Allow-Origin": "*"}
    if allowed:
        headers["Vary"] = "Origin"
    return headers


def same_origin_or_allowed(request: web.Request) -> bool:
    """Websockets have no CORS: a page on any site may open one, and the browser may add
    the member's cached Basic credentials. So a browser's websocket (it always sends
    Origin) must come from this box's own pages or a configured frontend origin; tools
    that send no Origin are fine, they carry their own credentials."""
    origin = request.headers.get("Origin")
    if not origin or origin in request.app[RECORDER_CORS]:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def reply(request: web.Request, body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=cors_headers(request),
                             dumps=_compact)


def error(request: web.Request, status: int, message: str) -> web.Response:
    return reply(request, {"error": message}, status)


_compact = encoders.compact


def parse_time(text: str) -> int:
    """A Recorder time parameter as UTC epoch seconds; ValueError when unreadable.

    Also takes a trailing `Z` (what people paste from `isotst`), fractional seconds (what
    JavaScript's toISOString adds) and a space instead of `T` (the `disptst` form)."""
    value = text.strip().upper().replace(" ", "T")
    if value.endswith("Z"):
        value = value[:-1]
    if "." in value:
        value = value.split(".", 1)[0]
    for fmt in TIME_FORMATS:
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return int(moment.replace(tzinfo=timezone.utc).timestamp())
    raise ValueError(f"cannot read time {text!r}: use YYYY-MM-DDTHH:MM:SS (UTC)")


def field_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    return names or None


def pick(item: dict, names: list[str]) -> dict:
    """Only the asked-for keys, matched without case (names arrive lower-cased, and the
    apps send `SSID`, `BSSID`). It only narrows an object the member may already see."""
    by_lower = {key.lower(): key for key in item}
    return {by_lower[n.lower()]: item[by_lower[n.lower()]] for n in names
            if n.lower() in by_lower}


def _member_id(request: web.Request) -> int:
    return request[MEMBER].id


# ----- /api/0/version, /list, /last


async def version(request: web.Request) -> web.Response:
    return reply(request, VERSION)


async def list_(request: web.Request) -> web.Response:
    """Users; `?user=` their devices; with `device` too, the months (YYYY-MM) with data,
    where the Recorder lists its `.rec` month files by full path."""
    p = await params(request)
    conn = request.app[GATEWAY].store.conn
    user, device = p.get("user"), p.get("device")
    if user and device:
        try:
            to_ts = parse_time(p["to"]) if "to" in p else None
        except ValueError as exc:
            return error(request, 416, str(exc))
        found = rq.visible_devices(conn, _member_id(request), user, device)
        results = rq.month_names(conn, found[0].id, to_ts) if found else []
    elif user:
        results = rq.user_devices(conn, _member_id(request), user)
    else:
        results = rq.visible_users(conn, _member_id(request))
    return reply(request, {"results": results})


async def last(request: web.Request) -> web.Response:
    p = await params(request)
    items = rq.last_locations(request.app[GATEWAY].store.conn, _member_id(request),
                              request.app[RECORDER_ZONE], user=p.get("user"),
                              device=p.get("device"))
    names = field_list(p.get("fields"))
    if names:
        items = [pick(item, names) for item in items]
    return reply(request, items)  # always an array, `[]` when nothing is visible


# ----- /api/0/locations


async def locations(request: web.Request) -> web.StreamResponse:
    p = await params(request)
    kind = p.get("format", "json")
    if kind not in FORMATS:
        return error(request, 400, "unrecognized format")
    user, device = p.get("user"), p.get("device")
    if not user or not device:
        return error(request, 416, "user and device are required")
    try:
        window = _window(p)
    except ValueError as exc:
        return error(request, 416, str(exc))
    found = rq.visible_devices(request.app[GATEWAY].store.conn, _member_id(request), user, device)
    return await _stream(request, FORMATS[kind], field_list(p.get("fields")), f"{user}/{device}",
                         found[0] if found else None, window)


def _window(p: dict) -> dict:
    """from/to/limit as the Recorder reads them; ValueError says what is wrong."""
    limit = None
    if "limit" in p:
        if not p["limit"].isdigit() or int(p["limit"]) < 1:
            raise ValueError("limit must be a whole number above 0")
        limit = int(p["limit"])
    to_ts = parse_time(p["to"]) if "to" in p else int(time.time()) + 1
    if "from" in p:
        from_ts = parse_time(p["from"])
    else:  # with a limit the Recorder drops its 6-hour default: the newest N, however old
        from_ts = None if limit else to_ts - DEFAULT_HISTORY_S
    if from_ts is not None and from_ts > to_ts:
        raise ValueError("impossible date/time ranges")
    return {"from_ts": from_ts, "to_ts": to_ts, "limit": limit}


async def _stream(request: web.Request, fmt: Format, fields, title: str, info, window: dict):
    """Stream the answer: rows are read and encoded CHUNK_ROWS at a time in a worker
    thread (a year is ~300k points: neither the event loop nor memory may hold it), and
    each chunk is written before the next is read, so a slow client slows the reading."""
    encoder = fmt.encoder(fields, title)
    resp = web.StreamResponse(headers=cors_headers(request))
    resp.content_type = encoder.content_type
    resp.charset = "utf-8"
    conn = connect(request.app[GATEWAY].config.db_path, readonly=True)
    pending = None
    try:
        rows = iter(())
        if info is not None:
            newest_first = fmt.newest_first_with_limit and window["limit"] is not None
            if fmt.enriched:
                rows = rq.iter_locations(conn, info, request.app[RECORDER_ZONE],
                                         newest_first=newest_first, **window)
            else:
                rows = rq.iter_fixes(conn, info, newest_first=newest_first, **window)
        await resp.prepare(request)
        await resp.write(encoder.head().encode())
        loop = asyncio.get_running_loop()
        while True:
            pending = loop.run_in_executor(None, encoder.chunk, rows, CHUNK_ROWS)
            data = await pending
            pending = None
            if not data:
                break
            await resp.write(data)
        await resp.write(encoder.tail().encode())
        await resp.write_eof()
    except ConnectionError:
        log.info("client left during a locations export")
    finally:
        if pending is not None and not pending.done():
            # A worker still reads from it: close once it is done, not under its feet.
            pending.add_done_callback(lambda _: conn.close())
        else:
            conn.close()
    return resp


@dataclass(frozen=True)
class Format:
    """One `format=` of /api/0/locations: its encoder (``portability.encoders``, the exports'
    own), whether it needs the Recorder's location objects or only the stored fixes, and
    whether, with a `limit`, it lists the newest first as the Recorder does."""

    encoder: Callable[[list[str] | None, str], encoders.Encoder]
    enriched: bool = True
    newest_first_with_limit: bool = True


def _json_encoder(fields, title):
    return encoders.JsonArrayEncoder(
        lambda loc: pick(loc, fields) if fields else loc, open='{"data":[',
        # `count` last because it is known last; key order means nothing in JSON.
        close=lambda n: f'],"count":{n},"status":200,"version":"{__version__}"}}')


def _geojson_properties(loc: dict) -> dict:
    props = {"name": loc.get("tid"), "tst": loc["tst"], "isotst": loc["isotst"]}
    for key in ("vel", "acc", "alt"):
        if key in loc:
            props[key] = loc[key]
    return props


def _csv_encoder(fields, title):
    columns = fields or list(CSV_FIELDS)
    lower = [c.lower() for c in columns]

    def row(loc: dict) -> list:
        by_lower = {k.lower(): v for k, v in loc.items()}
        return [_csv_value(by_lower.get(c)) for c in lower]
    return encoders.CsvEncoder(columns, row)


def _csv_value(value):
    """Lists and objects (inregions...) as JSON text in their cell; absent as empty."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return _compact(value)
    return value


FORMATS = {
    "json": Format(_json_encoder),
    "geojson": Format(lambda fields, title: encoders.GeoJsonEncoder(_geojson_properties,
                                                                    altitude=False)),
    # A line and a track are drawn in time order, always; they need positions only.
    "linestring": Format(lambda fields, title: encoders.LineStringEncoder(), enriched=False,
                         newest_first_with_limit=False),
    "gpx": Format(lambda fields, title: encoders.GpxEncoder(title=title), enriched=False,
                  newest_first_with_limit=False),
    "csv": Format(_csv_encoder),
}


# ----- /ws/last


class _Client:
    """One connected socket: who is watching, its filters, and a bounded backlog."""

    def __init__(self, ws: web.WebSocketResponse, member_id: int, user: str | None,
                 device: str | None):
        self.ws, self.member_id, self.user, self.device = ws, member_id, user, device
        self.queue: asyncio.Queue = asyncio.Queue(WS_QUEUE)
        self.dropped = 0

    def wants(self, username: str, device: str) -> bool:
        return ((self.user is None or self.user == username)
                and (self.device is None or self.device == device))

    def offer(self, item) -> None:
        """Never waits: the ingest calls us. A client too slow to keep up loses its
        oldest items (counted) rather than slowing the commit path or growing memory."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(item)


class LiveHub:
    """Fans committed locations and transitions out to the connected `/ws/last` sockets."""

    def __init__(self, gw, zone):
        self.gw, self.zone = gw, zone
        self.clients: set[_Client] = set()
        self._info: dict[int, tuple[rq.DeviceInfo | None, float]] = {}

    def refusal(self, member_id: int) -> tuple[int, str] | None:
        """Why one more socket for this member is refused, or None. Per member first: one
        member's many tabs (or a script) must not lock the others out."""
        web_cfg = self.gw.config.web
        mine = sum(1 for c in self.clients if c.member_id == member_id)
        if mine >= web_cfg.websockets_per_member:
            return 429, (f"you already have {mine} live connections open (the limit is "
                         f"{web_cfg.websockets_per_member}): close a tab or an app")
        if len(self.clients) >= web_cfg.websockets_max:
            return 503, "too many live connections on this box: try again later"
        return None

    async def attach(self, app) -> None:
        self.gw.live_listeners.append(self.on_commit)

    async def detach(self, app) -> None:
        if self.on_commit in self.gw.live_listeners:
            self.gw.live_listeners.remove(self.on_commit)

    async def close_all(self, app) -> None:
        for client in list(self.clients):
            await client.ws.close(code=1001, message=b"gateway stopping")

    # Called on the event loop after each commit: cheap checks and put_nowait only.
    def on_commit(self, committed) -> None:
        try:
            self._fan_out(committed)
        except Exception:  # a bug here must not cost the other listeners their call
            log.exception("live push failed")

    def _fan_out(self, committed) -> None:
        for device, event in committed.events:
            if event.type == "card":
                self._info.pop(device.id, None)  # new name or face
        if not self.clients:
            return
        items = list(committed.fixes)
        items += [(d, e) for d, e in committed.events if e.type == "transition"]
        if not items:
            return
        visible: dict[int, set[int]] = {}
        conn = self.gw.store.conn
        for client in self.clients:
            if client.member_id not in visible:  # one tiny query per watching member
                visible[client.member_id] = set(
                    accounts.visible_member_ids(conn, client.member_id))
            allowed = visible[client.member_id]
            for device, item in items:
                if device.member_id in allowed and client.wants(device.member, device.name):
                    client.offer((device.id, item))

    def device_info(self, device_id: int) -> rq.DeviceInfo | None:
        hit = self._info.get(device_id)
        if hit is None or hit[1] < time.monotonic():
            hit = (rq.device_info(self.gw.store.conn, device_id), time.monotonic() + 60)
            self._info[device_id] = hit
        return hit[0]

    def render(self, item) -> str | None:
        """Queued item -> the text sent: strings as they are, fixes and transitions as the
        Recorder pushes them (enriched JSON)."""
        if isinstance(item, str):
            return item
        device_id, thing = item
        info = self.device_info(device_id)
        if info is None:  # removed meanwhile
            return None
        if isinstance(thing, Fix):
            return _compact(rq.enrich(thing, info, self.zone, card=True))
        return _compact(_transition(thing.payload, info))

    async def send_loop(self, client: _Client) -> None:
        """The socket's only writer, so frames never interleave."""
        try:
            while not client.ws.closed:
                text = self.render(await client.queue.get())
                if text is not None:
                    await client.ws.send_str(text)
        except (ConnectionError, RuntimeError) as exc:  # the peer went away
            log.debug("websocket send stopped: %s", exc)


def _transition(payload: str, info: rq.DeviceInfo) -> dict:
    try:
        out = json.loads(payload)
    except ValueError:
        out = {}
    if not isinstance(out, dict):
        out = {}
    out.setdefault("_type", "transition")
    if not isinstance(out.get("tid"), str):
        out["tid"] = info.tid
    out.update(username=info.username, device=info.device, topic=info.topic)
    if isinstance(out.get("tst"), int):
        out["isotst"] = iso_utc(out["tst"])
    return out


async def ws_last(request: web.Request) -> web.WebSocketResponse:
    """`LAST` -> the echo, then one object per visible last location; then live pushes.
    `user`/`device` (query or X-Limit headers) narrow what this socket gets."""
    hub: LiveHub = request.app[RECORDER_HUB]
    if not same_origin_or_allowed(request):
        return error(request, 403, "websocket from another site")
    p = {k: v for k, v in (await params(request)).items() if k in ("user", "device")}
    refusal = hub.refusal(_member_id(request))
    if refusal is not None:
        return error(request, *refusal)
    ws = web.WebSocketResponse(heartbeat=WS_HEARTBEAT_S, max_msg_size=WS_MAX_FRAME)
    client = _Client(ws, _member_id(request), p.get("user"), p.get("device"))
    hub.clients.add(client)  # counted from here: handshakes in flight count too
    sender = None
    try:
        await ws.prepare(request)
        sender = asyncio.create_task(hub.send_loop(client), name="ws-last-sender")
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            command = msg.data.strip().upper()
            if command == "EXIT":
                break
            client.offer(msg.data)  # the Recorder echoes every frame
            if command == "LAST":
                for loc in rq.last_locations(request.app[GATEWAY].store.conn, client.member_id,
                                             hub.zone, user=client.user, device=client.device):
                    client.offer(_compact(loc))
    finally:
        hub.clients.discard(client)
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        if client.dropped:
            log.warning("websocket of member %d was too slow: %d pushes dropped",
                        client.member_id, client.dropped)
        await ws.close()
    return ws
