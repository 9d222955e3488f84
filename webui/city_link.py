"""The city link: `/link` and its pages, the web side of `selfdata link ...` (docs/city-link.md).

A logged-in member, about their own link only: enrol with an aggregator (its address and
their own one-time token), the studies it publishes with join and leave per study (leave
optionally with the signed deletion request), the commune-of-home tick, the preview of
exactly what a month sends (the bytes and the same in words) before joining, the ledger of
what went with the city's receipts, what waits and what was refused, the decisions log, and
"households like yours". Everything goes through `gateway.outbox.Outbox` (which logs every
consent with what was shown) and `gateway.queries.link`; the member is always the one of the
session, so another member's link is never found, let alone changed.
"""
from __future__ import annotations

import re

from aiohttp import web

from carbon import summary_wire as wire
from carbon.communes import commune_name
from gateway.outbox import months
from gateway.outbox.errors import LinkError
from gateway.queries import link as read

from . import common
from .i18n import N_, translate
from .keys import GATEWAY, LOCALE
from .templating import render

# What each field a study may ask for is, in words (carbon.summary_wire.FIELDS says the same
# for the command line).
FIELD_WORDS = {
    "trips": N_("how many trips you started in the month"),
    "distance_m": N_("kilometres travelled in each kind of transport"),
    "co2e_g": N_("CO2e emitted in each kind of transport"),
    "avoided_co2e_g": N_("CO2e avoided compared with the same distance alone by car"),
    "bike_days": N_("days you commuted mainly by bike (forfait mobilités durables)"),
    "commune": N_("the commune of your home (its INSEE code), only if you tick it"),
}
# The aggregator's refusal codes (aggregator/intake.py), in plain words.
REFUSALS = {
    "bad_signature": N_("the signature did not match your key"),
    "replay": N_("the city had already seen this very message"),
    "revision_backwards": N_("the city holds a newer version of this month"),
    "revision_conflict": N_("the city holds a different message with the same version"),
    "revoked_key": N_("your key was revoked: enrol again with a new token"),
    "unknown_key": N_("the city does not know your key"),
    "unknown_study": N_("the city no longer runs this study"),
    "outside_study": N_("the month is outside the study's period"),
    "month_not_over": N_("the city thinks the month is not over yet"),
}
ACTIONS = {"enrol": N_("enrolled"), "join": N_("joined"), "leave": N_("left"),
           "delete": N_("asked the city to delete what it holds"),
           "revoke": N_("ended the link")}
KINDS = {"summary": N_("monthly summary"), "delete": N_("deletion request"),
         "revoke": N_("revocation")}
RECEIPTS = {"stored": N_("stored"), "deleted": N_("deleted"), "revoked": N_("revoked")}


def _outbox(request):
    return request.app[GATEWAY].outbox


def _lang(request) -> str:
    return request.get(LOCALE) or "en"


def _t(request, text: str, **values) -> str:
    return translate(_lang(request), text, **values)


def _active_links(request) -> list[dict]:
    """The member's own links the city still knows (newest first)."""
    return [l for l in read.links(common.conn(request), common.member_id(request))
            if l["state"] in ("active", "revoking")]


def _link(request, aggregator: str | None) -> dict:
    """One of the member's own links, by its aggregator; any other is not found."""
    for link in _active_links(request):
        if link["aggregator"] == aggregator and link["state"] == "active":
            return link
    raise web.HTTPNotFound(text="no such link")


def _month_choices(request) -> list[str]:
    """The months a member may look at and send: the last closed one and those before it,
    as far back as a month is still sent ([link] resend_months)."""
    box = request.app[GATEWAY]
    last = months.last_closed(box.outbox.clock(), common.zone(request))   # the outbox's "now"
    return [months.add(last, -i) for i in range(box.config.link.resend_months + 1)]


def _month_of(request, text: str | None, *, clamp: bool = False) -> str:
    """A month of the choices, else 404; with `clamp`, an older one (a consent given long
    ago, saved again) becomes the oldest still sent."""
    choices = _month_choices(request)
    if not text:
        return choices[0]
    if clamp and re.fullmatch(r"\d{4}-\d\d", text) and text < choices[-1]:
        return choices[-1]
    if text not in choices:
        raise web.HTTPNotFound(text="no such month")
    return text


# ----- the page

async def page(request: web.Request) -> web.Response:
    return _page(request)


def _page(request, *, error: str | None = None, status: int = 200, typed: dict | None = None):
    conn, links = common.conn(request), _active_links(request)
    shown = []
    for link in links:
        studies = [{**s, "asks": [FIELD_WORDS[f] for f in s["study"]["fields"]]}
                   for s in read.studies_for(conn, link)]
        shown.append({"link": link, "studies": studies,
                      "pending": [_pending(request, p) for p in read.pending(conn, link["id"])],
                      "refused": [_refusal(request, r) for r in read.refused(conn, link["id"])]})
    ended = [{"link": l, "refused": [_refusal(request, r) for r in read.refused(conn, l["id"])]}
             for l in read.links(conn, common.member_id(request)) if l["state"] == "revoked"]
    return render(request, "city_link.html", status=status, links=shown, ended=ended, error=error,
                  typed=typed or {}, done=request.query.get("done"),
                  last_month=_month_choices(request)[0])


def _kind(request, kind: str) -> str:
    return _t(request, KINDS[kind]) if kind in KINDS else kind


def _pending(request, row: dict) -> dict:
    """A message waiting to go; when a try failed, why, in words (the city unreachable, or
    an answer that means: try again later)."""
    why = None
    if row["last_error"]:
        why = _refusal_words(request, row["last_error"], waiting=True)
    return {**row, "what": _kind(request, row["kind"]), "why": why}


def _refusal(request, row: dict) -> dict:
    return {**row, "what": _kind(request, row["kind"]),
            "why": _refusal_words(request, row["last_error"])}


def _refusal_words(request, reason: str | None, *, waiting: bool = False) -> str:
    """The aggregator's answer in plain words (its code first: "code: message")."""
    if not reason:
        return ""
    code = reason.split(":", 1)[0].strip()
    if code in REFUSALS:
        return _t(request, REFUSALS[code])
    unreached = "://" in reason.split(" ", 1)[0] or not re.fullmatch(r"[a-z_]+|[0-9]{3}", code)
    if waiting and unreached:        # the sender's words for a city that did not answer
        return _t(request, N_("the city could not be reached (%(detail)s)"), detail=reason)
    return _t(request, N_("the city answered: %(reason)s"), reason=reason)


async def _form(request) -> dict:
    return await common.form(request)


def _fail(request, exc: Exception, typed: dict | None = None) -> web.Response:
    return _page(request, error=_t(request, N_("It did not work: %(why)s"),
                                   why=common.said(request, exc)),
                 status=400, typed=typed)


# ----- enrolment and studies

async def enrol(request: web.Request) -> web.StreamResponse:
    values = await _form(request)
    url, token = values.get("url", "").strip(), values.get("token", "").strip()
    try:
        await _outbox(request).enrol(common.member_id(request), url, token)
    except (LinkError, ValueError) as exc:
        return _fail(request, exc, {"url": url})
    raise common.done("/link", "enrolled")


async def refresh(request: web.Request) -> web.StreamResponse:
    link = _link(request, (await _form(request)).get("aggregator"))
    try:
        await _outbox(request).refresh_studies(link["aggregator"])
    except (LinkError, ValueError) as exc:
        return _fail(request, exc)
    raise common.done("/link", "refreshed")


async def join(request: web.Request) -> web.StreamResponse:
    values = await _form(request)
    link = _link(request, values.get("aggregator"))
    study = values.get("study") or wire.STANDING_STUDY_ID
    first = _month_of(request, values.get("from_month"), clamp=True)
    try:
        await _outbox(request).join(common.member_id(request), study,
                                    commune=common.checked(values, "commune"), from_month=first,
                                    aggregator=link["aggregator"], lang=_lang(request))
    except (LinkError, ValueError) as exc:
        return _fail(request, exc)
    raise common.done("/link", "joined", study=study)


async def leave(request: web.Request) -> web.StreamResponse:
    values = await _form(request)
    link = _link(request, values.get("aggregator"))
    delete = common.checked(values, "delete")
    try:
        done = await _outbox(request).leave(common.member_id(request), values.get("study") or None,
                                            delete=delete, aggregator=link["aggregator"])
    except (LinkError, ValueError) as exc:
        return _fail(request, exc)
    if delete and not done["deletion"]["sent"]:
        raise common.done("/link", "left-deletion-waiting")
    raise common.done("/link", "left-deleted" if delete else "left")


async def revoke(request: web.Request) -> web.StreamResponse:
    values = await _form(request)
    link = _link(request, values.get("aggregator"))
    try:
        await _outbox(request).revoke(common.member_id(request),
                                      delete=common.checked(values, "delete"),
                                      aggregator=link["aggregator"])
    except (LinkError, ValueError) as exc:
        return _fail(request, exc)
    raise common.done("/link", "revoked")


# ----- exactly what would go

async def preview(request: web.Request) -> web.Response:
    q = request.query
    link = _link(request, q.get("aggregator"))
    month = _month_of(request, q.get("month"))
    study_id = q.get("study") or None
    commune = {"yes": True, "no": False}.get(q.get("commune", ""))
    try:
        shown = await _outbox(request).preview(common.member_id(request), month,
                                               study_id=study_id, commune=commune,
                                               aggregator=link["aggregator"],
                                               lang=_lang(request))
    except (LinkError, ValueError) as exc:
        raise web.HTTPNotFound(text=common.said(request, exc))
    items = [{**item, "when": _when(request, item),
              "asks": [FIELD_WORDS[f] for f in item["fields"]]} for item in shown["studies"]]
    return render(request, "city_link_preview.html", link=link, month=month, items=items,
                  study_id=study_id, months=_month_choices(request), commune=commune)


_DUE_AFTER = re.compile(r"^due after (\d{4}-\d\d-\d\d)")
_NOT_BEFORE = re.compile(r"^waiting to be sent, not before (.+)$")
_BEFORE = re.compile(r"^before (\d{4}-\d\d), the first month agreed to$")
_REFUSED = re.compile(r"^refused by the aggregator \((.*)\)$")


def _when(request, item: dict) -> str:
    """The library's sentence about when (or why not) a month goes, in the page's language."""
    text = (item.get("state") if item["sent"] else item.get("why")) or ""
    fixed = {"sent": N_("already sent"), "not joined": N_("you have not joined this study"),
             "the month is not over": N_("the month is not over"),
             "outside the study's period": N_("the month is outside the study's period"),
             "the box has no positions of that month": N_("the box has no positions of that month")}
    if text in fixed:
        return _t(request, fixed[text])
    if text.startswith("due now"):
        hours = request.app[GATEWAY].config.link.jitter_s / 3600
        return _t(request, N_("due now, then sent at a random moment within %(hours)s hours"),
                  hours=f"{hours:g}")
    for pattern, words in ((_DUE_AFTER,
                            N_("due after %(x)s (the grace period for late positions)")),
                           (_NOT_BEFORE, N_("waiting to be sent, not before %(x)s")),
                           (_BEFORE, N_("before %(x)s, the first month you agreed to send")),
                           (_REFUSED, N_("refused by the city: %(x)s"))):
        found = pattern.match(text)
        if found:
            x = found.group(1)
            return _t(request, words, x=_refusal_words(request, x) if pattern is _REFUSED else x)
    return text           # a sentence the catalogue does not know yet: the library's own


# ----- what was sent

async def ledger(request: web.Request) -> web.Response:
    conn, mid = common.conn(request), common.member_id(request)
    rows = [{**row, "receipt_words": _t(request, RECEIPTS.get(row["status"], row["status"]))}
            for row in read.ledger(conn, mid)]
    rows.reverse()                                     # newest first
    decisions = [{**d, "words": _t(request, ACTIONS.get(d["action"], d["action"]))}
                 for d in read.decisions(conn, mid)]
    decisions.reverse()
    pending = []
    for link in _active_links(request):
        pending += [{**_pending(request, p), "aggregator": link["aggregator"]}
                    for p in read.pending(conn, link["id"])]
    return render(request, "city_link_ledger.html", rows=rows, decisions=decisions,
                  pending=pending, wire=wire)


# ----- households like yours

async def compare(request: web.Request) -> web.Response:
    link = _link(request, request.query.get("aggregator"))
    error, found = None, None
    try:
        found = await _outbox(request).compare(common.member_id(request), link["aggregator"])
    except (LinkError, ValueError) as exc:
        error = _t(request, N_("The city's figures could not be fetched: %(why)s"), why=common.said(request, exc))
    return render(request, "city_link_compare.html", link=link, found=found, error=error,
                  commune_name=commune_name)
