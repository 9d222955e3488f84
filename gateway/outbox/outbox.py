"""The city link's one entry point, for the service, the CLI and the web pages alike.

    outbox = Outbox(store, config)
    await outbox.enrol(member_id, "https://city.example", "ABCD-...")
    await outbox.join(member_id, commune=True)          # the standing monthly study
    (await outbox.preview(member_id, "2026-07"))["studies"][0]["wire"]   # what will go
    await outbox.send_due()                              # what the service does by itself
    await outbox.leave(member_id, delete=True)

What pages and commands only read (status, ledger, decisions) is in gateway.queries.link.
The store's work runs on the outbox's own thread, so the event loop never waits on SQLite.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

from carbon import summary_wire as wire

from ..queries import link as read
from . import compare as cmp
from . import consent, http, keys, links, months, queue, sender
from .preview import preview, study_preview, would_be_consent
from .studies import agreed_terms, fetch, fetched_at, store as store_studies

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, store, config, clock=time.time, rng=None):
        self.store, self.config, self.clock = store, config, clock
        self.rng = rng or random.SystemRandom()    # jitter nobody can predict
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="selfdata-outbox")

    @property
    def tz(self):
        try:
            return ZoneInfo(self.config.gateway.timezone)
        except Exception:    # a typo in the configuration must not stop the link (nor trips)
            return ZoneInfo("Europe/Paris")

    async def _db(self, fn, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def _read(self, fn, *args, **kwargs):
        """fn(connection, ...) on the outbox's thread, with that thread's own connection."""
        return await self._db(lambda: fn(self.store.conn, *args, **kwargs))

    async def close(self) -> None:
        if self._executor is None:
            return
        await self._db(self.store.close)           # the outbox thread's own connection
        self._executor.shutdown(wait=True)
        self._executor = None

    # ----- enrolment and studies

    async def enrol(self, member_id: int, url: str, token: str) -> dict:
        """Enrol the member with their own token and a new key of their own."""
        url, token = links.normalise_url(url), links.check_token(token)
        await self._db(self._not_enrolled, member_id, url)
        key_file, public, answer = await links.register(self.config.data_dir, url, token,
                                                        self.config.link.timeout_s)
        await self._db(self._insert_link, member_id, url, key_file, public, answer)
        try:
            await self.refresh_studies(url)
        except http.Unreachable as exc:   # enrolled all the same; studies come at the next pass
            log.warning("studies of %s not fetched: %s", url, exc)
        known = await self._read(read.known_studies, url)
        return {"aggregator": url, "pseudonym": answer["pseudonym"],
                "studies": sorted(known) or answer.get("studies", [])}

    def _not_enrolled(self, member_id: int, url: str) -> None:
        try:
            links.find(self.store.conn, member_id, url, states=("active", "revoking"))
        except links.LinkError:
            return
        raise links.LinkError("already enrolled with %(url)s: `selfdata link revoke` first to "
                              "enrol again under a new key", url=url)

    def _insert_link(self, member_id, url, key_file, public, answer) -> int:
        with self.store.transaction() as conn:
            return links.insert(conn, member_id, url, key_file, public, answer, int(self.clock()))

    async def refresh_studies(self, url: str) -> list[dict]:
        studies = await fetch(url, self.config.link.timeout_s)
        await self._db(self._store_studies, url, studies)
        return studies

    def _store_studies(self, url, studies) -> None:
        with self.store.transaction() as conn:
            store_studies(conn, url, studies, int(self.clock()))

    async def studies(self, member_id: int | None = None, aggregator: str | None = None) -> list:
        """The studies of `aggregator`, or of every aggregator the member (or anyone) enrolled
        with, fetched again when it answers, each with the member's decision about it."""
        urls = ([links.normalise_url(aggregator)] if aggregator else sorted(
            {l["aggregator"] for l in await self._read(read.links, member_id)}))
        if not urls:
            raise links.LinkError("not enrolled with any aggregator: give its address to see "
                                  "its studies")
        found = []
        for url in urls:
            try:
                await self.refresh_studies(url)
                fresh = None
            except http.Unreachable as exc:       # show what the box knew, and say so
                fresh = f"not refreshed: {exc}"
            found.append({"aggregator": url, "not_refreshed": fresh,
                          "studies": await self._db(self._studies_with_consent, url, member_id)})
        return found

    def _studies_with_consent(self, url: str, member_id: int | None) -> list:
        conn = self.store.conn
        mine = [l for l in read.links(conn, member_id) if l["aggregator"] == url
                and l["state"] == "active"] if member_id is not None else []
        consents = read.consents(conn, mine[0]["id"]) if mine else {}
        return [{**study, "consent": consents.get(sid)}
                for sid, study in read.known_studies(conn, url).items()]

    async def _refresh_stale(self) -> None:
        """Fetch again the studies of every aggregator a link uses, when old enough."""
        urls = {link["aggregator"] for link in await self._read(links.active)}
        for url in sorted(urls):
            at = await self._read(fetched_at, url)
            if at is None or self.clock() - at >= self.config.link.studies_refresh_s:
                try:
                    await self.refresh_studies(url)
                except http.Unreachable as exc:
                    log.info("studies of %s not refreshed: %s", url, exc)

    # ----- consent

    async def join(self, member_id: int, study_id: str | None = None, *, commune: bool = False,
                   from_month: str | None = None, aggregator: str | None = None,
                   lang: str = "en") -> dict:
        """The member joins a study (the standing monthly one by default), having seen what
        its first month would send; the preview shown goes into their log."""
        study_id = study_id or wire.STANDING_STUDY_ID
        link = await self._read(links.find, member_id, aggregator)
        if study_id not in await self._read(read.known_studies, link["aggregator"]):
            await self.refresh_studies(link["aggregator"])
        return await self._db(self._join, link, study_id, commune, from_month, lang, self.clock())

    def _join(self, link, study_id, commune, from_month, lang, now) -> dict:
        conn, section = self.store.conn, self.config.link
        study = read.known_studies(conn, link["aggregator"]).get(study_id)
        if study is None:
            raise links.LinkError("%(url)s publishes no study %(study)r (selfdata link studies)",
                                  url=link["aggregator"], study=study_id)
        if commune and "commune" not in study["fields"]:
            raise links.LinkError("the study %(study)s does not ask for the commune",
                                  study=study_id)
        first = from_month or months.last_closed(now, self.tz)
        oldest = months.add(months.month_of(now, self.tz), -section.resend_months)
        if first < oldest:
            raise links.LinkError("months before %(month)s are no longer sent "
                                  "([link] resend_months = %(n)s)",
                                  month=oldest, n=section.resend_months)
        key = keys.load_key(self.config.data_dir, link["key_file"])
        shown = study_preview(conn, link, key, study, would_be_consent(study, first, commune),
                              first, queue.MonthCache(conn, self.tz), self.config, now, lang)
        with self.store.transaction() as conn:
            consent.set_joined(conn, link, study_id, agreed_terms(study), commune, first,
                               int(now), consent.previewed(shown))
        return {"aggregator": link["aggregator"], "study": study_id, "title": study["title"],
                "from_month": first, "commune": commune, "preview": shown}

    async def leave(self, member_id: int, study_id: str | None = None, *, delete: bool = False,
                    aggregator: str | None = None) -> dict:
        """The member stops (one study, or all): nothing more is sent for it, and with
        `delete` a signed deletion request for everything already sent goes at once (or as
        soon as the city answers). Nothing of theirs is in flight once this returns."""
        async with sender.send_lock(self.config.data_dir):
            done = await self._db(self._leave, member_id, study_id, delete, aggregator, self.clock())
            if delete:
                done["deletion"] = await self._send_control(done.pop("entry"), done["link_id"])
        return done

    def _leave(self, member_id, study_id, delete, aggregator, now) -> dict:
        conn = self.store.conn
        link = links.find(conn, member_id, aggregator)
        joined = [s for s, c in read.consents(conn, link["id"]).items() if c["joined"]]
        targets = [s for s in joined if study_id in (None, s)]
        if not targets and not delete:
            if study_id:
                raise links.LinkError("not in the study %(study)s", study=study_id)
            raise links.LinkError("not in any study")
        with self.store.transaction() as conn:
            for s in targets:
                consent.set_left(conn, link, s, int(now))
            cancelled = queue.cancel(conn, link["id"], int(now), targets) if targets else 0
            entry = self._queue_deletion(conn, link, study_id or "*", now) if delete else None
        return {"aggregator": link["aggregator"], "link_id": link["id"], "left": targets,
                "cancelled": cancelled, "entry": entry}

    def _queue_deletion(self, conn, link, study: str, now) -> int:
        key = keys.load_key(self.config.data_dir, link["key_file"])
        message = keys.sign(key, wire.delete_request(link["pseudonym"], _nonce(), study, "*"))
        links.log_decision(conn, link["id"], link["member_id"], None if study == "*" else study,
                           "delete", int(now), {"study": study, "months": "*"})
        return queue.queue_control(conn, link, message, study, int(now))

    async def revoke(self, member_id: int, *, delete: bool = False,
                     aggregator: str | None = None) -> dict:
        """The member ends the link: every study left, a signed revocation of their key (with
        deletion of everything first, if asked), the private key deleted once the city
        confirms. They may enrol again later, with a new token, as a new contributor."""
        async with sender.send_lock(self.config.data_dir):
            done = await self._db(self._revoke, member_id, delete, aggregator, self.clock())
            done["revocation"] = await self._send_control(done.pop("entry"), done["link_id"])
        return done

    def _revoke(self, member_id, delete, aggregator, now) -> dict:
        conn = self.store.conn
        link = links.find(conn, member_id, aggregator)
        key = keys.load_key(self.config.data_dir, link["key_file"])
        joined = [s for s, c in read.consents(conn, link["id"]).items() if c["joined"]]
        message = keys.sign(key, wire.revoke_request(link["pseudonym"], _nonce(), delete))
        with self.store.transaction() as conn:
            for s in joined:
                consent.set_left(conn, link, s, int(now))
            cancelled = queue.cancel(conn, link["id"], int(now))
            links.set_state(conn, link["id"], "revoking", int(now))
            links.log_decision(conn, link["id"], member_id, None, "revoke", int(now),
                               {"delete": delete})
            entry = queue.queue_control(conn, link, message, None, int(now))
        return {"aggregator": link["aggregator"], "link_id": link["id"], "left": joined,
                "cancelled": cancelled, "entry": entry}

    async def _send_control(self, entry_id: int, link_id: int) -> dict:
        """Send a deletion or revocation now (the caller holds the send lock)."""
        results = await sender.send_heads(self._db, self.store, self.config, self.clock, self.rng,
                                          link_ids={link_id})
        mine = next((r for r in results if r["id"] == entry_id), None)
        if mine is None or mine["outcome"] != "done":
            reason = mine["reason"] if mine else "a message before it is still waiting"
            return {"sent": False, "why": f"queued: {reason}; the box keeps trying"}
        entry = await self._read(read.ledger_entry, entry_id)
        return {"sent": True, "status": entry["status"], "count": entry["count"]}

    # ----- what would go, and sending

    async def preview(self, member_id: int, month: str, **options) -> dict:
        return await self._db(preview, self.store, self.config, member_id, month,
                              now=self.clock(), tz=self.tz, **options)

    async def send_due(self, *, spread: bool = False, at_once: bool = False) -> dict:
        """Queue what is due and send what can go: what `selfdata link send` does, and what
        the service does every send_interval_s (with `spread`: one member per pass). With
        `at_once`, everything waiting goes now, without waiting for its jittered moment:
        the box's members then reach the city together."""
        async with sender.send_lock(self.config.data_dir):
            await self._refresh_stale()
            queued = await self._db(queue.plan, self.store, self.config, self.clock(), self.tz,
                                    self.rng)
            sent = await sender.send_heads(self._db, self.store, self.config, self.clock,
                                           self.rng, spread=spread, at_once=at_once)
        return {"queued": queued, "sent": sent}

    async def run_forever(self) -> None:
        """The service's task: a pass every send_interval_s; unused key files forgotten daily."""
        next_cleanup = 0.0
        while True:
            try:
                await self.send_due(spread=True)
                if time.monotonic() >= next_cleanup:
                    next_cleanup = time.monotonic() + 86400
                    in_use = await self._read(links.key_files)
                    keys.forget_unused(self.config.data_dir, in_use)
            except Exception:    # a failed pass must not stop the next one
                log.exception("city link pass failed")
            await asyncio.sleep(self.config.link.send_interval_s)

    # ----- households like yours

    async def compare(self, member_id: int, aggregator: str | None = None) -> dict:
        """The member's recent months beside the published figures of their commune and of
        the whole agglomeration; only whole published months are fetched."""
        url = (links.normalise_url(aggregator) if aggregator else
               (await self._read(links.find, member_id))["aggregator"])
        recent = [months.add(months.last_closed(self.clock(), self.tz), -i)
                  for i in range(self.config.link.compare_months)]
        commune, mine = await self._db(self._own_months, member_id, recent)
        out = []
        for month in recent:
            table = await cmp.published_month(url, month, self.config.link.timeout_s)
            out.append(cmp.month_comparison(month, commune, mine[month], table))
        return {"aggregator": url, **cmp.header(commune), "months": out}

    def _own_months(self, member_id: int, recent: list) -> tuple:
        cache = queue.MonthCache(self.store.conn, self.tz)
        return cache.home(member_id), {m: cmp.own_figures(cache.body(member_id, m)) for m in recent}


def _nonce() -> str:
    return wire.b64(secrets.token_bytes(16))
