"""Exactly what would be sent: for a member, a month and each study, the signed message byte
for byte (Ed25519 signatures are deterministic, so these are the bytes that go), the same in
words (summary_wire.describe), and when it goes or why nothing does."""
from __future__ import annotations

import json
from datetime import datetime

from carbon import summary_wire as wire

from ..queries import link as read
from . import keys, links, months
from .queue import MonthCache, decide, summary_message, wanted
from .studies import agreed_terms


def would_be_consent(study: dict, month: str, commune: bool) -> dict:
    """The consent a member joining now would give: the study as published, from `month`."""
    return {"joined": True, "agreed": agreed_terms(study), "commune": commune,
            "from_month": month}


def study_preview(conn, link: dict, key, study: dict, consent: dict, month: str,
                  cache: MonthCache, config, now: float, lang: str) -> dict:
    """One study's part of the preview."""
    tz = cache.tz
    item = {"study": study["id"], "title": study["title"], "fields": study["fields"],
            "k": study["k"], "runs_it": study["runs_it"], "month": month,
            "commune_ticked": bool(consent and consent["commune"])}
    if month >= months.month_of(now, tz):
        return {**item, "sent": False, "why": "the month is not over"}
    body, why = wanted(cache, link["member_id"], study, consent, month)
    if body is None:
        return {**item, "sent": False, "why": why}
    verdict, found = decide(conn, link["id"], study["id"], month, body)
    if verdict == "same":
        message = json.loads(found["message"])
        when = {"sent": "sent", "refused": f"refused by the aggregator ({found['last_error']})"}.get(
            found["state"], f"waiting to be sent, not before {_moment(found['due_at'], tz)}")
    else:
        revision = found["revision"] if verdict == "rewrite" else found
        message = summary_message(link, key, study["id"], month, revision, body)
        settles = months.settles_at(month, tz, config.link.grace_days)
        hours = config.link.jitter_s / 3600
        when = (f"due now, then sent at a random moment within {hours:g} hours"
                if settles <= now else f"due after {_day(settles, tz)} (grace period)")
    return {**item, "sent": True, "state": when, "revision": message["revision"],
            "message": message, "wire": wire.canonical(message).decode("utf-8"),
            "words": wire.describe(message, lang),
            "commune_missing": bool(consent and consent["commune"] and "commune" in study["fields"]
                                    and "commune" not in body)}


def preview(store, config, member_id: int, month: str, *, study_id: str | None = None,
            commune: bool | None = None, aggregator: str | None = None, lang: str = "en",
            now: float, tz) -> dict:
    """The member's month as it would go to each study they joined (or to `study_id`, joined
    or not; `commune` shows the effect of ticking it or not)."""
    conn = store.conn
    link = links.find(conn, member_id, aggregator)
    key = keys.load_key(config.data_dir, link["key_file"])
    studies, consents = read.known_studies(conn, link["aggregator"]), read.consents(conn, link["id"])
    wanted_ids = [study_id] if study_id else [s for s, c in consents.items() if c["joined"]]
    cache, items = MonthCache(conn, tz), []
    for sid in wanted_ids:
        study = studies.get(sid)
        if study is None:
            raise links.LinkError("%(url)s publishes no study %(study)r (selfdata link studies)",
                                  url=link["aggregator"], study=sid)
        consent = consents.get(sid)
        joined = bool(consent and consent["joined"])
        if not joined:
            consent = would_be_consent(study, month, bool(commune))
        elif commune is not None:
            consent = {**consent, "commune": commune}
        items.append({**study_preview(conn, link, key, study, consent, month, cache, config,
                                      now, lang), "joined": joined})
    return {"aggregator": link["aggregator"], "month": month, "studies": items}


def _day(ts: int, tz) -> str:
    return datetime.fromtimestamp(ts, tz).date().isoformat()


def _moment(ts: int, tz) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")
