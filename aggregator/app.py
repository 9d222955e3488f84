"""The aggregator's HTTP service (aiohttp): enrolment, intake, publication, the public page.

No access log: the aggregator keeps no IP addresses (two members of one box share one), see
docs/aggregator.md, "What the network still shows".
"""
import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date

from aiohttp import web

from carbon import summary_wire as wire
from aggregator import enrol, keys, opendata, page, publish
from aggregator.counters import Counters
from aggregator.errors import Refused, status_of
from aggregator.intake import Intake
from aggregator.store import open_store
from aggregator.studies import StudyCache, ensure_standing_study

log = logging.getLogger("aggregator")
STATE = web.AppKey("state", object)


@dataclass
class Settings:
    data_dir: str
    dsn: str | None = None
    k: int = publish.DEFAULT_K
    publish_every: float = 3600.0      # seconds between publication passes (0: never by itself)
    grace_days: int = publish.GRACE_DAYS
    today: object = field(default=date.today)


class State:
    def __init__(self, settings, store, key):
        self.settings, self.store, self.key = settings, store, key
        self.counters = Counters()
        self.studies = StudyCache(store)
        self.intake = Intake(store, key, self.studies, self.counters, settings.today)


def _error(err: wire.WireError, counters: Counters) -> web.Response:
    counters.reject(err.code)
    payload = {"error": err.as_dict()}
    if isinstance(err, Refused):
        payload.update(err.extra)
    return web.json_response(payload, status=status_of(err.code))


async def _read_message(request: web.Request) -> dict:
    """The request body as a wire message, refusing oversized bodies before reading them."""
    limit = wire.MAX_MESSAGE_BYTES
    if request.content_length is not None and request.content_length > limit:
        raise wire.WireError("too_large", f"{request.content_length} bytes, the limit is {limit}")
    raw = await request.content.read(limit + 1)
    return wire.parse(raw)


def _post(action):
    """A POST endpoint taking one wire message: errors become coded JSON answers and counts."""
    async def handler(request: web.Request) -> web.Response:
        state = request.app[STATE]
        try:
            answer = await action(state, await _read_message(request))
            if isinstance(answer, str):      # already JSON
                return web.Response(text=answer, content_type="application/json")
            return web.json_response(answer)
        except wire.WireError as err:
            return _error(err, state.counters)
        except Exception:
            # The database unreachable or locked, or a bug: nothing was stored and the box
            # keeps the message and retries; the traceback goes to the log.
            log.exception("%s failed", request.path)
            state.counters.reject("unavailable")
            return web.json_response({"error": {"code": "unavailable", "message":
                                                "storage unavailable, nothing was stored; retry later",
                                                "where": ""}}, status=503)
    return handler


async def _enrol(state, message):
    pseudonym = await enrol.enrol(state.store, message)
    state.counters.ok("enrolled")
    return {"pseudonym": pseudonym, "aggregator_key": state.intake.key_b64,
            "studies": sorted(await state.studies.all())}


async def _summary(state, message):
    return '{"receipt": ' + await state.intake.summary(message) + "}"


async def _delete(state, message):
    return {"receipt": await state.intake.delete(message)}


async def _revoke(state, message):
    return {"receipt": await state.intake.revoke(message)}


def _not_found(words: str) -> web.Response:
    return web.json_response({"error": {"code": "not_found", "message": words, "where": ""}},
                             status=404)


async def published(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    month, _, ext = name.partition(".")
    if ext not in ("json", "csv") or not wire.MONTH_RE.match(month):
        return _not_found("ask for /published/YYYY-MM.json or /published/YYYY-MM.csv")
    doc = await opendata.month_document(request.app[STATE].store, month)
    if doc is None:
        return _not_found(f"nothing is published for {month}")
    if ext == "csv":
        return web.Response(text=opendata.month_csv(doc), content_type="text/csv", charset="utf-8")
    return web.json_response(doc)


async def commune(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if code not in wire.COMMUNES:
        return _not_found(f"{code!r} is not a commune of the agglomeration")
    return web.json_response(await opendata.commune_figures(request.app[STATE].store, code))


async def ledger(request: web.Request) -> web.Response:
    return web.json_response({"ledger": await opendata.ledger(request.app[STATE].store)})


async def studies(request: web.Request) -> web.Response:
    return web.json_response({"studies": list((await request.app[STATE].studies.all()).values())})


async def status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response({"engine": state.store.engine, "wire_version": wire.WIRE_VERSION,
                              "k": state.settings.k, "aggregator_key": state.intake.key_b64,
                              "counters": state.counters.as_dict()})


async def home(request: web.Request) -> web.Response:
    state = request.app[STATE]
    lang = page.pick_language(request.query.get("lang"), request.headers.get("Accept-Language"))
    html = page.render(lang, await opendata.ledger(state.store),
                       await state.store.latest_releases(), state.settings.k)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def _publisher(state: State) -> None:
    while True:
        try:
            for outcome in await publish.publish_all(state.store, state.settings.k,
                                                     state.settings.today(), state.settings.grace_days):
                log.info("publication %(study)s %(month)s: %(reason)s", outcome)
        except Exception:   # a failed pass must not stop the next one
            log.exception("publication pass failed")
        await asyncio.sleep(state.settings.publish_every)


def build_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=wire.MAX_MESSAGE_BYTES * 4)

    async def start(app):
        store = await open_store(settings.data_dir, settings.dsn)
        await ensure_standing_study(store)
        app[STATE] = State(settings, store, keys.load_or_create_key(settings.data_dir))
        if settings.publish_every > 0:
            app["publisher"] = asyncio.create_task(_publisher(app[STATE]))

    async def stop(app):
        task = app.get("publisher")
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[STATE].intake.stop()
        await app[STATE].store.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_post("/enrol", _post(_enrol))
    app.router.add_post("/summaries", _post(_summary))
    app.router.add_post("/delete", _post(_delete))
    app.router.add_post("/revoke", _post(_revoke))
    app.router.add_get("/studies", studies)
    app.router.add_get("/published/{name}", published)
    app.router.add_get("/communes/{code}.json", commune)
    app.router.add_get("/ledger.json", ledger)
    app.router.add_get("/status", status)
    app.router.add_get("/", home)
    return app


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
