"""Trends: `/trends?period=week|month|year[&at=YYYY-MM-DD]`: km and CO2e per mode as stacked
bars for this period and the ones before, how it compares with one's own usual, the share of
low-carbon km, and avoided CO2e beside the footprint (never subtracted from it)."""
from __future__ import annotations

from datetime import date

from aiohttp import web

from gateway.queries import link as link_read
from gateway.queries import trends as tq

from . import charts, common
from .templating import render


def _anchor(request) -> date:
    at = request.query.get("at")
    return common.parse_day(at) if at else common.today(request)


async def trends_page(request: web.Request) -> web.Response:
    kind = request.query.get("period", "week")
    if kind not in tq.PERIODS:
        raise web.HTTPBadRequest(text="period is week, month or year")
    anchor = _anchor(request)
    data = tq.trends(common.conn(request), common.member_id(request), kind, anchor,
                     common.zone(request))
    fmt = _formatter(request)
    label = _period_label(kind, fmt)
    average = data["average_before"]
    km_chart = charts.stacked_bars(data["periods"], data["modes"], "distance_m",
                                   average=average and average["distance_m"], label=label,
                                   value_label=fmt.km)
    co2_chart = charts.stacked_bars(data["periods"], data["modes"], "co2_g",
                                    average=average and average["co2_g"], label=label,
                                    value_label=fmt.co2)
    first = data["periods"][0]["start"]
    return render(request, "trends.html", data=data, kind=kind, anchor=anchor,
                  km_chart=km_chart, co2_chart=co2_chart, label=label,
                  earlier=tq.shift(kind, first, -1), later=tq.shift(kind, anchor, 1),
                  today=common.today(request), compare=_compare(data, common.today(request)),
                  city_links=[l["aggregator"] for l in link_read.links(
                      common.conn(request), common.member_id(request)) if l["state"] == "active"])


def _formatter(request):
    from .templating import page_context
    return page_context(request)["fmt"]


def _period_label(kind: str, fmt):
    if kind == "week":
        return lambda p: fmt.day_short(p["start"])
    if kind == "month":
        return lambda p: fmt.month(p["start"]).split(" ")[0][:4]
    return lambda p: str(p["start"].year)


def _compare(data: dict, today: date) -> dict | None:
    """This period against one's own usual: the change in CO2e and in low-carbon km. A
    period still running is compared with the same share of the usual ("so far")."""
    avg, cur = data["average_before"], data["current"]
    if not avg or not avg["co2_g"]:
        return None
    share = 1.0
    if cur["start"] <= today <= cur["end"]:
        share = ((today - cur["start"]).days + 1) / ((cur["end"] - cur["start"]).days + 1)
    usual_co2, usual_low = avg["co2_g"] * share, avg["low_carbon_m"] * share
    return {"co2_change": (cur["co2_g"] - usual_co2) / usual_co2,
            "low_change_m": cur["low_carbon_m"] - usual_low, "so_far": share < 1.0}
