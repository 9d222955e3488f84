"""The studies an aggregator publishes, as the box keeps them, and whether a study still asks
for no more than what a member agreed to when they joined."""
from __future__ import annotations

import json
import logging

from carbon import summary_wire as wire

from . import http

log = logging.getLogger(__name__)


async def fetch(url: str, timeout: float) -> list[dict]:
    """The aggregator's published studies, each checked against the wire format (a study
    the box cannot read is left out, and logged, rather than shown half-understood)."""
    status, answer = await http.get(url, "/studies", timeout)
    if status != 200 or not isinstance(answer.get("studies"), list):
        raise http.Unreachable(f"{url}/studies: HTTP {status}, no list of studies")
    out = []
    for study in answer["studies"]:
        try:
            out.append(wire.check_study(study))
        except (wire.WireError, TypeError, AttributeError) as exc:
            log.warning("%s publishes a study the box cannot read: %s", url, exc)
    return out


def store(conn, url: str, studies: list[dict], now: int) -> None:
    """Keep what was fetched; a study no longer listed is marked withdrawn (nothing is sent
    for it), not forgotten (members' consents and ledgers still name it)."""
    for study in studies:
        conn.execute(
            "INSERT INTO link_studies (aggregator, study_id, definition, fetched_at, withdrawn) "
            "VALUES (?, ?, ?, ?, 0) ON CONFLICT (aggregator, study_id) DO UPDATE SET "
            "definition = excluded.definition, fetched_at = excluded.fetched_at, withdrawn = 0",
            (url, study["id"], json.dumps(study, ensure_ascii=False, sort_keys=True), now))
    listed = [s["id"] for s in studies]
    conn.execute("UPDATE link_studies SET withdrawn = 1, fetched_at = ? WHERE aggregator = ? "
                 "AND study_id NOT IN (%s)" % ", ".join("?" * len(listed)), (now, url, *listed))


def fetched_at(conn, url: str) -> int | None:
    row = conn.execute("SELECT max(fetched_at) FROM link_studies WHERE aggregator = ?",
                       (url,)).fetchone()
    return row[0]


def agreed_terms(study: dict) -> dict:
    """What a member agrees to when joining: the fields asked for and the k it publishes at."""
    return {"fields": sorted(study["fields"]), "k": study["k"]}


def beyond_consent(study: dict, agreed: dict) -> str | None:
    """Why the study as published now asks for more than the member agreed to (new fields,
    a lower k), or None. Then nothing is sent until they join again, having seen it."""
    new = sorted(set(study["fields"]) - set(agreed["fields"]))
    if new:
        return f"the study now also asks for {', '.join(new)}: join again to agree to it"
    if study["k"] < agreed["k"]:
        return (f"the study now publishes over k={study['k']} contributors instead of "
                f"{agreed['k']}: join again to agree to it")
    return None
