"""What the page handlers share: the member's time zone and day, form reading, redirects
after a change, and the names of modes and purposes as the catalogue knows them."""
from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode, urlparse

from aiohttp import web

from gateway.said import Said

from .i18n import N_, translate
from .keys import GATEWAY, LOCALE, MEMBER, MEMBER_AUTH, ZONE  # noqa: F401 (handlers use them)

MODE_NAMES = {
    "walk": N_("Walk"), "run": N_("Run"), "bike": N_("Bike"), "e-bike": N_("E-bike"),
    "e-scooter": N_("E-scooter"), "motorcycle": N_("Motorbike"), "car": N_("Car"),
    "carpool": N_("Carpool"), "bus": N_("Bus"), "tram": N_("Tram"), "train": N_("Train"),
    "metro": N_("Metro"), "boat": N_("Boat"), "plane": N_("Plane"), "unknown": N_("Unknown"),
}
# What a member picks from in two taps: the usual first, the rare after.
PICK_ORDER = ("walk", "bike", "e-bike", "bus", "tram", "car", "carpool", "train", "metro",
              "run", "e-scooter", "motorcycle", "boat", "plane")
PURPOSE_NAMES = {"commute": N_("Commute"), "home": N_("Going home"), "work": N_("Work"),
                 "errand": N_("Errand"), "leisure": N_("Leisure"), "school": N_("School"),
                 "other": N_("Other")}
LABEL_NAMES = {"home": N_("Home"), "work": N_("Work")}
JOB_STATUS = {"running": N_("running"), "done": N_("done"), "failed": N_("failed"),
              "interrupted": N_("interrupted")}
FUEL_NAMES = {"diesel": N_("Diesel"), "petrol": N_("Petrol"), "electric": N_("Electric"),
              "hybrid": N_("Hybrid"), "plug-in hybrid": N_("Plug-in hybrid")}
SIZE_NAMES = {"small": N_("Small (city car)"), "compact": N_("Compact"),
              "saloon": N_("Saloon"), "large": N_("Large (SUV, people carrier)")}


def said(request: web.Request, exc: Exception) -> str:
    """What the library said went wrong, in the page's language (gateway/said.py)."""
    lang = request.get(LOCALE) or "en"
    if type(exc).__module__.startswith("gateway.outbox."):   # loaded already: it raised
        from gateway.outbox.errors import Unreachable
        if isinstance(exc, Unreachable):   # its words are the network's: say what it means
            return translate(lang, N_("the city's server could not be reached (%(why)s): "
                                      "try again later"), why=str(exc))
    if isinstance(exc, Said):
        return translate(lang, exc.template, **exc.values)
    return str(exc)


def store(request: web.Request):
    return request.app[GATEWAY].store


def conn(request: web.Request):
    return request.app[GATEWAY].store.conn


def member_id(request: web.Request) -> int:
    return request[MEMBER].id


def zone(request: web.Request):
    return request[ZONE]


def today(request: web.Request) -> date:
    return datetime.now(zone(request)).date()


def parse_day(text: str) -> date:
    """YYYY-MM-DD, else a 404 (a day in a URL that is not a day is a page that is not)."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise web.HTTPNotFound(text="no such day")


def int_or_404(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise web.HTTPNotFound(text="not found")


def safe_next(value: str | None, default: str = "/") -> str:
    """Only paths of this site: a link must not bounce a member to another one."""
    if (not value or not isinstance(value, str) or urlparse(value).netloc
            or not value.startswith("/") or value.startswith("//") or "\\" in value):
        return default
    return value


def done(path: str, what: str, **extra) -> web.HTTPSeeOther:
    """After a change: back to a page that says what was done (``?done=what``), so a reload
    never repeats the change."""
    query = urlencode({"done": what, **extra})
    return web.HTTPSeeOther(f"{path}{'&' if '?' in path else '?'}{query}")


async def form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def checked(values: dict, name: str) -> bool:
    return values.get(name) in ("on", "1", "true", "yes")
