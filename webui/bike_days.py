"""Bike days: `/bike-days[?year=YYYY]`: the forfait mobilités durables days of the year
(home-work trips mainly by bike, e-bike, e-scooter or carpool) against the member's target,
and the sworn statement for the employer, printable (`/bike-days/statement`, print CSS)
and as a PDF (`/bike-days/statement.pdf`, webui/pdf.py)."""
from __future__ import annotations

from aiohttp import web

from gateway import accounts
from gateway.queries.bike_days import bike_days

from . import common, pdf
from .i18n import translate, translate_plural
from .keys import LOCALE, MEMBER
from .templating import page_context, render


def _year(request) -> int:
    text = request.query.get("year")
    if text is None:
        return common.today(request).year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise web.HTTPNotFound(text="no such year")
    return int(text)


def _data(request) -> dict:
    year = _year(request)
    found = bike_days(common.conn(request), common.member_id(request), year,
                      common.zone(request))
    prefs = accounts.member_preferences(common.conn(request), common.member_id(request))
    target = prefs["bike_days_target"]
    found.update(target=target, share=min(found["count"] / target, 1.0),
                 left=max(target - found["count"], 0))
    return found


async def page(request: web.Request) -> web.Response:
    data = _data(request)
    step = int(round(data["share"] * 20)) * 5     # the bar's width, in the CSS's 5 % steps
    return render(request, "bike_days.html", data=data, step=step,
                  this_year=common.today(request).year)


async def statement(request: web.Request) -> web.Response:
    return render(request, "bike_statement.html", data=_data(request),
                  today=common.today(request))


async def statement_pdf(request: web.Request) -> web.Response:
    data, lang = _data(request), request[LOCALE]
    fmt = page_context(request)["fmt"]
    member = request[MEMBER]
    who = member.display_name or member.name
    blocks = [("title", translate(lang, "Sworn statement: sustainable commuting days")),
              ("space", ""),
              ("text", translate(lang, "I, the undersigned %(name)s, declare on my honour that in "
                                     "%(year)s I travelled between my home and my workplace by "
                                     "bicycle, electric bicycle, e-scooter or carpool on the "
                                     "days listed below, for the forfait mobilités durables.",
                               name=who, year=data["year"])),
              ("space", ""),
              ("heading", translate_plural(lang, "%(num)d day", "%(num)d days", data["count"]))]
    for day in data["days"]:
        modes = ", ".join(translate(lang, common.MODE_NAMES[m]) for m in day["modes"])
        blocks.append(("text", f"{fmt.day(day['date'], 'long')}: {modes}"))
    blocks += [("space", ""),
               ("text", translate(lang, "Recorded by my household's selfdata box; made on %(day)s.",
                                day=fmt.day(common.today(request), "long"))),
               ("space", ""), ("text", translate(lang, "Signature:"))]
    body = pdf.document(blocks)
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bike-days-{data["year"]}.pdf"'})
